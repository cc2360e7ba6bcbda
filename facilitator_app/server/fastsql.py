"""Hot statements run on the DB-API cursor, compiled once per dialect.

Why: a sync runs about twenty statements and writes some sixty rows, and SQLAlchemy's
execution path (cache key, parameter processing, result wrapping) cost more CPU than SQLite
itself (measured with py-spy under bench/server_bench.py: a quarter of the server's CPU). The
statements stay SQLAlchemy Core expressions, so they are written once for both databases; only
running them skips the machinery. They run on the connection's own DB-API connection, inside
the transaction the caller began, so transactions and isolation work as for any other statement.

Only for statements whose columns need no type conversion: text and integers. A boolean comes
back as 0/1 from SQLite and True/False from PostgreSQL, so callers read booleans by truth only.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable
from sqlalchemy.util import symbol


class _Compiled:
    def __init__(self, stmt: Any, dialect: Dialect, keys: Sequence[str] | None):
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql = compiled.string
        # The values the expression holds itself (literals such as `id = 1`, LIMIT 1); None for
        # the parameters each call gives.
        self.defaults = dict(compiled.construct_params(_check=False))
        self.positional = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        # (a parameter no value was given for reads as None, or as SQLAlchemy's REQUIRED symbol)
        self.literals = {k: v for k, v in self.defaults.items() if v is not None and not isinstance(v, symbol)}
        columns = [c[0] for c in getattr(compiled, "_result_columns", [])]  # (keyname, name, objects, type)
        self.row: Any = namedtuple("Row", columns, rename=True) if columns else None

    def args(self, params: Mapping[str, Any]) -> Any:
        if self.positional is not None:
            defaults = self.defaults
            return tuple(params[n] if n in params else defaults[n] for n in self.positional)
        return {**self.literals, **params} if self.literals else params


class Fast:
    """A Core statement (`insert`, `update`, `select`) with named `bindparam`s, run directly.

    `keys`: for an INSERT without `.values()`, the columns the rows give (all of them must be
    given in every row)."""

    def __init__(self, stmt: Executable, keys: Sequence[str] | None = None):
        self.stmt, self.keys = stmt, keys
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.stmt, dialect, self.keys)
        return found

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run once; returns the number of rows changed (for INSERT/UPDATE)."""
        compiled = self._compiled(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.args(params or {}))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled = self._compiled(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, [compiled.args(r) for r in rows])
        finally:
            cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row, each a named tuple with the selected columns' names."""
        compiled = self._compiled(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.args(params or {}))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        make = compiled.row._make if compiled.row is not None else tuple
        return [make(r) for r in rows]

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first row (a named tuple), or None."""
        compiled = self._compiled(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.args(params or {}))
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return compiled.row._make(row) if compiled.row is not None else row

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(conn, params)
        return None if row is None else row[0]
