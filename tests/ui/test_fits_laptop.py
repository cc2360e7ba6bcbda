"""The main window fits a 1366x768 laptop: it opens inside the screen's available area with its
status bar on screen, every screen and tab fits there (no minimum size larger than the screen),
no table sits in a scrolled page, and a geometry saved on a larger monitor is clamped on restore.

The screen is real to Qt: a child process runs tests/ui/screen_probe.py on Qt's offscreen platform
configured with one 1366x768 screen (with and without window frames), and under Xvfb with
`-screen 0 1366x768x24` on the X11 platform when Xvfb is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 1366, 768
# What the window needs around its inside on a real desktop, beyond what Qt reports offscreen:
# a title bar and borders (as ui/geometry.py assumes) and a task bar of about 40 pixels.
REAL_FRAME_W, REAL_FRAME_H, TASK_BAR = 16, 40, 40


def offscreen(tmp_path: Path, *, frames: bool) -> str:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"windowFrameMargins": frames, "screens": [
        {"name": "laptop", "x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "logicalDpi": 96,
         "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def probe(tmp_path: Path, platform: str, prefix: list[str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.update(QT_QPA_PLATFORM=platform, PYTHONPATH=str(REPO))
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.run([*(prefix or []), sys.executable, "-m", "tests.ui.screen_probe", str(data)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check(result: dict) -> None:
    assert result["screen"] == [0, 0, WIDTH, HEIGHT], result["screen"]
    ax, ay, aw, ah = result["available"]
    assert result["saved_geometry_was_large"]
    for state in result["states"]:
        name = state["state"]
        fx, fy, fw, fh = state["frame"]
        assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, (name, state["frame"])
        sx, sy, sw, sh = state["status_bar"]
        assert state["status_bar_visible"] and sh > 0, name
        assert ay <= sy and sy + sh <= ay + ah, (name, "status bar off screen", state["status_bar"])
        # Also on a real laptop: the window's minimum fits inside 1366x768 less frame and task bar.
        mw, mh = state["minimum"]
        assert mw <= WIDTH - REAL_FRAME_W and mh <= HEIGHT - TASK_BAR - REAL_FRAME_H, (name, state["minimum"])
        assert state["scrolled_views"] == [], (name, "tables inside a scrolled page", state["scrolled_views"])
    names = [s["state"] for s in result["states"]]
    assert {"Today", "Practices", "Toolkit", "Sync issues", "Settings"} <= set(names)
    assert sum(n.startswith("Practice > ") for n in names) >= 5


@pytest.mark.parametrize("frames", [False, True], ids=["no frame", "with frame"])
def test_main_window_fits_a_1366x768_screen_offscreen(tmp_path, frames):
    result = probe(tmp_path, offscreen(tmp_path, frames=frames))
    assert result["platform"] == "offscreen"
    check(result)
    first = result["states"][0]
    assert first["geometry"][2] == 1200  # the preferred width fits; only the height gives way
    assert first["frame"][3] <= HEIGHT


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="Xvfb is not installed (apt install xvfb)")
def test_main_window_fits_a_1366x768_screen_under_xvfb(tmp_path):
    result = probe(tmp_path, "xcb", ["xvfb-run", "-a", "-s", f"-screen 0 {WIDTH}x{HEIGHT}x24"])
    assert result["platform"] == "xcb"
    check(result)
