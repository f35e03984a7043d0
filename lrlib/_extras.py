"""Optional dependencies: which extra of ``lrlib`` provides which module.

``pip install lrlib`` installs the core only (``torch`` and ``numpy``): the closed forms
(:mod:`lrlib.schedules`), the factor objects (:mod:`lrlib.lambdas`), the schedulers
(:mod:`lrlib.schedulers`) and the tracer (:mod:`lrlib.trace`). Everything else sits
behind an extra:

========================  ===========================================================
extra                     adds
========================  ===========================================================
``lrlib[plot]``           matplotlib, for :mod:`lrlib.plot`
``lrlib[explore]``        matplotlib and ipywidgets, for :mod:`lrlib.explore`
``lrlib[train]``          scikit-learn (the digits data of :mod:`lrlib.train`)
``lrlib[distributed]``    psutil, for :mod:`lrlib.distributed`
``lrlib[accelerate]``     psutil and HF Accelerate, for :mod:`lrlib.accelerated`
``lrlib[book]``           all of the above and myst-nb (:func:`lrlib.report.glue`)
========================  ===========================================================

A module that needs a missing dependency raises the :class:`ImportError` that
:func:`missing_extra` builds, which names the extra to install.
"""

from __future__ import annotations

__all__ = ["EXTRAS", "missing_extra"]

#: The distributions each extra adds (the lower bounds in ``pyproject.toml``).
EXTRAS: dict[str, tuple[str, ...]] = {
    "plot": ("matplotlib",),
    "explore": ("matplotlib", "ipywidgets"),
    "train": ("scikit-learn",),
    "distributed": ("psutil",),
    "accelerate": ("psutil", "accelerate"),
    "book": (
        "matplotlib",
        "ipywidgets",
        "scikit-learn",
        "psutil",
        "accelerate",
        "myst-nb",
    ),
}


def missing_extra(feature: str, extra: str, error: ImportError) -> ImportError:
    """The error to raise when ``feature`` cannot import what ``lrlib[extra]`` adds.

    Use it as ``raise missing_extra("lrlib.plot", "plot", error) from error``; the
    message names the module that is missing and the command that installs it.
    """
    if extra not in EXTRAS:
        raise ValueError(f"extra must be one of {sorted(EXTRAS)}, got {extra!r}")
    missing = error.name or str(error)
    needs = ", ".join(EXTRAS[extra])
    return ImportError(
        f"{feature} needs {needs}, which the core install of lrlib leaves out "
        f"(the module {missing!r} is missing). Install the extra: "
        f"pip install 'lrlib[{extra}]' (or 'lrlib[book]', everything the book uses).",
        name=error.name,
    )
