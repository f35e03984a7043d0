"""Benchmark: closed forms against stepping, and the cost of one scheduler step.

Run by hand (not part of the test suite):

    .venv/bin/python benchmarks/bench_schedules.py

It prints, in one run,
(a) the time to compute a 100,000-step curve in closed form against stepping a torch
    scheduler over the same steps (target: the closed form is at least 100x faster),
(b) the cost of one ``lrlib.CosineAnnealingWarmupRestarts.step()`` against one
    ``torch.optim.lr_scheduler.CosineAnnealingLR.step()`` (target: at most 1.5x), and
(c) the cycle lookup far out: ``cosine_warmup_restarts_lr(10**16,
    first_cycle_steps=10**9, cycle_mult=1 + 1.5e-9)``, which walked ten million
    cycles (2.9 s) before the cycle table, cold (the table built for it) and warm, the
    same jump through ``CosineAnnealingWarmupRestarts.step(epoch)``, and, for scale,
    the slowest configuration found (``first_cycle_steps=2 * 10**6``,
    ``cycle_mult=1 + 1e-6`` at step ``2**63 - 1``: five million cycles of geometric
    growth to walk once).
Each figure is the best of several repeats, to keep noise from other processes out
(a cold lookup clears the table cache before each repeat).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, CosineAnnealingWarmRestarts

import lrlib
from lrlib.schedules import _table

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
    """Step a fresh scheduler ``n`` times and collect its LR (the optimizer stepped
    first, once)."""
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
        stepped_s = best_of(lambda make=make: stepped_curve(make, N), repeats=3)
        err = np.abs(np.asarray(closed()) - stepped_curve(make, N)).max()
        print(f"    {name}")
        print(
            f"        closed form {closed_s * 1e3:8.2f} ms   stepping "
            f"{stepped_s * 1e3:9.1f} ms   speed-up {stepped_s / closed_s:7.0f}x   "
            f"max |difference| {err:.1e}"
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
    rows = [
        ("CosineAnnealingLR.step()", builtin),
        ("CosineAnnealingWarmupRestarts.step() (mult=1.5, warmup)", ours),
        ("CosineAnnealingWarmupRestarts.step() (one cycle)", ours_flat),
    ]
    for name, t in rows:
        ratio = "" if t is builtin else f"   ratio {t / builtin:.2f}x"
        print(f"    {name:56s} {t * 1e6:6.2f} us{ratio}")


def part_c() -> None:
    print("(c) the cycle lookup far out")
    cases = [
        ("step 10**16, first 10**9, mult 1 + 1.5e-9", 10**16, 10**9, 1 + 1.5e-9),
        ("step 2**63 - 1, first 2e6, mult 1 + 1e-6", 2**63 - 1, 2 * 10**6, 1 + 1e-6),
    ]
    for name, t, first, mult in cases:

        def lookup(t: int = t, first: int = first, mult: float = mult) -> float:
            return lrlib.cosine_warmup_restarts_lr(
                t, first_cycle_steps=first, cycle_mult=mult
            )

        def cold(lookup: Callable[[], float] = lookup) -> float:
            _table.cache_clear()
            return lookup()

        repeats = 5 if t < 2**62 else 1
        cold_s, warm_s = best_of(cold, repeats), best_of(lookup)
        table = _table(first, mult, 0)
        print(
            f"    {name:44s} cold {cold_s * 1e3:9.2f} ms   warm {warm_s * 1e6:6.0f} us"
            f"   table entries {len(table.entries):,}"
        )

    def jump() -> None:
        _table.cache_clear()
        sched = lrlib.CosineAnnealingWarmupRestarts(
            lrlib.toy_optimizer(0.1), 10**9, cycle_mult=1 + 1.5e-9
        )
        sched.step(10**16)

    print(
        "    CosineAnnealingWarmupRestarts.step(10**16), cold: "
        f"{best_of(jump) * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    part_a()
    part_b()
    part_c()
