r"""What a scheduler's "step" is in a real loop: optimizer updates, counted right.

A scheduler counts calls of ``scheduler.step()``, and a schedule is sized in those calls
(``total_steps``, ``T_max``, warmup lengths, milestones). In a loop that does one
optimizer update per ``accumulate`` micro-batches, on ``world_size`` data-parallel
ranks, the number of updates in an epoch of ``n`` samples with per-rank micro-batches of
``b`` is

.. math::

    U = \left\lfloor \frac{M}{a} \right\rfloor + [\,M \bmod a \ne 0 \text{ and the
    remainder is stepped}\,], \qquad M = \left\lceil \frac{n}{b\,k} \right\rceil
    \text{ (or } \lfloor n/(bk) \rfloor \text{ with drop\_last)},

with :math:`a` = ``accumulate`` and :math:`k` = ``world_size``.
:func:`updates_per_epoch` computes it; :func:`total_updates` multiplies by the epochs.
With mixed precision some of those updates do not happen: :func:`scaler_step` performs
``GradScaler.step`` and ``update`` and says whether the optimizer really stepped, so
the loop can step the scheduler only then.
"""

from __future__ import annotations

import math
from typing import Any

from torch.optim import Optimizer

from ._validate import MAX_STEP, check_int

__all__ = ["updates_per_epoch", "total_updates", "scaler_step"]


def updates_per_epoch(
    n: int,
    batch_size: int,
    *,
    accumulate: int = 1,
    world_size: int = 1,
    drop_last: bool = False,
    step_remainder: bool = True,
) -> int:
    """Optimizer updates in one epoch of ``n`` samples.

    Args:
        n: samples in the epoch (the whole dataset, split across ranks).
        batch_size: the per-rank micro-batch size.
        accumulate: micro-batches per update (gradient accumulation).
        world_size: data-parallel ranks, each taking its own micro-batches.
        drop_last: whether the sampler drops the tail that does not divide among the
            ranks, and the loader the last incomplete micro-batch of each rank.
        step_remainder: whether the micro-batches left over at the end of an epoch
            (fewer than ``accumulate``) still make one update, as Lightning and
            Accelerate do; ``False`` drops them.
    """
    n = check_int("n", n, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    accumulate = check_int("accumulate", accumulate, minimum=1)
    world_size = check_int("world_size", world_size, minimum=1)
    for name, flag in (("drop_last", drop_last), ("step_remainder", step_remainder)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    # DistributedSampler pads the data to equal shares, or drops the tail with drop_last
    per_rank = n // world_size if drop_last else math.ceil(n / world_size)
    micro = per_rank // batch_size if drop_last else math.ceil(per_rank / batch_size)
    if micro == 0:
        raise ValueError(
            f"batch_size={batch_size} with drop_last leaves no batch of "
            f"{per_rank} samples per rank"
        )
    full, rest = divmod(micro, accumulate)
    return full + (1 if rest and step_remainder else 0)


def total_updates(
    n: int,
    batch_size: int,
    epochs: int,
    *,
    accumulate: int = 1,
    world_size: int = 1,
    drop_last: bool = False,
    step_remainder: bool = True,
) -> int:
    """``epochs`` times :func:`updates_per_epoch`: the ``total_steps`` of a schedule,
    at most ``2**63 - 1`` (the step range of :mod:`lrlib.schedules`)."""
    epochs = check_int("epochs", epochs, minimum=1)
    per_epoch = updates_per_epoch(
        n,
        batch_size,
        accumulate=accumulate,
        world_size=world_size,
        drop_last=drop_last,
        step_remainder=step_remainder,
    )
    if epochs * per_epoch > MAX_STEP:
        raise ValueError(
            f"epochs={epochs} of {per_epoch} updates is {epochs * per_epoch} steps, "
            "more than 2**63 - 1"
        )
    return epochs * per_epoch


def scaler_step(scaler: Any, optimizer: Optimizer) -> bool:
    """``scaler.step(optimizer)`` then ``scaler.update()``; ``True`` if the optimizer
    really stepped, ``False`` if the step was skipped for inf/NaN gradients.

    ``GradScaler.step`` returns ``None`` either way, so the answer comes from the
    scale: ``update()`` lowers it (by ``backoff_factor``) exactly when a step was
    skipped, and otherwise keeps it or raises it. Step the scheduler only when this
    returns ``True``, and the schedule counts real updates.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an Optimizer, got {type(optimizer).__name__}"
        )
    for name in ("step", "update", "get_scale", "is_enabled"):
        if not callable(getattr(scaler, name, None)):
            raise TypeError(f"scaler must be a torch.amp.GradScaler, got {scaler!r}")
    if not scaler.is_enabled():
        scaler.step(optimizer)
        return True
    before = scaler.get_scale()
    scaler.step(optimizer)
    scaler.update()
    return not scaler.get_scale() < before
