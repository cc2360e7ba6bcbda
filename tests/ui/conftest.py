"""UI test fixtures: offscreen Qt, a fresh data folder per test, an in-memory keyring."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

TODAY = date(2026, 3, 18)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


class App:
    """A started app (context + main window) with helpers to wait for background work."""

    def __init__(self, qtbot, data_dir: Path, opened: list[Path]):
        from facilitator_app.ui.app import build
        self.qtbot = qtbot
        self.data_dir = data_dir
        self.ctx, self.window = build(data_dir, today=lambda: TODAY, start_sync=False)
        self.ctx.open_file = opened.append
        self.opened = opened
        qtbot.addWidget(self.window)
        self.window.show()
        self.idle()

    def idle(self, timeout: int = 10_000) -> None:
        """Wait until every queued background op has finished and delivered its result."""
        self.qtbot.waitUntil(lambda: not self.ctx.ops.is_busy, timeout=timeout)
        self.qtbot.wait(10)
        self.qtbot.waitUntil(lambda: not self.ctx.ops.is_busy, timeout=timeout)

    @property
    def store(self):
        return self.ctx.store

    def close(self) -> None:
        from facilitator_app.ui.app import shutdown
        self.window.close()
        self.idle()
        shutdown(self.ctx)


@pytest.fixture
def start_app(qtbot, data_dir, memory_keyring):
    apps: list[App] = []

    def start() -> App:
        app = App(qtbot, data_dir, [])
        apps.append(app)
        return app

    yield start
    for app in apps:
        if not app.ctx.ops._closed:
            app.close()


@pytest.fixture
def app(start_app) -> App:
    return start_app()
