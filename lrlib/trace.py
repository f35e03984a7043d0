"""Record what a scheduler really does, one optimizer step at a time.

The LR a scheduler reports and the LR an optimizer step uses are easy to get off by
one. :func:`lr_trace` avoids the question: before each ``optimizer.step()`` it reads the
LR out of ``optimizer.param_groups``, which is the value that step uses, then calls
``scheduler.step()`` in the order PyTorch expects, so no warning is raised.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence, cast

import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ._validate import check_int, check_lr_list, check_reals, check_str

__all__ = ["toy_optimizer", "lr_trace", "group_trace"]

_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}

#: The most steps :func:`group_trace` and :func:`lr_trace` record (80 MB per key and
#: param group, and minutes of stepping).
MAX_TRACE_STEPS = 10_000_000


def toy_optimizer(
    lrs: float | Sequence[float] = 0.1, *, kind: str = "sgd", **kwargs: Any
) -> Optimizer:
    """An optimizer over one dummy parameter per group, for drawing schedules.

    Args:
        lrs: the initial LR, or one per param group (the number of groups).
        kind: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        **kwargs: passed to the optimizer (e.g. ``momentum=0.9`` for ``CyclicLR``).
    """
    check_str("kind", kind, sorted(_OPTIMIZERS))
    n = len(lrs) if isinstance(lrs, (list, tuple)) else 1
    if n == 0:
        raise ValueError("lrs must hold at least one learning rate")
    values = check_lr_list("lrs", lrs, n)
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in values
    ]
    return cast(Optimizer, _OPTIMIZERS[kind](groups, **kwargs))


def _read(group: dict[str, Any], key: str) -> float:
    if key == "momentum" and "momentum" not in group and "betas" in group:
        # Adam's "momentum" is beta1, as OneCycleLR/CyclicLR use it
        return float(group["betas"][0])
    value = group[key]
    return float(value[0] if isinstance(value, (tuple, list)) else value)


def _check_keys(keys: Any, groups: list[dict[str, Any]]) -> list[str]:
    if isinstance(keys, (str, bytes)) or keys is None:
        raise TypeError(
            "keys must be a list or tuple of param-group entry names such as "
            f'("lr",), got {keys!r}'
        )
    try:
        keys = list(keys)
    except TypeError:
        raise TypeError(
            f"keys must be an iterable of strings, got {type(keys).__name__}"
        ) from None
    if not keys:
        raise ValueError("keys must name at least one param-group entry")
    for i, key in enumerate(keys):
        if not isinstance(key, str):
            raise TypeError(f"keys[{i}] must be a string, got {key!r}")
        for group in groups:
            if key in group or (key == "momentum" and "betas" in group):
                value = group.get(key, group.get("betas"))
                if isinstance(value, (tuple, list)):
                    value = value[0] if value else None
                if not isinstance(value, (int, float, torch.Tensor)) or isinstance(
                    value, bool
                ):
                    raise ValueError(
                        f"keys[{i}]={key!r}: the param groups' {key!r} entry is not "
                        "a number"
                    )
            else:
                raise ValueError(f"keys[{i}]: param groups have no {key!r} entry")
    return cast(list[str], keys)


def group_trace(
    scheduler: LRScheduler,
    steps: int,
    keys: Iterable[str] = ("lr",),
    metrics: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """Step ``scheduler`` ``steps`` times, recording param-group values before each.

    Returns one array of shape ``(steps, n_param_groups)`` per key: row ``i`` holds what
    optimizer step ``i`` used. ``"momentum"`` reads Adam's ``betas[0]`` when there is no
    ``momentum`` entry.

    Each iteration calls ``optimizer.step()`` then ``scheduler.step()``, or, for a
    ``ReduceLROnPlateau`` (which needs them; no other scheduler takes them),
    ``scheduler.step(metrics[i])`` with one finite metric per step. Gradients are
    cleared first, so the optimizer moves no weight. ``steps`` is at most 10,000,000.
    """
    if not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"scheduler must be a torch LRScheduler, got {type(scheduler).__name__}"
        )
    steps = check_int("steps", steps, minimum=0, maximum=MAX_TRACE_STEPS)
    optimizer = scheduler.optimizer
    groups = optimizer.param_groups
    keys = _check_keys(keys, groups)
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    if plateau and metrics is None:
        raise ValueError("metrics is required to drive ReduceLROnPlateau")
    if metrics is not None:
        if not plateau:
            raise ValueError(
                f"metrics drives ReduceLROnPlateau only; {type(scheduler).__name__}"
                ".step() would take each metric as an epoch number"
            )
        metrics = check_reals("metrics", metrics).tolist()
        if len(metrics) < steps:
            raise ValueError(
                f"metrics has {len(metrics)} values, need at least steps={steps}"
            )
    optimizer.zero_grad(set_to_none=True)
    out = {k: np.empty((steps, len(groups)), dtype=np.float64) for k in keys}
    for i in range(steps):
        for k in keys:
            out[k][i] = [_read(g, k) for g in groups]
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            cast(ReduceLROnPlateau, scheduler).step(metrics[i])
    return out


def lr_trace(
    scheduler: LRScheduler, steps: int, metrics: Sequence[float] | None = None
) -> np.ndarray:
    """The LR each of ``steps`` optimizer steps used, as ``(steps, n_param_groups)``.

    See :func:`group_trace` for the stepping order; pass ``metrics`` (one value per
    step) to drive ``ReduceLROnPlateau``.
    """
    return group_trace(scheduler, steps, ("lr",), metrics)["lr"]
