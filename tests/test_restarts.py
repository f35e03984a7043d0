"""lrlib.CosineAnnealingWarmupRestarts: the schedule, its fixes, and its contract."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
from conftest import make_optimizer, step_builtin
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

import lrlib
from lrlib import CosineAnnealingWarmupRestarts as CAWR


def trace(sched, steps):
    n = len(sched.optimizer.param_groups)
    return np.array(step_builtin(sched, steps), dtype=float).reshape(steps, n)


configs = st.builds(
    dict,
    first_cycle_steps=st.integers(1, 40),
    cycle_mult=st.sampled_from([1.0, 1.3, 1.5, 2.0, 3.0]),
    max_lr=st.floats(1e-4, 1.0),
    min_frac=st.floats(0.0, 1.0),
    warmup_frac=st.floats(0.0, 0.99),
    gamma=st.floats(0.05, 1.0),
).map(
    lambda c: dict(
        first_cycle_steps=c["first_cycle_steps"],
        cycle_mult=c["cycle_mult"],
        max_lr=c["max_lr"],
        min_lr=c["max_lr"] * c["min_frac"],
        warmup_steps=int(c["warmup_frac"] * c["first_cycle_steps"]),
        gamma=c["gamma"],
    )
)


# ---------------------------------------------------------------- the schedule itself


def test_matches_spec_by_hand():
    s = CAWR(
        make_optimizer(),
        first_cycle_steps=10,
        cycle_mult=2,
        max_lr=1.0,
        min_lr=0.0,
        warmup_steps=3,
        gamma=0.5,
    )
    lrs = trace(s, 60)[:, 0]
    assert lrs[0] == 0.0 and lrs[3] == 1.0  # warmup from min_lr to the peak
    assert lrs[1] == pytest.approx(1 / 3)
    assert lrs[10] == 0.0 and lrs[13] == 0.5  # cycle 1 starts at 10, peak * gamma
    assert lrs[27] == 0.0 and lrs[30] == 0.25  # cycle 2 starts at 27 (not 30)
    assert lrs[58 - 1] > 0  # cycle 3 starts at 58
    # inside the cosine part: half way between peak and floor at the middle of the fall
    assert lrs[3 + 7 // 2] == pytest.approx((1 + math.cos(math.pi * 3 / 7)) / 2)


def test_cycles_start_at_10_27_58():
    starts = [
        s
        for s, _ in lrlib.restart_cycles(
            4, first_cycle_steps=10, cycle_mult=2, warmup_steps=3
        )
    ]
    assert starts == [0, 10, 27, 58]
    s = CAWR(make_optimizer(), 10, cycle_mult=2, max_lr=1.0, min_lr=0.0, warmup_steps=3)
    for t in range(80):
        s.step(t)
        expected_cycle = sum(t >= b for b in (10, 27, 58))
        assert s.cycle == expected_cycle


def test_no_warmup_starts_at_the_peak():
    s = CAWR(make_optimizer(), first_cycle_steps=20, max_lr=0.1, min_lr=0.001)
    assert s.get_last_lr() == [pytest.approx(0.1)]
    lrs = trace(s, 45)[:, 0]
    assert (
        lrs[0] == pytest.approx(0.1)
        and lrs[20] == pytest.approx(0.1)
        and lrs[40] == pytest.approx(0.1)
    )


def test_equals_cosine_annealing_lr_in_the_first_cycle():
    ours = trace(CAWR(make_optimizer(), 100, max_lr=0.1, min_lr=0.0), 100)[:, 0]
    ref = trace(CosineAnnealingLR(make_optimizer(), T_max=100), 100)[:, 0]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_peak_never_below_min_lr():
    s = CAWR(make_optimizer(), 10, max_lr=0.1, min_lr=0.01, gamma=0.1)
    lrs = trace(s, 100)[:, 0]
    assert lrs.min() >= 0.01 - 1e-15
    assert lrs[30] == pytest.approx(
        0.01
    )  # 0.1 * 0.1**3 = 1e-4 would be below the floor


@settings(max_examples=60, deadline=None)
@given(configs)
def test_class_equals_closed_form_and_stays_in_bounds(cfg):
    n = 200
    lrs = trace(CAWR(make_optimizer(), **cfg), n)[:, 0]
    ref = lrlib.cosine_warmup_restarts_lr(np.arange(n), **cfg)
    np.testing.assert_allclose(lrs, ref, rtol=0, atol=1e-12)
    assert np.all(lrs >= cfg["min_lr"] - 1e-12) and np.all(lrs <= cfg["max_lr"] + 1e-12)


@settings(max_examples=60, deadline=None)
@given(configs, st.integers(0, 300))
def test_random_access_equals_sequential(cfg, t):
    seq = trace(CAWR(make_optimizer(), **cfg), t + 2)[:, 0]
    jump = CAWR(make_optimizer(), **cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning for step(epoch)
        jump.step(t)
    assert jump.get_last_lr()[0] == pytest.approx(seq[t], abs=1e-12)
    assert jump.optimizer.param_groups[0]["lr"] == pytest.approx(seq[t], abs=1e-12)
    # last_epoch=N: the constructor's step lands on N + 1, like N + 1 sequential steps
    opt = make_optimizer()
    resumed = CAWR(opt, last_epoch=t, **cfg)
    assert resumed.last_epoch == t + 1
    assert resumed.get_last_lr()[0] == pytest.approx(seq[t + 1], abs=1e-12)
    # and sequential stepping afterwards continues the same curve
    more = trace(resumed, 1)[:, 0]
    assert more[0] == pytest.approx(seq[t + 1], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(configs, st.integers(0, 120), st.booleans())
def test_resume_equals_uninterrupted(cfg, k, optimizer_first):
    n = 160
    full = trace(CAWR(make_optimizer(kind="adam"), **cfg), n)[:, 0]

    opt = make_optimizer(kind="adam")
    first = CAWR(opt, **cfg)
    head = trace(first, k)[:, 0]
    saved_opt = copy.deepcopy(opt.state_dict())
    saved_sched = pickle.loads(pickle.dumps(first.state_dict()))

    opt2 = make_optimizer(kind="adam")
    if optimizer_first:
        opt2.load_state_dict(saved_opt)
        second = CAWR(opt2, **cfg)
        second.load_state_dict(saved_sched)
    else:
        second = CAWR(opt2, **cfg)
        second.load_state_dict(saved_sched)
        opt2.load_state_dict(saved_opt)
    tail = trace(second, n - k)[:, 0]
    np.testing.assert_allclose(np.concatenate([head, tail]), full, rtol=0, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(configs, st.integers(0, 100))
def test_pickle_round_trip(cfg, k):
    s = CAWR(make_optimizer(), **cfg)
    trace(s, k)
    clone = pickle.loads(pickle.dumps(s))
    assert clone.get_last_lr() == s.get_last_lr()
    np.testing.assert_allclose(trace(clone, 50), trace(s, 50), rtol=0, atol=0)


# ---------------------------------------------------------------- groups


def test_per_group_lists_and_max_lr_none():
    opt = make_optimizer((0.05, 0.2))
    s = CAWR(opt, 20, max_lr=None, min_lr=[0.001, 0.002], warmup_steps=5)
    lrs = trace(s, 40)
    assert lrs[5, 0] == pytest.approx(0.05) and lrs[5, 1] == pytest.approx(0.2)
    assert lrs[0, 0] == pytest.approx(0.001) and lrs[0, 1] == pytest.approx(0.002)
    opt = make_optimizer((0.05, 0.2))
    s = CAWR(opt, 20, max_lr=[0.3, 0.4], min_lr=0.0)
    assert s.get_last_lr() == [pytest.approx(0.3), pytest.approx(0.4)]


def test_inside_sequential_lr():
    opt = make_optimizer()
    warm = LinearLR(opt, start_factor=0.1, total_iters=5)
    restarts = CAWR(opt, 10, max_lr=0.1, min_lr=0.0, cycle_mult=2)
    seq = SequentialLR(opt, [warm, restarts], milestones=[5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs = trace(seq, 40)[:, 0]
    ref = lrlib.cosine_warmup_restarts_lr(
        np.arange(35), first_cycle_steps=10, cycle_mult=2, max_lr=0.1, min_lr=0.0
    )
    np.testing.assert_allclose(lrs[5:], ref, rtol=0, atol=1e-12)
    assert lrs[0] == pytest.approx(0.01)


def test_no_warnings_in_the_right_order():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace(CAWR(make_optimizer(), 10, warmup_steps=2), 30)


def test_warns_like_pytorch_when_stepped_before_the_optimizer():
    s = CAWR(make_optimizer(), 10)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        s.step()


# ---------------------------------------------------------------- bad arguments

BAD = [
    (dict(first_cycle_steps=10, warmup_steps=10), ValueError, "warmup_steps"),
    (dict(first_cycle_steps=10, warmup_steps=12), ValueError, "warmup_steps"),
    (dict(first_cycle_steps=10, cycle_mult=0.5), ValueError, "cycle_mult"),
    (dict(first_cycle_steps=0), ValueError, "first_cycle_steps"),
    (dict(first_cycle_steps=-3), ValueError, "first_cycle_steps"),
    (dict(first_cycle_steps=10.5), TypeError, "first_cycle_steps"),
    (dict(first_cycle_steps=True), TypeError, "first_cycle_steps"),
    (dict(first_cycle_steps="10"), TypeError, "first_cycle_steps"),
    (dict(first_cycle_steps=10, warmup_steps=-1), ValueError, "warmup_steps"),
    (dict(first_cycle_steps=10, warmup_steps=2.0), TypeError, "warmup_steps"),
    (dict(first_cycle_steps=10, gamma=0.0), ValueError, "gamma"),
    (dict(first_cycle_steps=10, gamma=-0.5), ValueError, "gamma"),
    (dict(first_cycle_steps=10, gamma=1.5), ValueError, "gamma"),
    (dict(first_cycle_steps=10, gamma=float("nan")), ValueError, "gamma"),
    (dict(first_cycle_steps=10, max_lr=0.001, min_lr=0.1), ValueError, "min_lr"),
    (dict(first_cycle_steps=10, max_lr=-0.1), ValueError, "max_lr"),
    (dict(first_cycle_steps=10, max_lr=float("nan")), ValueError, "max_lr"),
    (dict(first_cycle_steps=10, min_lr=float("nan")), ValueError, "min_lr"),
    (dict(first_cycle_steps=10, min_lr=-1e-3), ValueError, "min_lr"),
    (dict(first_cycle_steps=10, max_lr=float("inf")), ValueError, "max_lr"),
    (dict(first_cycle_steps=10, max_lr=[0.1, 0.2]), ValueError, "max_lr"),
    (dict(first_cycle_steps=10, min_lr=[0.0, 0.0, 0.0]), ValueError, "min_lr"),
    (dict(first_cycle_steps=10, max_lr="0.1"), TypeError, "max_lr"),
    (dict(first_cycle_steps=10, cycle_mult=float("nan")), ValueError, "cycle_mult"),
    (dict(first_cycle_steps=10, last_epoch=-2), ValueError, "last_epoch"),
]


@pytest.mark.parametrize("kwargs,exc,name", BAD)
def test_bad_arguments_raise_naming_the_argument(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        CAWR(make_optimizer(), **kwargs)
    fn_kwargs = {k: v for k, v in kwargs.items() if k != "last_epoch"}
    if (
        "last_epoch" not in kwargs
        and not isinstance(fn_kwargs.get("max_lr"), list)
        and not isinstance(fn_kwargs.get("min_lr"), list)
    ):
        with pytest.raises(exc, match=name):
            lrlib.cosine_warmup_restarts_lr(np.arange(5), **fn_kwargs)


def test_bad_optimizer_and_epoch():
    with pytest.raises(TypeError, match="optimizer"):
        CAWR(object(), 10)
    s = CAWR(make_optimizer(), 10)
    with pytest.raises(ValueError, match="epoch"):
        s.step(-1)
    with pytest.raises(TypeError, match="epoch"):
        s.step(2.5)


def test_per_group_min_above_max_names_the_group():
    with pytest.raises(ValueError, match="param group 1"):
        CAWR(make_optimizer((0.1, 0.01)), 10, max_lr=None, min_lr=0.05)


def test_max_lr_none_when_resuming_needs_initial_lr():
    with pytest.raises(ValueError, match="max_lr"):
        CAWR(make_optimizer(), 10, max_lr=None, last_epoch=5)


def test_huge_steps_are_fast_and_finite():
    lr = lrlib.cosine_warmup_restarts_lr(
        10**12, first_cycle_steps=7, cycle_mult=1.0, warmup_steps=2
    )
    assert math.isfinite(lr)
    lr = lrlib.cosine_warmup_restarts_lr(
        10**15, first_cycle_steps=7, cycle_mult=2.0, warmup_steps=2, gamma=0.5
    )
    assert lr == pytest.approx(0.001, abs=0.0011)
    # a huge cycle index with a decaying peak: the peak has long reached the floor
    t = np.array([10**12, 10**12 + 3])
    lrs = lrlib.cosine_warmup_restarts_lr(
        t, first_cycle_steps=7, gamma=0.9, min_lr=0.001
    )
    np.testing.assert_allclose(lrs, 0.001)
    s = CAWR(make_optimizer(), 7, gamma=0.9, min_lr=0.001)
    s.step(10**12)
    assert s.get_last_lr() == [pytest.approx(0.001)]
