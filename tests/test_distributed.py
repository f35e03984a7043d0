"""lrlib.distributed: real gloo process groups on loopback, bounded and leak-free."""

from __future__ import annotations

import math

import psutil
import pytest

from lrlib import distributed as D


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def test_jobs_errors_and_clean_shutdown():
    before = {p.pid for p in _children()}
    with D.Cluster(2, timeout=120) as cluster:
        port, pids = cluster.port, list(cluster.pids)
        assert not D.port_is_free(port)  # held by the store while the cluster lives
        results = cluster.run(D.replica_check, steps=12, warmup=3)
        assert [r["rank"] for r in results] == [0, 1]
        for r in results:
            assert r["init_differed"] and r["same_lrs"] and r["same_weights"]
            assert r["vs_single"] < 1e-12
        assert results[0]["lrs"] == results[1]["lrs"]
        assert cluster.run(D.nap, 0.0) == [0, 1]
        # A rank that raises: its error, not a hang; the cluster is torn down.
        with pytest.raises(D.RankError, match="rank 1 failed with ValueError") as info:
            cluster.run(D.fail_on_rank, 1, "no more batches")
        assert info.value.rank == 1
        assert isinstance(info.value.__cause__, ValueError)
        assert "fail_on_rank" in info.value.remote_traceback
    assert D.port_is_free(port)
    assert not any(psutil.pid_exists(p) for p in pids)
    assert {p.pid for p in _children()} <= before


def test_timeout_kills_every_worker():
    cluster = D.Cluster(2, timeout=120)
    pids = list(cluster.pids)
    cluster.timeout = 1.0
    with pytest.raises(D.ClusterTimeout, match=r"ranks \[0, 1\]"):
        cluster.run(D.nap, 30.0)
    assert not any(psutil.pid_exists(p) for p in pids)


def test_torchrun_two_nodes_on_loopback():
    out = D.torchrun_nodes("whoami", nnodes=2, nproc_per_node=1, timeout=120)
    assert [o["rank"] for o in out] == [0, 1]
    assert sorted(o["group_rank"] for o in out) == [0, 1]
    assert all(o["world_size"] == 2 and o["sum_of_ranks"] == 1 for o in out)
    assert not _children()


def test_bad_arguments():
    with pytest.raises(ValueError, match="world_size"):
        D.Cluster(0)
    with pytest.raises(TypeError, match="world_size"):
        D.Cluster(2.0)
    with pytest.raises(ValueError, match="timeout"):
        D.Cluster(1, timeout=0)
    with pytest.raises(ValueError, match="port"):
        D.port_is_free(70000)
    with pytest.raises(ValueError, match="job"):
        D.torchrun_nodes("nope")
    with pytest.raises(ValueError, match="larger than n"):
        D.steps_per_epoch(10, 8, 2)
    assert D.steps_per_epoch(1078, 32, 2) == 16
    cluster = D.Cluster(1, start=False)
    with pytest.raises(ValueError, match="not running"):
        cluster.run(D.nap, 0.0)

    def local(ctx):
        return 0

    cluster._procs = [object()]  # pretend it runs: the check comes first
    with pytest.raises(TypeError, match="not importable"):
        cluster.run(local)
    cluster._procs = []


def test_train_scaled_runs_side_by_side_as_alone():
    """Runs trained together in one DDP model take the steps each takes alone; a
    diverging run is counted as diverged and leaves the others untouched."""
    kw = {"per_rank_batch": 64, "epochs": 2, "hidden": (16,), "activation": "tanh"}
    a = {"seed": 0, "optimizer": "sgd", "lr": 0.2, "warmup": 4, "tag": "a"}
    b = {"seed": 1, "optimizer": "adam", "lr": 0.003, "warmup": 0}
    bad = {"seed": 2, "optimizer": "sgd", "lr": 1e4, "warmup": 0}
    with D.Cluster(2, timeout=120) as cluster:
        together = cluster.run(D.train_scaled, [a, bad, b], **kw)
        assert together[1] == []
        alone = [cluster.run(D.train_scaled, [r], **kw)[0][0] for r in (a, b)]
    first, wild, second = together[0]
    assert first["tag"] == "a" and wild["seed"] == 2
    assert wild["diverged"] and math.isnan(wild["test_acc"])
    for got, ref in ((first, alone[0]), (second, alone[1])):
        assert not got["diverged"] and got["seed"] == ref["seed"]
        assert got["steps"] == ref["steps"] == 2 * D.steps_per_epoch(1078, 64, 2)
        assert abs(got["val_acc"] - ref["val_acc"]) < 1e-12
        assert abs(got["test_acc"] - ref["test_acc"]) < 1e-12
        assert abs(got["peak_loss"] - ref["peak_loss"]) < 1e-9
