"""lrlib.explore: frames are precomputed; moving a slider changes the shown frame."""

import ipywidgets as widgets
import numpy as np
import pytest

import lrlib
from lrlib.plot import plot_schedules


def draw(ax, gamma, step_size=50):
    t = np.arange(200)
    plot_schedules(
        {"StepLR": lrlib.step_lr(t, base_lr=0.1, step_size=step_size, gamma=gamma)},
        ax=ax,
    )


def test_frames_change_with_the_slider():
    ex = lrlib.explore(draw, {"gamma": [0.1, 0.5, 0.9]})
    assert len(ex.frames) == 3
    assert (
        len({bytes(v) for v in ex.frames.values()}) == 3
    )  # every value draws a different figure
    shown = [ex.displayed()]
    for i in (1, 2):
        ex.sliders[0].index = i
        shown.append(ex.displayed())
    assert len(set(shown)) == 3
    assert ex.displayed() == ex.frames[(0.9,)]
    assert all(png.startswith(b"\x89PNG") for png in shown)


def test_two_sliders_nested_stacks_and_browser_links():
    ex = lrlib.explore(
        draw,
        {"gamma": [0.1, 0.5], "step_size": [20, 50, 100]},
        initial={"step_size": 50},
    )
    assert ex.value == {"gamma": 0.1, "step_size": 50}
    assert ex.displayed() == ex.frames[(0.1, 50)]
    ex.sliders[0].value = 0.5
    ex.sliders[1].value = 100
    assert ex.displayed() == ex.frames[(0.5, 100)]
    # the links that make the static HTML work: slider index -> every stack at its level
    assert all(
        isinstance(ln, widgets.widgets.widget_link.DirectionalLink) for ln in ex.links
    )
    assert [ln.source for ln in ex.links] == [(ex.sliders[0], "index")] + [
        (ex.sliders[1], "index")
    ] * 2
    assert all(
        ln.target[1] == "selected_index" for ln in ex.links
    )  # one stack at level 0, two at 1
    assert repr(ex) == "Explorer(gamma: 2, step_size: 3; 6 frames)"


@pytest.mark.parametrize(
    "params,exc,match",
    [
        ({}, ValueError, "params"),
        ({"gamma": []}, ValueError, "gamma"),
        ({"gamma": [0.5, 0.5]}, ValueError, "repeated"),
        (
            {
                "gamma": list(np.linspace(0.1, 0.9, 9)),
                "step_size": list(range(10, 90, 10)),
            },
            ValueError,
            "frames",
        ),
    ],
)
def test_bad_params(params, exc, match):
    with pytest.raises(exc, match=match):
        lrlib.explore(draw, params)


def test_bad_draw_and_initial():
    with pytest.raises(TypeError, match="draw"):
        lrlib.explore("not callable", {"gamma": [0.1]})
    with pytest.raises(ValueError, match="initial"):
        lrlib.explore(draw, {"gamma": [0.1]}, initial={"beta": 1})


def _nothing(ax, a):
    ax.plot([0, 1], [0, a])


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"params": {"a": [1, 2]}, "initial": {"a": 3}}, ValueError, r"initial\['a'\]"),
        ({"params": {"a": [1, 2]}, "initial": [1]}, TypeError, "initial"),
        ({"params": {"a": [1.0, float("nan")]}}, ValueError, "NaN"),
        ({"params": {"a": [1, True]}}, ValueError, "repeated"),
        ({"params": {"a": [0.1, 0.1 + 1e-12]}}, ValueError, "repeated"),
        ({"params": {"a": [[1], [2]]}}, TypeError, "hashable"),
        ({"params": {"a": 5}}, TypeError, r"params\['a'\]"),
        ({"params": {"a": "xyz"}}, TypeError, r"params\['a'\]"),
        ({"params": {"a": np.ones((2, 2))}}, ValueError, r"params\['a'\]"),
        ({"params": [1, 2]}, TypeError, "params"),
        ({"params": {1: [1, 2]}}, TypeError, "names"),
        ({"params": {"a": [1]}, "dpi": float("nan")}, ValueError, "dpi"),
        ({"params": {"a": [1]}, "dpi": 10**5}, ValueError, "dpi"),
        ({"params": {"a": [1]}, "dpi": "100"}, TypeError, "dpi"),
        ({"params": {"a": [1]}, "dpi": True}, TypeError, "dpi"),
        ({"params": {"a": [1]}, "figsize": (float("nan"), 3)}, ValueError, "figsize"),
        ({"params": {"a": [1]}, "figsize": (-1, 3)}, ValueError, "figsize"),
        ({"params": {"a": [1]}, "figsize": 5}, TypeError, "figsize"),
        ({"params": {"a": [1]}, "figsize": (1, 2, 3)}, TypeError, "figsize"),
        ({"params": {"a": [1]}, "figsize": ("6", 3)}, TypeError, "figsize"),
    ],
)
def test_bad_arguments_are_named(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lrlib.explore(_nothing, **kwargs)


def test_initial_picks_the_offered_value_and_numpy_values_work():
    ex = lrlib.explore(_nothing, {"a": np.array([1.0, 2.0, 3.0])}, initial={"a": 2})
    assert ex.value == {"a": 2.0}
    assert ex.displayed() == ex.frames[(2.0,)]
    ex = lrlib.explore(_nothing, {"a": range(1, 4)}, initial={"a": 3})
    assert ex.sliders[0].index == 2


def test_fallbacks_for_front_ends_without_widgets():
    """Untrusted notebooks and text-only front ends get an image and a text that say
    what to do; the widget view stays the preferred output."""
    import base64

    ex = lrlib.explore(
        draw, {"gamma": [0.1, 0.5], "step_size": [20, 50]}, initial={"gamma": 0.5}
    )
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {
        "application/vnd.jupyter.widget-view+json",
        "text/plain",
        "image/png",
    }
    text = bundle["text/plain"]
    assert text.startswith("Explorer(gamma: 2, step_size: 2; 4 frames)")
    assert "trust" in text and "HTML" in text
    assert all(len(line) <= 88 for line in text.splitlines())
    png = base64.b64decode(bundle["image/png"])
    assert png == ex.preview and png.startswith(b"\x89PNG")
    assert png != ex.frames[(0.5, 20)]  # the starting frame plus the note under it
    width = int.from_bytes(png[16:20], "big")
    assert width == int.from_bytes(ex.frames[(0.5, 20)][16:20], "big") <= 720
    assert "lrlib-explorer" in ex._dom_classes  # how the HTML book finds explorers


def test_the_note_names_the_starting_values(monkeypatch):
    import sys

    module = sys.modules["lrlib.explore"]  # lrlib.explore is the function
    notes = []
    real = module._render

    def spy(draw, kwargs, figsize, dpi, note=None):
        notes.append(note)
        return real(draw, kwargs, figsize, dpi, note)

    monkeypatch.setattr(module, "_render", spy)
    lrlib.explore(draw, {"gamma": [0.1, 0.5]}, initial={"gamma": 0.5})
    assert notes[:2] == [None, None]
    assert notes[2].startswith("Static preview at gamma = 0.5.\n")
