"""Each closed form equals stepping the PyTorch built-in, is exact far past its first
period, refuses steps outside the int64 range and stays inside its bounds."""

import math

import mpmath
import numpy as np
import pytest
from conftest import make_optimizer, step_builtin
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as S

import lrlib
from lrlib import schedules

TOL = 1e-12


def builtin_curve(make, steps, lr=0.1):
    opt = make_optimizer((lr,))
    return np.array(step_builtin(make(opt), steps))[:, 0]


@pytest.mark.parametrize("step_size,gamma", [(1, 0.5), (7, 0.1), (200, 0.5), (30, 0.9)])
def test_step_lr(step_size, gamma):
    t = np.arange(700)
    ref = builtin_curve(lambda o: S.StepLR(o, step_size=step_size, gamma=gamma), len(t))
    np.testing.assert_allclose(
        lrlib.step_lr(t, base_lr=0.1, step_size=step_size, gamma=gamma),
        ref,
        rtol=0,
        atol=TOL,
    )


@pytest.mark.parametrize("milestones", [[200, 350], [1, 2, 3], [5, 5, 40], [10, 600]])
def test_multistep_lr(milestones):
    t = np.arange(700)
    ref = builtin_curve(
        lambda o: S.MultiStepLR(o, milestones=milestones, gamma=0.5), len(t)
    )
    np.testing.assert_allclose(
        lrlib.multistep_lr(t, base_lr=0.1, milestones=milestones, gamma=0.5),
        ref,
        rtol=0,
        atol=TOL,
    )


@pytest.mark.parametrize("gamma", [0.95, 0.99, 0.5, 1.0])
def test_exponential_lr(gamma):
    t = np.arange(500)
    ref = builtin_curve(lambda o: S.ExponentialLR(o, gamma=gamma), len(t))
    np.testing.assert_allclose(
        lrlib.exponential_lr(t, base_lr=0.1, gamma=gamma), ref, rtol=0, atol=TOL
    )


@pytest.mark.parametrize(
    "T_max,eta_min", [(100, 0.0), (100, 0.001), (37, 0.01), (1, 0.0), (2, 0.05)]
)
def test_cosine_annealing_lr_including_past_T_max(T_max, eta_min):
    t = np.arange(5 * T_max + 3)  # several periods of 2*T_max
    ref = builtin_curve(
        lambda o: S.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), len(t)
    )
    ours = lrlib.cosine_annealing_lr(t, base_lr=0.1, T_max=T_max, eta_min=eta_min)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)
    assert ours[2 * T_max] == pytest.approx(0.1)  # back at the top after one period


@pytest.mark.parametrize(
    "T_0,T_mult,eta_min", [(50, 2, 0.001), (10, 1, 0.0), (7, 3, 0.01), (1, 2, 0.0)]
)
def test_cosine_warm_restarts_lr(T_0, T_mult, eta_min):
    t = np.arange(800)
    ref = builtin_curve(
        lambda o: S.CosineAnnealingWarmRestarts(
            o, T_0=T_0, T_mult=T_mult, eta_min=eta_min
        ),
        len(t),
    )
    ours = lrlib.cosine_warm_restarts_lr(
        t, base_lr=0.1, T_0=T_0, T_mult=T_mult, eta_min=eta_min
    )
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


@pytest.mark.parametrize(
    "start,end,total", [(1 / 3, 1.0, 5), (0.01, 1.0, 100), (1.0, 0.1, 50)]
)
def test_linear_lr(start, end, total):
    t = np.arange(200)
    ref = builtin_curve(
        lambda o: S.LinearLR(o, start_factor=start, end_factor=end, total_iters=total),
        len(t),
    )
    np.testing.assert_allclose(
        lrlib.linear_lr(
            t, base_lr=0.1, start_factor=start, end_factor=end, total_iters=total
        ),
        ref,
        rtol=0,
        atol=TOL,
    )


def test_constant_lr():
    t = np.arange(40)
    ref = builtin_curve(lambda o: S.ConstantLR(o, factor=0.25, total_iters=10), len(t))
    np.testing.assert_allclose(
        lrlib.constant_lr(t, base_lr=0.1, factor=0.25, total_iters=10),
        ref,
        rtol=0,
        atol=TOL,
    )


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_lr(power):
    t = np.arange(150)
    ref = builtin_curve(
        lambda o: S.PolynomialLR(o, total_iters=100, power=power), len(t)
    )
    np.testing.assert_allclose(
        lrlib.polynomial_lr(t, base_lr=0.1, total_iters=100, power=power),
        ref,
        rtol=0,
        atol=TOL,
    )


@pytest.mark.parametrize(
    "warmup,total,start", [(10, 100, 0.01), (1, 50, 0.5), (25, 300, 1e-3)]
)
def test_linear_warmup_then_cosine_with_sequential_lr(warmup, total, start):
    """LinearLR + CosineAnnealingLR inside SequentialLR is warmup_cosine_lr with
    start_factor."""
    t = np.arange(total)

    def make(o):
        return S.SequentialLR(
            o,
            [
                S.LinearLR(o, start_factor=start, total_iters=warmup),
                S.CosineAnnealingLR(o, T_max=total - warmup),
            ],
            milestones=[warmup],
        )

    ref = builtin_curve(make, len(t))
    ours = lrlib.warmup_cosine_lr(
        t, base_lr=0.1, total_steps=total, warmup_steps=warmup, start_factor=start
    )
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


def test_linear_warmup_factor_with_sequential_lr():
    t = np.arange(60)

    def make(o):
        return S.SequentialLR(
            o,
            [
                S.LinearLR(o, start_factor=0.2, total_iters=20),
                S.ConstantLR(o, factor=1.0, total_iters=0),
            ],
            milestones=[20],
        )

    ref = builtin_curve(make, len(t))
    ours = 0.1 * lrlib.linear_warmup_factor(t, warmup_steps=20, start_factor=0.2)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


def test_scalar_in_scalar_out_and_numpy_integers():
    v = lrlib.step_lr(np.int64(250), base_lr=0.1, step_size=200, gamma=0.5)
    assert isinstance(v, float) and v == pytest.approx(0.05)
    arr = lrlib.step_lr(
        np.arange(3, dtype=np.int32), base_lr=0.1, step_size=1, gamma=0.5
    )
    assert arr.shape == (3,)


def test_modern_schedules_shapes():
    t = np.arange(1000)
    lin = lrlib.linear_decay_lr(t, base_lr=1.0, total_steps=1000, warmup_steps=100)
    assert lin[0] == 0 and lin[100] == 1.0 and lin[-1] == pytest.approx(1 / 900)
    inv = lrlib.inverse_sqrt_lr(t, base_lr=1.0, warmup_steps=100)
    assert inv.argmax() == 99 and inv[399] == pytest.approx(0.5)
    for decay in ("linear", "cosine", "sqrt"):
        w = lrlib.wsd_lr(
            t,
            base_lr=1.0,
            total_steps=1000,
            warmup_steps=50,
            decay_steps=200,
            decay=decay,
        )
        assert w[50] == 1.0 and w[799] == 1.0 and w[-1] < 0.05
        assert np.all(np.diff(w[800:]) <= 1e-15)


def test_linear_decay_matches_polynomial_power_one():
    t = np.arange(300)
    np.testing.assert_allclose(
        lrlib.linear_decay_lr(t, base_lr=0.1, total_steps=200),
        lrlib.polynomial_lr(t, base_lr=0.1, total_iters=200, power=1.0),
        rtol=0,
        atol=TOL,
    )


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: lrlib.step_lr(-1, base_lr=0.1, step_size=1), ValueError, "step"),
        (lambda: lrlib.step_lr(1.5, base_lr=0.1, step_size=1), TypeError, "step"),
        (
            lambda: lrlib.step_lr(np.array([0.5]), base_lr=0.1, step_size=1),
            TypeError,
            "step",
        ),
        (lambda: lrlib.step_lr(1, base_lr=0.1, step_size=0), ValueError, "step_size"),
        (
            lambda: lrlib.step_lr(1, base_lr=float("nan"), step_size=2),
            ValueError,
            "base_lr",
        ),
        (
            lambda: lrlib.cosine_annealing_lr(1, base_lr=0.1, T_max=0),
            ValueError,
            "T_max",
        ),
        (
            lambda: lrlib.cosine_warm_restarts_lr(1, base_lr=0.1, T_0=10, T_mult=1.5),
            TypeError,
            "T_mult",
        ),
        (
            lambda: lrlib.multistep_lr(1, base_lr=0.1, milestones=[3, -1]),
            ValueError,
            "milestones[1]",
        ),
        (
            lambda: lrlib.warmup_cosine_lr(
                1, base_lr=0.1, total_steps=10, warmup_steps=10
            ),
            ValueError,
            "warmup_steps",
        ),
        (
            lambda: lrlib.wsd_lr(
                1, base_lr=1, total_steps=10, warmup_steps=5, decay_steps=6
            ),
            ValueError,
            "decay_steps",
        ),
        (
            lambda: lrlib.wsd_lr(
                1, base_lr=1, total_steps=10, warmup_steps=1, decay_steps=2, decay="exp"
            ),
            ValueError,
            "decay",
        ),
        (
            lambda: lrlib.inverse_sqrt_lr(1, base_lr=1, warmup_steps=0),
            ValueError,
            "warmup_steps",
        ),
    ],
)
def test_bad_arguments_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=name.replace("[", r"\[").replace("]", r"\]")):
        call()


# ------------------------------------------------------------------ wide differential
# Hypothesis draws configurations over wide ranges and compares each closed form with
# stepping its PyTorch built-in. PyTorch's recursive forms accumulate rounding error
# as they step (CosineAnnealingLR most: its ratio of cosines amplifies it when eta_min
# is close to base_lr), so the tolerance is 1e-12 of the largest LR for the
# multiplicative ones and 1e-11 for CosineAnnealingLR; lrlib is the exact side (see
# the exact-reference tests below).

WIDE = settings(max_examples=40, deadline=None)
lrs = st.floats(1e-6, 10.0)


def assert_close(ours, ref, scale, tol=1e-12):
    np.testing.assert_allclose(ours, ref, rtol=0, atol=tol * max(scale, 1e-300))


@WIDE
@given(lrs, st.integers(1, 300), st.floats(0.0, 1.5), st.integers(1, 400))
def test_wide_step_lr(base, step_size, gamma, n):
    gamma = min(gamma, 1.0 + 1.0 / n)  # growth stays far from float64 overflow
    ref = builtin_curve(lambda o: S.StepLR(o, step_size, gamma=gamma), n, base)
    ours = lrlib.step_lr(np.arange(n), base_lr=base, step_size=step_size, gamma=gamma)
    assert_close(ours, ref, max(np.max(ref), base))


@WIDE
@given(
    lrs,
    st.lists(st.integers(0, 300), max_size=6),
    st.floats(0.0, 2.0),
    st.integers(1, 400),
)
def test_wide_multistep_lr(base, milestones, gamma, n):
    ref = builtin_curve(lambda o: S.MultiStepLR(o, milestones, gamma=gamma), n, base)
    ours = lrlib.multistep_lr(
        np.arange(n), base_lr=base, milestones=milestones, gamma=gamma
    )
    assert_close(ours, ref, max(np.max(ref), base))


@WIDE
@given(lrs, st.floats(0.0, 1.01), st.integers(1, 400))
def test_wide_exponential_lr(base, gamma, n):
    ref = builtin_curve(lambda o: S.ExponentialLR(o, gamma=gamma), n, base)
    ours = lrlib.exponential_lr(np.arange(n), base_lr=base, gamma=gamma)
    assert_close(ours, ref, max(np.max(ref), base))


@WIDE
@given(lrs, st.floats(1e-3, 1.0), st.integers(0, 200), st.integers(1, 300))
def test_wide_constant_lr(base, factor, total, n):
    # factor=0 is left out: ConstantLR divides by it when the factor comes off
    ref = builtin_curve(lambda o: S.ConstantLR(o, factor, total_iters=total), n, base)
    ours = lrlib.constant_lr(
        np.arange(n), base_lr=base, factor=factor, total_iters=total
    )
    assert_close(ours, ref, base)


@WIDE
@given(
    lrs,
    st.floats(1e-3, 1.0),
    st.floats(0.0, 1.0),
    st.integers(1, 200),
    st.integers(1, 300),
)
def test_wide_linear_lr(base, start, end, total, n):
    ref = builtin_curve(lambda o: S.LinearLR(o, start, end, total), n, base)
    ours = lrlib.linear_lr(
        np.arange(n),
        base_lr=base,
        start_factor=start,
        end_factor=end,
        total_iters=total,
    )
    assert_close(ours, ref, base)


@WIDE
@given(lrs, st.integers(1, 200), st.floats(0.0, 4.0), st.integers(1, 300))
def test_wide_polynomial_lr(base, total, power, n):
    ref = builtin_curve(lambda o: S.PolynomialLR(o, total, power), n, base)
    ours = lrlib.polynomial_lr(
        np.arange(n), base_lr=base, total_iters=total, power=power
    )
    assert_close(ours, ref, base)


@WIDE
@given(lrs, st.floats(0.0, 1.0), st.integers(1, 300), st.integers(1, 5000))
def test_wide_cosine_annealing_lr(base, eta_frac, T_max, n):
    eta = base * eta_frac
    ref = builtin_curve(lambda o: S.CosineAnnealingLR(o, T_max, eta_min=eta), n, base)
    ours = lrlib.cosine_annealing_lr(
        np.arange(n), base_lr=base, T_max=T_max, eta_min=eta
    )
    assert_close(ours, ref, base, tol=1e-11)


@WIDE
@given(
    lrs,
    st.floats(0.0, 1.0),
    st.integers(1, 200),
    st.integers(1, 4),
    st.integers(1, 2000),
)
def test_wide_cosine_warm_restarts_lr(base, eta_frac, T_0, T_mult, n):
    eta = base * eta_frac
    ref = builtin_curve(
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min=eta), n, base
    )
    ours = lrlib.cosine_warm_restarts_lr(
        np.arange(n), base_lr=base, T_0=T_0, T_mult=T_mult, eta_min=eta
    )
    assert_close(ours, ref, base)


def test_torch_drift_is_on_the_torch_side():
    """The figure the module notes quote: CosineAnnealingLR's recursion drifts, lrlib
    stays on the formula."""
    T, base, eta = 333, 1.0, 0.5
    ref = builtin_curve(lambda o: S.CosineAnnealingLR(o, T, eta_min=eta), 666, base)
    exact = eta + (base - eta) * (1 + mpmath.cos(mpmath.pi * 665 / T)) / 2
    ours = lrlib.cosine_annealing_lr(665, base_lr=base, T_max=T, eta_min=eta)
    assert abs(ours - float(exact)) <= 2e-16
    assert abs(ref[665] - float(exact)) == pytest.approx(1.4e-12, rel=0.05)


# ------------------------------------------------------------------ exact references
# Every periodic closed form reduces the step modulo its period (or finds the position
# in its cycle) as an integer; these compare it with mpmath at 40 digits, the reduction
# done with Python integers, far past the first period.

mpmath.mp.dps = 40
FAR = [10**6 + 1, 10**9 + 3, 10**15 + 7, 2**62 + 11, 2**63 - 1]
EXACT_TOL = 4e-16  # of the base LR


def mp_half_cosine(num, den):
    return (1 + mpmath.cos(mpmath.pi * mpmath.mpf(num) / den)) / 2


@pytest.mark.parametrize("t", FAR)
@pytest.mark.parametrize("T_max", [7, 333, 10**6 + 3])
def test_cosine_annealing_far_past_T_max_is_exact(t, T_max):
    base, eta = 1.0, 0.125
    exact = eta + (base - eta) * mp_half_cosine(t % (2 * T_max), T_max)
    ours = lrlib.cosine_annealing_lr(t, base_lr=base, T_max=T_max, eta_min=eta)
    assert abs(ours - float(exact)) <= EXACT_TOL * base
    arr = lrlib.cosine_annealing_lr(
        np.array([t, 5], dtype=np.int64), base_lr=base, T_max=T_max, eta_min=eta
    )
    assert arr[0] == ours


def test_the_issue_example_of_cosine_precision():
    # 10**9 + 3 steps with T_max=7 was off by 2.6e-8 before the integer reduction
    exact = mp_half_cosine((10**9 + 3) % 14, 7)
    ours = lrlib.cosine_annealing_lr(10**9 + 3, base_lr=1, T_max=7)
    assert abs(ours - float(exact)) <= EXACT_TOL


def sgdr_position(t, T_0, T_mult):
    if T_mult == 1:
        return t % T_0, T_0
    start, length = 0, T_0
    while t >= start + length:
        start, length = start + length, length * T_mult
    return t - start, length


@pytest.mark.parametrize("t", FAR)
@pytest.mark.parametrize("T_0,T_mult", [(7, 1), (10, 2), (3, 3), (1000, 1)])
def test_warm_restarts_far_is_exact(t, T_0, T_mult):
    s, length = sgdr_position(t, T_0, T_mult)
    exact = 0.01 + 0.99 * mp_half_cosine(s, length)
    ours = lrlib.cosine_warm_restarts_lr(
        t, base_lr=1.0, T_0=T_0, T_mult=T_mult, eta_min=0.01
    )
    assert abs(ours - float(exact)) <= EXACT_TOL


@pytest.mark.parametrize("t", FAR)
@pytest.mark.parametrize(
    "first,mult,warmup", [(7, 1.0, 2), (10, 2.0, 3), (100, 1.5, 10), (1000, 1.001, 0)]
)
def test_warmup_restarts_far_is_exact(t, first, mult, warmup):
    start, length, k = 0, first, 0
    while t >= start + length:  # the recurrence, walked with Python integers
        nxt = math.floor((length - warmup) * mult) + warmup
        if nxt == length:  # a fixed point: the rest is one length, repeated
            n = (t - start) // length
            start, k = start + n * length, k + n
            break
        start, length, k = start + length, nxt, k + 1
    s = t - start
    peak = max(0.1 * 0.5**k, 0.001)
    if s < warmup:
        frac = mpmath.mpf(s) / warmup
    else:
        frac = mp_half_cosine(s - warmup, length - warmup)
    exact = 0.001 + (peak - 0.001) * frac
    ours = lrlib.cosine_warmup_restarts_lr(
        t,
        first_cycle_steps=first,
        cycle_mult=mult,
        warmup_steps=warmup,
        max_lr=0.1,
        min_lr=0.001,
        gamma=0.5,
    )
    assert abs(ours - float(exact)) <= EXACT_TOL * 0.1


@pytest.mark.parametrize("gamma", [1 - 2**-53, 1 - 1e-15, 0.5, 1 + 2**-52])
@pytest.mark.parametrize("t", [10**6, 2**53 + 1, 10**16 + 3, 2**62 + 5, 2**63 - 1])
def test_exponential_powers_are_exact_at_huge_steps(gamma, t):
    exact = mpmath.mpf(gamma) ** t
    if exact > 1e300:
        with pytest.raises(ValueError, match="gamma"):
            lrlib.exponential_lr(t, base_lr=1.0, gamma=gamma)
        return
    ours = lrlib.exponential_lr(t, base_lr=1.0, gamma=gamma)
    assert ours == pytest.approx(float(exact), rel=4e-16, abs=1e-300)


# ------------------------------------------------------------------ the step range


ALL_STEP_FUNCTIONS = [
    lambda t: lrlib.step_lr(t, base_lr=0.1, step_size=3),
    lambda t: lrlib.multistep_lr(t, base_lr=0.1, milestones=[2, 9]),
    lambda t: lrlib.exponential_lr(t, base_lr=0.1, gamma=0.9),
    lambda t: lrlib.constant_lr(t, base_lr=0.1),
    lambda t: lrlib.linear_lr(t, base_lr=0.1),
    lambda t: lrlib.polynomial_lr(t, base_lr=0.1),
    lambda t: lrlib.cosine_annealing_lr(t, base_lr=0.1, T_max=7),
    lambda t: lrlib.cosine_warm_restarts_lr(t, base_lr=0.1, T_0=7, T_mult=2),
    lambda t: lrlib.warmup_cosine_lr(t, base_lr=0.1, total_steps=9, warmup_steps=2),
    lambda t: lrlib.warmup_cosine_factor(t, total_steps=9, warmup_steps=2),
    lambda t: lrlib.linear_warmup_factor(t, warmup_steps=3),
    lambda t: lrlib.cosine_warmup_restarts_lr(t, first_cycle_steps=7, cycle_mult=1.5),
    lambda t: lrlib.linear_decay_lr(t, base_lr=0.1, total_steps=9),
    lambda t: lrlib.inverse_sqrt_lr(t, base_lr=0.1, warmup_steps=3),
    lambda t: lrlib.wsd_lr(
        t, base_lr=0.1, total_steps=9, warmup_steps=1, decay_steps=3
    ),
]


@pytest.mark.parametrize("fn", ALL_STEP_FUNCTIONS)
def test_steps_beyond_int64_are_refused_not_wrapped(fn):
    assert np.isfinite(fn(2**63 - 1)) and 0 <= fn(2**63 - 1) <= 1
    for bad in (
        2**63,
        [2**63],
        [2**64 + 5],
        np.array([2**63], dtype=np.uint64),
        np.array([1, 2**64 - 1], dtype=np.uint64),
    ):
        with pytest.raises(ValueError, match="step"):
            fn(bad)
    with pytest.raises(ValueError, match="step"):
        fn([3, -1])
    with pytest.raises(TypeError, match="step"):
        fn([1, 2.5])
    with pytest.raises(TypeError, match="step"):
        fn([1, None])
    v = fn(np.array([0, 2**63 - 1], dtype=np.uint64))
    assert v.shape == (2,) and np.all(np.isfinite(v))


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda n: lrlib.step_lr(1, base_lr=0.1, step_size=n), "step_size"),
        (lambda n: lrlib.multistep_lr(1, base_lr=0.1, milestones=[n]), "milestones"),
        (lambda n: lrlib.constant_lr(1, base_lr=0.1, total_iters=n), "total_iters"),
        (lambda n: lrlib.linear_lr(1, base_lr=0.1, total_iters=n), "total_iters"),
        (lambda n: lrlib.polynomial_lr(1, base_lr=0.1, total_iters=n), "total_iters"),
        (lambda n: lrlib.cosine_annealing_lr(1, base_lr=0.1, T_max=n), "T_max"),
        (lambda n: lrlib.cosine_warm_restarts_lr(1, base_lr=0.1, T_0=n), "T_0"),
        (
            lambda n: lrlib.cosine_warm_restarts_lr(1, base_lr=0.1, T_0=2, T_mult=n),
            "T_mult",
        ),
        (
            lambda n: lrlib.warmup_cosine_lr(
                1, base_lr=0.1, total_steps=n, warmup_steps=1
            ),
            "total_steps",
        ),
        (
            lambda n: lrlib.cosine_warmup_restarts_lr(1, first_cycle_steps=n),
            "first_cycle_steps",
        ),
        (lambda n: lrlib.linear_warmup_factor(1, warmup_steps=n), "warmup_steps"),
        (
            lambda n: lrlib.inverse_sqrt_lr(1, base_lr=0.1, warmup_steps=n),
            "warmup_steps",
        ),
        (lambda n: lrlib.linear_decay_lr(1, base_lr=0.1, total_steps=n), "total_steps"),
        (
            lambda n: lrlib.wsd_lr(
                1, base_lr=0.1, total_steps=n, warmup_steps=0, decay_steps=1
            ),
            "total_steps",
        ),
        (lambda n: lrlib.restart_cycles(n, first_cycle_steps=2), "n_cycles"),
    ],
)
def test_step_counts_beyond_int64_are_refused(call, name):
    with pytest.raises(ValueError, match=name):
        call(2**63)


def test_huge_step_counts_that_fit_work():
    big = 2**63 - 1
    assert lrlib.cosine_annealing_lr(big, base_lr=1.0, T_max=big) == 0.0  # t = T_max
    assert lrlib.step_lr(big - 1, base_lr=1.0, step_size=big) == 1.0
    assert lrlib.linear_lr(big, base_lr=1.0, start_factor=0.5, total_iters=big) == 1.0
    v = lrlib.cosine_warmup_restarts_lr(
        [0, big - 1, big], first_cycle_steps=big, warmup_steps=big - 1, min_lr=0.0
    )
    # the peak ends cycle 0 (position W = big - 1); cycle 1 starts at step big
    np.testing.assert_array_equal(v, [0.0, 0.1, 0.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda g, b: lrlib.exponential_lr(5000, base_lr=b, gamma=g),
        lambda g, b: lrlib.step_lr(5000, base_lr=b, step_size=1, gamma=g),
        lambda g, b: lrlib.multistep_lr(3, base_lr=b, milestones=[0] * 2000, gamma=g),
    ],
)
def test_growth_that_overflows_is_refused_even_from_zero(call):
    for base in (0.1, 0.0):  # 0 * inf would be NaN
        with pytest.raises(ValueError, match="gamma"):
            call(1.5, base)
    assert np.isfinite(call(1.0001, 0.1))


def test_constant_lr_total_iters_zero_applies_the_factor_forever_like_torch():
    ref = builtin_curve(lambda o: S.ConstantLR(o, factor=0.5, total_iters=0), 6)
    ours = lrlib.constant_lr(np.arange(6), base_lr=0.1, factor=0.5, total_iters=0)
    np.testing.assert_array_equal(ours, ref)
    assert np.all(ours == 0.05)


# ------------------------------------------------------------------ bounds, exactly


@settings(max_examples=150, deadline=None)
@given(
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
    st.integers(1, 50),
    st.floats(1.0, 3.0),
    st.floats(0.0, 0.99),
    st.floats(0.01, 1.0),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=20),
)
def test_bounded_schedules_stay_inside_their_bounds_exactly(
    a, b, first, mult, wfrac, gamma, steps
):
    hi, lo = max(a, b), min(a, b)
    t = np.asarray(steps, dtype=np.int64)
    W = int(wfrac * first)
    r = lrlib.cosine_warmup_restarts_lr(
        t,
        first_cycle_steps=first,
        cycle_mult=mult,
        max_lr=hi,
        min_lr=lo,
        warmup_steps=W,
        gamma=gamma,
    )
    assert np.all(r >= lo) and np.all(r <= hi)
    for x in t:  # the scalar path (the class's) too
        v = lrlib.cosine_warmup_restarts_lr(
            int(x),
            first_cycle_steps=first,
            cycle_mult=mult,
            max_lr=hi,
            min_lr=lo,
            warmup_steps=W,
            gamma=gamma,
        )
        assert lo <= v <= hi
    for eta, base in ((lo, hi), (hi, lo)):
        c = lrlib.cosine_annealing_lr(t, base_lr=base, T_max=first, eta_min=eta)
        assert np.all(c >= lo) and np.all(c <= hi)
        w = lrlib.cosine_warm_restarts_lr(t, base_lr=base, T_0=first, eta_min=eta)
        assert np.all(w >= lo) and np.all(w <= hi)
    m = lo / hi if hi > 0 else 0.0
    total = first + W + 1
    for f in (
        lrlib.warmup_cosine_factor(t, total_steps=total, warmup_steps=W, min_factor=m),
        lrlib.linear_decay_lr(
            t, base_lr=1.0, total_steps=total, warmup_steps=W, min_factor=m
        ),
        lrlib.wsd_lr(
            t,
            base_lr=1.0,
            total_steps=total,
            warmup_steps=W,
            decay_steps=1,
            min_factor=m,
            decay="cosine",
        ),
        lrlib.linear_lr(
            t, base_lr=1.0, start_factor=max(m, 1e-3), end_factor=1.0, total_iters=first
        ),
        lrlib.inverse_sqrt_lr(t, base_lr=1.0, warmup_steps=first),
        lrlib.polynomial_lr(t, base_lr=1.0, total_iters=first, power=mult),
    ):
        assert np.all(f >= 0.0) and np.all(f <= 1.0)


def test_the_peak_is_the_peak():
    v = lrlib.cosine_warmup_restarts_lr(
        [0, 10, 20], first_cycle_steps=10, max_lr=0.29, min_lr=0.03
    )
    assert list(v) == [0.29, 0.29, 0.29]
    v = lrlib.cosine_warmup_restarts_lr(
        10, first_cycle_steps=10, max_lr=0.29, min_lr=0.03, warmup_steps=0
    )
    assert v == 0.29


# ------------------------------------------------------------------ the cycle table


def walk_cycles(first, mult, warmup, last, most=20_000):
    starts, lengths, s, L = [], [], 0, first
    while s <= last and len(starts) < most:
        starts.append(s)
        lengths.append(L)
        s, L = s + L, math.floor((L - warmup) * mult) + warmup
    return starts, lengths


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from([1e-5, 3.3e-5, 1e-4, 2.7e-4, 1e-3, 7e-3, 0.1, 0.5, 1.0]),
    st.floats(1.0, 2.0),
    st.floats(0.5, 30.0),
    st.sampled_from([0, 0, 3, 17]),
    st.data(),
)
def test_cycle_lookup_equals_walking_the_recurrence(delta, wiggle, scale, warmup, data):
    """Runs of equal increments (m close to 1), walked blocks and fixed points all give
    the cycles that walking the class's recurrence one cycle at a time gives."""
    mult = 1 + delta * wiggle
    first = int(scale / (delta * wiggle)) + warmup + 1
    starts, lengths = walk_cycles(first, mult, warmup, 3 * 10**7)
    last = starts[-1] - 1
    picks = data.draw(
        st.lists(st.integers(0, len(starts) - 2), min_size=5, max_size=40)
    )
    t = sorted({starts[i] for i in picks} | {starts[i + 1] - 1 for i in picks} | {last})
    t = np.asarray(t, dtype=np.int64)
    table = schedules._CycleTable(first, mult, warmup)
    k, s, part = table.locate_array(t)
    i = np.searchsorted(np.asarray(starts), t, side="right") - 1
    np.testing.assert_array_equal(k, i)
    np.testing.assert_array_equal(s, t - np.asarray(starts)[i])
    np.testing.assert_array_equal(part, np.asarray(lengths, dtype=float)[i] - warmup)
    for x in t[:10]:
        j = int(np.searchsorted(starts, x, side="right") - 1)
        assert table.locate(int(x)) == (j, int(x) - starts[j], lengths[j])
    # a dense stretch (the explicit-expansion path) agrees with single lookups
    dense = np.arange(max(0, last - 3000), last + 1, dtype=np.int64)
    kd, sd, _ = table.locate_array(dense)
    assert [table.locate(int(x))[:2] for x in dense[::97]] == list(
        zip(kd[::97].tolist(), sd[::97].tolist())
    )


def test_the_issue_lookup_is_a_single_run():
    """10**16 steps with first_cycle_steps=10**9, cycle_mult=1 + 1.5e-9 walked ten
    million cycles (2.9 s); it is one run of equal increments now."""
    schedules._table.cache_clear()
    v = lrlib.cosine_warmup_restarts_lr(
        10**16, first_cycle_steps=10**9, cycle_mult=1 + 1.5e-9
    )
    table = schedules._table(10**9, 1 + 1.5e-9, 0)
    assert len(table.entries) == 1 and math.isfinite(v)
    k, s, length = table.locate(10**16)
    # inside a run the annealing part grows by 1 per cycle: 10**9 + k
    assert length == 10**9 + k and k * 10**9 + k * (k - 1) // 2 + s == 10**16
