"""Sphinx extension: the ``{schedule-gallery}`` directive of the landing page.

It renders one thumbnail per schedule in :data:`lrlib.gallery.GALLERY` at build time (so
the gallery shows what the current code computes) and lays them out as sphinx-design
cards, each linking to its chapter. Schedules whose chapter is not part of the book yet
are left out, so the gallery never links to a missing page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: Thumbnails go here, relative to the book's source folder (inside the build folder, so
#: git ignores them).
THUMBNAILS = Path("_build") / ".gallery"


class ScheduleGallery(SphinxDirective):
    """Insert a grid of schedule thumbnails, each a card linking to its chapter."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from lrlib.gallery import GALLERY, render_thumbnail

        folder = Path(self.env.srcdir) / THUMBNAILS
        lines = ["````{grid} 2 3 4 4", ":gutter: 2", ""]
        for index, item in enumerate(GALLERY):
            if item.chapter not in self.env.found_docs:
                continue
            render_thumbnail(item, folder / f"{item.key}.png", color_index=index)
            lines += [
                f"```{{grid-item-card}} {item.title}",
                f":link: {item.chapter}",
                ":link-type: doc",
                f":img-top: /{THUMBNAILS.as_posix()}/{item.key}.png",
                f":img-alt: {item.title}: learning rate against step",
                ":class-card: schedule-card",
                "```",
            ]
        lines.append("````")
        container = nodes.container(classes=["schedule-gallery"])
        self.state.nested_parse(
            StringList(lines, source=self.get_source_info()[0]),
            self.content_offset,
            container,
        )
        return [container]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("schedule-gallery", ScheduleGallery)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
