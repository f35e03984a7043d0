"""Picklable factor objects for :class:`torch.optim.lr_scheduler.LambdaLR`.

``LambdaLR`` multiplies each param group's *initial* LR by ``lr_lambda(step)``. A plain
``lambda`` works, but ``LambdaLR.state_dict()`` drops functions and lambdas: it only
saves the ``__dict__`` of callable *objects*. The small classes here keep their whole
configuration in ``__dict__``, so it survives ``state_dict()``/``load_state_dict()``
and ``pickle``, and they validate their arguments up front.

Each one evaluates the closed forms in :mod:`lrlib.schedules`; there is no second copy
of the math here.
"""

from __future__ import annotations

from typing import cast

from ._validate import check_real, check_step_count
from .schedules import check_warmup_cosine, linear_warmup_factor, warmup_cosine_factor

__all__ = ["WarmupCosine", "LinearWarmup", "Constant"]


class _Factor:
    """Shared plumbing: a readable ``repr`` and equality by configuration."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))


class WarmupCosine(_Factor):
    r"""Linear warmup to 1, then a half cosine down to ``min_factor``, held after it.

    .. math::
        f(t) = \begin{cases}
          s + (1 - s)\, t / W & t < W \\
          m + (1 - m)\,\dfrac{1 + \cos(\pi p)}{2},\quad
          p = \operatorname{clip}\!\Big(\dfrac{t - W}{T - W}, 0, 1\Big) & t \ge W
        \end{cases}

    Args:
        total_steps: :math:`T`, the step at which the cosine reaches ``min_factor``.
        warmup_steps: :math:`W`, with ``0 <= W < T``.
        min_factor: :math:`m \in [0, 1]`, the final fraction of the initial LR.
        start_factor: :math:`s \in [0, 1]`, the factor at step 0 (0 by default, so the
            very first step uses LR 0, as in the usual ``t / W`` warmup).
    """

    def __init__(
        self,
        total_steps: int,
        warmup_steps: int,
        min_factor: float = 0.0,
        start_factor: float = 0.0,
    ) -> None:
        (self.total_steps, self.warmup_steps, self.min_factor, self.start_factor) = (
            check_warmup_cosine(total_steps, warmup_steps, min_factor, start_factor)
        )

    def __call__(self, step: int) -> float:
        factor = warmup_cosine_factor(
            step,
            total_steps=self.total_steps,
            warmup_steps=self.warmup_steps,
            min_factor=self.min_factor,
            start_factor=self.start_factor,
        )
        return cast(float, factor)  # a scalar step gives a scalar


class LinearWarmup(_Factor):
    r"""Warmup then constant: :math:`f(t) = t / W` for :math:`t < W`, then 1.

    ``warmup_steps=0`` gives a constant 1.
    """

    def __init__(self, warmup_steps: int) -> None:
        self.warmup_steps = check_step_count("warmup_steps", warmup_steps)

    def __call__(self, step: int) -> float:
        factor = linear_warmup_factor(step, warmup_steps=self.warmup_steps)
        return cast(float, factor)  # a scalar step gives a scalar


class Constant(_Factor):
    """A constant factor (1 by default): the group keeps its initial LR.

    Useful as the factor of a param group that should not follow the schedule of the
    others, e.g. a freshly initialised head next to a warmed-up backbone.

    ``factor`` lies in ``[0, 1]``, like ``ConstantLR``'s and like the range of every
    factor here, so the LR never exceeds the group's initial LR (and never overflows:
    ``Constant(1e308)`` would turn an initial LR of 10 into ``inf``). To give a group a
    larger LR, give it a larger initial ``lr``.
    """

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = check_real("factor", factor, minimum=0.0, maximum=1.0)

    def __call__(self, step: int) -> float:
        check_step_count("step", step)
        return self.factor
