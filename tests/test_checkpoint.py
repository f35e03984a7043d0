"""The resume recipe of lrlib.checkpoint, bit for bit, for every built-in scheduler."""

from __future__ import annotations

import io
import pickle

import pytest
import torch
from torch.optim import lr_scheduler as S

import lrlib
from lrlib import checkpoint as C


class Halve:
    """A picklable factor object: its ``__dict__`` is what LambdaLR saves."""

    def __init__(self, every: int) -> None:
        self.every = every

    def __call__(self, step: int) -> float:
        return 0.5 ** (step // self.every)


class Shrink:
    """MultiplicativeLR's factor as an object."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, step: int) -> float:
        return self.factor


#: One sensible configuration of every public scheduler that runs on a plain optimizer.
BUILTIN = {
    "LambdaLR": lambda o: S.LambdaLR(o, lrlib.WarmupCosine(24, 4)),
    "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, Shrink(0.95)),
    "StepLR": lambda o: S.StepLR(o, step_size=5, gamma=0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[4, 9, 15], gamma=0.3),
    "ConstantLR": lambda o: S.ConstantLR(o, factor=0.25, total_iters=7),
    "LinearLR": lambda o: S.LinearLR(o, start_factor=0.1, total_iters=9),
    "ExponentialLR": lambda o: S.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=20, power=2.0),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5),
    "CyclicLR": lambda o: S.CyclicLR(
        o, 0.005, 0.05, step_size_up=3, mode="triangular2"
    ),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.001
    ),
    "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30),
    "SequentialLR": lambda o: S.SequentialLR(
        o,
        [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=19)],
        milestones=[5],
    ),
    "ChainedScheduler": lambda o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=6), S.ExponentialLR(o, gamma=0.92)],
        optimizer=o,
    ),
}

COMPOSITES = {
    "Sequential(3: warmup, constant, step)": lambda o: S.SequentialLR(
        o,
        [
            S.LinearLR(o, 0.2, total_iters=4),
            S.ConstantLR(o, factor=1.0, total_iters=1),
            S.StepLR(o, step_size=3, gamma=0.5),
        ],
        milestones=[4, 10],
    ),
    "Sequential(warmup, restarts)": lambda o: S.SequentialLR(
        o,
        [S.LinearLR(o, 0.1, total_iters=3), S.CosineAnnealingWarmRestarts(o, T_0=5)],
        milestones=[3],
    ),
    "Sequential(lambda, multistep)": lambda o: S.SequentialLR(
        o,
        [S.LambdaLR(o, Halve(2)), S.MultiStepLR(o, milestones=[3, 8], gamma=0.5)],
        milestones=[6],
    ),
    "Chained(cyclic, exponential)": lambda o: S.ChainedScheduler(
        [S.CyclicLR(o, 0.01, 0.05, step_size_up=2), S.ExponentialLR(o, gamma=0.97)]
    ),
    # lrlib's own scheduler inside compositions (its resume there is issue 12's fix)
    "Sequential(warmup, lrlib CAWR)": lambda o: S.SequentialLR(
        o,
        [
            S.LinearLR(o, 0.1, total_iters=5),
            lrlib.CosineAnnealingWarmupRestarts(
                o, first_cycle_steps=8, max_lr=0.05, min_lr=0.001, warmup_steps=2
            ),
        ],
        milestones=[5],
    ),
    "Chained(lrlib CAWR, exponential)": lambda o: S.ChainedScheduler(
        [
            lrlib.CosineAnnealingWarmupRestarts(
                o, first_cycle_steps=6, max_lr=0.05, min_lr=0.001
            ),
            S.ExponentialLR(o, gamma=0.97),
        ],
        optimizer=o,
    ),
    "Chained(Sequential, exponential)": lambda o: S.ChainedScheduler(
        [
            S.SequentialLR(
                o,
                [S.ConstantLR(o, 0.3, total_iters=3), S.StepLR(o, 4, 0.5)],
                milestones=[3],
            ),
            S.ExponentialLR(o, gamma=0.95),
        ],
        optimizer=o,
    ),
}

CUTS = (4, 6, 13, 19)  # 6 batches per epoch: mid-epoch and epoch-boundary cuts


def builder(make, kind):
    def build():
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 1, dtype=torch.float64)
        if kind == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        else:
            opt = torch.optim.Adam(model.parameters(), lr=0.05)
        return model, opt, make(opt)

    return build


def test_every_public_scheduler_is_covered():
    public = set(S.__all__) - {"LRScheduler"}
    assert public == set(BUILTIN), "a new torch scheduler needs a case in BUILTIN"


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(BUILTIN) + sorted(COMPOSITES))
def test_resume_is_bit_for_bit(name, kind):
    make = BUILTIN.get(name) or COMPOSITES[name]
    build = builder(make, kind)
    for cut in CUTS:
        check = C.compare_resume(build, 24, cut, batch=8)
        assert check.identical, (name, kind, cut, check.first_difference)
        assert check.lr_straight.shape == (24, 1)


def test_the_lr_actually_moves():
    """The recipe is not tested on flat schedules: every case changes its LR."""
    for name, make in {**BUILTIN, **COMPOSITES}.items():
        if name == "ReduceLROnPlateau":
            continue  # moves only when the loss stalls
        check = C.compare_resume(builder(make, "sgd"), 24, 0)
        assert len(set(check.lr_straight[:, 0])) > 1, name


def test_weights_only_load_and_what_lambdas_store():
    model, opt, sched = builder(lambda o: S.LambdaLR(o, Halve(3)), "sgd")()
    state = C.capture(model, opt, sched, step=0)
    assert state["scheduler"]["lr_lambdas"] == [{"every": 3}]
    buf = io.BytesIO()
    C.save(state, buf)
    assert C.load(buf)["scheduler"]["lr_lambdas"] == [{"every": 3}]
    model, opt, sched = builder(lambda o: S.LambdaLR(o, lambda t: 0.5**t), "sgd")()
    assert C.capture(model, opt, sched, step=0)["scheduler"]["lr_lambdas"] == [None]

    class Holder:
        def __init__(self):
            self.inner = Halve(2)  # an object inside the factor's __dict__

        def __call__(self, t):
            return self.inner(t)

    model, opt, sched = builder(lambda o: S.LambdaLR(o, Holder()), "sgd")()
    buf = io.BytesIO()
    C.save(C.capture(model, opt, sched, step=0), buf)
    with pytest.raises(pickle.UnpicklingError):
        C.load(buf)


def test_sampler_position_and_bad_arguments():
    s = C.ResumableSampler(10, seed=3)
    s.set_epoch(2)
    it = iter(s)
    first = [next(it) for _ in range(4)]
    state = s.state_dict()
    assert state == {"epoch": 2, "offset": 4, "seed": 3}
    t = C.ResumableSampler(10, seed=3)
    t.load_state_dict(state)
    assert first + list(t) == s.order(2).tolist()
    with pytest.raises(ValueError, match="seed"):
        C.ResumableSampler(10, seed=4).load_state_dict(state)
    with pytest.raises(ValueError, match="start"):
        s.set_epoch(0, start=11)
    with pytest.raises(TypeError, match="shuffle"):
        C.ResumableSampler(3, shuffle=1)
    with pytest.raises(ValueError, match="n"):
        C.ResumableSampler(0)
    model, opt, sched = builder(BUILTIN["StepLR"], "sgd")()
    with pytest.raises(TypeError, match="model"):
        C.capture(object(), opt, sched, step=0)
    with pytest.raises(TypeError, match="scheduler"):
        C.capture(model, opt, object(), step=0)
    with pytest.raises(ValueError, match="step"):
        C.capture(model, opt, sched, step=-1)
    with pytest.raises(ValueError, match="lacks"):
        C.restore({"model": {}}, model, opt, sched)
    with pytest.raises(ValueError, match="scheduler"):
        C.restore(C.capture(model, opt, None, step=0), model, opt, sched)
    with pytest.raises(ValueError, match="cut"):
        C.compare_resume(builder(BUILTIN["StepLR"], "sgd"), 5, 6)
    with pytest.raises(TypeError, match="build"):
        C.compare_resume(3, 5, 1)
    with pytest.raises(ValueError, match="steps"):
        C.compare_resume(builder(BUILTIN["StepLR"], "sgd"), 2**63, 1)
    with pytest.raises(TypeError, match="metric"):
        C.compare_resume(builder(BUILTIN["StepLR"], "sgd"), 5, 1, metric=0.5)
    with pytest.raises(ValueError, match="seed"):
        C.ResumableSampler(3, seed=2**32)
    state = C.capture(model, opt, sched, step=0)
    for kw, name in [
        ({"scaler": 1.0}, "scaler"),
        ({"sampler": [1, 2]}, "sampler"),
        ({"extra": 3}, "extra"),
    ]:
        with pytest.raises(TypeError, match=name):
            C.capture(model, opt, sched, step=0, **kw)
    with pytest.raises(TypeError, match="optimizer"):
        C.restore(state, model, None, sched)
    with pytest.raises(TypeError, match="sampler"):
        C.restore(state, model, opt, sched, sampler="abc")
    with pytest.raises(TypeError, match="f must be"):
        C.save(state, None)
    with pytest.raises(TypeError, match="f must be"):
        C.load(3.5)
