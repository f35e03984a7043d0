"""Tiny, seeded training runs for the book's demonstrations.

Everything here runs on the CPU in seconds and downloads nothing: the data is
scikit-learn's bundled ``load_digits`` (1,797 8x8 images of digits, shipped inside the
package). A run is reproducible from its seed: the same seed gives the same weights,
the same batches and the same numbers.

Everything trains in :data:`DTYPE` (float64). In float32 a one-ulp difference in an
initial weight, or the last bit of a matrix product on another CPU, grows to a
different final loss within a few hundred steps of an aggressive run; in float64 it
stays near 1e-8, so what a chapter prints is the same on every machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ._validate import (
    MAX_SEED,
    check_int,
    check_ints,
    check_real,
    check_seed,
    check_str,
)

__all__ = [
    "DTYPE",
    "Data",
    "digits",
    "mlp",
    "seed_everything",
    "History",
    "fit",
    "batch_order",
    "evaluate",
    "run_seeds",
    "summarize",
]

#: The floating-point type of every tensor and model in the book's training runs.
DTYPE = torch.float64

#: The most weights :func:`mlp` builds (800 MB in float64).
MAX_WEIGHTS = 100_000_000

#: The most optimizer steps one :func:`fit` records.
MAX_FIT_STEPS = 10_000_000


def _check_model_data(model: object, data: object) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, Data):
        raise TypeError(f"data must be an lrlib.train.Data, got {type(data).__name__}")


def _check_loss_fn(loss_fn: object) -> None:
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be callable or None, got {type(loss_fn).__name__}"
        )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch, and use one CPU thread (fastest here).

    ``seed`` lies in ``[0, 2**32 - 1]`` (NumPy's limit).
    """
    seed = check_seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


@dataclass(frozen=True)
class Data:
    """A classification split: float features and integer labels as tensors.

    ``x_test``/``y_test`` hold a held-out test split when one was asked for
    (``digits(test_fraction=...)``), else ``None``. Choose settings on the validation
    split and report on the test split, which the choice never saw.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None

    def __post_init__(self) -> None:
        splits = [
            ("train", self.x_train, self.y_train),
            ("val", self.x_val, self.y_val),
        ]
        if (self.x_test is None) != (self.y_test is None):
            raise ValueError("x_test and y_test must be given together, or neither")
        if self.x_test is not None and self.y_test is not None:
            splits.append(("test", self.x_test, self.y_test))
        for name, x, y in splits:
            if (
                not isinstance(x, torch.Tensor)
                or x.ndim != 2
                or not x.is_floating_point()
            ):
                raise TypeError(
                    f"x_{name} must be a 2-d floating-point tensor, got "
                    f"{type(x).__name__}"
                    + (
                        f" {tuple(x.shape)} {x.dtype}"
                        if isinstance(x, torch.Tensor)
                        else ""
                    )
                )
            if (
                not isinstance(y, torch.Tensor)
                or y.ndim != 1
                or y.is_floating_point()
                or y.is_complex()
                or y.dtype == torch.bool
            ):
                raise TypeError(f"y_{name} must be a 1-d tensor of integer labels")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{name} has {len(x)} rows but y_{name} has {len(y)} labels"
                )
            if x.shape[1] != self.x_train.shape[1]:
                raise ValueError(
                    f"x_{name} has {x.shape[1]} features, x_train has "
                    f"{self.x_train.shape[1]}"
                )
            if len(y) and int(y.min()) < 0:
                raise ValueError(f"y_{name} holds a negative label")
        if len(self.y_train) == 0:
            raise ValueError("the training split must not be empty")

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        labels = [self.y_train, self.y_val]
        if self.y_test is not None:
            labels.append(self.y_test)
        return int(max(int(y.max()) for y in labels if len(y)) + 1)


def digits(
    *,
    seed: int = 0,
    val_fraction: float = 0.3,
    test_fraction: float = 0.0,
    classes: Sequence[int] | None = None,
) -> Data:
    """scikit-learn's bundled digits, standardised with the training split's statistics.

    The samples are shuffled by ``seed`` and cut into a test split (the first
    ``test_fraction`` of them), a validation split (the next ``val_fraction``) and the
    training split (the rest). Features are float64 (:data:`DTYPE`).

    Args:
        seed: which random split to take.
        val_fraction: the share of samples held out for validation.
        test_fraction: the share held out for testing (0: no test split).
        classes: keep only these digits (relabelled ``0..len(classes)-1``), e.g. to make
            a pretraining task and a different fine-tuning task.
    """
    from sklearn.datasets import load_digits

    seed = check_int("seed", seed, minimum=0)
    val_fraction = check_real(
        "val_fraction",
        val_fraction,
        minimum=0.0,
        maximum=1.0,
        min_inclusive=False,
        max_inclusive=False,
    )
    test_fraction = check_real(
        "test_fraction", test_fraction, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    x, y = load_digits(return_X_y=True)
    if classes is not None:
        classes = check_ints("classes", classes, minimum=0)
        if not classes or len(set(classes)) != len(classes) or max(classes) > 9:
            raise ValueError("classes must be distinct digits between 0 and 9")
        keep = np.isin(y, classes)
        x, y = x[keep], np.searchsorted(np.sort(classes), y[keep])
        order = np.argsort(np.argsort(classes))  # relabel in the order given
        y = order[y]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    n_val = int(round(len(y) * val_fraction))
    if n_val < 1 or (test_fraction > 0 and n_test < 1):
        raise ValueError(
            "val_fraction and test_fraction must each leave at least one sample, got "
            f"val_fraction={val_fraction}, test_fraction={test_fraction} of {len(y)}"
        )
    if len(y) - n_val - n_test < 2:
        raise ValueError(
            "val_fraction + test_fraction must leave at least two training samples, "
            "got "
            f"val_fraction={val_fraction}, test_fraction={test_fraction}"
        )
    test, val, train = idx[:n_test], idx[n_test : n_test + n_val], idx[n_test + n_val :]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-6
    x = (x - mean) / std

    def as_x(rows: np.ndarray) -> torch.Tensor:
        return torch.tensor(x[rows], dtype=DTYPE)

    def as_y(rows: np.ndarray) -> torch.Tensor:
        return torch.tensor(y[rows], dtype=torch.long)

    if n_test:
        return Data(
            as_x(train), as_y(train), as_x(val), as_y(val), as_x(test), as_y(test)
        )
    return Data(as_x(train), as_y(train), as_x(val), as_y(val))


def mlp(
    in_features: int,
    out_features: int,
    hidden: Sequence[int] = (64,),
    *,
    seed: int = 0,
    activation: Callable[[], nn.Module] = nn.ReLU,
    norm: bool = False,
) -> nn.Sequential:
    """A multilayer perceptron with seeded initialisation, in :data:`DTYPE` (float64).

    ``norm=True`` adds a ``LayerNorm`` after each hidden linear layer. ``seed`` lies
    in ``[0, 2**32 - 1]``; the model may hold at most 100,000,000 weights.
    """
    in_features = check_int("in_features", in_features, minimum=1)
    out_features = check_int("out_features", out_features, minimum=1)
    hidden = check_ints("hidden", hidden, minimum=1)
    seed = check_seed("seed", seed)
    if not callable(activation):
        raise TypeError(f"activation must be callable, got {type(activation).__name__}")
    if not isinstance(norm, bool):
        raise TypeError(f"norm must be a bool, got {type(norm).__name__}")
    widths = [in_features, *hidden, out_features]
    weights = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    if weights > MAX_WEIGHTS:
        raise ValueError(
            f"in_features, hidden and out_features give {weights} weights, more than "
            f"{MAX_WEIGHTS:,}"
        )
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers.append(nn.Linear(width, h, dtype=DTYPE))
        if norm:
            layers.append(nn.LayerNorm(h, dtype=DTYPE))
        layers.append(activation())
        width = h
    layers.append(nn.Linear(width, out_features, dtype=DTYPE))
    return nn.Sequential(*layers)


@dataclass
class History:
    """What one run recorded.

    Attributes:
        lr: LR of every param group at every optimizer step, ``(steps, groups)``.
        train_loss: the mini-batch loss at every optimizer step.
        val_loss, val_acc: validation loss and accuracy after every epoch.
        diverged: whether the loss became non-finite or exceeded ``max_loss``; the
            remaining entries are then NaN.
    """

    lr: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    diverged: bool = False
    seed: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def final_acc(self) -> float:
        """Validation accuracy after the last epoch (NaN if the run diverged)."""
        return float(self.val_acc[-1])

    @property
    def final_val_loss(self) -> float:
        return float(self.val_loss[-1])


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    split: str = "val",
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[float, float]:
    """``(loss, accuracy)`` of ``model`` on one split of ``data``.

    ``split`` is ``"train"``, ``"val"`` or ``"test"``; the loss is ``loss_fn`` (cross
    entropy by default) averaged over the split. The model is put in eval mode for the
    evaluation and back in train mode after.
    """
    _check_model_data(model, data)
    split = check_str("split", split, ("train", "val", "test"))
    _check_loss_fn(loss_fn)
    x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
    if x is None:
        raise ValueError(
            f"split={split!r}: data has no test split (digits(test_fraction=...))"
        )
    loss_fn = loss_fn or nn.functional.cross_entropy
    was_training = model.training
    model.eval()
    out = model(x)
    loss = float(loss_fn(out, y))
    acc = float((out.argmax(dim=1) == y).to(DTYPE).mean())
    model.train(was_training)
    return loss, acc


def _batch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=gen)


def batch_order(n: int, seed: int, epoch: int = 0) -> torch.Tensor:
    r"""The order in which :func:`fit` with ``seed`` visits ``n`` training samples in
    epoch ``epoch`` (counted from the run's start, so ``start_epoch + e`` on resume).

    A permutation of ``0, ..., n - 1`` drawn by ``torch.randperm`` from a generator
    seeded with :math:`1\,000\,003 \cdot \text{seed} + \text{epoch}`; the batches are
    its consecutive slices. Code that trains several runs side by side (e.g. a
    :class:`lrlib.stacked.SeedStack`) uses it to give slice :math:`i` the batches that
    ``fit(..., seed=seeds[i])`` would.
    """
    n = check_int("n", n, minimum=1, maximum=2**31 - 1)
    seed = check_seed("seed", seed)
    epoch = check_int("epoch", epoch, minimum=0, maximum=2**62)
    return _batch_order(n, seed, epoch)


def fit(
    model: nn.Module,
    data: Data,
    optimizer: Optimizer,
    scheduler: LRScheduler | None = None,
    *,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    interval: str = "step",
    start_epoch: int = 0,
    max_loss: float = 1e3,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> History:
    """Train ``model`` with mini-batches and record losses and LRs.

    The loop is the canonical one: ``zero_grad``, ``backward``, ``optimizer.step()``,
    then ``scheduler.step()``, once per mini-batch (``interval="step"``) or once per
    epoch (``interval="epoch"``). A ``ReduceLROnPlateau`` is always stepped once per
    epoch with the validation loss.

    The batch order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed from
    a checkpoint with ``start_epoch=e`` sees exactly the batches of an uninterrupted
    run.
    """
    _check_model_data(model, data)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    if scheduler is not None:
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(
                "scheduler must be a torch LRScheduler or None, got "
                f"{type(scheduler).__name__}"
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError("scheduler drives another optimizer than optimizer")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_seed("seed", seed)
    start_epoch = check_int("start_epoch", start_epoch, minimum=0, maximum=2**62)
    max_loss = check_real("max_loss", max_loss, minimum=0.0, min_inclusive=False)
    interval = check_str("interval", interval, ("step", "epoch"))
    _check_loss_fn(loss_fn)
    loss_fn = loss_fn or nn.functional.cross_entropy
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    n = len(data.y_train)
    per_epoch = math.ceil(n / batch_size)
    if epochs * per_epoch > MAX_FIT_STEPS:
        raise ValueError(
            f"epochs={epochs} of {per_epoch} batches is {epochs * per_epoch} steps, "
            f"more than {MAX_FIT_STEPS:,}"
        )
    groups = optimizer.param_groups
    lr = np.full((epochs * per_epoch, len(groups)), np.nan)
    train_loss = np.full(epochs * per_epoch, np.nan)
    val_loss = np.full(epochs, np.nan)
    val_acc = np.full(epochs, np.nan)
    model.train()
    step = 0
    for epoch in range(epochs):
        order = _batch_order(n, seed, start_epoch + epoch)
        for b in range(per_epoch):
            idx = order[b * batch_size : (b + 1) * batch_size]
            lr[step] = [g["lr"] for g in groups]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            value = float(loss.detach())
            if not math.isfinite(value) or value > max_loss:
                train_loss[step] = value if math.isfinite(value) else np.nan
                return History(
                    lr, train_loss, val_loss, val_acc, diverged=True, seed=seed
                )
            loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            optimizer.step()
            train_loss[step] = value
            step += 1
            if scheduler is not None and interval == "step" and not plateau:
                scheduler.step()
        val_loss[epoch], val_acc[epoch] = evaluate(model, data, "val", loss_fn)
        if not math.isfinite(val_loss[epoch]):
            return History(lr, train_loss, val_loss, val_acc, diverged=True, seed=seed)
        if scheduler is not None:
            if plateau:
                scheduler.step(val_loss[epoch])
            elif interval == "epoch":
                scheduler.step()
    return History(lr, train_loss, val_loss, val_acc, seed=seed)


def run_seeds(
    run: Callable[[int], History], seeds: Iterable[int] = (0, 1, 2)
) -> list[History]:
    """Call ``run(seed)`` for every seed, each after :func:`seed_everything` (seed).

    ``seeds`` is a one-dimensional collection of integers in ``[0, 2**32 - 1]`` (a
    tuple, a list, a ``range``, a 1-d integer array); all of them are checked before
    the first run starts.
    """
    if not callable(run):
        raise TypeError(f"run must be callable, got {type(run).__name__}")
    checked = check_ints("seeds", seeds, minimum=0, maximum=MAX_SEED)
    out = []
    for seed in checked:
        seed_everything(seed)
        out.append(run(seed))
    return out


def summarize(histories: Sequence[History]) -> dict[str, float]:
    """Final validation accuracy and loss over runs, with diverged runs counted.

    Means and sample standard deviations (``ddof=1``) are over the runs that did not
    diverge; ``diverged`` says how many did and ``runs`` how many there were. With
    fewer than two surviving runs the standard deviation is NaN (one run has no
    spread), and with none the means are NaN too: report the count then, not a mean.
    """
    if isinstance(histories, History) or not isinstance(histories, Sequence):
        raise TypeError("histories must be a sequence of History objects")
    if not histories:
        raise ValueError("histories must hold at least one run")
    for i, h in enumerate(histories):
        if not isinstance(h, History):
            raise TypeError(f"histories[{i}] must be a History, got {type(h).__name__}")
    ok = [h for h in histories if not h.diverged]
    accs = np.array([h.final_acc for h in ok])
    losses = np.array([h.final_val_loss for h in ok])

    def mean(v: np.ndarray) -> float:
        return float(v.mean()) if len(v) else math.nan

    def std(v: np.ndarray) -> float:
        return float(v.std(ddof=1)) if len(v) > 1 else math.nan

    return {
        "acc_mean": mean(accs),
        "acc_std": std(accs),
        "loss_mean": mean(losses),
        "loss_std": std(losses),
        "diverged": len(histories) - len(ok),
        "runs": len(histories),
    }
