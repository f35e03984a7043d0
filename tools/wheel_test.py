"""lrlib as someone who runs ``pip install lrlib`` gets it (``make wheel-test``).

1. Builds the wheel from a copy of ``pyproject.toml`` and ``lrlib/`` (no ``build/`` or
   egg-info left in the working tree), with the setuptools of ``.venv`` (no download).
2. Checks that the wheel's unconditional requirements are ``torch`` and ``numpy`` only,
   and that every extra named by ``lrlib._extras.EXTRAS`` is declared.
3. Installs it, without extras, into a clean virtual environment (no system site
   packages) next to the ``torch`` and ``numpy`` that ``requirements.txt`` pins, found
   the same way ``make setup`` finds them (pip's own configuration selects the CPU build
   of torch). The environment is cached under ``.cache/wheel-test/``, keyed on those
   pins and the Python version, so a warm run only reinstalls the wheel.
4. Runs :data:`SMOKE` there, from an empty directory: it imports lrlib, checks that
   matplotlib, ipywidgets and scikit-learn are absent and that ``lrlib.plot`` says which
   extra to install, and exercises the closed forms, the restarts class and the tracer.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "wheel-test"
CORE = ("torch", "numpy")

SMOKE = r"""
import importlib.util
import math

import numpy as np
import torch

import lrlib

for absent in ("matplotlib", "ipywidgets", "sklearn", "myst_nb"):
    assert importlib.util.find_spec(absent) is None, f"{absent} is installed"
try:
    import lrlib.plot  # noqa: F401
except ImportError as error:
    assert "lrlib[plot]" in str(error), error
else:
    raise AssertionError("lrlib.plot imported without matplotlib")

# Closed forms against PyTorch's own schedulers.
opt = lrlib.toy_optimizer(0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50, eta_min=0.001)
traced = lrlib.lr_trace(sched, 120)
closed = lrlib.cosine_annealing_lr(range(120), base_lr=0.1, T_max=50, eta_min=0.001)
assert np.max(np.abs(np.ravel(traced) - np.ravel(closed))) < 1e-12
opt = lrlib.toy_optimizer(0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
traced = lrlib.lr_trace(sched, 40)
closed = lrlib.step_lr(range(40), base_lr=0.1, step_size=7, gamma=0.5)
assert np.max(np.abs(np.ravel(traced) - np.ravel(closed))) < 1e-12

# The restarts class, its closed form, and an exact resume from its state_dict.
kw = dict(first_cycle_steps=20, cycle_mult=2.0, max_lr=0.1, min_lr=0.001,
          warmup_steps=5, gamma=0.5)
opt = lrlib.toy_optimizer(0.1)
sched = lrlib.CosineAnnealingWarmupRestarts(opt, **kw)
traced = lrlib.lr_trace(sched, 100)
closed = lrlib.cosine_warmup_restarts_lr(range(100), **kw)
assert np.max(np.abs(np.ravel(traced) - np.ravel(closed))) < 1e-12
state = sched.state_dict()
opt2 = lrlib.toy_optimizer(0.1)
resumed = lrlib.CosineAnnealingWarmupRestarts(opt2, **kw)
resumed.load_state_dict(state)
assert resumed.get_last_lr() == sched.get_last_lr()
assert all(math.isfinite(x) for x in np.ravel(traced))
print(f"lrlib {lrlib.__version__} core OK with torch {torch.__version__}")
"""


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        shown = " ".join("SMOKE" if c == SMOKE else str(c) for c in cmd)
        raise SystemExit(
            f"wheel-test: {shown} failed:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+).*", line)
        if m and m.group(1).lower() in CORE:
            pins[m.group(1).lower()] = m.group(2)
    missing = set(CORE) - set(pins)
    if missing:
        raise SystemExit(f"wheel-test: requirements.txt pins no {sorted(missing)}")
    return pins


def build_wheel(out: Path) -> Path:
    src = out / "src"
    src.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", src)
    shutil.copytree(
        ROOT / "lrlib", src / "lrlib", ignore=shutil.ignore_patterns("__pycache__")
    )
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--no-build-isolation", "--wheel-dir", str(out), str(src)]
    )  # fmt: skip
    (wheel,) = out.glob("lrlib-*.whl")
    return wheel


def check_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(name).decode()
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.M)
    core = sorted(
        re.split(r"[\s<>=!~\[;(]", r, maxsplit=1)[0].lower()
        for r in requires
        if "extra ==" not in r
    )
    if core != sorted(CORE):
        raise SystemExit(f"wheel-test: core requirements are {core}, not {CORE}")
    extras = set(re.findall(r"^Provides-Extra: (.+)$", metadata, re.M))
    sys.path.insert(0, str(ROOT))
    from lrlib._extras import EXTRAS

    if not set(EXTRAS) <= extras:
        raise SystemExit(
            f"wheel-test: extras {sorted(set(EXTRAS) - extras)} used by lrlib's "
            f"ImportErrors are not declared (declared: {sorted(extras)})"
        )


def clean_venv(pins: dict[str, str]) -> Path:
    key = hashlib.sha256(
        repr((sorted(pins.items()), sys.version_info[:2])).encode()
    ).hexdigest()[:12]
    venv = CACHE / f"venv-{key}"
    python = venv / "bin" / "python"
    if python.exists() and (venv / ".ready").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    for stale in CACHE.glob("venv-*"):
        shutil.rmtree(stale, ignore_errors=True)
    print(
        f"wheel-test: creating {venv.relative_to(ROOT)} (once per torch/numpy pin)",
        flush=True,
    )
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    # The venv gets pip from the one in .venv (ensurepip may be absent on Debian).
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          *(f"{name}=={version}" for name, version in pins.items())])  # fmt: skip
    (venv / ".ready").touch()
    return python


def main() -> None:
    start = time.monotonic()
    pins = _pins()
    with tempfile.TemporaryDirectory(prefix="lrlib-wheel-") as tmp:
        wheel = build_wheel(Path(tmp))
        check_metadata(wheel)
        python = clean_venv(pins)
        pip = [sys.executable, "-m", "pip", "--python", str(python)]
        _run([*pip, "uninstall", "--quiet", "--yes", "lrlib"])
        _run([*pip, "install", "--quiet", str(wheel)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONNOUSERSITE"] = "1"
        _run([*pip, "check"])
        result = _run([str(python), "-I", "-c", SMOKE], cwd=tmp, env=env)
    print(result.stdout.strip())
    print(f"wheel-test: {wheel.name} passed in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
