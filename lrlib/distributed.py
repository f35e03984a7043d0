r"""Real multi-process data parallel training on one CPU machine, from a notebook cell.

:class:`Cluster` starts ``world_size`` worker processes (``multiprocessing`` with the
``spawn`` start method, as ``torch.multiprocessing.spawn`` uses), joins them into one
``torch.distributed`` process group over the ``gloo`` backend on the loopback
interface, and runs *jobs* on every rank: ``cluster.run(fn, *args)`` calls
``fn(ctx, *args)`` in each process (``ctx`` is a :class:`Rank`) and returns the list of
the ranks' return values. Starting processes costs seconds (each one imports torch);
running many jobs on one cluster pays that once.

Guarantees, because a notebook cell must never hang or leave debris behind:

* **A free port, held.** The rendezvous store (a ``TCPStore``) is served by the
  launching process on ``127.0.0.1``, on a port the operating system picks, for the
  cluster's lifetime; gloo's own connections use the loopback interface only
  (``GLOO_SOCKET_IFNAME=lo``).
* **A hard timeout.** Every job has a deadline; when it passes, every worker is
  terminated and :class:`ClusterTimeout` names the ranks that did not answer.
* **The failing rank's error.** An exception in any rank terminates the others (which
  would otherwise wait forever in a collective) and is re-raised in the caller as
  :class:`RankError`, with the rank, the original type, message and remote traceback;
  the original exception is chained as ``__cause__`` when it can be pickled. A rank that
  dies without a Python exception (a signal, ``os._exit``) is reported with its exit
  code and the tail of its log.
* **Clean shutdown.** Leaving the ``with`` block (or :meth:`Cluster.close`) stops the
  workers, destroys their process group, joins them, kills any that do not exit, and
  closes the store. A worker's standard output and error go to a per-rank log file
  (:meth:`Cluster.log`), never to the notebook.

The worker functions of the book (:func:`replica_check`, :func:`train_scaled`, ...)
live here because a spawned process can only run a function it can import: a function
defined in a notebook cell does not exist in the child. Every worker imports
:mod:`lrlib`, so the one-ulp canary of :mod:`lrlib._canary` applies there too when
``LRLIB_NUDGE_WEIGHTS`` is set (children inherit the environment).

Data parallelism in one formula: with ``k`` ranks each computing the mean gradient
:math:`g_r` of its own ``b`` samples, ``DistributedDataParallel`` all-reduces and
averages them, :math:`g = \frac1k\sum_r g_r`, which is the mean gradient of the global
batch of :math:`kb` samples. So ``k`` ranks with batch ``b`` take the same steps as one
process with batch ``kb`` (up to the order of floating-point additions), and a schedule
counts *global* optimizer steps: :math:`\lceil n / (kb) \rceil` per epoch.
"""

from __future__ import annotations

import datetime
import math
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import IO, Any, Callable, Mapping, Sequence, cast

import numpy as np

from ._validate import (
    MAX_SEED,
    check_bool,
    check_int,
    check_ints,
    check_real,
    check_seed,
    check_str,
)

__all__ = [
    "Rank",
    "Cluster",
    "RankError",
    "ClusterTimeout",
    "launch",
    "port_is_free",
    "replica_check",
    "train_scaled",
    "fail_on_rank",
    "nap",
    "torchrun_nodes",
]

#: What a worker process runs (``python -c``).
_BOOT = "from lrlib.distributed import _worker_main\n_worker_main()"

#: Where gloo may open sockets: the loopback interface only.
LOOPBACK = "127.0.0.1"


class RankError(RuntimeError):
    """A worker raised (or died): ``rank``, ``type_name``, ``remote_traceback``."""

    def __init__(
        self, rank: int, type_name: str, message: str, remote_traceback: str = ""
    ) -> None:
        self.rank = rank
        self.type_name = type_name
        self.remote_traceback = remote_traceback
        text = f"rank {rank} failed with {type_name}: {message}"
        if remote_traceback:
            text += f"\n\n--- traceback on rank {rank} ---\n{remote_traceback}"
        super().__init__(text)


class ClusterTimeout(TimeoutError):
    """A job did not finish on every rank within its timeout."""


@dataclass(frozen=True)
class Rank:
    """What a job function learns about the process it runs in.

    Attributes:
        rank: this process's rank, ``0 .. world_size - 1``.
        world_size: how many processes the group has.
    """

    rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0 (the one that usually reports)."""
        return self.rank == 0


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a TCP server could bind ``host:port`` right now."""
    port = check_int("port", port, minimum=1)
    if port > 65535:
        raise ValueError(f"port must be <= 65535, got {port}")
    if not isinstance(host, str) or not host:
        raise TypeError(f"host must be a host name or address string, got {host!r}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view) :]


def _recv_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(fd: int) -> Any:
    return pickle.loads(_recv_exact(fd, int.from_bytes(_recv_exact(fd, 8), "little")))


def _worker_main() -> None:
    """The body of every worker process (``python -c`` from :class:`Cluster`): join
    the group, then run jobs read from stdin until told to stop; reports go to the
    pipe ``LRLIB_REPORT_FD``. Standard output and error are the rank's log file."""
    rank, world_size = int(os.environ["LRLIB_RANK"]), int(os.environ["LRLIB_WORLD"])
    port, timeout = int(os.environ["LRLIB_PORT"]), float(os.environ["LRLIB_TIMEOUT"])
    inbox, outbox = 0, int(os.environ["LRLIB_REPORT_FD"])
    try:
        import torch
        import torch.distributed as dist

        import lrlib  # noqa: F401  (installs the one-ulp canary when asked)

        torch.set_num_threads(1)
        # torch.distributed imports TCPStore from torch._C with no explicit re-export
        store = dist.TCPStore(  # type: ignore[attr-defined]
            LOOPBACK, port, is_master=False, timeout=datetime.timedelta(seconds=timeout)
        )
        dist.init_process_group(
            "gloo",
            store=store,
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(seconds=timeout),
        )
        _send(outbox, ("ready", rank, None, None))
    except BaseException as exc:  # report, then die
        _send(outbox, ("error", rank, None, _describe(exc)))
        return
    ctx = Rank(rank, world_size)
    try:
        while True:
            message = _recv(inbox)
            if message is None:
                break
            job_id, payload = message
            try:
                fn, args, kwargs = pickle.loads(payload)
                result = fn(ctx, *args, **kwargs)
                _send(outbox, ("done", rank, job_id, pickle.dumps(result)))
            except BaseException as exc:
                _send(outbox, ("error", rank, job_id, _describe(exc)))
                return
    finally:
        try:
            dist.destroy_process_group()
        except Exception:  # the group may be broken after an error
            pass
        # Everything is reported and flushed; skip the interpreter's slow teardown of
        # torch (seconds on a busy machine) and leave now.
        sys.stdout.flush()
        os._exit(0)


def _describe(exc: BaseException) -> tuple[str, str, str, bytes | None]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        blob: bytes | None
        blob = pickle.dumps(exc)
        pickle.loads(blob)
    except Exception:
        blob = None
    return type(exc).__name__, str(exc), tb, blob


class Cluster:
    """``world_size`` gloo worker processes on this machine; run jobs on all of them.

    Use it as a context manager::

        with Cluster(2, timeout=60) as cluster:
            results = cluster.run(replica_check, steps=20)

    Each worker is a fresh ``python`` process (``subprocess``, so nothing of the
    caller's ``__main__`` is re-imported and no helper process outlives the cluster),
    talking to the caller over two pipes.

    Args:
        world_size: number of processes (ranks), at least 1.
        timeout: seconds allowed for start-up and for each job (a hard limit: past it
            every worker is killed and :class:`ClusterTimeout` is raised).
        start: start the workers now (else on :meth:`start` or entering ``with``).
    """

    def __init__(self, world_size: int, *, timeout: float = 60.0, start: bool = True):
        self.world_size = check_int("world_size", world_size, minimum=1)
        self.timeout = check_real("timeout", timeout, minimum=0.0, min_inclusive=False)
        start = check_bool("start", start)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._reports: list[int] = []
        self._store: Any = None
        self._logdir: str | None = None
        self._jobs = 0
        self.port: int | None = None
        self.pids: list[int] = []
        if start:
            self.start()

    # -- life cycle --------------------------------------------------------------
    def start(self) -> Cluster:
        """Serve the store, start the workers and wait until all joined the group."""
        if self._procs:
            return self
        import torch.distributed as dist

        # torch.distributed imports TCPStore from torch._C with no explicit re-export
        self._store = dist.TCPStore(  # type: ignore[attr-defined]
            LOOPBACK,
            0,
            is_master=True,
            wait_for_workers=False,
            timeout=datetime.timedelta(seconds=self.timeout),
        )
        self.port = int(self._store.port)
        self._logdir = tempfile.mkdtemp(prefix="lrlib-cluster-")
        try:
            for rank in range(self.world_size):
                read_fd, write_fd = os.pipe()
                env = {
                    **os.environ,
                    "LRLIB_RANK": str(rank),
                    "LRLIB_WORLD": str(self.world_size),
                    "LRLIB_PORT": str(self.port),
                    "LRLIB_TIMEOUT": repr(self.timeout),
                    "LRLIB_REPORT_FD": str(write_fd),
                    "GLOO_SOCKET_IFNAME": "lo",
                    "OMP_NUM_THREADS": "1",
                }
                with open(self.log_path(rank), "w") as log:
                    proc = subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            _BOOT,
                        ],
                        stdin=subprocess.PIPE,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        pass_fds=(write_fd,),
                    )
                os.close(write_fd)
                self._procs.append(proc)
                self._reports.append(read_fd)
                self.pids.append(proc.pid)
            self._collect(None, "ready")
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten cluster must not outlive its owner
        try:
            self.close()
        except Exception:
            pass

    def close(self, grace: float = 10.0) -> None:
        """Stop every worker (politely, then by force), close the store and the logs."""
        for proc in self._procs:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    _send(proc.stdin.fileno(), None)
                    proc.stdin.close()
                except OSError:
                    pass
        deadline = time.monotonic() + grace
        for proc in self._procs:
            try:
                proc.wait(max(0.01, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self._kill_all()
        for fd in self._reports:
            try:
                os.close(fd)
            except OSError:
                pass
        self._procs, self._reports = [], []
        self._store = None  # the port is released with the store
        if self._logdir is not None:
            shutil.rmtree(self._logdir, ignore_errors=True)
            self._logdir = None

    def _kill_all(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self._procs:
            proc.wait()
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass

    # -- running jobs ------------------------------------------------------------
    def log_path(self, rank: int) -> str:
        """The file that holds rank ``rank``'s standard output and error."""
        rank = check_int("rank", rank, minimum=0)
        if rank >= self.world_size:
            raise ValueError(f"rank must be < world_size={self.world_size}, got {rank}")
        if self._logdir is None:
            raise ValueError("the cluster is not running, so it has no logs")
        return os.path.join(self._logdir, f"rank{rank}.log")

    def log(self, rank: int) -> str:
        """What rank ``rank`` has written to its standard output and error so far."""
        try:
            with open(self.log_path(rank)) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
        """Call ``fn(Rank(r, world_size), *args, **kwargs)`` on every rank ``r``.

        ``fn`` must be importable (defined at module level in an importable module);
        its arguments and return value are pickled. Returns the ranks' return values
        in rank order. On any rank's error or on timeout the cluster is shut down and
        the error is raised here.
        """
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        if not self._procs:
            raise ValueError("the cluster is not running (start() or use `with`)")
        module = getattr(fn, "__module__", "__main__")
        if module == "__main__" or "<locals>" in getattr(fn, "__qualname__", ""):
            raise TypeError(
                f"fn={getattr(fn, '__qualname__', fn)!r} is not importable by another "
                "process: define it at module level in a module (e.g. "
                "lrlib.distributed), not in a notebook cell"
            )
        payload = pickle.dumps((fn, args, kwargs))
        self._jobs += 1
        job = self._jobs
        for proc in self._procs:
            stdin = cast(IO[bytes], proc.stdin)  # started with stdin=PIPE
            _send(stdin.fileno(), (job, payload))
        return self._collect(job, "done")

    def _fail(self, error: BaseException, cause: BaseException | None = None) -> None:
        self._kill_all()
        self.close()
        raise error from cause

    def _collect(self, job: int | None, kind: str) -> list[Any]:
        import select

        results: dict[int, Any] = {}
        deadline = time.monotonic() + self.timeout
        open_fds = {fd: r for r, fd in enumerate(self._reports)}
        while len(results) < self.world_size:
            ready, _, _ = select.select(list(open_fds), [], [], 0.05)
            for fd in ready:
                rank = open_fds[fd]
                try:
                    what, rank, job_id, data = _recv(fd)
                except EOFError:  # the process died: reported below
                    del open_fds[fd]
                    continue
                if what == "error":
                    type_name, message, tb, blob = data
                    cause = pickle.loads(blob) if blob is not None else None
                    self._fail(RankError(rank, type_name, message, tb), cause)
                if what == kind and job_id == job:
                    results[rank] = pickle.loads(data) if kind == "done" else None
            for rank, proc in enumerate(self._procs):
                if rank not in results and proc.poll() is not None:
                    tail = self.log(rank)[-2000:]
                    code = proc.returncode
                    self._fail(
                        RankError(
                            rank, "exit", f"process exited with code {code}", tail
                        )
                    )
            if len(results) < self.world_size and time.monotonic() > deadline:
                missing = [r for r in range(self.world_size) if r not in results]
                self._fail(
                    ClusterTimeout(
                        f"ranks {missing} did not finish within {self.timeout:g} s; "
                        "every worker was killed"
                    )
                )
        return [results[r] for r in range(self.world_size)]


def launch(
    fn: Callable[..., Any],
    world_size: int,
    *args: Any,
    timeout: float = 60.0,
    **kw: Any,
) -> list[Any]:
    """Start a :class:`Cluster`, run one job on it, shut it down; the ranks' results."""
    if not callable(fn):  # before any process starts
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    with Cluster(world_size, timeout=timeout) as cluster:
        return cluster.run(fn, *args, **kw)


# -----------------------------------------------------------------------------------
# Worker jobs used by the book. Each runs inside a rank of a Cluster (or of torchrun).
# -----------------------------------------------------------------------------------


#: The most steps (replica_check) or epochs (train_scaled) a demonstration job runs.
MAX_JOB_STEPS = 100_000


def _check_ctx(ctx: Any) -> Rank:
    if not isinstance(ctx, Rank):
        raise TypeError(
            f"ctx must be the Rank a Cluster passes its jobs, got {type(ctx).__name__}"
        )
    return ctx


def fail_on_rank(ctx: Rank, bad_rank: int, message: str = "out of data") -> str:
    """A job that raises ``ValueError(message)`` on ``bad_rank`` after the others have
    entered a collective (so without the launcher they would wait forever)."""
    import torch
    import torch.distributed as dist

    ctx = _check_ctx(ctx)
    bad_rank = check_int("bad_rank", bad_rank, minimum=0)
    if not isinstance(message, str):
        raise TypeError(f"message must be a string, got {type(message).__name__}")
    if ctx.rank == bad_rank:
        raise ValueError(message)
    dist.all_reduce(torch.ones(1))  # blocks: the bad rank never joins
    return "unreachable"


def nap(ctx: Rank, seconds: float) -> int:
    """A job that sleeps ``seconds`` (from 0 to 3600) on every rank (to exercise the
    timeout)."""
    ctx = _check_ctx(ctx)
    time.sleep(check_real("seconds", seconds, minimum=0.0, maximum=3600.0))
    return ctx.rank


def _shard_batches(
    n: int, per_rank: int, world_size: int, rank: int, seed: int, epoch: int
) -> list[np.ndarray]:
    """This rank's rows of every global batch of one epoch: the global order depends on
    ``(seed, epoch)`` only; global batch ``i`` is rows ``i*k*b .. (i+1)*k*b`` of it and
    rank ``r`` takes its ``r``-th slice of ``b``. The last partial global batch is
    dropped, so every rank takes the same number of steps."""
    import torch

    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=gen).numpy()
    glob = per_rank * world_size
    out = []
    for i in range(n // glob):
        rows = order[i * glob : (i + 1) * glob]
        out.append(rows[rank * per_rank : (rank + 1) * per_rank])
    return out


def steps_per_epoch(n: int, per_rank_batch: int, world_size: int) -> int:
    """Optimizer steps per epoch when ``world_size`` ranks each take ``per_rank_batch``
    samples of ``n`` per step and the last partial global batch is dropped."""
    n = check_int("n", n, minimum=1)
    per_rank_batch = check_int("per_rank_batch", per_rank_batch, minimum=1)
    world_size = check_int("world_size", world_size, minimum=1)
    steps = n // (per_rank_batch * world_size)
    if steps < 1:
        raise ValueError(
            f"a global batch of per_rank_batch x world_size = {per_rank_batch}x"
            f"{world_size} is larger than n={n}"
        )
    return steps


__all__.append("steps_per_epoch")


def _flat(model: Any) -> Any:
    import torch

    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def replica_check(
    ctx: Rank,
    *,
    steps: int = 20,
    per_rank_batch: int = 16,
    lr: float = 0.1,
    warmup: int = 5,
    seed: int = 0,
    init_seed_per_rank: bool = True,
) -> dict[str, Any]:
    """Train a small float64 MLP on digits with DDP for ``steps`` steps, a warmup-cosine
    ``LambdaLR`` on every rank; then all-gather every rank's LR trace and weights.

    With ``init_seed_per_rank`` each rank first builds its model from a different seed,
    to show that ``DistributedDataParallel`` broadcasts rank 0's weights when it wraps
    the model. Returns (on every rank) the LR trace of this rank, whether all ranks'
    LRs and weights are bitwise identical, and the largest weight difference between
    this DDP run and one process training on the global batches.
    """
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.optim.lr_scheduler import LambdaLR

    from .lambdas import WarmupCosine
    from .train import DTYPE, digits, mlp

    ctx = _check_ctx(ctx)
    steps = check_int("steps", steps, minimum=1, maximum=MAX_JOB_STEPS)
    lr = check_real("lr", lr, minimum=0.0)
    warmup = check_int("warmup", warmup, minimum=0)
    seed = check_int("seed", seed, minimum=0, maximum=MAX_SEED - ctx.world_size + 1)
    init_seed_per_rank = check_bool("init_seed_per_rank", init_seed_per_rank)
    data = digits(seed=0, val_fraction=0.2, test_fraction=0.2)
    # at least one global batch per epoch, or the loop below would never end
    steps_per_epoch(len(data.y_train), per_rank_batch, ctx.world_size)
    model = mlp(
        64, 10, hidden=(32,), seed=seed + (ctx.rank if init_seed_per_rank else 0)
    )
    before = _flat(model)
    gathered = [torch.empty_like(before) for _ in range(ctx.world_size)]
    dist.all_gather(gathered, before)
    init_differ = any(not torch.equal(gathered[0], g) for g in gathered[1:])
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=lr, momentum=0.9)
    sched = LambdaLR(opt, WarmupCosine(steps, warmup))
    start = _flat(model)  # what DDP trains from: rank 0's weights, on every rank
    n = len(data.y_train)
    lrs: list[float] = []
    step, epoch = 0, 0
    while step < steps:
        for rows in _shard_batches(
            n, per_rank_batch, ctx.world_size, ctx.rank, seed, epoch
        ):
            if step == steps:
                break
            idx = torch.as_tensor(rows)
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(
                ddp(data.x_train[idx]), data.y_train[idx]
            )
            loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            opt.step()
            sched.step()
            step += 1
        epoch += 1
    after = _flat(model)
    if not bool(torch.isfinite(after).all()):  # the same on every rank (DDP)
        raise ValueError(
            f"lr={lr} diverged: the weights are no longer finite, so there is nothing "
            "to compare; use a smaller lr"
        )
    weights = [torch.empty_like(after) for _ in range(ctx.world_size)]
    dist.all_gather(weights, after)
    lr_t = torch.tensor(lrs, dtype=DTYPE)
    lr_all = [torch.empty_like(lr_t) for _ in range(ctx.world_size)]
    dist.all_gather(lr_all, lr_t)

    # The same steps in one process, on the global batches, from the same start.
    single = mlp(64, 10, hidden=(32,), seed=seed)
    opt1 = torch.optim.SGD(single.parameters(), lr=lr, momentum=0.9)
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(start.clone(), single.parameters())
    sched1 = LambdaLR(opt1, WarmupCosine(steps, warmup))
    step, epoch = 0, 0
    while step < steps:
        for rows in _shard_batches(
            n, per_rank_batch * ctx.world_size, 1, 0, seed, epoch
        ):
            if step == steps:
                break
            idx = torch.as_tensor(rows)
            opt1.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(
                single(data.x_train[idx]), data.y_train[idx]
            ).backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            opt1.step()
            sched1.step()
            step += 1
        epoch += 1
    return {
        "rank": ctx.rank,
        "init_differed": bool(init_differ),
        "lrs": lrs,
        "same_lrs": all(torch.equal(lr_all[0], t) for t in lr_all[1:]),
        "same_weights": all(torch.equal(weights[0], w) for w in weights[1:]),
        "vs_single": float((after - _flat(single)).abs().max()),
    }


def _check_runs(runs: Any) -> list[dict[str, Any]]:
    """``train_scaled``'s runs: a list of dicts with a seed, an optimizer name, a peak
    LR and a warmup length (and anything else, e.g. a tag, passed through)."""
    if isinstance(runs, (str, bytes, Mapping)) or not isinstance(runs, Sequence):
        raise TypeError(f"runs must be a list of dicts, got {type(runs).__name__}")
    out = []
    for i, run in enumerate(runs):
        if not isinstance(run, Mapping):
            raise TypeError(f"runs[{i}] must be a dict, got {type(run).__name__}")
        missing = {"seed", "optimizer", "lr", "warmup"} - set(run)
        if missing:
            raise ValueError(f"runs[{i}] lacks {sorted(missing)}")
        check_seed(f"runs[{i}]['seed']", run["seed"])
        check_str(f"runs[{i}]['optimizer']", run["optimizer"], ("sgd", "adam"))
        check_real(f"runs[{i}]['lr']", run["lr"], minimum=0.0)
        check_int(f"runs[{i}]['warmup']", run["warmup"], minimum=0)
        out.append(dict(run))
    return out


def train_scaled(
    ctx: Rank,
    runs: Sequence[dict[str, Any]],
    *,
    per_rank_batch: int,
    epochs: int,
    hidden: Sequence[int] = (64,),
    activation: str = "relu",
    max_loss: float = 1e3,
) -> list[dict[str, Any]]:
    r"""Train one float64 MLP per entry of ``runs`` with DDP and report its scores.

    Each run is a dict with ``seed``, ``optimizer`` (``"sgd"``: momentum 0.9, or
    ``"adam"``), ``lr`` (the peak LR), ``warmup`` (warmup steps, 0 for none) and an
    optional ``tag``. The schedule is linear warmup then cosine decay to 0, sized in
    *global* optimizer steps, ``epochs * steps_per_epoch(...)``. A run whose batch loss
    becomes non-finite or exceeds ``max_loss`` is marked ``diverged`` (every rank sees
    the same loss after the all-reduce-averaged steps, so all ranks stop together).

    The runs train side by side in one DDP model (one gradient all-reduce per step
    for all of them, which is what makes a sweep cheap): run :math:`j` keeps its own
    weights :math:`W^{(j)}_l` (a param group of its own, with its own LR, warmup and
    optimizer), the layers are batched products :math:`h^{(j)}_{l+1} =
    \sigma(h^{(j)}_l W^{(j)}_l + b^{(j)}_l)` of its own batch (the rows its seed's
    order gives this rank), and the loss is :math:`\sum_j L_j` over the runs that have
    not diverged, so :math:`\partial/\partial W^{(j)} = \partial L_j/\partial W^{(j)}`:
    every run takes exactly the steps it would take alone. The batched model is a
    :class:`lrlib.stacked.SeedStack` with one slice, and one group, per run.

    Returns, on rank 0, one dict per run with the run's keys plus ``steps``,
    ``diverged``, ``val_acc``, ``test_acc`` and ``peak_loss``; other ranks return
    ``[]``.
    """
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.optim.lr_scheduler import LambdaLR

    from .lambdas import WarmupCosine
    from .stacked import SeedStack
    from .train import digits, evaluate

    modules = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    ctx = _check_ctx(ctx)
    runs = _check_runs(runs)
    epochs = check_int("epochs", epochs, minimum=1, maximum=MAX_JOB_STEPS)
    hidden = check_ints("hidden", hidden, minimum=1)
    activation = check_str("activation", activation, tuple(modules))
    max_loss = check_real("max_loss", max_loss, minimum=0.0, min_inclusive=False)
    data = digits(seed=0, val_fraction=0.2, test_fraction=0.2)
    n = len(data.y_train)
    per_epoch = steps_per_epoch(n, per_rank_batch, ctx.world_size)
    total = epochs * per_epoch
    if not runs:
        return []
    # one slice of a SeedStack per run, each slice a group of its own (its param group)
    net = SeedStack(
        data.n_features,
        data.n_classes,
        [int(run["seed"]) for run in runs],
        hidden=tuple(hidden),
        activation=modules[activation],
        groups=[1] * len(runs),
    )
    ddp = DDP(net) if ctx.world_size > 1 else net
    optimizers, schedulers = [], []
    for name in ("sgd", "adam"):
        mine = [j for j, run in enumerate(runs) if run["optimizer"] == name]
        if not mine:
            continue
        groups = [
            {"params": list(net.group_parameters(j)), "lr": runs[j]["lr"]} for j in mine
        ]
        opt: torch.optim.Optimizer = (
            torch.optim.SGD(groups, momentum=0.9)
            if name == "sgd"
            else torch.optim.Adam(groups)
        )
        factors: list[Callable[[int], float]] = [
            WarmupCosine(total, int(runs[j]["warmup"])) for j in mine
        ]
        optimizers.append(opt)
        schedulers.append(LambdaLR(opt, factors))
    seeds = [int(run["seed"]) for run in runs]
    alive = torch.ones(len(runs), dtype=torch.bool)
    peak = torch.zeros(len(runs), dtype=torch.float64)
    for epoch in range(epochs):
        shards = {
            s: _shard_batches(n, per_rank_batch, ctx.world_size, ctx.rank, s, epoch)
            for s in set(seeds)
        }
        for step in range(per_epoch):
            idx = torch.as_tensor(np.stack([shards[s][step] for s in seeds]))
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            out = ddp(data.x_train[idx])
            losses = (
                torch.nn.functional.cross_entropy(
                    out.flatten(0, 1), data.y_train[idx].flatten(), reduction="none"
                )
                .view(len(runs), -1)
                .mean(dim=1)
            )
            # the global batch's loss of every run, identical on every rank
            mean_loss = losses.detach().clone()
            if ctx.world_size > 1:
                dist.all_reduce(mean_loss)
                mean_loss /= ctx.world_size
            alive &= torch.isfinite(mean_loss) & (mean_loss <= max_loss)
            if not bool(alive.any()):
                break
            peak = torch.where(alive, torch.maximum(peak, mean_loss), peak)
            losses[alive].sum().backward()  # type: ignore[no-untyped-call]
            for opt in optimizers:
                opt.step()
            for sched in schedulers:
                sched.step()
        if not bool(alive.any()):
            break
    out_runs = []
    for j, run in enumerate(runs):
        diverged = not bool(alive[j])
        val = test = math.nan
        if not diverged:
            model = net.model(j)
            _, val = evaluate(model, data, "val")
            _, test = evaluate(model, data, "test")
            if not (math.isfinite(val) and math.isfinite(test)):
                diverged, val, test = True, math.nan, math.nan
        out_runs.append(
            {
                **run,
                "world_size": ctx.world_size,
                "steps": total,
                "diverged": diverged,
                "val_acc": val,
                "test_acc": test,
                "peak_loss": float(peak[j]),
            }
        )
    return out_runs if ctx.is_main else []


# -----------------------------------------------------------------------------------
# Several "machines": torchrun agents with a c10d rendezvous on loopback.
# -----------------------------------------------------------------------------------

#: Jobs that :func:`torchrun_nodes` may run, by name (torchrun starts a script, so the
#: job is named on its command line).
TORCHRUN_JOBS: dict[str, Callable[..., Any]] = {}


def _torchrun_job(fn: Callable[..., Any]) -> Callable[..., Any]:
    TORCHRUN_JOBS[fn.__name__] = fn
    return fn


@_torchrun_job
def whoami(ctx: Rank) -> dict[str, Any]:
    """Report what torchrun told this worker (its environment) and check the group
    with one all-reduce of the ranks: :math:`0 + 1 + ... + (k - 1)`."""
    import torch
    import torch.distributed as dist

    total = torch.tensor([float(ctx.rank)], dtype=torch.float64)
    dist.all_reduce(total)
    keys = ("RANK", "LOCAL_RANK", "GROUP_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")
    return {
        **{k.lower(): int(os.environ[k]) for k in keys},
        "sum_of_ranks": int(total.item()),
    }


TORCHRUN_JOBS["replica_check"] = replica_check


def _torchrun_worker(argv: Sequence[str]) -> None:
    """Entry point of a worker started by torchrun: ``python -m lrlib.distributed JOB
    OUTDIR KWARGS`` (KWARGS a ``repr`` of a dict of plain values)."""
    import ast

    import torch
    import torch.distributed as dist

    job, outdir, kwargs = argv[0], argv[1], ast.literal_eval(argv[2])
    torch.set_num_threads(1)
    dist.init_process_group("gloo")  # env:// from torchrun: MASTER_ADDR, RANK, ...
    try:
        ctx = Rank(dist.get_rank(), dist.get_world_size())
        result = TORCHRUN_JOBS[job](ctx, **kwargs)
        with open(os.path.join(outdir, f"rank{ctx.rank}.pkl"), "wb") as f:
            pickle.dump(result, f)
    finally:
        dist.destroy_process_group()


def torchrun_nodes(
    job: str,
    *,
    nnodes: int = 2,
    nproc_per_node: int = 1,
    timeout: float = 60.0,
    **kwargs: Any,
) -> list[Any]:
    """Run a named job as ``nnodes`` "machines" on loopback, each a real torchrun agent.

    Starts ``nnodes`` copies of::

        torchrun --nnodes=NNODES --nproc-per-node=NPROC --rdzv-backend=c10d \
                 --rdzv-endpoint=127.0.0.1:PORT --rdzv-id=... --max-restarts=0 \
                 -m lrlib.distributed JOB ...

    exactly what one would type on each machine of a cluster (with the first machine's
    address instead of ``127.0.0.1``). The first agent hosts the rendezvous store. Every
    agent runs in its own process group and is killed, with its workers, if the run
    outlives ``timeout`` seconds; a failing agent raises :class:`RankError` with the
    tail of its log. Returns the workers' results by global rank.
    """
    if job not in TORCHRUN_JOBS:
        raise ValueError(f"job must be one of {sorted(TORCHRUN_JOBS)}, got {job!r}")
    nnodes = check_int("nnodes", nnodes, minimum=1)
    nproc_per_node = check_int("nproc_per_node", nproc_per_node, minimum=1)
    timeout = check_real("timeout", timeout, minimum=0.0, min_inclusive=False)
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="lrlib-torchrun-")
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
    env.pop("TORCHELASTIC_RUN_ID", None)
    agents, logs = [], []
    try:
        for node in range(nnodes):
            cmd = [
                sys.executable,
                "-m",
                "torch.distributed.run",
                f"--nnodes={nnodes}",
                f"--nproc-per-node={nproc_per_node}",
                "--rdzv-backend=c10d",
                f"--rdzv-endpoint={LOOPBACK}:{port}",
                "--rdzv-id=lrlib-book",
                f"--rdzv-conf=is_host={'true' if node == 0 else 'false'}",
                "--max-restarts=0",
                "--monitor-interval=0.2",
                "-m",
                "lrlib.distributed",
                job,
                workdir,
                repr(kwargs),
            ]
            log = open(os.path.join(workdir, f"node{node}.log"), "w")
            logs.append(log)
            agents.append(
                subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + timeout
        for node, agent in enumerate(agents):
            try:
                code = agent.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise ClusterTimeout(
                    f"torchrun node {node} did not finish within {timeout:g} s; "
                    "every agent and worker was killed"
                ) from None
            if code != 0:
                with open(os.path.join(workdir, f"node{node}.log")) as f:
                    tail = f.read()[-3000:]
                raise RankError(node, "exit", f"torchrun exited with code {code}", tail)
        world = nnodes * nproc_per_node
        out = []
        for rank in range(world):
            with open(os.path.join(workdir, f"rank{rank}.pkl"), "rb") as f:
                out.append(pickle.load(f))
        return out
    finally:
        _stop_agents(agents)
        for log in logs:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _stop_agents(agents: Sequence[subprocess.Popen[bytes]]) -> None:
    """Terminate torchrun agents that are still running, and their workers (which
    torchrun starts in sessions of their own, so a process-group kill misses them)."""
    import psutil

    running = [a for a in agents if a.poll() is None]
    victims = []
    for agent in running:
        try:
            victims += psutil.Process(agent.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        agent.terminate()  # torchrun forwards SIGTERM to its workers
    for agent in running:
        try:
            agent.wait(5)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(5)
    for proc in victims:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=5)


if __name__ == "__main__":
    _torchrun_worker(sys.argv[1:])
