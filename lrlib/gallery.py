"""The book's schedule gallery: one small curve per schedule, each tied to its chapter.

The landing page of the book shows these thumbnails (rendered at build time by
``tools/gallery.py``), so the gallery always draws what the current code computes. Each
curve comes from an ``lrlib`` closed form or from tracing a real PyTorch scheduler with
:func:`lrlib.lr_trace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import numpy.typing as npt
from torch.optim.lr_scheduler import CyclicLR, LambdaLR, OneCycleLR, ReduceLROnPlateau

from . import lambdas, schedules
from ._validate import check_int
from .range_test import range_test_lrs
from .trace import lr_trace, toy_optimizer

__all__ = ["GalleryItem", "GALLERY", "render_thumbnail"]

_N = 300  # steps per thumbnail
_STEPS = np.arange(_N)


@dataclass(frozen=True)
class GalleryItem:
    """One thumbnail: a title, the chapter (a docname such as ``chapters/03_...``) and
    its curve(s).

    ``curve()`` returns an array of shape ``(steps, curves)`` of learning rates.
    """

    key: str
    title: str
    chapter: str
    curve: Callable[[], np.ndarray]


def _col(*arrays: npt.ArrayLike) -> np.ndarray:
    return np.stack([np.asarray(a, dtype=float) for a in arrays], axis=1)


def _plateau() -> np.ndarray:
    # A validation loss that falls, then stalls twice: the LR halves after each stall.
    t = np.arange(_N, dtype=float)
    progress = (
        t - np.clip(t - 80, 0, 50) - np.clip(t - 200, 0, 60)
    )  # frozen on two stretches
    loss = 1.0 / (1.0 + progress / 20.0)
    opt = toy_optimizer(0.1)
    return lr_trace(ReduceLROnPlateau(opt, factor=0.5, patience=20), _N, metrics=loss)


def _per_group() -> np.ndarray:
    opt = toy_optimizer([0.05, 0.1])
    factors: list[Callable[[int], float]] = [
        lambdas.WarmupCosine(total_steps=_N, warmup_steps=30),
        lambdas.Constant(),
    ]
    return lr_trace(LambdaLR(opt, lr_lambda=factors), _N)


def _range_test() -> np.ndarray:
    return _col(range_test_lrs(1e-5, 10.0, _N))


_CH = "chapters/"
GALLERY: tuple[GalleryItem, ...] = (
    GalleryItem(
        "constant",
        "Constant",
        _CH + "02_choosing_a_learning_rate",
        lambda: _col(
            schedules.constant_lr(_STEPS, base_lr=0.1, factor=1.0, total_iters=0)
        ),
    ),
    GalleryItem(
        "step",
        "Step decay",
        _CH + "03_step_and_exponential_decay",
        lambda: _col(schedules.step_lr(_STEPS, base_lr=0.1, step_size=60, gamma=0.5)),
    ),
    GalleryItem(
        "multistep",
        "Multi-step decay",
        _CH + "03_step_and_exponential_decay",
        lambda: _col(
            schedules.multistep_lr(
                _STEPS, base_lr=0.1, milestones=[150, 250], gamma=0.3
            )
        ),
    ),
    GalleryItem(
        "exponential",
        "Exponential decay",
        _CH + "03_step_and_exponential_decay",
        lambda: _col(schedules.exponential_lr(_STEPS, base_lr=0.1, gamma=0.99)),
    ),
    GalleryItem(
        "cosine",
        "Cosine annealing",
        _CH + "04_cosine_annealing_math",
        lambda: _col(
            schedules.cosine_annealing_lr(_STEPS, base_lr=0.1, T_max=_N, eta_min=0.0)
        ),
    ),
    GalleryItem(
        "cyclic",
        "Cyclical (triangular2)",
        _CH + "05_cyclical_schedules",
        lambda: lr_trace(
            CyclicLR(
                toy_optimizer(0.01, momentum=0.9),
                base_lr=0.01,
                max_lr=0.1,
                step_size_up=40,
                mode="triangular2",
            ),
            _N,
        ),
    ),
    GalleryItem(
        "onecycle",
        "One-cycle",
        _CH + "05_cyclical_schedules",
        lambda: lr_trace(
            OneCycleLR(toy_optimizer(0.1, momentum=0.9), max_lr=0.1, total_steps=_N), _N
        ),
    ),
    GalleryItem("plateau", "Reduce on plateau", _CH + "06_reduce_on_plateau", _plateau),
    GalleryItem(
        "warmup",
        "Linear warmup",
        _CH + "07_why_warm_up",
        lambda: _col(0.1 * schedules.linear_warmup_factor(_STEPS, warmup_steps=60)),
    ),
    GalleryItem(
        "warmup_cosine",
        "Warmup + cosine",
        _CH + "08_warmup_cosine_lambdalr",
        lambda: _col(
            schedules.warmup_cosine_lr(
                _STEPS, base_lr=0.1, total_steps=_N, warmup_steps=30
            )
        ),
    ),
    GalleryItem(
        "restarts",
        "Warm restarts (SGDR)",
        _CH + "09_warm_restarts",
        lambda: _col(
            schedules.cosine_warm_restarts_lr(
                _STEPS, base_lr=0.1, T_0=40, T_mult=2, eta_min=0.001
            )
        ),
    ),
    GalleryItem(
        "warmup_restarts",
        "Warmup restarts, decaying peaks",
        _CH + "09_warm_restarts",
        lambda: _col(
            schedules.cosine_warmup_restarts_lr(
                _STEPS,
                first_cycle_steps=60,
                cycle_mult=1.5,
                max_lr=0.1,
                min_lr=0.001,
                warmup_steps=10,
                gamma=0.6,
            )
        ),
    ),
    GalleryItem(
        "wsd_composed",
        "Composed: warmup, stable, decay",
        _CH + "10_composing_schedules",
        lambda: _col(
            schedules.wsd_lr(
                _STEPS, base_lr=0.1, total_steps=_N, warmup_steps=30, decay_steps=60
            )
        ),
    ),
    GalleryItem(
        "per_group",
        "One schedule per group",
        _CH + "11_per_group_schedules",
        _per_group,
    ),
    GalleryItem(
        "inverse_sqrt",
        "Inverse square root",
        _CH + "14_modern_schedules",
        lambda: _col(schedules.inverse_sqrt_lr(_STEPS, base_lr=0.1, warmup_steps=30)),
    ),
    GalleryItem(
        "linear_decay",
        "Linear decay to zero",
        _CH + "14_modern_schedules",
        lambda: _col(
            schedules.linear_decay_lr(
                _STEPS, base_lr=0.1, total_steps=_N, warmup_steps=30
            )
        ),
    ),
    GalleryItem(
        "polynomial",
        "Polynomial decay",
        _CH + "14_modern_schedules",
        lambda: _col(
            schedules.polynomial_lr(_STEPS, base_lr=0.1, total_iters=_N, power=2.0)
        ),
    ),
    GalleryItem(
        "range_test", "LR range test ramp", _CH + "13_lr_range_test", _range_test
    ),
)


def render_thumbnail(
    item: GalleryItem, path: str | Path, *, color_index: int = 0
) -> Path:
    """Draw ``item``'s curve(s) as a small PNG (about 3 x 1.6 inches at 60 dpi) and
    return its path.

    ``path`` is a ``str`` or ``Path`` ending in ``.png``; ``color_index`` (an integer
    ``>= 0``) picks the first colour of the book's palette. The curve must be a finite,
    non-negative ``(steps, curves)`` array.
    """
    from matplotlib.figure import Figure

    from .plot import COLORS

    if not isinstance(item, GalleryItem):
        raise TypeError(f"item must be a GalleryItem, got {type(item).__name__}")
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    if Path(path).suffix.lower() != ".png":
        raise ValueError(f"path must end in .png, got {str(path)!r}")
    color_index = check_int("color_index", color_index, minimum=0)
    lrs = np.asarray(item.curve(), dtype=float)
    if lrs.ndim != 2 or not lrs.size or not np.all(np.isfinite(lrs)) or lrs.min() < 0:
        raise ValueError(
            f"item {item.key!r}: curve() must return a finite, non-negative "
            f"(steps, curves) array, got shape {lrs.shape}"
        )
    fig = Figure(figsize=(3.0, 1.6), dpi=60, layout="constrained")
    ax = fig.add_subplot()
    for j in range(lrs.shape[1]):
        ax.plot(lrs[:, j], color=COLORS[(color_index + j) % len(COLORS)], linewidth=2)
    if item.key == "range_test":
        ax.set_yscale("log")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("step", fontsize=9)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    return path
