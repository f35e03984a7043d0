"""Both repository settings of the book, in a real browser (tools/repository.py).

* With ``BOOK_REPOSITORY_URL`` set, a small copy of the book (``minibook.py``: the front
  pages and one chapter, stored outputs) shows the repository button, the Binder and
  Colab launch buttons built from that URL, and ``pip install ... git+URL`` lines.
* With none set, the pages have none of them and no placeholder left. This is checked on
  the last ``make book`` (``_build/html``, which ``make test`` builds without the
  variable); if the variable is set where the tests run, on a second small copy
  built without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from minibook import ROOT, build_mini_book
from static_server import StaticServer

playwright_api = pytest.importorskip("playwright.sync_api")
# One xdist worker runs this module (make browser uses --dist loadgroup), so its
# module-scoped fixture is set up once.
pytestmark = pytest.mark.xdist_group("repository")

URL = "https://github.com/example-owner/lr-schedules"
CHAPTER = ROOT / "chapters" / "19_schedules_and_the_optimizer.ipynb"
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
LAUNCHERS = ("https://mybinder.org", "https://colab.research.google.com")


def _links(browser, html: Path, page_path: str) -> tuple[list[str], str]:
    static = StaticServer(html)
    origin = static.origin
    context = browser.new_context()
    try:
        page = context.new_page()
        # Only the book's own files: the launch links are read, never followed.
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(origin)
                or route.request.url.startswith("data:")
                else route.abort()
            ),
        )
        page.goto(f"{origin}/{page_path}", wait_until="load")
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        text = page.evaluate("() => document.body.innerText")
        return hrefs, text
    finally:
        context.close()
        static.close()


@pytest.fixture(scope="module")
def with_url(tmp_path_factory) -> Path:
    return build_mini_book(
        tmp_path_factory.mktemp("with-url"), [CHAPTER], {"BOOK_REPOSITORY_URL": URL}
    )


@pytest.fixture(scope="module")
def without_url(tmp_path_factory) -> Path:
    if not os.environ.get("BOOK_REPOSITORY_URL"):
        if not (HTML / "chapters" / f"{CHAPTER.stem}.html").is_file():
            pytest.fail(f"no built book in {HTML}: run `make book` first")
        return HTML
    return build_mini_book(
        tmp_path_factory.mktemp("without-url"), [CHAPTER], {"BOOK_REPOSITORY_URL": ""}
    )


def test_with_a_repository_url(browser, with_url):
    hrefs, _ = _links(browser, with_url, f"chapters/{CHAPTER.stem}.html")
    assert URL in hrefs, "no repository button"
    for launcher in LAUNCHERS:
        launch = [h for h in hrefs if h.startswith(launcher)]
        assert launch, f"no {launcher} launch button"
        assert all("example-owner/lr-schedules" in h for h in launch), launch
        assert all(CHAPTER.name in h for h in launch), launch
    for page_path in ("intro.html", "using_lrlib.html"):
        _, text = _links(browser, with_url, page_path)
        assert f"git+{URL}" in text, f"{page_path}: no pip install git+ line"
        assert "REPOSITORY_URL" not in text, f"{page_path}: placeholder left"


def test_without_a_repository_url(browser, without_url):
    pages = ["intro.html", "using_lrlib.html", f"chapters/{CHAPTER.stem}.html"]
    for page_path in pages:
        hrefs, text = _links(browser, without_url, page_path)
        assert not [h for h in hrefs if h.startswith(LAUNCHERS)], page_path
        assert not [h for h in hrefs if "lrlib-book" in h], page_path
        assert "git+" not in text, f"{page_path}: a pip install git+ line"
        assert "REPOSITORY_URL" not in text, f"{page_path}: placeholder left"
