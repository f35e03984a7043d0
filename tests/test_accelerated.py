"""lrlib.accelerated: Accelerate's prepared scheduler on two real gloo processes."""

from __future__ import annotations

import psutil
import pytest
import torch

from lrlib import accelerated as A
from lrlib import distributed as D


def _one_cycle(total: int, calls: int, every: int = 1) -> list[float]:
    """The plain single-process OneCycleLR: the lr of each of ``calls`` updates when
    the scheduler steps ``every`` times after each."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=total)
    out = []
    for call in range(calls):
        out.append(opt.param_groups[0]["lr"])
        for _ in range(every if call < calls - 1 else 0):
            opt.step()
            sched.step()
    return out


def test_env_and_arithmetic():
    env = A.accelerate_env(1, 4)
    assert env == {
        "RANK": "1",
        "WORLD_SIZE": "4",
        "LOCAL_RANK": "1",
        "LOCAL_WORLD_SIZE": "4",
        "MASTER_ADDR": "127.0.0.1",
    }
    assert set(env) == set(A.ENV_KEYS)
    assert A.scheduler_steps(10, 4, split_batches=False) == 40
    assert A.scheduler_steps(10, 4, split_batches=True) == 10
    assert A.scheduler_steps(0, 3, split_batches=False) == 0
    x, y = A.teacher_data(64, 5, 3)
    x2, y2 = A.teacher_data(64, 5, 3)
    assert x.shape == (64, 5) and y.shape == (64,) and x.dtype == torch.float64
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert set(y.tolist()) <= {0, 1, 2}


def test_bad_arguments():
    with pytest.raises(ValueError, match="rank"):
        A.accelerate_env(2, 2)
    with pytest.raises(ValueError, match="world_size"):
        A.accelerate_env(0, 0)
    with pytest.raises(TypeError, match="world_size"):
        A.accelerate_env(0, 2.0)
    with pytest.raises(TypeError, match="split_batches"):
        A.scheduler_steps(1, 2, split_batches=1)
    with pytest.raises(ValueError, match="calls"):
        A.scheduler_steps(-1, 2, split_batches=True)
    with pytest.raises(ValueError, match="classes"):
        A.teacher_data(8, 2, 1)
    ctx = D.Rank(0, 2)
    with pytest.raises(ValueError, match="calls"):
        A.prepared_schedule(ctx, calls=0, total_steps=4)
    with pytest.raises(ValueError, match="total_steps"):
        A.prepared_schedule(ctx, calls=2, total_steps=0)
    with pytest.raises(ValueError, match="max_lr"):
        A.prepared_schedule(ctx, calls=2, total_steps=4, max_lr=0.0)
    with pytest.raises(TypeError, match="split_batches"):
        A.prepared_schedule(ctx, calls=2, total_steps=4, split_batches="yes")
    with pytest.raises(ValueError, match="batch_size"):
        A.prepared_schedule(
            ctx, calls=2, total_steps=4, split_batches=True, batch_size=5
        )


def test_prepared_scheduler_on_two_processes():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    calls = 12
    with D.Cluster(2, timeout=120) as cluster:
        pids = list(cluster.pids)
        short = cluster.run(A.prepared_schedule, calls=calls, total_steps=calls)
        split = cluster.run(
            A.prepared_schedule, calls=calls, total_steps=calls, split_batches=True
        )
        sized = cluster.run(A.prepared_schedule, calls=calls, total_steps=2 * calls)
    for results in (short, split, sized):
        assert [r["rank"] for r in results] == [0, 1]
        for r in results:
            assert r["num_processes"] == 2 and r["distributed_type"].endswith("CPU")
            assert r["same_on_all_ranks"] and r["finite_loss"]
    r = short[0]
    assert r["per_process_batch"] == 32
    # two steps per call until total_steps, then Accelerate stops stepping
    assert r["steps"] == [min(2 * (c + 1), calls) for c in range(calls)]
    assert r["lrs"][: calls // 2 + 1] == _one_cycle(calls, calls // 2 + 1, every=2)
    assert r["lrs"][calls // 2 :] == [r["lrs"][-1]] * (calls // 2)
    r = split[0]
    assert r["per_process_batch"] == 16
    assert r["steps"] == list(range(1, calls + 1))
    assert r["lrs"] == _one_cycle(calls, calls)
    r = sized[0]
    assert r["steps"] == [
        A.scheduler_steps(c + 1, 2, split_batches=False) for c in range(calls)
    ]
    assert r["lrs"] == _one_cycle(2 * calls, calls, every=2)
    assert not any(psutil.pid_exists(p) for p in pids)
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
