"""lrlib.lr_range_test: LR ramp, smoothing, early stop, suggestions, restored state."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrlib
from lrlib.range_test import (
    RangeTestResult,
    lr_range_test,
    range_test_lrs,
    smooth_losses,
)
from lrlib.train import digits, mlp


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


def setup(data, seed=0, momentum=0.9):
    model = mlp(data.n_features, data.n_classes, (32,), seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.123, momentum=momentum)
    return model, opt


def run_test(data, loader=None, **kwargs):
    model, opt = setup(data)
    return lr_range_test(model, data if loader is None else loader, opt, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(1e-7, 1.0),
    ratio=st.floats(1.001, 1e6),
    n=st.integers(2, 500),
)
def test_exp_sequence_is_monotone_and_geometric(start, ratio, n):
    end = start * ratio
    lrs = range_test_lrs(start, end, n, "exp")
    assert len(lrs) == n and lrs[0] == start and lrs[-1] == end
    assert np.all(np.diff(lrs) > 0)
    q = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(q, ratio ** (1 / (n - 1)), rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(start=st.floats(1e-6, 1.0), width=st.floats(1e-3, 10.0), n=st.integers(2, 300))
def test_linear_sequence_is_evenly_spaced(start, width, n):
    lrs = range_test_lrs(start, start + width, n, "linear")
    assert lrs[0] == start and lrs[-1] == start + width
    np.testing.assert_allclose(np.diff(lrs), width / (n - 1), rtol=1e-6, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=60),
    beta=st.floats(0.0, 0.999),
)
def test_smoothing_is_bias_corrected_average(values, beta):
    out = smooth_losses(values, beta)
    assert out[0] == pytest.approx(values[0])
    # every smoothed value is a weighted mean: it lies in the range of what came before
    for k in range(len(values)):
        assert min(values[: k + 1]) - 1e-9 <= out[k] <= max(values[: k + 1]) + 1e-9
    np.testing.assert_array_equal(
        smooth_losses(values, 0.0), np.asarray(values, dtype=float)
    )
    # a constant loss stays exactly constant (no pull towards zero at the start)
    np.testing.assert_allclose(smooth_losses([3.0] * 20, beta), 3.0)


def test_state_is_restored(data):
    model, opt = setup(data)
    # give the optimizer momentum buffers first, so there is optimizer state to restore
    x, y = data.x_train[:32], data.y_train[:32]
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    model.eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    buffers = [opt.state[p]["momentum_buffer"].clone() for p in model.parameters()]
    result = lr_range_test(model, data, opt, start_lr=1e-4, end_lr=1.0, num_steps=30)
    assert len(result.lrs) == 30
    for k, v in model.state_dict().items():
        assert torch.equal(v, weights[k])
    for p, b in zip(model.parameters(), buffers):
        assert torch.equal(opt.state[p]["momentum_buffer"], b)
    assert opt.param_groups[0]["lr"] == 0.123
    assert not model.training
    # restore=False leaves the trained weights and the last LR in place
    lr_range_test(
        model, data, opt, start_lr=1e-4, end_lr=1.0, num_steps=10, restore=False
    )
    assert not torch.equal(model[0].weight, weights["0.weight"])
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0)


def test_same_seed_same_curve_and_lrs_used(data):
    a = run_test(data, start_lr=1e-4, end_lr=1.0, num_steps=40, seed=3)
    b = run_test(data, start_lr=1e-4, end_lr=1.0, num_steps=40, seed=3)
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.lrs, range_test_lrs(1e-4, 1.0, 40))
    np.testing.assert_allclose(a.smoothed, smooth_losses(a.losses, 0.98))


def test_stops_early_on_divergence_and_suggests_below_it(data):
    model, opt = setup(data)
    r = lr_range_test(model, data, opt, start_lr=1e-4, end_lr=100.0, num_steps=120)
    assert isinstance(r, RangeTestResult)
    assert r.stopped_early and len(r.lrs) < 120
    assert r.smoothed[-1] > 4.0 * r.smoothed.min()
    assert r.suggestion("min/10") == pytest.approx(r.min_loss_lr / 10)
    steep = r.suggestion("steepest")
    assert 1e-4 <= steep < r.min_loss_lr
    # without a divergence factor the test runs to the end (or to a non-finite loss)
    full = run_test(data, start_lr=1e-4, end_lr=1.0, num_steps=50, diverge_factor=None)
    assert len(full.lrs) == 50 and not full.stopped_early


def test_accepts_a_dataloader_and_restarts_it(data):
    ds = torch.utils.data.TensorDataset(data.x_train[:96], data.y_train[:96])
    loader = torch.utils.data.DataLoader(
        ds, batch_size=32
    )  # 3 batches, restarted as needed
    r = run_test(
        data, loader=loader, start_lr=1e-3, end_lr=0.1, num_steps=10, mode="linear"
    )
    assert len(r.losses) == 10 and r.mode == "linear"
    assert np.all(np.isfinite(r.losses))


def test_custom_loss_fn(data):
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        return torch.nn.functional.cross_entropy(out, y)

    run_test(data, start_lr=1e-3, end_lr=0.01, num_steps=5, loss_fn=loss_fn)
    assert len(calls) == 5


def test_plot_draws_curve_and_suggestions(data):
    r = run_test(data, start_lr=1e-4, end_lr=10.0, num_steps=60)
    ax = r.plot(title="t")
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning rate"
    assert len(ax.lines) == 4
    plt.close("all")


def test_exported():
    assert (
        lrlib.lr_range_test is lr_range_test
        and lrlib.RangeTestResult is RangeTestResult
    )


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"start_lr": 1.0, "end_lr": 1.0}, ValueError, "start_lr"),
        ({"start_lr": 2.0, "end_lr": 1.0}, ValueError, "start_lr"),
        ({"start_lr": 0.0}, ValueError, "start_lr"),
        ({"start_lr": -1e-3}, ValueError, "start_lr"),
        ({"end_lr": math.inf}, ValueError, "end_lr"),
        ({"num_steps": 1}, ValueError, "num_steps"),
        ({"num_steps": 2.5}, TypeError, "num_steps"),
        ({"mode": "cos"}, ValueError, "mode"),
        ({"smooth": 1.0}, ValueError, "smooth"),
        ({"smooth": -0.1}, ValueError, "smooth"),
        ({"diverge_factor": 1.0}, ValueError, "diverge_factor"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"loss_fn": 3}, TypeError, "loss_fn"),
        ({"restore": 1}, TypeError, "restore"),
    ],
)
def test_argument_validation(data, kwargs, error, word):
    model, opt = setup(data)
    args = {"start_lr": 1e-4, "end_lr": 1.0, "num_steps": 5, **kwargs}
    with pytest.raises(error, match=word):
        lr_range_test(model, data, opt, **args)


def test_type_validation(data):
    model, opt = setup(data)
    with pytest.raises(TypeError, match="model"):
        lr_range_test("model", data, opt)
    with pytest.raises(TypeError, match="optimizer"):
        lr_range_test(model, data, "sgd")
    with pytest.raises(TypeError, match="data"):
        lr_range_test(model, data.x_train, opt)
    with pytest.raises(ValueError, match="no batches"):
        lr_range_test(model, [], opt, num_steps=3)
    with pytest.raises(TypeError, match="pairs"):
        lr_range_test(model, [data.x_train], opt, num_steps=3)
    r = lr_range_test(model, data, opt, start_lr=1e-4, end_lr=1e-3, num_steps=5)
    with pytest.raises(ValueError, match="method"):
        r.suggestion("valley")
    with pytest.raises(ValueError, match="skip_start"):
        r.suggestion("steepest", skip_start=10)


def test_nonfinite_first_loss_is_an_error(data):
    model, opt = setup(data)
    with torch.no_grad():
        model[0].weight.fill_(math.nan)
    with pytest.raises(ValueError, match="not finite"):
        lr_range_test(model, data, opt, start_lr=1e-4, end_lr=1.0, num_steps=5)


def test_a_ramp_over_400_decades_is_finite_and_geometric():
    lrs = range_test_lrs(1e-200, 1e200, 5)
    assert np.all(np.isfinite(lrs)) and lrs[0] == 1e-200 and lrs[-1] == 1e200
    np.testing.assert_allclose(lrs, [1e-200, 1e-100, 1.0, 1e100, 1e200], rtol=1e-13)
    wide = range_test_lrs(5e-324, 1.7976931348623157e308, 50)
    assert np.all(np.isfinite(wide)) and np.all(np.diff(wide) > 0)


@pytest.mark.parametrize(
    "args,error,word",
    [
        ((1e-3, 1.0, 2**63), ValueError, "num_steps"),
        ((1e-3, 1.0, 10**12), ValueError, "num_steps"),
        ((1e-3, 1.0, 1_000_001), ValueError, "num_steps"),
        ((1.0, 1.0 + 1e-15, 100), ValueError, "num_steps"),
        ((1e-3, 1.0, 10, []), TypeError, "mode"),
        ((1e-3, 1.0, 10, None), TypeError, "mode"),
        ((1e-3, 1.0, True), TypeError, "num_steps"),
    ],
)
def test_range_test_lrs_bounds(args, error, word):
    with pytest.raises(error, match=word):
        range_test_lrs(*args)


@pytest.mark.parametrize(
    "losses,error",
    [
        ("abc", TypeError),
        ([None], TypeError),
        ([1.0, "2"], TypeError),
        ([1.0, float("nan")], ValueError),
        ([1.0, float("inf")], ValueError),
        ([[1.0, 2.0]], TypeError),
        (np.ones((2, 2)), ValueError),
        (3.0, TypeError),
        (None, TypeError),
    ],
)
def test_smooth_losses_validates_losses(losses, error):
    with pytest.raises(error, match="losses"):
        smooth_losses(losses)


def test_smooth_losses_stays_inside_the_range_even_at_the_float_limit():
    big = [1.7976931348623157e308] * 5
    out = smooth_losses(big, 0.9)
    assert np.all(out == big[0])
    assert smooth_losses([], 0.5).shape == (0,)
    np.testing.assert_array_equal(smooth_losses(torch.tensor([1.0, 2.0]), 0.0), [1, 2])


def test_an_optimizer_over_another_model_is_refused(data):
    model, _ = setup(data)
    _, other_opt = setup(data, seed=1)
    with pytest.raises(ValueError, match="optimizer"):
        lr_range_test(model, data, other_opt, num_steps=5)


@pytest.mark.parametrize("seed", [2**63, 2**32, -1])
def test_seed_is_bounded(data, seed):
    model, opt = setup(data)
    with pytest.raises(ValueError, match="seed"):
        lr_range_test(model, data, opt, num_steps=5, seed=seed)


@pytest.mark.parametrize("losses", [[1.0], [1.0, 2.0], [1.0, 1.0, 3.0], [2.0, 1.0]])
def test_short_results_plot_and_say_when_there_is_no_steepest_point(losses):
    n = len(losses)
    lrs = range_test_lrs(1e-3, 1.0, max(n, 2))[:n]
    r = RangeTestResult(
        lrs, np.asarray(losses), np.asarray(losses), True, 10, "exp", 0.0
    )
    assert r.suggestion("min/10") == r.min_loss_lr / 10
    falls = n >= 2 and losses[1] < losses[0]
    if falls:
        assert r.suggestion("steepest") == lrs[0]
    else:
        with pytest.raises(ValueError, match="steepest"):
            r.suggestion("steepest")
    ax = r.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lbl.startswith("min/10: ") for lbl in labels)
    assert any(("none" in lbl) != falls for lbl in labels if "steepest" in lbl)
    plt.close("all")


def test_plot_and_suggestion_name_bad_arguments(data):
    r = RangeTestResult(
        range_test_lrs(1e-3, 1.0, 4), np.array([3.0, 2.0, 1.0, 2.0]),
        np.array([3.0, 2.0, 1.0, 2.0]), False, 4, "exp", 0.0,
    )  # fmt: skip
    for bad in (np.array(["steepest"]), np.ones((2, 2)), None):
        with pytest.raises((TypeError, ValueError), match="method"):
            r.suggestion(bad)
    for name in ("raw", "suggestions"):
        for bad in (np.array([True, False]), torch.tensor([1, 2]), 1, None):
            with pytest.raises(TypeError, match=name):
                r.plot(**{name: bad})
    with pytest.raises(TypeError, match="title"):
        r.plot(title=np.array([1.0]))
    r.plot(raw=np.True_, suggestions=False, title="")
    model, opt = setup(data)
    with pytest.raises(TypeError, match="data"):
        lr_range_test(model, np.array(3), opt)
    plt.close("all")


def test_a_test_that_stops_at_once_can_still_be_plotted(data):
    model, opt = setup(data)
    r = lr_range_test(model, data, opt, start_lr=10.0, end_lr=1e6, num_steps=20)
    assert r.stopped_early and len(r.lrs) <= 3
    r.plot()
    plt.close("all")
