"""A small copy of the book, built in seconds, for checks that need a second build.

The full book takes minutes to build because every notebook runs. Settings that change
the pages (such as ``BOOK_REPOSITORY_URL``) are checked on a copy with the same
configuration, extensions and front pages, one or two chapters as committed (with
their stored outputs, not executed again: ``BOOK_EXECUTE=off``, as in ``make test``'s
strict build) and a table of contents listing only those.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FRONT = [
    "intro.md",
    "glossary.md",
    "bibliography.md",
    "using_lrlib.md",
    "api.md",
    "references.bib",
]


def build_mini_book(
    dest: Path,
    chapters: list[Path],
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> Path:
    """Build the front pages and ``chapters`` into ``dest``; returns the HTML folder.

    ``env`` adds to (or, with an empty value, removes from) the build's environment.
    """
    src = dest / "src"
    (src / "chapters").mkdir(parents=True, exist_ok=True)
    for name in FRONT:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "tools", src / "tools", dirs_exist_ok=True)
    for chapter in chapters:
        shutil.copy2(chapter, src / "chapters" / chapter.name)
    shutil.copy2(ROOT / "_config.yml", src / "_config.yml")
    toc = {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {
                "caption": "Chapters",
                "chapters": [{"file": f"chapters/{c.stem}"} for c in chapters],
            },
            {
                "caption": "Reference",
                "chapters": [
                    {"file": "glossary"},
                    {"file": "bibliography"},
                    {"file": "using_lrlib"},
                    {"file": "api"},
                ],
            },
        ],
    }
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), "utf-8")
    run_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value:
            run_env[key] = value
        else:
            run_env.pop(key, None)
    run_env.setdefault("BOOK_JOBS", "1")
    # The stored outputs, as `make test`'s strict build (tools/build_book.py).
    run_env.setdefault("BOOK_EXECUTE", "off")
    # The vendored page scripts are fetched once per machine, into the real cache.
    run_env.setdefault("LRBOOK_VENDOR_CACHE", str(ROOT / ".cache" / "vendor"))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_book.py"),
            "build",
            str(src),
        ],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    html = src / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").is_file():
        raise RuntimeError(
            f"the mini book did not build:\n{result.stdout[-3000:]}\n"
            f"{result.stderr[-3000:]}"
        )
    # Not strict: the front pages link to chapters the copy leaves out.
    return html
