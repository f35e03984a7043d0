"""Argument checks shared by every public function and class in :mod:`lrlib`.

Each check raises :class:`TypeError` (wrong kind of value) or :class:`ValueError`
(right kind, wrong value) with a message that names the argument, so a caller never
sees a bare ``assert``, a NaN, a math domain error, an ``OverflowError`` or a
``ZeroDivisionError``.

Steps and step counts live in the int64 range: :data:`MAX_STEP` is ``2**63 - 1``.
Every closed form in :mod:`lrlib.schedules` computes its integer part (floor
divisions, reductions modulo a period, positions inside a cycle) exactly in that range,
and converts to floating point only the final ratios, so a step beyond it is refused
instead of wrapping around.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

__all__ = [
    "MAX_STEP",
    "MAX_SEED",
    "check_int",
    "check_step_count",
    "check_seed",
    "check_real",
    "check_steps",
    "check_lr_list",
    "check_str",
    "check_reals",
    "check_ints",
    "check_bool",
]

#: The largest step (and step count) lrlib accepts: the top of the int64 range.
MAX_STEP = 2**63 - 1

#: The largest seed lrlib accepts: NumPy's legacy limit, so that one seed works for
#: :func:`lrlib.train.seed_everything`, :func:`lrlib.train.mlp`,
#: :func:`lrlib.train.fit` and :func:`lrlib.lr_range_test` alike.
MAX_SEED = 2**32 - 1


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an ``int`` after checking ``minimum <= value <= maximum``.

    ``bool`` is rejected (``True`` is not a step count); NumPy integers are accepted.
    """
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} ({type(value).__name__})"
        )
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        limit = {MAX_STEP: "2**63 - 1", MAX_STEP - 1: "2**63 - 2"}.get(
            maximum, str(maximum)
        )
        raise ValueError(f"{name} must be <= {limit}, got {number}")
    return number


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a ``bool``; ``True``/``False`` and NumPy booleans only (not ``0``,
    ``1``, ``None`` or an array)."""
    if not _is_bool(value):
        raise TypeError(
            f"{name} must be a bool, got {value!r} ({type(value).__name__})"
        )
    return bool(value)


def check_ints(
    name: str, values: Any, *, minimum: int | None = None, maximum: int | None = None
) -> list[int]:
    """A one-dimensional collection of integers (a list, a tuple, a ``range``, a
    generator or a 1-d integer array) as a list of ``int``, each checked by
    :func:`check_int` under the name ``name[i]``.

    Strings, ``None``, scalars, 0-d and multi-dimensional arrays are rejected with a
    :class:`TypeError` or :class:`ValueError` naming ``name``.
    """
    if isinstance(values, (str, bytes, numbers.Number)) or values is None:
        raise TypeError(
            f"{name} must be a sequence of integers, got {values!r} "
            f"({type(values).__name__})"
        )
    ndim = getattr(values, "ndim", None)
    if ndim == 0:
        raise TypeError(
            f"{name} must be a sequence of integers, got a 0-d {type(values).__name__}"
        )
    if isinstance(ndim, int) and ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional, got {ndim} dimensions "
            f"({type(values).__name__})"
        )
    try:
        items = list(values)
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence of integers, got {type(values).__name__}"
        ) from None
    return [
        check_int(f"{name}[{i}]", v, minimum=minimum, maximum=maximum)
        for i, v in enumerate(items)
    ]


def check_step_count(name: str, value: Any, *, minimum: int = 0) -> int:
    """An integer number of steps in ``[minimum, MAX_STEP]``."""
    return check_int(name, value, minimum=minimum, maximum=MAX_STEP)


def check_seed(name: str, value: Any) -> int:
    """A seed: an integer in ``[0, MAX_SEED]``."""
    return check_int(name, value, minimum=0, maximum=MAX_SEED)


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
    Integers too large for a float are rejected the same way.
    """
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} ({type(value).__name__})"
        )
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got {value}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    if minimum is not None:
        if number < minimum or (not min_inclusive and number == minimum):
            op = ">=" if min_inclusive else ">"
            raise ValueError(f"{name} must be {op} {minimum}, got {number}")
    if maximum is not None:
        if number > maximum or (not max_inclusive and number == maximum):
            op = "<=" if max_inclusive else "<"
            raise ValueError(f"{name} must be {op} {maximum}, got {number}")
    return number


def check_str(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {list(choices)}, got {value!r} "
            f"({type(value).__name__})"
        )
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_steps(step: Any, name: str = "step") -> tuple[np.ndarray, bool]:
    """Normalise a step index: an int, a NumPy integer, or an array of integers.

    Returns ``(array_of_int64, is_scalar)``; an array keeps its shape (a 0-d array
    gives a 0-d result). Booleans, floats, strings and negative steps are rejected,
    and so is any step above :data:`MAX_STEP` (``2**63 - 1``), including the
    ``uint64`` values that a plain cast to int64 would wrap around.
    """
    if _is_bool(step):
        raise TypeError(f"{name} must be an integer or an integer array, got {step!r}")
    if isinstance(step, numbers.Integral):
        step = int(step)
        if step < 0:
            raise ValueError(f"{name} must be >= 0, got {step}")
        if step > MAX_STEP:
            raise ValueError(f"{name} must be <= 2**63 - 1, got {step}")
        return np.asarray([step], dtype=np.int64), True
    if isinstance(step, (str, bytes)) or step is None:
        raise TypeError(
            f"{name} must be an integer or an integer array, got {type(step).__name__}"
        )
    try:
        # a list keeps its Python integers as they are (no float or uint64 detour)
        obj = isinstance(step, (list, tuple))
        arr = np.asarray(step, dtype=object) if obj else np.asarray(step)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(
            f"{name} must be an integer or an integer array, got {type(step).__name__}"
        ) from None
    if arr.dtype == object:
        # lists, and arrays of Python integers: check each element
        flat = arr.reshape(-1)
        for v in flat:
            if _is_bool(v) or not isinstance(v, numbers.Integral):
                raise TypeError(
                    f"{name} must be an integer or an integer array, got an element "
                    f"{v!r} ({type(v).__name__})"
                )
        ints = [int(v) for v in flat]
        if ints and min(ints) < 0:
            raise ValueError(f"{name} must be >= 0, got a minimum of {min(ints)}")
        if ints and max(ints) > MAX_STEP:
            raise ValueError(
                f"{name} must be <= 2**63 - 1, got a maximum of {max(ints)}"
            )
        return np.asarray(ints, dtype=np.int64).reshape(arr.shape), False
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer or an integer array, got dtype {arr.dtype}"
        )
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < 0:
            raise ValueError(f"{name} must be >= 0, got a minimum of {int(lo)}")
        if int(hi) > MAX_STEP:
            raise ValueError(f"{name} must be <= 2**63 - 1, got a maximum of {int(hi)}")
    return arr.astype(np.int64, copy=False), False


def check_reals(
    name: str, values: Any, *, finite: bool = True, allow_empty: bool = True
) -> np.ndarray:
    """A one-dimensional sequence or array of real numbers, as a float64 array.

    Strings, ``None``, booleans and nested sequences are rejected with a
    :class:`TypeError`; NaN and infinities (when ``finite``) with a
    :class:`ValueError` naming the first offending entry ``name[i]``.
    """
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(
            f"{name} must be a sequence of numbers, got {type(values).__name__}"
        )
    if isinstance(values, np.ndarray) or (
        hasattr(values, "__array__") and not isinstance(values, (list, tuple))
    ):
        arr = np.asarray(values)
    else:
        try:
            items = list(values)
        except TypeError:
            raise TypeError(
                f"{name} must be a sequence of numbers, got {type(values).__name__}"
            ) from None
        for i, v in enumerate(items):
            if _is_bool(v) or not isinstance(v, numbers.Real):
                raise TypeError(
                    f"{name}[{i}] must be a real number, got {v!r} ({type(v).__name__})"
                )
        try:
            arr = np.asarray([float(v) for v in items], dtype=np.float64)
        except OverflowError:
            raise ValueError(f"{name} holds an integer too large for a float") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name}[{i}] must be finite, got {arr[i]}")
    return arr


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
