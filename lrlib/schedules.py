r"""Learning-rate schedules in closed form.

Every function here maps a step index ``t`` (an ``int`` or a NumPy integer array) to the
learning rate used at that step, with no state. Passing an array evaluates the whole
curve at once, which is how the book draws its plots and why it can jump to any step
without replaying the ones before it.

The functions that mirror a PyTorch built-in return exactly what that scheduler
gives after ``t`` calls of ``scheduler.step()`` (the tests check this to ``1e-12``):

==============================  ==========================================================
:func:`step_lr`                 ``StepLR``: :math:`\eta_0\,\gamma^{\lfloor t/s\rfloor}`
:func:`multistep_lr`            ``MultiStepLR``: :math:`\eta_0\,\gamma^{\#\{m_i \le t\}}`
:func:`exponential_lr`          ``ExponentialLR``: :math:`\eta_0\,\gamma^{t}`
:func:`constant_lr`             ``ConstantLR``
:func:`linear_lr`               ``LinearLR``
:func:`polynomial_lr`           ``PolynomialLR``
:func:`cosine_annealing_lr`     ``CosineAnnealingLR``, including past ``T_max``
:func:`cosine_warm_restarts_lr` ``CosineAnnealingWarmRestarts``
==============================  ==========================================================

The others are schedules with no single built-in: :func:`warmup_cosine_lr`,
:func:`cosine_warmup_restarts_lr` (the schedule of
:class:`lrlib.CosineAnnealingWarmupRestarts`), :func:`linear_decay_lr`,
:func:`inverse_sqrt_lr` and :func:`wsd_lr` (warmup-stable-decay).
"""

from __future__ import annotations

import math
from typing import Sequence, Union

import numpy as np
import torch

from ._validate import check_int, check_real, check_steps

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


def _out(values: np.ndarray, scalar: bool) -> LR:
    values = np.asarray(values, dtype=np.float64)
    return float(values.reshape(-1)[0]) if scalar else values


def _ratio(a: np.ndarray, b, shift: int = 0) -> np.ndarray:
    """``(a - shift) / (b - shift)`` in float64 for integer arrays.

    Casting inside the subtraction is several times faster than casting a finished
    integer array that holds negative values.
    """
    return np.subtract(a, shift, dtype=np.float64) / np.subtract(
        b, shift, dtype=np.float64
    )


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


# --------------------------------------------------------------------------- built-ins


def step_lr(step: Steps, *, base_lr: float, step_size: int, gamma: float = 0.1) -> LR:
    r"""``StepLR``: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t / \text{step\_size} \rfloor}`."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    step_size = check_int("step_size", step_size, minimum=1)
    gamma = check_real("gamma", gamma, minimum=0.0)
    return _out(base_lr * gamma ** (t // step_size), scalar)


def multistep_lr(
    step: Steps, *, base_lr: float, milestones: Sequence[int], gamma: float = 0.1
) -> LR:
    r"""``MultiStepLR``: :math:`\eta_t = \eta_0\,\gamma^{k(t)}`, with :math:`k(t)` the number
    of milestones :math:`\le t` (a milestone listed twice counts twice, as in PyTorch)."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    gamma = check_real("gamma", gamma, minimum=0.0)
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise TypeError("milestones must be a sequence of integers")
    ms = np.sort(
        np.asarray(
            [
                check_int(f"milestones[{i}]", m, minimum=0)
                for i, m in enumerate(milestones)
            ],
            dtype=np.int64,
        )
    )
    k = np.searchsorted(ms, t, side="right")
    return _out(base_lr * gamma**k, scalar)


def exponential_lr(step: Steps, *, base_lr: float, gamma: float) -> LR:
    r"""``ExponentialLR``: :math:`\eta_t = \eta_0\,\gamma^{t}`."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    gamma = check_real("gamma", gamma, minimum=0.0)
    return _out(base_lr * gamma ** t.astype(np.float64), scalar)


def constant_lr(
    step: Steps, *, base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5
) -> LR:
    r"""``ConstantLR``: :math:`\eta_t = \eta_0 \cdot \text{factor}` for :math:`t <` ``total_iters``,
    then :math:`\eta_0`."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    factor = check_real("factor", factor, minimum=0.0, maximum=1.0)
    total_iters = check_int("total_iters", total_iters, minimum=0)
    return _out(np.where(t < total_iters, base_lr * factor, base_lr), scalar)


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
    total_iters = check_int("total_iters", total_iters, minimum=1)
    frac = np.minimum(t, total_iters) / total_iters
    return _out(base_lr * (start_factor + (end_factor - start_factor) * frac), scalar)


def polynomial_lr(
    step: Steps, *, base_lr: float, total_iters: int = 5, power: float = 1.0
) -> LR:
    r"""``PolynomialLR``: :math:`\eta_t = \eta_0\,(1 - \min(t, T)/T)^{p}`."""
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    total_iters = check_int("total_iters", total_iters, minimum=1)
    power = check_real("power", power, minimum=0.0)
    return _out(
        base_lr * (1.0 - np.minimum(t, total_iters) / total_iters) ** power, scalar
    )


def cosine_annealing_lr(
    step: Steps, *, base_lr: float, T_max: int, eta_min: float = 0.0
) -> LR:
    r"""``CosineAnnealingLR``:

    .. math:: \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi t / T_{\max})}{2}.

    The formula holds for every ``t``, including past ``T_max``: the LR then climbs back
    to ``base_lr`` at ``2 * T_max``, a period of ``2 * T_max``. This is what PyTorch's
    recursive form does too, so to stop at ``eta_min`` you must stop stepping (or use
    :func:`warmup_cosine_lr`, which clamps).
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    T_max = check_int("T_max", T_max, minimum=1)
    eta_min = check_real("eta_min", eta_min, minimum=0.0)
    return _out(eta_min + (base_lr - eta_min) * _half_cosine(_ratio(t, T_max)), scalar)


def cosine_warm_restarts_lr(
    step: Steps, *, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> LR:
    r"""``CosineAnnealingWarmRestarts`` (SGDR) under sequential ``step()``.

    Cycle :math:`i` lasts :math:`T_i = T_0 T_{\text{mult}}^{\,i}` steps. With
    :math:`T_{\text{cur}}` the steps since the last restart,

    .. math:: \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi T_{\text{cur}}/T_i)}{2}.
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    T_0 = check_int("T_0", T_0, minimum=1)
    T_mult = check_int("T_mult", T_mult, minimum=1)
    eta_min = check_real("eta_min", eta_min, minimum=0.0)
    _, s, length = _locate(t, T_0, float(T_mult), 0)
    return _out(eta_min + (base_lr - eta_min) * _half_cosine(_ratio(s, length)), scalar)


# --------------------------------------------------------------------------- warmup + cosine


def linear_warmup_factor(
    step: Steps, *, warmup_steps: int, start_factor: float = 0.0
) -> LR:
    r"""Linear warmup factor: :math:`s + (1-s)\,t/W` for :math:`t < W`, then 1.

    With ``warmup_steps=0`` the factor is 1 from the start.
    """
    t, scalar = check_steps(step)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
    start_factor = check_real("start_factor", start_factor, minimum=0.0, maximum=1.0)
    if warmup_steps == 0:
        return _out(np.ones(t.shape), scalar)
    ramp = start_factor + (1.0 - start_factor) * t / warmup_steps
    return _out(np.where(t < warmup_steps, ramp, 1.0), scalar)


def check_warmup_cosine(
    total_steps: int, warmup_steps: int, min_factor: float, start_factor: float
) -> tuple[int, int, float, float]:
    """Validate the arguments of :func:`warmup_cosine_factor` (and :class:`lrlib.WarmupCosine`)."""
    total_steps = check_int("total_steps", total_steps, minimum=1)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
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
    decay = min_factor + (1.0 - min_factor) * _half_cosine(p)
    if warmup_steps == 0:
        return _out(decay, scalar)
    ramp = start_factor + (1.0 - start_factor) * t / warmup_steps
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


# --------------------------------------------------------------------------- cosine warmup restarts


def _next_length(length: int, cycle_mult: float, warmup_steps: int) -> int:
    """Length of the cycle after one of ``length`` steps (the class's recurrence)."""
    return math.floor((length - warmup_steps) * cycle_mult) + warmup_steps


def _cycle_table(
    last_step: int, first: int, mult: float, warmup: int
) -> tuple[list[int], list[int], bool]:
    """Start and length of every cycle that begins at or before ``last_step``.

    If the recurrence reaches a fixed point (the length stops growing, as it always does
    for ``mult == 1``) the table stops there and the third value is ``True``: that last
    cycle then repeats forever.
    """
    starts, lengths = [0], [first]
    while True:
        nxt = _next_length(lengths[-1], mult, warmup)
        if nxt == lengths[-1]:
            return starts, lengths, True
        start = starts[-1] + lengths[-1]
        if start > last_step:
            return starts, lengths, False
        starts.append(start)
        lengths.append(nxt)


def _locate(
    t: np.ndarray, first: int, mult: float, warmup: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycle index ``k``, position ``s`` in the cycle and cycle length ``L`` for each step."""
    last = int(t.max()) if t.size else 0
    starts, lengths, repeating = _cycle_table(last, first, mult, warmup)
    if len(starts) == 1:  # one cycle length throughout (e.g. cycle_mult == 1)
        k = t // first
        return k, t - k * first, np.full(t.shape, first, dtype=np.int64)
    starts_a = np.asarray(starts, dtype=np.int64)
    lengths_a = np.asarray(lengths, dtype=np.int64)
    idx = np.searchsorted(starts_a, t, side="right") - 1
    offset = t - starts_a.take(idx)
    length = lengths_a.take(idx)
    if not repeating:
        return idx, offset, length
    repeats = offset // length  # > 0 only past the fixed point, in the last table entry
    return idx + repeats, offset - repeats * length, length


def restart_cycles(
    n_cycles: int,
    *,
    first_cycle_steps: int,
    cycle_mult: float = 1.0,
    warmup_steps: int = 0,
) -> list[tuple[int, int]]:
    r"""``(start, length)`` of the first ``n_cycles`` cycles of :func:`cosine_warmup_restarts_lr`.

    Cycle 0 has ``first_cycle_steps`` steps, and each next one
    :math:`\lfloor (L_{k} - W)\,m \rfloor + W`.
    """
    n_cycles = check_int("n_cycles", n_cycles, minimum=0)
    first, mult, warmup, _ = _check_restart_shape(
        first_cycle_steps, cycle_mult, warmup_steps, 1.0
    )
    out, start, length = [], 0, first
    for _ in range(n_cycles):
        out.append((start, length))
        start, length = start + length, _next_length(length, mult, warmup)
    return out


def _check_restart_shape(first_cycle_steps, cycle_mult, warmup_steps, gamma):
    first = check_int("first_cycle_steps", first_cycle_steps, minimum=1)
    mult = check_real("cycle_mult", cycle_mult, minimum=1.0)
    warmup = check_int("warmup_steps", warmup_steps, minimum=0)
    if warmup >= first:
        raise ValueError(
            f"warmup_steps must be < first_cycle_steps, got warmup_steps={warmup}, "
            f"first_cycle_steps={first}"
        )
    gamma = check_real("gamma", gamma, minimum=0.0, maximum=1.0, min_inclusive=False)
    return first, mult, warmup, gamma


def _restart_value(k, s, length, warmup, max_lr, min_lr, gamma):
    """LR at position ``s`` of cycle ``k`` (of ``length`` steps): the one copy of the formula.

    ``min_lr + (peak - min_lr) * frac`` with ``peak = max(max_lr * gamma**k, min_lr)`` and
    ``frac`` the warmup ramp ``s / warmup`` or the half cosine. Python ints take a
    pure-Python path (one scheduler step); arrays take a vectorised one (whole curves).
    """
    if isinstance(s, int):
        peak = max(max_lr * gamma**k, min_lr)
        if s < warmup:
            frac = s / warmup
        else:
            frac = (1.0 + math.cos(math.pi * (s - warmup) / (length - warmup))) / 2.0
        return min_lr + (peak - min_lr) * frac
    last_cycle = int(k.max()) if k.size else 0
    if gamma == 1.0:
        peak = max_lr
    elif last_cycle < 4096:  # one power per cycle, not per step
        cycles = np.arange(last_cycle + 1, dtype=np.float64)
        peak = np.maximum(max_lr * np.power(gamma, cycles), min_lr).take(k)
    else:
        peak = np.maximum(max_lr * np.power(gamma, k, dtype=np.float64), min_lr)
    frac = _half_cosine(_ratio(s, length, warmup))
    if warmup > 0:
        frac = np.where(s < warmup, _ratio(s, warmup), frac)
    return min_lr + (peak - min_lr) * frac


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
    r"""Cosine annealing with linear warmup, restarts and a decaying peak, in closed form.

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
    ``gamma`` must lie in ``(0, 1]``: the peak can only decay, and never below ``min_lr``.
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
    k, s, length = _locate(t, first, mult, warmup)
    return _out(_restart_value(k, s, length, warmup, max_lr, min_lr, gamma), scalar)


# --------------------------------------------------------------------------- modern schedules


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

    .. math:: f(t) = t/W \;(t < W), \qquad m + (1-m)\Big(1 - \operatorname{clip}\big(\tfrac{t-W}{T-W},0,1\big)\Big)
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    total_steps = check_int("total_steps", total_steps, minimum=1)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
    if warmup_steps >= total_steps:
        raise ValueError("warmup_steps must be < total_steps")
    min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
    p = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    f = min_factor + (1.0 - min_factor) * (1.0 - p)
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
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=1)
    n = (t + 1).astype(np.float64)
    return _out(
        base_lr * np.minimum(n / warmup_steps, np.sqrt(warmup_steps / n)), scalar
    )


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
    total_steps = check_int("total_steps", total_steps, minimum=1)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
    decay_steps = check_int("decay_steps", decay_steps, minimum=1)
    if warmup_steps + decay_steps > total_steps:
        raise ValueError(
            "warmup_steps + decay_steps must be <= total_steps, got "
            f"{warmup_steps} + {decay_steps} > {total_steps}"
        )
    min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
    shapes = {
        "linear": lambda q: 1.0 - q,
        "cosine": _half_cosine,
        "sqrt": lambda q: 1.0 - np.sqrt(q),
    }
    if decay not in shapes:
        raise ValueError(f"decay must be one of {sorted(shapes)}, got {decay!r}")
    decay_start = total_steps - decay_steps
    q = np.clip((t - decay_start) / decay_steps, 0.0, 1.0)
    f = np.where(
        t < decay_start, 1.0, min_factor + (1.0 - min_factor) * shapes[decay](q)
    )
    if warmup_steps:
        f = np.where(t < warmup_steps, t / warmup_steps, f)
    return _out(base_lr * f, scalar)
