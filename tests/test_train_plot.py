"""lrlib.train runs are reproducible; lrlib.plot draws labelled axes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

from lrlib import plot as lp
from lrlib.train import digits, fit, mlp, run_seeds, seed_everything, summarize


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


def run(data, seed, lr=0.1, epochs=2, **kw):
    model = mlp(data.n_features, data.n_classes, (32,), seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return fit(
        model, data, opt, StepLR(opt, 20, gamma=0.5), epochs=epochs, seed=seed, **kw
    )


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
