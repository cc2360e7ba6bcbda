"""The reference visit logged with the keyboard alone (issue 12): prints the number of non-text
keystrokes (navigation and commands, not characters typed into fields) and the wall time.

    QT_QPA_PLATFORM=offscreen python bench/visit_keyboard_bench.py [--keys]

Runs the same script as tests/ui/test_keyboard_visit.py (tests/ui/visit_keys.py) on Qt's
offscreen platform with a 1366x768 screen, three times in one process (a fresh data folder each
time). Wall time runs from Ctrl+N on the Practice screen to the leave-behind PDF on disk,
including the background saves and the PDF; the script's own waits for the UI are polls of 2 ms.
Target: at most 40 non-text keystrokes. --keys prints each key and the widget it went to.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TODAY = date(2026, 3, 18)
RUNS = 3
TARGET = 40


def _laptop_screen() -> str:
    config = Path(tempfile.mkdtemp(prefix="ffk-screen-")) / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = _laptop_screen()

from PySide6.QtWidgets import QApplication  # noqa: E402


def run_once(app: QApplication, show_keys: bool) -> tuple[int, int, float]:
    from facilitator_app.ui.app import build, shutdown
    from tests.ui import visit_keys

    data = Path(tempfile.mkdtemp(prefix="ffk-keys-"))
    pdfs = data / "pdfs"
    pdfs.mkdir()
    ctx, window = build(data / "app", app=app, today=lambda: TODAY, start_sync=False)
    ctx.open_file = lambda path: None

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        QApplication.processEvents()
        while time.monotonic() < end or ctx.ops.is_busy:
            app.processEvents()
            time.sleep(0.002)

    try:
        ref = visit_keys.setup(ctx.store, ctx.toolkit, TODAY, pdfs, ctx.prefs)
        window.show()
        window.open_practice(ref.practice.id)
        settle(0.3)
        window.activateWindow()
        settle(0.05)
        driver = visit_keys.Driver(settle)
        start = time.perf_counter()
        visit_keys.log_reference_visit(driver, window)
        wall = time.perf_counter() - start
        if show_keys:
            print("\n".join(driver.log))
        assert list(pdfs.glob("*.pdf")), "no PDF was saved"
        return driver.commands, driver.characters, wall
    finally:
        window.close()
        settle(0.05)
        shutdown(ctx)


def main(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    results = [run_once(app, "--keys" in argv and i == 0) for i in range(RUNS)]
    commands, characters = results[0][0], results[0][1]
    walls = [r[2] for r in results]
    print(f"reference visit, keyboard only ({app.platformName()}, screen "
          f"{app.primaryScreen().size().width()}x{app.primaryScreen().size().height()}):")
    print(f"  non-text keystrokes   {commands:>6}   (target <= {TARGET}: {'met' if commands <= TARGET else 'NOT met'})")
    print(f"  characters typed      {characters:>6}")
    print(f"  wall time             {statistics.median(walls):>6.2f} s   (median of {RUNS}; "
          f"{', '.join(f'{w:.2f}' for w in walls)})")
    return 0 if commands <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
