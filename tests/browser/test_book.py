"""The built book in a real browser (headless Chromium driven by Playwright).

Run after ``make book`` (``make browser`` does both in order). For every page of
``_build/html`` it checks that the page loads with no console error, no failed request
and no request to another origin; that math is typeset and every image loads; and that
moving each explorer slider changes the figure shown, with no kernel (on the same
visit). A screenshot of every page is saved under ``_build/screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from static_server import StaticServer

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", ROOT / "_build" / "screenshots"))


def _pages() -> list[str]:
    if not (HTML / "index.html").is_file():
        return []
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.glob("*.html"))
    pages += sorted(
        p.relative_to(HTML).as_posix() for p in (HTML / "chapters").glob("*.html")
    )
    return pages


PAGES = _pages()


@pytest.fixture(scope="module")
def server():
    if not PAGES:
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    static = StaticServer(HTML)
    yield static.origin
    static.close()


class Visit:
    """One page opened in a fresh context, with every problem the browser reports
    recorded."""

    def __init__(self, browser, server: str, page_path: str) -> None:
        self.origin = urlparse(server).netloc
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block"
        )
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"),
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})")
        )
        self.page.on(
            "response",
            lambda r: (
                r.status >= 400 and self.failed.append(f"{r.url} (HTTP {r.status})")
            ),
        )
        self.page.goto(f"{server}/{page_path}", wait_until="load")
        # The API reference is one long page of typeset math: give it longer to settle.
        self.page.wait_for_load_state("networkidle", timeout=120_000)

    def _route(self, route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == self.origin:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened: list[Visit] = []

    def open_page(page_path: str) -> Visit:
        v = Visit(browser, server, page_path)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_and_renders(visit, page_path):
    v = visit(page_path)
    page = v.page
    # Math: every math element Sphinx emitted has been typeset by the local MathJax.
    n_math = page.locator("span.math, div.math").count()
    if n_math:
        page.wait_for_function(
            "n => document.querySelectorAll('mjx-container').length >= n",
            arg=n_math,
            timeout=20_000,
        )
        leftovers = page.locator(
            "span.math:not(:has(mjx-container)), div.math:not(:has(mjx-container))"
        )
        assert leftovers.count() == 0, (
            f"{leftovers.count()} math elements were not typeset"
        )
    # Widgets: give the widget manager time to render the embedded state before looking
    # at images.
    if page.locator("script[type='application/vnd.jupyter.widget-view+json']").count():
        page.wait_for_selector(
            ".jupyter-widgets img, .widget-image", state="attached", timeout=20_000
        )
    page.wait_for_load_state("networkidle")
    broken = page.evaluate(
        """() => Array.from(document.images)
                .filter(img => !(img.complete && img.naturalWidth > 0))
                .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 80))"""
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(
            SCREENSHOTS / (page_path.replace("/", "__").removesuffix(".html") + ".png")
        ),
        full_page=True,
    )
    assert v.foreign == [], f"requests to other origins: {v.foreign}"
    assert v.failed == [], f"failed requests: {v.failed}"
    assert v.errors == [], f"console errors: {v.errors}"
    assert broken == [], f"images that did not load: {broken}"
    # The explorers, on the same visit (one page load per page).
    if page.locator("script[type='application/vnd.jupyter.widget-view+json']").count():
        check_explorer_sliders(page)
        assert v.errors == [], f"console errors after moving the sliders: {v.errors}"


_VISIBLE_FRAME = """slider => {
    // The explorer is the nearest ancestor holding both this slider and its frames.
    let box = slider;
    while (box && !box.querySelector('img.widget-image')) box = box.parentElement;
    if (!box) return null;
    const shown = Array.from(box.querySelectorAll('img.widget-image'))
        .filter(img => img.offsetParent !== null);
    return shown.map(img => img.src).join(' ');
}"""


def check_explorer_sliders(page) -> None:
    """Every explorer slider on the page moves and changes the figure shown next to
    it, with no kernel (the embedded widget state and the browser-side links)."""
    page.wait_for_selector(
        ".widget-slider [role=slider], .jupyter-widgets [role=slider]", timeout=20_000
    )
    handles = page.locator(".jupyter-widgets [role=slider]")
    assert handles.count() > 0, "the page embeds widgets but no slider rendered"
    for i in range(handles.count()):
        handle = handles.nth(i)
        handle.scroll_into_view_if_needed()
        before = handle.evaluate(_VISIBLE_FRAME)
        assert before, f"slider {i} has no frame shown next to it"
        value = handle.get_attribute("aria-valuenow")
        handle.focus()
        handle.press("ArrowRight")
        if handle.get_attribute("aria-valuenow") == value:  # already at the last value
            handle.press("ArrowLeft")
        assert handle.get_attribute("aria-valuenow") != value, (
            f"slider {i} did not move"
        )
        page.wait_for_timeout(100)
        after = handle.evaluate(_VISIBLE_FRAME)
        assert after and after != before, f"moving slider {i} did not change the figure"


def test_gallery_cards_link_to_their_chapters(visit):
    v = visit("intro.html")
    cards = v.page.locator(".schedule-gallery .sd-card")
    assert cards.count() >= 10, "the landing page shows the schedule gallery"
    hrefs = v.page.eval_on_selector_all(
        ".schedule-gallery a.sd-stretched-link", "links => links.map(a => a.href)"
    )
    assert len(hrefs) == cards.count()
    for href in set(hrefs):
        assert "/chapters/" in href
        assert v.page.request.get(href).status == 200, href
    thumbnails = v.page.eval_on_selector_all(
        ".schedule-gallery img",
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length",
    )
    assert thumbnails == cards.count()
