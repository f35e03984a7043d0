"""Scheduler classes built on the closed forms in :mod:`lrlib.schedules`.

:class:`CosineAnnealingWarmupRestarts` is a drop-in for the widely copied class of the
same name: same constructor, same schedule when that class works, and the right
answer where it does not (see the class docstring). The LR is always the closed form
evaluated at ``last_epoch``; ``step()`` only moves ``last_epoch``.
"""

from __future__ import annotations

import functools
import numbers
import weakref
from collections.abc import Mapping
from typing import Any, Sequence, Union

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from ._validate import MAX_STEP, check_int, check_lr_list, check_real, check_step_count
from .schedules import _check_restart_shape, _next_length, _restart_value, _table

__all__ = ["CosineAnnealingWarmupRestarts"]

LRArg = Union[float, Sequence[float], None]


def _track_optimizer_step(optimizer: Optimizer) -> None:
    """Mark ``optimizer.step`` so PyTorch can tell whether it ran before
    ``scheduler.step()``.

    ``LRScheduler.__init__`` does this; an unpickled optimizer has lost the mark, so
    :meth:`CosineAnnealingWarmupRestarts.__setstate__` puts it back.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__  # type: ignore[attr-defined]  # a bound method

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = opt_ref()
        opt._opt_called = True  # type: ignore[union-attr]
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


class CosineAnnealingWarmupRestarts(LRScheduler):
    r"""Cosine annealing with linear warmup, warm restarts and a decaying peak.

    Cycle :math:`k` lasts :math:`L_k` steps, with :math:`L_0` = ``first_cycle_steps``
    and :math:`L_{k+1} = \lfloor (L_k - W)\,m \rfloor + W`, and peaks at
    :math:`P_k = \max(\eta_{\max}\,\gamma^k,\ \eta_{\min})`. At position :math:`s`
    in cycle :math:`k` the LR rises linearly from :math:`\eta_{\min}` to :math:`P_k`
    over the first :math:`W` steps, then falls along half a cosine back to
    :math:`\eta_{\min}`:

    .. math::
        \eta = \eta_{\min} + (P_k - \eta_{\min}) \cdot \begin{cases}
            s / W & s < W \\
            \big(1 + \cos(\pi\,(s - W)/(L_k - W))\big)/2 & s \ge W.
        \end{cases}

    The values come from :func:`lrlib.cosine_warmup_restarts_lr`, so sequential
    ``step()``, ``step(epoch)``, ``last_epoch=N`` and a resumed ``state_dict()`` all
    give the same LR for the same step. Compared with the popular implementation:

    * with ``warmup_steps=0`` a cycle starts at its peak, not at ``min_lr``;
    * ``step(epoch)`` and ``last_epoch`` agree with sequential stepping for every
      ``cycle_mult`` and warmup;
    * the peak never decays below ``min_lr``;
    * ``max_lr``/``min_lr`` may be per-group lists, and ``max_lr=None`` keeps each
      group's own initial LR as its peak;
    * resuming does not depend on whether the optimizer or the scheduler is loaded
      first, alone or inside ``SequentialLR``/``ChainedScheduler`` (see below);
    * bad arguments, and a bad or mismatched ``state_dict``, raise
      ``ValueError``/``TypeError`` naming the argument or the entry.

    **Resuming.** Build the optimizer and the scheduler as before, then load the two
    ``state_dict()``\ s in either order: the LR is then exactly that of the
    uninterrupted run, for this class on its own and in any position of a
    ``SequentialLR`` or ``ChainedScheduler``. :meth:`load_state_dict` writes the LR
    into the param groups only to undo this scheduler's own write at construction,
    which happens when the optimizer's state was loaded *before* the scheduler was
    built: it writes only if the param groups are still the very ones this
    scheduler last wrote to and still hold what it wrote. ``optimizer.load_state_dict``
    replaces the param groups, so once the optimizer's state is in (with the LR the
    composite had reached), a sub-scheduler leaves it alone. Loading the optimizer's
    state before building the scheduler works for this class on its own; inside a
    composite it does not, for the built-ins either (PyTorch's documentation asks
    for the scheduler to be built first).

    **Inside** ``ChainedScheduler``. This class sets absolute values, like
    ``CosineAnnealingWarmRestarts``: each ``step()`` writes :math:`\eta(t)`, whatever
    the group held. A multiplicative scheduler chained *after* it, such as
    ``ExponentialLR(gamma=0.5)``, then scales that fresh value once per step, so the
    chain gives :math:`0.5\,\eta(t)` from step 1 on (:math:`\eta(0)` at step 0,
    where the built-ins do not multiply), not :math:`\eta(t)\,0.5^{t}`. Chained
    *before* it, the multiplicative scheduler has no effect at all.

    **Range.** Steps run up to ``2**63 - 1``; ``step(epoch)``, ``last_epoch`` and a
    loaded ``last_epoch`` beyond that raise a ``ValueError``, and so does stepping
    past it. Finding the cycle of a step is a bisection in a cached table (see
    :func:`lrlib.cosine_warmup_restarts_lr`), so a jump costs a bisection, not a walk
    over the cycles before it.

    Like every PyTorch scheduler, the constructor takes the first step: after
    construction ``last_epoch`` is ``0`` (or ``N + 1`` when built with
    ``last_epoch=N``), exactly where that many sequential ``step()`` calls from a
    fresh start would be.

    Args:
        optimizer: the wrapped optimizer.
        first_cycle_steps: :math:`L_0`, steps in the first cycle (``> warmup_steps``).
        cycle_mult: :math:`m \ge 1`, growth of the annealing part of each cycle.
        max_lr: peak LR of cycle 0: one float for every group, a list with one per
            group, or ``None`` for each group's own initial LR.
        min_lr: floor of the schedule, one float or a list with one per group.
        warmup_steps: :math:`W \ge 0`, steps of linear warmup at the start of each
            cycle.
        gamma: :math:`\gamma \in (0, 1]`, the factor applied to the peak at each
            restart.
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
                "optimizer must be a torch.optim.Optimizer, got "
                f"{type(optimizer).__name__}"
            )
        first, mult, warmup, gamma = _check_restart_shape(
            first_cycle_steps, cycle_mult, warmup_steps, gamma
        )
        last_epoch = check_int(
            "last_epoch", last_epoch, minimum=-1, maximum=MAX_STEP - 1
        )
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
                        f"max_lr=None with last_epoch={last_epoch} needs 'initial_lr' "
                        f"in param_groups[{i}]: load the optimizer's state_dict first, "
                        "or pass max_lr"
                    )
                if not isinstance(lr, numbers.Real):
                    raise TypeError(
                        f"max_lr=None needs a number in param_groups[{i}]['lr'], got "
                        f"{type(lr).__name__}"
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
        self._cursor: tuple[int, int, int] = (0, first, 0)  # (start, length, k)
        # (group, lr) of our last write
        self._written: list[tuple[dict[str, Any], Any]] = []
        super().__init__(optimizer, last_epoch)

    # ------------------------------------------------------------------ where are we?

    def _position(self, t: int) -> tuple[int, int, int]:
        """Cycle index, position in the cycle and cycle length of step ``t``.

        Sequential stepping moves one cycle at a time from a cached cursor; any other
        jump asks the closed form's cycle table (a bisection).
        """
        if t > MAX_STEP:
            raise ValueError(
                f"step {t} is beyond the last step of the schedule, 2**63 - 1"
            )
        start, length, k = self._cursor
        s = t - start
        if 0 <= s < length:
            return k, s, length
        if s >= length:  # the next cycle?
            nxt = _next_length(length, self.cycle_mult, self.warmup_steps)
            if s - length < nxt:
                self._cursor = (start + length, nxt, k + 1)
                return k + 1, s - length, nxt
        table = _table(self.first_cycle_steps, self.cycle_mult, self.warmup_steps)
        k, s, length = table.locate(t)
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

    def get_lr(self) -> list[float]:  # type: ignore[override]  # floats only
        """LR of every param group at step ``last_epoch``, from the closed form."""
        t = self.last_epoch
        k, s, length = self._position(t if t > 0 else 0)
        warmup, gamma = self.warmup_steps, self.gamma
        part = length - warmup
        return [
            _restart_value(k, s, part, warmup, hi, lo, gamma)
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
        epoch = check_step_count("epoch", epoch)
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        # every write of the LR goes through here (step(), step(epoch), the
        # constructor's step, SequentialLR's milestone switch): remember it
        if epoch is None and self.last_epoch >= MAX_STEP:
            raise ValueError(
                "cannot step past step 2**63 - 1, the last step of the schedule"
            )
        super()._update_lr(epoch)
        self._remember_write()

    def _remember_write(self) -> None:
        self._written = [(g, g["lr"]) for g in self.optimizer.param_groups]

    def _holds_own_write(self) -> bool:
        """Whether the param groups are the ones this scheduler last wrote to, still
        holding what it wrote (no ``optimizer.load_state_dict`` and no other
        scheduler since)."""
        groups = self.optimizer.param_groups
        return len(groups) == len(self._written) and all(
            g is w and g["lr"] == lr for g, (w, lr) in zip(groups, self._written)
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore after unpickling, re-marking the optimizer's ``step`` as PyTorch
        expects."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_written", [])
        if isinstance(state.get("optimizer"), Optimizer):
            _track_optimizer_step(state["optimizer"])

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: plain numbers and lists (``torch.save`` with
        ``weights_only=True`` loads it), without the optimizer."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "_written")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict`, after checking it.

        Every entry is validated before anything changes (a ``ValueError`` or
        ``TypeError`` names the entry): ``last_epoch`` an integer in
        ``[-1, 2**63 - 1]``, the cycle shape as in the constructor, and one finite
        ``max_lr``/``min_lr``/``base_lr``/last LR per param group of *this*
        optimizer. The LR is written into the param groups only when this scheduler's
        own construction put the current values there (see the class notes on
        resuming).
        """
        state = _checked_state(state_dict, len(self.optimizer.param_groups))
        owns = self._holds_own_write()
        self.__dict__.update(state)
        self._cursor = (0, self.first_cycle_steps, 0)
        if owns:
            values = self.get_lr()
            for group, lr in zip(self.optimizer.param_groups, values):
                group["lr"] = lr
            self._last_lr = list(values)
            self._remember_write()


_STATE_KEYS = {
    "last_epoch",
    "first_cycle_steps",
    "cycle_mult",
    "warmup_steps",
    "gamma",
    "max_lrs",
    "min_lrs",
    "base_lrs",
    "_last_lr",
    "_step_count",
}
_OPTIONAL_KEYS = {"_cursor", "_get_lr_called_within_step", "_is_initial"}


def _lr_entries(state: Mapping[str, Any], key: str, n_groups: int) -> list[float]:
    values = state[key]
    if not isinstance(values, (list, tuple)):
        raise TypeError(
            f"state_dict[{key!r}] must be a list, got {type(values).__name__}"
        )
    if len(values) != n_groups:
        raise ValueError(
            f"state_dict[{key!r}] has {len(values)} entries but the optimizer has "
            f"{n_groups} param groups"
        )
    return [
        check_real(f"state_dict[{key!r}][{i}]", v, minimum=0.0)
        for i, v in enumerate(values)
    ]


def _checked_state(state_dict: Any, n_groups: int) -> dict[str, Any]:
    """A validated copy of a :class:`CosineAnnealingWarmupRestarts` state."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
    keys = set(state_dict)
    missing = sorted(_STATE_KEYS - keys)
    if missing:
        raise ValueError(f"state_dict lacks the entries {missing}")
    unknown = sorted(str(k) for k in keys - _STATE_KEYS - _OPTIONAL_KEYS)
    if unknown:
        raise ValueError(
            f"state_dict has entries {unknown} that this scheduler does not save"
        )
    first, mult, warmup, gamma = _check_restart_shape(
        state_dict["first_cycle_steps"],
        state_dict["cycle_mult"],
        state_dict["warmup_steps"],
        state_dict["gamma"],
    )
    last_epoch = check_int(
        "state_dict['last_epoch']",
        state_dict["last_epoch"],
        minimum=-1,
        maximum=MAX_STEP,
    )
    step_count = check_int(
        "state_dict['_step_count']", state_dict["_step_count"], minimum=0
    )
    max_lrs = _lr_entries(state_dict, "max_lrs", n_groups)
    min_lrs = _lr_entries(state_dict, "min_lrs", n_groups)
    for i, (hi, lo) in enumerate(zip(max_lrs, min_lrs)):
        if lo > hi:
            raise ValueError(
                f"state_dict['min_lrs'][{i}] must be <= state_dict['max_lrs'][{i}], "
                f"got {lo} > {hi}"
            )
    state = {
        "first_cycle_steps": first,
        "cycle_mult": mult,
        "warmup_steps": warmup,
        "gamma": gamma,
        "last_epoch": last_epoch,
        "_step_count": step_count,
        "max_lrs": max_lrs,
        "min_lrs": min_lrs,
        "base_lrs": _lr_entries(state_dict, "base_lrs", n_groups),
        "_last_lr": _lr_entries(state_dict, "_last_lr", n_groups),
    }
    for key in ("_get_lr_called_within_step", "_is_initial"):
        if key in state_dict:
            if not isinstance(state_dict[key], bool):
                raise TypeError(f"state_dict[{key!r}] must be a bool")
            state[key] = state_dict[key]
    return state
