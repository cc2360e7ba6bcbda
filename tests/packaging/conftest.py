"""Fixtures for the packaging tests: the frozen bundle, built once per session (slow)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = "facilitator-app"


@dataclass
class FrozenBuild:
    bundle: Path  # the one-folder app (dist/facilitator-app)
    workpath: Path | None  # PyInstaller's work folder (None for a prebuilt bundle)
    seconds: float

    @property
    def exe(self) -> Path:
        return self.bundle / (APP + (".exe" if sys.platform == "win32" else ""))


def frozen_env(**extra: str) -> dict[str, str]:
    """Offscreen Qt, no display, and a data folder env var pointing nowhere useful: the
    self-check must use its own temporary folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def frozen_build(tmp_path_factory: pytest.TempPathFactory) -> FrozenBuild:
    """Build the bundle with build.spec, or use FFK_FROZEN_BUNDLE (a bundle `make dist` made) to
    save the ~1-2 minute build while working on these tests."""
    prebuilt = os.environ.get("FFK_FROZEN_BUNDLE")
    if prebuilt:
        bundle = Path(prebuilt).resolve()
        if not (bundle / APP).exists():
            pytest.fail(f"FFK_FROZEN_BUNDLE={prebuilt} has no {APP} executable")
        return FrozenBuild(bundle, None, 0.0)
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed: .venv/bin/pip install pyinstaller (it is in the dev extra)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("frozen")
    dist, work = out / "dist", out / "work"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                           "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        pytest.fail(f"PyInstaller failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    print(f"\nPyInstaller build: {seconds:.0f} s")
    return FrozenBuild(dist / APP, work, seconds)
