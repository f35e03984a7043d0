r"""Hugging Face Accelerate on several real processes: what its scheduler counts.

``accelerator.prepare(..., scheduler)`` wraps a scheduler in Accelerate's
``AcceleratedScheduler``. Unless the data loaders split one batch across the
processes (``split_batches=True``), each call of its ``step()`` steps the wrapped
scheduler ``num_processes`` times: each of the :math:`k` processes has consumed a
batch of its own, so after :math:`c` calls the schedule stands at

.. math::

    s(c) = \begin{cases} k\,c & \text{split\_batches=False} \\ c &
    \text{split\_batches=True} \end{cases}

(capped, for a scheduler with a ``total_steps`` attribute such as ``OneCycleLR``, at
``total_steps``: past it Accelerate stops stepping instead of letting ``OneCycleLR``
raise). A loop of :math:`N` updates with a schedule sized ``total_steps=N`` for one
process therefore finishes its schedule after :math:`N/k` calls on :math:`k` processes
and spends the rest of the run at the schedule's last learning rate.

:func:`prepared_schedule` is a worker job for :class:`lrlib.distributed.Cluster`. It
sets the environment that Accelerate's ``PartialState`` reads for a multi-process CPU
run (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``,
``MASTER_ADDR``), builds an ``Accelerator(cpu=True)`` on the process group the
cluster has already joined (gloo on loopback; Accelerate finds it initialised and
uses it), trains a small float64 MLP on a synthetic classification problem through
the prepared model, optimizer, data loader and scheduler, and records the wrapped
scheduler's count and learning rate after every call. It lives in a module because
a worker process can only run a function it can import.

Needs ``accelerate`` (the book pins ``accelerate==1.15.0``); it is imported inside the
worker, so importing this module does not need it.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from ._extras import missing_extra
from ._validate import check_bool, check_int, check_real, check_seed
from .distributed import Rank, _check_ctx

__all__ = ["accelerate_env", "prepared_schedule", "scheduler_steps", "teacher_data"]

#: The variables Accelerate's ``PartialState`` reads (for ``cpu=True``) to find a
#: multi-process run; :func:`accelerate_env` sets them.
ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR")


#: The most rows (times features) :func:`teacher_data` makes, and the widest problem.
MAX_ROWS = 10**7
MAX_WIDTH = 10**4
#: The most loop iterations :func:`prepared_schedule` runs, and its data's rows.
MAX_CALLS = 100_000
DATA_ROWS = 512


def accelerate_env(rank: int, world_size: int) -> dict[str, str]:
    """The environment that makes ``PartialState(cpu=True)`` a ``MULTI_CPU`` run.

    All ranks are on this machine, so the local rank is the rank and the local world
    size is the world size. ``MASTER_ADDR`` is the loopback address; Accelerate reads
    it (and would start the process group from it) only when no group exists yet.
    """
    world_size = check_int("world_size", world_size, minimum=1)
    rank = check_int("rank", rank, minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be < world_size={world_size}, got {rank}")
    return {
        "RANK": str(rank),
        "WORLD_SIZE": str(world_size),
        "LOCAL_RANK": str(rank),
        "LOCAL_WORLD_SIZE": str(world_size),
        "MASTER_ADDR": "127.0.0.1",
    }


def scheduler_steps(calls: int, world_size: int, *, split_batches: bool) -> int:
    r"""How many times Accelerate 1.15's prepared scheduler has stepped the scheduler it
    wraps after ``calls`` calls of ``step()`` (every call after a real optimizer step,
    no gradient accumulation, no ``total_steps`` cap): :math:`kc`, or :math:`c` with
    ``split_batches``."""
    calls = check_int("calls", calls, minimum=0)
    world_size = check_int("world_size", world_size, minimum=1)
    split_batches = check_bool("split_batches", split_batches)
    return calls if split_batches else calls * world_size


def _import_accelerate() -> Any:
    try:
        import accelerate  # type: ignore[import-untyped]  # (no stubs)
    except ImportError as error:
        raise missing_extra(
            "lrlib.accelerated.prepared_schedule", "accelerate", error
        ) from error
    return accelerate


def teacher_data(n: int, features: int, classes: int, *, seed: int = 0) -> Any:
    r"""A float64 classification problem that needs no data files (and no
    scikit-learn, whose import a worker process would pay): ``n`` rows
    :math:`x \sim \mathcal N(0, I)` of ``features`` columns, labelled by a random
    linear teacher, :math:`y = \arg\max_j (x W)_j` over ``classes`` classes."""
    import torch

    from .train import DTYPE

    n = check_int("n", n, minimum=1, maximum=MAX_ROWS)
    features = check_int("features", features, minimum=1, maximum=MAX_WIDTH)
    classes = check_int("classes", classes, minimum=2, maximum=MAX_WIDTH)
    if n * features > MAX_ROWS:
        raise ValueError(
            f"n * features must be at most {MAX_ROWS:,} values, got n={n}, "
            f"features={features}"
        )
    seed = check_seed("seed", seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=gen, dtype=DTYPE)
    teacher = torch.randn(features, classes, generator=gen, dtype=DTYPE)
    return x, (x @ teacher).argmax(dim=1)


def _batches(loader: Any) -> Iterator[Any]:
    while True:  # epoch after epoch, for as many calls as the job asks
        yield from loader


def prepared_schedule(
    ctx: Rank,
    *,
    calls: int,
    total_steps: int,
    split_batches: bool = False,
    max_lr: float = 0.1,
    batch_size: int = 32,
    seed: int = 0,
) -> dict[str, Any]:
    """Train ``calls`` updates with Accelerate's prepared ``OneCycleLR`` on every rank.

    A float64 MLP on :func:`teacher_data` (512 rows, 16 features, 4 classes), SGD
    with momentum 0.9 and ``OneCycleLR(max_lr=max_lr, total_steps=total_steps)`` go
    through ``accelerator.prepare`` with a ``DataLoader`` of ``batch_size`` (per
    process, or split across the processes with ``split_batches``). In each of the
    ``calls`` iterations (backward, ``optimizer.step()``, ``scheduler.step()``) the job
    records the learning rate the update uses and, after the call, the wrapped
    scheduler's ``last_epoch``.

    Args:
        ctx: the rank (from :class:`lrlib.distributed.Cluster`).
        calls: loop iterations, i.e. calls of the prepared scheduler's ``step()``.
        total_steps: ``OneCycleLR``'s ``total_steps``.
        split_batches: Accelerate's ``DataLoaderConfiguration(split_batches=...)``;
            ``batch_size`` must then divide by the number of processes.
        max_lr: ``OneCycleLR``'s peak learning rate.
        batch_size: the ``DataLoader``'s batch size.
        seed: the model's initial weights.

    Returns:
        On every rank: ``rank``, ``num_processes`` (Accelerate's), ``distributed_type``,
        ``per_process_batch`` (rows of this process's first batch), ``lrs`` (the
        learning rate of each update), ``steps`` (the wrapped scheduler's
        ``last_epoch`` after each call), ``same_on_all_ranks`` (whether every rank
        recorded the same ``lrs``) and ``finite_loss`` (whether every loss was
        finite).
    """
    ctx = _check_ctx(ctx)
    calls = check_int("calls", calls, minimum=1, maximum=MAX_CALLS)
    total_steps = check_int("total_steps", total_steps, minimum=1, maximum=2**63 - 1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=DATA_ROWS)
    max_lr = check_real("max_lr", max_lr, minimum=0.0, maximum=1e6, min_inclusive=False)
    seed = check_seed("seed", seed)
    split_batches = check_bool("split_batches", split_batches)
    if split_batches and batch_size % ctx.world_size:
        raise ValueError(
            f"batch_size={batch_size} must divide by the {ctx.world_size} processes "
            "with split_batches=True"
        )
    _import_accelerate()
    import torch
    import torch.distributed as dist

    # Accelerate ships no type information; mypy reports the package itself once,
    # at the import in _import_accelerate.
    from accelerate import Accelerator
    from accelerate.state import (  # type: ignore[import-untyped]
        AcceleratorState,
        GradientState,
    )
    from accelerate.utils import (  # type: ignore[import-untyped]
        DataLoaderConfiguration,
    )

    from .train import DTYPE, mlp

    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    os.environ.update(accelerate_env(ctx.rank, ctx.world_size))
    try:
        accelerator = Accelerator(
            cpu=True,
            dataloader_config=DataLoaderConfiguration(split_batches=split_batches),
        )
        x_all, y_all = teacher_data(DATA_ROWS, 16, 4)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x_all, y_all),
            batch_size=batch_size,
            shuffle=False,
            drop_last=True,
        )
        model = mlp(16, 4, hidden=(32,), seed=seed)
        opt = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=max_lr, total_steps=total_steps
        )
        model, opt, loader, sched = accelerator.prepare(model, opt, loader, sched)
        steps: list[int] = []
        lrs: list[float] = []
        per_process_batch, finite = 0, True
        batches = _batches(loader)
        for _ in range(calls):
            x, y = next(batches)
            per_process_batch = per_process_batch or len(y)
            lrs.append(float(opt.param_groups[0]["lr"]))  # the lr of this update
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            finite = finite and bool(torch.isfinite(loss))
            accelerator.backward(loss)
            opt.step()
            sched.step()
            steps.append(int(sched.scheduler.last_epoch))
        mine = torch.tensor(lrs, dtype=DTYPE)
        every = [torch.empty_like(mine) for _ in range(ctx.world_size)]
        dist.all_gather(every, mine)
        return {
            "rank": ctx.rank,
            "num_processes": int(accelerator.num_processes),
            "distributed_type": str(accelerator.distributed_type),
            "per_process_batch": per_process_batch,
            "steps": steps,
            "lrs": lrs,
            "same_on_all_ranks": all(torch.equal(every[0], t) for t in every[1:]),
            "finite_loss": finite,
        }
    finally:
        # Accelerate keeps its state in process-wide singletons; the next job on this
        # worker (another split_batches, say) must start from a clean one.
        AcceleratorState._reset_state(reset_partial_state=True)
        GradientState._reset_state()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
