r"""Other libraries' schedules in closed form, in their own conventions.

The book does not install timm (it needs torchvision), optax (it needs JAX) or fastai,
so their schedules are written out here from their source and documentation, each as
a function of the step index ``t`` (an ``int`` or an integer array) that returns the LR
the library uses at update ``t`` (counted from 0). Alongside them, PyTorch's
``OneCycleLR`` in closed form, which lrlib needs to compare it with fastai's.

=======================================  ==============================================
:func:`timm_cosine_lr`                   timm ``CosineLRScheduler``, updated per step
                                         (``t_in_epochs=False``, ``step_update``)
:func:`optax_warmup_cosine_decay`        optax ``warmup_cosine_decay_schedule``
:func:`onecycle_lr`                      PyTorch ``OneCycleLR`` (two phases)
:func:`fastai_one_cycle_lr`              fastai ``Learner.fit_one_cycle``
:func:`fastai_flat_cos_lr`               fastai ``Learner.fit_flat_cos``
=======================================  ==============================================

Where a convention matches one of lrlib's closed forms exactly, the docstring says so
and ``tests/test_conventions.py`` checks it to ``1e-12``:

* timm with ``warmup_prefix=True`` is :func:`lrlib.warmup_cosine_lr` of length
  ``warmup_t + t_initial``; timm's cycles with ``cycle_decay`` are
  :func:`lrlib.cosine_warmup_restarts_lr` (no warmup, ``gamma=cycle_decay``).
* optax's ``decay_steps`` *includes* the warmup: it is :func:`lrlib.warmup_cosine_lr`
  with ``total_steps=decay_steps``.
* fastai's ``fit_flat_cos`` is warmup-stable-decay without the warmup,
  :func:`lrlib.wsd_lr` with ``decay="cosine"``.
* fastai's one cycle over :math:`N` steps is PyTorch's ``OneCycleLR`` over
  :math:`N + 1` steps, stopped one step early, with ``final_div_factor`` =
  ``div_final / div``: fastai's last update never reaches the final LR.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validate import check_int, check_real, check_step_count, check_steps, check_str
from .schedules import LR, Steps

__all__ = [
    "timm_cosine_lr",
    "optax_warmup_cosine_decay",
    "onecycle_lr",
    "fastai_one_cycle_lr",
    "fastai_flat_cos_lr",
]


def _out(values: np.ndarray, scalar: bool) -> LR:
    values = np.asarray(values, dtype=np.float64)
    return float(values.reshape(-1)[0]) if scalar else values


def _cos_anneal(start: float, end: float, pct: np.ndarray) -> np.ndarray:
    """From ``start`` (pct 0) to ``end`` (pct 1) along a half cosine."""
    return end + (start - end) / 2.0 * (np.cos(math.pi * pct) + 1.0)


def timm_cosine_lr(
    step: Steps,
    *,
    base_lr: float,
    t_initial: int,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    k_decay: float = 1.0,
) -> LR:
    r"""timm's ``CosineLRScheduler`` (``timm/scheduler/cosine_lr.py``), as a function of
    the update count that ``step_update(num_updates)`` passes (or the epoch that
    ``step(epoch)`` passes, with ``t_in_epochs=True``). No noise.

    Warmup: :math:`\eta_{\text{init}} + t\,(\eta_0 - \eta_{\text{init}})/W` for
    :math:`t < W` (``warmup_t``). After it, with :math:`t' = t - W` if ``warmup_prefix``
    else :math:`t' = t`, cycle :math:`i` has length :math:`L_i = L_0 m^i`
    (:math:`L_0` = ``t_initial``, :math:`m` = ``cycle_mul``, at most ``2**63``) and peak
    :math:`\eta_0 \gamma^i` (:math:`\gamma` = ``cycle_decay``); at position :math:`s` of
    cycle :math:`i < ` ``cycle_limit``

    .. math::
        \eta = \eta_{\min} + \tfrac12(\eta_0\gamma^i - \eta_{\min})
        \big(1 + \cos(\pi s^k / L_i^k)\big)

    and :math:`\eta_{\min}` (``lr_min``) once ``cycle_limit`` cycles are done.

    The catch is ``warmup_prefix=False`` (the default): the cosine is then timed from
    step 0, *under* the warmup, so when the warmup ends the LR jumps to the cosine's
    value at step :math:`W`, below the peak, and the run still ends at ``t_initial``.
    With ``warmup_prefix=True`` the cosine starts at the peak after the warmup, and the
    whole run is ``warmup_t + t_initial`` long: :func:`lrlib.warmup_cosine_lr` with
    ``total_steps=warmup_t + t_initial`` and ``start_factor=warmup_lr_init / base_lr``.

    The class's defaults are shown here; timm's ``create_scheduler_v2`` has others
    (``warmup_lr=1e-5``, ``cycle_decay=0.1``).
    """
    t, scalar = check_steps(step)
    base_lr = check_real("base_lr", base_lr, minimum=0.0)
    t_initial = check_step_count("t_initial", t_initial, minimum=1)
    lr_min = check_real("lr_min", lr_min, minimum=0.0)
    # past 2**63 a second cycle is longer than any step count (and the cycle lookup
    # would overflow)
    cycle_mul = check_real("cycle_mul", cycle_mul, minimum=1.0, maximum=2.0**63)
    cycle_decay = check_real("cycle_decay", cycle_decay, minimum=0.0)
    cycle_limit = check_int("cycle_limit", cycle_limit, minimum=1)
    warmup_t = check_step_count("warmup_t", warmup_t)
    warmup_lr_init = check_real("warmup_lr_init", warmup_lr_init, minimum=0.0)
    if not isinstance(warmup_prefix, (bool, np.bool_)):
        raise TypeError(f"warmup_prefix must be a bool, got {warmup_prefix!r}")
    k = check_real("k_decay", k_decay, minimum=0.0, min_inclusive=False)

    tf = t.astype(np.float64)
    tc = tf - warmup_t if warmup_prefix else tf
    tc = np.maximum(tc, 0.0)  # only used where t >= warmup_t
    if cycle_mul == 1.0:
        i = np.floor(tc / t_initial)
        length = np.full(tc.shape, float(t_initial))
        s = tc - t_initial * i
    else:
        i = np.floor(
            np.log(1.0 - tc / t_initial * (1.0 - cycle_mul)) / np.log(cycle_mul)
        )
        length = cycle_mul**i * t_initial
        s = tc - (1.0 - cycle_mul**i) / (1.0 - cycle_mul) * t_initial
    peak = base_lr * cycle_decay**i
    # s / L in [0, 1]: the power of the ratio cannot overflow (k == 1: the same bits)
    phase = s / length if k == 1.0 else (s / length) ** k
    cos = lr_min + 0.5 * (peak - lr_min) * (1.0 + np.cos(math.pi * phase))
    after = np.where(i < cycle_limit, cos, lr_min)
    if warmup_t:
        # steps past the warmup take the other branch; capped so they cannot overflow
        ramp_t = np.minimum(tf, warmup_t)
        ramp = warmup_lr_init + ramp_t * ((base_lr - warmup_lr_init) / warmup_t)
        after = np.where(t < warmup_t, ramp, after)
    return _out(after, scalar)


def optax_warmup_cosine_decay(
    step: Steps,
    *,
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> LR:
    r"""optax's ``warmup_cosine_decay_schedule`` (``optax/schedules/_schedule.py``).

    A linear warmup from ``init_value`` to ``peak_value`` over :math:`W` =
    ``warmup_steps`` (the peak at step :math:`W`), then a cosine from the peak to
    ``end_value`` over the remaining :math:`D - W` steps, where :math:`D` =
    ``decay_steps`` *includes* the warmup (optax's docs say so); ``end_value`` from step
    :math:`D` on. With :math:`\alpha` = ``end_value / peak_value`` and :math:`p` the
    ``exponent``, the decay is :math:`\eta_{\text{peak}}\big(\alpha + (1-\alpha)
    [\tfrac12(1 + \cos\pi s/(D - W))]^{p}\big)`.

    For ``exponent=1`` this is :func:`lrlib.warmup_cosine_lr` with
    ``total_steps=decay_steps``, ``min_factor`` :math:`= \alpha` and ``start_factor`` =
    ``init_value / peak_value``. optax's update ``t`` uses ``schedule(t)``, counted from
    0 (``scale_by_schedule`` reads its count before incrementing it).
    """
    t, scalar = check_steps(step)
    init_value = check_real("init_value", init_value, minimum=0.0)
    peak_value = check_real("peak_value", peak_value, minimum=0.0)
    end_value = check_real("end_value", end_value, minimum=0.0)
    exponent = check_real("exponent", exponent, minimum=0.0)
    warmup_steps = check_step_count("warmup_steps", warmup_steps)
    decay_steps = check_step_count("decay_steps", decay_steps, minimum=1)
    if decay_steps <= warmup_steps:
        raise ValueError(
            "decay_steps includes the warmup and must exceed warmup_steps, got "
            f"decay_steps={decay_steps}, warmup_steps={warmup_steps}"
        )
    tf = t.astype(np.float64)
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    if warmup_steps:
        frac = 1.0 - np.clip(tf, 0.0, warmup_steps) / warmup_steps
        ramp = (init_value - peak_value) * frac + peak_value
    else:
        ramp = np.full(tf.shape, init_value)
    count = np.minimum(tf - warmup_steps, decay_steps - warmup_steps)
    count = np.maximum(count, 0.0)
    wave = 0.5 * (1.0 + np.cos(math.pi * count / (decay_steps - warmup_steps)))
    if math.isfinite(alpha):
        decay = peak_value * ((1.0 - alpha) * wave**exponent + alpha)
    else:  # end_value far above a tiny peak: the same line without the ratio
        decay = end_value + (peak_value - end_value) * wave**exponent
    return _out(np.where(t < warmup_steps, ramp, decay), scalar)


_ANNEAL = ("cos", "linear")


def onecycle_lr(
    step: Steps,
    *,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal_strategy: str = "cos",
) -> LR:
    r"""PyTorch's ``OneCycleLR`` (two phases, ``three_phase=False``) after ``t`` calls
    of ``step()``, for :math:`0 \le t \le N` = ``total_steps``.

    It rises from :math:`\eta_0 = \eta_{\max}/` ``div_factor`` to :math:`\eta_{\max}`
    over steps :math:`0 \dots e_1`, :math:`e_1 = pN - 1` (a float, :math:`p` =
    ``pct_start``), then falls to :math:`\eta_0 /` ``final_div_factor`` at step
    :math:`N - 1`, the last step of the run, each phase along a half cosine
    (``anneal_strategy="cos"``) or a line. The defaults end at
    :math:`\eta_{\max}/(25 \cdot 10^4)`. Step :math:`N` is allowed (one step past the
    end, the LR keeps falling along the same formula), step :math:`N + 1` raises in
    PyTorch and here.
    """
    t, scalar = check_steps(step)
    max_lr = check_real("max_lr", max_lr, minimum=0.0)
    total = check_step_count("total_steps", total_steps, minimum=2)
    pct_start = check_real(
        "pct_start", pct_start, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    div_factor = check_real("div_factor", div_factor, minimum=0.0, min_inclusive=False)
    final_div_factor = check_real(
        "final_div_factor", final_div_factor, minimum=0.0, min_inclusive=False
    )
    anneal_strategy = check_str("anneal_strategy", anneal_strategy, _ANNEAL)
    e1 = float(pct_start * total) - 1.0
    if e1 <= 0.0:
        raise ValueError(
            "pct_start * total_steps must exceed 1 (the rise needs a step), got "
            f"pct_start={pct_start}, total_steps={total}"
        )
    if np.any(t > total):
        raise ValueError(f"step must be <= total_steps ({total}), got {int(t.max())}")
    initial = max_lr / div_factor
    final = initial / final_div_factor
    tf = t.astype(np.float64)

    def anneal(start: float, end: float, pct: np.ndarray) -> np.ndarray:
        if anneal_strategy == "cos":
            return _cos_anneal(start, end, pct)
        return (end - start) * pct + start

    rise = anneal(initial, max_lr, tf / e1)
    fall = anneal(max_lr, final, (tf - e1) / ((total - 1) - e1))
    return _out(np.where(tf <= e1, rise, fall), scalar)


def _check_fastai(
    total_steps: Any, pct_start: Any, div_final: Any
) -> tuple[int, float, float]:
    total = check_step_count("total_steps", total_steps, minimum=1)
    pct = check_real(
        "pct_start", pct_start, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    div_final = check_real("div_final", div_final, minimum=0.0, min_inclusive=False)
    return total, pct, div_final


def _fastai_cos(start: float, end: float, pos: np.ndarray) -> np.ndarray:
    """fastai's ``sched_cos``: ``start + (1 + cos(pi (1 - pos))) (end - start) / 2``."""
    # halving first is exact and keeps (end - start) * 2 from overflowing
    return start + (1.0 + np.cos(math.pi * (1.0 - pos))) / 2.0 * (end - start)


def _fastai_two_phase(
    t: np.ndarray, total: int, pct: float, start: float, middle: float, end: float
) -> np.ndarray:
    """fastai's ``combined_cos(pct, start, middle, end)`` at ``pos = t / total``.

    Steps past ``total`` are refused: fastai trains batches ``0 .. total - 1``, and
    ``total`` itself (position 1, the end value) is the step after the last.
    """
    if np.any(t > total):
        raise ValueError(f"step must be <= total_steps ({total}), got {int(t.max())}")
    pos = t.astype(np.float64) / total
    first = (
        _fastai_cos(start, middle, pos / pct) if pct > 0 else np.full(pos.shape, 0.0)
    )
    second = _fastai_cos(middle, end, (pos - pct) / (1.0 - pct))
    return np.where(pos < pct, first, second)


def fastai_one_cycle_lr(
    step: Steps,
    *,
    lr_max: float,
    total_steps: int,
    div: float = 25.0,
    div_final: float = 1e5,
    pct_start: float = 0.25,
) -> LR:
    r"""fastai's ``fit_one_cycle`` (``fastai/callback/schedule.py``) at training batch
    :math:`t` of :math:`N` = ``total_steps`` (``n_epoch`` times the batches per epoch).

    fastai sets the LR before each batch from the position :math:`x = t/N`, which runs
    from 0 to :math:`(N-1)/N` and never reaches 1: a half cosine from
    :math:`\eta_{\max}/` ``div`` up to :math:`\eta_{\max}` while :math:`x <`
    ``pct_start``, then a half cosine down towards :math:`\eta_{\max}/` ``div_final``
    (default :math:`10^5`: PyTorch's ``OneCycleLR`` ends at :math:`\eta_{\max}/(25\cdot
    10^4)`), which only the step after the last would reach. Its defaults also differ
    from PyTorch's in ``pct_start`` (0.25 vs 0.3); the momentum follows ``moms=(0.95,
    0.85, 0.95)`` (the ``Learner`` default), PyTorch's between 0.95 and 0.85 too.

    This is ``OneCycleLR(total_steps=N + 1, pct_start=(pN + 1)/(N + 1),
    div_factor=div, final_div_factor=div_final/div)`` at the same step, for every
    :math:`t < N`: :func:`onecycle_lr` one step longer. fastai computes the phase
    boundaries in float32 (a tensor), so its own values differ from this exact form by
    up to about :math:`10^{-7}` relatively; fastai accumulates :math:`x` by repeated
    addition, within a few ulp of :math:`t/N`.
    """
    t, scalar = check_steps(step)
    lr_max = check_real("lr_max", lr_max, minimum=0.0)
    div = check_real("div", div, minimum=0.0, min_inclusive=False)
    total, pct, div_final = _check_fastai(total_steps, pct_start, div_final)
    out = _fastai_two_phase(t, total, pct, lr_max / div, lr_max, lr_max / div_final)
    return _out(out, scalar)


def fastai_flat_cos_lr(
    step: Steps,
    *,
    lr: float,
    total_steps: int,
    div_final: float = 1e5,
    pct_start: float = 0.75,
) -> LR:
    r"""fastai's ``fit_flat_cos``: flat at ``lr`` for the first ``pct_start`` of the
    :math:`N` batches, then a half cosine towards ``lr / div_final``, at position
    :math:`t/N` as in :func:`fastai_one_cycle_lr`.

    This is warmup-stable-decay without a warmup, years before the name: when
    :math:`pN` is a whole number it equals :func:`lrlib.wsd_lr` with
    ``warmup_steps=0``, ``decay_steps`` :math:`= N - pN`, ``decay="cosine"`` and
    ``min_factor=1/div_final``.
    """
    t, scalar = check_steps(step)
    lr = check_real("lr", lr, minimum=0.0)
    total, pct, div_final = _check_fastai(total_steps, pct_start, div_final)
    return _out(_fastai_two_phase(t, total, pct, lr, lr, lr / div_final), scalar)
