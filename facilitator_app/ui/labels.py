"""Labels, colours and formatting shared by views (kept in ui, not in core)."""

from __future__ import annotations

from datetime import date

from PySide6.QtGui import QColor

from ..core.vocab import StrategyStatus

STATUS_COLORS = {
    StrategyStatus.NOT_SELECTED.value: QColor("#9e9e9e"),
    StrategyStatus.SELECTED.value: QColor("#1e88e5"),
    StrategyStatus.IN_PROGRESS.value: QColor("#fb8c00"),
    StrategyStatus.IMPLEMENTED.value: QColor("#43a047"),
    StrategyStatus.SUSTAINED.value: QColor("#2e7d32"),
    StrategyStatus.DECLINED.value: QColor("#e53935"),
}


def status_label(value: str) -> str:
    return StrategyStatus.label_of(value)


def fmt_date(value: date | None, empty: str = "—") -> str:
    return value.strftime("%b %d, %Y").replace(" 0", " ") if value else empty


def fmt_hours(hours: float | None) -> str:
    if hours is None:
        return "—"
    return f"{hours:.1f}".rstrip("0").rstrip(".") if hours % 1 else f"{int(hours)}"


def days_ago(days: int | None) -> str:
    if days is None:
        return "never"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"
