"""Benchmark: closed forms against stepping, and the cost of one scheduler step.

Run by hand (not part of the test suite):

    .venv/bin/python benchmarks/bench_schedules.py

It prints, in one run,
(a) the time to compute a 100,000-step curve in closed form against stepping a torch
    scheduler over the same steps (target: the closed form is at least 100x faster), and
(b) the cost of one ``lrlib.CosineAnnealingWarmupRestarts.step()`` against one
    ``torch.optim.lr_scheduler.CosineAnnealingLR.step()`` (target: at most 1.5x).
Each figure is the best of several repeats, to keep noise from other processes out.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, CosineAnnealingWarmRestarts

import lrlib

N = 100_000
REPEATS = 5


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def stepped_curve(
    make: Callable[[torch.optim.Optimizer], object], n: int
) -> np.ndarray:
    """Step a fresh scheduler ``n`` times and collect its LR (optimizer stepped first, once)."""
    opt = lrlib.toy_optimizer(0.1)
    sched = make(opt)
    opt.step()
    out = np.empty(n)
    for i in range(n):
        out[i] = opt.param_groups[0]["lr"]
        sched.step()
    return out


def part_a() -> None:
    print(f"(a) a {N:,}-step curve: closed form vs stepping a scheduler")
    steps = np.arange(N)
    cases = [
        (
            "CosineAnnealingLR(T_max=10_000)",
            lambda: lrlib.cosine_annealing_lr(steps, base_lr=0.1, T_max=10_000),
            lambda o: CosineAnnealingLR(o, T_max=10_000),
        ),
        (
            "CosineAnnealingWarmRestarts(T_0=500, T_mult=2)",
            lambda: lrlib.cosine_warm_restarts_lr(
                steps, base_lr=0.1, T_0=500, T_mult=2
            ),
            lambda o: CosineAnnealingWarmRestarts(o, T_0=500, T_mult=2),
        ),
        (
            "CosineAnnealingWarmupRestarts(1000, mult=1.5, warmup=100, gamma=0.8)",
            lambda: lrlib.cosine_warmup_restarts_lr(
                steps,
                first_cycle_steps=1000,
                cycle_mult=1.5,
                warmup_steps=100,
                gamma=0.8,
            ),
            lambda o: lrlib.CosineAnnealingWarmupRestarts(
                o, 1000, cycle_mult=1.5, warmup_steps=100, gamma=0.8
            ),
        ),
    ]
    for name, closed, make in cases:
        closed_s = best_of(closed)
        stepped_s = best_of(lambda: stepped_curve(make, N), repeats=3)
        err = np.abs(np.asarray(closed()) - stepped_curve(make, N)).max()
        print(f"    {name}")
        print(
            f"        closed form {closed_s * 1e3:8.2f} ms   stepping {stepped_s * 1e3:9.1f} ms   "
            f"speed-up {stepped_s / closed_s:7.0f}x   max |difference| {err:.1e}"
        )


def part_b() -> None:
    print("(b) one scheduler.step()")
    n = 20_000

    def per_step(make: Callable[[torch.optim.Optimizer], object]) -> float:
        opt = lrlib.toy_optimizer(0.1)
        sched = make(opt)
        opt.step()

        def run() -> None:
            for _ in range(n):
                sched.step()

        return best_of(run) / n

    builtin = per_step(lambda o: CosineAnnealingLR(o, T_max=10_000))
    ours = per_step(
        lambda o: lrlib.CosineAnnealingWarmupRestarts(
            o, 1000, cycle_mult=1.5, warmup_steps=100, gamma=0.8
        )
    )
    ours_flat = per_step(lambda o: lrlib.CosineAnnealingWarmupRestarts(o, 10_000))
    print(
        f"    CosineAnnealingLR.step()                               {builtin * 1e6:6.2f} us"
    )
    print(
        f"    CosineAnnealingWarmupRestarts.step() (mult=1.5, warmup) {ours * 1e6:6.2f} us   "
        f"ratio {ours / builtin:.2f}x"
    )
    print(
        f"    CosineAnnealingWarmupRestarts.step() (one cycle)        {ours_flat * 1e6:6.2f} us   "
        f"ratio {ours_flat / builtin:.2f}x"
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    part_a()
    part_b()
