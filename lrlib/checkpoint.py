r"""The canonical save-and-resume recipe, as functions, and a bit-for-bit check of it.

A run is resumable when everything that decides its next update is saved and loaded
back in the right order. :func:`capture` gathers it into one dictionary of tensors and
plain values (so :func:`save`/:func:`load` work with ``torch.load(weights_only=True)``);
:func:`restore` loads it into freshly built objects in the one order that is right for
every scheduler:

1. build the model, the optimizer and the scheduler exactly as the original run did
   (same code, ``last_epoch`` left at ``-1``); building a scheduler writes ``lr`` and
   ``initial_lr`` into the optimizer's param groups;
2. load the model's state, then the optimizer's: this overwrites what step 1 wrote with
   the checkpoint's ``lr``/``initial_lr`` and restores the momentum/Adam buffers;
3. load the scheduler's state: its counter ``last_epoch``, ``base_lrs``, ``_last_lr``
   and whatever else it owns (the inner schedulers of ``SequentialLR`` and
   ``ChainedScheduler``, the ``__dict__`` of callable-object factors of ``LambdaLR``);
4. load the rest: a ``GradScaler``, the data order (:class:`ResumableSampler`), the RNG;
5. continue the loop at the saved step.

:func:`compare_resume` runs a scheduler uninterrupted and, separately, stopped at a cut,
checkpointed through :func:`save`/:func:`load`, rebuilt and restored; it reports whether
the learning rates, losses and final weights agree bit for bit.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, cast

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from torch.utils.data import Sampler

from ._validate import check_int, check_seed

__all__ = [
    "ResumableSampler",
    "capture",
    "restore",
    "save",
    "load",
    "ResumeCheck",
    "compare_resume",
]


class ResumableSampler(Sampler[int]):
    """A shuffling sampler whose position can be saved and restored mid-epoch.

    The order of epoch ``e`` is a permutation of ``range(n)`` that depends only on
    ``(seed, e)``. :meth:`set_epoch` chooses the epoch (and optionally how many indices
    of it to skip); iterating yields the rest of that epoch and counts what it yielded,
    so :meth:`state_dict` after ``k`` batches of ``b`` is
    ``{"epoch": e, "offset": k*b, ...}`` (with ``num_workers=0``, which fetches one
    batch at a time). Use it as the ``sampler=`` of a ``DataLoader``.
    """

    def __init__(self, n: int, *, seed: int = 0, shuffle: bool = True) -> None:
        self.n = check_int("n", n, minimum=1)
        self.seed = check_seed("seed", seed)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool, got {type(shuffle).__name__}")
        self.shuffle = shuffle
        self.epoch = 0
        self.offset = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Serve epoch ``epoch``, skipping its first ``start`` indices."""
        self.epoch = check_int("epoch", epoch, minimum=0)
        self.offset = check_int("start", start, minimum=0)
        if self.offset > self.n:
            raise ValueError(f"start must be <= n={self.n}, got {start}")

    def order(self, epoch: int) -> torch.Tensor:
        """The full index order of epoch ``epoch``."""
        epoch = check_int("epoch", epoch, minimum=0)
        if not self.shuffle:
            return torch.arange(self.n)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=gen)

    def __iter__(self) -> Iterator[int]:
        order = self.order(self.epoch)
        while self.offset < self.n:
            i = int(order[self.offset])
            self.offset += 1
            yield i

    def __len__(self) -> int:
        return self.n - self.offset

    def state_dict(self) -> dict[str, int]:
        """``{"epoch", "offset", "seed"}``: where the data order stands."""
        return {"epoch": self.epoch, "offset": self.offset, "seed": self.seed}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        """Continue from a :meth:`state_dict` (the seed must match)."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping, got {type(state).__name__}")
        if int(state["seed"]) != self.seed:
            raise ValueError(
                f"state is for seed {state['seed']}, this sampler has seed {self.seed}"
            )
        self.set_epoch(int(state["epoch"]), int(state["offset"]))


def _check_objects(
    model: Any,
    optimizer: Any,
    scheduler: Any,
    scaler: Any,
    sampler: Any,
) -> None:
    """The objects a checkpoint is taken from or loaded into, checked by type."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an Optimizer, got {type(optimizer).__name__}"
        )
    if scheduler is not None and not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"scheduler must be an LRScheduler or None, got {type(scheduler).__name__}"
        )
    if scaler is not None and not all(
        callable(getattr(scaler, m, None)) for m in ("state_dict", "load_state_dict")
    ):
        raise TypeError(
            "scaler must be a torch.amp.GradScaler (or an object with state_dict and "
            f"load_state_dict) or None, got {type(scaler).__name__}"
        )
    if sampler is not None and not isinstance(sampler, ResumableSampler):
        raise TypeError(
            f"sampler must be a ResumableSampler or None, got {type(sampler).__name__}"
        )


def _check_file(f: Any, method: str) -> None:
    if isinstance(f, (str, os.PathLike)):
        return
    if not callable(getattr(f, method, None)):
        raise TypeError(
            f"f must be a path (str or os.PathLike) or a binary file object with "
            f"{method}(), got {type(f).__name__}"
        )


def capture(
    model: nn.Module,
    optimizer: Optimizer,
    scheduler: LRScheduler | None,
    *,
    step: int,
    scaler: Any = None,
    sampler: ResumableSampler | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a run needs to continue, as one dictionary.

    Keys: ``model``, ``optimizer``, ``scheduler`` (``None`` without one), ``step`` (the
    optimizer updates done), ``rng`` (torch's CPU generator state), and ``scaler``,
    ``sampler``, ``extra`` when given (``extra`` a mapping with string keys).
    """
    _check_objects(model, optimizer, scheduler, scaler, sampler)
    if extra is not None and not isinstance(extra, Mapping):
        raise TypeError(f"extra must be a mapping or None, got {type(extra).__name__}")
    if extra is not None and not all(isinstance(k, str) for k in extra):
        raise TypeError("extra must have string keys")
    state: dict[str, Any] = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "step": check_int("step", step, minimum=0),
        "rng": torch.get_rng_state(),
    }
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    if sampler is not None:
        state["sampler"] = sampler.state_dict()
    if extra is not None:
        state["extra"] = dict(extra)
    return state


def restore(
    checkpoint: Mapping[str, Any],
    model: nn.Module,
    optimizer: Optimizer,
    scheduler: LRScheduler | None,
    *,
    scaler: Any = None,
    sampler: ResumableSampler | None = None,
) -> int:
    """Load ``checkpoint`` into freshly built objects, in the canonical order, and
    return the step to continue from.

    ``model``, ``optimizer`` and ``scheduler`` must have been built exactly as in the
    original run (the scheduler with ``last_epoch=-1``), the scheduler *before* this
    call: model, then optimizer, then scheduler, then scaler, sampler and RNG.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError(
            f"checkpoint must be a mapping, got {type(checkpoint).__name__}"
        )
    _check_objects(model, optimizer, scheduler, scaler, sampler)
    missing = {"model", "optimizer", "scheduler", "step"} - set(checkpoint)
    if missing:
        raise ValueError(f"checkpoint lacks {sorted(missing)}")
    if (checkpoint["scheduler"] is None) != (scheduler is None):
        raise ValueError(
            "checkpoint and call disagree on whether there is a scheduler: "
            f"checkpoint has {'none' if checkpoint['scheduler'] is None else 'one'}"
        )
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    if scaler is not None:
        if "scaler" not in checkpoint:
            raise ValueError("a scaler was passed but the checkpoint holds none")
        scaler.load_state_dict(checkpoint["scaler"])
    if sampler is not None:
        if "sampler" not in checkpoint:
            raise ValueError("a sampler was passed but the checkpoint holds none")
        sampler.load_state_dict(checkpoint["sampler"])
    if "rng" in checkpoint:
        torch.set_rng_state(checkpoint["rng"])
    return int(checkpoint["step"])


def save(checkpoint: Mapping[str, Any], f: str | os.PathLike[str] | io.BytesIO) -> None:
    """``torch.save`` of a checkpoint (a path or a binary buffer)."""
    if not isinstance(checkpoint, Mapping):
        raise TypeError(
            f"checkpoint must be a mapping, got {type(checkpoint).__name__}"
        )
    _check_file(f, "write")
    torch.save(dict(checkpoint), f)


def load(f: str | os.PathLike[str] | io.BytesIO) -> dict[str, Any]:
    """``torch.load(f, weights_only=True)``: tensors and plain containers only, no
    pickled code. A scheduler state that holds other objects fails here with
    ``pickle.UnpicklingError`` naming the type (allow it with
    ``torch.serialization.add_safe_globals`` if you trust the file)."""
    _check_file(f, "read")
    if isinstance(f, io.BytesIO):
        f.seek(0)
    return cast(dict[str, Any], torch.load(f, weights_only=True))


@dataclass(frozen=True)
class ResumeCheck:
    """An uninterrupted run against one stopped at ``cut`` and resumed.

    Attributes:
        lr_straight, lr_resumed: LR of every group before every step,
            ``(steps, groups)``.
        loss_straight, loss_resumed: the loss of every step.
        same_weights: whether the final weights agree bit for bit.
    """

    cut: int
    lr_straight: np.ndarray
    lr_resumed: np.ndarray
    loss_straight: np.ndarray
    loss_resumed: np.ndarray
    same_weights: bool

    @property
    def identical(self) -> bool:
        """LRs, losses and final weights all agree bit for bit."""
        return (
            np.array_equal(self.lr_straight, self.lr_resumed)
            and np.array_equal(self.loss_straight, self.loss_resumed)
            and self.same_weights
        )

    @property
    def first_difference(self) -> int | None:
        """The first step whose LR differs (``None`` if none does)."""
        bad = np.flatnonzero((self.lr_straight != self.lr_resumed).any(axis=1))
        return int(bad[0]) if len(bad) else None


Build = Callable[[], tuple[nn.Module, Optimizer, LRScheduler]]


def _toy_data() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(48, 4, generator=gen, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64) + 0.1
    return x, y


def _run(
    model: nn.Module,
    opt: Optimizer,
    sched: LRScheduler,
    sampler: ResumableSampler,
    start: int,
    stop: int,
    batch: int,
    metric: Callable[[int], float] | None,
    lrs: list[list[float]],
    losses: list[float],
) -> None:
    x, y = _toy_data()
    per_epoch = sampler.n // batch
    step = start
    while step < stop:
        epoch, pos = divmod(step, per_epoch)
        if pos == 0:
            sampler.set_epoch(epoch)
        elif (sampler.epoch, sampler.offset) != (epoch, pos * batch):
            raise ValueError(
                f"the sampler stands at {sampler.state_dict()}, step {step} needs "
                f"epoch {epoch}, offset {pos * batch}: restore its state"
            )
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x, y),
            batch_size=batch,
            sampler=sampler,
            drop_last=True,
        )
        for xb, yb in loader:
            lrs.append([float(g["lr"]) for g in opt.param_groups])
            opt.zero_grad(set_to_none=True)
            loss = ((model(xb).squeeze(-1) - yb) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if isinstance(sched, ReduceLROnPlateau):
                sched.step(metric(step) if metric else losses[-1])
            else:
                sched.step()
            step += 1
            if step == stop:  # before the loader draws the next batch's indices
                break


#: The most steps :func:`compare_resume` runs.
MAX_RESUME_STEPS = 100_000


def compare_resume(
    build: Build,
    steps: int,
    cut: int,
    *,
    batch: int = 8,
    metric: Callable[[int], float] | None = None,
) -> ResumeCheck:
    """Check the recipe for one set-up: straight through ``steps`` steps, against
    ``cut`` steps, :func:`capture`, :func:`save`/:func:`load` (``weights_only``), a
    fresh :func:`build` (whose model is moved away from its initial weights, so that
    only loading can put it back), :func:`restore`, and ``steps - cut`` more steps.

    ``build()`` returns ``(model, optimizer, scheduler)`` for a model mapping 4 float64
    features to 1 output; the data is 48 fixed samples in batches of ``batch``, the
    order from a :class:`ResumableSampler`, so a cut may fall mid-epoch.
    ``ReduceLROnPlateau`` is stepped with ``metric(step)`` (default: the batch loss).
    ``steps`` is at most 100,000 (a check on a toy model, not a training run).
    """
    if not callable(build):
        raise TypeError(f"build must be callable, got {type(build).__name__}")
    if metric is not None and not callable(metric):
        raise TypeError(f"metric must be callable or None, got {type(metric).__name__}")
    steps = check_int("steps", steps, minimum=1, maximum=MAX_RESUME_STEPS)
    cut = check_int("cut", cut, minimum=0)
    batch = check_int("batch", batch, minimum=1)
    if cut > steps:
        raise ValueError(f"cut must be <= steps={steps}, got {cut}")
    if batch > 48:
        raise ValueError(f"batch must be <= 48 (the toy data's size), got {batch}")
    lr_a: list[list[float]] = []
    loss_a: list[float] = []
    model, opt, sched = build()
    _run(model, opt, sched, ResumableSampler(48), 0, steps, batch, metric, lr_a, loss_a)
    final_a = [p.detach().clone() for p in model.parameters()]

    lr_b: list[list[float]] = []
    loss_b: list[float] = []
    model, opt, sched = build()
    sampler = ResumableSampler(48)
    _run(model, opt, sched, sampler, 0, cut, batch, metric, lr_b, loss_b)
    buffer = io.BytesIO()
    save(capture(model, opt, sched, step=cut, sampler=sampler), buffer)
    del model, opt, sched, sampler

    model, opt, sched = build()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    sampler = ResumableSampler(48)
    start = restore(load(buffer), model, opt, sched, sampler=sampler)
    _run(model, opt, sched, sampler, start, steps, batch, metric, lr_b, loss_b)
    same = all(torch.equal(p.detach(), q) for p, q in zip(model.parameters(), final_a))
    return ResumeCheck(
        cut=cut,
        lr_straight=np.array(lr_a),
        lr_resumed=np.array(lr_b),
        loss_straight=np.array(loss_a),
        loss_resumed=np.array(loss_b),
        same_weights=same,
    )
