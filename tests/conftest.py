import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


def make_optimizer(lrs=(0.1,), kind="sgd", **kw):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    opts = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
    return opts[kind](groups, **kw)


def step_builtin(scheduler, steps):
    """LR of group 0.. before each of ``steps`` optimizer steps, stepping the right
    way."""
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in scheduler.optimizer.param_groups])
        scheduler.optimizer.step()
        scheduler.step()
    return out


@pytest.fixture
def opt():
    return make_optimizer()
