"""Normalise executed notebooks before they are committed (``make notebook`` runs this).

* every notebook gets the same ``kernelspec`` (``python3``), so JupyterLab opens it
  without asking and without marking it changed;
* volatile metadata goes: per-cell execution timestamps, and the ``collapsed``/
  ``scrolled`` flags a Lab session leaves behind;
* consecutive stream outputs of one cell are merged into one (what JupyterLab does when
  it saves), so opening and saving a notebook in Lab does not rewrite its outputs;
* a cell tagged ``hide-cell`` (an exercise's solution) is also collapsed in Lab, through
  Jupyter's own ``jupyter.source_hidden``/``outputs_hidden`` metadata.

Usage: ``python tools/normalize_notebook.py chapters/xx.ipynb [...]``; ``--check`` only
reports the notebooks that would change (exit status 1 if any).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat

KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}
VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled")


def _merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and out.get("output_type") == "stream"
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = prev["text"] + out["text"]
            continue
        merged.append(out)
    return merged


def normalize(nb: dict[str, Any]) -> dict[str, Any]:
    """Return ``nb`` normalised in place (see the module docstring)."""
    nb.setdefault("metadata", {})["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.get("cells", []):
        meta = cell.setdefault("metadata", {})
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = _merge_streams(cell.get("outputs", []))
        jupyter = meta.get("jupyter", {})
        if "hide-cell" in meta.get("tags", []):
            jupyter.update(source_hidden=True, outputs_hidden=True)
        else:
            jupyter.pop("source_hidden", None)
            jupyter.pop("outputs_hidden", None)
        if jupyter:
            meta["jupyter"] = jupyter
        else:
            meta.pop("jupyter", None)
    return nb


def _dump(nb: Any) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    if not paths:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    changed = []
    for path in paths:
        before = path.read_text(encoding="utf-8")
        after = _dump(normalize(nbformat.reads(before, as_version=4)))
        if after != before:
            changed.append(path)
            if not check:
                path.write_text(after, encoding="utf-8")
    if check and changed:
        for path in changed:
            print(f"{path}: not normalised (run make notebook NB={path})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
