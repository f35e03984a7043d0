"""Slider explorers that work with a kernel and in the static HTML book.

A reader moves a slider and the figure changes. In JupyterLab that needs no special
care, but the rendered book has no kernel, so :func:`explore` renders one small PNG per
combination of slider values up front and puts them in nested ``Stack`` widgets. Each
slider's ``index`` is linked in the browser (``jsdlink``) to the ``selected_index`` of
the stacks at its level, so the embedded widget state alone swaps the image.
"""

from __future__ import annotations

import io
import itertools
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .plot import DPI, PAGE_WIDTH, style_axes

__all__ = ["Explorer", "explore", "MAX_FRAMES"]

#: The most frames one explorer may render (each is a PNG embedded in the notebook).
MAX_FRAMES = 64


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _render(draw: Callable[..., Any], kwargs: Mapping[str, Any], figsize, dpi) -> bytes:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = style_axes(fig.add_subplot())
    draw(ax, **kwargs)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


class Explorer(widgets.VBox):
    """Sliders over precomputed frames; see :func:`explore`.

    Attributes:
        params: the slider names and their values, in order.
        sliders: one ``SelectionSlider`` per parameter.
        frames: PNG bytes for every combination of values, keyed by the value tuple.
        links: the browser-side links from each slider's ``index`` to the
            ``selected_index`` of every ``Stack`` at its level.
    """

    def __init__(
        self,
        draw: Callable[..., Any],
        params: Mapping[str, Sequence[Any]],
        *,
        initial: Mapping[str, Any] | None = None,
        figsize: tuple[float, float] = (PAGE_WIDTH, 3.0),
        dpi: int = DPI,
    ) -> None:
        if not callable(draw):
            raise TypeError("draw must be callable as draw(ax, **params)")
        if not isinstance(params, Mapping) or not params:
            raise ValueError("params must be a non-empty mapping of name -> values")
        self.params = {}
        for name, values in params.items():
            values = list(values)
            if not values:
                raise ValueError(f"params[{name!r}] must hold at least one value")
            if len(set(map(_label, values))) != len(values):
                raise ValueError(f"params[{name!r}] holds repeated values")
            self.params[name] = values
        n_frames = 1
        for values in self.params.values():
            n_frames *= len(values)
        if n_frames > MAX_FRAMES:
            raise ValueError(
                f"params give {n_frames} combinations; at most {MAX_FRAMES} frames are "
                "rendered, to keep notebooks small: use fewer values"
            )
        initial = dict(initial or {})
        unknown = set(initial) - set(self.params)
        if unknown:
            raise ValueError(f"initial names unknown parameters: {sorted(unknown)}")

        names = list(self.params)
        self.frames = {
            combo: _render(draw, dict(zip(names, combo)), figsize, dpi)
            for combo in itertools.product(*self.params.values())
        }
        width = f"{int(figsize[0] * dpi)}px"
        self.sliders = [
            widgets.SelectionSlider(
                options=[(_label(v), v) for v in values],
                value=initial.get(name, values[0]),
                description=name,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=widgets.Layout(width=width),
            )
            for name, values in self.params.items()
        ]
        self._levels: list[list[widgets.Stack]] = [[] for _ in names]
        tree = self._build(0, ())
        self.links: list[widgets.widgets.widget_link.DirectionalLink] = []
        for slider, stacks in zip(self.sliders, self._levels):
            for stack in stacks:
                self.links.append(
                    widgets.jsdlink((slider, "index"), (stack, "selected_index"))
                )
            slider.observe(self._on_slide, names="index")
        super().__init__(children=[*self.sliders, tree])

    def _build(self, level: int, prefix: tuple) -> widgets.Widget:
        names = list(self.params)
        if level == len(names):
            return widgets.Image(value=self.frames[prefix], format="png")
        slider = self.sliders[level]
        stack = widgets.Stack(
            children=[
                self._build(level + 1, prefix + (v,)) for v in self.params[names[level]]
            ],
            selected_index=slider.index,
        )
        self._levels[level].append(stack)
        return stack

    def _on_slide(self, change: dict) -> None:
        level = self.sliders.index(change["owner"])
        for stack in self._levels[level]:
            stack.selected_index = change["new"]

    @property
    def value(self) -> dict[str, Any]:
        """The current slider values."""
        return {name: s.value for name, s in zip(self.params, self.sliders)}

    def displayed(self) -> bytes:
        """PNG bytes of the frame the widget tree currently shows."""
        node: widgets.Widget = self.children[-1]
        while isinstance(node, widgets.Stack):
            node = node.children[node.selected_index]
        return bytes(node.value)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)}" for k, v in self.params.items())
        return f"Explorer({sizes}; {len(self.frames)} frames)"


def explore(
    draw: Callable[..., Any],
    params: Mapping[str, Sequence[Any]],
    *,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (PAGE_WIDTH, 3.0),
    dpi: int = DPI,
) -> Explorer:
    """An interactive explorer: one slider per parameter, one figure.

    ``draw(ax, **values)`` draws the figure for one combination of values onto a
    Matplotlib ``Axes``. ``params`` maps each slider's name to the values it offers;
    every combination is rendered once (at most :data:`MAX_FRAMES`), so the explorer
    also works in the rendered HTML, where there is no kernel.

    Example::

        def draw(ax, gamma):
            steps = np.arange(100)
            lrlib.plot.plot_schedules({"StepLR": lrlib.step_lr(steps, base_lr=0.1,
                                       step_size=20, gamma=gamma)}, ax=ax)

        lrlib.explore(draw, {"gamma": [0.1, 0.3, 0.5, 0.9]})
    """
    return Explorer(draw, params, initial=initial, figsize=figsize, dpi=dpi)
