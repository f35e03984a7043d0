"""The "Using lrlib in your project" page runs as written.

Its ``python`` code blocks run in order in one namespace, as a reader pasting them
would; a ``text`` block right after one is what that block prints, exactly.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "using_lrlib.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(PAGE.read_text())]


def test_the_page_has_code_and_outputs():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("python") >= 4 and kinds.count("text") >= 3
    for i, kind in enumerate(kinds):
        if kind == "text":
            assert kinds[i - 1] == "python", "a text block follows the code it shows"


def test_every_python_block_runs_and_prints_what_the_page_shows():
    namespace: dict[str, object] = {"__name__": "using_lrlib"}
    code = blocks()
    for i, (kind, source) in enumerate(code):
        if kind != "python":
            continue
        out = io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"{PAGE.name} block {i}", "exec"), namespace)
        shown = code[i + 1][1] if i + 1 < len(code) and code[i + 1][0] == "text" else ""
        assert out.getvalue() == shown, f"block {i} printed {out.getvalue()!r}"


def test_code_lines_fit_the_page():
    for _kind, source in blocks():
        for line in source.splitlines():
            assert len(line) <= 88, line
