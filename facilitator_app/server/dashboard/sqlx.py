"""The few SQL expressions SQLite and PostgreSQL spell differently: reading a field of a row's
JSON text, and turning an ISO date into a day number (days since 1970-01-01).

Rows keep each record as JSON text (see tables.rows), so the dashboard reads fields in the
database with the database's own JSON functions instead of decoding every record in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Float, Integer, String, cast, func, literal_column
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Sql:
    dialect: str  # "sqlite" or "postgresql"

    @property
    def is_pg(self) -> bool:
        return self.dialect == "postgresql"

    def doc(self, data: ColumnElement[Any]) -> ColumnElement[Any]:
        """A row's record, ready for `get`: parsed once into jsonb on PostgreSQL (each `->>` on
        text would parse the whole record again; select this into a MATERIALIZED CTE and read
        every field from it), the JSON text itself on SQLite (json_extract reads text)."""
        return cast(data, JSONB) if self.is_pg else data

    def get(self, doc: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        """A field of a `doc` as text."""
        if self.is_pg:
            return doc.op("->>")(_key(key, "'{}'"))
        return func.json_extract(doc, _key(key, "'$.{}'"), type_=String)

    def get_int(self, doc: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        if self.is_pg:
            return cast(self.get(doc, key), Integer)
        return func.json_extract(doc, _key(key, "'$.{}'"), type_=Integer)

    def get_real(self, doc: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        if self.is_pg:
            return cast(self.get(doc, key), Float)
        return func.json_extract(doc, _key(key, "'$.{}'"), type_=Float)

    def get_len(self, doc: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        """Entries in a list field of a `doc` (0 when missing)."""
        if self.is_pg:
            return func.coalesce(func.jsonb_array_length(doc.op("->")(_key(key, "'{}'"))), 0)
        return func.coalesce(func.json_array_length(doc, _key(key, "'$.{}'")), 0)

    def text(self, data: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        """The field as text (NULL when missing or null). The key is written into the SQL, not
        bound: an expression index (see migration 0004) only serves the very same expression."""
        if self.is_pg:
            return cast(data, JSONB).op("->>")(_key(key, "'{}'"))
        return func.json_extract(data, _key(key, "'$.{}'"), type_=String)

    def int(self, data: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        if self.is_pg:
            return cast(self.text(data, key), Integer)
        return func.json_extract(data, _key(key, "'$.{}'"), type_=Integer)

    def real(self, data: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        if self.is_pg:
            return cast(self.text(data, key), Float)
        return func.json_extract(data, _key(key, "'$.{}'"), type_=Float)

    def day(self, iso_date: ColumnElement[Any]) -> ColumnElement[Any]:
        """Days since 1970-01-01 of an ISO date text (NULL stays NULL)."""
        if self.is_pg:
            return cast(cast(iso_date, Date) - literal_column("DATE '1970-01-01'"), Integer)
        return cast(func.julianday(iso_date) - 2440587.5, Integer)


def _key(key: str, pattern: str) -> ColumnElement[Any]:
    if not key.replace("_", "").isalnum():
        raise ValueError(f"not a field name: {key!r}")  # keys are the code's own, never input
    return literal_column(pattern.format(key))


def entity_is(column: ColumnElement[Any], entity: str) -> ColumnElement[Any]:
    """`entity = 'visit'` with the name written into the SQL, so partial indexes apply."""
    return column == _key(entity, "'{}'")
