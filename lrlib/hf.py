r"""Hugging Face transformers' schedules in closed form, in transformers' own
conventions.

``transformers.get_scheduler(name, optimizer, num_warmup_steps, num_training_steps,
scheduler_specific_kwargs)`` (and ``Trainer``, through ``lr_scheduler_type``) builds a
``LambdaLR`` whose factor is one of the functions below. Each returns that factor after
``t`` calls of ``scheduler.step()`` (the learning rate is the factor times the group's
initial LR), for an ``int`` or an integer array ``t``, and follows transformers 5.x line
for line in its arithmetic, including its quirks. The tests
(``tests/test_hf_equivalence.py``) step every one of them against the installed
transformers and against PyTorch's built-ins or :mod:`lrlib.schedules`, to ``1e-12``.

With :math:`W` = ``num_warmup_steps`` and :math:`T` = ``num_training_steps``, the
conventions that differ from the rest of the ecosystem:

* **Warmup starts at 0.** :math:`f(t) = t / \max(1, W)` for :math:`t < W`, so the first
  step trains at LR 0 and the warmup's last step at :math:`(W-1)/W`; the peak is step
  :math:`W`. Only ``cosine_warmup_with_min_lr`` starts at :math:`1/W` and peaks at step
  :math:`W-1` (its whole curve is shifted one step earlier), and ``warmup_stable_decay``
  starts at ``min_lr_ratio``.
* **The decay ends at step** :math:`T`, which a run of :math:`T` steps never trains at;
  past :math:`T`, ``cosine`` climbs back up like ``CosineAnnealingLR`` (nothing clamps
  it), ``linear`` and ``cosine_with_restarts`` stay at 0 and ``polynomial`` at
  ``lr_end``.
* **num_cycles** counts *full* cosine periods: the default 0.5 is a half cosine from the
  peak to 0; 1 goes down and back up to the peak at :math:`T`. In
  ``cosine_with_restarts`` it counts the hard restarts (whole decays) instead. lrlib
  takes at most :data:`MAX_CYCLES` (``1e12``).
* **Absolute floors.** ``polynomial``'s ``lr_end`` and ``cosine_with_min_lr``'s
  ``min_lr`` are learning rates, turned into a factor with ``optimizer.defaults["lr"]``
  (the ``lr`` the optimizer was built with), the same factor for every param group: a
  group with a different LR ends at ``lr_end`` times its ratio to that default.
* **WSD** (``warmup_stable_decay``) decays with a cosine by default (``decay_type``),
  and its ``"1-sqrt"`` decay is :math:`1 - \sqrt{q}`; its floor is reached at step
  :math:`W + S + D`, one step after the last step of the decay.
* **State.** The factors are ``functools.partial`` objects; ``LambdaLR.state_dict()``
  stores a callable's ``__dict__``, and a partial's is ``{}``: the schedule's arguments
  are not in a checkpoint, only ``last_epoch``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from ._validate import check_int, check_real, check_step_count, check_steps, check_str
from .schedules import LR, Steps

__all__ = [
    "NAMES",
    "CLOSED_FORM_NAMES",
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "factor",
    "trainer_warmup_steps",
]

#: Every name ``transformers.get_scheduler`` accepts in transformers 5.23.
NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "greedy",
)

#: The names whose factor is a function of the step alone (the other two,
#: ``reduce_lr_on_plateau`` and ``greedy``, follow a metric).
CLOSED_FORM_NAMES = tuple(
    n for n in NAMES if n not in ("reduce_lr_on_plateau", "greedy")
)


def _out(values: np.ndarray, scalar: bool) -> LR:
    values = np.asarray(values, dtype=np.float64)
    return float(values.reshape(-1)[0]) if scalar else values


def _steps(step: Steps) -> tuple[np.ndarray, np.ndarray, bool]:
    t, scalar = check_steps(step)
    return t, t.astype(np.float64), scalar


def _warmup(tf: np.ndarray, warmup: int) -> np.ndarray:
    """transformers' warmup ramp: ``t / max(1, W)``."""
    return tf / float(max(1, warmup))


def _progress(
    tf: np.ndarray, warmup: int, total: int, shift: float = 0.0
) -> np.ndarray:
    """``(t - W + shift) / max(1, T - W)``, as transformers computes it."""
    return (tf - warmup + shift) / float(max(1, total - warmup))


def _check_wt(num_warmup_steps: Any, num_training_steps: Any) -> tuple[int, int]:
    w = check_step_count("num_warmup_steps", num_warmup_steps)
    t = check_step_count("num_training_steps", num_training_steps)
    return w, t


def linear(step: Steps, *, num_warmup_steps: int, num_training_steps: int) -> LR:
    r"""``"linear"`` (``get_linear_schedule_with_warmup``), transformers' default:

    .. math::
        f(t) = \begin{cases} t / \max(1, W) & t < W \\
        \max\big(0,\ (T - t) / \max(1, T - W)\big) & t \ge W \end{cases}

    Equal to :func:`lrlib.linear_decay_lr` (``base_lr=1``) up to step :math:`T`, and
    with :math:`W = 0` to ``LinearLR(start_factor=1, end_factor=0, total_iters=T)``.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    decay = np.maximum(0.0, (total - tf) / float(max(1, total - w)))
    return _out(np.where(t < w, _warmup(tf, w), decay), scalar)


#: The most cosine periods a schedule may have: past it the phase of a step has no
#: significant digits left (and ``1e308`` cycles would overflow to NaN).
MAX_CYCLES = 1e12


def _check_cycles(num_cycles: Any) -> float:
    return check_real("num_cycles", num_cycles, minimum=0.0, maximum=MAX_CYCLES)


def _cos_wave(progress: np.ndarray, num_cycles: float) -> np.ndarray:
    return 0.5 * (1.0 + np.cos(math.pi * float(num_cycles) * 2.0 * progress))


def cosine(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
) -> LR:
    r"""``"cosine"`` (``get_cosine_schedule_with_warmup``):

    .. math::
        f(t) = \max\Big(0,\ \tfrac12\big(1 + \cos(2\pi c\, p)\big)\Big),\quad
        p = \frac{t - W}{\max(1, T - W)} \qquad (t \ge W)

    with :math:`c` = ``num_cycles`` (0.5: one half cosine to 0 at step :math:`T`).
    Nothing clamps :math:`p`: past :math:`T` the factor climbs back up, as
    ``CosineAnnealingLR`` does, which it equals for :math:`W = 0` and :math:`c = 1/2` at
    every step.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    num_cycles = _check_cycles(num_cycles)
    decay = np.maximum(0.0, _cos_wave(_progress(tf, w, total), num_cycles))
    return _out(np.where(t < w, _warmup(tf, w), decay), scalar)


def cosine_with_restarts(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 1,
) -> LR:
    r"""``"cosine_with_restarts"``
    (``get_cosine_with_hard_restarts_schedule_with_warmup``):
    after the warmup, ``num_cycles`` equal half cosines from the peak to 0, each
    restarting at the peak, then 0 from step :math:`T` on:

    .. math::
        f(t) = \tfrac12\big(1 + \cos(\pi\,((c\,p) \bmod 1))\big) \quad (p < 1), \qquad
        0 \quad (p \ge 1)

    With :math:`(T - W)` divisible by :math:`c`, this is ``CosineAnnealingWarmRestarts``
    with ``T_0`` :math:`= (T - W)/c`, started at step :math:`W`. Unlike
    :class:`lrlib.CosineAnnealingWarmupRestarts`, there is one warmup, not one per
    cycle.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    num_cycles = _check_cycles(num_cycles)
    p = _progress(tf, w, total)
    wave = 0.5 * (1.0 + np.cos(math.pi * np.mod(float(num_cycles) * p, 1.0)))
    decay = np.where(p >= 1.0, 0.0, np.maximum(0.0, wave))
    return _out(np.where(t < w, _warmup(tf, w), decay), scalar)


def polynomial(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    lr_init: float,
    lr_end: float = 1e-7,
    power: float = 1.0,
) -> LR:
    r"""``"polynomial"`` (``get_polynomial_decay_schedule_with_warmup``), with an
    *absolute* end LR:

    .. math::
        f(t) = \frac{(\eta_0 - \eta_{\text{end}})
        \big(1 - \frac{t - W}{T - W}\big)^{p} + \eta_{\text{end}}}{\eta_0}
        \quad (W \le t \le T), \qquad
        \frac{\eta_{\text{end}}}{\eta_0} \quad (t > T)

    where :math:`\eta_0` = ``lr_init`` is ``optimizer.defaults["lr"]``, not each group's
    LR. transformers requires ``lr_init > lr_end``. With ``lr_end=0`` and :math:`W=0`
    this is ``PolynomialLR(total_iters=T, power=p)``. :math:`T = W` divides by zero in
    transformers; it is refused here.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    lr_init = check_real("lr_init", lr_init, minimum=0.0, min_inclusive=False)
    lr_end = check_real("lr_end", lr_end, minimum=0.0)
    power = check_real("power", power, minimum=0.0)
    if not lr_init > lr_end:
        raise ValueError(
            f"lr_end must be smaller than lr_init, got lr_end={lr_end}, "
            f"lr_init={lr_init}"
        )
    if total <= w:
        raise ValueError(
            "num_training_steps must exceed num_warmup_steps for 'polynomial', got "
            f"num_training_steps={total}, num_warmup_steps={w}"
        )
    # clipped to [0, 1]: the warmup branch, where it would exceed 1, is not used
    remaining = np.clip(1.0 - (tf - w) / (total - w), 0.0, 1.0)
    decay = ((lr_init - lr_end) * remaining**power + lr_end) / lr_init
    out = np.where(t < w, _warmup(tf, w), np.where(t > total, lr_end / lr_init, decay))
    return _out(out, scalar)


def constant(step: Steps) -> LR:
    """``"constant"`` (``get_constant_schedule``): 1 at every step."""
    t, _, scalar = _steps(step)
    return _out(np.ones(t.shape), scalar)


def constant_with_warmup(step: Steps, *, num_warmup_steps: int) -> LR:
    r"""``"constant_with_warmup"``: :math:`t / \max(1, W)` for :math:`t < W`, then 1.

    This is :func:`lrlib.linear_warmup_factor` with ``start_factor=0``. PyTorch's
    ``LinearLR`` cannot start at 0 (``start_factor`` must be positive).
    """
    t, tf, scalar = _steps(step)
    w = check_step_count("num_warmup_steps", num_warmup_steps)
    return _out(np.where(t < w, _warmup(tf, w), 1.0), scalar)


def inverse_sqrt(
    step: Steps, *, num_warmup_steps: int, timescale: int | None = None
) -> LR:
    r"""``"inverse_sqrt"`` (``get_inverse_sqrt_schedule``):

    .. math::
        f(t) = \frac{t}{\max(1, W)} \ (t < W), \qquad
        f(t) = \sqrt{\frac{\tau}{t + \tau - W}} \ (t \ge W)

    with :math:`\tau` = ``timescale`` (default :math:`W`, or 10,000 when :math:`W = 0`).
    With the default, :math:`f(t) = \sqrt{W/t}` after the warmup, which is
    :func:`lrlib.inverse_sqrt_lr` one step later: lrlib counts from 1 inside its formula
    so that its first step does not train at 0, transformers from 0.
    """
    t, tf, scalar = _steps(step)
    w = check_step_count("num_warmup_steps", num_warmup_steps)
    if timescale is None:
        timescale = w or 10_000
    timescale = check_step_count("timescale", timescale, minimum=1)
    shift = timescale - w
    base = tf + shift
    if np.any((t >= w) & (base <= 0)):
        raise ValueError(
            "timescale must be > num_warmup_steps - step for every step after the "
            f"warmup, got timescale={timescale}, num_warmup_steps={w}"
        )
    safe = np.where(base > 0, base, 1.0)
    decay = 1.0 / np.sqrt(safe / timescale)
    return _out(np.where(t < w, _warmup(tf, w), decay), scalar)


def _min_rate(
    min_lr: float | None, min_lr_rate: float | None, lr_init: float | None
) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("pass only one of min_lr and min_lr_rate")
    if min_lr is not None:
        if lr_init is None:
            raise ValueError(
                "min_lr is absolute: pass lr_init (optimizer.defaults['lr'])"
            )
        lr_init = check_real("lr_init", lr_init, minimum=0.0, min_inclusive=False)
        return check_real("min_lr", min_lr, minimum=0.0) / lr_init
    if min_lr_rate is None:
        raise ValueError("one of min_lr and min_lr_rate must be set")
    return check_real("min_lr_rate", min_lr_rate, minimum=0.0, maximum=1.0)


def cosine_with_min_lr(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    lr_init: float | None = None,
) -> LR:
    r"""``"cosine_with_min_lr"``: ``"cosine"`` lifted onto a floor :math:`m`,
    :math:`f = \max(0,\ m + (1 - m)\cdot\text{cosine})` after the same warmup from 0.

    :math:`m` = ``min_lr_rate``, or ``min_lr / lr_init`` for an absolute ``min_lr``
    (transformers divides by ``optimizer.defaults["lr"]``). Exactly one of the two must
    be given (transformers raises otherwise). Equal to :func:`lrlib.warmup_cosine_lr`
    with ``min_factor=m`` up to step :math:`T`.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    num_cycles = _check_cycles(num_cycles)
    m = _min_rate(min_lr, min_lr_rate, lr_init)
    wave = _cos_wave(_progress(tf, w, total), num_cycles)
    decay = np.maximum(0.0, wave * (1.0 - m) + m)
    return _out(np.where(t < w, _warmup(tf, w), decay), scalar)


def cosine_warmup_with_min_lr(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
    lr_init: float | None = None,
) -> LR:
    r"""``"cosine_warmup_with_min_lr"``
    (``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``): like
    ``"cosine_with_min_lr"``, but one step earlier.

    The warmup is :math:`(t + 1)/\max(1, W)` (first step at :math:`1/W`, peak at step
    :math:`W - 1`), or :math:`r + (1 - r)\,t/\max(1, W - 1)` with :math:`r` =
    ``warmup_lr_rate``; the decay's progress is :math:`(t - W + 1)/\max(1, T - W)`, so
    the floor is reached at step :math:`T - 1`, the last step of a :math:`T`-step run.
    Without ``warmup_lr_rate`` it equals :func:`lrlib.warmup_cosine_lr` at step :math:`t
    + 1`.
    """
    t, tf, scalar = _steps(step)
    w, total = _check_wt(num_warmup_steps, num_training_steps)
    num_cycles = _check_cycles(num_cycles)
    m = _min_rate(min_lr, min_lr_rate, lr_init)
    if warmup_lr_rate is None:
        ramp = (tf + 1.0) / max(1.0, float(w))
    else:
        r = check_real("warmup_lr_rate", warmup_lr_rate, minimum=0.0, maximum=1.0)
        ramp = r + (1.0 - r) * tf / max(1, w - 1)
    wave = _cos_wave(_progress(tf, w, total, shift=1.0), num_cycles)
    decay = np.maximum(0.0, wave * (1.0 - m) + m)
    return _out(np.where(t < w, ramp, decay), scalar)


_WSD_TYPES = ("linear", "cosine", "1-sqrt")


def warmup_stable_decay(
    step: Steps,
    *,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> LR:
    r"""``"warmup_stable_decay"`` (``get_wsd_schedule``): warmup over :math:`W` steps
    from :math:`m` = ``min_lr_ratio`` to 1, flat for :math:`S` steps, a decay over
    :math:`D` = ``num_decay_steps`` steps to :math:`m`, then :math:`m`.

    With :math:`u = t/\max(1, W)` in the warmup and :math:`q = (t - W - S)/\max(1, D)`
    in the decay, the shapes are ``"linear"`` :math:`u` / :math:`1 - q`, ``"cosine"``
    :math:`(1 - \cos \pi u)/2` / :math:`(1 + \cos 2\pi c q)/2` (:math:`c` =
    ``num_cycles``) and ``"1-sqrt"`` :math:`1 - \sqrt{1 - u}` / :math:`1 - \sqrt q`,
    each mapped to :math:`m + (1 - m)\,\text{shape}`. :math:`S` is ``num_stable_steps``
    if given (transformers then warns when ``num_training_steps`` is given too), else
    :math:`T - W - D`. With :math:`m = 0` and :math:`T = W + S + D` it equals
    :func:`lrlib.wsd_lr` (``decay="linear"``, ``"cosine"``, ``"sqrt"``).
    """
    t, tf, scalar = _steps(step)
    w = check_step_count("num_warmup_steps", num_warmup_steps)
    d = check_step_count("num_decay_steps", num_decay_steps)
    if num_stable_steps is None:
        if num_training_steps is None:
            raise ValueError("one of num_training_steps and num_stable_steps is needed")
        total = check_step_count("num_training_steps", num_training_steps)
        s = total - w - d
        if s < 0:
            raise ValueError(
                "num_training_steps must be >= num_warmup_steps + num_decay_steps, got "
                f"{total} < {w} + {d}"
            )
    else:
        s = check_step_count("num_stable_steps", num_stable_steps)
    warmup_type = check_str("warmup_type", warmup_type, _WSD_TYPES)
    decay_type = check_str("decay_type", decay_type, _WSD_TYPES)
    m = check_real("min_lr_ratio", min_lr_ratio, minimum=0.0, maximum=1.0)
    num_cycles = _check_cycles(num_cycles)

    u = np.clip(tf / float(max(1, w)), 0.0, 1.0)
    rises: dict[str, Callable[[], np.ndarray]] = {
        "linear": lambda: u,
        "cosine": lambda: 0.5 * (1.0 - np.cos(math.pi * u)),
        "1-sqrt": lambda: 1.0 - np.sqrt(1.0 - u),
    }
    rise = rises[warmup_type]()
    q = np.clip((tf - w - s) / float(max(1, d)), 0.0, 1.0)
    falls: dict[str, Callable[[], np.ndarray]] = {
        "linear": lambda: 1.0 - q,
        "cosine": lambda: _cos_wave(q, num_cycles),
        "1-sqrt": lambda: 1.0 - np.sqrt(q),
    }
    fall = falls[decay_type]()
    warm = np.maximum(0.0, rise * (1.0 - m) + m)
    cool = np.maximum(0.0, fall * (1.0 - m) + m)
    out = np.where(
        t < w, warm, np.where(t < w + s, 1.0, np.where(t < w + s + d, cool, m))
    )
    return _out(out, scalar)


_FUNCTIONS: dict[str, Callable[..., LR]] = {
    "linear": linear,
    "cosine": cosine,
    "cosine_with_restarts": cosine_with_restarts,
    "polynomial": polynomial,
    "constant": constant,
    "constant_with_warmup": constant_with_warmup,
    "inverse_sqrt": inverse_sqrt,
    "cosine_with_min_lr": cosine_with_min_lr,
    "cosine_warmup_with_min_lr": cosine_warmup_with_min_lr,
    "warmup_stable_decay": warmup_stable_decay,
}


def factor(
    name: str,
    step: Steps,
    *,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
    lr_init: float | None = None,
) -> LR:
    """The factor of ``get_scheduler(name, ...)`` at ``step``, with ``get_scheduler``'s
    own arguments.

    ``lr_init`` stands for ``optimizer.defaults["lr"]``, which ``"polynomial"`` and an
    absolute ``min_lr`` need. ``reduce_lr_on_plateau`` and ``greedy`` follow a metric
    and have no closed form (``ValueError``).
    """
    name = check_str("name", name, NAMES)
    if name not in _FUNCTIONS:
        raise ValueError(f"{name!r} follows a metric and has no closed form")
    if scheduler_specific_kwargs is not None and not (
        isinstance(scheduler_specific_kwargs, Mapping)
        and all(isinstance(k, str) for k in scheduler_specific_kwargs)
    ):
        raise TypeError(
            "scheduler_specific_kwargs must be a mapping of argument names to values "
            f"or None, got {type(scheduler_specific_kwargs).__name__}"
        )
    kwargs = dict(scheduler_specific_kwargs or {})
    fn = _FUNCTIONS[name]
    if name == "constant":
        return fn(step)
    if num_warmup_steps is None:
        raise ValueError(f"{name!r} requires num_warmup_steps")
    kwargs["num_warmup_steps"] = num_warmup_steps
    if name in ("constant_with_warmup", "inverse_sqrt"):
        return fn(step, **kwargs)
    if name == "warmup_stable_decay":
        return fn(step, num_training_steps=num_training_steps, **kwargs)
    if num_training_steps is None:
        raise ValueError(f"{name!r} requires num_training_steps")
    kwargs["num_training_steps"] = num_training_steps
    if name.endswith("min_lr") and not {"min_lr", "min_lr_rate"} & set(kwargs):
        raise ValueError(
            f"{name!r} needs min_lr or min_lr_rate in scheduler_specific_kwargs"
        )
    if name == "polynomial" or (name.endswith("min_lr") and "min_lr" in kwargs):
        kwargs["lr_init"] = lr_init
    return fn(step, **kwargs)


def trainer_warmup_steps(warmup_steps: float, num_training_steps: int) -> int:
    r"""The warmup length ``Trainer`` passes to the schedule
    (``TrainingArguments.get_warmup_steps``): ``int(warmup_steps)`` when it is at least
    1, else the ratio rounded up, :math:`\lceil T \cdot \text{warmup\_steps} \rceil`.

    So ``warmup_steps=0.1`` of 25 steps warms up for 3 steps, and ``1.9`` for 1. The
    result is a step count, at most ``2**63 - 1``.
    """
    warmup_steps = check_real("warmup_steps", warmup_steps, minimum=0.0)
    total = check_int("num_training_steps", num_training_steps, minimum=0)
    if warmup_steps >= 1:
        return check_step_count("warmup_steps", int(warmup_steps))
    return math.ceil(total * warmup_steps)
