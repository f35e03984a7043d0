"""Sphinx extension: serve every script the book needs from its own ``_static/``.

By default a Jupyter Book page loads require.js and the widget manager from
cdnjs/jsdelivr, MathJax from jsdelivr and (on demand) thebe from unpkg. This extension
makes the built book self-contained:

1. At build time it fetches pinned releases of those packages from the npm registry
   (``npm pack``) into a cache (``.cache/vendor``, reused by later builds), and after
   the build copies the files pages need into ``_build/html/_static/vendor/``. Nothing
   is vendored in git.
2. It points myst-nb (``nb_ipywidgets_js``), Sphinx (``mathjax_path``) and sphinx-thebe
   at those copies. The widget manager finds its icon fonts through require.js, so a
   small config script maps its module path into ``_static/vendor`` before it loads.
3. It replaces sphinx-thebe's configuration script by one that is registered once.
   sphinx-thebe registers its script while documents are read, after the HTML builder
   exists, and Sphinx then writes it into every page twice (the browser reports
   ``Identifier 'THEBE_JS_URL' has already been declared``).

If ``npm`` is missing or the registry cannot be reached, the build still succeeds: pages
then load these scripts from their public CDNs, and the build log says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: npm packages (name, version) and the files of each that the pages use.
PACKAGES: dict[str, tuple[str, list[str]]] = {
    "requirejs": ("2.3.7", ["require.js"]),
    "@jupyter-widgets/html-manager": ("1.0.6", ["dist"]),
    "mathjax": (
        "3.2.2",
        [
            "es5/tex-mml-chtml.js",
            "es5/input",
            "es5/output",
            "es5/ui",
            "es5/a11y",
            "es5/adaptors",
            "es5/sre",
        ],
    ),
    "thebe": ("0.9.3", ["lib"]),
}

#: Where each package is served from, relative to ``_static``.
VENDOR = "vendor"
REQUIRE_JS = f"{VENDOR}/requirejs/require.js"
WIDGETS_CONFIG_JS = f"{VENDOR}/widgets-config.js"
EMBED_AMD_JS = f"{VENDOR}/@jupyter-widgets/html-manager/dist/embed-amd.js"
MATHJAX_JS = f"{VENDOR}/mathjax/es5/tex-mml-chtml.js"
THEBE_JS = f"{VENDOR}/thebe/lib/index.js"

#: require.js must resolve the widget manager's own module path inside our vendor
#: folder: webpack derives the URL of the icon fonts from it. ``data-content_root``
#: (Sphinx >= 7.2) is the relative path from a page to the root.
WIDGETS_CONFIG = """\
// Written by tools/offline_assets.py: resolve @jupyter-widgets modules inside this
// book's _static/vendor.
(function () {
  var root = document.documentElement.dataset.content_root || "./";
  var widgets = root + "_static/vendor/@jupyter-widgets";
  require.config({ paths: { "@jupyter-widgets": widgets } });
})();
"""

#: The widget manager typesets labels with MathJax 2's ``MathJax.Hub.Queue``; the book
#: loads MathJax 3, which has no ``Hub`` (the browser reports "Cannot read properties of
#: undefined (reading 'Queue')"). This bridges the one call. It is our own file, served
#: in both modes, and its listener is registered before the manager's.
MATHJAX_BRIDGE_JS = "mathjax2-bridge.js"
MATHJAX_BRIDGE = """\
// Written by tools/offline_assets.py: let the widget manager's MathJax 2 call
// typeset with MathJax 3.
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub || !mj.version) return;
  mj.Hub = {
    Queue: function (job) {
      var element = job && job[2];
      if (!element || !mj.startup || !mj.startup.promise) return;
      mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
    },
  };
});
"""

#: One definition of sphinx-thebe's globals; ``{url}`` is a JavaScript expression.
THEBE_CONFIG = (
    "const THEBE_JS_URL = {url}; "
    'const thebe_selector = "{selector}"; '
    'const thebe_selector_input = "{selector_input}"; '
    'const thebe_selector_output = "{selector_output}"'
)
#: The local copy, relative to the page's root (``data-content_root``, as in
#: ``WIDGETS_CONFIG``).
THEBE_LOCAL_URL = (
    f'(document.documentElement.dataset.content_root || "./") + "_static/{THEBE_JS}"'
)


def _cache_dir(app: Sphinx) -> Path:
    return Path(
        os.environ.get("LRBOOK_VENDOR_CACHE", Path(app.srcdir) / ".cache" / "vendor")
    )


def _fetch(name: str, version: str, cache: Path) -> Path:
    """Return the unpacked npm package ``name@version``, fetching it with ``npm pack``
    if it is not cached."""
    target = cache / f"{name.replace('/', '__')}-{version}"
    if (target / "package.json").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        result = subprocess.run(
            [
                npm,
                "pack",
                f"{name}@{version}",
                "--silent",
                "--json",
                "--pack-destination",
                tmp,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise RuntimeError(
                f"npm pack {name}@{version} failed: "
                f"{lines[-1] if lines else result.returncode}"
            )
        tarball = Path(tmp) / json.loads(result.stdout)[0]["filename"]
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as tar:
            tar.extractall(unpacked, filter="data")
        # npm tarballs hold one top-level folder, normally "package".
        (top,) = list(unpacked.iterdir())
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(top), target)
    return target


def _configure(app: Sphinx, config: Any) -> None:
    """Fetch the packages and point the page scripts at them, or fall back to CDNs."""
    cache = _cache_dir(app)
    fetched: dict[str, Path] = {}
    try:
        for name, (version, _) in PACKAGES.items():
            fetched[name] = _fetch(name, version, cache)
    except (
        RuntimeError,
        OSError,
        subprocess.SubprocessError,
        ValueError,
        KeyError,
    ) as error:
        logger.info(
            "offline_assets: could not fetch the page scripts from the npm registry "
            "(%s). FALLING BACK to public CDNs: the book works, but its pages load "
            "require.js, the widget manager, MathJax and thebe from "
            "cdnjs.cloudflare.com, cdn.jsdelivr.net and unpkg.com.",
            error,
            color="red",
        )
        app.offline_assets = None  # type: ignore[attr-defined]
        from myst_nb.core.config import ipywidgets_js_factory

        require_js, *manager = ipywidgets_js_factory().items()
        config.nb_ipywidgets_js = dict([require_js, (MATHJAX_BRIDGE_JS, {}), *manager])
        return
    app.offline_assets = fetched  # type: ignore[attr-defined]
    config.nb_ipywidgets_js = {
        REQUIRE_JS: {},
        WIDGETS_CONFIG_JS: {},
        MATHJAX_BRIDGE_JS: {},
        # Only widget modules that the manager does not bundle would be fetched from
        # here; the book uses none.
        EMBED_AMD_JS: {"data-jupyter-widgets-cdn": "_static/vendor/npm/"},
    }
    config.mathjax_path = MATHJAX_JS
    logger.info(
        "offline_assets: pages load require.js, the widget manager, MathJax and "
        "thebe from _static/vendor"
    )


def _replace_thebe_config(app: Sphinx, config: Any) -> None:
    """Drop sphinx-thebe's per-read config script; add an equivalent one, once."""
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        if getattr(listener.handler, "__name__", "") == "init_thebe_core":
            app.disconnect(listener.id)
    thebe = config["thebe_config"] if "thebe_config" in config else {}
    thebe = thebe if isinstance(thebe, dict) else {}
    if getattr(app, "offline_assets", None):
        url = THEBE_LOCAL_URL
    else:
        from sphinx_thebe import THEBE_VERSION

        url = json.dumps(f"https://unpkg.com/thebe@{THEBE_VERSION}/lib/index.js")
    body = THEBE_CONFIG.format(
        url=url,
        selector=thebe.get("selector", ".thebe,.cell"),
        selector_input=thebe.get("selector_input", "pre"),
        selector_output=thebe.get("selector_output", ".output, .cell_output"),
    )
    app.add_js_file(None, body=body)
    if "sphinx_thebe" in app.extensions:
        app.add_js_file("sphinx-thebe.js", **{"async": "async"})


def _copy_to_output(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    (Path(app.outdir) / "_static" / MATHJAX_BRIDGE_JS).write_text(
        MATHJAX_BRIDGE, encoding="utf-8"
    )
    fetched = getattr(app, "offline_assets", None)
    if not fetched:
        return
    vendor = Path(app.outdir) / "_static" / VENDOR
    for name, (_, parts) in PACKAGES.items():
        for part in parts:
            source = fetched[name] / part
            destination = vendor / name / part
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(
                    source,
                    destination,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.map"),
                )
            else:
                shutil.copy2(source, destination)
    (Path(app.outdir) / "_static" / WIDGETS_CONFIG_JS).write_text(
        WIDGETS_CONFIG, encoding="utf-8"
    )


def setup(app: Sphinx) -> dict[str, Any]:
    # Before myst-nb and Sphinx's mathjax read these settings.
    app.connect("config-inited", _configure, priority=100)
    # Scripts registered before the builder exists are added to each page exactly once.
    app.connect("config-inited", _replace_thebe_config, priority=101)
    app.connect("build-finished", _copy_to_output)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
