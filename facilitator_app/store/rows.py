"""Convert between domain records and table rows (JSON columns; booleans are 0/1 in SQLite and
True/False in records, so a record read back equals the record written)."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any, Protocol, TypeVar

from ..core.codec import entity_fields, from_record
from ..core.model import ENTITY_TYPES
from .schema import ENTITY_TABLES

T = TypeVar("T")


class RowLike(Protocol):
    """A row read by column name: `sqlite3.Row` (which typeshed does not make a Mapping) or a dict."""

    def __getitem__(self, key: str, /) -> Any: ...


@cache
def json_columns(entity: str) -> frozenset[str]:
    """Fields stored as JSON text: lists and nested records."""
    hints = typing.get_type_hints(ENTITY_TYPES[entity])
    out = set()
    for name, kind in hints.items():
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        base = args[0] if typing.get_origin(kind) in (typing.Union, types.UnionType) else kind
        if typing.get_origin(base) is list or dataclasses.is_dataclass(base):
            out.add(name)
    return frozenset(out)


@cache
def bool_columns(entity: str) -> frozenset[str]:
    """Fields declared `bool` (SQLite keeps them as 0/1, records carry True/False)."""
    hints = typing.get_type_hints(ENTITY_TYPES[entity])
    return frozenset(name for name, kind in hints.items()
                     if kind is bool or (typing.get_origin(kind) in (typing.Union, types.UnionType)
                                         and set(typing.get_args(kind)) == {bool, type(None)}))


@cache
def columns(entity: str) -> tuple[str, ...]:
    return tuple(entity_fields(entity))


def table(entity: str) -> str:
    return ENTITY_TABLES[entity]


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once: a hot path


def to_row_values(entity: str, record: dict[str, Any]) -> dict[str, Any]:
    """Record values (already JSON-ready) as SQLite column values."""
    js = json_columns(entity)
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in js:
            out[key] = _encode_json(value)
        elif isinstance(value, bool):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def row_to_record(entity: str, row: RowLike) -> dict[str, Any]:
    """A table row as a JSON-ready record of the entity's fields (no sync metadata)."""
    js = json_columns(entity)
    flags = bool_columns(entity)
    record: dict[str, Any] = {}
    for name in columns(entity):
        value = row[name]
        if value is not None:
            if name in js:
                value = json.loads(value)
            elif name in flags:
                value = bool(value)
        record[name] = value
    return record


_ENTITY_NAMES: dict[type, str] = {cls: name for name, cls in ENTITY_TYPES.items()}


def entity_name(cls: type) -> str:
    """The entity name ("visit") of an entity type (Visit)."""
    return _ENTITY_NAMES[cls]


def row_to_entity(cls: type[T], row: RowLike) -> T:
    """A table row as the entity it stores, typed by the class asked for."""
    return from_record(cls, row_to_record(entity_name(cls), row))
