"""One settings object for the server, read from the environment (or built by a test).

Why environment variables: `serve --workers N` starts uvicorn worker processes that build the
app from a factory, and the environment is the one thing they all inherit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DATABASE_URL_ENV = "FFK_SERVER_DATABASE_URL"
DATA_DIR_ENV = "FFK_SERVER_DATA_DIR"
DEFAULT_DB_FILE = "server.sqlite"
TOKEN_DAYS = 30
LOGIN_ATTEMPTS_PER_MINUTE = 5
CLOCK_SKEW_LIMIT_MS = 5 * 60 * 1000


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("FacilitatorFieldKitServer", "FacilitatorFieldKit"))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def default_database_url(data_dir: Path | None = None) -> str:
    return sqlite_url((data_dir or default_data_dir()) / DEFAULT_DB_FILE)


def normalize_database_url(url: str) -> str:
    """Accept the URLs people copy from hosting panels (`postgres://`, `postgresql://`) and use
    psycopg 3, the driver the `server` extra installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str
    token_days: int = TOKEN_DAYS
    login_attempts_per_minute: int = LOGIN_ATTEMPTS_PER_MINUTE
    clock_skew_limit_ms: int = CLOCK_SKEW_LIMIT_MS
    pool_size: int = 20  # database connections per worker, and requests it works on at once

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls) -> "Settings":
        url = os.environ.get(DATABASE_URL_ENV) or default_database_url()
        return cls(database_url=normalize_database_url(url))
