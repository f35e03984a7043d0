"""House rules every committed chapter notebook keeps (checked on the files, unrun)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TOC = (ROOT / "_toc.yml").read_text()
GLOSSARY_TERMS = {
    line.strip().lower()
    for line in (ROOT / "glossary.md").read_text().splitlines()
    if line and not line.startswith((" ", ":", "#", "`", "Each", "usually", "{", "-"))
}
BIB_KEYS = set(
    re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), flags=re.M)
)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _markdown(path: Path) -> str:
    return "\n".join(
        "".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_committed_with_a_clean_run(path):
    assert path.stat().st_size < 3 * 1024 * 1024, "a notebook stays under 3 MB"
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        "run top to bottom in a fresh kernel (make notebook)"
    )
    for cell in code:
        for output in cell["outputs"]:
            assert output.get("name") != "stderr", (
                f"stderr output in cell {counts.index(cell['execution_count'])}"
            )
            assert output["output_type"] != "error"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_in_the_toc_with_exercises_and_solutions(path):
    assert f"file: chapters/{path.stem}" in TOC
    text = _markdown(path)
    assert "## Exercises" in text
    hidden = (
        any("hide-cell" in c["metadata"].get("tags", []) for c in _cells(path))
        or "{dropdown}" in text
    )
    assert hidden, "exercises come with hidden solutions"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_terms_citations_and_links_resolve(path):
    text = _markdown(path)
    for role in re.findall(r"\{term\}`([^`]+)`", text):
        target = re.search(r"<([^>]+)>", role)
        term = (target.group(1) if target else role).strip().lower()
        assert term in GLOSSARY_TERMS, f"{{term}} {term!r} is not in glossary.md"
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
        for key in group.split(","):
            assert key.strip() in BIB_KEYS, (
                f"citation {key.strip()!r} is not in references.bib"
            )
    for link in re.findall(r"\]\(([0-9]{2}_[a-z0-9_]+\.ipynb)", text):
        assert (ROOT / "chapters" / link).is_file(), f"link to a missing chapter {link}"


def test_every_glossary_term_gives_its_japanese_and_korean_names():
    body = (
        (ROOT / "glossary.md")
        .read_text()
        .split("```{glossary}", 1)[1]
        .split("\n```", 1)[0]
    )
    entries = re.split(r"\n(?=\S)", body.strip())
    assert len(entries) == len(GLOSSARY_TERMS)
    for entry in entries:
        term, _, definition = entry.partition("\n")
        assert re.search(r"ja: \S", definition) and re.search(r"ko: \S", definition), (
            term
        )


def test_every_glossary_term_is_linked_from_a_chapter():
    linked = set()
    for path in CHAPTERS:
        for role in re.findall(r"\{term\}`([^`]+)`", _markdown(path)):
            target = re.search(r"<([^>]+)>", role)
            linked.add((target.group(1) if target else role).strip().lower())
    assert GLOSSARY_TERMS - linked == set()


def _shown(path: Path) -> str:
    """Everything a notebook's code and outputs print (streams, text, glued text)."""
    parts = []
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for mime, value in out.get("data", {}).items():
                if mime.endswith("text/plain"):
                    parts.append("".join(value))
    return "\n".join(parts)


#: What in a markdown cell is not a typed figure: glue roles, math, inline code, links.
_NOT_PROSE = re.compile(
    r"\{glue[:\w]*\}`[^`]*`|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`|\]\([^)]*\)|\{cite[:\w]*\}`[^`]*`",
    flags=re.S,
)
#: A decimal or a percentage typed into prose.
_FIGURE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%|(?<![\w.])\d+\.\d+(?![\w.])")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_prose_figures_come_from_the_run(path):
    """A decimal or percentage in the prose is glued, or printed by the notebook.

    The book is rebuilt (and re-executed) on other machines; a figure typed into the
    prose from one run would drift from what the page's outputs show.
    """
    prose = _NOT_PROSE.sub(" ", _markdown(path))
    shown = _shown(path)
    typed = sorted({m for m in _FIGURE.findall(prose) if m not in shown})
    assert not typed, f"glue these figures or print them: {', '.join(typed[:20])}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_kernelspec_and_lrlib_imported_first(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert re.search(r"^(import lrlib|from lrlib)", "".join(first["source"]), re.M), (
        "the first code cell imports lrlib (the one-ulp canary hooks in on import)"
    )


def _png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_fit_the_page_column(path):
    """Figures are at most the text column's width, so the page never shrinks their text
    (``lrlib.plot.use_book_style()``: PAGE_WIDTH inches at DPI)."""
    import base64

    nb = json.loads(path.read_text())
    widths = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                widths.append(_png_width(base64.b64decode("".join(png))))
    state = nb["metadata"].get("widgets", {})
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for model in models.values():  # explorer frames
        if model.get("model_name") == "ImageModel":
            for buffer in model.get("buffers", []):
                if (
                    buffer.get("path") == ["value"]
                    and buffer.get("encoding") == "base64"
                ):
                    widths.append(_png_width(base64.b64decode(buffer["data"])))
    too_wide = [w for w in widths if w > 720]
    assert not too_wide, f"{len(too_wide)} figures wider than 720 px: {too_wide[:8]}"
