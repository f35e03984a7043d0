"""Slider explorers for JupyterLab and the static HTML book, with fallbacks for both.

A reader moves a slider and the figure changes. In JupyterLab that needs no special
care, but the rendered book has no kernel, so :func:`explore` renders one small PNG per
combination of slider values up front and puts them in nested ``Stack`` widgets. Each
slider's ``index`` is linked in the browser (``jsdlink``) to the ``selected_index`` of
the stacks at its level, so the embedded widget state alone swaps the image.

Where widgets cannot show, an explorer falls back on its own:

* an untrusted notebook in JupyterLab (or any front end without the widget view) shows
  ``image/png``: the figure at the sliders' starting values, with a note under it
  that says how to get the sliders;
* a front end that shows text only gets ``text/plain`` that says the same;
* the HTML book shows that figure as a static image until the widget manager has
  rendered the sliders, so the figure is there without JavaScript and in print (the
  book's ``tools/explorer_static.py`` does that, from the saved widget state).

Needs the ``explore`` extra (``pip install 'lrlib[explore]'``): without matplotlib and
ipywidgets, :func:`explore` raises an :class:`ImportError` that says so.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ._extras import missing_extra

try:
    import ipywidgets as widgets
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError as _error:  # the core install: no matplotlib or ipywidgets
    _MISSING: ImportError | None = _error
else:
    _MISSING = None

__all__ = ["Explorer", "explore", "MAX_FRAMES", "MAX_DPI", "MAX_INCHES", "DOM_CLASS"]

#: The most frames one explorer may render (each is a PNG embedded in the notebook).
MAX_FRAMES = 64
#: The largest ``dpi`` an explorer accepts (the book's figures use 100).
MAX_DPI = 400
#: The largest side of a frame, in inches (the book's text column is 6.8 wide).
MAX_INCHES = 20.0
#: The CSS class of every explorer's outer box (the HTML book finds explorers by it).
DOM_CLASS = "lrlib-explorer"

#: The second line of the note under the static preview (the first names the values).
PREVIEW_NOTE = "To move the sliders, trust the notebook or run this cell."


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _is_nan(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and (math.isnan(float(value)))
    )


def _check_values(name: str, values: Any) -> list[Any]:
    where = f"params[{name!r}]"
    if isinstance(values, (str, bytes)) or isinstance(values, Mapping):
        raise TypeError(
            f"{where} must be a list of the values its slider offers, got {values!r}"
        )
    if hasattr(values, "ndim") and hasattr(values, "tolist"):  # a numpy array
        if values.ndim != 1:
            raise ValueError(
                f"{where} must be one-dimensional, got shape {values.shape}"
            )
        values = values.tolist()
    if not isinstance(values, (Sequence, range)):
        raise TypeError(
            f"{where} must be a list of the values its slider offers, got {values!r}"
        )
    values = list(values)
    if not values:
        raise ValueError(f"{where} must hold at least one value")
    for value in values:
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"{where} holds {value!r}, which is not hashable: a frame is looked up "
                "by its values"
            ) from None
        if _is_nan(value):
            raise ValueError(f"{where} holds NaN, which no slider position can match")
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            if a == b or _label(a) == _label(b):
                raise ValueError(
                    f"{where} holds repeated values ({a!r} and {b!r} are equal or "
                    "print alike): two slider positions would share one frame"
                )
    return list(values)


def _check_figsize(figsize: Any) -> tuple[float, float]:
    if isinstance(figsize, (str, bytes)) or not isinstance(figsize, Sequence):
        raise TypeError(
            f"figsize must be a pair (width, height) in inches, got {figsize!r}"
        )
    if len(figsize) != 2:
        raise TypeError(
            f"figsize must be a pair (width, height) in inches, got {figsize!r}"
        )
    sides = []
    for side in figsize:
        if isinstance(side, bool) or not isinstance(side, numbers.Real):
            raise TypeError(f"figsize must hold two numbers of inches, got {figsize!r}")
        side = float(side)
        if not (0.0 < side <= MAX_INCHES):  # also rejects NaN
            raise ValueError(
                f"figsize sides must be in (0, {MAX_INCHES:g}] inches, got {figsize!r}"
            )
        sides.append(side)
    return sides[0], sides[1]


def _check_dpi(dpi: Any) -> float:
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real):
        raise TypeError(f"dpi must be a number of dots per inch, got {dpi!r}")
    value = float(dpi)
    if not (10.0 <= value <= MAX_DPI):  # also rejects NaN
        raise ValueError(f"dpi must be between 10 and {MAX_DPI}, got {dpi!r}")
    return value


def _find(values: Sequence[Any], value: Any) -> int | None:
    for i, offered in enumerate(values):
        if type(offered) is type(value) and offered == value:
            return i
    for i, offered in enumerate(values):
        if offered == value and not isinstance(value, bool):
            return i
    return None


def _render(
    draw: Callable[..., Any],
    kwargs: Mapping[str, Any],
    figsize: tuple[float, float],
    dpi: float,
    note: str | None = None,
) -> bytes:
    from .plot import style_axes

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = style_axes(fig.add_subplot())
    draw(ax, **kwargs)
    if note:
        fig.supxlabel(note, fontsize=9, color="0.35", style="italic")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


if TYPE_CHECKING or _MISSING is None:

    class Explorer(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
        """Sliders over precomputed frames; see :func:`explore`.

        Attributes:
            params: the slider names and their values, in order.
            sliders: one ``SelectionSlider`` per parameter.
            frames: PNG bytes for every combination of values, keyed by the value tuple.
            preview: PNG bytes of the starting frame with a note that says how to get
                the sliders (the ``image/png`` fallback).
            links: the browser-side links from each slider's ``index`` to the
                ``selected_index`` of every ``Stack`` at its level.
        """

        def __init__(
            self,
            draw: Callable[..., Any],
            params: Mapping[str, Sequence[Any]],
            *,
            initial: Mapping[str, Any] | None = None,
            figsize: tuple[float, float] | None = None,
            dpi: float | None = None,
        ) -> None:
            from .plot import DPI, PAGE_WIDTH

            if not callable(draw):
                raise TypeError("draw must be callable as draw(ax, **params)")
            if not isinstance(params, Mapping):
                raise TypeError(
                    f"params must be a mapping of name -> values, got {params!r}"
                )
            if not params:
                raise ValueError("params must be a non-empty mapping of name -> values")
            self.params: dict[str, list[Any]] = {}
            for name, values in params.items():
                if not isinstance(name, str) or not name:
                    raise TypeError(
                        f"params names must be non-empty strings (draw's keyword "
                        f"arguments), got {name!r}"
                    )
                self.params[name] = _check_values(name, values)
            n_frames = math.prod(len(v) for v in self.params.values())
            if n_frames > MAX_FRAMES:
                raise ValueError(
                    f"params give {n_frames} combinations; at most {MAX_FRAMES} frames "
                    "are rendered, to keep notebooks small: use fewer values"
                )
            if initial is not None and not isinstance(initial, Mapping):
                raise TypeError(
                    f"initial must be a mapping of name -> value, got {initial!r}"
                )
            initial = dict(initial or {})
            unknown = [k for k in initial if k not in self.params]
            if unknown:
                raise ValueError(f"initial names unknown parameters: {unknown!r}")
            start: dict[str, int] = {}
            for name, values in self.params.items():
                if name not in initial:
                    start[name] = 0
                    continue
                index = _find(values, initial[name])
                if index is None:
                    raise ValueError(
                        f"initial[{name!r}] = {initial[name]!r} is not one of the "
                        f"values params[{name!r}] offers: {values!r}"
                    )
                start[name] = index
            size = _check_figsize((PAGE_WIDTH, 3.0) if figsize is None else figsize)
            resolution = _check_dpi(DPI if dpi is None else dpi)

            names = list(self.params)
            self.frames: dict[tuple[Any, ...], bytes] = {
                combo: _render(draw, dict(zip(names, combo)), size, resolution)
                for combo in itertools.product(*self.params.values())
            }
            first = {n: self.params[n][start[n]] for n in names}
            shown = ", ".join(f"{n} = {_label(v)}" for n, v in first.items())
            note = f"Static preview at {shown}.\n{PREVIEW_NOTE}"
            self.preview: bytes = _render(draw, first, size, resolution, note)
            width = f"{int(size[0] * resolution)}px"
            self.sliders: list[Any] = [
                widgets.SelectionSlider(
                    options=[(_label(v), v) for v in values],
                    index=start[name],
                    description=name,
                    continuous_update=True,
                    style={"description_width": "initial"},
                    layout=widgets.Layout(width=width),
                )
                for name, values in self.params.items()
            ]
            self._levels: list[list[Any]] = [[] for _ in names]
            tree = self._build(0, ())
            self.links: list[Any] = []
            for slider, stacks in zip(self.sliders, self._levels):
                for stack in stacks:
                    self.links.append(
                        widgets.jsdlink((slider, "index"), (stack, "selected_index"))
                    )
                slider.observe(self._on_slide, names="index")
            super().__init__(children=[*self.sliders, tree])
            self.add_class(DOM_CLASS)

        def _build(self, level: int, prefix: tuple[Any, ...]) -> Any:
            names = list(self.params)
            if level == len(names):
                return widgets.Image(value=self.frames[prefix], format="png")
            slider = self.sliders[level]
            stack = widgets.Stack(
                children=[
                    self._build(level + 1, prefix + (v,))
                    for v in self.params[names[level]]
                ],
                selected_index=slider.index,
            )
            self._levels[level].append(stack)
            return stack

        def _on_slide(self, change: dict[str, Any]) -> None:
            level = self.sliders.index(change["owner"])
            for stack in self._levels[level]:
                stack.selected_index = change["new"]

        @property
        def value(self) -> dict[str, Any]:
            """The current slider values."""
            return {name: s.value for name, s in zip(self.params, self.sliders)}

        def displayed(self) -> bytes:
            """PNG bytes of the frame the widget tree currently shows."""
            node = self.children[-1]
            while isinstance(node, widgets.Stack):
                node = node.children[node.selected_index]
            return bytes(node.value)

        def fallback_text(self) -> str:
            """What a front end that shows text only prints (``text/plain``)."""
            names = ", ".join(self.params)
            return (
                f"{self!r}: a figure with sliders for {names}.\n"
                "This front end shows text only. Open the notebook in JupyterLab and "
                "trust it\n(or run this cell) to use the sliders, or read the "
                "chapter's HTML page."
            )

        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
            bundle["text/plain"] = self.fallback_text()
            bundle["image/png"] = base64.b64encode(self.preview).decode("ascii")
            return bundle

        def __repr__(self) -> str:
            sizes = ", ".join(f"{k}: {len(v)}" for k, v in self.params.items())
            return f"Explorer({sizes}; {len(self.frames)} frames)"

else:  # the core install: the names exist, and using them says what to install

    class Explorer:
        """Needs ``pip install 'lrlib[explore]'`` (matplotlib and ipywidgets)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            error = _MISSING or ImportError("ipywidgets")
            raise missing_extra("lrlib.explore", "explore", error) from error


def explore(
    draw: Callable[..., Any],
    params: Mapping[str, Sequence[Any]],
    *,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float | None = None,
) -> Explorer:
    """An interactive explorer: one slider per parameter, one figure.

    ``draw(ax, **values)`` draws the figure for one combination of values onto a
    Matplotlib ``Axes``. ``params`` maps each slider's name to the values it offers
    (a list, tuple, range or 1-D array of distinct, hashable values, no NaN); every
    combination is rendered once (at most :data:`MAX_FRAMES`), so the explorer also
    works in the rendered HTML, where there is no kernel. ``initial`` picks the
    starting value of some sliders (one of the values offered; the first otherwise).
    ``figsize`` defaults to ``(PAGE_WIDTH, 3.0)`` inches and ``dpi`` to
    :data:`lrlib.plot.DPI`, the book's text column.

    Bad arguments raise ``TypeError``/``ValueError`` naming them. Without the
    ``explore`` extra, raises an ``ImportError`` that names it.

    Example::

        def draw(ax, gamma):
            steps = np.arange(100)
            lrlib.plot.plot_schedules({"StepLR": lrlib.step_lr(steps, base_lr=0.1,
                                       step_size=20, gamma=gamma)}, ax=ax)

        lrlib.explore(draw, {"gamma": [0.1, 0.3, 0.5, 0.9]})
    """
    return Explorer(draw, params, initial=initial, figsize=figsize, dpi=dpi)
