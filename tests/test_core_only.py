"""``import lrlib`` and the core need only torch and numpy (issue 15, section 3).

A subprocess refuses matplotlib, ipywidgets, scikit-learn and scipy through a
``sys.meta_path`` finder, imports lrlib, uses the closed forms, the factor objects, the
restarts class (with a state_dict round trip), the tracer and ``SeedStack``, and checks
that the optional parts fail with an ImportError naming the extra to install.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = ("matplotlib", "ipywidgets", "sklearn", "scipy")

    # A None entry makes ``import x`` raise ModuleNotFoundError and
    # importlib.util.find_spec("x") return None, as when x is not installed (torch
    # probes some of these with find_spec); the finder refuses anything below them.
    for name in BLOCKED:
        sys.modules[name] = None

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Refuse())

    import torch
    import lrlib
    from lrlib import lambdas, schedulers, schedules, trace

    loaded = [m for m, v in sys.modules.items() if v and m.split(".")[0] in BLOCKED]
    assert not loaded, loaded
    assert abs(schedules.cosine_annealing_lr(5, base_lr=1.0, T_max=10) - 0.5) < 1e-15
    o = lrlib.toy_optimizer(0.1)
    s = lrlib.CosineAnnealingWarmupRestarts(o, 10, max_lr=0.1, min_lr=0.01)
    lrs = lrlib.lr_trace(s, 5)
    assert len(lrs) == 5
    state = s.state_dict()
    o2 = lrlib.toy_optimizer(0.1)
    s2 = schedulers.CosineAnnealingWarmupRestarts(o2, 10, max_lr=0.1, min_lr=0.01)
    s2.load_state_dict(state)
    f = lambdas.WarmupCosine(total_steps=20, warmup_steps=5)
    torch.optim.lr_scheduler.LambdaLR(lrlib.toy_optimizer(0.1), f)
    assert trace.group_trace
    # SeedStack needs torch only (lrlib.train's digits data is what needs scikit-learn).
    stack = lrlib.SeedStack(4, 3, [0, 1], hidden=(8,))
    x = torch.zeros(2, 5, 4, dtype=torch.float64)
    assert stack.losses(x, torch.zeros(2, 5, dtype=torch.long)).shape == (2,)

    for name, extra in (("lrlib.plot", "plot"), ("lrlib.explore", "explore")):
        try:
            if name == "lrlib.plot":
                import lrlib.plot
            else:
                lrlib.explore({"a": [1, 2]}, lambda a, ax: None)
        except ImportError as err:
            assert f"lrlib[{extra}]" in str(err), err
        else:
            raise AssertionError(f"{name} worked without its extra")
    print("core ok")
    """
)


def test_core_without_extras() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "core ok"
    assert done.stderr == ""
