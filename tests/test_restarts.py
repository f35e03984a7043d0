"""lrlib.CosineAnnealingWarmupRestarts: the schedule, its fixes, and its contract."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import make_optimizer, step_builtin
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    SequentialLR,
)

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


# ---------------------------------------------------------------- resume in composites
# Build the optimizer and the scheduler afresh, as a resumed run does, load both
# states in either order, and the LRs must be exactly those of the run that never
# stopped: CAWR first, in the middle and last of a SequentialLR, and first or last of
# a ChainedScheduler, next to built-ins that update recursively from the group's LR.


def make_composite(kind, pos, cfg, opt):
    cawr = CAWR(opt, **cfg)
    if kind == "sequential":
        others = {
            "first": [ExponentialLR(opt, 0.97)],
            "middle": [LinearLR(opt, 0.1, 1.0, 7), CosineAnnealingLR(opt, 9)],
            "last": [LinearLR(opt, 0.1, 1.0, 10)],
        }[pos]
        if pos == "first":
            scheds, cut = [cawr, *others], [cfg["first_cycle_steps"] + 5]
        elif pos == "middle":
            scheds, cut = (
                [others[0], cawr, others[1]],
                [7, 7 + 2 * cfg["first_cycle_steps"]],
            )
        else:
            scheds, cut = [*others, cawr], [10]
        return SequentialLR(opt, scheds, cut)
    other = {"exp": ExponentialLR(opt, 0.9), "const": ConstantLR(opt, 0.5, 6)}[
        "exp" if pos == "first" else "const"
    ]
    return ChainedScheduler([cawr, other] if pos == "first" else [other, cawr])


COMPOSITES = [
    ("sequential", "first"),
    ("sequential", "middle"),
    ("sequential", "last"),
    ("chained", "first"),
    ("chained", "last"),
]


@settings(max_examples=60, deadline=None)
@given(
    configs,
    st.sampled_from(COMPOSITES),
    st.integers(0, 90),
    st.booleans(),
    st.sampled_from(["sgd", "adam"]),
)
def test_resume_inside_composites_is_exact(cfg, composite, cut, optimizer_first, kind):
    n = 100
    full = trace(make_composite(*composite, cfg, make_optimizer(kind=kind)), n)[:, 0]

    opt = make_optimizer(kind=kind)
    first = make_composite(*composite, cfg, opt)
    head = trace(first, cut)[:, 0]
    saved_opt = copy.deepcopy(opt.state_dict())
    saved_sched = pickle.loads(pickle.dumps(first.state_dict()))

    opt2 = make_optimizer(kind=kind)
    second = make_composite(*composite, cfg, opt2)
    if optimizer_first:
        opt2.load_state_dict(saved_opt)
        second.load_state_dict(saved_sched)
    else:
        second.load_state_dict(saved_sched)
        opt2.load_state_dict(saved_opt)
    tail = trace(second, n - cut)[:, 0]
    np.testing.assert_array_equal(np.concatenate([head, tail]), full)


def issue_sequential(opt):
    return SequentialLR(
        opt,
        [LinearLR(opt, 0.1, 1.0, 10), CAWR(opt, 100, max_lr=0.1, min_lr=0.0)],
        [10],
    )


@pytest.mark.parametrize("optimizer_first", [True, False])
def test_the_issue_example_resumes_inside_warmup(optimizer_first):
    opt = lrlib.toy_optimizer(0.1)
    seq = issue_sequential(opt)
    trace(seq, 3)
    saved_opt, saved_seq = copy.deepcopy(opt.state_dict()), seq.state_dict()
    opt2 = lrlib.toy_optimizer(0.1)
    seq2 = issue_sequential(opt2)
    if optimizer_first:
        opt2.load_state_dict(saved_opt)
        seq2.load_state_dict(saved_seq)
    else:
        seq2.load_state_dict(saved_seq)
        opt2.load_state_dict(saved_opt)
    lrs = trace(seq2, 8)[:, 0]
    np.testing.assert_allclose(
        lrs, [0.037, 0.046, 0.055, 0.064, 0.073, 0.082, 0.091, 0.1], rtol=1e-12
    )
    assert lrs.max() <= 0.1


def test_an_inactive_sub_scheduler_leaves_the_loaded_lr_alone():
    opt = lrlib.toy_optimizer(0.1)
    seq = issue_sequential(opt)
    trace(seq, 3)
    saved_opt, saved_seq = copy.deepcopy(opt.state_dict()), seq.state_dict()
    opt2 = lrlib.toy_optimizer(0.1)
    seq2 = issue_sequential(opt2)
    opt2.load_state_dict(saved_opt)
    before = opt2.param_groups[0]["lr"]
    seq2._schedulers[1].load_state_dict(saved_seq["_schedulers"][1])
    assert opt2.param_groups[0]["lr"] == before == pytest.approx(0.037)


def test_chained_scheduler_resumes_at_half_not_at_the_full_value():
    def build(opt):
        return ChainedScheduler([CAWR(opt, 100, max_lr=0.1), ExponentialLR(opt, 0.5)])

    opt = lrlib.toy_optimizer(0.1)
    chain = build(opt)
    trace(chain, 3)
    saved_opt, saved = copy.deepcopy(opt.state_dict()), chain.state_dict()
    opt2 = lrlib.toy_optimizer(0.1)
    chain2 = build(opt2)
    opt2.load_state_dict(saved_opt)
    chain2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.5 * 0.0998, rel=1e-3)


def test_what_chained_scheduler_does_with_an_absolute_scheduler():
    """CAWR sets absolute values: ExponentialLR after it halves each fresh value once
    (CAWR(t) * 0.5 from step 1 on, not CAWR(t) * 0.5**t); before it, it does nothing."""
    cfg = dict(first_cycle_steps=10, max_lr=0.1, min_lr=0.001, warmup_steps=2)
    ref = lrlib.cosine_warmup_restarts_lr(np.arange(30), **cfg)
    opt = lrlib.toy_optimizer(0.1)
    after = trace(ChainedScheduler([CAWR(opt, **cfg), ExponentialLR(opt, 0.5)]), 30)
    np.testing.assert_allclose(after[0, 0], ref[0], rtol=0, atol=0)
    np.testing.assert_allclose(after[1:, 0], 0.5 * ref[1:], rtol=1e-15, atol=0)
    opt = lrlib.toy_optimizer(0.1)
    before = trace(ChainedScheduler([ExponentialLR(opt, 0.5), CAWR(opt, **cfg)]), 30)
    np.testing.assert_allclose(before[:, 0], ref, rtol=0, atol=1e-15)


def test_state_dict_loads_with_weights_only(tmp_path):
    s = CAWR(make_optimizer(), 10, cycle_mult=1.5, warmup_steps=2)
    trace(s, 17)
    path = tmp_path / "s.pt"
    torch.save(s.state_dict(), path)
    state = torch.load(path, weights_only=True)
    other = CAWR(make_optimizer(), 10, cycle_mult=1.5, warmup_steps=2)
    other.load_state_dict(state)
    assert other.last_epoch == s.last_epoch and other.get_last_lr() == s.get_last_lr()
    assert "_written" not in s.state_dict()


# -------------------------------------------------------- a loaded state is checked


def good_state():
    s = CAWR(make_optimizer(), 10, warmup_steps=2)
    trace(s, 5)
    return s.state_dict()


BAD_STATES = [
    (dict(last_epoch=5.5), TypeError, "last_epoch"),
    (dict(last_epoch=float("nan")), TypeError, "last_epoch"),
    (dict(last_epoch=-2), ValueError, "last_epoch"),
    (dict(last_epoch=2**63), ValueError, "last_epoch"),
    (dict(last_epoch=True), TypeError, "last_epoch"),
    (dict(max_lrs=[0.1, 0.2]), ValueError, "max_lrs"),
    (dict(min_lrs=[float("nan")]), ValueError, "min_lrs"),
    (dict(min_lrs=[0.5]), ValueError, "min_lrs"),
    (dict(base_lrs="0.1"), TypeError, "base_lrs"),
    (dict(_last_lr=[float("inf")]), ValueError, "_last_lr"),
    (dict(cycle_mult=0.5), ValueError, "cycle_mult"),
    (dict(first_cycle_steps=2.0), TypeError, "first_cycle_steps"),
    (dict(warmup_steps=10), ValueError, "warmup_steps"),
    (dict(gamma=2.0), ValueError, "gamma"),
    (dict(_step_count=-1), ValueError, "_step_count"),
    (dict(optimizer=None), ValueError, "optimizer"),
]


@pytest.mark.parametrize("change,exc,name", BAD_STATES)
def test_a_bad_state_is_refused_and_changes_nothing(change, exc, name):
    s = CAWR(make_optimizer(), 10, warmup_steps=2)
    trace(s, 3)
    before = (s.state_dict(), s.optimizer.param_groups[0]["lr"])
    with pytest.raises(exc, match=name):
        s.load_state_dict({**good_state(), **change})
    assert (s.state_dict(), s.optimizer.param_groups[0]["lr"]) == before


def test_a_state_that_is_not_a_full_dict_is_refused():
    s = CAWR(make_optimizer(), 10)
    with pytest.raises(TypeError, match="state_dict"):
        s.load_state_dict([("last_epoch", 3)])
    state = good_state()
    del state["max_lrs"]
    with pytest.raises(ValueError, match="max_lrs"):
        s.load_state_dict(state)
    two_groups = CAWR(make_optimizer((0.1, 0.2)), 10).state_dict()
    with pytest.raises(ValueError, match="param groups"):
        s.load_state_dict(two_groups)


# ----------------------------------------------------------- range, overflow, bounds


def test_cycle_mult_that_would_overflow_is_refused_up_front():
    for m in (1e19, 1e308):
        with pytest.raises(ValueError, match="cycle_mult"):
            CAWR(make_optimizer(), 10, cycle_mult=m)
        with pytest.raises(ValueError, match="cycle_mult"):
            lrlib.cosine_warmup_restarts_lr(10, first_cycle_steps=10, cycle_mult=m)
    s = CAWR(make_optimizer(), 10, cycle_mult=2.0**63)  # the largest: still finite
    lrs = trace(s, 30)[:, 0]
    assert np.all(np.isfinite(lrs)) and s.cycle == 1


def test_steps_at_the_end_of_the_int64_range():
    s = CAWR(make_optimizer(), 7, gamma=0.9, min_lr=0.001)
    with pytest.raises(ValueError, match="epoch"):
        s.step(2**63)
    s.step(2**63 - 1)
    assert s.get_last_lr() == [pytest.approx(0.001)]
    s.optimizer.step()
    with pytest.raises(ValueError, match="2\\*\\*63 - 1"):
        s.step()
    with pytest.raises(ValueError, match="last_epoch"):
        CAWR(make_optimizer(), 7, last_epoch=2**63 - 1)
    resumed = CAWR(make_optimizer(), 7, last_epoch=2**63 - 2)
    assert resumed.last_epoch == 2**63 - 1


def test_peak_and_floor_hold_exactly():
    s = CAWR(make_optimizer(), 10, max_lr=0.29, min_lr=0.03)
    assert s.get_last_lr() == [0.29]
    lrs = trace(s, 60)[:, 0]
    assert lrs.max() == 0.29 and lrs.min() >= 0.03


def test_step_epoch_far_away_does_not_walk_the_cycles():
    s = CAWR(make_optimizer(), 10**9, cycle_mult=1 + 1.5e-9)
    s.step(10**16)
    ref = lrlib.cosine_warmup_restarts_lr(
        10**16, first_cycle_steps=10**9, cycle_mult=1 + 1.5e-9
    )
    assert s.get_last_lr() == [pytest.approx(ref, abs=1e-15)]
    s.step(10**16 - 10**12)  # and back
    assert s.cycle < 10**7
