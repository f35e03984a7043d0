"""lrlib: learning-rate schedules for PyTorch, in closed form and as schedulers.

The companion package of the book *Learning-Rate Schedules in PyTorch*.

* :mod:`lrlib.schedules`: every schedule as a pure function of the step.
* :mod:`lrlib.lambdas`: picklable factor objects for ``LambdaLR``.
* :mod:`lrlib.schedulers`: :class:`CosineAnnealingWarmupRestarts`.
* :mod:`lrlib.trace`: what LR each optimizer step really used.
* :mod:`lrlib.plot`: the book's plots.
* :mod:`lrlib.explore`: slider explorers that also work in static HTML.
* :mod:`lrlib.train`: tiny, seeded training runs on bundled data, in float64.
* :mod:`lrlib.stats`: summaries of repeated runs and paired comparisons.
* :mod:`lrlib.report`: measured figures glued into the prose; approximate values.

With ``LRLIB_NUDGE_WEIGHTS=1`` in the environment, importing lrlib moves every model's
initial weights by one ulp (see :mod:`lrlib._canary`), the book's check that no printed
number depends on the last bit of the arithmetic.
"""

import sys as _sys
import types as _types
from typing import TYPE_CHECKING, Any

from ._canary import install_from_env as _install_canary
from .lambdas import Constant, LinearWarmup, WarmupCosine
from .schedulers import CosineAnnealingWarmupRestarts
from .schedules import (
    constant_lr,
    cosine_annealing_lr,
    cosine_warm_restarts_lr,
    cosine_warmup_restarts_lr,
    exponential_lr,
    inverse_sqrt_lr,
    linear_decay_lr,
    linear_lr,
    linear_warmup_factor,
    multistep_lr,
    polynomial_lr,
    restart_cycles,
    step_lr,
    warmup_cosine_factor,
    warmup_cosine_lr,
    wsd_lr,
)
from .trace import group_trace, lr_trace, toy_optimizer

if TYPE_CHECKING:  # imported lazily below: they pull in the optional extras
    from .explore import Explorer, explore
    from .range_test import RangeTestResult, lr_range_test
    from .stacked import SeedStack

__version__ = "0.1.0"

#: Public names whose modules are imported on first use, so that ``import lrlib`` and
#: the core (schedules, lambdas, schedulers, trace) need only torch and numpy; a
#: missing extra is reported by the module itself (see :mod:`lrlib._extras`).
_LAZY = {
    "explore": "explore",
    "Explorer": "explore",
    "lr_range_test": "range_test",
    "RangeTestResult": "range_test",
    "SeedStack": "stacked",
}


def __getattr__(name: str) -> Any:
    import importlib
    import importlib.util

    module = _LAZY.get(name)
    if module is None:
        # a submodule, as ``lrlib.train`` was reachable after ``import lrlib`` when
        # the package imported it eagerly
        if (
            name.startswith("_")
            or importlib.util.find_spec(f".{name}", __name__) is None
        ):
            raise AttributeError(f"module 'lrlib' has no attribute {name!r}")
        return importlib.import_module(f".{name}", __name__)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(_types.ModuleType):
    """lrlib's module type: the function ``lrlib.explore`` keeps its name when the
    submodule :mod:`lrlib.explore` is imported (the import system would otherwise
    bind the submodule to the package attribute, as it did not when the function was
    imported eagerly)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package

_install_canary()

__all__ = [
    "CosineAnnealingWarmupRestarts",
    "WarmupCosine",
    "LinearWarmup",
    "Constant",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_warm_restarts_lr",
    "cosine_warmup_restarts_lr",
    "exponential_lr",
    "inverse_sqrt_lr",
    "linear_decay_lr",
    "linear_lr",
    "linear_warmup_factor",
    "multistep_lr",
    "polynomial_lr",
    "restart_cycles",
    "step_lr",
    "warmup_cosine_factor",
    "warmup_cosine_lr",
    "wsd_lr",
    "lr_trace",
    "group_trace",
    "toy_optimizer",
    "explore",
    "Explorer",
    "lr_range_test",
    "RangeTestResult",
    "SeedStack",
]
