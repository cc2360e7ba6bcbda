"""Headless commands. Each module adds its sub-commands with `register(subparsers)`; every
handler takes (Context, argparse.Namespace) and returns an exit code. Handlers call the same
store/sync/reports functions the GUI calls.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from ..core.toolkit import Toolkit
from ..paths import default_data_dir
from ..store import Store
from ..store.accounts import active_database


class UsageError(Exception):
    """A bad option value; the message says what to type instead. Exit code 2."""


@dataclass
class Context:
    data_dir: Path
    as_json: bool = False
    _store: Store | None = None

    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(active_database(self.data_dir))
        return self._store

    @cached_property
    def toolkit(self) -> Toolkit:
        from ..store.toolkit_source import active_toolkit

        return active_toolkit(self.store(), self.data_dir)

    def database_path(self) -> Path:
        """The database file this command works on (for error messages)."""
        if self._store is not None:
            return self._store.path
        try:
            return active_database(self.data_dir)
        except Exception:  # an unreadable accounts file: name the folder's own file
            return self.data_dir / "local.sqlite"

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def print(self, text: str = "") -> None:
        print(text, file=sys.stdout)

    def emit(self, data: Any, text: Callable[[], str] | str) -> None:
        """Print `data` as JSON with --json, else the human text."""
        if self.as_json:
            print(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default), file=sys.stdout)
        else:
            self.print(text() if callable(text) else text)


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def parse_date(text: str, what: str = "Date") -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise UsageError(f"{what} {text!r} must look like 2026-03-31 (year-month-day)") from None


def table(rows: list[list[Any]], headers: list[str]) -> str:
    """A plain aligned text table for the terminal."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def default_dir() -> Path:
    return default_data_dir()
