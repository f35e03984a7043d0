"""The book's plots: one look for every chapter.

Every function draws on a Matplotlib ``Axes`` (a new figure when ``ax`` is ``None``),
labels both axes with their units, and returns the ``Axes``. Finish a notebook cell
with ``plt.show()`` so the cell prints no ``Axes`` repr.

Call :func:`use_book_style` once at the top of a chapter: figures are then
:data:`PAGE_WIDTH` inches wide at :data:`DPI` dots per inch, which is the width of the
book's text column, so the browser shows them at 100% and an 11-point label reads as
11 points. Keep every figure at most :data:`PAGE_WIDTH` wide (split panels across it,
``new_axes(ncols=2)``) rather than drawing wider and letting the page shrink the text.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

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

_BOOK_STYLE = {
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


def new_axes(
    figsize: tuple[float, float] | None = None, ncols: int = 1, nrows: int = 1
):
    """A figure the width of the page; returns ``(fig, ax)`` like ``plt.subplots``.

    ``figsize`` defaults to ``(PAGE_WIDTH, 3.2)`` for one row (2.6 inches more per
    extra row); pass it to choose another height, but keep the width at most
    :data:`PAGE_WIDTH`.
    """
    if figsize is None:
        figsize = (PAGE_WIDTH, 3.2 + 2.6 * (nrows - 1))
    fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained")
    for a in np.atleast_1d(ax).ravel():
        style_axes(a)
    return fig, ax


def style_axes(ax: Axes) -> Axes:
    """Apply the book's look to an existing ``Axes``: light grid, no top/right spines."""
    ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_prop_cycle(color=COLORS)
    return ax


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = new_axes()
        return ax
    return style_axes(ax)


def _xlabel(unit: str) -> str:
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


def plot_schedules(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    unit: str = "step",
    ylabel: str = "learning rate",
    title: str | None = None,
    log: bool = False,
    start: int = 0,
    styles: Mapping[str, Mapping] | None = None,
) -> Axes:
    """Several schedules on one axis, one labelled line each.

    ``curves`` maps a label to the LR at steps ``start, start+1, ...``; a 2-D array
    ``(steps, groups)`` draws one line per group. ``styles`` may give extra line
    properties per label (e.g. ``{"ours": {"ls": "--"}}``).
    """
    ax = _axes(ax)
    styles = styles or {}
    for label, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        x = np.arange(start, start + len(y))
        for g in range(y.shape[1]):
            name = label if y.shape[1] == 1 else f"{label} (group {g})"
            style = {"label": name, "linewidth": 1.8}
            extra = dict(styles.get(label, {}))
            if (
                "lw" in extra
            ):  # Matplotlib's alias would clash with the default linewidth
                extra["linewidth"] = extra.pop("lw")
            style.update(extra)
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
    lrs = np.asarray(lrs, dtype=float)
    if lrs.ndim != 2:
        raise ValueError(
            f"lrs must be a 2-D (steps, groups) array, got shape {lrs.shape}"
        )
    names = (
        list(names)
        if names is not None
        else [f"group {i}" for i in range(lrs.shape[1])]
    )
    if len(names) != lrs.shape[1]:
        raise ValueError(
            f"names has {len(names)} entries for {lrs.shape[1]} param groups"
        )
    return plot_schedules(
        {n: lrs[:, i] for i, n in enumerate(names)},
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
    """LR (left axis) and momentum (right axis) against the step, e.g. for ``OneCycleLR``."""
    ax = _axes(ax)
    lr, momentum = np.asarray(lr, float).ravel(), np.asarray(momentum, float).ravel()
    ax.plot(lr, color=COLORS[0], lw=1.8, label="learning rate")
    ax.set_ylabel("learning rate", color=COLORS[0])
    right = ax.twinx()
    right.plot(momentum, color=COLORS[1], lw=1.5, ls="--", label="momentum")
    right.set_ylabel("momentum", color=COLORS[1])
    right.spines["top"].set_visible(False)
    ax.set_xlabel(_xlabel(unit))
    if title:
        ax.set_title(title)
    return ax, right


def plot_runs(
    runs: Mapping[str, np.ndarray],
    *,
    ax: Axes | None = None,
    unit: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
    log: bool = False,
) -> Axes:
    """Mean curve and a ±1 standard-deviation band over seeds, one per label.

    ``runs`` maps a label to an array ``(seeds, points)``; NaN points (a diverged run)
    are left out of the mean at that point.
    """
    ax = _axes(ax)
    for i, (label, y) in enumerate(runs.items()):
        y = np.atleast_2d(np.asarray(y, dtype=float))
        x = np.arange(1, y.shape[1] + 1) if unit == "epoch" else np.arange(y.shape[1])
        finite = np.isfinite(y)
        count = finite.sum(axis=0)
        safe = np.where(finite, y, 0.0)
        mean = np.divide(
            safe.sum(axis=0), count, out=np.full(y.shape[1], np.nan), where=count > 0
        )
        dev = np.where(finite, y - mean, 0.0)
        std = np.sqrt(
            np.divide(
                (dev**2).sum(axis=0), count, out=np.zeros(y.shape[1]), where=count > 0
            )
        )
        color = COLORS[i % len(COLORS)]
        n = f" (n={y.shape[0]})" if y.shape[0] > 1 else ""
        ax.plot(x, mean, color=color, lw=1.8, label=f"{label}{n}")
        if y.shape[0] > 1:
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.18, lw=0)
    return _finish(ax, unit, ylabel, title, log, legend=True)


def plot_final(
    results: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = "final accuracy",
    title: str | None = None,
) -> Axes:
    """Mean ± std of a final metric per label, as points with error bars, plus each seed."""
    ax = _axes(ax)
    labels = list(results)
    for i, label in enumerate(labels):
        v = np.asarray(results[label], dtype=float)
        color = COLORS[i % len(COLORS)]
        ax.errorbar(i, v.mean(), yerr=v.std(), fmt="o", color=color, capsize=4, ms=6)
        ax.scatter(np.full(v.shape, i + 0.15), v, s=10, color=color, alpha=0.6)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def mark_steps(
    ax: Axes, steps: Sequence[int], *, label: str | None = None, color: str = "0.5"
) -> Axes:
    """Dotted vertical lines at ``steps`` (milestones, restarts, the end of warmup)."""
    for i, s in enumerate(steps):
        ax.axvline(s, color=color, ls=":", lw=1, label=label if i == 0 else None)
    if label:
        ax.legend(frameon=False, fontsize="small")
    return ax
