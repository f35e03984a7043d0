"""The landing page's schedule gallery and the offline-assets build extension."""

from __future__ import annotations

import importlib.util
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from lrlib import schedules
from lrlib.gallery import GALLERY, GalleryItem, render_thumbnail

ROOT = Path(__file__).resolve().parents[1]
TOC = (ROOT / "_toc.yml").read_text()


@pytest.mark.parametrize("item", GALLERY, ids=lambda item: item.key)
def test_each_curve_is_a_finite_positive_schedule(item):
    lrs = item.curve()
    assert lrs.ndim == 2 and lrs.shape[0] == 300 and lrs.shape[1] >= 1
    assert np.isfinite(lrs).all() and (lrs >= 0).all() and lrs.max() > 0
    assert re.fullmatch(r"chapters/\d\d_[a-z0-9_]+", item.chapter)


def test_keys_are_unique_and_every_chapter_is_in_the_toc():
    keys = [item.key for item in GALLERY]
    assert len(keys) == len(set(keys))
    for item in GALLERY:
        # The directive would skip a chapter missing from the toc; every one is there.
        assert item.chapter in TOC, item.chapter


def test_curves_come_from_the_closed_forms():
    by_key = {item.key: item for item in GALLERY}
    steps = np.arange(300)
    expected = schedules.cosine_annealing_lr(steps, base_lr=0.1, T_max=300, eta_min=0.0)
    np.testing.assert_allclose(
        by_key["cosine"].curve()[:, 0], expected, rtol=0, atol=1e-15
    )


def test_plateau_and_per_group_curves_trace_real_schedulers():
    by_key = {item.key: item for item in GALLERY}
    plateau = by_key["plateau"].curve()[:, 0]
    assert plateau[0] == pytest.approx(0.1) and plateau[-1] < plateau[0]
    assert set(np.round(plateau / 0.1, 12)) <= {0.5**k for k in range(12)}
    groups = by_key["per_group"].curve()
    assert groups.shape[1] == 2 and np.all(groups[:, 1] == groups[0, 1])


def test_render_thumbnail_writes_a_small_png(tmp_path):
    path = render_thumbnail(GALLERY[0], tmp_path / "sub" / "t.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 20_000


def test_render_thumbnail_rejects_other_objects(tmp_path):
    with pytest.raises(TypeError, match="item"):
        render_thumbnail("cosine", tmp_path / "x.png")  # type: ignore[arg-type]
    assert isinstance(GALLERY[0], GalleryItem)


def _offline_assets():
    spec = importlib.util.spec_from_file_location(
        "offline_assets", ROOT / "tools" / "offline_assets.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offline_assets_reports_a_missing_or_failing_npm(tmp_path, monkeypatch):
    module = _offline_assets()
    fake = tmp_path / "bin"
    fake.mkdir()
    npm = fake / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error network unreachable' >&2\nexit 1\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(
        RuntimeError,
        match="npm pack requirejs@2.3.7 failed: npm error network unreachable",
    ):
        module._fetch("requirejs", "2.3.7", tmp_path / "cache")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError, match="npm is not installed"):
        module._fetch("requirejs", "2.3.7", tmp_path / "cache")


def test_offline_assets_uses_a_cached_package_without_npm(tmp_path, monkeypatch):
    module = _offline_assets()
    cached = tmp_path / "cache" / "@jupyter-widgets__html-manager-1.0.6"
    cached.mkdir(parents=True)
    (cached / "package.json").write_text("{}")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert (
        module._fetch("@jupyter-widgets/html-manager", "1.0.6", tmp_path / "cache")
        == cached
    )
