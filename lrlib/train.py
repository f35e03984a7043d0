"""Tiny, seeded training runs for the book's demonstrations.

Everything here runs on the CPU in seconds and downloads nothing: the data is
scikit-learn's bundled ``load_digits`` (1,797 8x8 images of digits, shipped inside the
package). A run is reproducible from its seed: the same seed gives the same weights,
the same batches and the same numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ._validate import check_int, check_real

__all__ = ["Data", "digits", "mlp", "seed_everything", "History", "fit", "run_seeds", "summarize"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch, and use one CPU thread so results repeat exactly."""
    seed = check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


@dataclass(frozen=True)
class Data:
    """A classification split: float features and integer labels as tensors."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max()) + 1)


def digits(*, seed: int = 0, val_fraction: float = 0.3, classes: Sequence[int] | None = None) -> Data:
    """scikit-learn's bundled digits, standardised with the training split's statistics.

    Args:
        seed: which random split to take.
        val_fraction: the share of samples held out for validation.
        classes: keep only these digits (relabelled ``0..len(classes)-1``), e.g. to make
            a pretraining task and a different fine-tuning task.
    """
    from sklearn.datasets import load_digits

    seed = check_int("seed", seed, minimum=0)
    val_fraction = check_real("val_fraction", val_fraction, minimum=0.0, maximum=1.0,
                              min_inclusive=False, max_inclusive=False)
    x, y = load_digits(return_X_y=True)
    if classes is not None:
        classes = [check_int("classes[i]", c, minimum=0) for c in classes]
        if not classes or len(set(classes)) != len(classes) or max(classes) > 9:
            raise ValueError("classes must be distinct digits between 0 and 9")
        keep = np.isin(y, classes)
        x, y = x[keep], np.searchsorted(np.sort(classes), y[keep])
        order = np.argsort(np.argsort(classes))  # relabel in the order given
        y = order[y]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    n_val = int(round(len(y) * val_fraction))
    val, train = idx[:n_val], idx[n_val:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-6
    x = (x - mean) / std
    as_x = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    return Data(as_x(x[train]), as_y(y[train]), as_x(x[val]), as_y(y[val]))


def mlp(
    in_features: int,
    out_features: int,
    hidden: Sequence[int] = (64,),
    *,
    seed: int = 0,
    activation: Callable[[], nn.Module] = nn.ReLU,
    norm: bool = False,
) -> nn.Sequential:
    """A multilayer perceptron with seeded initialisation.

    ``norm=True`` adds a ``LayerNorm`` after each hidden linear layer.
    """
    in_features = check_int("in_features", in_features, minimum=1)
    out_features = check_int("out_features", out_features, minimum=1)
    hidden = [check_int("hidden[i]", h, minimum=1) for h in hidden]
    torch.manual_seed(check_int("seed", seed, minimum=0))
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers.append(nn.Linear(width, h))
        if norm:
            layers.append(nn.LayerNorm(h))
        layers.append(activation())
        width = h
    layers.append(nn.Linear(width, out_features))
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
    notes: dict = field(default_factory=dict)

    @property
    def final_acc(self) -> float:
        """Validation accuracy after the last epoch (NaN if the run diverged)."""
        return float(self.val_acc[-1])

    @property
    def final_val_loss(self) -> float:
        return float(self.val_loss[-1])


@torch.no_grad()
def _evaluate(model: nn.Module, data: Data, loss_fn) -> tuple[float, float]:
    model.eval()
    out = model(data.x_val)
    loss = float(loss_fn(out, data.y_val))
    acc = float((out.argmax(dim=1) == data.y_val).float().mean())
    model.train()
    return loss, acc


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

    The loop is the canonical one: ``zero_grad``, ``backward``, ``optimizer.step()``, then
    ``scheduler.step()``, once per mini-batch (``interval="step"``) or once per epoch
    (``interval="epoch"``). A ``ReduceLROnPlateau`` is always stepped once per epoch with
    the validation loss.

    The batch order of epoch ``e`` depends only on ``(seed, e)``, so a run resumed from a
    checkpoint with ``start_epoch=e`` sees exactly the batches of an uninterrupted run.
    """
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    start_epoch = check_int("start_epoch", start_epoch, minimum=0)
    max_loss = check_real("max_loss", max_loss, minimum=0.0, min_inclusive=False)
    if interval not in ("step", "epoch"):
        raise ValueError(f"interval must be 'step' or 'epoch', got {interval!r}")
    loss_fn = loss_fn or nn.functional.cross_entropy
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    n = len(data.y_train)
    per_epoch = math.ceil(n / batch_size)
    groups = optimizer.param_groups
    lr = np.full((epochs * per_epoch, len(groups)), np.nan)
    train_loss = np.full(epochs * per_epoch, np.nan)
    val_loss = np.full(epochs, np.nan)
    val_acc = np.full(epochs, np.nan)
    model.train()
    step = 0
    for epoch in range(epochs):
        gen = torch.Generator().manual_seed(seed * 1_000_003 + start_epoch + epoch)
        order = torch.randperm(n, generator=gen)
        for b in range(per_epoch):
            idx = order[b * batch_size:(b + 1) * batch_size]
            lr[step] = [g["lr"] for g in groups]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(data.x_train[idx]), data.y_train[idx])
            value = float(loss.detach())
            if not math.isfinite(value) or value > max_loss:
                train_loss[step] = value if math.isfinite(value) else np.nan
                return History(lr, train_loss, val_loss, val_acc, diverged=True, seed=seed)
            loss.backward()
            optimizer.step()
            train_loss[step] = value
            step += 1
            if scheduler is not None and interval == "step" and not plateau:
                scheduler.step()
        val_loss[epoch], val_acc[epoch] = _evaluate(model, data, loss_fn)
        if not math.isfinite(val_loss[epoch]):
            return History(lr, train_loss, val_loss, val_acc, diverged=True, seed=seed)
        if scheduler is not None:
            if plateau:
                scheduler.step(val_loss[epoch])
            elif interval == "epoch":
                scheduler.step()
    return History(lr, train_loss, val_loss, val_acc, seed=seed)


def run_seeds(run: Callable[[int], History], seeds: Iterable[int] = (0, 1, 2)) -> list[History]:
    """Call ``run(seed)`` for every seed (each seeded with :func:`seed_everything` first)."""
    out = []
    for seed in seeds:
        seed_everything(seed)
        out.append(run(seed))
    return out


def summarize(histories: Sequence[History]) -> dict[str, float]:
    """Mean and standard deviation of the final validation accuracy and loss over runs,
    and how many runs diverged (diverged runs are left out of the means)."""
    if not histories:
        raise ValueError("histories must hold at least one run")
    ok = [h for h in histories if not h.diverged]
    accs = np.array([h.final_acc for h in ok]) if ok else np.array([np.nan])
    losses = np.array([h.final_val_loss for h in ok]) if ok else np.array([np.nan])
    return {
        "acc_mean": float(accs.mean()),
        "acc_std": float(accs.std()),
        "loss_mean": float(losses.mean()),
        "loss_std": float(losses.std()),
        "diverged": len(histories) - len(ok),
        "runs": len(histories),
    }
