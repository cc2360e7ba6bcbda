"""Run by tests/ui/test_visit_form_fits.py in a child process whose Qt platform has one 1366x768
screen (a platform's screens are fixed when the QApplication starts). Opens the visit form of the
demo practice with the most open next steps, new and for its latest saved visit, and prints one
JSON object with what it measured.

    python -m tests.ui.visit_form_probe DATA_DIR
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QTableWidget

TODAY = date(2026, 3, 18)


def settle(app: QApplication, ctx, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or ctx.ops.is_busy:
        app.processEvents()
        time.sleep(0.005)


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def measure(form, name: str) -> dict:
    def on_screen(w) -> list[int]:
        top_left = w.mapToGlobal(QPoint(0, 0))
        return [top_left.x(), top_left.y(), w.width(), w.height()]

    buttons = [form.save_button, form.print_button, form.pdf_button, form.discard_button, form.close_button]
    tables = [t for t in form.body.findChildren(QTableWidget) if t.isVisible()]
    return {"state": name, "frame": rect(form.frameGeometry()), "geometry": rect(form.geometry()),
            "minimum": [form.minimumSizeHint().width(), form.minimumSizeHint().height()],
            "buttons": {b.text().replace("&", ""): {"rect": on_screen(b), "visible": b.isVisible(),
                                                   "in_page": form.scroll.isAncestorOf(b)} for b in buttons},
            "page_width": form.body.width(), "viewport_width": form.scroll.viewport().width(),
            "page_height": form.body.height(), "viewport_height": form.scroll.viewport().height(),
            "tables": {t.accessibleName(): {"scrollbar": t.verticalScrollBar().isVisible(), "rows": t.rowCount(),
                                            "visible_rows": sum(not t.isRowHidden(r) for r in range(t.rowCount())),
                                            "height": t.height()} for t in tables},
            "since_last_rows": len(form.since_last.rows)}


def main(data_dir: Path) -> dict:
    from facilitator_app.core.demo import generate
    from facilitator_app.core.model import FacilitatorProfile
    from facilitator_app.ui.app import build, shutdown

    app = QApplication.instance() or QApplication(sys.argv[:1])
    screen = app.primaryScreen()
    out: dict = {"platform": app.platformName(), "screen": rect(screen.geometry()),
                 "available": rect(screen.availableGeometry()), "states": []}
    ctx, window = build(data_dir, app=app, today=lambda: TODAY, start_sync=False)
    ctx.store.bulk_insert(generate(practices=12, months=12, seed=7, today=TODAY, toolkit=ctx.toolkit), outbox=False)
    ctx.store.set_facilitator_profile(FacilitatorProfile("Renée Haddad"))
    window.show()
    settle(app, ctx)
    steps = ctx.store.open_next_steps()
    busiest = max({s.practice_id for s in steps}, key=lambda pid: sum(s.practice_id == pid for s in steps))
    window.new_visit(busiest)
    settle(app, ctx, 0.5)
    form = window.visit_forms[-1]
    out["states"].append(measure(form, "new visit"))
    form.scroll.verticalScrollBar().setValue(form.scroll.verticalScrollBar().maximum())
    settle(app, ctx)
    out["states"].append(measure(form, "new visit, scrolled to the bottom"))
    form.discard()
    settle(app, ctx)
    latest = max(ctx.store.visits(busiest), key=lambda v: v.date)
    window.open_visit(latest.id)
    settle(app, ctx, 0.5)
    form = window.visit_forms[-1]
    form.strategies.show_all.setChecked(True)  # every strategy: the table grows, the page scrolls
    settle(app, ctx)
    out["states"].append(measure(form, "saved visit, every strategy shown"))
    form.close()
    window.close()
    settle(app, ctx)
    shutdown(ctx)
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
