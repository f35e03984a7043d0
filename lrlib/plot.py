"""The book's plots: one look for every chapter.

Every function draws on a Matplotlib ``Axes`` (a new figure when ``ax`` is ``None``),
labels both axes with their units, and returns the ``Axes``. Finish a notebook cell
with ``plt.show()`` so the cell prints no ``Axes`` repr.

Bad arguments raise ``TypeError``/``ValueError`` naming them. Needs the ``plot`` extra
(``pip install 'lrlib[plot]'``: matplotlib).

Call :func:`use_book_style` once at the top of a chapter: figures are then
:data:`PAGE_WIDTH` inches wide at :data:`DPI` dots per inch, which is the width of the
book's text column, so the browser shows them at 100% and an 11-point label reads as
11 points. Keep every figure at most :data:`PAGE_WIDTH` wide (split panels across it,
``new_axes(ncols=2)``) rather than drawing wider and letting the page shrink the text.
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping, Sequence

import numpy as np

from ._extras import missing_extra

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.cbook import normalize_kwargs
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
except ImportError as _error:  # the core install has no matplotlib
    raise missing_extra("lrlib.plot", "plot", _error) from _error

__all__ = [
    "COLORS",
    "PAGE_WIDTH",
    "DPI",
    "use_book_style",
    "new_axes",
    "style_axes",
    "plot_schedules",
    "plot_groups",
    "plot_lr_momentum",
    "plot_runs",
    "plot_final",
    "mark_steps",
]

#: The colour cycle every plot in the book uses, in order.
COLORS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]

_UNITS = {"step": "optimizer step", "epoch": "epoch", "iteration": "iteration"}

#: Width of a figure that fills the book's text column (about 690 px at :data:`DPI`).
PAGE_WIDTH = 6.8
#: Dots per inch of the book's figures: PAGE_WIDTH * DPI pixels fit the column unscaled.
DPI = 100

# (Any keys: Matplotlib types rcParams' keys as a Literal of every setting's name.)
_BOOK_STYLE: dict[Any, Any] = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.figsize": (PAGE_WIDTH, 3.2),
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 12,
    "lines.linewidth": 1.8,
}


def use_book_style() -> None:
    """Set Matplotlib's defaults to the book's page: column-wide figures, legible text.

    Figures are :data:`PAGE_WIDTH` inches wide at :data:`DPI` (the text column of the
    HTML book, so nothing is scaled down), with 11-point labels and 10-point ticks.
    """
    plt.rcParams.update(_BOOK_STYLE)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if not 1 <= int(value) <= 16:
        raise ValueError(f"{name} must be between 1 and 16, got {value!r}")
    return int(value)


def _check_figsize(figsize: Any) -> tuple[float, float]:
    if (
        isinstance(figsize, (str, bytes))
        or not isinstance(figsize, Sequence)
        or len(figsize) != 2
    ):
        raise TypeError(
            f"figsize must be a pair (width, height) in inches, got {figsize!r}"
        )
    sides = []
    for side in figsize:
        if isinstance(side, bool) or not isinstance(side, numbers.Real):
            raise TypeError(f"figsize must hold two numbers of inches, got {figsize!r}")
        if not 0.0 < float(side) <= 40.0:  # also rejects NaN
            raise ValueError(
                f"figsize sides must be in (0, 40] inches, got {figsize!r}"
            )
        sides.append(float(side))
    return sides[0], sides[1]


def _check_text(name: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        kind = "a string or None" if optional else "a string"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    return value


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_ax(ax: Any, name: str = "ax") -> Axes:
    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a Matplotlib Axes, got {ax!r}")
    return ax


def _check_mapping(name: str, value: Any, what: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{name} must be a mapping of label -> {what}, got {type(value).__name__} "
            f"{value!r:.60}"
        )
    if not value:
        raise ValueError(f"{name} must hold at least one label")
    for label in value:
        if not isinstance(label, str):
            raise TypeError(f"{name}'s labels must be strings, got {label!r}")
    return value


def _numbers(name: str, values: Any, *, ndims: tuple[int, ...] = (1,)) -> np.ndarray:
    """``values`` as a float array with one of ``ndims`` dimensions, not empty."""
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be an array of numbers, got {values!r}")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of numbers, got {values!r:.60}"
        ) from None
    if array.ndim not in ndims:
        dims = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {dims}, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    return array


def _one_group(name: str, values: Any) -> np.ndarray:
    """``values`` as one value per step: 1-D, or 2-D with a single column."""
    array = _numbers(name, values, ndims=(1, 2))
    if array.ndim == 2 and array.shape[1] != 1:
        raise ValueError(
            f"{name} has {array.shape[1]} parameter groups (shape {array.shape}): "
            "give one group's values"
        )
    return array.reshape(-1)


def new_axes(
    figsize: tuple[float, float] | None = None, ncols: int = 1, nrows: int = 1
) -> tuple[Figure, Any]:
    """A figure the width of the page; returns ``(fig, ax)`` like ``plt.subplots``.

    ``figsize`` defaults to ``(PAGE_WIDTH, 3.2)`` for one row (2.6 inches more per
    extra row); pass it to choose another height, but keep the width at most
    :data:`PAGE_WIDTH`. ``ax`` is one ``Axes``, or an array of them for several
    panels.
    """
    ncols = _check_positive_int("ncols", ncols)
    nrows = _check_positive_int("nrows", nrows)
    if figsize is None:
        figsize = (PAGE_WIDTH, 3.2 + 2.6 * (nrows - 1))
    figsize = _check_figsize(figsize)
    fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained")
    for a in np.atleast_1d(ax).ravel():
        style_axes(a)
    return fig, ax


def style_axes(ax: Axes) -> Axes:
    """The book's look on an existing ``Axes``: light grid, no top/right spines."""
    _check_ax(ax)
    ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_prop_cycle(color=COLORS)
    return ax


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, new = new_axes()
        return new  # type: ignore[no-any-return]  # one panel: a single Axes
    return style_axes(ax)


def _xlabel(unit: Any) -> str:
    if not isinstance(unit, str):
        raise TypeError(f"unit must be one of {sorted(_UNITS)}, got {unit!r}")
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {sorted(_UNITS)}, got {unit!r}")
    return _UNITS[unit]


def _finish(
    ax: Axes, unit: str, ylabel: str, title: str | None, log: bool, legend: bool
) -> Axes:
    ax.set_xlabel(_xlabel(unit))
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize="small")
    return ax


def _check_styles(styles: Any, labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each label's extra line properties, checked against Matplotlib's ``Line2D``."""
    if styles is None:
        return {}
    if not isinstance(styles, Mapping):
        raise TypeError(
            f"styles must be a mapping of label -> line properties, got {styles!r}"
        )
    checked: dict[str, dict[str, Any]] = {}
    for label, props in styles.items():
        if label not in labels:
            raise ValueError(
                f"styles names {label!r}, which is not one of the curves: "
                f"{list(labels)}"
            )
        if not isinstance(props, Mapping):
            raise TypeError(
                f"styles[{label!r}] must be a mapping of line properties, got {props!r}"
            )
        props = normalize_kwargs(dict(props), Line2D)  # "lw" -> "linewidth", ...
        for key in props:
            if not isinstance(key, str) or not hasattr(Line2D, f"set_{key}"):
                raise ValueError(
                    f"styles[{label!r}] has {key!r}, which is not a property of a "
                    "Matplotlib line (e.g. color, linestyle, linewidth, marker)"
                )
        checked[label] = props
    return checked


def plot_schedules(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    unit: str = "step",
    ylabel: str = "learning rate",
    title: str | None = None,
    log: bool = False,
    start: int = 0,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Axes:
    """Several schedules on one axis, one labelled line each.

    ``curves`` maps a label to the LR at steps ``start, start+1, ...``; a 2-D array
    ``(steps, groups)`` draws one line per group. ``styles`` may give extra line
    properties per label (e.g. ``{"ours": {"ls": "--"}}``); a property Matplotlib's
    ``Line2D`` does not have raises ``ValueError``.
    """
    curves = _check_mapping("curves", curves, "learning rates")
    arrays = {
        label: _numbers(f"curves[{label!r}]", y, ndims=(1, 2))
        for label, y in curves.items()
    }
    _xlabel(unit)
    _check_text("ylabel", ylabel)
    _check_text("title", title, optional=True)
    log = _check_flag("log", log)
    if isinstance(start, bool) or not isinstance(start, numbers.Integral):
        raise TypeError(f"start must be an integer step, got {start!r}")
    extras = _check_styles(styles, list(arrays))
    ax = _axes(ax)
    for label, y in arrays.items():
        if y.ndim == 1:
            y = y[:, None]
        x = np.arange(int(start), int(start) + len(y))
        for g in range(y.shape[1]):
            name = label if y.shape[1] == 1 else f"{label} (group {g})"
            style: dict[str, Any] = {"label": name, "linewidth": 1.8}
            style.update(extras.get(label, {}))
            ax.plot(x, y[:, g], **style)
    return _finish(ax, unit, ylabel, title, log, legend=True)


def plot_groups(
    lrs: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    ax: Axes | None = None,
    unit: str = "step",
    title: str | None = None,
    log: bool = False,
) -> Axes:
    """One curve per param group, from an ``(steps, groups)`` array such as
    :func:`lrlib.lr_trace` returns."""
    lrs = _numbers("lrs", lrs, ndims=(2,))
    if names is None:
        labels = [f"group {i}" for i in range(lrs.shape[1])]
    elif isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a list of strings, got {names!r}")
    else:
        labels = list(names)
    if len(labels) != lrs.shape[1]:
        raise ValueError(
            f"names has {len(labels)} entries for {lrs.shape[1]} param groups"
        )
    if len(set(labels)) != len(labels):
        raise ValueError(f"names must be distinct, got {labels!r}")
    return plot_schedules(
        {n: lrs[:, i] for i, n in enumerate(labels)},
        ax=ax,
        unit=unit,
        title=title,
        log=log,
    )


def plot_lr_momentum(
    lr: Sequence[float],
    momentum: Sequence[float],
    *,
    ax: Axes | None = None,
    unit: str = "step",
    title: str | None = None,
) -> tuple[Axes, Axes]:
    """LR (left axis) and momentum (right axis) against the step, e.g. for
    ``OneCycleLR``; returns both axes.

    ``lr`` and ``momentum`` are one value per step, or one group's column of
    :func:`lrlib.group_trace` (shape ``(steps, 1)``)."""
    lr_values = _one_group("lr", lr)
    momentum_values = _one_group("momentum", momentum)
    if len(lr_values) != len(momentum_values):
        raise ValueError(
            f"lr has {len(lr_values)} values and momentum {len(momentum_values)}: "
            "give one of each per step"
        )
    xlabel = _xlabel(unit)
    _check_text("title", title, optional=True)
    ax = _axes(ax)
    ax.plot(lr_values, color=COLORS[0], lw=1.8, label="learning rate")
    ax.set_ylabel("learning rate", color=COLORS[0])
    right = ax.twinx()
    right.plot(momentum_values, color=COLORS[1], lw=1.5, ls="--", label="momentum")
    right.set_ylabel("momentum", color=COLORS[1])
    right.spines["top"].set_visible(False)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return ax, right


def _band_stats(y: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over the finite values at each point, and the band's lower/upper edges."""
    finite = np.isfinite(y)
    count = finite.sum(axis=0)
    points = y.shape[1]
    safe = np.where(finite, y, 0.0)
    mean = np.divide(
        safe.sum(axis=0), count, out=np.full(points, np.nan), where=count > 0
    )
    if band == "range":
        low = np.where(count > 0, np.where(finite, y, np.inf).min(axis=0), np.nan)
        high = np.where(count > 0, np.where(finite, y, -np.inf).max(axis=0), np.nan)
        return mean, low, high
    dev = np.where(finite, y - mean, 0.0)
    var = np.divide(
        (dev**2).sum(axis=0),
        count - 1,
        out=np.full(points, np.nan),
        where=count > 1,
    )  # the sample variance (ddof=1); no band where fewer than two runs are finite
    std = np.sqrt(var)
    return mean, mean - std, mean + std


def plot_runs(
    runs: Mapping[str, np.ndarray],
    *,
    ax: Axes | None = None,
    unit: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
    log: bool = False,
    band: str | None = None,
) -> Axes:
    """Mean curve and a band over seeds, one per label.

    ``runs`` maps a label to an array ``(seeds, points)``; NaN or infinite points (a
    diverged run) are left out of the mean and the band at that point. ``band`` is
    ``"std"`` (mean ± one sample standard deviation, ``ddof=1``) or ``"range"``
    (the smallest to the largest run); by default ``"std"`` on a linear axis and
    ``"range"`` on a log axis (``log=True``), where mean − std can go below zero
    and the band would vanish.
    """
    runs = _check_mapping("runs", runs, "an array (seeds, points)")
    arrays = {
        label: np.atleast_2d(_numbers(f"runs[{label!r}]", y, ndims=(1, 2)))
        for label, y in runs.items()
    }
    _xlabel(unit)
    _check_text("ylabel", ylabel)
    _check_text("title", title, optional=True)
    log = _check_flag("log", log)
    if band is None:
        band = "range" if log else "std"
    if not isinstance(band, str) or band not in ("std", "range"):
        raise ValueError(f"band must be 'std', 'range' or None, got {band!r}")
    ax = _axes(ax)
    for i, (label, y) in enumerate(arrays.items()):
        x = np.arange(1, y.shape[1] + 1) if unit == "epoch" else np.arange(y.shape[1])
        mean, low, high = _band_stats(y, band)
        color = COLORS[i % len(COLORS)]
        n = f" (n={y.shape[0]})" if y.shape[0] > 1 else ""
        ax.plot(x, mean, color=color, lw=1.8, label=f"{label}{n}")
        if y.shape[0] > 1:
            ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0)
    return _finish(ax, unit, ylabel, title, log, legend=True)


def plot_final(
    results: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = "final accuracy",
    title: str | None = None,
) -> Axes:
    """Mean ± sample standard deviation (``ddof=1``) of a final metric per label, as
    points with error bars, plus each seed.

    NaN or infinite results (diverged runs) are not averaged: they are left out and
    counted in the label, e.g. ``"constant (1 of 5 not finite)"``. A label needs at
    least one finite result.
    """
    results = _check_mapping("results", results, "final values")
    arrays = {
        label: _numbers(f"results[{label!r}]", v).ravel()
        for label, v in results.items()
    }
    for label, v in arrays.items():
        if not np.isfinite(v).any():
            raise ValueError(f"results[{label!r}] holds no finite value")
    _check_text("ylabel", ylabel)
    _check_text("title", title, optional=True)
    ax = _axes(ax)
    ticks = []
    for i, (label, v) in enumerate(arrays.items()):
        finite = v[np.isfinite(v)]
        color = COLORS[i % len(COLORS)]
        spread = finite.std(ddof=1) if len(finite) > 1 else 0.0
        ax.errorbar(
            i, finite.mean(), yerr=spread, fmt="o", color=color, capsize=4, ms=6
        )
        ax.scatter(
            np.full(finite.shape, i + 0.15), finite, s=10, color=color, alpha=0.6
        )
        lost = len(v) - len(finite)
        ticks.append(f"{label} ({lost} of {len(v)} not finite)" if lost else label)
    ax.set_xticks(range(len(ticks)), ticks, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def mark_steps(
    ax: Axes, steps: Sequence[int], *, label: str | None = None, color: str = "0.5"
) -> Axes:
    """Dotted vertical lines at ``steps`` (milestones, restarts, the end of warmup)."""
    _check_ax(ax)
    positions = _numbers("steps", steps) if len(np.atleast_1d(steps)) else np.array([])
    if not np.isfinite(positions).all():
        raise ValueError(f"steps must be finite, got {steps!r}")
    _check_text("label", label, optional=True)
    _check_text("color", color)
    for i, s in enumerate(positions):
        ax.axvline(s, color=color, ls=":", lw=1, label=label if i == 0 else None)
    if label and len(positions):  # no line, no legend entry (matplotlib would warn)
        ax.legend(frameon=False, fontsize="small")
    return ax
