"""lrlib.stats, lrlib.report, the float64 training harness and the one-ulp canary."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lrlib import report, stats
from lrlib._canary import nudge_
from lrlib.train import DTYPE, digits, evaluate, mlp

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=30))
def test_summary_is_the_sample_statistics(values):
    s = stats.summary(values)
    assert s.runs == len(values) and s.failed == 0
    assert s.mean == pytest.approx(np.mean(values), abs=1e-6)
    assert s.std == pytest.approx(np.std(values, ddof=1), abs=1e-6)


def test_summary_counts_failures_instead_of_averaging_them():
    s = stats.summary([0.9, float("nan"), 0.8, float("inf")])
    assert (s.runs, s.failed, s.finished) == (4, 2, 2)
    assert s.mean == pytest.approx(0.85)
    assert format(s, ".2f") == "0.85 ± 0.07 (2 of 4 diverged)"
    one = stats.summary([0.829, 0.5, 0.4], failed=[False, True, True])
    assert format(one, ".3f") == "0.829 (1 run; 2 of 3 diverged)"
    assert math.isnan(one.std)
    assert format(stats.summary([math.nan] * 5), ".3f") == "5 of 5 diverged"
    assert format(stats.summary([0.5, 0.7]), ".1f") == "0.6 ± 0.1"


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: stats.summary([]), ValueError, "values"),
        (lambda: stats.summary("abc"), TypeError, "values"),
        (lambda: stats.summary(3.0), TypeError, "values"),
        (lambda: stats.summary([[1.0, 2.0]]), ValueError, "values"),
        (lambda: stats.summary([1.0, 2.0], failed=[True]), ValueError, "failed"),
        (lambda: stats.summary([1.0, 2.0], failed=[True]), ValueError, "values"),
        (lambda: stats.summary([1.0, 2.0], failed=[0, 1]), TypeError, "failed"),
        (lambda: stats.paired_difference([1.0], [1.0, 2.0]), ValueError, "a and b"),
        (
            lambda: stats.paired_difference([1.0], [2.0], confidence=1.0),
            ValueError,
            "conf",
        ),
        (
            lambda: stats.paired_difference([1.0], [2.0], margin=-1),
            ValueError,
            "margin",
        ),
        (lambda: stats.paired_difference([math.nan], [1.0]), ValueError, "no seed"),
    ],
)
def test_bad_arguments_are_named(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_paired_difference_uses_the_pairs():
    a = [0.91, 0.92, 0.93, 0.94, 0.95]
    b = [0.90, 0.91, 0.92, 0.93, 0.96]
    d = stats.paired_difference(a, b, margin=0.005)
    assert d.n == 5 and d.mean == pytest.approx(0.006)
    assert (d.wins, d.losses, d.ties) == (4, 1, 0)
    from scipy.stats import ttest_rel

    test = ttest_rel(a, b)
    ci = test.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high))
    assert format(d, ".3f").startswith("+0.006 [")
    with_failure = stats.paired_difference([0.9, math.nan, 0.8], [0.7, 0.7, 0.7])
    assert with_failure.n == 2 and with_failure.excluded == 1


def test_approx_marks_and_the_sanitizer_masks_only_that_form():
    assert report.approx(0.84937) == "≈0.85"
    assert report.approx(1234.5, 3) == "≈1.23e+03"
    cfg = (Path(__file__).parent / "sanitize.cfg").read_text()

    pattern = re.search(r"\[approximate values\]\nregex: (.*)\n", cfg).group(1)
    assert (
        re.sub(pattern, "X", "loss ≈0.85, ≈1.23e+03 and 0.85") == "loss X, X and 0.85"
    )
    with pytest.raises(TypeError, match="value"):
        report.approx("0.8")
    with pytest.raises(ValueError, match="digits"):
        report.approx(0.8, 0)


def test_glue_stores_the_formatted_text(monkeypatch):
    seen = {}
    monkeypatch.setattr(report, "_record", lambda n, v: seen.update({n: v}))
    assert report.glue("acc", 0.96666, ".3f") == "0.967"
    assert seen == {"acc": "0.967"}
    with pytest.raises(ValueError, match="format spec"):
        report.glue("acc", 0.9)
    with pytest.raises(ValueError, match="identifier"):
        report.glue("not a name", 1)


def test_glue_emits_what_myst_nb_glue_emits(monkeypatch):
    """lrlib writes myst-nb's glue output itself (no nbformat import): the same
    bundle, metadata and raw flag as myst_nb.glue(name, text, display=False)."""
    import IPython.display
    from myst_nb.ext import glue as myst_glue

    calls: list[tuple] = []

    def capture(*objs, **kwargs):
        calls.append((objs, kwargs))

    monkeypatch.setattr(myst_glue, "ipy_display", capture)
    monkeypatch.setattr(IPython.display, "display", capture)
    myst_glue.glue("acc", "0.967 ± 0.01", display=False)
    report.glue("acc", "0.967 ± 0.01")
    assert len(calls) == 2 and calls[0] == calls[1]
    assert report.GLUE_PREFIX == myst_glue.GLUE_PREFIX


def test_glue_takes_one_figure_and_names_value_otherwise(monkeypatch):
    monkeypatch.setattr(report, "_record", lambda n, v: None)
    # a NumPy scalar, a 0-d array and a 0-d tensor are their number
    assert report.glue("a", np.float64(0.25), ".2f") == "0.25"
    assert report.glue("a", np.array(0.25), ".2f") == "0.25"
    assert report.glue("a", torch.tensor(0.25, dtype=torch.float64), ".2f") == "0.25"
    assert report.glue("a", np.int64(7)) == "7"
    assert report.glue("a", "seven") == "seven"
    assert report.glue("a", stats.summary([0.5, 0.7]), ".1f") == "0.6 ± 0.1"
    with pytest.raises(ValueError, match="format spec"):
        report.glue("a", np.array(0.25))
    # several values: the prose decides how they are joined
    for many in ([1, 2], (1.0,), np.array([0.1, 0.3]), torch.tensor([1, 2]), None):
        with pytest.raises(TypeError, match="value"):
            report.glue("a", many, ".3f")
    with pytest.raises(ValueError, match="value 'abc'"):
        report.glue("a", "abc", ".3f")


def test_training_is_float64_with_a_held_out_test_split():
    data = digits(seed=0, val_fraction=0.2, test_fraction=0.2)
    assert data.x_train.dtype == DTYPE == torch.float64
    sizes = [len(data.y_train), len(data.y_val), len(data.y_test)]
    assert sum(sizes) == 1797 and sizes[1] == sizes[2] == 359
    model = mlp(data.n_features, data.n_classes, seed=0)
    assert all(p.dtype == DTYPE for p in model.parameters())
    loss, acc = evaluate(model, data, "test")
    assert math.isfinite(loss) and 0 <= acc <= 1
    with pytest.raises(ValueError, match="test split"):
        evaluate(model, digits(seed=0), "test")
    with pytest.raises(ValueError, match="split"):
        evaluate(model, data, "dev")
    with pytest.raises(ValueError, match="training samples"):
        digits(val_fraction=0.5, test_fraction=0.5)


def test_nudge_moves_nonzero_entries_by_one_ulp():
    t = torch.tensor([1.0, -2.0, 0.0, 3e-300], dtype=torch.float64)
    before = t.clone()
    nudge_(t)
    assert t[2] == 0
    np.testing.assert_array_equal(
        t[[0, 1, 3]].numpy(), np.nextafter(before[[0, 1, 3]].numpy(), np.inf)
    )


def test_the_canary_nudges_each_parameter_once_when_an_optimizer_is_built():
    code = (
        "import torch, lrlib\n"
        "torch.manual_seed(0)\n"
        "m = torch.nn.Linear(3, 2, dtype=torch.float64)\n"
        "w = m.weight.detach().clone()\n"
        "torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "torch.optim.Adam(m.parameters())\n"
        "print((m.weight.detach() == torch.nextafter(w, w + 1)).all().item())\n"
    )
    env = dict(os.environ, LRLIB_NUDGE_WEIGHTS="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "True", out.stderr
    env["LRLIB_NUDGE_WEIGHTS"] = "0"
    code = code.replace("torch.nextafter(w, w + 1)", "w")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "True", out.stderr
