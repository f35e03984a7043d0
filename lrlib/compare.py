r"""Compare training recipes the way a benchmark is run: each one tuned, then tested.

A fair comparison of schedules (or optimizers, or averaging schemes) gives every
contender the same chance: its own grid of settings (the peak learning rate, a decay
length, ...), run over the same seeds as every other contender, the best setting
chosen on a validation split, and only that setting's score reported, on a test split
that the choice never saw. This module runs that protocol; what one run does is up to
the caller.

* A :class:`Contender` is a name, a grid of settings and a function
  ``run(setting, seed) -> Outcome``. The function must make the seed decide everything
  random (initial weights, batch order), so that two contenders run with seed ``i``
  start from the same weights and see the same batches: the comparison is *paired*.
* :func:`compare` runs every contender at every setting over the tuning seeds, chooses
  one setting per contender and returns a :class:`Comparison`.

**The choice.** For contender :math:`c` with grid :math:`S_c` and tuning seeds
:math:`1..n`, let :math:`F(s)` be the number of failed runs at setting :math:`s`
(diverged, or a non-finite validation score) and :math:`\bar v(s)` the mean validation
score of the others. The chosen setting is

.. math:: s^\star_c = \operatorname*{arg\,best}_{s \in S_c}\ \big(F(s),\ \bar v(s)\big)

in lexicographic order: fewest failures first (a setting that diverges on some seeds is
not rescued by a good mean of the survivors), then the best mean (highest for
``goal="max"``, lowest for ``goal="min"``). Means within ``tolerance`` of the best are
tied; a tie goes to the best mean of the ``tiebreak`` metric if one is named, then to
the setting listed first in the grid. The test scores are never read.

**The report.** The chosen setting's test scores :math:`t_{c,i}` over the report seeds
(the tuning seeds, or fresh ones given as ``report_seeds``) are summarised with
:func:`lrlib.stats.summary`: mean, sample standard deviation
:math:`s = \sqrt{\sum_i (t_i - \bar t)^2/(n-1)}` (``ddof=1``) and the failed runs
counted, never averaged. Two contenders are compared seed by seed with
:func:`lrlib.stats.paired_difference`: :math:`d_i = t_{a,i} - t_{b,i}`, its mean, the
Student-t interval :math:`\bar d \pm t_{(1+c)/2,\,n-1}\, s_d/\sqrt n` and the wins and
losses by more than a margin. Pairing removes the seed-to-seed spread that both arms
share (a lucky initialisation helps both), which is why a difference far smaller than
either arm's standard deviation can still be resolved.

:meth:`Comparison.at` reports fixed settings instead of tuned ones (e.g. every
contender at one shared peak), from the same runs.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence, cast

import numpy as np

from ._validate import check_int, check_ints, check_real, check_str
from .stats import PairedDifference, Summary, paired_difference, summary

__all__ = [
    "Setting",
    "Outcome",
    "Contender",
    "Trial",
    "Comparison",
    "choose",
    "compare",
    "combine",
    "classifier_outcome",
    "setting_label",
]

#: A setting of a contender: parameter name -> value, e.g. ``{"peak": 0.1}``.
Setting = Mapping[str, Any]

_GOALS = ("max", "min")


def _check_goal(name: str, goal: Any) -> str:
    return check_str(name, goal, _GOALS)


def _real_or_nan(name: str, value: Any) -> float:
    """A real number as a float; NaN and infinities are allowed (a failed run)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} ({type(value).__name__})"
        )
    return float(value)


def _frozen_setting(name: str, setting: Any) -> Mapping[str, Any]:
    if not isinstance(setting, Mapping):
        raise TypeError(
            f"{name} must be a mapping of parameter names to values, got "
            f"{type(setting).__name__}"
        )
    for key, value in setting.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{name} has a key {key!r}: keys must be non-empty strings")
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"{name}[{key!r}] must be hashable (a number, a string, a tuple), got "
                f"{type(value).__name__}"
            ) from None
    return MappingProxyType(dict(setting))


def _key(setting: Mapping[str, Any]) -> frozenset[tuple[str, Any]]:
    return frozenset(setting.items())


def setting_label(setting: Setting, spec: str = "g") -> str:
    """A short label such as ``"peak 0.1, decay 0.5"`` (numbers formatted with
    ``spec``, a format specification string; an empty setting is ``"-"``)."""
    setting = _frozen_setting("setting", setting)
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format specification string, got {spec!r}")
    parts = []
    for key, value in setting.items():
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        try:
            text = format(value, spec) if is_number else str(value)
        except ValueError as err:
            raise ValueError(
                f"spec {spec!r} does not format {value!r}: {err}"
            ) from None
        parts.append(f"{key} {text}")
    return ", ".join(parts) or "-"


def _check_seeds(name: str, seeds: Any) -> tuple[int, ...]:
    out = tuple(check_ints(name, seeds, minimum=0))
    if not out:
        raise ValueError(f"{name} must hold at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct, got {out}")
    return out


@dataclass(frozen=True)
class Outcome:
    """What one run scored.

    Attributes:
        val: the selection metric on the validation split (the choice reads only this,
            and ``extra[tiebreak]`` on ties).
        test: the same metric on the test split (reported, never used to choose).
        diverged: the run failed (its scores are then ignored and the run counted).
        extra: other scalar metrics to report, e.g. ``{"test_loss": 0.12}``.
        curves: per-step or per-epoch records for plots, e.g. the training loss.

    A run whose ``val`` is not finite counts as failed too; a non-finite ``test`` is
    counted as a failure in the report (never in the choice, which reads no test
    score).
    """

    val: float
    test: float
    diverged: bool = False
    extra: Mapping[str, float] = field(default_factory=dict, compare=False)
    curves: Mapping[str, np.ndarray] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "val", _real_or_nan("val", self.val))
        object.__setattr__(self, "test", _real_or_nan("test", self.test))
        if not isinstance(self.diverged, (bool, np.bool_)):
            raise TypeError(
                f"diverged must be a bool, got {type(self.diverged).__name__}"
            )
        object.__setattr__(self, "diverged", bool(self.diverged))
        for name in ("extra", "curves"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"{name} keys must be strings, got {key!r}")
        extra = {k: _real_or_nan(f"extra[{k!r}]", v) for k, v in self.extra.items()}
        curves = {k: np.asarray(v, dtype=np.float64) for k, v in self.curves.items()}
        object.__setattr__(self, "extra", MappingProxyType(extra))
        object.__setattr__(self, "curves", MappingProxyType(curves))

    @property
    def failed(self) -> bool:
        """Diverged, or a non-finite validation score (what the choice can see; a
        non-finite test score is counted as a failure when the test is reported)."""
        return self.diverged or not math.isfinite(self.val)

    def metric(self, name: str) -> float:
        """``"val"``, ``"test"`` or an ``extra`` metric; NaN if the run failed."""
        if name in ("val", "test"):
            value = getattr(self, name)
        elif name in self.extra:
            value = self.extra[name]
        else:
            known = ["val", "test", *self.extra]
            raise ValueError(f"metric must be one of {known}, got {name!r}")
        return math.nan if self.failed else float(value)


@dataclass(frozen=True)
class Contender:
    """One recipe to compare: a name, a grid of settings, and how to run one.

    ``run(setting, seed)`` trains once and returns an :class:`Outcome`. It must build
    the model and the batch order from ``seed`` alone (e.g.
    ``lrlib.train.mlp(..., seed=seed)`` and ``fit(..., seed=seed)``), so that every
    contender's run ``i`` starts from the same weights and sees the same batches.
    """

    name: str
    run: Callable[[Setting, int], Outcome]
    grid: Sequence[Setting]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        if not callable(self.run):
            raise TypeError(f"run must be callable, got {type(self.run).__name__}")
        if isinstance(self.grid, (Mapping, str, bytes)) or not isinstance(
            self.grid, Iterable
        ):
            raise TypeError("grid must be a sequence of settings (mappings)")
        try:
            items = list(self.grid)
        except TypeError:
            raise TypeError("grid must be a sequence of settings (mappings)") from None
        grid = tuple(_frozen_setting(f"grid[{i}]", s) for i, s in enumerate(items))
        if not grid:
            raise ValueError(f"grid of {self.name!r} must hold at least one setting")
        keys = [_key(s) for s in grid]
        if len(set(keys)) != len(keys):
            raise ValueError(f"grid of {self.name!r} lists a setting twice")
        object.__setattr__(self, "grid", grid)


@dataclass(frozen=True)
class Trial:
    """One contender at one setting, run over a list of seeds."""

    contender: str
    setting: Mapping[str, Any]
    seeds: tuple[int, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def label(self) -> str:
        """The setting as a short label, e.g. ``"peak 0.1"``."""
        return setting_label(self.setting)

    @property
    def failed(self) -> int:
        """How many runs failed (diverged or a non-finite validation score)."""
        return sum(o.failed for o in self.outcomes)

    def values(self, metric: str = "test") -> np.ndarray:
        """One value per seed (in seed order); NaN where the run failed."""
        return np.array([o.metric(metric) for o in self.outcomes])

    def mean(self, metric: str = "val") -> float:
        """Mean of ``metric`` over the runs that finished (NaN if none did)."""
        v = self.values(metric)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else math.nan

    def summary(self, metric: str = "test") -> Summary:
        """:func:`lrlib.stats.summary` of ``metric``, failed runs counted."""
        return summary(self.values(metric), failed=[o.failed for o in self.outcomes])


def _check_tiebreak(tiebreak: Any, trials: Sequence[Trial]) -> None:
    """``tiebreak`` is ``None`` or a metric that every run of ``trials`` reports."""
    if tiebreak is None:
        return
    if not isinstance(tiebreak, str) or not tiebreak:
        raise TypeError(f"tiebreak must be a metric name, got {tiebreak!r}")
    for t in trials:
        for o in t.outcomes:
            if tiebreak not in ("val", "test") and tiebreak not in o.extra:
                raise ValueError(
                    f"tiebreak {tiebreak!r} is not a metric of every run: a run of "
                    f"{t.contender!r} at {t.label!r} has {['val', 'test', *o.extra]}"
                )


def choose(
    trials: Sequence[Trial],
    *,
    goal: str = "max",
    tiebreak: str | None = None,
    tiebreak_goal: str = "min",
    tolerance: float = 1e-9,
) -> Trial:
    r"""The trial whose setting a benchmark would pick, from validation scores only.

    Fewest failed runs first; then the best mean validation score (``goal``); means
    within ``tolerance`` of the best tie, and a tie goes to the best mean of the
    ``tiebreak`` metric (``tiebreak_goal``), then to the earliest trial in the list.
    A trial in which every run failed is chosen only if all are like that.
    """
    if isinstance(trials, Trial) or not isinstance(trials, Sequence) or not trials:
        raise TypeError("trials must be a non-empty sequence of Trial objects")
    for i, t in enumerate(trials):
        if not isinstance(t, Trial):
            raise TypeError(f"trials[{i}] must be a Trial, got {type(t).__name__}")
    goal = _check_goal("goal", goal)
    tiebreak_goal = _check_goal("tiebreak_goal", tiebreak_goal)
    tolerance = check_real("tolerance", tolerance, minimum=0.0)
    _check_tiebreak(tiebreak, trials)
    sign = 1.0 if goal == "max" else -1.0
    fewest = min(t.failed for t in trials)
    eligible = [t for t in trials if t.failed == fewest]
    finished = [t for t in eligible if math.isfinite(t.mean("val"))]
    if not finished:
        return eligible[0]
    best = max(sign * t.mean("val") for t in finished)
    tied = [t for t in finished if sign * t.mean("val") >= best - tolerance]
    if tiebreak is None or len(tied) == 1:
        return tied[0]
    tsign = 1.0 if tiebreak_goal == "max" else -1.0
    scores = [tsign * t.mean(tiebreak) for t in tied]
    finite = [s for s in scores if math.isfinite(s)]
    if not finite:
        return tied[0]
    return tied[scores.index(max(finite))]


@dataclass(frozen=True)
class Comparison:
    """Every run of a :func:`compare`, the chosen settings and their reported scores.

    Attributes:
        names: the contenders, in the order given.
        seeds: the tuning seeds (every setting ran on each).
        report_seeds: the seeds the reported scores come from (``seeds`` unless fresh
            ones were given).
        goal: ``"max"`` or ``"min"``, the direction of the metric.
        trials: per contender, one :class:`Trial` per setting of its grid, on
            ``seeds``.
        chosen: per contender, the trial of the chosen (or fixed) setting on
            ``seeds``.
        reported: per contender, that setting on ``report_seeds``.
        tuned: whether ``chosen`` was chosen on validation scores (``False`` for
            :meth:`at`).
    """

    names: tuple[str, ...]
    seeds: tuple[int, ...]
    report_seeds: tuple[int, ...]
    goal: str
    trials: Mapping[str, tuple[Trial, ...]]
    chosen: Mapping[str, Trial]
    reported: Mapping[str, Trial]
    tuned: bool = True

    def _name(self, name: Any) -> str:
        if name not in self.names:
            raise ValueError(f"no contender named {name!r}; have {list(self.names)}")
        return cast(str, name)

    def trial(self, name: str, setting: Setting) -> Trial:
        """The tuning-seed trial of contender ``name`` at ``setting``."""
        name = self._name(name)
        key = _key(_frozen_setting("setting", setting))
        for t in self.trials[name]:
            if _key(t.setting) == key:
                return t
        raise ValueError(
            f"{name!r} has no setting {setting_label(setting)!r}; its grid: "
            + "; ".join(t.label for t in self.trials[name])
        )

    def summary(self, name: str, metric: str = "test") -> Summary:
        """The reported trial's :func:`lrlib.stats.summary` of ``metric``."""
        return self.reported[self._name(name)].summary(metric)

    def paired(
        self,
        a: str,
        b: str,
        metric: str = "test",
        *,
        margin: float = 0.0,
        confidence: float = 0.95,
    ) -> PairedDifference:
        """Seed-by-seed ``a - b`` of the reported trials (seeds where either failed
        are left out and counted), via :func:`lrlib.stats.paired_difference`."""
        ta, tb = self.reported[self._name(a)], self.reported[self._name(b)]
        return paired_difference(
            ta.values(metric), tb.values(metric), margin=margin, confidence=confidence
        )

    def on_edge(self, name: str, parameter: str) -> bool:
        """Whether the chosen value of ``parameter`` is the smallest or largest its
        grid tries (then the grid should be widened before the result is trusted)."""
        name = self._name(name)
        values = sorted(
            {t.setting[parameter] for t in self.trials[name] if parameter in t.setting}
        )
        if parameter not in self.chosen[name].setting:
            raise ValueError(f"{name!r}'s setting has no parameter {parameter!r}")
        chosen = self.chosen[name].setting[parameter]
        return len(values) > 1 and chosen in (values[0], values[-1])

    def ranking(self, metric: str = "test", *, decimals: int = 6) -> list[str]:
        """Contenders ordered best first by the reported mean of ``metric`` (fewest
        failed runs first). Means are rounded to ``decimals`` first, so the order of
        two contenders equal to that precision is the order given, not a last bit."""
        decimals = check_int("decimals", decimals, minimum=0)
        sign = -1.0 if self.goal == "max" else 1.0

        def key(name: str) -> tuple[int, float]:
            t = self.reported[name]
            m = t.mean(metric)
            return (
                t.failed,
                sign * round(m, decimals) if math.isfinite(m) else math.inf,
            )

        return sorted(self.names, key=key)

    def at(
        self,
        shared: Setting | None = None,
        *,
        each: Mapping[str, Setting] | None = None,
    ) -> Comparison:
        """The same runs reported at fixed settings instead of tuned ones.

        ``shared`` is one setting for every contender (``{"peak": 0.2}``); ``each``
        maps a contender's name to its own setting and overrides ``shared`` for it.
        Every contender needs a setting from one of the two. The result's ``chosen``
        and ``reported`` are those tuning-seed trials; ``tuned`` is ``False``.
        """
        per: dict[str, Setting] = {}
        if shared is not None:
            shared = _frozen_setting("shared", shared)
            per = dict.fromkeys(self.names, shared)
        if each is not None:
            if not isinstance(each, Mapping):
                raise TypeError("each must map contender names to settings")
            for n, s in each.items():
                per[self._name(n)] = _frozen_setting(f"each[{n!r}]", s)
        missing = [n for n in self.names if n not in per]
        if missing:
            raise ValueError(f"no setting given for {missing} (shared= or each=)")
        chosen = {n: self.trial(n, per[n]) for n in self.names}
        return Comparison(
            names=self.names,
            seeds=self.seeds,
            report_seeds=self.seeds,
            goal=self.goal,
            trials=self.trials,
            chosen=MappingProxyType(chosen),
            reported=MappingProxyType(chosen),
            tuned=False,
        )

    def table(
        self,
        metric: str = "test",
        *,
        spec: str = ".3f",
        order: Sequence[str] | None = None,
        label: str | None = None,
    ) -> str:
        """One line per contender: its setting, mean validation score on the tuning
        seeds, and the reported ``metric`` (headed ``label``, the metric's name by
        default) as mean ± std (ddof=1) with failed runs counted."""
        names = list(self.names) if order is None else [self._name(n) for n in order]
        width = max(10, *(len(n) for n in names))
        swidth = max(7, *(len(self.chosen[n].label) for n in names))
        head = "chosen" if self.tuned else "fixed"
        title = label or metric
        lines = [f"{'contender':{width}s}  {head:{swidth}s}  {'val':>6s}  {title}"]
        for n in names:
            c, r = self.chosen[n], self.reported[n]
            val = c.mean("val")
            val_text = format(val, spec) if math.isfinite(val) else "-"
            lines.append(
                f"{n:{width}s}  {c.label:{swidth}s}  {val_text:>6s}  "
                f"{format(r.summary(metric), spec)}"
            )
        return "\n".join(lines)


def _run(
    contender: Contender, setting: Mapping[str, Any], seeds: tuple[int, ...]
) -> Trial:
    from .train import seed_everything

    outcomes = []
    for seed in seeds:
        seed_everything(seed)
        out = contender.run(setting, seed)
        if not isinstance(out, Outcome):
            raise TypeError(
                f"{contender.name!r} at {setting_label(setting)!r}, seed {seed}: run "
                f"must return an Outcome, got {type(out).__name__}"
            )
        outcomes.append(out)
    return Trial(contender.name, setting, seeds, tuple(outcomes))


def compare(
    contenders: Sequence[Contender],
    seeds: Sequence[int],
    *,
    report_seeds: Sequence[int] | None = None,
    goal: str = "max",
    tiebreak: str | None = None,
    tiebreak_goal: str = "min",
    tolerance: float = 1e-9,
) -> Comparison:
    r"""Run every contender at every setting of its grid over ``seeds``; choose one
    setting each on the validation score (:func:`choose`); report it on the test score.

    Each run is preceded by :func:`lrlib.train.seed_everything` (seed). With
    ``report_seeds`` (distinct from ``seeds``), the chosen settings are run again on
    those fresh seeds and the report comes from them; otherwise it comes from the
    tuning runs themselves (their test scores, which the choice never read).
    Every contender is run over the same seeds, so differences are paired.
    """
    if isinstance(contenders, Contender) or not isinstance(contenders, Sequence):
        raise TypeError("contenders must be a sequence of Contender objects")
    if not contenders:
        raise ValueError("contenders must hold at least one Contender")
    for i, c in enumerate(contenders):
        if not isinstance(c, Contender):
            raise TypeError(
                f"contenders[{i}] must be a Contender, got {type(c).__name__}"
            )
    names = tuple(c.name for c in contenders)
    if len(set(names)) != len(names):
        raise ValueError(f"contender names must be distinct, got {list(names)}")
    seeds = _check_seeds("seeds", seeds)
    if report_seeds is not None:
        report_seeds = _check_seeds("report_seeds", report_seeds)
        shared = sorted(set(seeds) & set(report_seeds))
        if shared:
            raise ValueError(
                f"report_seeds must be fresh seeds, but {shared} are also tuning "
                "seeds (pass report_seeds=None to report on the tuning runs)"
            )
    goal = _check_goal("goal", goal)
    tiebreak_goal = _check_goal("tiebreak_goal", tiebreak_goal)
    tolerance = check_real("tolerance", tolerance, minimum=0.0)
    if tiebreak is not None and (not isinstance(tiebreak, str) or not tiebreak):
        raise TypeError(f"tiebreak must be a metric name, got {tiebreak!r}")
    trials, chosen, reported = {}, {}, {}
    for c in contenders:
        trials[c.name] = tuple(_run(c, s, seeds) for s in c.grid)
        chosen[c.name] = choose(
            trials[c.name],
            goal=goal,
            tiebreak=tiebreak,
            tiebreak_goal=tiebreak_goal,
            tolerance=tolerance,
        )
        reported[c.name] = (
            chosen[c.name]
            if report_seeds is None
            else _run(c, chosen[c.name].setting, report_seeds)
        )
    return Comparison(
        names=names,
        seeds=seeds,
        report_seeds=seeds if report_seeds is None else report_seeds,
        goal=goal,
        trials=MappingProxyType(trials),
        chosen=MappingProxyType(chosen),
        reported=MappingProxyType(reported),
    )


def combine(*comparisons: Comparison) -> Comparison:
    """One :class:`Comparison` from several run over the same seeds with the same goal
    (e.g. a grid split across notebook cells, or a contender added later).

    The contenders must be distinct; their order is the order of the arguments.
    """
    if not comparisons:
        raise ValueError("combine needs at least one Comparison")
    for i, c in enumerate(comparisons):
        if not isinstance(c, Comparison):
            raise TypeError(
                f"comparisons[{i}] must be a Comparison, got {type(c).__name__}"
            )
    first = comparisons[0]
    for i, c in enumerate(comparisons[1:], start=1):
        for attr in ("seeds", "report_seeds", "goal", "tuned"):
            if getattr(c, attr) != getattr(first, attr):
                raise ValueError(
                    f"comparisons[{i}] has {attr}={getattr(c, attr)!r}, but "
                    f"comparisons[0] has {getattr(first, attr)!r}"
                )
    names = tuple(n for c in comparisons for n in c.names)
    if len(set(names)) != len(names):
        raise ValueError(f"contender names must be distinct, got {list(names)}")

    def merged(attr: str) -> Mapping[str, Any]:
        return MappingProxyType(
            {n: getattr(c, attr)[n] for c in comparisons for n in c.names}
        )

    return Comparison(
        names=names,
        seeds=first.seeds,
        report_seeds=first.report_seeds,
        goal=first.goal,
        trials=merged("trials"),
        chosen=merged("chosen"),
        reported=merged("reported"),
        tuned=first.tuned,
    )


def classifier_outcome(
    model: Any,
    data: Any,
    *,
    diverged: bool = False,
    metric: str = "acc",
    curves: Mapping[str, Any] | None = None,
) -> Outcome:
    """The :class:`Outcome` of a trained classifier on a train/val/test
    :class:`lrlib.train.Data`.

    ``metric="acc"`` scores accuracy (choose with ``goal="max"``), ``"loss"`` the mean
    cross-entropy (``goal="min"``). ``extra`` holds ``val_loss``, ``val_acc``,
    ``test_loss``, ``test_acc`` and ``train_loss`` (the loss over the whole training
    split, the objective itself). A diverged run gets NaN everywhere.
    """
    from .train import Data, evaluate

    if not isinstance(data, Data):
        raise TypeError(f"data must be a lrlib.train.Data, got {type(data).__name__}")
    if data.x_test is None:
        raise ValueError("data has no test split (digits(test_fraction=...))")
    metric = check_str("metric", metric, ("acc", "loss"))
    if curves is not None and not isinstance(curves, Mapping):
        raise TypeError(
            f"curves must be a mapping of names to arrays or None, got "
            f"{type(curves).__name__}"
        )
    if not isinstance(diverged, (bool, np.bool_)):
        raise TypeError(f"diverged must be a bool, got {type(diverged).__name__}")
    names = ("train_loss", "val_loss", "val_acc", "test_loss", "test_acc")
    if diverged:
        extra = dict.fromkeys(names, math.nan)
    else:
        train_loss, _ = evaluate(model, data, "train")
        val_loss, val_acc = evaluate(model, data, "val")
        test_loss, test_acc = evaluate(model, data, "test")
        extra = dict(zip(names, (train_loss, val_loss, val_acc, test_loss, test_acc)))
    key = "acc" if metric == "acc" else "loss"
    return Outcome(
        val=extra[f"val_{key}"],
        test=extra[f"test_{key}"],
        diverged=bool(diverged),
        extra=extra,
        curves=dict(curves or {}),
    )
