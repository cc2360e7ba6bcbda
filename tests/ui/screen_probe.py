"""Run by tests/ui/test_fits_laptop.py in a child process whose Qt platform has a 1366x768 screen
(the screen size of a platform is fixed when the QApplication starts, so it cannot be changed
inside the test process). Starts the app with demo data, shows every screen and every tab of the
Practice screen, restarts with a geometry saved on a large monitor, and prints one JSON object
with what it measured.

    python -m tests.ui.screen_probe DATA_DIR
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QAbstractItemView, QApplication, QScrollArea, QWidget

TODAY = date(2026, 3, 18)


def settle(app: QApplication, ctx, seconds: float = 0.2) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or ctx.ops.is_busy:
        app.processEvents()
        time.sleep(0.005)


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def scrolled_views(root: QWidget) -> list[str]:
    """Item views (tables, lists, trees) inside a QScrollArea: they could not grow with the window."""
    found = []
    for view in root.findChildren(QAbstractItemView):
        if view.window() is not root.window():
            continue  # a combo box's list: its own popup window
        parent = view.parentWidget()
        while parent is not None and parent is not root:
            if isinstance(parent, QScrollArea):
                found.append(view.accessibleName() or type(view).__name__)
                break
            parent = parent.parentWidget()
    return found


def measure(window, name: str) -> dict:
    bar = window.statusBar()
    top_left = bar.mapToGlobal(bar.rect().topLeft())
    return {"state": name, "frame": rect(window.frameGeometry()), "geometry": rect(window.geometry()),
            "status_bar": [top_left.x(), top_left.y(), bar.width(), bar.height()],
            "status_bar_visible": bar.isVisible(),
            "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
            "scrolled_views": scrolled_views(window.current_view())}


def main(data_dir: Path) -> dict:
    from facilitator_app.core.demo import generate
    from facilitator_app.ui.app import build, shutdown

    app = QApplication.instance() or QApplication(sys.argv[:1])
    screen = app.primaryScreen()
    out: dict = {"platform": app.platformName(), "screen": rect(screen.geometry()),
                 "available": rect(screen.availableGeometry()), "states": []}

    ctx, window = build(data_dir, app=app, today=lambda: TODAY, start_sync=False)
    objs = generate(practices=12, months=12, seed=7, today=TODAY, toolkit=ctx.toolkit)
    ctx.store.bulk_insert(objs, outbox=False)
    window.show()
    settle(app, ctx, 0.5)
    out["states"].append(measure(window, "first show"))
    for index, (title, _module, _cls) in enumerate(__import__("facilitator_app.ui.main_window",
                                                              fromlist=["SCREENS"]).SCREENS):
        if index == window.PRACTICE:
            busiest = max(ctx.store.practice_summaries(today=TODAY), key=lambda s: s.visits)
            window.open_practice(busiest.id)
            settle(app, ctx)
            for tab in range(window.practice.tabs.count()):
                window.practice.tabs.setCurrentIndex(tab)
                settle(app, ctx)
                out["states"].append(measure(window, f"Practice > {window.practice.tabs.tabText(tab)}"))
            continue
        window.show_view(index)
        window.current_view().refresh()
        settle(app, ctx)
        out["states"].append(measure(window, title))

    # A geometry saved on a 1920x1200 monitor, restored on this laptop.
    window.setGeometry(40, 40, 1800, 1100)
    settle(app, ctx)
    window.close()
    settle(app, ctx)
    shutdown(ctx)
    ctx, window = build(data_dir, app=app, today=lambda: TODAY, start_sync=False)
    out["saved_geometry_was_large"] = not window.ctx.prefs.raw("window/geometry", QByteArray()).isEmpty()
    window.show()
    settle(app, ctx, 0.5)
    out["states"].append(measure(window, "restored from a larger monitor"))
    window.close()
    settle(app, ctx)
    shutdown(ctx)
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
