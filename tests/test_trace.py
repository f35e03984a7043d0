"""lrlib.lr_trace / group_trace: the LR each optimizer step used, without warnings."""

import warnings

import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau, StepLR

import lrlib


def test_shape_and_values():
    opt = lrlib.toy_optimizer([0.1, 0.01])
    lrs = lrlib.lr_trace(StepLR(opt, step_size=2, gamma=0.5), 6)
    assert lrs.shape == (6, 2)
    np.testing.assert_allclose(lrs[:, 0], [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    np.testing.assert_allclose(lrs[:, 1], lrs[:, 0] / 10)


def test_no_warnings_and_weights_do_not_move():
    opt = lrlib.toy_optimizer(0.1, kind="adam")
    p = opt.param_groups[0]["params"][0]
    p.grad = torch.ones_like(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrlib.lr_trace(OneCycleLR(opt, max_lr=0.1, total_steps=50), 50)
    assert torch.all(p == 0)


def test_reduce_on_plateau_with_metrics():
    opt = lrlib.toy_optimizer(1.0)
    sched = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    lrs = lrlib.lr_trace(sched, 10, metrics=metrics)[:, 0]
    assert lrs[0] == 1.0 and lrs[-1] < 1.0
    # the first cut happens after patience+1 non-improving epochs
    assert list(lrs[:6]) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_momentum_is_traced_for_sgd_and_adam():
    sgd = lrlib.toy_optimizer(0.1, momentum=0.9)
    out = lrlib.group_trace(
        CyclicLR(sgd, 0.01, 0.1, step_size_up=5), 20, keys=("lr", "momentum")
    )
    assert out["momentum"].min() == pytest.approx(0.8) and out[
        "momentum"
    ].max() == pytest.approx(0.9)
    adam = lrlib.toy_optimizer(0.1, kind="adam")
    out = lrlib.group_trace(
        OneCycleLR(adam, max_lr=0.1, total_steps=30), 30, keys=("momentum",)
    )
    assert out["momentum"][0, 0] == pytest.approx(0.95)


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: lrlib.lr_trace(object(), 3), TypeError, "scheduler"),
        (
            lambda: lrlib.lr_trace(StepLR(lrlib.toy_optimizer(), 2), -1),
            ValueError,
            "steps",
        ),
        (
            lambda: lrlib.lr_trace(ReduceLROnPlateau(lrlib.toy_optimizer()), 3),
            ValueError,
            "metrics",
        ),
        (
            lambda: lrlib.lr_trace(
                ReduceLROnPlateau(lrlib.toy_optimizer()), 3, metrics=[1.0]
            ),
            ValueError,
            "metrics",
        ),
        (lambda: lrlib.toy_optimizer(0.1, kind="lbfgs"), ValueError, "kind"),
        (lambda: lrlib.toy_optimizer([]), ValueError, "lrs"),
        (lambda: lrlib.toy_optimizer(-0.1), ValueError, "lrs"),
        (
            lambda: lrlib.group_trace(
                StepLR(lrlib.toy_optimizer(), 2), 2, keys=("nope",)
            ),
            ValueError,
            "nope",
        ),
    ],
)
def test_bad_arguments(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_metrics_are_refused_for_a_scheduler_that_takes_epochs():
    # StepLR.step(500) would jump to epoch 500: [0.1, 1e-06, 1e-06, 1e-06]
    with pytest.raises(ValueError, match="metrics"):
        lrlib.lr_trace(StepLR(lrlib.toy_optimizer(), 100), 4, metrics=[500] * 4)


@pytest.mark.parametrize(
    "metrics,exc",
    [
        ("abc", TypeError),
        ([1.0, None, 2.0], TypeError),
        ([1.0, "x", 2.0], TypeError),
        ([1.0, float("nan"), 2.0], ValueError),
        ([[1.0], [2.0], [3.0]], TypeError),
        (np.ones((3, 1)), ValueError),
        (5, TypeError),
    ],
)
def test_bad_metrics_name_metrics(metrics, exc):
    sched = ReduceLROnPlateau(lrlib.toy_optimizer())
    with pytest.raises(exc, match="metrics"):
        lrlib.lr_trace(sched, 3, metrics=metrics)


def test_metrics_may_be_arrays_and_tensors():
    for metrics in (np.arange(5), torch.arange(5.0), (5, 4, 3, 2, 1)):
        sched = ReduceLROnPlateau(lrlib.toy_optimizer(), patience=0)
        assert lrlib.lr_trace(sched, 5, metrics=metrics).shape == (5, 1)


@pytest.mark.parametrize(
    "keys,exc",
    [
        ("lr", TypeError),
        (None, TypeError),
        (3, TypeError),
        ([1], TypeError),
        ((), ValueError),
        (("lr", "nope"), ValueError),
    ],
)
def test_bad_keys_name_keys(keys, exc):
    with pytest.raises(exc, match="keys"):
        lrlib.group_trace(StepLR(lrlib.toy_optimizer(), 2), 2, keys=keys)


def test_steps_and_kind_are_bounded_and_checked():
    with pytest.raises(ValueError, match="steps"):
        lrlib.lr_trace(StepLR(lrlib.toy_optimizer(), 2), 2**63)
    with pytest.raises(TypeError, match="steps"):
        lrlib.lr_trace(StepLR(lrlib.toy_optimizer(), 2), 3.0)
    with pytest.raises(TypeError, match="kind"):
        lrlib.toy_optimizer(kind=[])
    with pytest.raises(TypeError, match="kind"):
        lrlib.toy_optimizer(kind=None)
