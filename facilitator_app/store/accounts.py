"""Which local database file is in use in a data folder.

With no server the app uses `local.sqlite`. (The sync layer keeps one file per server and user
and records the active one here.)
"""

from __future__ import annotations

from pathlib import Path

from .store import DATA_FILE


def active_database(data_dir: Path) -> Path:
    return Path(data_dir) / DATA_FILE
