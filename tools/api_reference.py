"""Sphinx extension: the API reference of lrlib, generated from its docstrings, and
the links between it and the chapters.

* ``.. lrlib-api::`` (inside ``{eval-rst}`` in ``api.md``) writes one section per public
  module of lrlib (every ``lrlib.<name>`` whose name has no leading underscore, found
  at build time, so a new module appears without editing anything), each an
  ``automodule`` over the module's ``__all__``; the package section lists what
  ``import lrlib`` gives and where each name is documented.
* Every documented name gets a "Used in" line naming the chapters whose code uses it
  (found by reading the chapters' code cells with :mod:`ast`, imports and aliases
  followed: ``from lrlib import plot as lp`` then ``lp.plot_runs``).
* In the chapters' prose, inline code that names a documented object (``lrlib.wsd_lr``,
  ``lrlib.train.fit(...)``) becomes a link to its entry, so the chapters link to the
  reference without any markup in their sources.

``python tools/api_reference.py`` prints, chapter by chapter, the lrlib names each one
uses.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

PACKAGE = "lrlib"
#: The page of the reference (its docname), for the "see the reference" links.
API_DOC = "api"
_DOTTED = re.compile(r"^lrlib(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


def public_modules() -> list[str]:
    """``lrlib`` and every ``lrlib.<name>`` module without a leading underscore."""
    package = importlib.import_module(PACKAGE)
    names = [
        f"{PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    return [PACKAGE, *sorted(names)]


def _public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [str(n) for n in names]


class Catalog:
    """Every documented object of lrlib, by canonical name.

    A class or function is documented in the module that defines it (its
    ``__module__``) when that module's ``__all__`` lists it; anything else a public
    module's ``__all__`` lists (a constant) is documented in that module.
    """

    def __init__(self) -> None:
        self.names: set[str] = set(public_modules())
        self._by_id: dict[int, str] = {}
        self._keep: list[Any] = []  # the objects whose ids are keys
        for modname in public_modules():
            if modname == PACKAGE:
                continue
            module = importlib.import_module(modname)
            for name in _public_names(module):
                obj = getattr(module, name, None)
                if _is_code(obj):
                    if getattr(obj, "__module__", None) != modname:
                        continue  # imported here, documented where it is defined
                    self._by_id.setdefault(id(obj), f"{modname}.{name}")
                    self._keep.append(obj)
                self.names.add(f"{modname}.{name}")

    def of(self, obj: Any) -> str | None:
        """The canonical name of a documented class or function."""
        return self._by_id.get(id(obj)) if _is_code(obj) else None


def _is_code(obj: Any) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj)


def resolve(dotted: str, catalog: Catalog) -> str | None:
    """The canonical documented name ``dotted`` refers to, or ``None``.

    ``lrlib.step_lr`` gives ``lrlib.schedules.step_lr``; a module gives its own name;
    a method of a documented class gives the class's name plus the method's.
    """
    if not _DOTTED.match(dotted):
        return None
    parts = dotted.split(".")
    obj: Any = importlib.import_module(PACKAGE)
    owner = PACKAGE
    for i, part in enumerate(parts[1:], start=1):
        child = getattr(obj, part, None)
        if child is None:
            try:
                child = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                return None
        if inspect.isclass(obj) and i == len(parts) - 1:
            home = catalog.of(obj)  # a method or attribute of a documented class
            candidate = f"{home}.{part}" if home else None
            return candidate if candidate and not part.startswith("_") else None
        if inspect.ismodule(child):
            owner = child.__name__
        elif i < len(parts) - 1 and not inspect.isclass(child):
            return None
        obj = child
    if inspect.ismodule(obj):
        return obj.__name__ if obj.__name__ in catalog.names else None
    canonical = catalog.of(obj)
    if canonical:
        return canonical
    candidate = f"{owner}.{parts[-1]}"
    return candidate if candidate in catalog.names else None


def _code_cells(path: Path) -> list[str]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            # IPython magics and shell escapes are not Python
            lines = [ln for ln in text.splitlines() if ln.lstrip()[:1] not in "%!"]
            cells.append("\n".join(lines))
    return cells


def names_used(path: Path) -> set[str]:
    """The dotted lrlib names a notebook's code cells use, aliases followed."""
    aliases: dict[str, str] = {}
    used: set[str] = set()
    for source in _code_cells(path):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        if alias.asname:
                            aliases[alias.asname] = alias.name
                            used.add(alias.name)
                        else:
                            aliases[PACKAGE] = PACKAGE
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] == PACKAGE and node.level == 0:
                    for alias in node.names:
                        full = f"{node.module}.{alias.name}"
                        aliases[alias.asname or alias.name] = full
                        used.add(full)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain = []
                inner: ast.expr = node
                while isinstance(inner, ast.Attribute):
                    chain.append(inner.attr)
                    inner = inner.value
                if isinstance(inner, ast.Name) and inner.id in aliases:
                    base = aliases[inner.id]
                    for k in range(len(chain), 0, -1):
                        used.add(".".join([base, *reversed(chain[k - 1 :])]))
    return used


def usage(srcdir: Path, docnames: list[str], catalog: Catalog) -> dict[str, list[str]]:
    """For each documented name, the docnames (notebooks) whose code uses it."""
    found: dict[str, set[str]] = defaultdict(set)
    for docname in docnames:
        path = srcdir / f"{docname}.ipynb"
        if not path.is_file():
            continue
        for dotted in names_used(path):
            canonical = resolve(dotted, catalog)
            if canonical:
                found[canonical].add(docname)
    return {name: sorted(docs) for name, docs in found.items()}


def _module_rst(modname: str, catalog: Catalog) -> list[str]:
    title = f"``{modname}``"
    lines = [title, "-" * len(title), ""]
    if modname == PACKAGE:
        package = importlib.import_module(PACKAGE)
        lines += [
            f".. automodule:: {PACKAGE}",
            "   :no-members:",
            "",
            "``import lrlib`` gives these names; each is documented in its module:",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - name",
            "     - documented as",
        ]
        for name in _public_names(package):
            canonical = resolve(f"{PACKAGE}.{name}", catalog)
            target = f":py:obj:`{canonical}`" if canonical else "(not documented)"
            lines += [f"   * - ``lrlib.{name}``", f"     - {target}"]
        return lines + [""]
    return lines + [
        f".. automodule:: {modname}",
        "   :members:",
        "   :undoc-members:",
        "   :member-order: bysource",
        "",
    ]


class LrlibApi(SphinxDirective):
    """One section per public module of lrlib, documented from its docstrings."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        catalog = _catalog(self.env.app)
        lines: list[str] = []
        for modname in public_modules():
            lines += _module_rst(modname, catalog)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(
            self.state, StringList(lines, source="lrlib-api"), container
        )
        return list(container.children)


def _collect_usage(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Before the documents are read (in the main process, so parallel readers share
    it): which chapter uses which name."""
    catalog = _catalog(app)
    used = usage(Path(app.srcdir), sorted(env.found_docs), catalog)
    app._lrlib_usage = used  # type: ignore[attr-defined]


def _catalog(app: Sphinx) -> Catalog:
    catalog = getattr(app, "_lrlib_catalog", None)
    if catalog is None:
        catalog = app._lrlib_catalog = Catalog()  # type: ignore[attr-defined]
    return catalog


_BORDER = re.compile(r"^(\s*)(=+)((?:\s+=+)+)\s*$")


def _widen_simple_tables(name: str, lines: list[str]) -> None:
    """Widen a simple table's columns where an entry runs past its border.

    docutils rejects such a table ("Malformed table") and the strict build would fail
    on a layout slip in a docstring; the text itself is left as it is.
    """
    borders = [i for i, line in enumerate(lines) if _BORDER.match(line)]
    for start, end in zip(borders[::2], borders[1::2]):
        spans = [m.span() for m in re.finditer(r"=+", lines[start])]
        rows = lines[start + 1 : end]
        gaps = [(spans[k][1], spans[k + 1][0]) for k in range(len(spans) - 1)]
        if not any(row[a:b].strip() for row in rows for a, b in gaps):
            continue
        table = []
        for row in rows:
            cells, pos = [], spans[0][0]
            for k in range(len(spans) - 1):
                if row[pos : pos + 1] in ("", " "):
                    cells.append("")
                    pos = spans[k + 1][0]
                    continue
                cut = row.find("  ", pos)
                if cut == -1 or cut > spans[k + 1][0]:  # ran on: the next blank ends it
                    cut = row.find(" ", spans[k][1] - 1)
                cut = len(row) if cut == -1 else cut
                cells.append(row[pos:cut])
                pos = max(cut, spans[k + 1][0])
                while row[pos : pos + 1] == " ":
                    pos += 1
            cells.append(row[pos:].rstrip())
            table.append(cells)
        widths = [
            max([b - a] + [len(cells[k]) for cells in table])
            for k, (a, b) in enumerate(spans)
        ]
        indent = " " * spans[0][0]
        border = indent + "  ".join("=" * w for w in widths)
        new_rows = [
            (indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()
            for cells in table
        ]
        lines[start : end + 1] = [border, *new_rows, border]
        logger.info(
            f"api_reference: widened a table in the docstring of {name} "
            "(an entry ran past its column border)"
        )


def _add_used_in(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    _widen_simple_tables(name, lines)
    used = getattr(app, "_lrlib_usage", {}).get(name)
    if not used:
        return
    links = ", ".join(f":doc:`/{docname}`" for docname in used)
    lines += ["", f"*Used in:* {links}", ""]


class LinkLrlibNames(SphinxTransform):
    """Inline code in a notebook's prose that names a documented lrlib object links
    to its entry in the reference."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        docname = self.env.docname
        if docname == API_DOC or not str(self.env.doc2path(docname)).endswith(".ipynb"):
            return
        catalog = _catalog(self.app)
        for literal in list(self.document.findall(nodes.literal)):
            if isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
                continue
            text = literal.astext().strip()
            head = text.split("(", 1)[0].strip()
            canonical = resolve(head, catalog) if head.startswith(PACKAGE) else None
            if not canonical:
                continue
            xref = addnodes.pending_xref(
                "",
                refdomain="py",
                reftype="mod" if canonical in public_modules() else "obj",
                reftarget=canonical,
                refexplicit=True,
                refwarn=False,
                refdoc=docname,
            )
            literal.replace_self(xref)
            xref += literal


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.napoleon")
    app.add_directive("lrlib-api", LrlibApi)
    app.connect("env-before-read-docs", _collect_usage)
    app.connect("autodoc-process-docstring", _add_used_in)
    app.add_transform(LinkLrlibNames)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    catalog = Catalog()
    chapters = sorted(p.stem for p in (root / "chapters").glob("*.ipynb"))
    for chapter in chapters:
        used = sorted(
            {
                c
                for d in names_used(root / "chapters" / f"{chapter}.ipynb")
                if (c := resolve(d, catalog)) and c not in public_modules()
            }
        )
        print(f"{chapter}: {', '.join(n.removeprefix('lrlib.') for n in used)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
