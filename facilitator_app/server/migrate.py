"""Run the packaged Alembic migrations from code, and tell whether a database is up to date.

No alembic.ini: the script location is this package's `migrations/` folder, so an installed
server (or a frozen one) migrates the same way as a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@cache
def head_revision() -> str:
    """The newest migration this code ships (fixed for the life of the process; `GET /version`
    asks for it on every call, and reading the migrations folder took about 10 ms)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head, "no migrations shipped"
    return head


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (a no-op when it is already there)."""
    state = schema_state(engine)
    if state.is_newer:
        raise SchemaError(state.message)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class SchemaError(Exception):
    """The database cannot be served as it is; the message says what to run."""


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    known: bool

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def is_newer(self) -> bool:
        return self.current is not None and not self.known

    @property
    def message(self) -> str:
        if self.current is None:
            return ("This database has not been set up for the facilitator server. "
                    "Run `facilitator-server migrate` with the same --database-url first.")
        if self.is_newer:
            return (f"This database was set up by a newer facilitator server (schema {self.current}); "
                    f"this version knows up to {self.head}. Upgrade the server package instead.")
        if not self.is_current:
            return (f"This database has an older schema ({self.current}; newest is {self.head}). "
                    "Back it up, then run `facilitator-server migrate` with the same --database-url.")
        return "The database schema is up to date."


def schema_state(engine: Engine) -> SchemaState:
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    known = current is None or _known(script, current)
    return SchemaState(current=current, head=head_revision(), known=known)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def require_current(engine: Engine) -> None:
    state = schema_state(engine)
    if not state.is_current:
        raise SchemaError(state.message)
