"""Argument checks shared by every public function and class in :mod:`lrlib`.

Each check raises :class:`TypeError` (wrong kind of value) or :class:`ValueError`
(right kind, wrong value) with a message that names the argument, so a caller never
sees a bare ``assert``, a NaN, a math domain error or a ``ZeroDivisionError``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

__all__ = ["check_int", "check_real", "check_steps", "check_lr_list"]


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``.

    ``bool`` is rejected (``True`` is not a step count); NumPy integers are accepted.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} ({type(value).__name__})"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds.

    NaN and infinities are rejected with a :class:`ValueError` naming ``name``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} ({type(value).__name__})"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if value < minimum or (not min_inclusive and value == minimum):
            op = ">=" if min_inclusive else ">"
            raise ValueError(f"{name} must be {op} {minimum}, got {value}")
    if maximum is not None:
        if value > maximum or (not max_inclusive and value == maximum):
            op = "<=" if max_inclusive else "<"
            raise ValueError(f"{name} must be {op} {maximum}, got {value}")
    return value


def check_steps(step: Any, name: str = "step") -> tuple[np.ndarray, bool]:
    """Normalise a step index: an int, a NumPy integer, or an integer array.

    Returns ``(array_of_int64, is_scalar)``. Negative steps and non-integer dtypes are
    rejected.
    """
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer or an integer array, got {step!r}")
    if isinstance(step, numbers.Integral):
        if step < 0:
            raise ValueError(f"{name} must be >= 0, got {int(step)}")
        return np.asarray([int(step)], dtype=np.int64), True
    arr = np.asarray(step)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer or an integer array, got dtype {arr.dtype}"
        )
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0, got a minimum of {int(arr.min())}")
    return arr.astype(np.int64, copy=False), False


def check_lr_list(name: str, value: Any, n_groups: int) -> list[float]:
    """Expand a scalar or per-group list of LRs to a list of ``n_groups`` floats.

    Every entry must be finite and ``>= 0``.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"{name} has {len(value)} entries but the optimizer has "
                f"{n_groups} param groups"
            )
        return [check_real(f"{name}[{i}]", v, minimum=0.0) for i, v in enumerate(value)]
    if isinstance(value, (str, bytes)) or isinstance(value, Sequence):
        raise TypeError(
            f"{name} must be a number or a list of numbers, got {type(value).__name__}"
        )
    return [check_real(name, value, minimum=0.0)] * n_groups
