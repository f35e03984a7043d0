"""Every public callable of lrlib against the same adversarial values.

The walk covers ``lrlib.__all__`` and the ``__all__`` of every lrlib module (those
named in ``MODULES`` and any other the package imports), so a new public name is
covered as soon as it is exported: :func:`test_every_public_callable_has_a_baseline`
fails until it has an entry in ``BASELINES``.

Each entry gives a valid call. The matrix replaces one argument at a time with each
value of ``ADVERSARIAL`` (NaN, infinities, 0, negatives, 2**63, 1e308, 3.5, True,
NumPy scalars, 0-d/2-d/empty arrays, float step arrays, tensors, strings, None, a
wrong-length list) and asserts the library's promise: either a ``TypeError`` or
``ValueError`` whose message names the argument, or a result that is finite (no NaN
or inf anywhere in it) and in range (the entry's own check). Any other exception,
and any warning (pytest turns warnings into errors here), fails.

Cases that fail because of modules another rework owns are marked
``xfail(strict=True)`` in ``OWNED_ELSEWHERE``, with the reason; strict, so the mark
must go when the fix lands.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau, StepLR

import lrlib
from lrlib import CosineAnnealingWarmupRestarts as CAWR
from lrlib.range_test import RangeTestResult
from lrlib.train import Data, History, digits, mlp

MODULES = [
    "lrlib.schedules",
    "lrlib.lambdas",
    "lrlib.schedulers",
    "lrlib.trace",
    "lrlib.plot",
    "lrlib.explore",
    "lrlib.stats",
    "lrlib.report",
    "lrlib.train",
    "lrlib.range_test",
    "lrlib.gallery",
]

ADVERSARIAL: dict[str, Any] = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "zero": 0,
    "negative": -1,
    "2**63": 2**63,
    "1e308": 1e308,
    "3.5": 3.5,
    "True": True,
    "np.int64": np.int64(3),
    "np.float64": np.float64(0.5),
    "0-d array": np.array(3),
    "2-d array": np.ones((2, 2), dtype=np.int64),
    "empty array": np.array([], dtype=np.int64),
    "float steps": np.array([0.5, 1.5]),
    "tensor": torch.tensor([1, 2]),
    "string": "abc",
    "None": None,
    "wrong-length list": [1, 2, 3],
}

TMP = Path(tempfile.mkdtemp(prefix="lrlib-bad-inputs-"))


# ------------------------------------------------------------------ shared objects


def tiny_data() -> Data:
    d = digits(seed=0, val_fraction=0.2, test_fraction=0.2)
    return Data(d.x_train[:40], d.y_train[:40], d.x_val[:20], d.y_val[:20],
                d.x_test[:20], d.y_test[:20])  # fmt: skip


DATA = tiny_data()


def model() -> torch.nn.Module:
    return mlp(64, 10, (4,), seed=0)


def model_and_opt() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    m = model()
    return m, torch.optim.SGD(m.parameters(), lr=0.1)


def history(diverged: bool = False) -> History:
    lr = np.full((2, 1), 0.1)
    return History(lr, np.ones(2), np.ones(1), np.full(1, 0.9), diverged=diverged)


def range_result(n: int = 8) -> RangeTestResult:
    lrs = RT.range_test_lrs(1e-3, 1.0, n)
    losses = np.concatenate([np.linspace(2.0, 1.0, n - 2), [1.5, 3.0]])
    return RangeTestResult(lrs, losses, losses, True, n, "exp", 0.0)


def axes() -> Axes:
    _, ax = plt.subplots(figsize=(2, 1.5), dpi=20)
    return ax


def cawr(**kw: Any) -> CAWR:
    return CAWR(lrlib.toy_optimizer(0.1), 10, warmup_steps=2, **kw)


def draw(ax: Axes, a: Any) -> None:
    ax.plot([0, 1], [0, 1])


def tiny_explorer() -> dict[str, Any]:
    """A valid explorer call: one frame, tiny, to keep the matrix fast."""
    return {
        "draw": draw,
        "params": {"a": [1]},
        "initial": None,
        "figsize": (1.0, 1.0),
        "dpi": 20,
    }


# ------------------------------------------------------------------ result checks


def _walk_numbers(value: Any, seen: set[int] | None = None):
    """Every number inside a result (arrays, tensors, containers, dataclasses)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return
    if isinstance(value, (int, float, np.integer, np.floating)):
        yield float(value)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu":
            yield from value.astype(np.float64).reshape(-1)
        elif value.dtype == object:
            for v in value.reshape(-1):
                yield from _walk_numbers(v, seen)
    elif isinstance(value, torch.Tensor):
        if value.dtype.is_floating_point:
            yield from value.detach().double().reshape(-1).tolist()
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk_numbers(v, seen)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk_numbers(v, seen)
    elif isinstance(value, History) and value.diverged:
        # documented: the steps, epochs and metrics after a divergence are NaN; what
        # was recorded before it must be finite (the last step's loss may be inf)
        for arr in (value.lr, value.train_loss, value.val_loss, value.val_acc):
            ran = ~np.isnan(arr.reshape(len(arr), -1)).all(axis=1)
            k = int(ran.sum())
            assert ran[:k].all(), (
                f"NaN inside the recorded part of a diverged run: {arr}"
            )
            yield from _walk_numbers(arr[: max(k - 1, 0)], seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk_numbers(getattr(value, f.name), seen)
    elif isinstance(value, Axes):
        for line in value.get_lines():
            yield from _walk_numbers(np.asarray(line.get_xydata(), dtype=float), seen)
    elif isinstance(value, torch.optim.Optimizer):
        for g in value.param_groups:
            yield float(g["lr"])
    elif isinstance(value, LRScheduler):
        yield from _walk_numbers(value.get_last_lr(), seen)


def assert_finite(result: Any, allow_nan: frozenset[str] = frozenset()) -> None:
    if isinstance(result, dict) and allow_nan:
        result = {k: v for k, v in result.items() if k not in allow_nan}
    bad = [v for v in _walk_numbers(result) if not math.isfinite(v)]
    assert not bad, f"non-finite values in the result: {bad[:5]}"


def lr_between(lo: float, hi: float) -> Callable[[Any, dict], None]:
    def check(result: Any, kw: dict) -> None:
        arr = np.asarray(result, dtype=float)
        assert np.all(arr >= lo) and np.all(arr <= hi), (arr.min(), arr.max())

    return check


def lr_bounded_by(*names: str, growth: bool = False) -> Callable[[Any, dict], None]:
    """0 <= lr <= the largest of the named LR arguments (unless it may grow)."""

    def check(result: Any, kw: dict) -> None:
        arr = np.asarray(result, dtype=float)
        assert np.all(arr >= 0)
        if not growth:
            hi = max(float(kw[n]) for n in names)
            assert np.all(arr <= hi), (arr.max(), hi)

    return check


def calls_factor(result: Any, kw: dict) -> None:
    for t in (0, 1, 7, 2**63 - 1):
        assert 0.0 <= result(t) <= 1.0


def steps_through(result: Any, kw: dict) -> None:
    lrs = lrlib.lr_trace(result, 25)
    assert np.all(np.isfinite(lrs)) and np.all(lrs >= 0)


# ------------------------------------------------------------------ the baselines


@dataclass
class Case:
    """A valid call of ``fn`` and what to check about its result.

    ``kwargs`` is a factory (fresh optimizers, schedulers and axes for each call);
    ``params`` the arguments to replace (all keyword-passable ones by default);
    ``aliases`` other names an error about a parameter may use.
    """

    fn: Callable[..., Any]
    kwargs: Callable[[], dict[str, Any]]
    check: Callable[[Any, dict], None] | None = None
    params: list[str] | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allow_nan: frozenset[str] = frozenset()


def steps_kw(**kw: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"step": np.arange(12), **kw}


def _stepped(sched: Any) -> Any:
    """``sched`` after one optimizer step, so ``step()`` is in torch's order."""
    sched.optimizer.step()
    return sched


S = importlib.import_module("lrlib.schedules")
P = importlib.import_module("lrlib.plot")
E = importlib.import_module("lrlib.explore")
T = importlib.import_module("lrlib.train")
ST = importlib.import_module("lrlib.stats")
R = importlib.import_module("lrlib.report")
RT = importlib.import_module("lrlib.range_test")
G = importlib.import_module("lrlib.gallery")
BASELINES: dict[str, Case] = {
    # closed forms
    "step_lr": Case(
        S.step_lr,
        steps_kw(base_lr=0.1, step_size=3, gamma=0.5),
        lr_bounded_by("base_lr", growth=True),
    ),
    "multistep_lr": Case(
        S.multistep_lr,
        steps_kw(base_lr=0.1, milestones=[2, 5], gamma=0.5),
        lr_bounded_by("base_lr", growth=True),
    ),
    "exponential_lr": Case(
        S.exponential_lr,
        steps_kw(base_lr=0.1, gamma=0.9),
        lr_bounded_by("base_lr", growth=True),
    ),
    "constant_lr": Case(
        S.constant_lr,
        steps_kw(base_lr=0.1, factor=0.5, total_iters=4),
        lr_bounded_by("base_lr"),
    ),
    "linear_lr": Case(
        S.linear_lr,
        steps_kw(base_lr=0.1, start_factor=0.2, end_factor=1.0, total_iters=5),
        lr_bounded_by("base_lr"),
    ),
    "polynomial_lr": Case(
        S.polynomial_lr,
        steps_kw(base_lr=0.1, total_iters=8, power=2.0),
        lr_bounded_by("base_lr"),
    ),
    "cosine_annealing_lr": Case(
        S.cosine_annealing_lr,
        steps_kw(base_lr=0.1, T_max=5, eta_min=0.01),
        lr_bounded_by("base_lr", "eta_min"),
    ),
    "cosine_warm_restarts_lr": Case(
        S.cosine_warm_restarts_lr,
        steps_kw(base_lr=0.1, T_0=3, T_mult=2, eta_min=0.01),
        lr_bounded_by("base_lr", "eta_min"),
    ),
    "warmup_cosine_factor": Case(
        S.warmup_cosine_factor,
        steps_kw(total_steps=10, warmup_steps=2, min_factor=0.1, start_factor=0.0),
        lr_between(0.0, 1.0),
    ),
    "warmup_cosine_lr": Case(
        S.warmup_cosine_lr,
        steps_kw(
            base_lr=0.1,
            total_steps=10,
            warmup_steps=2,
            min_factor=0.1,
            start_factor=0.0,
        ),
        lr_bounded_by("base_lr"),
    ),
    "linear_warmup_factor": Case(
        S.linear_warmup_factor,
        steps_kw(warmup_steps=4, start_factor=0.1),
        lr_between(0.0, 1.0),
    ),
    "cosine_warmup_restarts_lr": Case(
        S.cosine_warmup_restarts_lr,
        steps_kw(
            first_cycle_steps=5,
            cycle_mult=1.5,
            max_lr=0.1,
            min_lr=0.01,
            warmup_steps=1,
            gamma=0.8,
        ),
        lr_bounded_by("max_lr", "min_lr"),
    ),
    "restart_cycles": Case(
        S.restart_cycles,
        lambda: {
            "n_cycles": 4,
            "first_cycle_steps": 5,
            "cycle_mult": 2.0,
            "warmup_steps": 1,
        },  # fmt: skip
    ),
    "linear_decay_lr": Case(
        S.linear_decay_lr,
        steps_kw(base_lr=0.1, total_steps=10, warmup_steps=2, min_factor=0.1),
        lr_bounded_by("base_lr"),
    ),
    "inverse_sqrt_lr": Case(
        S.inverse_sqrt_lr,
        steps_kw(base_lr=0.1, warmup_steps=3),
        lr_bounded_by("base_lr"),
    ),
    "wsd_lr": Case(
        S.wsd_lr,
        steps_kw(
            base_lr=0.1,
            total_steps=10,
            warmup_steps=2,
            decay_steps=3,
            min_factor=0.1,
            decay="cosine",
        ),  # fmt: skip
        lr_bounded_by("base_lr"),
    ),
    # factor objects and the scheduler
    "WarmupCosine": Case(
        lrlib.WarmupCosine,
        lambda: {
            "total_steps": 10,
            "warmup_steps": 2,
            "min_factor": 0.1,
            "start_factor": 0.0,
        },  # fmt: skip
        calls_factor,
    ),
    "LinearWarmup": Case(lrlib.LinearWarmup, lambda: {"warmup_steps": 3}, calls_factor),
    "Constant": Case(lrlib.Constant, lambda: {"factor": 0.5}, calls_factor),
    "CosineAnnealingWarmupRestarts": Case(
        CAWR,
        lambda: {
            "optimizer": lrlib.toy_optimizer(0.1),
            "first_cycle_steps": 6,
            "cycle_mult": 1.5,
            "max_lr": 0.1,
            "min_lr": 0.01,
            "warmup_steps": 2,
            "gamma": 0.7,
            "last_epoch": -1,
        },  # fmt: skip
        steps_through,
    ),
    "CosineAnnealingWarmupRestarts.step": Case(
        lambda epoch=None: _stepped(cawr()).step(epoch), lambda: {"epoch": 7}
    ),
    "CosineAnnealingWarmupRestarts.load_state_dict": Case(
        lambda state_dict: cawr().load_state_dict(state_dict),
        lambda: {"state_dict": cawr().state_dict()},
    ),
    # tracing
    "toy_optimizer": Case(
        lrlib.toy_optimizer, lambda: {"lrs": [0.1, 0.2], "kind": "adam"}
    ),
    "lr_trace": Case(
        lrlib.lr_trace,
        lambda: {
            "scheduler": StepLR(lrlib.toy_optimizer(0.1), 2),
            "steps": 5,
            "metrics": None,
        },  # fmt: skip
        lr_between(0.0, 0.1),
    ),
    "lr_trace[plateau]": Case(
        lrlib.lr_trace,
        lambda: {
            "scheduler": ReduceLROnPlateau(lrlib.toy_optimizer(0.1)),
            "steps": 3,
            "metrics": [3.0, 2.0, 1.0],
        },  # fmt: skip
        lr_between(0.0, 0.1),
        params=["steps", "metrics"],
    ),
    "group_trace": Case(
        lrlib.group_trace,
        lambda: {
            "scheduler": StepLR(lrlib.toy_optimizer(0.1, momentum=0.9), 2),
            "steps": 4,
            "keys": ("lr", "momentum"),
            "metrics": None,
        },  # fmt: skip
    ),
    # plots
    "use_book_style": Case(lambda: P.use_book_style(), lambda: {}),
    "new_axes": Case(
        P.new_axes, lambda: {"figsize": (2.0, 1.5), "ncols": 1, "nrows": 1}
    ),
    "style_axes": Case(P.style_axes, lambda: {"ax": axes()}),
    "plot_schedules": Case(
        P.plot_schedules,
        lambda: {
            "curves": {"a": np.linspace(0.1, 0.0, 5)},
            "ax": axes(),
            "unit": "step",
            "ylabel": "lr",
            "title": "t",
            "log": False,
            "start": 0,
            "styles": {"a": {"lw": 1.0}},
        },  # fmt: skip
    ),
    "plot_groups": Case(
        P.plot_groups,
        lambda: {
            "lrs": np.full((4, 2), 0.1),
            "names": ["a", "b"],
            "ax": axes(),
            "unit": "step",
            "title": "t",
            "log": False,
        },  # fmt: skip
    ),
    "plot_lr_momentum": Case(
        P.plot_lr_momentum,
        lambda: {
            "lr": np.full(4, 0.1),
            "momentum": np.full(4, 0.9),
            "ax": axes(),
            "unit": "step",
            "title": "t",
        },  # fmt: skip
    ),
    "plot_runs": Case(
        P.plot_runs,
        lambda: {
            "runs": {"a": np.ones((3, 4))},
            "ax": axes(),
            "unit": "epoch",
            "ylabel": "loss",
            "title": "t",
            "log": False,
            "band": None,
        },  # fmt: skip
    ),
    "plot_final": Case(
        P.plot_final,
        lambda: {
            "results": {"a": [0.9, 0.95]},
            "ax": axes(),
            "ylabel": "acc",
            "title": "t",
        },  # fmt: skip
    ),
    "mark_steps": Case(
        P.mark_steps,
        lambda: {"ax": axes(), "steps": [1, 3], "label": "m", "color": "0.5"},
    ),
    # explorers
    "Explorer": Case(E.Explorer, tiny_explorer),
    "explore": Case(E.explore, tiny_explorer),
    # training
    "Data": Case(
        Data,
        lambda: {
            "x_train": DATA.x_train,
            "y_train": DATA.y_train,
            "x_val": DATA.x_val,
            "y_val": DATA.y_val,
            "x_test": None,
            "y_test": None,
        },  # fmt: skip
    ),
    "digits": Case(
        digits,
        lambda: {
            "seed": 0,
            "val_fraction": 0.3,
            "test_fraction": 0.1,
            "classes": [1, 7],
        },  # fmt: skip
    ),
    "mlp": Case(
        mlp,
        lambda: {
            "in_features": 8,
            "out_features": 3,
            "hidden": (4,),
            "seed": 0,
            "activation": torch.nn.ReLU,
            "norm": False,
        },  # fmt: skip
    ),
    "seed_everything": Case(T.seed_everything, lambda: {"seed": 0}),
    "fit": Case(
        T.fit,
        lambda: dict(
            zip(("model", "optimizer"), model_and_opt()),
            data=DATA,
            scheduler=None,
            epochs=1,
            batch_size=64,
            seed=0,
            interval="step",
            start_epoch=0,
            max_loss=1e3,
            loss_fn=None,
        ),  # fmt: skip
    ),
    "evaluate": Case(
        T.evaluate,
        lambda: {"model": model(), "data": DATA, "split": "val", "loss_fn": None},
    ),
    "run_seeds": Case(
        T.run_seeds,
        lambda: {"run": lambda seed: history(), "seeds": (0, 1)},
    ),
    "summarize": Case(
        T.summarize,
        lambda: {"histories": [history(), history(), history(True)]},
        # documented: no spread from fewer than two surviving runs
        allow_nan=frozenset({"acc_std", "loss_std", "acc_mean", "loss_mean"}),
    ),
    # statistics and reporting
    "summary": Case(
        ST.summary,
        lambda: {"values": [0.9, 0.91, 0.95], "failed": [False, False, True]},
    ),
    "paired_difference": Case(
        ST.paired_difference,
        lambda: {
            "a": [0.9, 0.92, 0.93],
            "b": [0.89, 0.9, 0.93],
            "confidence": 0.95,
            "margin": 0.0,
        },  # fmt: skip
    ),
    "approx": Case(R.approx, lambda: {"value": 0.853, "digits": 2}),
    "glue": Case(R.glue, lambda: {"name": "x", "value": 0.853, "spec": ".3f"}),
    # range test
    "lr_range_test": Case(
        lrlib.lr_range_test,
        lambda: dict(
            zip(("model", "optimizer"), model_and_opt()),
            data=DATA,
            start_lr=1e-4,
            end_lr=1.0,
            num_steps=6,
            mode="exp",
            smooth=0.9,
            diverge_factor=4.0,
            batch_size=16,
            seed=0,
            loss_fn=None,
            restore=True,
        ),  # fmt: skip
    ),
    "range_test_lrs": Case(
        RT.range_test_lrs,
        lambda: {"start_lr": 1e-4, "end_lr": 1.0, "num_steps": 6, "mode": "exp"},
        lambda r, kw: lr_between(kw["start_lr"], kw["end_lr"])(r, kw),
    ),
    "smooth_losses": Case(
        RT.smooth_losses, lambda: {"losses": [3.0, 2.0, 2.5], "beta": 0.9}
    ),
    "RangeTestResult.suggestion": Case(
        lambda method="steepest", skip_start=0: range_result().suggestion(
            method, skip_start=skip_start
        ),
        lambda: {"method": "steepest", "skip_start": 0},
    ),
    "RangeTestResult.plot": Case(
        lambda ax=None, raw=True, suggestions=True, title=None: range_result().plot(
            ax, raw=raw, suggestions=suggestions, title=title
        ),
        lambda: {"ax": axes(), "raw": True, "suggestions": True, "title": "t"},
    ),
    # gallery
    "render_thumbnail": Case(
        G.render_thumbnail,
        lambda: {
            "item": G.GALLERY[1],
            "path": TMP / "t.png",
            "color_index": 0,
        },  # fmt: skip
    ),
}

#: Plain containers of results, built by the functions above (which validate what
#: goes in) and read by the functions that take them (which validate them: fit,
#: summarize, the RangeTestResult methods, render_thumbnail); their constructors are
#: dataclass constructors and are not fuzzed.
RECORDS = {"History", "RangeTestResult", "GalleryItem", "Summary", "PairedDifference"}

#: Known failures in modules another rework owns, by case id (strict xfails, so each
#: entry must go when its fix lands).
OWNED_ELSEWHERE: dict[str, str] = {}
OWNER_REASON = "open defect (issue 12)"


# ------------------------------------------------------------------ the walk


def public_callables() -> dict[str, Any]:
    """``name -> object`` for every public callable of lrlib (one entry per object)."""
    modules = [lrlib] + [importlib.import_module(m) for m in MODULES]
    # Only the modules listed: lrlib imports submodules lazily, so which ones are
    # attributes of the package depends on what ran before. Not yet covered (no
    # baselines): lrlib.hf, conventions, compare, checkpoint, steps, distributed.
    out: dict[str, Any] = {}
    for mod in modules:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if callable(obj) and not isinstance(obj, torch.dtype):
                out.setdefault(name, obj)
    return out


def test_every_public_callable_has_a_baseline():
    missing = sorted(set(public_callables()) - set(BASELINES) - RECORDS)
    assert not missing, f"add a Case to BASELINES in {__file__} for: {missing}"


def _names(case: Case) -> list[str]:
    if case.params is not None:
        return case.params
    return list(case.kwargs())


def _cases():
    for key, case in BASELINES.items():
        for param in _names(case):
            for label in ADVERSARIAL:
                case_id = f"{key}-{param}-{label}"
                marks = []
                if case_id in OWNED_ELSEWHERE:
                    marks = [
                        pytest.mark.xfail(
                            strict=True,
                            reason=f"{OWNER_REASON}: {OWNED_ELSEWHERE[case_id]}",
                        )
                    ]
                yield pytest.param(key, param, label, id=case_id, marks=marks)


def run_case(case: Case, kwargs: dict[str, Any], param: str | None) -> None:
    try:
        result = case.fn(**kwargs)
    except (TypeError, ValueError) as err:
        if param is None:
            raise
        names = (param, *case.aliases.get(param, ()))
        assert any(n in str(err) for n in names), (
            f"{type(err).__name__} does not name {param!r}: {err}"
        )
        return
    assert_finite(result, case.allow_nan)
    if case.check is not None:
        case.check(result, kwargs)


@pytest.mark.parametrize("key", list(BASELINES))
def test_baseline_is_valid(key):
    case = BASELINES[key]
    run_case(case, case.kwargs(), None)
    plt.close("all")


@pytest.mark.parametrize("key,param,label", list(_cases()))
def test_adversarial_value(key, param, label):
    case = BASELINES[key]
    kwargs = case.kwargs()
    kwargs[param] = ADVERSARIAL[label]
    try:
        run_case(case, kwargs, param)
    finally:
        plt.close("all")


# ------------------------------------------------------------------ pairs


MIN_ABOVE_MAX = [
    ("cosine_warmup_restarts_lr", {"min_lr": 0.2, "max_lr": 0.1}, "min_lr"),
    ("CosineAnnealingWarmupRestarts", {"min_lr": 0.2, "max_lr": 0.1}, "min_lr"),
    ("range_test_lrs", {"start_lr": 1.0, "end_lr": 1e-3}, "start_lr"),
    ("lr_range_test", {"start_lr": 1.0, "end_lr": 1e-3}, "start_lr"),
    ("warmup_cosine_lr", {"warmup_steps": 10, "total_steps": 10}, "warmup_steps"),
    ("linear_decay_lr", {"warmup_steps": 11, "total_steps": 10}, "warmup_steps"),
    ("wsd_lr", {"warmup_steps": 8, "decay_steps": 3}, "decay_steps"),
    ("restart_cycles", {"warmup_steps": 5, "first_cycle_steps": 5}, "warmup_steps"),
    ("digits", {"val_fraction": 0.6, "test_fraction": 0.5}, "test_fraction"),
]


@pytest.mark.parametrize("key,change,name", MIN_ABOVE_MAX, ids=lambda x: str(x))
def test_lower_bound_above_upper_bound_is_named(key, change, name):
    case = BASELINES[key]
    with pytest.raises(ValueError, match=name):
        case.fn(**{**case.kwargs(), **change})


@pytest.mark.parametrize(
    "key", ["cosine_warmup_restarts_lr", "cosine_annealing_lr", "wsd_lr", "step_lr"]
)
def test_steps_at_the_top_of_the_range_give_finite_values(key):
    case = BASELINES[key]
    kw = case.kwargs()
    kw["step"] = np.array([0, 2**62, 2**63 - 1], dtype=np.int64)
    run_case(case, kw, None)
    kw["step"] = 2**63 - 1
    run_case(case, kw, None)


def test_signatures_are_fully_fuzzed():
    """Every parameter of a fuzzed callable appears in its baseline (so none is left
    out of the matrix by accident)."""
    gaps = {}
    for key, case in BASELINES.items():
        if case.params is not None:
            continue
        try:
            sig = inspect.signature(case.fn)
        except (TypeError, ValueError):
            continue
        names = {
            p.name
            for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        left_out = names - set(case.kwargs())
        if left_out:
            gaps[key] = sorted(left_out)
    assert not gaps, gaps
