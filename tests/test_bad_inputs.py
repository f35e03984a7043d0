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

import contextlib
import dataclasses
import importlib
import inspect
import io
import math
import numbers
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
    "lrlib.compare",
    "lrlib.checkpoint",
    "lrlib.steps",
    "lrlib.sharpness",
    "lrlib.hf",
    "lrlib.conventions",
    "lrlib.distributed",
    "lrlib.stacked",
    "lrlib.accelerated",
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


def contender(name: str = "a") -> Any:
    def run(setting: Any, seed: int) -> Any:
        return CMP.Outcome(val=0.5 + 0.01 * seed, test=0.4 + setting["peak"])

    return CMP.Contender(name, run, [{"peak": 0.1}, {"peak": 0.2}])


def trial(peak: float = 0.1) -> Any:
    outcomes = tuple(CMP.Outcome(val=0.5 + peak, test=0.5) for _ in range(2))
    return CMP.Trial("a", {"peak": peak}, (0, 1), outcomes)


def comparison(name: str = "a") -> Any:
    return CMP.compare([contender(name)], (0, 1))


def ckpt_build() -> tuple[torch.nn.Module, torch.optim.Optimizer, LRScheduler]:
    torch.manual_seed(0)
    m = torch.nn.Linear(4, 1, dtype=torch.float64)
    o = torch.optim.SGD(m.parameters(), lr=0.1)
    return m, o, StepLR(o, 3)


def ckpt_objects() -> dict[str, Any]:
    m, o, s = ckpt_build()
    return {"model": m, "optimizer": o, "scheduler": s}


def ckpt_state() -> dict[str, Any]:
    return CK.capture(**ckpt_objects(), step=0, sampler=CK.ResumableSampler(8))


def quadratic() -> dict[str, Any]:
    w = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    h = torch.tensor([3.0, 1.0], dtype=torch.float64)
    return {"loss_fn": lambda: 0.5 * (h * w * w).sum(), "params": [w]}


def in_tmp(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run in the scratch directory, so a path argument writes nothing here."""

    def call(**kw: Any) -> Any:
        with contextlib.chdir(TMP):
            return fn(**kw)

    call.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return call


def in_group(job: Callable[..., Any]) -> Callable[..., Any]:
    """A cluster job called in this process, as rank 0 of a one-process gloo group
    (created on first use), with ``time.sleep`` checked instead of slept."""

    def call(**kw: Any) -> Any:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(
                "gloo", store=dist.HashStore(), rank=0, world_size=1
            )
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(DI.time, "sleep", _checked_sleep)
            return job(**kw)

    call.__signature__ = inspect.signature(job)  # type: ignore[attr-defined]
    return call


@pytest.fixture(autouse=True, scope="module")
def _no_group_left_behind():
    """The one-process group of :func:`in_group` ends with this module."""
    yield
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _checked_sleep(seconds: Any) -> None:
    """What ``time.sleep`` accepts without raising or hanging for long."""
    assert isinstance(seconds, numbers.Real) and not isinstance(seconds, bool), seconds
    assert math.isfinite(seconds) and 0 <= seconds <= 3600, seconds


class FakeScaler:
    """The four methods scaler_step calls, as a disabled GradScaler has them."""

    def is_enabled(self) -> bool:
        return False

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        optimizer.step()

    def update(self) -> None:
        pass

    def get_scale(self) -> float:
        return 1.0


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
        for k, v in value.items():
            # documented: a diverged run of train_scaled has NaN accuracies
            if value.get("diverged") is True and k in ("val_acc", "test_acc"):
                continue
            yield from _walk_numbers(v, seen)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk_numbers(v, seen)
    elif isinstance(value, CMP.Outcome):
        return  # documented: a failed run's scores may be NaN (the run is counted)
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
    #: the valid call starts processes: tests/test_distributed.py makes it, not here
    slow: bool = False
    #: other exceptions that are the right answer to some value
    also: tuple[type[BaseException], ...] = ()


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
CMP = importlib.import_module("lrlib.compare")
CK = importlib.import_module("lrlib.checkpoint")
STP = importlib.import_module("lrlib.steps")
SH = importlib.import_module("lrlib.sharpness")
HF = importlib.import_module("lrlib.hf")
CV = importlib.import_module("lrlib.conventions")
DI = importlib.import_module("lrlib.distributed")
AC = importlib.import_module("lrlib.accelerated")
STK = importlib.import_module("lrlib.stacked")
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
    "SeedStack": Case(
        STK.SeedStack,
        lambda: {
            "in_features": 8,
            "out_features": 3,
            "seeds": [0, 1, 0, 1],
            "hidden": (4,),
            "activation": torch.nn.ReLU,
            "groups": [2, 2],
        },  # fmt: skip
    ),
    "seed_everything": Case(T.seed_everything, lambda: {"seed": 0}),
    "batch_order": Case(T.batch_order, lambda: {"n": 10, "seed": 3, "epoch": 2}),
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
    # comparisons
    "Outcome": Case(
        CMP.Outcome,
        lambda: {
            "val": 0.5,
            "test": 0.4,
            "diverged": False,
            "extra": {"loss": 0.1},
            "curves": {"loss": np.ones(3)},
        },  # fmt: skip
    ),
    "Contender": Case(
        CMP.Contender,
        lambda: {
            "name": "a",
            "run": contender().run,
            "grid": [{"peak": 0.1}, {"peak": 0.2}],
        },  # fmt: skip
    ),
    "choose": Case(
        CMP.choose,
        lambda: {
            "trials": [trial(0.1), trial(0.2)],
            "goal": "max",
            "tiebreak": None,
            "tiebreak_goal": "min",
            "tolerance": 1e-9,
        },  # fmt: skip
    ),
    "compare": Case(
        CMP.compare,
        lambda: {
            "contenders": [contender()],
            "seeds": (0, 1),
            "report_seeds": (2,),
            "goal": "max",
            "tiebreak": None,
            "tiebreak_goal": "min",
            "tolerance": 1e-9,
        },  # fmt: skip
    ),
    "combine": Case(
        lambda comparisons: (
            CMP.combine(*comparisons)
            if isinstance(comparisons, list)
            else CMP.combine(comparisons)
        ),
        lambda: {"comparisons": [comparison("a"), comparison("b")]},
    ),
    "classifier_outcome": Case(
        CMP.classifier_outcome,
        lambda: {
            "model": model(),
            "data": DATA,
            "diverged": False,
            "metric": "acc",
            "curves": {"loss": [1.0, 0.5]},
        },  # fmt: skip
    ),
    "setting_label": Case(
        CMP.setting_label, lambda: {"setting": {"peak": 0.1}, "spec": "g"}
    ),
    # checkpoints
    "ResumableSampler": Case(
        CK.ResumableSampler, lambda: {"n": 8, "seed": 0, "shuffle": True}
    ),
    "capture": Case(
        CK.capture,
        lambda: {
            **ckpt_objects(),
            "step": 3,
            "scaler": None,
            "sampler": CK.ResumableSampler(8),
            "extra": {"note": 1},
        },  # fmt: skip
    ),
    "restore": Case(
        CK.restore,
        lambda: {
            "checkpoint": ckpt_state(),
            **ckpt_objects(),
            "scaler": None,
            "sampler": CK.ResumableSampler(8),
        },  # fmt: skip
    ),
    "save": Case(
        in_tmp(CK.save), lambda: {"checkpoint": ckpt_state(), "f": io.BytesIO()}
    ),
    "load": Case(
        in_tmp(CK.load),
        lambda: {"f": (lambda b: (CK.save(ckpt_state(), b), b)[1])(io.BytesIO())},
        # a path that names no file: the file system's own error is the right one
        also=(FileNotFoundError,),
    ),
    "compare_resume": Case(
        CK.compare_resume,
        lambda: {"build": ckpt_build, "steps": 4, "cut": 2, "batch": 8, "metric": None},
    ),
    # steps
    "updates_per_epoch": Case(
        STP.updates_per_epoch,
        lambda: {
            "n": 100,
            "batch_size": 8,
            "accumulate": 2,
            "world_size": 2,
            "drop_last": False,
            "step_remainder": True,
        },  # fmt: skip
    ),
    "total_updates": Case(
        STP.total_updates,
        lambda: {
            "n": 100,
            "batch_size": 8,
            "epochs": 3,
            "accumulate": 2,
            "world_size": 2,
            "drop_last": False,
            "step_remainder": True,
        },  # fmt: skip
        lr_between(1, 2**63 - 1),  # a step count the closed forms accept
    ),
    "scaler_step": Case(
        STP.scaler_step,
        lambda: {"scaler": FakeScaler(), "optimizer": lrlib.toy_optimizer(0.1)},
    ),
    # sharpness
    "top_eigenvalue": Case(
        SH.top_eigenvalue,
        lambda: {
            **quadratic(),
            "iterations": 5,
            "seed": 0,
            "precondition": [torch.ones(2, dtype=torch.float64)],
        },  # fmt: skip
    ),
    # transformers' schedules
    "linear": Case(
        HF.linear,
        steps_kw(num_warmup_steps=2, num_training_steps=10),
        lr_between(0.0, 1.0),
    ),
    "cosine": Case(
        HF.cosine,
        steps_kw(num_warmup_steps=2, num_training_steps=10, num_cycles=0.5),
        lr_between(0.0, 1.0),
    ),
    "cosine_with_restarts": Case(
        HF.cosine_with_restarts,
        steps_kw(num_warmup_steps=2, num_training_steps=10, num_cycles=2),
        lr_between(0.0, 1.0),
    ),
    "polynomial": Case(
        HF.polynomial,
        steps_kw(
            num_warmup_steps=2,
            num_training_steps=10,
            lr_init=0.1,
            lr_end=1e-3,
            power=2.0,
        ),  # fmt: skip
        lr_between(0.0, 1.0),
    ),
    "constant": Case(HF.constant, steps_kw(), lr_between(0.0, 1.0)),
    "constant_with_warmup": Case(
        HF.constant_with_warmup, steps_kw(num_warmup_steps=3), lr_between(0.0, 1.0)
    ),
    "inverse_sqrt": Case(
        HF.inverse_sqrt,
        steps_kw(num_warmup_steps=3, timescale=4),
        lr_between(0.0, 1.0),
    ),
    "cosine_with_min_lr": Case(
        HF.cosine_with_min_lr,
        steps_kw(
            num_warmup_steps=2,
            num_training_steps=10,
            num_cycles=0.5,
            min_lr=None,
            min_lr_rate=0.1,
            lr_init=None,
        ),  # fmt: skip
        lr_between(0.0, 1.0),
    ),
    "cosine_warmup_with_min_lr": Case(
        HF.cosine_warmup_with_min_lr,
        steps_kw(
            num_warmup_steps=2,
            num_training_steps=10,
            num_cycles=0.5,
            min_lr=None,
            min_lr_rate=0.1,
            warmup_lr_rate=None,
            lr_init=None,
        ),  # fmt: skip
        lr_between(0.0, 1.0),
    ),
    "warmup_stable_decay": Case(
        HF.warmup_stable_decay,
        steps_kw(
            num_warmup_steps=2,
            num_decay_steps=3,
            num_training_steps=10,
            num_stable_steps=None,
            warmup_type="linear",
            decay_type="cosine",
            min_lr_ratio=0.1,
            num_cycles=0.5,
        ),  # fmt: skip
        lr_between(0.0, 1.0),
    ),
    "factor": Case(
        HF.factor,
        lambda: {
            "name": "cosine_with_min_lr",
            "step": np.arange(12),
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"min_lr": 0.01},
            "lr_init": 0.1,
        },  # fmt: skip
        lr_between(0.0, 1.0),
    ),
    "trainer_warmup_steps": Case(
        HF.trainer_warmup_steps,
        lambda: {"warmup_steps": 0.1, "num_training_steps": 95},
        # an integer step count (warmup may outlast training, as in transformers)
        lambda r, kw: (
            (isinstance(r, int), 0 <= r <= 2**63 - 1) == (True, True)
            or pytest.fail(f"not a step count: {r!r}")
        ),
    ),
    # other libraries' conventions
    "timm_cosine_lr": Case(
        CV.timm_cosine_lr,
        steps_kw(
            base_lr=0.1,
            t_initial=5,
            lr_min=0.01,
            cycle_mul=1.5,
            cycle_decay=0.8,
            cycle_limit=3,
            warmup_t=2,
            warmup_lr_init=1e-3,
            warmup_prefix=False,
            k_decay=1.0,
        ),  # fmt: skip
        # cycle_decay > 1 raises each cycle's peak, as timm allows
        lr_bounded_by("base_lr", "lr_min", "warmup_lr_init", growth=True),
    ),
    "optax_warmup_cosine_decay": Case(
        CV.optax_warmup_cosine_decay,
        steps_kw(
            init_value=0.0,
            peak_value=0.1,
            warmup_steps=2,
            decay_steps=10,
            end_value=1e-3,
            exponent=1.0,
        ),  # fmt: skip
        lr_bounded_by("peak_value", "init_value", "end_value"),
    ),
    "onecycle_lr": Case(
        CV.onecycle_lr,
        steps_kw(
            max_lr=0.1,
            total_steps=12,
            pct_start=0.3,
            div_factor=25.0,
            final_div_factor=1e4,
            anneal_strategy="cos",
        ),  # fmt: skip
        lr_bounded_by("max_lr", growth=True),  # div_factor < 1 starts above max_lr
    ),
    "fastai_one_cycle_lr": Case(
        CV.fastai_one_cycle_lr,
        steps_kw(lr_max=0.1, total_steps=12, div=25.0, div_final=1e5, pct_start=0.25),
        lr_bounded_by("lr_max", growth=True),  # as div, div_final < 1 allow
    ),
    "fastai_flat_cos_lr": Case(
        CV.fastai_flat_cos_lr,
        steps_kw(lr=0.1, total_steps=12, div_final=1e5, pct_start=0.75),
        lr_bounded_by("lr", growth=True),
    ),
    # distributed: only what runs in this process (the clusters themselves are
    # tests/test_distributed.py's)
    "replica_check": Case(
        in_group(DI.replica_check),
        lambda: {
            "ctx": DI.Rank(0, 1),
            "steps": 3,
            "per_rank_batch": 16,
            "lr": 0.1,
            "warmup": 1,
            "seed": 0,
            "init_seed_per_rank": True,
        },  # fmt: skip
    ),
    "train_scaled": Case(
        in_group(DI.train_scaled),
        lambda: {
            "ctx": DI.Rank(0, 1),
            "runs": [{"seed": 0, "optimizer": "sgd", "lr": 0.1, "warmup": 1}],
            "per_rank_batch": 256,
            "epochs": 1,
            "hidden": (4,),
            "activation": "relu",
            "max_loss": 1e3,
        },  # fmt: skip
    ),
    "fail_on_rank": Case(
        in_group(DI.fail_on_rank),
        # the error it raises on bad_rank is its purpose, and says so
        lambda: {"ctx": DI.Rank(0, 1), "bad_rank": 1, "message": "bad_rank raised"},
    ),
    "nap": Case(in_group(DI.nap), lambda: {"ctx": DI.Rank(0, 1), "seconds": 0.0}),
    "port_is_free": Case(DI.port_is_free, lambda: {"port": 1, "host": "127.0.0.1"}),
    "steps_per_epoch": Case(
        DI.steps_per_epoch,
        lambda: {"n": 100, "per_rank_batch": 8, "world_size": 2},
    ),
    "Cluster": Case(
        DI.Cluster, lambda: {"world_size": 1, "timeout": 60.0, "start": False}
    ),
    "launch": Case(
        lambda fn, world_size, timeout: DI.launch(fn, world_size, 0.0, timeout=timeout),
        lambda: {"fn": DI.nap, "world_size": 1, "timeout": 60.0},
        # world_size and timeout are Cluster's (fuzzed above); valid ones start
        # processes
        params=["fn"],
        slow=True,
    ),
    "accelerate_env": Case(AC.accelerate_env, lambda: {"rank": 1, "world_size": 2}),
    "scheduler_steps": Case(
        AC.scheduler_steps,
        lambda: {"calls": 3, "world_size": 2, "split_batches": False},
    ),
    "teacher_data": Case(
        AC.teacher_data, lambda: {"n": 8, "features": 3, "classes": 2, "seed": 1}
    ),
    "prepared_schedule": Case(
        AC.prepared_schedule,
        lambda: {"ctx": DI.Rank(0, 1), "calls": 2, "total_steps": 4},
        # a valid call runs Accelerate on a process group: tests/test_accelerated.py
        params=[],
        slow=True,
    ),
    "torchrun_nodes": Case(
        DI.torchrun_nodes,
        lambda: {"job": "whoami", "nnodes": 1, "nproc_per_node": 1, "timeout": 60.0},
        params=[],
        slow=True,
    ),
}

#: Plain containers of results, built by the functions above (which validate what
#: goes in) and read by the functions that take them (which validate them: fit,
#: summarize, the RangeTestResult methods, render_thumbnail); their constructors are
#: dataclass constructors and are not fuzzed.
RECORDS = {
    "History",
    "RangeTestResult",
    "GalleryItem",
    "Summary",
    "PairedDifference",
    "Setting",  # a type alias (Mapping[str, Any]), not a function
    "Trial",
    "Comparison",
    "ResumeCheck",
    "Rank",  # what a job learns about its process; built by the cluster
    "RankError",  # exceptions the cluster raises
    "ClusterTimeout",
}

#: Known failures in modules another rework owns, by case id -> reason (strict
#: xfails, so each entry must go when its fix lands); "pending: <module>" while
#: another helper holds the module. None today.
OWNED_ELSEWHERE: dict[str, str] = {}


# ------------------------------------------------------------------ the walk


def public_callables() -> dict[str, Any]:
    """``name -> object`` for every public callable of lrlib (one entry per object)."""
    modules = [lrlib] + [importlib.import_module(m) for m in MODULES]
    # Only the modules listed: lrlib imports submodules lazily, so which ones are
    # attributes of the package depends on what ran before.
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
                            reason=OWNED_ELSEWHERE[case_id],
                        )
                    ]
                yield pytest.param(key, param, label, id=case_id, marks=marks)


def run_case(case: Case, kwargs: dict[str, Any], param: str | None) -> None:
    try:
        result = case.fn(**kwargs)
    except case.also:
        return
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
    if case.slow:
        pytest.skip("starts worker processes; made by tests/test_distributed.py")
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
