"""``jupyter-book build`` with Sphinx's parallel read: notebooks execute on every core.

Jupyter Book 1.x has no ``--jobs`` option, but its ``build_sphinx`` takes ``jobs``. This
runs the ordinary command line (same options, same output) with ``jobs`` set from the
``BOOK_JOBS`` environment variable (default: the number of CPUs available).

Sphinx reads in parallel only if every extension says it may. Two that Jupyter Book
loads declare nothing, and both are safe for this HTML build, so they are declared safe
here:

* ``sphinx_multitoc_numbering`` 0.1.3 only replaces the section-numbering step, which
  runs in the main process after all documents are read;
* ``sphinx_jupyterbook_latex`` 1.0 adds nodes and per-document transforms that act only
  for LaTeX builders.

``BOOK_EXECUTE`` (``off``, ``force``, ``auto``, ``cache`` or ``inline``), when set,
overrides ``execute.execute_notebooks`` of ``_config.yml`` for this build only.
``make test`` builds with ``BOOK_EXECUTE=off``: nbval has just shown that the stored
outputs are what a fresh run prints, so the strict build renders them instead of
running every notebook a fourth time. ``make book`` leaves it unset and so executes
every notebook.

Usage: ``python tools/build_book.py build . --warningiserror --keep-going``
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Any, Callable

from jupyter_book import sphinx as jb_sphinx
from jupyter_book.cli import main as jb_main

DECLARED_SAFE = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")
EXECUTE_MODES = ("off", "force", "auto", "cache", "inline")


def _jobs() -> int:
    value = os.environ.get("BOOK_JOBS", "")
    if not value:
        return max(1, len(os.sched_getaffinity(0)))
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"BOOK_JOBS must be a positive integer, got {value!r}")
    return int(value)


def _confoverrides() -> dict[str, Any]:
    mode = os.environ.get("BOOK_EXECUTE", "")
    if not mode:
        return {}
    if mode not in EXECUTE_MODES:
        raise SystemExit(f"BOOK_EXECUTE must be one of {EXECUTE_MODES}, got {mode!r}")
    return {"nb_execution_mode": mode}


def _build_sphinx(build: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    overrides = _confoverrides()
    if overrides:
        kwargs["confoverrides"] = {**(kwargs.get("confoverrides") or {}), **overrides}
    return build(*args, jobs=_jobs(), **kwargs)


def _declared_safe(setup: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    @functools.wraps(setup)
    def wrapper(app: Any) -> dict[str, Any]:
        meta = dict(setup(app) or {})
        meta.update(parallel_read_safe=True, parallel_write_safe=True)
        return meta

    return wrapper


if __name__ == "__main__":
    for name in DECLARED_SAFE:
        module = importlib.import_module(name)
        module.setup = _declared_safe(module.setup)  # type: ignore[attr-defined]
    # The command imports build_sphinx from jupyter_book.sphinx when it runs.
    jb_sphinx.build_sphinx = functools.partial(_build_sphinx, jb_sphinx.build_sphinx)
    sys.exit(jb_main.main())
