"""The Qt binding must not leak references to None.

PySide6-Essentials 6.12.0 on CPython 3.11 drops one reference to None for every call that
returns None (setText, processEvents...); after a few thousand the interpreter aborts with
"Fatal Python error: none_dealloc". pyproject.toml excludes that release; this test catches
any other release that brings the bug back before a facilitator's app crashes mid-visit."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_calls_returning_none_keep_nones_references(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
    assert sys.getrefcount(None) >= before - 50  # a leak would show as 2,000 fewer
