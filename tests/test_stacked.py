"""lrlib.stacked.SeedStack: each slice trains as its run would alone (to 1e-9).

The stack and lrlib.train.fit see the same batches (fit's order of epoch e for seed s
is ``randperm(n, seed s * 1_000_003 + e)``), with SGD + momentum, Adam, and one param
group per learning rate; the slices' weights and the per-epoch losses are compared
with runs trained alone.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import LambdaLR

import lrlib
from lrlib.stacked import SeedStack
from lrlib.train import Data, digits, fit, mlp

BATCH, EPOCHS, HIDDEN = 32, 2, (8,)


@pytest.fixture(scope="module")
def data() -> Data:
    d = digits(seed=0, val_fraction=0.2, test_fraction=0.2)
    return Data(d.x_train[:320], d.y_train[:320], d.x_val, d.y_val)


def stacked_fit(stack: SeedStack, data: Data, opt, sched) -> np.ndarray:
    """fit's loop for every slice at once; validation loss after each epoch."""
    n = len(data.y_train)
    per_epoch = -(-n // BATCH)
    curve = np.empty((EPOCHS, len(stack)))
    for e in range(EPOCHS):
        orders = torch.stack(
            [
                torch.randperm(
                    n, generator=torch.Generator().manual_seed(s * 1_000_003 + e)
                )
                for s in stack.seeds
            ]
        )
        for b in range(per_epoch):
            idx = orders[:, b * BATCH : (b + 1) * BATCH]
            opt.zero_grad(set_to_none=True)
            stack.losses(data.x_train[idx], data.y_train[idx]).sum().backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            x = data.x_val.expand(len(stack), -1, -1)
            y = data.y_val.expand(len(stack), -1)
            curve[e] = stack.losses(x, y).numpy()
    return curve


def alone(data: Data, seed: int, make_opt, lr: float):
    model = mlp(data.n_features, data.n_classes, HIDDEN, seed=seed)
    opt = make_opt([{"params": model.parameters(), "lr": lr}])
    hist = fit(
        model,
        data,
        opt,
        LambdaLR(opt, lrlib.LinearWarmup(5)),
        epochs=EPOCHS,
        batch_size=BATCH,
        seed=seed,
    )
    return model, hist.val_loss


def sgd(groups):
    return torch.optim.SGD(groups, momentum=0.9)


def adam(groups):
    return torch.optim.Adam(groups)


@pytest.mark.parametrize("make_opt", [sgd, adam], ids=["sgd", "adam"])
@pytest.mark.parametrize("lrs", [(0.05,), (0.02, 0.1)], ids=["one-lr", "two-lrs"])
def test_slices_match_runs_alone(data, make_opt, lrs):
    if make_opt is adam:
        lrs = tuple(lr / 10 for lr in lrs)
    seeds = [3, 4, 7]
    stack = SeedStack(
        data.n_features,
        data.n_classes,
        seeds * len(lrs),
        hidden=HIDDEN,
        groups=[len(seeds)] * len(lrs),
    )
    groups = [
        {"params": stack.group_parameters(g), "lr": lr} for g, lr in enumerate(lrs)
    ]
    opt = make_opt(groups)
    curve = stacked_fit(stack, data, opt, LambdaLR(opt, lrlib.LinearWarmup(5)))
    for g, lr in enumerate(lrs):
        for j, seed in enumerate(seeds):
            i = g * len(seeds) + j
            model, val_loss = alone(data, seed, make_opt, lr)
            assert np.abs(curve[:, i] - val_loss).max() < 1e-9
            for p, q in zip(stack.model(i).parameters(), model.parameters()):
                assert (p - q).abs().max().item() < 1e-9
    # the groups really trained at their own rates: same seed, other weights
    if len(lrs) == 2:
        w0 = stack.model(0)[0].weight
        w1 = stack.model(len(seeds))[0].weight
        assert (w0 - w1).abs().max().item() > 1e-3


def test_initial_slices_are_the_seeded_mlps(data):
    stack = SeedStack(8, 3, [0, 5], hidden=(4, 6), activation=torch.nn.Tanh)
    x = torch.randn(2, 7, 8, dtype=lrlib.train.DTYPE)
    out = stack(x)
    assert out.shape == (2, 7, 3)
    for i, seed in enumerate((0, 5)):
        net = mlp(8, 3, (4, 6), seed=seed, activation=torch.nn.Tanh)
        torch.testing.assert_close(out[i], net(x[i]), rtol=0, atol=1e-12)
        for p, q in zip(stack.model(i).parameters(), net.parameters()):
            assert torch.equal(p, q)


def test_state_dict_round_trip_and_deepcopy():
    stack = SeedStack(8, 3, [1, 2, 1, 2], hidden=(4,), groups=[2, 2])
    other = SeedStack(8, 3, [9, 9, 9, 9], hidden=(4,), groups=[2, 2])
    other.load_state_dict(copy.deepcopy(stack.state_dict()))
    x = torch.randn(4, 5, 8, dtype=lrlib.train.DTYPE)
    assert torch.equal(stack(x), other(x))
    assert torch.equal(copy.deepcopy(stack)(x), stack(x))
    assert len(list(stack.group_parameters(1))) == 4


def test_lazy_export():
    assert lrlib.SeedStack is SeedStack
    assert "SeedStack" in lrlib.__all__


@pytest.mark.parametrize(
    "kwargs,name,error",
    [
        ({"seeds": []}, "seeds", ValueError),
        ({"seeds": [1, -1]}, "seeds[1]", ValueError),
        ({"groups": [1, 1]}, "groups", ValueError),
        ({"groups": [3, 0]}, "groups", ValueError),
        ({"activation": torch.nn.PReLU}, "activation", ValueError),
        ({"activation": lambda: 3}, "activation", TypeError),
        ({"hidden": 4}, "hidden", TypeError),
    ],
)
def test_bad_arguments_are_named(kwargs, name, error):
    args = {"in_features": 8, "out_features": 3, "seeds": [0, 1, 2], **kwargs}
    with pytest.raises(error, match=name.replace("[", r"\[").replace("]", r"\]")):
        SeedStack(**args)


def test_bad_calls_are_named():
    stack = SeedStack(8, 3, [0, 1], hidden=(4,), groups=[1, 1])
    x = torch.zeros(2, 5, 8, dtype=lrlib.train.DTYPE)
    with pytest.raises(ValueError, match="x must"):
        stack(torch.zeros(3, 5, 8, dtype=lrlib.train.DTYPE))
    with pytest.raises(TypeError, match="x must"):
        stack(np.zeros((2, 5, 8)))
    with pytest.raises(ValueError, match="y must"):
        stack.losses(x, torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="group"):
        stack.group_parameters(2)
    with pytest.raises(ValueError, match="i must|i "):
        stack.model(-1)
