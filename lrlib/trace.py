"""Record what a scheduler really does, one optimizer step at a time.

The LR a scheduler reports and the LR an optimizer step uses are easy to get off by
one. :func:`lr_trace` avoids the question: before each ``optimizer.step()`` it reads the
LR out of ``optimizer.param_groups``, which is the value that step uses, then calls
``scheduler.step()`` in the order PyTorch expects, so no warning is raised.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ._validate import check_int, check_lr_list

__all__ = ["toy_optimizer", "lr_trace", "group_trace"]

_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}


def toy_optimizer(
    lrs: float | Sequence[float] = 0.1, *, kind: str = "sgd", **kwargs: Any
) -> Optimizer:
    """An optimizer over one dummy parameter per group, for drawing schedules.

    Args:
        lrs: the initial LR, or one per param group (the number of groups).
        kind: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        **kwargs: passed to the optimizer (e.g. ``momentum=0.9`` for ``CyclicLR``).
    """
    if kind not in _OPTIMIZERS:
        raise ValueError(f"kind must be one of {sorted(_OPTIMIZERS)}, got {kind!r}")
    n = len(lrs) if isinstance(lrs, (list, tuple)) else 1
    if n == 0:
        raise ValueError("lrs must hold at least one learning rate")
    values = check_lr_list("lrs", lrs, n)
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in values
    ]
    return _OPTIMIZERS[kind](groups, **kwargs)


def _read(group: dict[str, Any], key: str) -> float:
    if key == "momentum" and "momentum" not in group and "betas" in group:
        return float(
            group["betas"][0]
        )  # Adam's "momentum" is beta1, as OneCycleLR/CyclicLR use it
    if key not in group:
        raise ValueError(f"param groups have no {key!r} entry")
    value = group[key]
    return float(value[0] if isinstance(value, (tuple, list)) else value)


def group_trace(
    scheduler: LRScheduler,
    steps: int,
    keys: Iterable[str] = ("lr",),
    metrics: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """Step ``scheduler`` ``steps`` times and record param-group values before each step.

    Returns one array of shape ``(steps, n_param_groups)`` per key: row ``i`` holds what
    optimizer step ``i`` used. ``"momentum"`` reads Adam's ``betas[0]`` when there is no
    ``momentum`` entry.

    Each iteration calls ``optimizer.step()`` then ``scheduler.step()`` (or
    ``scheduler.step(metrics[i])`` when ``metrics`` is given, e.g. for
    ``ReduceLROnPlateau``). Gradients are cleared first, so the optimizer moves no weight.
    """
    if not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"scheduler must be a torch LRScheduler, got {type(scheduler).__name__}"
        )
    steps = check_int("steps", steps, minimum=0)
    keys = list(keys)
    if not keys:
        raise ValueError("keys must name at least one param-group entry")
    if isinstance(scheduler, ReduceLROnPlateau) and metrics is None:
        raise ValueError("metrics is required to drive ReduceLROnPlateau")
    if metrics is not None:
        metrics = [float(m) for m in metrics]
        if len(metrics) < steps:
            raise ValueError(
                f"metrics has {len(metrics)} values, need at least steps={steps}"
            )
    optimizer = scheduler.optimizer
    optimizer.zero_grad(set_to_none=True)
    groups = optimizer.param_groups
    out = {k: np.empty((steps, len(groups)), dtype=np.float64) for k in keys}
    for i in range(steps):
        for k in keys:
            out[k][i] = [_read(g, k) for g in groups]
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
    return out


def lr_trace(
    scheduler: LRScheduler, steps: int, metrics: Sequence[float] | None = None
) -> np.ndarray:
    """The LR each of ``steps`` optimizer steps used: an array ``(steps, n_param_groups)``.

    See :func:`group_trace` for the stepping order; pass ``metrics`` (one value per step)
    to drive ``ReduceLROnPlateau``.
    """
    return group_trace(scheduler, steps, ("lr",), metrics)["lr"]
