"""Chapters opened in a real JupyterLab (headless Chromium driven by Playwright).

The test starts JupyterLab from ``.venv`` on a free port (no token; ``--allow-root``
when run as root), on a copy of the chapters in a temporary folder so that nothing it
does can touch the committed notebooks, with its own settings, workspaces and runtime
folders, and stops it (and the kernels it started) afterwards. For each chapter in
:data:`CHAPTERS` it checks what a reader sees with ``jupyterlab-myst`` installed:

* every markdown cell is rendered and no raw MyST shows: no ``{term}``, ``{cite}`` or
  ``:::`` text, and each ``{term}`` has become a link;
* every ``:::{dropdown}`` solution is a closed ``<details>``, and every ``hide-cell``
  solution is collapsed (source and outputs) by its ``source_hidden``/``outputs_hidden``
  metadata;
* opening the notebook does not mark it changed (kernelspec and metadata as Lab wants).

It also checks that the ``python3`` kernel spec Lab offers carries the Makefile's
thread setting, so a kernel started by hand-run ``jupyter lab`` computes as the book.
Screenshots go to ``_build/screenshots/lab__<chapter>.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
# One xdist worker runs this module (make browser uses --dist loadgroup), so its
# module-scoped fixture is set up once.
pytestmark = pytest.mark.xdist_group("lab")

ROOT = Path(__file__).resolve().parents[2]
JUPYTER = ROOT / ".venv" / "bin" / "jupyter"
SCREENSHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", ROOT / "_build" / "screenshots"))
# A chapter with every construct checked here: terms, citations, a dropdown solution and
# a hide-cell solution (one, to keep the test under a minute; 11 passes too).
CHAPTERS = ["17_distributed_data_parallel.ipynb"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not JUPYTER.exists():
        pytest.fail(f"no {JUPYTER}: run `make setup`")
    tmp = tmp_path_factory.mktemp("lab")
    (tmp / "root" / "chapters").mkdir(parents=True)
    for name in CHAPTERS:
        shutil.copy2(ROOT / "chapters" / name, tmp / "root" / "chapters" / name)
    # Every cell in the DOM (no windowing), so cells far down the page can be checked.
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = _free_port()
    cmd = [
        str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", "--IdentityProvider.token=",
        "--ServerApp.password=", f"--ServerApp.root_dir={tmp / 'root'}",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ)
    # Only .venv's kernel specs and settings count, not those of whoever runs the test.
    for name in ("config", "data", "runtime"):
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp / name)
    log = (tmp / "lab.log").open("w")
    server = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited:\n{(tmp / 'lab.log').read_text()}")
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 60 s")
                time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        log.close()


def test_kernel_spec_carries_the_book_settings(lab):
    with urllib.request.urlopen(f"{lab}/api/kernelspecs", timeout=10) as response:
        specs = json.load(response)
    spec = specs["kernelspecs"]["python3"]["spec"]
    assert spec.get("env", {}).get("OMP_NUM_THREADS") == "1", (
        "the python3 kernel spec in .venv has no OMP_NUM_THREADS=1: run `make kernel`"
    )


_CELLS = """() => Array.from(
    document.querySelectorAll('.jp-Notebook .jp-Cell')
).map(c => ({
    markdown: c.classList.contains('jp-MarkdownCell'),
    rendered: c.classList.contains('jp-mod-rendered'),
    inputCollapsed: c.querySelectorAll('.jp-InputPlaceholder').length > 0,
    outputCollapsed: c.querySelectorAll('.jp-OutputPlaceholder').length > 0,
    details: Array.from(c.querySelectorAll('details')).map(d => d.open),
    links: c.querySelectorAll('.jp-RenderedMarkdown a, .myst a').length,
}))"""


_RENDERED = """n => {
    const nb = document.querySelector('.jp-Notebook');
    const text = nb.innerText;
    return nb.querySelectorAll('details').length >= n
        && !text.includes('{term}') && !text.includes('{cite}');
}"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_renders_myst_and_hides_solutions(lab, browser, chapter):
    nb = json.loads((ROOT / "chapters" / chapter).read_text(encoding="utf-8"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        # A workspace of its own: the page shows this notebook only.
        stem = Path(chapter).stem
        page.goto(f"{lab}/lab/workspaces/{stem}/tree/chapters/{chapter}")
        page.wait_for_selector(
            ".jp-Notebook .jp-MarkdownCell.jp-mod-rendered", timeout=60_000
        )
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= n",
            arg=len(nb["cells"]),
            timeout=30_000,
        )
        # The MyST renderer works cell by cell: wait until every dropdown is there and
        # no raw role is left (the assertions below say what is missing if not).
        markdown = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
        dropdowns = sum("".join(c["source"]).count("{dropdown}") for c in markdown)
        try:
            page.wait_for_function(_RENDERED, arg=dropdowns, timeout=30_000)
        except playwright_api.TimeoutError:
            pass
        page.wait_for_timeout(500)
        cells = page.evaluate(_CELLS)
        text = page.evaluate("() => document.querySelector('.jp-Notebook').innerText")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"lab__{stem}.png"))
        dirty = page.locator(".jp-mod-dirty").count()
    finally:
        context.close()

    assert len(cells) == len(nb["cells"])
    for raw in ("{term}", "{cite}", ":::"):
        assert raw not in text, f"raw MyST {raw!r} shows in Lab"
    n_dropdowns = 0
    for i, (cell, shown) in enumerate(zip(nb["cells"], cells)):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            assert shown["rendered"], f"markdown cell {i} is not rendered"
            assert shown["links"] >= source.count("{term}"), (
                f"cell {i}: {source.count('{term}')} terms, {shown['links']} links"
            )
            dropdowns = source.count("{dropdown}")
            n_dropdowns += dropdowns
            assert len(shown["details"]) >= dropdowns, (
                f"cell {i}: dropdown not rendered"
            )
            assert not any(shown["details"]), f"cell {i}: a dropdown is open"
        if "hide-cell" in cell.get("metadata", {}).get("tags", []):
            assert shown["inputCollapsed"], f"hide-cell cell {i}: source shown"
            if cell.get("outputs"):
                assert shown["outputCollapsed"], f"hide-cell cell {i}: outputs shown"
    assert n_dropdowns >= 1, f"{chapter} has no dropdown solution to check"
    assert dirty == 0, "opening the notebook in Lab marked it changed"
