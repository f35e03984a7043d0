"""Sphinx extension: every explorer's starting frame as a static image in the HTML.

An explorer (:func:`lrlib.explore`) is a widget: the page shows it only once JavaScript
has run the widget manager on the state embedded in the page. Without JavaScript, and
when the page is printed, a reader would see nothing where the figure is. This
extension puts, next to each explorer's widget view, the frame its sliders start at
(taken from the notebook's saved widget state, the same PNG the widget shows first) and
a line naming the slider values, inside ``<div class="lrlib-explorer-html">``:

* the static frame shows until the widget manager has rendered the explorer (CSS
  ``:has()``: the live widget then hides it), so a page without JavaScript still has the
  figure;
* in print, the static frame shows and the sliders do not (they cannot move on paper).

It runs as a post-transform just before myst-nb picks one output format per output,
and only for HTML builders. Widgets that are not explorers are left alone.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The class of every explorer's outer box (``lrlib.explore.DOM_CLASS``).
EXPLORER_CLASS = "lrlib-explorer"
CSS_FILE = "lrlib-explorer.css"
CSS = """\
/* Written by tools/explorer_static.py: an explorer's static frame, for pages without
   JavaScript and for print; the live widget replaces it on screen. */
.lrlib-explorer-static img { max-width: 100%; height: auto; }
.lrlib-explorer-static p { font-size: 0.85em; color: #555; margin: 0.2em 0 0.8em; }
.lrlib-explorer-html:has(.widget-subarea .widget-image) > .lrlib-explorer-static {
  display: none;
}
@media print {
  .lrlib-explorer-html > .lrlib-explorer-static { display: block !important; }
  .lrlib-explorer-html > .widget-subarea { display: none !important; }
}
"""


def _widget_state(env: Any, docname: str) -> dict[str, Any]:
    """The saved widget models of a notebook page, by model id (empty if none)."""
    js_files = getattr(env, "nb_metadata", {}).get(docname, {}).get("js_files", {})
    entry = js_files.get("ipywidgets_state")
    if not entry:
        return {}
    _, kwargs = entry
    try:
        state = json.loads(kwargs.get("body", "{}"))
    except json.JSONDecodeError:
        return {}
    return state.get("state", {}) if isinstance(state, dict) else {}


def _model(state: dict[str, Any], ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, str):
        return None
    model = state.get(ref.removeprefix("IPY_MODEL_"))
    return model if isinstance(model, dict) else None


def starting_frame(
    state: dict[str, Any], model_id: str
) -> tuple[str, list[tuple[str, str]]] | None:
    """The base64 PNG an explorer shows first and its sliders' ``(name, value)``
    labels; ``None`` if ``model_id`` is not an explorer."""
    box = _model(state, model_id)
    if box is None or EXPLORER_CLASS not in box.get("state", {}).get(
        "_dom_classes", []
    ):
        return None
    found = [_model(state, ref) for ref in box["state"].get("children", [])]
    children = [child for child in found if child is not None]
    if not children or len(children) != len(found):
        return None
    sliders: list[tuple[str, str]] = []
    for slider in children[:-1]:
        labels = slider["state"].get("_options_labels", [])
        index = slider["state"].get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            sliders.append((str(slider["state"].get("description", "")), labels[index]))
    node: dict[str, Any] | None = children[-1]
    while node is not None and node.get("model_name") == "StackModel":
        index = node["state"].get("selected_index")
        refs = node["state"].get("children", [])
        if not isinstance(index, int) or not 0 <= index < len(refs):
            return None
        node = _model(state, refs[index])
    if node is None or node.get("model_name") != "ImageModel":
        return None
    for buffer in node.get("buffers", []):
        if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
            return str(buffer["data"]), sliders
    return None


def static_html(png_base64: str, sliders: list[tuple[str, str]]) -> str:
    """The static frame and its caption, as HTML."""
    shown = ", ".join(f"{name} = {value}" for name, value in sliders)
    alt = f"Explorer figure at {shown}" if shown else "Explorer figure"
    caption = (
        f"Static view at {shown}. With JavaScript, sliders let you change these."
        if shown
        else "Static view. With JavaScript, sliders let you change it."
    )
    return (
        '<div class="lrlib-explorer-static">'
        f'<img src="data:image/png;base64,{png_base64}" alt="{html.escape(alt)}">'
        f"<p>{html.escape(caption)}</p></div>"
    )


class ExplorerStaticFrame(SphinxPostTransform):
    """Wrap each explorer's widget view with its static starting frame."""

    # myst-nb's SelectMimeType runs at 4 and keeps one mime type per output.
    default_priority = 3
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        state = _widget_state(self.env, self.env.docname)
        if not state:
            return
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            for view in bundle.children:
                if not (
                    isinstance(view, nodes.container)
                    and view.get("mime_type") == WIDGET_VIEW
                ):
                    continue
                for raw in list(view.findall(nodes.raw)):
                    self._wrap(raw, state)

    def _wrap(self, raw: nodes.raw, state: dict[str, Any]) -> None:
        text = raw.astext()
        start, end = text.find(">") + 1, text.rfind("</script>")
        try:
            model_id = json.loads(text[start:end]).get("model_id")
        except (json.JSONDecodeError, AttributeError):
            return
        found = starting_frame(state, model_id) if model_id else None
        if found is None:
            return
        body = (
            '<div class="lrlib-explorer-html">' + static_html(*found) + text + "</div>"
        )
        raw.replace_self(nodes.raw("", body, format="html"))


def _write_css(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / CSS_FILE).write_text(CSS, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(ExplorerStaticFrame)
    app.add_css_file(CSS_FILE)
    app.connect("build-finished", _write_css)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
