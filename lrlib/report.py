"""Putting measured numbers on the page so that they never drift from the run.

* :func:`glue` hands a formatted figure to the prose: ``glue("best_acc", acc, ".3f")``
  in a code cell, ``{glue:text}`best_acc``` in the markdown (myst-nb renders it from
  the run that built the page). What is glued is the *formatted* text, so the stored
  output holds exactly what the page shows and nbval checks it.
* :func:`approx` marks a value that is allowed to differ in its last digits from
  machine to machine (the one form ``tests/sanitize.cfg`` masks): ``"≈0.85"``. Nothing
  the prose claims may rest on an approximate value; print a robust statement (a count
  with a margin, a bound) next to it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._extras import missing_extra

__all__ = ["APPROX", "approx", "glue"]

#: The marker of an approximate value; ``tests/sanitize.cfg`` masks ``≈<number>``.
APPROX = "≈"


def approx(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits, marked approximate: ``"≈0.85"``.

    Use it for a figure that a one-ulp change in the arithmetic may move (a run at the
    edge of stability). The book's output check masks this form, so no claim may rest
    on it.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number, got {type(value).__name__}")
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral):
        raise TypeError(f"digits must be an integer, got {type(digits).__name__}")
    if not 1 <= digits <= 17:
        raise ValueError(f"digits must be between 1 and 17, got {digits}")
    value = float(value)
    if not math.isfinite(value):
        return f"{APPROX}{value}"
    return f"{APPROX}{value:.{int(digits)}g}"


def glue(name: str, value: Any, spec: str = "") -> str:
    """Store ``format(value, spec)`` under ``name`` for ``{glue:text}`name``` in prose.

    Returns the formatted text. Nothing is displayed in the notebook; the page shows
    the text where the role is. Glue formatted text, never a raw float: the stored
    output is compared on every run, and the last bits of a float are not the point.

    ``value`` is one figure: a string, a number (Python or NumPy; a 0-d array or a
    0-d tensor counts as its number), or an object with its own ``__format__`` such
    as a :class:`lrlib.stats.Summary`. A real number that is not an integer needs a
    ``spec``. Several values (a list, a tuple, an array or a tensor with a dimension)
    are refused with a :class:`TypeError`, and so is ``None``: the prose decides how
    a list reads ("0.1, 0.3" or "0.1 and 0.3"), so format each item and join them,
    e.g. ``glue("lrs", ", ".join(format(v, "g") for v in lrs))``. A ``spec`` that
    does not fit the value (``".3f"`` for a string) is a :class:`ValueError` or
    :class:`TypeError` naming ``value``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a format specification string, got {spec!r}")
    if value is None or isinstance(value, (list, tuple, dict, set, frozenset)):
        raise TypeError(
            f"glue({name!r}, ...): value must be one figure (a number, a string or "
            f"a formattable object), got {type(value).__name__}; format the items "
            "of a collection and join them into one string"
        )
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, str):
        if tuple(shape) != ():
            raise TypeError(
                f"glue({name!r}, ...): value must be one figure, got a "
                f"{type(value).__name__} of shape {tuple(shape)}; format the items "
                "and join them into one string"
            )
        if callable(getattr(value, "item", None)):
            value = value.item()  # a NumPy scalar, 0-d array or 0-d tensor
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if real and not isinstance(value, numbers.Integral) and not spec:
        raise ValueError(
            f"glue({name!r}, ...): a float needs a format spec (e.g. '.3f'), so "
            "the page shows the digits that are meant"
        )
    try:
        text = format(value, spec)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"glue({name!r}, ...): value {value!r} ({type(value).__name__}) cannot "
            f"be formatted with spec {spec!r}: {err}"
        ) from None
    _record(name, text)
    return text


#: The mime-type prefix under which myst-nb's ``glue(..., display=False)`` stores a
#: value (``myst_nb.ext.glue.GLUE_PREFIX``): the cell shows nothing, the page pastes it.
GLUE_PREFIX = "application/papermill.record/"


def _record(name: str, text: str) -> None:
    """Emit the display output that ``myst_nb.glue(name, text, display=False)`` emits.

    The same bundle and metadata, without importing myst-nb's glue module, whose
    import (nbformat, jsonschema) costs about a second in every kernel that glues.
    ``tests/test_stats_report.py`` checks the two outputs are identical.
    """
    try:
        from IPython.core.formatters import format_display_data
        from IPython.display import display
    except ImportError as error:  # pragma: no cover - IPython comes with the kernel
        raise missing_extra("lrlib.report.glue", "book", error) from error
    # IPython's formatters are not annotated.
    bundle, metadata = format_display_data(text)  # type: ignore[no-untyped-call]
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    raw = {GLUE_PREFIX + k: v for k, v in bundle.items()}
    display(raw, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]
