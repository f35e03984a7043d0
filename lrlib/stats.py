r"""Honest summaries of repeated runs: sample statistics, failures, paired seeds.

A comparison in the book runs each arm over the same seeds (same initial weights, same
batch order), so the fair question is how the *paired* differences are spread, not how
two independent means compare. Two helpers cover it:

* :func:`summary` of one arm: the mean and the sample standard deviation
  (:math:`s = \sqrt{\sum_i (x_i - \bar x)^2 / (n - 1)}`, ``ddof=1``) of the runs that
  finished, and how many did not (diverged or non-finite). They are never averaged in
  and never silently dropped: formatting a summary says how many failed.
* :func:`paired_difference` of two arms over the same seeds: the mean of
  :math:`d_i = a_i - b_i`, its Student-t confidence interval
  :math:`\bar d \pm t_{1-\alpha/2,\,n-1}\, s_d/\sqrt n`, and on how many seeds ``a``
  is ahead by more than a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ._validate import check_real

__all__ = ["Summary", "summary", "PairedDifference", "paired_difference"]


def _values(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)) or np.isscalar(values):
        raise TypeError(
            f"{name} must be a sequence of numbers, got {type(values).__name__}"
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one value")
    return arr


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation of the runs that finished, and the failures.

    Attributes:
        runs: how many runs there were.
        failed: how many did not finish (diverged, or a non-finite value).
        mean: mean of the finished runs (NaN if none finished).
        std: their sample standard deviation, ``ddof=1`` (NaN for fewer than two).
        min, max: smallest and largest finished value (NaN if none).

    ``format(s, ".3f")`` gives ``"0.967 ± 0.004"`` when every run finished, adds
    ``"(2 of 5 diverged)"`` when some did not, shows a lone survivor without a spread
    (``"0.829 (1 run; 4 of 5 diverged)"``) and says ``"5 of 5 diverged"`` when none
    finished.
    """

    runs: int
    failed: int
    mean: float
    std: float
    min: float
    max: float

    @property
    def finished(self) -> int:
        """How many runs finished."""
        return self.runs - self.failed

    def __format__(self, spec: str) -> str:
        spec = spec or ".3f"
        if self.finished == 0:
            return f"{self.failed} of {self.runs} diverged"
        fail = f"{self.failed} of {self.runs} diverged" if self.failed else ""
        if self.finished == 1:
            note = "; ".join(x for x in ("1 run", fail) if x)
            return f"{format(self.mean, spec)} ({note})"
        text = f"{format(self.mean, spec)} ± {format(self.std, spec)}"
        return f"{text} ({fail})" if fail else text

    def __str__(self) -> str:
        return format(self, "")


def summary(
    values: Sequence[float] | np.ndarray, failed: Sequence[bool] | None = None
) -> Summary:
    """Summarise one arm of a comparison.

    ``values`` holds one final metric per run. A run counts as failed when its value is
    not finite, or when ``failed`` (one flag per run, e.g. ``History.diverged``) marks
    it; failed runs are counted, not averaged.
    """
    arr = _values("values", values)
    bad = ~np.isfinite(arr)
    if failed is not None:
        flags = np.asarray(failed)
        if flags.dtype != np.bool_:
            raise TypeError(f"failed must hold bools, got dtype {flags.dtype}")
        if flags.shape != arr.shape:
            raise ValueError(
                f"failed must hold one bool per entry of values: got shape "
                f"{flags.shape} for values of shape {arr.shape}"
            )
        bad |= flags
    ok = arr[~bad]
    return Summary(
        runs=int(arr.size),
        failed=int(bad.sum()),
        mean=float(ok.mean()) if ok.size else math.nan,
        std=float(ok.std(ddof=1)) if ok.size > 1 else math.nan,
        min=float(ok.min()) if ok.size else math.nan,
        max=float(ok.max()) if ok.size else math.nan,
    )


@dataclass(frozen=True)
class PairedDifference:
    """The seed-by-seed difference ``a - b`` of two arms run over the same seeds.

    Attributes:
        n: seeds on which both arms finished (the others are left out and counted
            in ``excluded``).
        mean: mean difference :math:`\\bar d`.
        low, high: the confidence interval of the mean difference (NaN for ``n < 2``).
        confidence: its level, e.g. 0.95.
        wins, losses: seeds on which ``a - b`` is above ``margin`` / below ``-margin``.
        margin: the margin ``wins`` and ``losses`` use.
        excluded: seeds left out because either arm failed there.
    """

    n: int
    mean: float
    low: float
    high: float
    confidence: float
    wins: int
    losses: int
    margin: float
    excluded: int

    @property
    def ties(self) -> int:
        """Seeds on which the two arms are within ``margin`` of each other."""
        return self.n - self.wins - self.losses

    def __format__(self, spec: str) -> str:
        spec = spec or ".3f"
        level = f"{self.confidence:.0%}"
        if self.n >= 2:
            text = (
                f"{format(self.mean, '+' + spec)} "
                f"[{format(self.low, '+' + spec)}, {format(self.high, '+' + spec)}] "
                f"({level} CI, {self.n} seeds)"
            )
        else:
            text = f"{format(self.mean, '+' + spec)} ({self.n} seed)"
        return text

    def __str__(self) -> str:
        return format(self, "")


def paired_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    margin: float = 0.0,
) -> PairedDifference:
    r"""Compare two arms seed by seed: ``d_i = a_i - b_i``.

    ``a[i]`` and ``b[i]`` must come from the same seed. Seeds where either value is not
    finite (a diverged run) are left out of the statistics and counted in
    ``excluded``. The interval is Student's t:
    :math:`\bar d \pm t_{(1+c)/2,\,n-1}\, s_d / \sqrt{n}` with :math:`s_d` the sample
    standard deviation of the differences.
    """
    a_arr, b_arr = _values("a", a), _values("b", b)
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            "a and b must hold one value per seed each, got "
            f"{a_arr.size} and {b_arr.size}"
        )
    confidence = check_real(
        "confidence",
        confidence,
        minimum=0.0,
        maximum=1.0,
        min_inclusive=False,
        max_inclusive=False,
    )
    margin = check_real("margin", margin, minimum=0.0)
    both = np.isfinite(a_arr) & np.isfinite(b_arr)
    d = a_arr[both] - b_arr[both]
    n = int(d.size)
    if n == 0:
        raise ValueError("a and b have no seed on which both finished")
    mean = float(d.mean())
    if n >= 2:
        from scipy.stats import t as student_t

        half = (
            float(student_t.ppf((1 + confidence) / 2, n - 1))
            * float(d.std(ddof=1))
            / math.sqrt(n)
        )
        low, high = mean - half, mean + half
    else:
        low = high = math.nan
    return PairedDifference(
        n=n,
        mean=mean,
        low=low,
        high=high,
        confidence=confidence,
        wins=int((d > margin).sum()),
        losses=int((d < -margin).sum()),
        margin=margin,
        excluded=int(a_arr.size - n),
    )
