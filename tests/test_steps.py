"""lrlib.steps: optimizer updates per epoch, and whether a GradScaler step happened."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlib import steps


def simulate(n, b, a, k, drop_last, step_remainder):
    """Count updates the way a loop does: walk one rank's micro-batches."""
    per_rank = n // k if drop_last else math.ceil(n / k)
    sizes = [min(b, per_rank - i) for i in range(0, per_rank, b)]
    if drop_last:
        sizes = [s for s in sizes if s == b]
    updates, pending = 0, 0
    for _ in sizes:
        pending += 1
        if pending == a:
            updates, pending = updates + 1, 0
    return updates + (1 if pending and step_remainder else 0)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 500),
    b=st.integers(1, 64),
    a=st.integers(1, 8),
    k=st.integers(1, 4),
    drop_last=st.booleans(),
    step_remainder=st.booleans(),
)
def test_updates_per_epoch_matches_a_loop(n, b, a, k, drop_last, step_remainder):
    expected = simulate(n, b, a, k, drop_last, step_remainder)
    if drop_last and n // k < b:
        with pytest.raises(ValueError, match="batch_size"):
            steps.updates_per_epoch(n, b, accumulate=a, world_size=k, drop_last=True)
        return
    got = steps.updates_per_epoch(
        n,
        b,
        accumulate=a,
        world_size=k,
        drop_last=drop_last,
        step_remainder=step_remainder,
    )
    assert got == expected
    assert (
        steps.total_updates(
            n,
            b,
            3,
            accumulate=a,
            world_size=k,
            drop_last=drop_last,
            step_remainder=step_remainder,
        )
        == 3 * expected
    )


def test_known_values_and_bad_arguments():
    assert steps.updates_per_epoch(1078, 16, accumulate=4) == 17  # 68 micro-batches
    assert steps.updates_per_epoch(1078, 16, accumulate=5) == 14  # 13 + remainder
    assert steps.updates_per_epoch(1078, 16, accumulate=5, step_remainder=False) == 13
    with pytest.raises(ValueError, match="accumulate"):
        steps.updates_per_epoch(10, 2, accumulate=0)
    with pytest.raises(TypeError, match="drop_last"):
        steps.updates_per_epoch(10, 2, drop_last=1)
    with pytest.raises(TypeError, match="n"):
        steps.updates_per_epoch(10.0, 2)
    with pytest.raises(ValueError, match="epochs"):
        steps.total_updates(10, 2, 0)
    assert steps.total_updates(10, 2, 2**63 // 5 - 1) < 2**63
    with pytest.raises(ValueError, match="epochs"):
        steps.total_updates(10, 2, 2**63 // 5 + 1)  # 5 updates an epoch


def test_scaler_step_reports_skipped_steps():
    w = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    taken = []
    for k in range(4):
        opt.zero_grad()
        factor = float("inf") if k in (1, 2) else 1.0
        scaler.scale(factor * (w**2).sum()).backward()
        before = w.detach().clone()
        taken.append(steps.scaler_step(scaler, opt))
        assert taken[-1] == (not torch.equal(before, w.detach()))
    assert taken == [True, False, False, True]
    assert scaler.get_scale() == 256.0
    off = torch.amp.GradScaler("cpu", enabled=False)
    opt.zero_grad()
    (w**2).sum().backward()
    assert steps.scaler_step(off, opt) is True
    with pytest.raises(TypeError, match="scaler"):
        steps.scaler_step(object(), opt)
    with pytest.raises(TypeError, match="optimizer"):
        steps.scaler_step(scaler, object())
