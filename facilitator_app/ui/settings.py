"""Preferences declared once as data (key, default, type, label), drawn by the Settings view.

Why data: a new preference is one line here; startup fills in defaults for keys a user's file
does not have yet, keeping saved values. Window geometry and the last view live beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

SETTINGS_FILE = "desktop-settings.ini"


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    kind: type
    label: str
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("sync/auto", True, bool, "Sync automatically",
            "After you save, every 5 minutes while online, and when the server is reachable again."),
    Setting("visit/default_minutes", 60, int, "Default visit length (minutes)"),
    Setting("visit/print_after_save", False, bool,
            "Show the print dialog for the leave-behind after every saved visit"),
)
BY_KEY = {s.key: s for s in SETTINGS}

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
LAST_VIEW_KEY = "window/last_view"
LAST_PRACTICE_KEY = "window/last_practice"
REPORT_FOLDER_KEY = "reports/save_folder"  # where Save PDF… saved last


class Preferences:
    """Typed access to QSettings stored in the data folder (so each data folder keeps its own)."""

    def __init__(self, data_dir: Path):
        self.qsettings = QSettings(str(Path(data_dir) / SETTINGS_FILE), QSettings.Format.IniFormat)
        for setting in SETTINGS:
            if not self.qsettings.contains(setting.key):
                self.qsettings.setValue(setting.key, setting.default)

    def get(self, key: str) -> Any:
        setting = BY_KEY[key]
        value = self.qsettings.value(key, setting.default)
        return _coerce(value, setting.kind, setting.default)

    def set(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()

    def raw(self, key: str, default: Any = None) -> Any:
        return self.qsettings.value(key, default)

    def set_raw(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)


def _coerce(value: Any, kind: type, default: Any) -> Any:
    """INI files give strings back ("true", "60"); turn them into the declared type."""
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default
