"""lrlib.train runs are reproducible; lrlib.plot draws labelled axes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

from lrlib import plot as lp
from lrlib.train import (
    Data,
    batch_order,
    digits,
    evaluate,
    fit,
    mlp,
    run_seeds,
    seed_everything,
    summarize,
)


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


def run(data, seed, lr=0.1, epochs=2, **kw):
    model = mlp(data.n_features, data.n_classes, (32,), seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return fit(
        model, data, opt, StepLR(opt, 20, gamma=0.5), epochs=epochs, seed=seed, **kw
    )


def test_batch_order_is_the_order_fit_visits(data):
    """Slices of batch_order(n, seed, start_epoch + e) are fit's batches."""
    seen: list[torch.Tensor] = []

    class Recorder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            if self.training:
                seen.append(x.detach().clone())
            return self.inner(x)

    model = Recorder(mlp(data.n_features, data.n_classes, (8,), seed=0))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    fit(model, data, opt, epochs=2, batch_size=500, seed=7, start_epoch=3)
    n = len(data.x_train)
    expected = []
    for epoch in (3, 4):
        order = batch_order(n, 7, epoch)
        assert sorted(order.tolist()) == list(range(n))
        expected += [data.x_train[order[b : b + 500]] for b in range(0, n, 500)]
    assert len(seen) == len(expected)
    assert all(torch.equal(a, b) for a, b in zip(seen, expected))
    with pytest.raises(ValueError, match="seed"):
        batch_order(n, -1)


def test_digits_split(data):
    assert data.n_features == 64 and data.n_classes == 10
    assert len(data.y_train) + len(data.y_val) == 1797
    sub = digits(classes=[7, 3])
    assert set(sub.y_train.tolist()) == {0, 1} and sub.n_classes == 2


def test_same_seed_same_numbers(data):
    a, b = run(data, 0), run(data, 0)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    np.testing.assert_array_equal(a.lr, b.lr)
    assert a.final_acc == b.final_acc > 0.8
    c = run(data, 1)
    assert not np.array_equal(a.train_loss, c.train_loss)


def test_divergence_is_detected(data):
    h = run(data, 0, lr=50.0, epochs=3)
    assert h.diverged and np.isnan(h.final_acc)
    s = summarize([h, run(data, 0)])
    assert s["diverged"] == 1 and s["runs"] == 2 and s["acc_mean"] > 0.8


def test_plateau_is_stepped_per_epoch_with_val_loss(data):
    model = mlp(data.n_features, data.n_classes, (16,), seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    h = fit(
        model,
        data,
        opt,
        ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.5),
        epochs=3,
    )
    per_epoch = h.lr[:: len(h.lr) // 3, 0]
    assert per_epoch[0] == 0.05 and per_epoch[-1] < 0.05


def test_run_seeds(data):
    hs = run_seeds(lambda s: run(data, s, epochs=1), seeds=(0, 1))
    assert [h.seed for h in hs] == [0, 1]
    # any one-dimensional collection of integers, checked before the first run
    assert run_seeds(lambda s: s, seeds=range(3)) == [0, 1, 2]
    assert run_seeds(lambda s: s, seeds=np.array([4, 5])) == [4, 5]
    called = []
    with pytest.raises(ValueError, match="seeds\\[1\\]"):
        run_seeds(called.append, seeds=[0, -1])
    assert called == []


def test_integer_sequences_may_be_arrays():
    a = mlp(8, 3, hidden=np.array([4, 5]), seed=0)
    b = mlp(8, 3, hidden=(4, 5), seed=0)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    d1 = digits(classes=np.array([1, 7]))
    d2 = digits(classes=[1, 7])
    assert torch.equal(d1.y_train, d2.y_train)


def test_a_numpy_max_loss_is_a_real_number(data):
    """``max_loss=np.float64(0.5)`` is accepted: below the first loss, the run is
    marked diverged at once, like ``max_loss=0.5``."""
    runs = []
    for max_loss in (0.5, np.float64(0.5)):
        model = mlp(64, 10, seed=0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        runs.append(fit(model, data, opt, epochs=1, max_loss=max_loss))
    assert all(h.diverged for h in runs)
    assert np.array_equal(runs[0].train_loss, runs[1].train_loss, equal_nan=True)


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (
            lambda d: fit(
                mlp(64, 10),
                d,
                torch.optim.SGD(mlp(64, 10).parameters(), lr=0.1),
                epochs=0,
            ),
            ValueError,
            "epochs",
        ),
        (
            lambda d: fit(
                mlp(64, 10),
                d,
                torch.optim.SGD(mlp(64, 10).parameters(), lr=0.1),
                epochs=1,
                interval="batch",
            ),
            ValueError,
            "interval",
        ),
        (lambda d: digits(val_fraction=1.0), ValueError, "val_fraction"),
        (lambda d: digits(classes=[1, 1]), ValueError, "classes"),
        (lambda d: mlp(0, 10), ValueError, "in_features"),
        (lambda d: seed_everything(-1), ValueError, "seed"),
        (lambda d: summarize([]), ValueError, "histories"),
    ],
)
def test_bad_arguments(data, call, exc, name):
    with pytest.raises(exc, match=name):
        call(data)


def test_plots_label_axes():
    ax = lp.plot_schedules(
        {"a": np.linspace(1, 0, 10), "b": np.ones((10, 2))}, unit="epoch"
    )
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "learning rate"
    assert len(ax.lines) == 3 and ax.get_legend() is not None
    ax = lp.plot_groups(np.ones((5, 2)), names=["backbone", "head"])
    assert [ln.get_label() for ln in ax.lines] == ["backbone", "head"]
    left, right = lp.plot_lr_momentum(np.ones(5), np.ones(5))
    # one group's column of group_trace, as chapter 05 passes it
    lp.plot_lr_momentum(np.ones((5, 1)), np.ones((5, 1)))
    assert right.get_ylabel() == "momentum"
    ax = lp.plot_runs({"x": np.array([[1.0, 0.5, np.nan], [1.0, 0.7, 0.2]])})
    assert ax.get_xlabel() == "epoch"
    ax = lp.plot_final({"a": [0.9, 0.95], "b": [0.8, 0.85]})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    lp.mark_steps(ax, [1], label="m")
    with pytest.raises(ValueError, match="unit"):
        lp.plot_schedules({"a": [1, 2]}, unit="hours")
    with pytest.raises(ValueError, match="names"):
        lp.plot_groups(np.ones((5, 2)), names=["one"])
    plt.close("all")


def test_plot_schedules_styles_override_the_default_line_width():
    import matplotlib.pyplot as plt

    from lrlib import plot as lp

    ax = lp.plot_schedules(
        {"a": [0.1, 0.05], "b": [0.1, 0.1]},
        styles={"a": {"lw": 1.0, "ls": "--"}, "b": {"linewidth": 3}},
    )
    widths = [line.get_linewidth() for line in ax.get_lines()]
    assert widths == [1.0, 3.0] and ax.get_lines()[0].get_linestyle() == "--"
    plt.close(ax.figure)


def _axes():
    return lp.new_axes()[1]


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: lp.plot_schedules([1, 2, 3]), TypeError, "curves"),
        (lambda: lp.plot_schedules({}), ValueError, "curves"),
        (lambda: lp.plot_schedules({"a": []}), ValueError, r"curves\['a'\]"),
        (lambda: lp.plot_schedules({"a": "abc"}), TypeError, r"curves\['a'\]"),
        (lambda: lp.plot_schedules({"a": np.ones((2, 2, 2))}), ValueError, "curves"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, unit=[]), TypeError, "unit"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, unit="hours"), ValueError, "unit"),
        (
            lambda: lp.plot_schedules({"a": [1, 2]}, styles={"a": {"bogus": 1}}),
            ValueError,
            "bogus",
        ),
        (
            lambda: lp.plot_schedules({"a": [1, 2]}, styles={"b": {"ls": "--"}}),
            ValueError,
            "styles",
        ),
        (lambda: lp.plot_schedules({"a": [1, 2]}, styles=[1]), TypeError, "styles"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, ax="ax"), TypeError, "ax"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, title=3), TypeError, "title"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, log="yes"), TypeError, "log"),
        (lambda: lp.plot_schedules({"a": [1, 2]}, start=0.5), TypeError, "start"),
        (lambda: lp.plot_final([1, 2]), TypeError, "results"),
        (lambda: lp.plot_final({"a": []}), ValueError, r"results\['a'\]"),
        (lambda: lp.plot_final({"a": [np.nan]}), ValueError, "finite"),
        (lambda: lp.style_axes(None), TypeError, "ax"),
        (lambda: lp.plot_runs([1]), TypeError, "runs"),
        (lambda: lp.plot_runs({"a": [[1.0, 2.0]]}, band="iqr"), ValueError, "band"),
        (lambda: lp.plot_groups(np.ones(3)), ValueError, "lrs"),
        (lambda: lp.plot_groups(np.ones((3, 2)), names="ab"), TypeError, "names"),
        (lambda: lp.plot_lr_momentum([1, 2], [1]), ValueError, "momentum"),
        (lambda: lp.plot_lr_momentum(np.ones((3, 2)), np.ones(3)), ValueError, "lr"),
        (lambda: lp.mark_steps(None, [1]), TypeError, "ax"),
        (lambda: lp.mark_steps(_axes(), [np.inf]), ValueError, "steps"),
        (lambda: lp.new_axes(figsize=5), TypeError, "figsize"),
        (lambda: lp.new_axes(figsize=(np.nan, 3)), ValueError, "figsize"),
        (lambda: lp.new_axes(ncols=0), ValueError, "ncols"),
    ],
)
def test_plot_arguments_are_checked(call, exc, match):
    try:
        with pytest.raises(exc, match=match):
            call()
    finally:
        plt.close("all")


def _band_at(ax, x):
    (band,) = ax.collections
    vertices = band.get_paths()[0].vertices
    edge = vertices[np.isclose(vertices[:, 0], x), 1]
    return edge.min(), edge.max()


def test_plot_runs_bands_use_ddof_1_and_stay_visible_on_log_axes():
    y = np.array([[1.0, 0.1, 0.01], [3.0, 0.3, np.nan], [2.0, 0.2, 0.02]])
    ax = lp.plot_runs({"a": y})
    assert np.allclose(_band_at(ax, 1), (1.0, 3.0))  # std of (1, 3, 2), ddof=1: 1
    plt.close("all")
    # on a log axis mean - std can go below zero: the band spans the runs instead
    ax = lp.plot_runs({"a": y}, log=True)
    assert np.allclose(_band_at(ax, 1), (1.0, 3.0))
    assert np.allclose(_band_at(ax, 3), (0.01, 0.02))  # the NaN run left out
    plt.close("all")


def test_plot_final_uses_ddof_1_and_counts_runs_that_are_not_finite():
    ax = lp.plot_final({"a": [1.0, 3.0, np.nan], "b": [2.0]})
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a (1 of 3 not finite)", "b"]
    caps = ax.containers[0].lines[1]  # the error bar's two caps of label "a"
    tops = sorted(float(cap.get_ydata()[0]) for cap in caps)
    assert np.allclose(tops, [2.0 - np.sqrt(2), 2.0 + np.sqrt(2)])
    plt.close("all")


# ------------------------------------------------------------- train: bad arguments


def small_run_args(data):
    model = mlp(data.n_features, data.n_classes, (4,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, opt


@pytest.mark.parametrize(
    "change,exc,name",
    [
        (dict(model=None), TypeError, "model"),
        (dict(model="mlp"), TypeError, "model"),
        (dict(data=None), TypeError, "data"),
        (dict(data=(1, 2)), TypeError, "data"),
        (dict(optimizer=None), TypeError, "optimizer"),
        (dict(scheduler="step"), TypeError, "scheduler"),
        (dict(loss_fn=3), TypeError, "loss_fn"),
        (dict(interval=None), TypeError, "interval"),
        (dict(seed=2**64), ValueError, "seed"),
        (dict(seed=2**32), ValueError, "seed"),
        (dict(epochs=2**62), ValueError, "epochs"),
        (dict(start_epoch=2**63), ValueError, "start_epoch"),
        (dict(max_loss=float("nan")), ValueError, "max_loss"),
    ],
)
def test_fit_names_a_bad_argument(data, change, exc, name):
    model, opt = small_run_args(data)
    kwargs = dict(model=model, data=data, optimizer=opt, scheduler=None, epochs=1)
    with pytest.raises(exc, match=name):
        fit(**{**kwargs, **change})


def test_fit_refuses_a_scheduler_of_another_optimizer(data):
    model, opt = small_run_args(data)
    other = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler"):
        fit(model, data, opt, StepLR(other, 2), epochs=1)


def test_evaluate_names_bad_arguments(data):
    model, _ = small_run_args(data)
    with pytest.raises(TypeError, match="model"):
        evaluate(None, data)
    with pytest.raises(TypeError, match="data"):
        evaluate(model, None)
    with pytest.raises(TypeError, match="split"):
        evaluate(model, data, split=1)
    with pytest.raises(ValueError, match="split"):
        evaluate(model, data, split="test")  # no test split here


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: mlp(64, 10, seed=2**64), ValueError, "seed"),
        (lambda: mlp(64, 10, seed=-1), ValueError, "seed"),
        (lambda: mlp(64, 10, hidden=5), TypeError, "hidden"),
        (lambda: mlp(64, 10, hidden="64"), TypeError, "hidden"),
        (lambda: mlp(64, 10, hidden=[64, 0]), ValueError, "hidden\\[1\\]"),
        (lambda: mlp(2**40, 10), ValueError, "weights"),
        (lambda: mlp(64, 10, activation=3), TypeError, "activation"),
        (lambda: mlp(64, 10, norm=1), TypeError, "norm"),
        (lambda: seed_everything(2**32), ValueError, "seed"),
        (lambda: digits(val_fraction=1 - 1e-9), ValueError, "val_fraction"),
        (lambda: digits(classes=5), TypeError, "classes"),
        (lambda: summarize([1]), TypeError, "histories"),
        (lambda: summarize("abc"), TypeError, "histories"),
        (lambda: run_seeds(None), TypeError, "run"),
        (lambda: run_seeds(lambda s: s, seeds=None), TypeError, "seeds"),
        (lambda: run_seeds(lambda s: s, seeds=[2**63]), ValueError, "seed"),
        (lambda: run_seeds(lambda s: s, seeds=np.array(3)), TypeError, "seeds"),
        (lambda: run_seeds(lambda s: s, seeds=np.ones((2, 2))), ValueError, "seeds"),
        (lambda: run_seeds(lambda s: s, seeds=[0.5]), TypeError, "seeds\\[0\\]"),
        (lambda: run_seeds(lambda s: s, seeds=[0, -1]), ValueError, "seeds\\[1\\]"),
        (lambda: mlp(64, 10, hidden=np.array(4)), TypeError, "hidden"),
        (lambda: digits(classes=np.array(3)), TypeError, "classes"),
    ],
)
def test_train_helpers_name_bad_arguments(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_data_checks_its_tensors(data):
    x, y = data.x_train, data.y_train
    with pytest.raises(TypeError, match="x_train"):
        Data(x.numpy(), y, data.x_val, data.y_val)
    with pytest.raises(TypeError, match="y_val"):
        Data(x, y, data.x_val, data.y_val.to(torch.float64))
    with pytest.raises(ValueError, match="y_train"):
        Data(x, y[:-1], data.x_val, data.y_val)
    with pytest.raises(ValueError, match="x_test"):
        Data(x, y, data.x_val, data.y_val, x_test=data.x_val)
    with pytest.raises(ValueError, match="features"):
        Data(x, y, data.x_val[:, :3], data.y_val)
    with pytest.raises(ValueError, match="empty"):
        Data(x[:0], y[:0], data.x_val, data.y_val)
    assert Data(x[:5], y[:5], data.x_val, data.y_val).n_features == 64
