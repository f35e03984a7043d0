"""Scheduler classes built on the closed forms in :mod:`lrlib.schedules`.

:class:`CosineAnnealingWarmupRestarts` is a drop-in for the widely copied class of the
same name: same constructor, same schedule when that class works, and the right
answer where it does not (see the class docstring). The LR is always the closed form
evaluated at ``last_epoch``; ``step()`` only moves ``last_epoch``.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Sequence, Union

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from ._validate import check_int, check_lr_list, check_real
from .schedules import _check_restart_shape, _locate, _next_length, _restart_value

__all__ = ["CosineAnnealingWarmupRestarts"]

LRArg = Union[float, Sequence[float], None]


def _track_optimizer_step(optimizer: Optimizer) -> None:
    """Mark ``optimizer.step`` so PyTorch can tell whether it ran before ``scheduler.step()``.

    ``LRScheduler.__init__`` does this; an unpickled optimizer has lost the mark, so
    :meth:`CosineAnnealingWarmupRestarts.__setstate__` puts it back.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = opt_ref()
        opt._opt_called = True  # type: ignore[union-attr]
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


class CosineAnnealingWarmupRestarts(LRScheduler):
    r"""Cosine annealing with linear warmup, warm restarts and a decaying peak.

    Cycle :math:`k` lasts :math:`L_k` steps, with :math:`L_0` = ``first_cycle_steps`` and
    :math:`L_{k+1} = \lfloor (L_k - W)\,m \rfloor + W`, and peaks at
    :math:`P_k = \max(\eta_{\max}\,\gamma^k,\ \eta_{\min})`. At position :math:`s` in
    cycle :math:`k` the LR rises linearly from :math:`\eta_{\min}` to :math:`P_k` over the
    first :math:`W` steps, then falls along half a cosine back to :math:`\eta_{\min}`:

    .. math::
        \eta = \eta_{\min} + (P_k - \eta_{\min}) \cdot \begin{cases}
            s / W & s < W \\
            \big(1 + \cos(\pi\,(s - W)/(L_k - W))\big)/2 & s \ge W.
        \end{cases}

    The values come from :func:`lrlib.cosine_warmup_restarts_lr`, so sequential
    ``step()``, ``step(epoch)``, ``last_epoch=N`` and a resumed ``state_dict()`` all give
    the same LR for the same step. Compared with the popular implementation:

    * with ``warmup_steps=0`` a cycle starts at its peak, not at ``min_lr``;
    * ``step(epoch)`` and ``last_epoch`` agree with sequential stepping for every
      ``cycle_mult`` and warmup;
    * the peak never decays below ``min_lr``;
    * ``max_lr``/``min_lr`` may be per-group lists, and ``max_lr=None`` keeps each
      group's own initial LR as its peak;
    * loading a ``state_dict()`` re-applies the LR, so resuming does not depend on
      whether the optimizer or the scheduler is loaded first;
    * bad arguments raise ``ValueError``/``TypeError`` naming the argument.

    Like every PyTorch scheduler, the constructor takes the first step: after
    construction ``last_epoch`` is ``0`` (or ``N + 1`` when built with ``last_epoch=N``),
    exactly where that many sequential ``step()`` calls from a fresh start would be.

    Args:
        optimizer: the wrapped optimizer.
        first_cycle_steps: :math:`L_0`, steps in the first cycle (``> warmup_steps``).
        cycle_mult: :math:`m \ge 1`, growth of the annealing part of each cycle.
        max_lr: peak LR of cycle 0: one float for every group, a list with one per
            group, or ``None`` for each group's own initial LR.
        min_lr: floor of the schedule, one float or a list with one per group.
        warmup_steps: :math:`W \ge 0`, steps of linear warmup at the start of each cycle.
        gamma: :math:`\gamma \in (0, 1]`, the factor applied to the peak at each restart.
        last_epoch: index of the last step taken, ``-1`` for a fresh start.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        first_cycle_steps: int,
        cycle_mult: float = 1.0,
        max_lr: LRArg = 0.1,
        min_lr: LRArg = 0.001,
        warmup_steps: int = 0,
        gamma: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
            )
        first, mult, warmup, gamma = _check_restart_shape(
            first_cycle_steps, cycle_mult, warmup_steps, gamma
        )
        last_epoch = check_int("last_epoch", last_epoch, minimum=-1)
        groups = optimizer.param_groups
        if max_lr is None:
            max_lrs = []
            for i, group in enumerate(groups):
                if "initial_lr" in group:
                    lr = group["initial_lr"]
                elif last_epoch == -1:
                    lr = group["lr"]
                else:
                    raise ValueError(
                        f"max_lr=None with last_epoch={last_epoch} needs 'initial_lr' in "
                        f"param_groups[{i}]: load the optimizer's state_dict first, or pass max_lr"
                    )
                max_lrs.append(
                    check_real(
                        f"param_groups[{i}]['lr'] (max_lr=None)", float(lr), minimum=0.0
                    )
                )
        else:
            max_lrs = check_lr_list("max_lr", max_lr, len(groups))
        min_lrs = check_lr_list("min_lr", min_lr, len(groups))
        for i, (hi, lo) in enumerate(zip(max_lrs, min_lrs)):
            if lo > hi:
                where = "" if len(groups) == 1 else f" for param group {i}"
                raise ValueError(
                    f"min_lr must be <= max_lr{where}, got min_lr={lo}, max_lr={hi}"
                )
        if last_epoch != -1:
            for group, peak in zip(groups, max_lrs):
                group.setdefault("initial_lr", peak)

        self.first_cycle_steps = first
        self.cycle_mult = mult
        self.warmup_steps = warmup
        self.gamma = gamma
        self.max_lrs = max_lrs
        self.min_lrs = min_lrs
        self._cursor: tuple[int, int, int] = (
            0,
            first,
            0,
        )  # (start, length, index) of a cycle
        super().__init__(optimizer, last_epoch)

    # ------------------------------------------------------------------ where are we?

    def _position(self, t: int) -> tuple[int, int, int]:
        """Cycle index, position in the cycle and cycle length of step ``t``.

        Sequential stepping moves one cycle at a time from a cached cursor; any other
        jump asks :func:`lrlib.schedules._locate`, the closed form's own lookup.
        """
        start, length, k = self._cursor
        s = t - start
        if 0 <= s < length:
            return k, s, length
        if s >= length:  # the next cycle?
            nxt = _next_length(length, self.cycle_mult, self.warmup_steps)
            if s - length < nxt:
                self._cursor = (start + length, nxt, k + 1)
                return k + 1, s - length, nxt
        ks, ss, ls = _locate(
            np.asarray([t], dtype=np.int64),
            self.first_cycle_steps,
            self.cycle_mult,
            self.warmup_steps,
        )
        k, s, length = int(ks[0]), int(ss[0]), int(ls[0])
        self._cursor = (t - s, length, k)
        return k, s, length

    @property
    def cycle(self) -> int:
        """Index of the current cycle (0 for the first)."""
        return self._position(max(self.last_epoch, 0))[0]

    @property
    def step_in_cycle(self) -> int:
        """Steps since the current cycle began."""
        return self._position(max(self.last_epoch, 0))[1]

    @property
    def cur_cycle_steps(self) -> int:
        """Length of the current cycle."""
        return self._position(max(self.last_epoch, 0))[2]

    # ------------------------------------------------------------------ LRScheduler API

    def get_lr(self) -> list[float]:
        """LR of every param group at step ``last_epoch``, from the closed form."""
        t = self.last_epoch
        k, s, length = self._position(t if t > 0 else 0)
        warmup, gamma = self.warmup_steps, self.gamma
        return [
            _restart_value(k, s, length, warmup, hi, lo, gamma)
            for hi, lo in zip(self.max_lrs, self.min_lrs)
        ]

    _get_closed_form_lr = get_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one step, or jump to step ``epoch``.

        Unlike the built-ins, jumping is exact here (the LR is a function of the step),
        so ``step(epoch)`` is supported without a deprecation warning.
        """
        if epoch is None:
            super().step()
            return
        epoch = check_int("epoch", epoch, minimum=0)
        self._step_count += 1
        self._update_lr(epoch)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore after unpickling, re-marking the optimizer's ``step`` as PyTorch expects."""
        self.__dict__.update(state)
        if isinstance(state.get("optimizer"), Optimizer):
            _track_optimizer_step(state["optimizer"])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state and put the matching LR into the optimizer's param groups.

        Re-applying the LR makes the result independent of whether the optimizer's state
        was loaded before or after this scheduler's.
        """
        super().load_state_dict(state_dict)
        self._cursor = (0, self.first_cycle_steps, 0)
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = list(values)
