"""Sphinx extension: the book's repository URL from one setting, read at build time.

The book has no fixed home: a fork, a mirror or a private copy each has its own. Set
``BOOK_REPOSITORY_URL`` (for example ``https://github.com/owner/lr-schedules``) when
building, and optionally ``BOOK_REPOSITORY_BRANCH`` (default ``main``):

* the page header gets the theme's repository button and, on every chapter, the
  Binder and Colab launch buttons, built from that URL;
* content inside ``{with-repository}`` blocks is shown, with ``REPOSITORY_URL`` and
  ``REPOSITORY_BRANCH`` replaced by the settings (the ``pip install git+...`` lines);
  content inside ``{without-repository}`` blocks is dropped.

With no URL set, the book builds without repository or launch buttons, the
``{with-repository}`` blocks are dropped and the ``{without-repository}`` ones shown.
The download button (the chapter's ``.ipynb`` with its outputs) needs no repository and
is always there. ``_config.yml`` leaves the URLs empty; this is the only place that
fills them.
"""

from __future__ import annotations

import os
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

URL_VARIABLE = "BOOK_REPOSITORY_URL"
BRANCH_VARIABLE = "BOOK_REPOSITORY_BRANCH"
#: A repository's web address: scheme, host, owner (or group path) and name.
URL_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9_.-]+){2,}$")
BRANCH_PATTERN = re.compile(r"^[A-Za-z0-9._/-]+$")
BINDERHUB_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"


def repository_url(config: Config) -> str:
    """The repository URL this build uses ("" for none), checked."""
    url = str(config.book_repository_url or "").strip().removesuffix(".git")
    url = url.rstrip("/")
    if url and not URL_PATTERN.match(url):
        raise ConfigError(
            f"{URL_VARIABLE} must be a repository's web address such as "
            f"https://github.com/owner/name, got {url!r}"
        )
    return url


def _configure(app: Sphinx, config: Config) -> None:
    url = repository_url(config)
    branch = str(config.book_repository_branch or "main").strip()
    if not BRANCH_PATTERN.match(branch):
        raise ConfigError(f"{BRANCH_VARIABLE} must be a branch name, got {branch!r}")
    config.book_repository_url = url
    config.book_repository_branch = branch
    options = dict(config.html_theme_options or {})
    launch = dict(options.get("launch_buttons") or {})
    if url:
        options.update(
            repository_url=url,
            repository_branch=branch,
            use_repository_button=True,
        )
        launch.update(binderhub_url=BINDERHUB_URL, colab_url=COLAB_URL)
        launch.setdefault("notebook_interface", "jupyterlab")
        logger.info(f"repository: {url} ({branch}); repository and launch buttons on")
    else:
        options.update(repository_url="", use_repository_button=False)
        for key in ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url"):
            launch[key] = ""
        logger.info(
            f"repository: none set ({URL_VARIABLE}), so no repository or launch "
            "buttons and no pip install git+ lines"
        )
    options["launch_buttons"] = launch
    config.html_theme_options = options


class _RepositoryBlock(SphinxDirective):
    has_content = True
    shown_with_url = True

    def run(self) -> list[nodes.Node]:
        url = self.config.book_repository_url
        if bool(url) != self.shown_with_url:
            return []
        branch = self.config.book_repository_branch
        lines = [
            line.replace("REPOSITORY_URL", url).replace("REPOSITORY_BRANCH", branch)
            for line in self.content
        ]
        container = nodes.container(classes=["book-repository"])
        self.state.nested_parse(
            type(self.content)(lines, items=self.content.items),
            self.content_offset,
            container,
        )
        return list(container.children)


class WithRepository(_RepositoryBlock):
    """Content shown only when the build has a repository URL."""

    shown_with_url = True


class WithoutRepository(_RepositoryBlock):
    """Content shown only when the build has no repository URL."""

    shown_with_url = False


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value(
        "book_repository_url", os.environ.get(URL_VARIABLE, ""), "env", [str]
    )
    app.add_config_value(
        "book_repository_branch", os.environ.get(BRANCH_VARIABLE, "main"), "env", [str]
    )
    # After Jupyter Book's settings are in, before the theme reads them.
    app.connect("config-inited", _configure, priority=400)
    app.add_directive("with-repository", WithRepository)
    app.add_directive("without-repository", WithoutRepository)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
