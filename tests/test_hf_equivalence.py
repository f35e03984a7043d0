"""transformers' schedules, stepped for real, against lrlib.hf's closed forms and
against PyTorch's built-ins or lrlib's own closed forms, to 1e-12; every convention
difference (warmup start, peak step, floors, num_cycles, WSD shapes, state) pinned by a
test."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as S

import lrlib
from lrlib import hf

transformers = pytest.importorskip("transformers")
from transformers import get_scheduler  # noqa: E402
from transformers.optimization import GreedyLR  # noqa: E402
from transformers.trainer_utils import SchedulerType  # noqa: E402

TOL = 1e-12
LR = 0.1


def optimizer(lr=LR, groups=None):
    """An SGD optimizer built with ``lr`` (so ``defaults["lr"] == lr``); ``groups``
    gives each param group its own LR."""
    if groups is None:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": g} for g in groups]
    return torch.optim.SGD(params, lr=lr)


def curve(scheduler, steps):
    """LR of every group before each of ``steps`` updates: ``(steps, groups)``."""
    return lrlib.lr_trace(scheduler, steps)


def hf_curve(name, steps, warmup, total, lr=LR, **kwargs):
    sched = get_scheduler(
        name,
        optimizer(lr),
        num_warmup_steps=warmup,
        num_training_steps=total,
        scheduler_specific_kwargs=kwargs,
    )
    return curve(sched, steps)[:, 0]


def close(a, b, tol=TOL):
    np.testing.assert_allclose(a, b, rtol=0, atol=tol)


# ----------------------------------------------------------------- the name list


def test_names_are_transformers_names():
    assert set(hf.NAMES) == {s.value for s in SchedulerType}
    assert set(hf.CLOSED_FORM_NAMES) == set(hf.NAMES) - {
        "reduce_lr_on_plateau",
        "greedy",
    }


# ------------------------------------------------- every schedule vs its closed form

CONFIGS = [
    ("linear", {}),
    ("cosine", {}),
    ("cosine", {"num_cycles": 1.0}),
    ("cosine", {"num_cycles": 1.75}),
    ("cosine_with_restarts", {}),
    ("cosine_with_restarts", {"num_cycles": 3}),
    ("polynomial", {}),
    ("polynomial", {"lr_end": 1e-3, "power": 2.0}),
    ("polynomial", {"lr_end": 0.0, "power": 0.5}),
    ("constant", {}),
    ("constant_with_warmup", {}),
    ("inverse_sqrt", {}),
    ("inverse_sqrt", {"timescale": 25}),
    ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
    ("cosine_with_min_lr", {"min_lr": 0.004}),
    ("cosine_with_min_lr", {"min_lr_rate": 0.05, "num_cycles": 1.0}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", {"min_lr": 0.004, "warmup_lr_rate": 0.2}),
    ("warmup_stable_decay", {"num_decay_steps": 12}),
    (
        "warmup_stable_decay",
        {"num_decay_steps": 12, "decay_type": "linear", "warmup_type": "cosine"},
    ),
    (
        "warmup_stable_decay",
        {
            "num_decay_steps": 9,
            "decay_type": "1-sqrt",
            "warmup_type": "1-sqrt",
            "min_lr_ratio": 0.1,
        },
    ),
    (
        "warmup_stable_decay",
        {"num_decay_steps": 12, "decay_type": "cosine", "num_cycles": 1.0},
    ),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("warmup,total", [(0, 40), (7, 40), (1, 13), (10, 97)])
def test_closed_form_matches_transformers(name, kwargs, warmup, total):
    if name == "warmup_stable_decay" and warmup + kwargs["num_decay_steps"] > total:
        pytest.skip("stable phase would be negative")
    steps = 2 * total + 15  # well past the end: what happens there is a convention too
    ref = hf_curve(name, steps, warmup, total, **kwargs)
    mine = LR * hf.factor(
        name,
        np.arange(steps),
        num_warmup_steps=warmup,
        num_training_steps=total,
        scheduler_specific_kwargs=kwargs,
        lr_init=LR,
    )
    close(mine, ref)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        ["linear", "cosine", "cosine_with_restarts", "constant_with_warmup"]
    ),
    st.integers(0, 30),
    st.integers(1, 120),
)
def test_closed_form_matches_transformers_property(name, warmup, extra):
    total = warmup + extra
    ref = hf_curve(name, total + 10, warmup, total)
    mine = LR * hf.factor(
        name, np.arange(total + 10), num_warmup_steps=warmup, num_training_steps=total
    )
    close(mine, ref)


def test_scalar_and_array_agree():
    t = np.arange(50)
    arr = hf.cosine(t, num_warmup_steps=5, num_training_steps=40)
    assert isinstance(hf.cosine(7, num_warmup_steps=5, num_training_steps=40), float)
    assert [
        hf.cosine(int(i), num_warmup_steps=5, num_training_steps=40) for i in t
    ] == (list(arr))


# ---------------------------------------------- against torch built-ins and lrlib


def test_linear_is_linearlr_without_warmup():
    total = 50
    ref = curve(S.LinearLR(optimizer(), 1.0, 0.0, total_iters=total), total + 20)[:, 0]
    close(hf_curve("linear", total + 20, 0, total), ref)


def test_linear_is_lrlib_linear_decay():
    t = np.arange(80)
    ref = lrlib.linear_decay_lr(t, base_lr=LR, total_steps=60, warmup_steps=6)
    close(hf_curve("linear", 80, 6, 60), ref)


def test_cosine_is_cosineannealinglr_at_every_step():
    total = 30
    ref = curve(S.CosineAnnealingLR(optimizer(), T_max=total), 3 * total)[:, 0]
    ours = hf_curve("cosine", 3 * total, 0, total)
    close(ours, ref)
    # neither clamps: both climb back to the peak at 2T
    assert ours[2 * total] == pytest.approx(LR, abs=TOL)


def test_cosine_with_warmup_is_lrlib_warmup_cosine_until_T_then_climbs():
    warmup, total = 8, 48
    t = np.arange(total + 1)
    ours = hf_curve("cosine", 2 * total, warmup, total)
    ref = lrlib.warmup_cosine_lr(t, base_lr=LR, total_steps=total, warmup_steps=warmup)
    close(ours[: total + 1], ref)
    # lrlib holds the floor after T; transformers' cosine comes back up
    assert ours[total] == pytest.approx(0.0, abs=TOL)
    assert ours[total + 10] > 1e-3
    assert lrlib.warmup_cosine_lr(
        total + 10, base_lr=LR, total_steps=total, warmup_steps=warmup
    ) == pytest.approx(0.0, abs=TOL)


def test_warmup_starts_at_zero_and_peaks_at_step_W():
    warmup, total = 5, 40
    for name in ("linear", "cosine", "constant_with_warmup", "polynomial"):
        c = hf_curve(name, total, warmup, total) / LR
        assert c[0] == 0.0
        close(c[:warmup], np.arange(warmup) / warmup)
        assert c[warmup] == pytest.approx(1.0, abs=TOL)
        assert c[warmup - 1] == pytest.approx((warmup - 1) / warmup, abs=TOL)


def test_num_cycles_counts_full_periods():
    total = 40
    # num_cycles=1: down to 0 at T/2, back to the peak at T
    c = hf_curve("cosine", total + 1, 0, total, num_cycles=1.0)
    ref = curve(S.CosineAnnealingLR(optimizer(), T_max=total // 2), total + 1)[:, 0]
    close(c, ref)
    assert c[total // 2] == pytest.approx(0.0, abs=TOL)
    assert c[total] == pytest.approx(LR, abs=TOL)


@pytest.mark.parametrize("cycles,warmup", [(1, 0), (2, 4), (4, 8)])
def test_cosine_with_restarts_is_warm_restarts_after_one_warmup(cycles, warmup):
    total = warmup + 24 * cycles
    c = hf_curve("cosine_with_restarts", total + 10, warmup, total, num_cycles=cycles)
    after = np.arange(total - warmup)
    ref = lrlib.cosine_warm_restarts_lr(after, base_lr=LR, T_0=24)
    close(c[warmup:total], ref)
    close(c[total:], 0.0)  # hard zero from T on
    close(c[:warmup], LR * np.arange(warmup) / max(1, warmup))


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_to_zero_is_polynomiallr(power):
    total = 30
    ref = curve(S.PolynomialLR(optimizer(), total_iters=total, power=power), 50)[:, 0]
    ours = hf_curve("polynomial", 50, 0, total, lr_end=0.0, power=power)
    close(ours, ref)
    t = np.arange(50)
    close(ours, lrlib.polynomial_lr(t, base_lr=LR, total_iters=total, power=power))


def test_polynomial_lr_end_is_absolute_for_the_default_lr_only():
    # the factor is lr_end / optimizer.defaults["lr"], the same for every group
    opt = optimizer(lr=0.1, groups=[0.1, 0.01])
    sched = get_scheduler(
        "polynomial",
        opt,
        num_warmup_steps=0,
        num_training_steps=20,
        scheduler_specific_kwargs={"lr_end": 1e-3},
    )
    c = curve(sched, 21)
    assert c[20, 0] == pytest.approx(1e-3, abs=TOL)  # lr_end
    assert c[20, 1] == pytest.approx(1e-4, abs=TOL)  # not lr_end: 1e-3 * 0.01 / 0.1


def test_polynomial_uses_the_constructor_lr_not_the_groups():
    # a groups-only optimizer keeps SGD's default lr (1e-3) in defaults: lr_end=1e-7
    # is then a factor 1e-4 of each group's LR
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1}]
    opt = torch.optim.SGD(params)
    assert opt.defaults["lr"] == 1e-3
    sched = get_scheduler("polynomial", opt, num_warmup_steps=0, num_training_steps=10)
    c = curve(sched, 11)[:, 0]
    assert c[10] == pytest.approx(0.1 * 1e-7 / 1e-3, abs=TOL)


def test_constant_with_warmup_is_lrlib_warmup_from_zero():
    t = np.arange(30)
    ref = LR * lrlib.linear_warmup_factor(t, warmup_steps=9, start_factor=0.0)
    close(hf_curve("constant_with_warmup", 30, 9, None), ref)


def test_inverse_sqrt_is_lrlib_one_step_later():
    warmup = 10
    c = hf_curve("inverse_sqrt", 200, warmup, None)
    t = np.arange(1, 200)
    close(c[1:], lrlib.inverse_sqrt_lr(t - 1, base_lr=LR, warmup_steps=warmup))
    assert c[0] == 0.0  # lrlib starts at 1/W instead
    assert lrlib.inverse_sqrt_lr(0, base_lr=LR, warmup_steps=warmup) == pytest.approx(
        LR / warmup
    )


def test_cosine_with_min_lr_is_lrlib_warmup_cosine_with_floor():
    warmup, total = 6, 50
    t = np.arange(total + 1)
    ref = lrlib.warmup_cosine_lr(
        t, base_lr=LR, total_steps=total, warmup_steps=warmup, min_factor=0.1
    )
    close(
        hf_curve("cosine_with_min_lr", total + 1, warmup, total, min_lr_rate=0.1), ref
    )
    # an absolute min_lr means the same floor here, since lr == defaults["lr"]
    close(hf_curve("cosine_with_min_lr", total + 1, warmup, total, min_lr=0.01), ref)


def test_cosine_warmup_with_min_lr_runs_one_step_earlier():
    warmup, total = 6, 50
    c = hf_curve("cosine_warmup_with_min_lr", total, warmup, total, min_lr_rate=0.1)
    t = np.arange(total)
    ref = lrlib.warmup_cosine_lr(
        t + 1, base_lr=LR, total_steps=total, warmup_steps=warmup, min_factor=0.1
    )
    close(c, ref)
    assert c[0] == pytest.approx(LR / warmup, abs=TOL)  # starts at 1/W, not 0
    assert c[warmup - 1] == pytest.approx(LR, abs=TOL)  # the peak is step W - 1
    assert c[total - 1] == pytest.approx(0.1 * LR, abs=TOL)  # floor on the last step


def test_cosine_warmup_with_min_lr_warmup_lr_rate():
    warmup, total = 6, 50
    c = hf_curve(
        "cosine_warmup_with_min_lr",
        total,
        warmup,
        total,
        min_lr_rate=0.1,
        warmup_lr_rate=0.25,
    )
    assert c[0] == pytest.approx(0.25 * LR, abs=TOL)
    assert c[warmup - 1] == pytest.approx(LR, abs=TOL)


@pytest.mark.parametrize(
    "hf_type,lrlib_type",
    [("linear", "linear"), ("cosine", "cosine"), ("1-sqrt", "sqrt")],
)
def test_wsd_is_lrlib_wsd(hf_type, lrlib_type):
    warmup, decay, total = 5, 15, 60
    c = hf_curve(
        "warmup_stable_decay",
        total + 10,
        warmup,
        total,
        num_decay_steps=decay,
        decay_type=hf_type,
    )
    t = np.arange(total + 10)
    ref = lrlib.wsd_lr(
        t,
        base_lr=LR,
        total_steps=total,
        warmup_steps=warmup,
        decay_steps=decay,
        decay=lrlib_type,
    )
    close(c, ref)
    # the floor is reached at step W + S + D = T, one step after the last decay step
    assert c[total - 1] > 0.0
    assert c[total] == 0.0


def test_wsd_defaults_and_floor_conventions():
    warmup, decay, total = 5, 15, 60
    default = hf_curve(
        "warmup_stable_decay", total, warmup, total, num_decay_steps=decay
    )
    cosine = hf_curve(
        "warmup_stable_decay",
        total,
        warmup,
        total,
        num_decay_steps=decay,
        decay_type="cosine",
    )
    close(default, cosine)  # transformers' default decay is a cosine; lrlib's is linear
    floored = hf_curve(
        "warmup_stable_decay",
        total + 1,
        warmup,
        total,
        num_decay_steps=decay,
        min_lr_ratio=0.1,
    )
    assert floored[0] == pytest.approx(0.1 * LR, abs=TOL)  # warmup starts at the floor
    assert floored[total] == pytest.approx(0.1 * LR, abs=TOL)


def test_wsd_num_stable_steps_wins_over_num_training_steps():
    import warnings

    opt = optimizer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = get_scheduler(
            "warmup_stable_decay",
            opt,
            num_warmup_steps=4,
            num_training_steps=100,
            scheduler_specific_kwargs={"num_decay_steps": 6, "num_stable_steps": 10},
        )
    assert any("num_stable_steps will be used" in str(w.message) for w in caught)
    c = curve(sched, 25)[:, 0]
    ref = LR * hf.warmup_stable_decay(
        np.arange(25), num_warmup_steps=4, num_decay_steps=6, num_stable_steps=10
    )
    close(c, ref)
    assert c[20] == 0.0  # done at 4 + 10 + 6, not at 100


# ------------------------------------------------------------- the metric-driven two


def test_reduce_lr_on_plateau_is_torchs_class():
    sched = get_scheduler(
        "reduce_lr_on_plateau",
        optimizer(),
        scheduler_specific_kwargs={"patience": 3, "factor": 0.5},
    )
    assert type(sched) is S.ReduceLROnPlateau
    assert (sched.patience, sched.factor) == (3, 0.5)
    with pytest.raises(ValueError, match="metric"):
        hf.factor("reduce_lr_on_plateau", 3)


def test_greedy_is_not_an_lrscheduler():
    sched = get_scheduler(
        "greedy", optimizer(), scheduler_specific_kwargs={"patience": 2}
    )
    assert isinstance(sched, GreedyLR)
    assert not isinstance(sched, S.LRScheduler)
    # improves for more than `patience` epochs in a row: the LR grows by 1/factor
    for loss in (1.0, 0.9, 0.8, 0.7):
        sched.step(loss)
    assert sched.get_last_lr()[0] == pytest.approx(LR / 0.95)


# --------------------------------------------------------------------------- state


@pytest.mark.parametrize(
    "name", [n for n in hf.CLOSED_FORM_NAMES if n not in ("constant",)]
)
def test_partial_factors_store_an_empty_dict(name):
    kwargs = {
        "cosine_with_min_lr": {"min_lr_rate": 0.1},
        "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1},
        "warmup_stable_decay": {"num_decay_steps": 5},
    }.get(name, {})
    sched = get_scheduler(
        name,
        optimizer(),
        num_warmup_steps=3,
        num_training_steps=20,
        scheduler_specific_kwargs=kwargs,
    )
    assert sched.state_dict()["lr_lambdas"] == [{}]


def test_constant_stores_none_and_lrlib_factors_store_their_arguments():
    assert get_scheduler("constant", optimizer()).state_dict()["lr_lambdas"] == [None]
    sched = S.LambdaLR(optimizer(), lrlib.WarmupCosine(20, 3))
    stored = sched.state_dict()["lr_lambdas"][0]
    assert stored["total_steps"] == 20 and stored["warmup_steps"] == 3


def test_resume_takes_the_schedule_from_the_code_not_the_checkpoint():
    def build(total):
        return get_scheduler(
            "cosine", optimizer(), num_warmup_steps=2, num_training_steps=total
        )

    first = build(40)
    curve(first, 10)
    state = first.state_dict()
    # rebuilt with another length, the loaded state cannot say it was 40
    resumed = build(80)
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 10
    resumed.optimizer.step()
    resumed.step()  # the next LR comes from the new length
    assert resumed.get_last_lr()[0] == pytest.approx(
        LR * hf.cosine(11, num_warmup_steps=2, num_training_steps=80), abs=TOL
    )
    assert resumed.get_last_lr()[0] != pytest.approx(
        LR * hf.cosine(11, num_warmup_steps=2, num_training_steps=40), abs=1e-3
    )
    # an lrlib factor object carries its arguments, so loading restores them
    lam = S.LambdaLR(optimizer(), lrlib.WarmupCosine(40, 2))
    curve(lam, 10)
    other = S.LambdaLR(optimizer(), lrlib.WarmupCosine(80, 2))
    other.load_state_dict(lam.state_dict())
    assert other.lr_lambdas[0].total_steps == 40


# ------------------------------------------------------------------ Trainer's rule


@pytest.mark.parametrize(
    "warmup,total",
    [
        (0, 25),
        (0.1, 25),
        (0.1, 30),
        (0.05, 7),
        (0.999, 10),
        (1, 25),
        (1.9, 25),
        (4, 25),
    ],
)
def test_trainer_warmup_steps(tmp_path, warmup, total):
    from transformers import TrainingArguments

    args = TrainingArguments(
        output_dir=str(tmp_path), warmup_steps=warmup, use_cpu=True
    )
    assert hf.trainer_warmup_steps(warmup, total) == args.get_warmup_steps(total)


# ------------------------------------------------------------------ bad arguments


def test_bad_arguments_name_the_argument():
    t = np.arange(5)
    with pytest.raises(ValueError, match="name"):
        hf.factor("cosine_annealing", t)
    with pytest.raises(ValueError, match="num_warmup_steps"):
        hf.factor("cosine", t, num_training_steps=10)
    with pytest.raises(ValueError, match="num_training_steps"):
        hf.factor("linear", t, num_warmup_steps=1)
    with pytest.raises(ValueError, match="num_warmup_steps"):
        hf.linear(t, num_warmup_steps=-1, num_training_steps=10)
    with pytest.raises(TypeError, match="num_training_steps"):
        hf.linear(t, num_warmup_steps=1, num_training_steps=10.0)
    with pytest.raises(ValueError, match="lr_end"):
        hf.polynomial(
            t, num_warmup_steps=0, num_training_steps=9, lr_init=0.1, lr_end=0.2
        )
    with pytest.raises(ValueError, match="num_training_steps"):
        hf.polynomial(t, num_warmup_steps=5, num_training_steps=5, lr_init=0.1)
    with pytest.raises(ValueError, match="min_lr"):
        hf.cosine_with_min_lr(t, num_warmup_steps=0, num_training_steps=9)
    with pytest.raises(ValueError, match="only one"):
        hf.cosine_with_min_lr(
            t, num_warmup_steps=0, num_training_steps=9, min_lr=0.1, min_lr_rate=0.1
        )
    with pytest.raises(ValueError, match="lr_init"):
        hf.cosine_with_min_lr(t, num_warmup_steps=0, num_training_steps=9, min_lr=0.01)
    with pytest.raises(ValueError, match="decay_type"):
        hf.warmup_stable_decay(
            t,
            num_warmup_steps=1,
            num_decay_steps=2,
            num_training_steps=9,
            decay_type="x",
        )
    with pytest.raises(ValueError, match="num_training_steps"):
        hf.warmup_stable_decay(
            t, num_warmup_steps=5, num_decay_steps=6, num_training_steps=9
        )
    with pytest.raises(ValueError, match="timescale"):
        hf.inverse_sqrt(t, num_warmup_steps=0, timescale=0)
    with pytest.raises(ValueError, match="step"):
        hf.constant(-1)
    with pytest.raises(ValueError, match="warmup_steps"):
        hf.trainer_warmup_steps(-0.5, 10)
    assert not math.isnan(hf.inverse_sqrt(10**12, num_warmup_steps=4))


# ------------------------------------- other libraries' spellings of "cosine"


@pytest.mark.parametrize("warmup,total", [(7, 60), (10, 90), (1, 25), (0, 40)])
def test_optax_and_timm_spell_transformers_cosine(warmup, total):
    from lrlib import conventions as cv

    ref = hf_curve("cosine", total + 1, warmup, total) / LR
    t = np.arange(total + 1)
    optax = cv.optax_warmup_cosine_decay(
        t, init_value=0.0, peak_value=1.0, warmup_steps=warmup, decay_steps=total
    )
    close(optax, ref)  # decay_steps is the whole run, warmup included
    timm = cv.timm_cosine_lr(
        t, base_lr=1.0, t_initial=total - warmup, warmup_t=warmup, warmup_prefix=True
    )
    close(timm, ref)
    if warmup > 1:  # timm's default warmup_prefix=False does not
        plain = cv.timm_cosine_lr(t, base_lr=1.0, t_initial=total, warmup_t=warmup)
        assert np.abs(plain - ref).max() > 1e-3
