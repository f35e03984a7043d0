r"""Learning-rate schedules in closed form.

Every function here maps a step index ``t`` (an ``int`` or a NumPy integer array) to the
learning rate used at that step, with no state. Passing an array evaluates the whole
curve at once, which is how the book draws its plots and why it can jump to any step
without replaying the ones before it.

The functions that mirror a PyTorch built-in return what that scheduler gives after
``t`` calls of ``scheduler.step()``:

==============================  =======================================================
:func:`step_lr`                 ``StepLR``: :math:`\eta_0\gamma^{\lfloor t/s\rfloor}`
:func:`multistep_lr`            ``MultiStepLR``: :math:`\eta_0\gamma^{\#\{m_i\le t\}}`
:func:`exponential_lr`          ``ExponentialLR``: :math:`\eta_0\,\gamma^{t}`
:func:`constant_lr`             ``ConstantLR``
:func:`linear_lr`               ``LinearLR``
:func:`polynomial_lr`           ``PolynomialLR``
:func:`cosine_annealing_lr`     ``CosineAnnealingLR``, including past ``T_max``
:func:`cosine_warm_restarts_lr` ``CosineAnnealingWarmRestarts``
==============================  =======================================================

The others are schedules with no single built-in: :func:`warmup_cosine_lr`,
:func:`cosine_warmup_restarts_lr` (the schedule of
:class:`lrlib.CosineAnnealingWarmupRestarts`), :func:`linear_decay_lr`,
:func:`inverse_sqrt_lr` and :func:`wsd_lr` (warmup-stable-decay).

**Range.** Steps, and arguments that count steps (``step_size``, ``milestones``,
``T_max``, ``T_0``, ``total_iters``, ``total_steps``, ``warmup_steps``,
``decay_steps``, ``first_cycle_steps``), are integers from 0 to ``2**63 - 1``
(:data:`lrlib._validate.MAX_STEP`, the int64 range). Anything outside raises a
``ValueError`` naming the argument, instead of wrapping around.

**Precision.** The integer part of every formula is exact over that whole range: floor
divisions, counts of milestones, and, in every periodic schedule, the position inside
the period or cycle, which is reduced *as an integer* before any floating-point
arithmetic. What remains is one ratio of integers, one cosine, power or square root
and a multiply-add, so each value is within a few ulp of the exact one at any step
(the tests compare with ``mpmath`` at :math:`10^6`, :math:`10^9` and :math:`10^{15}`
steps, to :math:`4\cdot 10^{-16}` of the base LR). Schedules with bounds return values
inside them exactly: ``min_lr <= lr <= max_lr`` holds without a rounding error on
either side.

**Against PyTorch.** The tests compare each function with stepping its built-in, to
``1e-12`` (``2e-12`` for ``CosineAnnealingLR``, over up to 5,000 steps). Where they
differ, lrlib is the exact side: ``CosineAnnealingLR`` updates its LR recursively, by
ratios of cosines, and drifts from its own formula as it steps (by 1.4e-12 after 665
steps with ``T_max=333``, ``base_lr=1`` and ``eta_min=0.5``).
"""

from __future__ import annotations

import bisect
import functools
import math
from typing import Any, Callable, Sequence, Union, cast, overload

import numpy as np
import torch

from ._validate import (
    MAX_STEP,
    check_int,
    check_real,
    check_step_count,
    check_steps,
    check_str,
)

__all__ = [
    "step_lr",
    "multistep_lr",
    "exponential_lr",
    "constant_lr",
    "linear_lr",
    "polynomial_lr",
    "cosine_annealing_lr",
    "cosine_warm_restarts_lr",
    "warmup_cosine_factor",
    "warmup_cosine_lr",
    "linear_warmup_factor",
    "cosine_warmup_restarts_lr",
    "restart_cycles",
    "linear_decay_lr",
    "inverse_sqrt_lr",
    "wsd_lr",
]

Steps = Union[int, np.integer, np.ndarray, Sequence[int]]
LR = Union[float, np.ndarray]

#: The most cycles :func:`restart_cycles` lists.
MAX_CYCLES = 100_000


def _out(values: np.ndarray, scalar: bool) -> LR:
    values = np.asarray(values, dtype=np.float64)
    return float(values.reshape(-1)[0]) if scalar else values


def _ratio(a: np.ndarray, b: int | np.ndarray, shift: int = 0) -> np.ndarray:
    """``(a - shift) / (b - shift)`` in float64 for integer arrays.

    Casting inside the subtraction is several times faster than casting a finished
    integer array that holds negative values.
    """
    ratio: np.ndarray = np.subtract(a, shift, dtype=np.float64) / np.subtract(
        b, shift, dtype=np.float64
    )
    return ratio


def _half_cosine(p: np.ndarray) -> np.ndarray:
    """:math:`(1 + \\cos \\pi p)/2`: 1 at ``p = 0``, 0 at ``p = 1``.

    The cosine is PyTorch's vectorised one (within 1 ulp of NumPy's, and several times
    faster on CPUs where NumPy's float64 cosine is scalar).
    """
    angle = np.multiply(p, np.pi, dtype=np.float64)
    return (
        1.0
        + torch.cos(torch.from_numpy(np.atleast_1d(angle))).numpy().reshape(angle.shape)
    ) / 2.0


def _between(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` clipped to ``[min(lo, hi), max(lo, hi)]``: the bounds of a schedule,
    held exactly (``lo + (hi - lo) * 1`` can round one ulp past ``hi``)."""
    a, b = (lo, hi) if lo <= hi else (hi, lo)
    return cast(np.ndarray, np.clip(values, a, b))  # numpy's stubs give Any here


_TWO53 = 2**53


def _power(gamma: float, k: np.ndarray, name: str = "gamma") -> np.ndarray:
    r""":math:`\gamma^k` for integer exponents ``k >= 0``, over the whole int64 range.

    Exponents above :math:`2^{53}` are not exact as floats: the power is then split as
    :math:`\gamma^{\hat k}\,\gamma^{k - \hat k}` with :math:`\hat k` the float nearest
    ``k``, so the result stays within two ulp. A power that overflows float64 (``gamma
    > 1`` and many steps) raises a ``ValueError`` naming ``name``.
    """
    k = np.asarray(k, dtype=np.int64)
    if gamma == 0.0:
        return np.where(k == 0, 1.0, 0.0)
    if gamma == 1.0:
        return np.ones(k.shape)
    kf = k.astype(np.float64)
    with np.errstate(over="ignore", under="ignore"):
        out = np.power(gamma, kf)
        big = k > _TWO53
        if np.any(big):
            rest = (k.astype(np.uint64) - kf.astype(np.uint64)).view(np.int64)
            fix = np.power(gamma, rest.astype(np.float64))
            out = np.where(big & (out != 0.0), out * fix, out)
    if not np.all(np.isfinite(out)):
        i = int(np.flatnonzero(~np.isfinite(out.reshape(-1)))[0])
        raise ValueError(
            f"{name}={gamma!r} raised to the power {int(k.reshape(-1)[i])} overflows "
            "float64: use fewer steps or a smaller gamma"
        )
    return out


# ------------------------------------------------------------------------- built-ins


def step_lr(step: Steps, *, base_lr: float, step_size: int, gamma: float = 0.1) -> LR:
    r"""``StepLR``: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor}`, with
    :math:`s` = ``step_size``.

    ``gamma > 1`` grows the LR, as in PyTorch; a value that would overflow float64
    raises a ``ValueError`` instead of returning ``inf``.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    step_size = check_step_count("step_size", step_size, minimum=1)
    gamma = check_real("gamma", gamma, minimum=0.0)
    return _out(base_lr * _power(gamma, t // step_size), scalar)


def multistep_lr(
    step: Steps, *, base_lr: float, milestones: Sequence[int], gamma: float = 0.1
) -> LR:
    r"""``MultiStepLR``: :math:`\eta_t = \eta_0\,\gamma^{k(t)}`, with :math:`k(t)` the
    number of milestones :math:`\le t` (a milestone listed twice counts twice, as in
    PyTorch)."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    gamma = check_real("gamma", gamma, minimum=0.0)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise TypeError(
            "milestones must be a sequence of integers, got "
            f"{type(milestones).__name__}"
        )
    ms = np.sort(
        np.asarray(
            [check_step_count(f"milestones[{i}]", m) for i, m in enumerate(milestones)],
            dtype=np.int64,
        )
    )
    k = np.searchsorted(ms, t, side="right")
    return _out(base_lr * _power(gamma, k), scalar)


def exponential_lr(step: Steps, *, base_lr: float, gamma: float) -> LR:
    r"""``ExponentialLR``: :math:`\eta_t = \eta_0\,\gamma^{t}`.

    ``gamma > 1`` grows the LR, as in PyTorch; a value that would overflow float64
    raises a ``ValueError`` instead of returning ``inf``.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    gamma = check_real("gamma", gamma, minimum=0.0)
    return _out(base_lr * _power(gamma, t), scalar)


def constant_lr(
    step: Steps, *, base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5
) -> LR:
    r"""``ConstantLR``: :math:`\eta_t = \eta_0 \cdot \text{factor}` for
    :math:`t <` ``total_iters``, then :math:`\eta_0`.

    ``total_iters=0`` applies the factor forever, which is what stepping
    ``ConstantLR(total_iters=0)`` does: the factor is applied at construction and the
    step that would remove it (step ``total_iters``) has already passed. (PyTorch's
    own closed form, used by the deprecated ``step(epoch)``, gives :math:`\eta_0`
    instead; lrlib follows ``step()``.)
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    factor = check_real("factor", factor, minimum=0.0, maximum=1.0)
    total_iters = check_step_count("total_iters", total_iters)
    scaled = (t < total_iters) | (total_iters == 0)
    return _out(np.where(scaled, base_lr * factor, base_lr), scalar)


def linear_lr(
    step: Steps,
    *,
    base_lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> LR:
    r"""``LinearLR``: the factor moves linearly from ``start_factor`` to ``end_factor``,

    .. math:: \eta_t = \eta_0\Big(s + (e - s)\,\frac{\min(t, T)}{T}\Big).
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    start_factor = check_real(
        "start_factor", start_factor, minimum=0.0, maximum=1.0, min_inclusive=False
    )
    end_factor = check_real("end_factor", end_factor, minimum=0.0, maximum=1.0)
    total_iters = check_step_count("total_iters", total_iters, minimum=1)
    frac = np.minimum(t, total_iters) / total_iters
    f = _between(
        start_factor + (end_factor - start_factor) * frac, start_factor, end_factor
    )
    return _out(base_lr * f, scalar)


def polynomial_lr(
    step: Steps, *, base_lr: float, total_iters: int = 5, power: float = 1.0
) -> LR:
    r"""``PolynomialLR``: :math:`\eta_t = \eta_0\,(1 - \min(t, T)/T)^{p}`."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    total_iters = check_step_count("total_iters", total_iters, minimum=1)
    power = check_real("power", power, minimum=0.0)
    return _out(
        base_lr * (1.0 - np.minimum(t, total_iters) / total_iters) ** power, scalar
    )


def cosine_annealing_lr(
    step: Steps, *, base_lr: float, T_max: int, eta_min: float = 0.0
) -> LR:
    r"""``CosineAnnealingLR``:

    .. math::
        \eta_t = \eta_{\min}
        + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi t / T_{\max})}{2}.

    The formula holds for every ``t``, including past ``T_max``: the LR then climbs back
    to ``base_lr`` at ``2 * T_max``, a period of ``2 * T_max``. This is what PyTorch's
    recursive form does too, so to stop at ``eta_min`` you must stop stepping (or use
    :func:`warmup_cosine_lr`, which clamps).

    ``t`` is reduced modulo the period :math:`2T_{\max}` as an integer first, so the
    value is as precise at step :math:`10^{15}` as in the first period; PyTorch's
    recursive form drifts instead (see the module notes).
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    T_max = check_step_count("T_max", T_max, minimum=1)
    eta_min = check_real("eta_min", eta_min, minimum=0.0)
    period = 2 * T_max
    r = t % period if period <= MAX_STEP else t
    lr = eta_min + (base_lr - eta_min) * _half_cosine(_ratio(r, T_max))
    return _out(_between(lr, eta_min, base_lr), scalar)


def cosine_warm_restarts_lr(
    step: Steps, *, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> LR:
    r"""``CosineAnnealingWarmRestarts`` (SGDR) under sequential ``step()``.

    Cycle :math:`i` lasts :math:`T_i = T_0 T_{\text{mult}}^{\,i}` steps. With
    :math:`T_{\text{cur}}` the steps since the last restart,

    .. math::
        \eta_t = \eta_{\min}
        + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi T_{\text{cur}}/T_i)}{2}.

    The cycle and :math:`T_{\text{cur}}` are found with integer arithmetic, exactly, at
    any step up to ``2**63 - 1``.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    T_0 = check_step_count("T_0", T_0, minimum=1)
    T_mult = check_step_count("T_mult", T_mult, minimum=1)
    eta_min = check_real("eta_min", eta_min, minimum=0.0)
    _, s, length = _locate(t, T_0, T_mult, 0)
    lr = eta_min + (base_lr - eta_min) * _half_cosine(np.divide(s, length))
    return _out(_between(lr, eta_min, base_lr), scalar)


# ------------------------------------------------------------------- warmup + cosine


def linear_warmup_factor(
    step: Steps, *, warmup_steps: int, start_factor: float = 0.0
) -> LR:
    r"""Linear warmup factor: :math:`s + (1-s)\,t/W` for :math:`t < W`, then 1.

    With ``warmup_steps=0`` the factor is 1 from the start.
    """
    t, scalar = check_steps(step)
    warmup_steps = check_step_count("warmup_steps", warmup_steps)
    start_factor = check_real("start_factor", start_factor, minimum=0.0, maximum=1.0)
    if warmup_steps == 0:
        return _out(np.ones(t.shape), scalar)
    ramp = _between(
        start_factor + (1.0 - start_factor) * t / warmup_steps, start_factor, 1
    )
    return _out(np.where(t < warmup_steps, ramp, 1.0), scalar)


def check_warmup_cosine(
    total_steps: int, warmup_steps: int, min_factor: float, start_factor: float
) -> tuple[int, int, float, float]:
    """Validate the arguments of :func:`warmup_cosine_factor` and
    :class:`lrlib.WarmupCosine`."""
    total_steps = check_step_count("total_steps", total_steps, minimum=1)
    warmup_steps = check_step_count("warmup_steps", warmup_steps)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_steps must be < total_steps, got warmup_steps={warmup_steps}, "
            f"total_steps={total_steps}"
        )
    min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
    start_factor = check_real("start_factor", start_factor, minimum=0.0, maximum=1.0)
    return total_steps, warmup_steps, min_factor, start_factor


def warmup_cosine_factor(
    step: Steps,
    *,
    total_steps: int,
    warmup_steps: int,
    min_factor: float = 0.0,
    start_factor: float = 0.0,
) -> LR:
    r"""Warmup-then-cosine factor (multiply by the base LR to get the LR).

    .. math::
        f(t) = \begin{cases}
          s + (1 - s)\,t / W & t < W \\
          m + (1 - m)\,\dfrac{1 + \cos(\pi p)}{2},\quad
          p = \operatorname{clip}\!\Big(\dfrac{t - W}{T - W}, 0, 1\Big) & t \ge W
        \end{cases}

    with :math:`W` = ``warmup_steps``, :math:`T` = ``total_steps``, :math:`m` =
    ``min_factor`` and :math:`s` = ``start_factor`` (0 by default, so the first step
    trains at LR 0). Clamping :math:`p` keeps the factor at :math:`m` after
    :math:`T` instead of letting it climb back up.
    """
    t, scalar = check_steps(step)
    total_steps, warmup_steps, min_factor, start_factor = check_warmup_cosine(
        total_steps, warmup_steps, min_factor, start_factor
    )
    p = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    decay = _between(min_factor + (1.0 - min_factor) * _half_cosine(p), min_factor, 1.0)
    if warmup_steps == 0:
        return _out(decay, scalar)
    ramp = _between(
        start_factor + (1.0 - start_factor) * t / warmup_steps, start_factor, 1.0
    )
    return _out(np.where(t < warmup_steps, ramp, decay), scalar)


def warmup_cosine_lr(
    step: Steps,
    *,
    base_lr: float,
    total_steps: int,
    warmup_steps: int,
    min_factor: float = 0.0,
    start_factor: float = 0.0,
) -> LR:
    """``base_lr * warmup_cosine_factor(...)``: see :func:`warmup_cosine_factor`."""
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    f = warmup_cosine_factor(
        step,
        total_steps=total_steps,
        warmup_steps=warmup_steps,
        min_factor=min_factor,
        start_factor=start_factor,
    )
    return base_lr * f


# ------------------------------------------------------------ cosine warmup restarts
#
# Cycle k has an annealing part of a_k = L_k - W steps, with a_{k+1} = floor(a_k * m)
# evaluated as the popular class does (Python float times int, floored), or exactly in
# integers when m is an int (SGDR's T_mult). There is no closed form for nested floors,
# but the sequence has structure that makes a lookup cheap:
#
# * a fixed point (a_{k+1} = a_k, e.g. m = 1): one length forever, found by division;
# * runs of equal increments c = a_{k+1} - a_k, long when c * (m - 1) is small: the
#   starts within a run are a quadratic in the cycle index, inverted with an integer
#   square root; where a run ends is found by bisection on an exact, monotone test;
# * otherwise (c * (m - 1) >= 1/16: lengths grow geometrically) every cycle is
#   walked once, in blocks of 64, and never more than about log_m(2**63) of them.
#
# The table of runs and blocks is built lazily and cached per configuration, so a
# lookup is a bisection plus O(1) work (at most 64 steps inside a block).

_RUN_CAP = 2**51  # runs are searched while a cycle's annealing part stays below this
_BLOCK = 64  # cycles per walked block
_RUN_MIN = 1.0 / 16  # search runs when c * (m - 1) is below this (runs of >= 16 cycles)


def _next_length(length: int, cycle_mult: float, warmup_steps: int) -> int:
    """Length of the cycle after one of ``length`` steps (the class's recurrence)."""
    if isinstance(cycle_mult, int):
        return (length - warmup_steps) * cycle_mult + warmup_steps
    return math.floor((length - warmup_steps) * cycle_mult) + warmup_steps


@overload
def _tri(j: int) -> int: ...
@overload
def _tri(j: np.ndarray) -> np.ndarray: ...
def _tri(j: int | np.ndarray) -> int | np.ndarray:
    """``j * (j - 1) // 2`` without an int64 overflow in the product."""
    if isinstance(j, np.ndarray):
        even = j % 2 == 0
        return cast(np.ndarray, np.where(even, (j // 2) * (j - 1), j * ((j - 1) // 2)))
    return j * (j - 1) // 2


class _CycleTable:
    """The cycles of one restart configuration, as runs and walked blocks.

    ``entries[i] = (start, k, a, c, n)``: from step ``start`` on, ``n`` cycles
    ``k, k+1, ...`` whose annealing parts are ``a, a + c, a + 2c, ...`` (``c >= 0``;
    ``c == 0`` with ``n == 0`` is a fixed point that repeats forever), or, with
    ``c == -1``, ``n`` cycles from ``a`` on that are walked with the recurrence.
    """

    def __init__(self, first: int, mult: float | int, warmup: int) -> None:
        self.mult = mult
        self.warmup = warmup
        self.exact = isinstance(mult, int)
        self.delta = float(mult) - 1.0
        self.starts: list[int] = []
        self.ks: list[int] = []
        self.entries: list[tuple[int, int, int, int, int]] = []
        self._next = (0, 0, first - warmup)  # (start, k, a) of the next cycle
        self._done = False

    def nxt(self, a: int) -> int:
        if self.exact:
            return cast(int, a * self.mult)  # exact: mult is an int
        return math.floor(a * self.mult)

    def _add(self, start: int, k: int, a: int, c: int, n: int) -> None:
        self.starts.append(start)
        self.ks.append(k)
        self.entries.append((start, k, a, c, n))

    def _run(self, a: int, c: int) -> int:
        """Index ``q >= 1`` of the last cycle of the run that starts with ``a``.

        ``bad(j)``: the increment after cycle ``j`` is not ``c``. It is monotone in
        ``j`` (false, then true): ``floor(fl(x * m)) - x`` never decreases while ``x``
        and ``x * m`` are exact below 2**53, because rounding to nearest is monotone.
        """
        nxt = self.nxt

        def bad(j: int) -> bool:
            x = a + j * c
            return nxt(x) - x != c

        jmax = (_RUN_CAP - a) // c
        est = int((c + 1 - a * self.delta) / (c * self.delta))
        est = min(max(est, 1), jmax)
        if bad(est):
            hi, step = est, 1
            while True:
                lo = max(hi - step, 0)
                if not bad(lo):
                    break
                hi, step = lo, step * 2
        else:
            lo, step = est, 1
            while True:
                if lo >= jmax:
                    return jmax
                hi = min(lo + step, jmax)
                if bad(hi):
                    break
                lo, step = hi, step * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if bad(mid):
                hi = mid
            else:
                lo = mid
        return hi

    def extend(self, target: int) -> None:
        """Add entries until one covers step ``target`` (or the table is complete)."""
        W = self.warmup
        while not self._done and self._next[0] <= target:
            start, k, a = self._next
            c = self.nxt(a) - a
            if c == 0:
                self._add(start, k, a, 0, 0)
                self._done = True
                return
            if (
                not self.exact
                and c > 0
                and c * self.delta < _RUN_MIN
                and a + 16 * c <= _RUN_CAP
            ):
                q = self._run(a, c)
                n = q + 1
                self._add(start, k, a, c, n)
                start += n * (a + W) + c * _tri(n)
                k += n
                a = self.nxt(a + q * c)
            else:
                s0, k0, a0, n = start, k, a, 0
                while n < _BLOCK and start <= MAX_STEP:
                    nxt = self.nxt(a)
                    start, k, n = start + a + W, k + 1, n + 1
                    if nxt == a:  # a fixed point after all: let the loop add it
                        break
                    a = nxt
                self._add(s0, k0, a0, -1, n)
            self._next = (start, k, a)
            if start > MAX_STEP:
                self._done = True

    def locate(self, t: int) -> tuple[int, int, int]:
        """``(cycle index, position in the cycle, cycle length)`` of step ``t``."""
        self.extend(t)
        start, k, a, c, n = self.entries[bisect.bisect_right(self.starts, t) - 1]
        W, d = self.warmup, t - start
        if c < 0:
            while True:
                if d < a + W:
                    return k, d, a + W
                d -= a + W
                k += 1
                a = self.nxt(a)
        L0 = a + W
        if c == 0:
            j = d // L0
            return k + j, d - j * L0, L0
        b = 2 * L0 - c
        j = (math.isqrt(b * b + 8 * c * d) - b) // (2 * c)
        while (j + 1) * L0 + c * _tri(j + 1) <= d:
            j += 1
        while j * L0 + c * _tri(j) > d:
            j -= 1
        return k + j, d - (j * L0 + c * _tri(j)), L0 + c * j

    def _expand(self, k_lo: int, k_hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Starts (int64) and annealing parts (float64) of cycles ``k_lo..k_hi``."""
        W = self.warmup
        j: Any  # an int in the loops, an int64 array in the vectorised branch
        i = bisect.bisect_right(self.ks, k_lo) - 1
        starts: list[np.ndarray] = []
        parts: list[np.ndarray] = []
        while i < len(self.entries):
            start, k, a, c, n = self.entries[i]
            if k > k_hi:
                break
            j0 = max(k_lo - k, 0)
            j1 = k_hi - k if n == 0 else min(n - 1, k_hi - k)
            if c < 0 or j1 - j0 < 64:
                # walked blocks, and a few cycles (which may be longer than int64):
                # Python integers, exact
                s_list, a_list = [], []
                if c < 0:
                    s, x = start, a
                    for j in range(j1 + 1):
                        if j >= j0:
                            s_list.append(s)
                            a_list.append(float(x))
                        s += x + W
                        x = self.nxt(x)
                else:
                    for j in range(j0, j1 + 1):
                        s_list.append(start + j * (a + W) + c * _tri(j))
                        a_list.append(float(a + c * j))
                starts.append(np.asarray(s_list, dtype=np.int64))
                parts.append(np.asarray(a_list, dtype=np.float64))
            else:
                j = np.arange(j0, j1 + 1, dtype=np.int64)
                starts.append(start + j * (a + W) + c * _tri(j))
                parts.append((a + c * j).astype(np.float64))
            i += 1
        return np.concatenate(starts), np.concatenate(parts)

    def locate_array(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cycle index (int64), position (int64) and annealing part ``L - W``
        (float64) of every step in ``t``."""
        flat = t.reshape(-1)
        if flat.size == 0:
            e = np.zeros(t.shape, dtype=np.int64)
            return e, e.copy(), np.zeros(t.shape)
        lo, hi = int(flat.min()), int(flat.max())
        self.extend(hi)
        k_lo, k_hi = self.locate(lo)[0], self.locate(hi)[0]
        if flat.size > 32 and k_hi - k_lo < max(4 * flat.size, 1 << 16):
            starts, parts = self._expand(k_lo, k_hi)
            idx = np.searchsorted(starts, flat, side="right") - 1
            k, s, part = k_lo + idx, flat - starts[idx], parts[idx]
        else:
            found = [self.locate(int(x)) for x in flat]
            k = np.asarray([f[0] for f in found], dtype=np.int64)
            s = np.asarray([f[1] for f in found], dtype=np.int64)
            part = np.asarray([float(f[2] - self.warmup) for f in found])
        return k.reshape(t.shape), s.reshape(t.shape), part.reshape(t.shape)


@functools.lru_cache(maxsize=32, typed=True)
def _table(first: int, mult: float | int, warmup: int) -> _CycleTable:
    return _CycleTable(first, mult, warmup)


def _locate(
    t: np.ndarray, first: int, mult: float | int, warmup: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycle index ``k``, position ``s`` in the cycle, and the cycle's annealing part
    ``L - W`` (as float64) for each step."""
    return _table(first, mult, warmup).locate_array(t)


def _check_cycle_mult(cycle_mult: Any) -> float:
    """``cycle_mult`` in ``[1, 2**63]``: no cycle can usefully grow by more than the
    whole step range, and the bound keeps every cycle length finite."""
    mult = check_real("cycle_mult", cycle_mult, minimum=1.0)
    if mult > 2.0**63:
        raise ValueError(f"cycle_mult must be <= 2**63, got {mult}")
    return mult


def restart_cycles(
    n_cycles: int,
    *,
    first_cycle_steps: int,
    cycle_mult: float = 1.0,
    warmup_steps: int = 0,
) -> list[tuple[int, int]]:
    r"""``(start, length)`` of the first ``n_cycles`` cycles of
    :func:`cosine_warmup_restarts_lr`.

    Cycle 0 has ``first_cycle_steps`` steps, and each next one
    :math:`\lfloor (L_{k} - W)\,m \rfloor + W`. ``n_cycles`` is at most 100,000, and
    every cycle listed must start within the step range (``<= 2**63 - 1``).
    """
    n_cycles = check_int("n_cycles", n_cycles, minimum=0, maximum=MAX_CYCLES)
    first, mult, warmup, _ = _check_restart_shape(
        first_cycle_steps, cycle_mult, warmup_steps, 1.0
    )
    out, start, length = [], 0, first
    for i in range(n_cycles):
        if start > MAX_STEP:
            raise ValueError(
                f"n_cycles={n_cycles} with cycle_mult={cycle_mult!r}: cycle {i} would "
                f"start at step {start}, beyond the last step 2**63 - 1; ask for "
                "fewer cycles or a smaller cycle_mult"
            )
        out.append((start, length))
        start, length = start + length, _next_length(length, mult, warmup)
    return out


def _check_restart_shape(
    first_cycle_steps: Any, cycle_mult: Any, warmup_steps: Any, gamma: Any
) -> tuple[int, float, int, float]:
    first = check_step_count("first_cycle_steps", first_cycle_steps, minimum=1)
    mult = _check_cycle_mult(cycle_mult)
    warmup = check_step_count("warmup_steps", warmup_steps)
    if warmup >= first:
        raise ValueError(
            f"warmup_steps must be < first_cycle_steps, got warmup_steps={warmup}, "
            f"first_cycle_steps={first}"
        )
    gamma = check_real("gamma", gamma, minimum=0.0, maximum=1.0, min_inclusive=False)
    return first, mult, warmup, gamma


@overload
def _restart_value(
    k: int, s: int, part: int, warmup: int, max_lr: float, min_lr: float, gamma: float
) -> float: ...
@overload
def _restart_value(
    k: np.ndarray,
    s: np.ndarray,
    part: np.ndarray,
    warmup: int,
    max_lr: float,
    min_lr: float,
    gamma: float,
) -> np.ndarray: ...
def _restart_value(
    k: Any, s: Any, part: Any, warmup: int, max_lr: float, min_lr: float, gamma: float
) -> Any:
    """LR at position ``s`` of cycle ``k``, whose annealing part has ``part`` steps.

    ``min_lr + (peak - min_lr) * frac``, clipped to ``[min_lr, peak]``, with
    ``peak = max(max_lr * gamma**k, min_lr)`` and ``frac`` the warmup ramp ``s / W``
    or the half cosine. Python ints take a pure-Python path (one scheduler step;
    ``part`` is then an int and the ratio is exact); arrays take a vectorised one
    (whole curves).
    """
    peak: Any  # floats on the int path, arrays (or a float peak) on the array path
    frac: Any
    if isinstance(s, int):
        peak = max(max_lr * gamma**k, min_lr)
        if s < warmup:
            frac = s / warmup
        else:
            frac = (1.0 + math.cos(math.pi * ((s - warmup) / part))) / 2.0
        return min(max(min_lr + (peak - min_lr) * frac, min_lr), peak)
    last_cycle = int(k.max()) if k.size else 0
    if gamma == 1.0:
        peak = max_lr
    elif last_cycle < 4096:  # one power per cycle, not per step
        cycles = np.arange(last_cycle + 1, dtype=np.float64)
        peak = np.maximum(max_lr * np.power(gamma, cycles), min_lr).take(k)
    else:
        peak = np.maximum(max_lr * _power(gamma, k), min_lr)
    frac = _half_cosine(np.subtract(s, warmup, dtype=np.float64) / part)
    if warmup > 0:
        frac = np.where(s < warmup, _ratio(s, warmup), frac)
    return np.clip(min_lr + (peak - min_lr) * frac, min_lr, peak)


def cosine_warmup_restarts_lr(
    step: Steps,
    *,
    first_cycle_steps: int,
    cycle_mult: float = 1.0,
    max_lr: float = 0.1,
    min_lr: float = 0.001,
    warmup_steps: int = 0,
    gamma: float = 1.0,
) -> LR:
    r"""Cosine annealing with linear warmup, restarts and a decaying peak, closed form.

    Cycle :math:`k` has length :math:`L_0` = ``first_cycle_steps`` and
    :math:`L_{k+1} = \lfloor (L_k - W)\,m \rfloor + W` (:math:`W` = ``warmup_steps``,
    :math:`m` = ``cycle_mult``), and peaks at
    :math:`P_k = \max(\eta_{\max}\gamma^k, \eta_{\min})`. At position :math:`s` of
    cycle :math:`k`,

    .. math::
        \eta = \begin{cases}
          \eta_{\min} + (P_k - \eta_{\min})\, s / W & s < W \\
          \eta_{\min} + (P_k - \eta_{\min})\,
          \dfrac{1 + \cos\big(\pi (s - W)/(L_k - W)\big)}{2} & s \ge W
        \end{cases}

    so with no warmup a cycle starts at its peak. This is the schedule of
    :class:`lrlib.CosineAnnealingWarmupRestarts`, which computes its LR from here.

    ``step`` is an ``int`` (returns a ``float``) or an integer array (returns an array).
    ``gamma`` must lie in ``(0, 1]``: the peak can only decay, and never below
    ``min_lr``. ``cycle_mult`` lies in ``[1, 2**63]``.

    Once the cycle table of a configuration is built (lazily, once per process: it is
    cached), finding the cycle of any step takes a bisection and at most 64 cycle
    steps, however many cycles come before it. Building it costs one step per run of
    equal length increments and one per cycle where lengths grow geometrically:
    microseconds to milliseconds for usual configurations (the benchmark looks up
    step :math:`10^{16}`), about two seconds for the slowest one we found,
    ``first_cycle_steps=2 * 10**6, cycle_mult=1 + 1e-6`` at step ``2**63 - 1``.
    See the notes in the source.
    """
    t, scalar = check_steps(step)
    first, mult, warmup, gamma = _check_restart_shape(
        first_cycle_steps, cycle_mult, warmup_steps, gamma
    )
    max_lr = check_real("max_lr", max_lr, minimum=0.0)
    min_lr = check_real("min_lr", min_lr, minimum=0.0)
    if min_lr > max_lr:
        raise ValueError(
            f"min_lr must be <= max_lr, got min_lr={min_lr}, max_lr={max_lr}"
        )
    k, s, part = _locate(t, first, mult, warmup)
    return _out(_restart_value(k, s, part, warmup, max_lr, min_lr, gamma), scalar)


# ------------------------------------------------------------------ modern schedules


def linear_decay_lr(
    step: Steps,
    *,
    base_lr: float,
    total_steps: int,
    warmup_steps: int = 0,
    min_factor: float = 0.0,
) -> LR:
    r"""Linear warmup, then linear decay to ``min_factor * base_lr`` at ``total_steps``
    (held there after). With ``min_factor=0`` this is "linear decay to zero".

    .. math::
        f(t) = t/W \;(t < W), \qquad
        m + (1-m)\Big(1 - \operatorname{clip}\big(\tfrac{t-W}{T-W},0,1\big)\Big)
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    total_steps = check_step_count("total_steps", total_steps, minimum=1)
    warmup_steps = check_step_count("warmup_steps", warmup_steps)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_steps must be < total_steps, got warmup_steps={warmup_steps}, "
            f"total_steps={total_steps}"
        )
    min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
    p = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    f = _between(min_factor + (1.0 - min_factor) * (1.0 - p), min_factor, 1.0)
    if warmup_steps:
        f = np.where(t < warmup_steps, t / warmup_steps, f)
    return _out(base_lr * f, scalar)


def inverse_sqrt_lr(step: Steps, *, base_lr: float, warmup_steps: int) -> LR:
    r"""The Transformer ("Noam") schedule, scaled to peak at ``base_lr``:

    .. math:: \eta_t = \eta_0 \min\Big(\frac{t+1}{W},\ \sqrt{\frac{W}{t+1}}\Big)

    a linear rise over the first ``W`` steps, then decay as :math:`1/\sqrt{t}`. Steps
    are counted from 1 inside the formula so the first step does not train at LR 0.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    warmup_steps = check_step_count("warmup_steps", warmup_steps, minimum=1)
    n = t.astype(np.float64) + 1.0  # t + 1 in float: no int64 overflow at 2**63 - 1
    return _out(
        base_lr * np.minimum(n / warmup_steps, np.sqrt(warmup_steps / n)), scalar
    )


_WSD_DECAYS = ("linear", "cosine", "sqrt")


def wsd_lr(
    step: Steps,
    *,
    base_lr: float,
    total_steps: int,
    warmup_steps: int,
    decay_steps: int,
    min_factor: float = 0.0,
    decay: str = "linear",
) -> LR:
    r"""Warmup-stable-decay: a linear warmup over ``warmup_steps``, a flat stretch at
    ``base_lr``, then a decay over the last ``decay_steps`` steps to
    ``min_factor * base_lr``.

    With :math:`q \in [0, 1]` the progress through the decay, the decay shape is
    ``"linear"`` :math:`1 - q`, ``"cosine"`` :math:`(1 + \cos \pi q)/2`, or ``"sqrt"``
    :math:`1 - \sqrt{q}`.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    total_steps = check_step_count("total_steps", total_steps, minimum=1)
    warmup_steps = check_step_count("warmup_steps", warmup_steps)
    decay_steps = check_step_count("decay_steps", decay_steps, minimum=1)
    if warmup_steps + decay_steps > total_steps:
        raise ValueError(
            "warmup_steps + decay_steps must be <= total_steps, got "
            f"{warmup_steps} + {decay_steps} > {total_steps}"
        )
    min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
    decay = check_str("decay", decay, _WSD_DECAYS)
    shapes: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "linear": lambda q: 1.0 - q,
        "cosine": _half_cosine,
        "sqrt": lambda q: 1.0 - np.sqrt(q),
    }
    decay_start = total_steps - decay_steps
    q = np.clip((t - decay_start) / decay_steps, 0.0, 1.0)
    tail = _between(min_factor + (1.0 - min_factor) * shapes[decay](q), min_factor, 1.0)
    f = np.where(t < decay_start, 1.0, tail)
    if warmup_steps:
        f = np.where(t < warmup_steps, t / warmup_steps, f)
    return _out(base_lr * f, scalar)
