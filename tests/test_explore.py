"""lrlib.explore: frames are precomputed, and moving a slider changes the shown frame."""

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
