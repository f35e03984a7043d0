r"""The learning-rate range test: a short run with a rising LR that shows where to
train.

The test :cite:`smith2017cyclical` trains a model for ``num_steps`` mini-batches while
the learning rate climbs from ``start_lr`` to ``end_lr``, and records the loss of every
batch. Plotted against the LR, the loss is flat while the LR is too small to matter,
falls where the LR is useful, and shoots up once the LR is too large. A good maximum LR
for a one-cycle or warmup schedule lies on the falling part, before the minimum.

The LR of step :math:`k = 0, \dots, N-1` is

.. math::
    \eta_k = \eta_{\text{start}}
    \Big(\frac{\eta_{\text{end}}}{\eta_{\text{start}}}\Big)^{k/(N-1)}
    \quad(\text{``exp''}), \qquad
    \eta_k = \eta_{\text{start}}
    + (\eta_{\text{end}} - \eta_{\text{start}})\,\frac{k}{N-1}
    \quad(\text{``linear''}),

and the loss is smoothed with a bias-corrected exponential moving average,

.. math::
    a_k = \beta a_{k-1} + (1 - \beta) L_k,\quad a_{-1} = 0, \qquad
    \bar L_k = \frac{a_k}{1 - \beta^{k+1}}.

The test stops early once :math:`\bar L_k > d \cdot \min_{j \le k} \bar L_j`
(``diverge_factor`` :math:`d`) or the loss is not finite.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer

from ._validate import (
    check_bool,
    check_int,
    check_real,
    check_reals,
    check_seed,
    check_str,
)
from .train import Data

__all__ = ["RangeTestResult", "lr_range_test", "range_test_lrs", "smooth_losses"]

_MODES = ("exp", "linear")

#: The most steps a range test may plan (one mini-batch each).
MAX_RANGE_STEPS = 1_000_000


def range_test_lrs(
    start_lr: float, end_lr: float, num_steps: int, mode: str = "exp"
) -> np.ndarray:
    """The ``num_steps`` learning rates of a range test, ``start_lr`` to ``end_lr``
    inclusive.

    ``mode="exp"`` spaces them geometrically (a constant ratio between neighbours),
    ``mode="linear"`` evenly. ``num_steps`` lies in ``[2, 1_000_000]``. A geometric
    ramp whose ratio ``end_lr / start_lr`` overflows float64 (``1e-200`` to ``1e200``)
    is computed in log space, so every LR is finite. The ramp is strictly increasing;
    end points too close together for ``num_steps`` distinct values raise a
    ``ValueError``.
    """
    start_lr = check_real("start_lr", start_lr, minimum=0.0, min_inclusive=False)
    end_lr = check_real("end_lr", end_lr, minimum=0.0, min_inclusive=False)
    if start_lr >= end_lr:
        raise ValueError(
            f"start_lr must be < end_lr, got start_lr={start_lr}, end_lr={end_lr}"
        )
    num_steps = check_int("num_steps", num_steps, minimum=2, maximum=MAX_RANGE_STEPS)
    mode = check_str("mode", mode, _MODES)
    k = np.arange(num_steps, dtype=np.float64) / (num_steps - 1)
    with np.errstate(over="ignore"):
        ratio = end_lr / start_lr
    width = end_lr - start_lr
    if mode == "exp" and math.isfinite(ratio):
        lrs = start_lr * ratio**k
    elif mode == "exp":  # the ratio overflows: interpolate the logarithms
        lo, hi = math.log(start_lr), math.log(end_lr)
        lrs = np.exp(lo + (hi - lo) * k)
    else:
        lrs = start_lr + width * k  # 0 < start < end: the width is finite
    lrs = np.clip(lrs, start_lr, end_lr)
    lrs[0], lrs[-1] = start_lr, end_lr  # exact end points, whatever the rounding
    if np.any(np.diff(lrs) <= 0):
        raise ValueError(
            f"start_lr={start_lr} and end_lr={end_lr} are too close for num_steps="
            f"{num_steps} distinct learning rates"
        )
    return lrs


def smooth_losses(losses: Iterable[float], beta: float = 0.98) -> np.ndarray:
    r"""Bias-corrected exponential moving average of ``losses``.

    :math:`a_k = \beta a_{k-1} + (1-\beta) L_k` from :math:`a_{-1} = 0`, returned as
    :math:`a_k / (1 - \beta^{k+1})`, so the first value is :math:`L_0` itself and no
    value is pulled towards zero. ``beta=0`` returns the losses unchanged. ``losses``
    is a one-dimensional sequence of finite numbers. Each smoothed value is a weighted
    mean of the losses so far and is returned inside their range exactly (rounding
    could otherwise carry it an ulp past, or to ``inf`` next to the float64 limit).
    """
    beta = check_real("beta", beta, minimum=0.0, maximum=1.0, max_inclusive=False)
    values = check_reals("losses", losses)
    out = np.empty_like(values)
    avg = 0.0
    with np.errstate(over="ignore"):  # only next to the float64 limit; clipped below
        for k, loss in enumerate(values):
            avg = beta * avg + (1.0 - beta) * loss
            out[k] = avg / (1.0 - beta ** (k + 1))
    if values.size:
        out = np.clip(out, np.minimum.accumulate(values), np.maximum.accumulate(values))
    return out


@dataclass(frozen=True)
class RangeTestResult:
    """What :func:`lr_range_test` measured.

    Attributes:
        lrs: the LR of every step that ran (a prefix of :func:`range_test_lrs` when the
            test stopped early).
        losses: the mini-batch loss of every step, measured before that step's update.
        smoothed: ``losses`` after :func:`smooth_losses` with ``smooth``.
        stopped_early: whether the smoothed loss passed ``diverge_factor`` times its
            minimum (or the loss became non-finite) before ``num_steps`` steps.
        num_steps: the number of steps planned.
        mode: ``"exp"`` or ``"linear"``.
        smooth: the smoothing factor :math:`\\beta` used.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_early: bool
    num_steps: int
    mode: str
    smooth: float

    @property
    def min_loss_lr(self) -> float:
        """The LR at which the smoothed loss was lowest."""
        return float(self.lrs[int(np.argmin(self.smoothed))])

    def steepest_lr(self, skip_start: int = 0) -> float:
        r"""The LR where the smoothed loss falls fastest, per unit of
        :math:`\log_{10}\eta`.

        The slope is a central difference over the whole smoothed curve; only steps from
        ``skip_start`` up to (not including) the minimum of the smoothed loss are
        candidates, so neither the minimum itself nor the noisy tail after it can win.
        """
        skip_start = check_int("skip_start", skip_start, minimum=0)
        end = int(np.argmin(self.smoothed))
        if len(self.lrs) < 2 or end - skip_start < 1:
            raise ValueError(
                f"no steepest point: need at least one step between skip_start="
                f"{skip_start} and the loss minimum (step {end} of {len(self.lrs)}); "
                "lower skip_start, or start the test at a smaller LR"
            )
        slope = np.gradient(self.smoothed, np.log10(self.lrs))
        return float(self.lrs[skip_start + int(np.argmin(slope[skip_start:end]))])

    def suggestion(self, method: str = "steepest", *, skip_start: int = 0) -> float:
        """A maximum LR read off the curve.

        Args:
            method: ``"steepest"`` (where the smoothed loss falls fastest, see
                :meth:`steepest_lr`; a ``ValueError`` when the loss never fell) or
                ``"min/10"`` (a tenth of :attr:`min_loss_lr`, the usual safety margin
                below the LR at which the loss turns).
            skip_start: steps to ignore at the start for ``"steepest"``.
        """
        method = check_str("method", method, ("steepest", "min/10"))
        if method == "steepest":
            return self.steepest_lr(skip_start)
        return self.min_loss_lr / 10.0

    def plot(
        self,
        ax: Any = None,
        *,
        raw: bool = True,
        suggestions: bool = True,
        title: str | None = None,
    ) -> Any:
        """Loss against LR on a log axis: raw losses (faint), smoothed losses, and
        markers at the ``"steepest"`` and ``"min/10"`` suggestions. Returns the
        ``Axes``.

        A result with no falling stretch (the loss rose from the first step, or the test
        stopped after one or two steps) has no steepest point: the legend says so
        instead of drawing it.

        ``raw`` and ``suggestions`` are bools; ``title`` is a string or ``None``."""
        from . import plot as lp

        raw = check_bool("raw", raw)
        suggestions = check_bool("suggestions", suggestions)
        if title is not None and not isinstance(title, str):
            raise TypeError(
                f"title must be a string or None, got {title!r} "
                f"({type(title).__name__})"
            )
        if ax is None:
            _, ax = lp.new_axes()
        else:
            lp.style_axes(ax)
        if raw:
            ax.plot(self.lrs, self.losses, color="0.7", lw=0.8, label="batch loss")
        ax.plot(
            self.lrs,
            self.smoothed,
            color=lp.COLORS[0],
            lw=1.8,
            label=f"smoothed (β={self.smooth:g})",
        )
        if suggestions:
            for name, color in zip(
                ("steepest", "min/10"), (lp.COLORS[1], lp.COLORS[2])
            ):
                try:
                    lr = self.suggestion(name)
                except ValueError:
                    ax.plot([], [], " ", label=f"{name}: none (no falling stretch)")
                    continue
                ax.axvline(lr, color=color, ls="--", lw=1.2, label=f"{name}: {lr:.3g}")
        if self.mode == "exp":
            ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        if title:
            ax.set_title(title)
        ax.legend(frameon=False, fontsize="small")
        return ax


def _batches(
    data: Any, batch_size: int, seed: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless mini-batches: from a :class:`Data` (a fresh seeded permutation per pass)
    or from an iterable of ``(inputs, targets)`` pairs (restarted when exhausted)."""
    if isinstance(data, Data):
        n = len(data.y_train)
        epoch = 0
        while True:
            gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            order = torch.randperm(n, generator=gen)
            for b in range(0, n, batch_size):
                idx = order[b : b + batch_size]
                yield data.x_train[idx], data.y_train[idx]
            epoch += 1
    else:
        while True:
            empty = True
            for batch in data:
                empty = False
                if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                    raise TypeError("data must yield (inputs, targets) pairs")
                yield batch[0], batch[1]
            if empty:
                raise ValueError("data yielded no batches")


def lr_range_test(
    model: nn.Module,
    data: Data | Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: Optimizer,
    *,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.98,
    diverge_factor: float | None = 4.0,
    batch_size: int = 64,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    restore: bool = True,
) -> RangeTestResult:
    r"""Run an LR range test and return what it measured.

    Each of ``num_steps`` steps sets every param group's LR to :math:`\eta_k` (see
    :func:`range_test_lrs`), computes the loss of one mini-batch, records it, and takes
    one optimizer step. The test stops early when the smoothed loss exceeds
    ``diverge_factor`` times its running minimum, or the loss is not finite (that step
    is then not recorded).

    Args:
        model: the model to train (in training mode during the test).
        data: a :class:`lrlib.train.Data` (its training split is batched with
            ``batch_size`` in an order fixed by ``seed``), or any iterable of
            ``(inputs, targets)`` pairs such as a ``DataLoader`` (restarted when
            exhausted).
        optimizer: an optimizer over ``model``'s parameters (each of its parameters
            must be one of the model's: an optimizer over another model is an error).
            All its param groups get the same LR during the test.
        start_lr, end_lr: the first and last LR, ``0 < start_lr < end_lr``.
        num_steps: the number of steps (mini-batches), at least 2.
        mode: ``"exp"`` (geometric spacing, the usual choice) or ``"linear"``.
        smooth: :math:`\beta \in [0, 1)` of the moving average; 0 turns smoothing off.
        diverge_factor: :math:`d > 1`; ``None`` never stops before ``num_steps`` (except
            on a non-finite loss).
        batch_size: mini-batch size when ``data`` is a :class:`lrlib.train.Data`.
        seed: batch order when ``data`` is a :class:`lrlib.train.Data`, in
            ``[0, 2**32 - 1]``.
        loss_fn: ``loss_fn(outputs, targets)``; cross-entropy by default.
        restore: put the model's weights, its train/eval mode and the optimizer's
            state (LRs and e.g. momentum buffers) back as they were, so training can
            start from the same initialisation afterwards.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    if not isinstance(data, Data) and (
        isinstance(data, (str, bytes, torch.Tensor, np.ndarray))
        or not isinstance(data, Iterable)
    ):
        raise TypeError(
            "data must be an lrlib.train.Data or an iterable of (inputs, targets), "
            f"got {type(data).__name__}"
        )
    own = {id(p) for p in model.parameters()}
    for i, group in enumerate(optimizer.param_groups):
        if any(id(p) not in own for p in group["params"]):
            raise ValueError(
                f"optimizer: param_groups[{i}] holds a tensor that is not one of "
                "model's parameters (an optimizer built over another model?)"
            )
    lrs = range_test_lrs(start_lr, end_lr, num_steps, mode)
    smooth = check_real("smooth", smooth, minimum=0.0, maximum=1.0, max_inclusive=False)
    if diverge_factor is not None:
        diverge_factor = check_real(
            "diverge_factor", diverge_factor, minimum=1.0, min_inclusive=False
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_seed("seed", seed)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(restore, bool):
        raise TypeError(f"restore must be a bool, got {type(restore).__name__}")
    loss_fn = loss_fn or nn.functional.cross_entropy

    saved = None
    if restore:
        saved = (
            copy.deepcopy(model.state_dict()),
            copy.deepcopy(optimizer.state_dict()),
            model.training,
        )
    losses: list[float] = []
    smoothed: list[float] = []
    stopped = False
    avg, best = 0.0, math.inf
    try:
        model.train()
        batches = _batches(data, batch_size, seed)
        for k, lr in enumerate(lrs):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            x, y = next(batches)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            value = float(loss.detach())
            if not math.isfinite(value):
                stopped = True
                break
            avg = smooth * avg + (1.0 - smooth) * value
            current = avg / (1.0 - smooth ** (k + 1))
            losses.append(value)
            smoothed.append(current)
            best = min(best, current)
            if diverge_factor is not None and current > diverge_factor * best:
                stopped = k < num_steps - 1
                break
            loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            optimizer.step()
    finally:
        if saved is not None:
            model.load_state_dict(saved[0])
            optimizer.load_state_dict(saved[1])
            model.train(saved[2])
    if not losses:
        raise ValueError(
            f"the loss was not finite at the first step (lr={lrs[0]:g}); check the "
            "model and data"
        )
    n = len(losses)
    return RangeTestResult(
        lrs=lrs[:n].copy(),
        losses=np.asarray(losses),
        smoothed=np.asarray(smoothed),
        stopped_early=stopped,
        num_steps=num_steps,
        mode=mode,
        smooth=smooth,
    )
