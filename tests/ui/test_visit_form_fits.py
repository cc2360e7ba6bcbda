"""The visit form fits a 1366x768 laptop: it opens inside the screen's free area, its Save, Print
and PDF buttons are on screen below the page (never scrolled away), the page never scrolls
sideways, and its tables are as tall as their rows (the page scrolls, not a table inside it).

The screen is real to Qt: tests/ui/visit_form_probe.py runs in a child process on Qt's offscreen
platform configured with one 1366x768 screen, with and without window frames (as
tests/ui/test_fits_laptop.py does for the main window).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_fits_laptop import HEIGHT, REAL_FRAME_H, REAL_FRAME_W, TASK_BAR, WIDTH, offscreen

REPO = Path(__file__).resolve().parents[2]


def probe(tmp_path: Path, platform: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.update(QT_QPA_PLATFORM=platform, PYTHONPATH=str(REPO))
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.run([sys.executable, "-m", "tests.ui.visit_form_probe", str(data)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("frames", [False, True], ids=["no frame", "with frame"])
def test_visit_form_fits_a_1366x768_screen(tmp_path, frames):
    result = probe(tmp_path, offscreen(tmp_path, frames=frames))
    assert result["screen"] == [0, 0, WIDTH, HEIGHT]
    ax, ay, aw, ah = result["available"]
    assert len(result["states"]) == 3
    for state in result["states"]:
        name = state["state"]
        fx, fy, fw, fh = state["frame"]
        assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, (name, state["frame"])
        mw, mh = state["minimum"]
        assert mw <= WIDTH - REAL_FRAME_W and mh <= HEIGHT - TASK_BAR - REAL_FRAME_H, (name, state["minimum"])
        gx, gy, gw, gh = state["geometry"]
        for label, button in state["buttons"].items():
            bx, by, bw, bh = button["rect"]
            assert button["visible"] and not button["in_page"], (name, label)
            assert gx <= bx and bx + bw <= gx + gw and gy <= by and by + bh <= gy + gh, (name, label, button["rect"])
        assert state["page_width"] <= state["viewport_width"], (name, "the page scrolls sideways")
        assert state["page_height"] > state["viewport_height"], name  # a long page: it scrolls, the buttons stay
        for table, t in state["tables"].items():
            assert not t["scrollbar"] or t["visible_rows"] > 8, (name, table, "scrolls inside the page")
    new = result["states"][0]
    assert new["since_last_rows"] >= 2 and "Open next steps from earlier visits" in new["tables"]
    every = result["states"][2]["tables"]["Strategies worked on"]
    assert every["visible_rows"] == every["rows"] == 35 and not every["scrollbar"]
