"""The LambdaLR factor objects: formula, persistence through state_dict, validation."""

import math
import pickle

import numpy as np
import pytest
from conftest import make_optimizer, step_builtin
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import LambdaLR

import lrlib


def test_warmup_cosine_formula():
    f = lrlib.WarmupCosine(total_steps=110, warmup_steps=10, min_factor=0.1)
    assert f(0) == 0.0 and f(5) == 0.5 and f(10) == 1.0
    assert f(60) == pytest.approx(0.1 + 0.9 * 0.5)
    assert f(110) == pytest.approx(0.1)
    assert f(500) == pytest.approx(0.1)  # clamped: no climb back after the end


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 400), st.data())
def test_warmup_cosine_bounds_and_monotone_decay(total, data):
    warmup = data.draw(st.integers(0, total - 1))
    m = data.draw(st.floats(0.0, 1.0))
    f = lrlib.WarmupCosine(total, warmup, m)
    t = np.arange(total + 50)
    vals = np.array([f(int(i)) for i in t])
    assert np.all(vals >= -1e-15) and np.all(vals <= 1 + 1e-15)
    tail = vals[warmup:]
    assert np.all(np.diff(tail) <= 1e-12)
    assert np.all(vals[total:] == pytest.approx(m))


def test_lambda_lr_with_factor_objects_matches_closed_form():
    opt = make_optimizer((0.1, 0.01))
    sched = LambdaLR(opt, lr_lambda=[lrlib.WarmupCosine(100, 10), lrlib.Constant()])
    lrs = np.array(step_builtin(sched, 120))
    ref = lrlib.warmup_cosine_lr(
        np.arange(120), base_lr=0.1, total_steps=100, warmup_steps=10
    )
    np.testing.assert_allclose(lrs[:, 0], ref, rtol=0, atol=1e-12)
    assert np.all(lrs[:, 1] == 0.01)


def test_config_survives_state_dict_but_a_lambda_does_not():
    opt = make_optimizer((0.1, 0.1))
    sched = LambdaLR(opt, lr_lambda=[lrlib.WarmupCosine(100, 10, 0.2), lambda t: 0.5])
    step_builtin(sched, 30)
    state = sched.state_dict()
    assert state["lr_lambdas"][0] == {
        "total_steps": 100,
        "warmup_steps": 10,
        "min_factor": 0.2,
        "start_factor": 0.0,
    }
    assert state["lr_lambdas"][1] is None  # plain lambdas are not saved

    opt2 = make_optimizer((0.1, 0.1))
    other = LambdaLR(opt2, lr_lambda=[lrlib.WarmupCosine(7, 1), lambda t: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0] == lrlib.WarmupCosine(100, 10, 0.2)  # restored
    assert (
        other.lr_lambdas[1](0) == 1.0
    )  # the new lambda stays: nothing was saved for it


@pytest.mark.parametrize(
    "factor",
    [lrlib.WarmupCosine(50, 5, 0.1, 0.01), lrlib.LinearWarmup(7), lrlib.Constant(0.3)],
)
def test_pickle_round_trip(factor):
    clone = pickle.loads(pickle.dumps(factor))
    assert clone == factor and repr(clone) == repr(factor)
    assert [clone(t) for t in range(60)] == [factor(t) for t in range(60)]


def test_linear_warmup_and_constant():
    f = lrlib.LinearWarmup(4)
    assert [f(t) for t in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert lrlib.LinearWarmup(0)(0) == 1.0
    assert lrlib.Constant()(123) == 1.0


@pytest.mark.parametrize(
    "make,exc,name",
    [
        (lambda: lrlib.WarmupCosine(10, 10), ValueError, "warmup_steps"),
        (lambda: lrlib.WarmupCosine(0, 0), ValueError, "total_steps"),
        (lambda: lrlib.WarmupCosine(10.0, 1), TypeError, "total_steps"),
        (lambda: lrlib.WarmupCosine(10, -1), ValueError, "warmup_steps"),
        (lambda: lrlib.WarmupCosine(10, 1, min_factor=1.5), ValueError, "min_factor"),
        (
            lambda: lrlib.WarmupCosine(10, 1, min_factor=math.nan),
            ValueError,
            "min_factor",
        ),
        (
            lambda: lrlib.WarmupCosine(10, 1, start_factor=-0.1),
            ValueError,
            "start_factor",
        ),
        (lambda: lrlib.LinearWarmup(-2), ValueError, "warmup_steps"),
        (lambda: lrlib.LinearWarmup("3"), TypeError, "warmup_steps"),
        (lambda: lrlib.Constant(-1.0), ValueError, "factor"),
        (lambda: lrlib.WarmupCosine(10, 1)(-1), ValueError, "step"),
    ],
)
def test_bad_arguments(make, exc, name):
    with pytest.raises(exc, match=name):
        make()


def test_constant_factor_stays_in_zero_one_so_lambda_lr_stays_finite():
    with pytest.raises(ValueError, match="factor"):
        lrlib.Constant(1e308)
    with pytest.raises(ValueError, match="factor"):
        lrlib.Constant(1.5)
    opt = lrlib.toy_optimizer(10.0)
    lrs = lrlib.lr_trace(LambdaLR(opt, lrlib.Constant(1.0)), 3)
    assert np.all(lrs == 10.0)


@pytest.mark.parametrize(
    "factor",
    [lrlib.WarmupCosine(50, 5, 0.1), lrlib.LinearWarmup(7), lrlib.Constant(0.3)],
)
def test_factors_refuse_steps_outside_the_int64_range(factor):
    assert 0.0 <= factor(2**63 - 1) <= 1.0
    with pytest.raises(ValueError, match="step"):
        factor(2**63)
    with pytest.raises(TypeError, match="step"):
        factor(2.5)
