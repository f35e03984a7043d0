"""Each closed form equals stepping the PyTorch built-in, to 1e-12."""

import numpy as np
import pytest
from conftest import make_optimizer, step_builtin
from torch.optim import lr_scheduler as S

import lrlib

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
    """LinearLR + CosineAnnealingLR inside SequentialLR is warmup_cosine_lr with start_factor."""
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
