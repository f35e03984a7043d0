"""timm's, optax's and fastai's schedules (written out from their source, the libraries
are not installed) and PyTorch's OneCycleLR in closed form: each against PyTorch's
built-ins or lrlib's closed forms where the conventions coincide, to 1e-12, and the
documented conventions where they do not."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as S

import lrlib
from lrlib import conventions as cv

TOL = 1e-12


def curve(make, steps, lr=0.1):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    return lrlib.lr_trace(make(opt), steps)[:, 0]


def close(a, b, tol=TOL):
    np.testing.assert_allclose(a, b, rtol=0, atol=tol)


# ------------------------------------------------------------------ OneCycleLR


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize(
    "total,pct,div,final",
    [(50, 0.3, 25.0, 1e4), (37, 0.25, 10.0, 100.0), (200, 0.1, 5, 1e3)],
)
def test_onecycle_matches_torch(anneal, total, pct, div, final):
    ref = curve(
        lambda o: S.OneCycleLR(
            o,
            max_lr=0.1,
            total_steps=total,
            pct_start=pct,
            div_factor=div,
            final_div_factor=final,
            anneal_strategy=anneal,
        ),
        total,
    )
    ours = cv.onecycle_lr(
        np.arange(total),
        max_lr=0.1,
        total_steps=total,
        pct_start=pct,
        div_factor=div,
        final_div_factor=final,
        anneal_strategy=anneal,
    )
    close(ours, ref)
    assert ours[-1] == pytest.approx(0.1 / div / final, abs=TOL)


def test_onecycle_defaults_end_at_max_over_25e4():
    total = 100
    ours = cv.onecycle_lr(np.arange(total), max_lr=1.0, total_steps=total)
    assert ours[0] == pytest.approx(1 / 25)
    assert ours[-1] == pytest.approx(1 / 25e4, rel=1e-12)
    with pytest.raises(ValueError, match="step"):
        cv.onecycle_lr(total + 1, max_lr=1.0, total_steps=total)


# ---------------------------------------------------------------------- fastai


@pytest.mark.parametrize("total,pct", [(50, 0.25), (37, 0.25), (120, 0.3), (64, 0.1)])
def test_fastai_one_cycle_is_torch_one_step_longer(total, pct):
    div, div_final = 25.0, 1e5
    ref = curve(
        lambda o: S.OneCycleLR(
            o,
            max_lr=0.1,
            total_steps=total + 1,
            pct_start=(pct * total + 1) / (total + 1),
            div_factor=div,
            final_div_factor=div_final / div,
        ),
        total,
    )
    ours = cv.fastai_one_cycle_lr(
        np.arange(total), lr_max=0.1, total_steps=total, pct_start=pct
    )
    close(ours, ref)


def test_fastai_one_cycle_conventions():
    total = 40
    c = cv.fastai_one_cycle_lr(np.arange(total + 1), lr_max=1.0, total_steps=total)
    assert c[0] == pytest.approx(1 / 25)
    assert c[10] == pytest.approx(1.0)  # the peak at pct_start * N = 10
    assert c[total] == pytest.approx(1e-5)  # only the step after the last gets there
    assert c[total - 1] > 1e-3  # the last trained batch is far above it
    # and PyTorch's defaults end lower on their last step: max / (25 * 1e4)
    torch_last = cv.onecycle_lr(total - 1, max_lr=1.0, total_steps=total)
    assert torch_last == pytest.approx(1 / 25e4)
    with pytest.raises(ValueError, match="step"):
        cv.fastai_one_cycle_lr(total + 1, lr_max=1.0, total_steps=total)


@pytest.mark.parametrize("total,pct", [(40, 0.75), (100, 0.75), (50, 0.5), (30, 0.9)])
def test_fastai_flat_cos_is_wsd(total, pct):
    decay = total - round(pct * total)
    assert math.isclose(pct * total, round(pct * total))
    t = np.arange(total + 1)
    ref = lrlib.wsd_lr(
        t,
        base_lr=0.1,
        total_steps=total,
        warmup_steps=0,
        decay_steps=decay,
        decay="cosine",
        min_factor=1e-5,
    )
    close(cv.fastai_flat_cos_lr(t, lr=0.1, total_steps=total, pct_start=pct), ref)


# ------------------------------------------------------------------------ timm


@pytest.mark.parametrize("warmup,t_initial", [(5, 30), (1, 10), (12, 100)])
def test_timm_warmup_prefix_is_lrlib_warmup_cosine(warmup, t_initial):
    t = np.arange(warmup + t_initial + 20)
    ours = cv.timm_cosine_lr(
        t,
        base_lr=0.1,
        t_initial=t_initial,
        lr_min=1e-3,
        warmup_t=warmup,
        warmup_lr_init=1e-2,
        warmup_prefix=True,
    )
    ref = lrlib.warmup_cosine_lr(
        t,
        base_lr=0.1,
        total_steps=warmup + t_initial,
        warmup_steps=warmup,
        min_factor=0.01,
        start_factor=0.1,
    )
    close(ours, ref)


def test_timm_warmup_without_prefix_runs_under_the_cosine():
    warmup, t_initial = 5, 20
    t = np.arange(t_initial + 5)
    c = cv.timm_cosine_lr(t, base_lr=1.0, t_initial=t_initial, warmup_t=warmup)
    close(c[:warmup], np.arange(warmup) / warmup)  # ramps from 0, never reaching 1
    # at the end of the warmup it jumps onto the cosine timed from step 0
    assert c[warmup] == pytest.approx(
        0.5 * (1 + math.cos(math.pi * warmup / t_initial))
    )
    assert c[warmup] < 1.0
    close(c[t_initial:], 0.0)  # the run still ends at t_initial (lr_min)


@pytest.mark.parametrize("decay", [1.0, 0.5, 0.1])
def test_timm_cycles_are_lrlib_restarts(decay):
    t = np.arange(150)
    ours = cv.timm_cosine_lr(
        t, base_lr=0.1, t_initial=12, lr_min=1e-3, cycle_decay=decay, cycle_limit=100
    )
    ref = lrlib.cosine_warmup_restarts_lr(
        t, first_cycle_steps=12, max_lr=0.1, min_lr=1e-3, gamma=decay
    )
    if decay < 1:  # lrlib keeps the peak at or above min_lr; timm does not
        keep = 0.1 * decay ** (t // 12) >= 1e-3
        close(ours[keep], ref[keep])
    else:
        close(ours, ref)
    close(
        cv.timm_cosine_lr(t, base_lr=0.1, t_initial=12, cycle_limit=100),
        curve(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=12), 150),
    )


def test_timm_cycle_mul_2_is_sgdr_t_mult_2():
    t = np.arange(600)
    ours = cv.timm_cosine_lr(
        t, base_lr=0.1, t_initial=10, cycle_mul=2.0, cycle_limit=10
    )
    ref = curve(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2), 600)
    close(ours, ref)


def test_timm_cycle_limit_holds_lr_min():
    c = cv.timm_cosine_lr(np.arange(40), base_lr=0.1, t_initial=10, lr_min=0.01)
    close(c[10:], 0.01)


# ----------------------------------------------------------------------- optax


@pytest.mark.parametrize("warmup,decay_steps", [(5, 40), (0, 40), (10, 11), (30, 300)])
def test_optax_decay_steps_include_the_warmup(warmup, decay_steps):
    t = np.arange(decay_steps + 20)
    ours = cv.optax_warmup_cosine_decay(
        t,
        init_value=0.0,
        peak_value=0.1,
        warmup_steps=warmup,
        decay_steps=decay_steps,
        end_value=1e-3,
    )
    ref = lrlib.warmup_cosine_lr(
        t, base_lr=0.1, total_steps=decay_steps, warmup_steps=warmup, min_factor=0.01
    )
    close(ours, ref)
    if warmup:
        assert ours[warmup] == pytest.approx(0.1)  # peak at step W
    assert ours[decay_steps] == pytest.approx(1e-3)  # end value at decay_steps


def test_optax_exponent():
    t = np.arange(50)
    base = cv.optax_warmup_cosine_decay(
        t, init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=50
    )
    sq = cv.optax_warmup_cosine_decay(
        t, init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=50, exponent=2.0
    )
    close(sq[10:], base[10:] ** 2)
    close(sq[:10], base[:10])


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 40), st.integers(1, 200), st.floats(0.0, 0.5))
def test_optax_property(warmup, extra, floor):
    total = warmup + extra
    t = np.arange(total + 5)
    ours = cv.optax_warmup_cosine_decay(
        t,
        init_value=0.0,
        peak_value=1.0,
        warmup_steps=warmup,
        decay_steps=total,
        end_value=floor,
    )
    ref = lrlib.warmup_cosine_lr(
        t, base_lr=1.0, total_steps=total, warmup_steps=warmup, min_factor=floor
    )
    close(ours, ref)


# --------------------------------------------------------------- bad arguments


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="decay_steps"):
        cv.optax_warmup_cosine_decay(
            3, init_value=0, peak_value=1, warmup_steps=10, decay_steps=10
        )
    with pytest.raises(ValueError, match="pct_start"):
        cv.onecycle_lr(3, max_lr=1.0, total_steps=10, pct_start=0.05)
    with pytest.raises(ValueError, match="anneal_strategy"):
        cv.onecycle_lr(3, max_lr=1.0, total_steps=10, anneal_strategy="cosine")
    with pytest.raises(ValueError, match="t_initial"):
        cv.timm_cosine_lr(3, base_lr=1.0, t_initial=0)
    with pytest.raises(ValueError, match="cycle_mul"):
        cv.timm_cosine_lr(3, base_lr=1.0, t_initial=5, cycle_mul=0.5)
    with pytest.raises(TypeError, match="warmup_prefix"):
        cv.timm_cosine_lr(3, base_lr=1.0, t_initial=5, warmup_prefix="yes")
    with pytest.raises(ValueError, match="div_final"):
        cv.fastai_flat_cos_lr(3, lr=1.0, total_steps=10, div_final=0)
    with pytest.raises(ValueError, match="pct_start"):
        cv.fastai_one_cycle_lr(3, lr_max=1.0, total_steps=10, pct_start=1.0)
