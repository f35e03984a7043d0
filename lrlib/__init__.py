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

from ._canary import install_from_env as _install_canary
from .explore import Explorer, explore
from .lambdas import Constant, LinearWarmup, WarmupCosine
from .range_test import RangeTestResult, lr_range_test
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

__version__ = "0.1.0"

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
]
