"""Turn domain dataclasses into JSON-ready records and back.

One codec for the store, the sync protocol, exports and the server, so a visit means the same
thing everywhere. Dates travel as ISO strings; nested records as dicts.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, time
from functools import cache
from typing import Any, TypeVar

from .model import ENTITY_TYPES

T = TypeVar("T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (date, time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


@cache
def _decoder(kind: Any) -> typing.Callable[[Any], Any]:
    """How to turn a JSON value into `kind`, worked out once per type.

    Why: the server checks every pushed row by building it (see server/merge.py), inside the
    push transaction that all pushes wait for; reading the type hints again for every field of
    every row cost more than the rest of that check."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _decoder(next(a for a in typing.get_args(kind) if a is not type(None)))
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        item = _decoder(item_kind)
        return lambda value: None if value is None else [item(v) for v in value]
    if kind is date:
        return lambda value: value if value is None or isinstance(value, date) else date.fromisoformat(value)
    if kind is time:
        return lambda value: value if value is None or isinstance(value, time) else time.fromisoformat(value)
    if kind is float:
        return lambda value: float(value) if isinstance(value, int) else value
    if kind is bool:
        return lambda value: bool(value) if isinstance(value, int) else value
    if dataclasses.is_dataclass(kind):
        return lambda value: None if value is None else from_record(kind, value)  # type: ignore[arg-type]
    return lambda value: value


@cache
def _field_decoders(cls: type) -> tuple[tuple[str, typing.Callable[[Any], Any]], ...]:
    hints = _hints(cls)
    return tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))  # type: ignore[arg-type]


def to_record(obj: Any) -> dict[str, Any]:
    """All fields of an entity, JSON-ready, plus `id` and `practice_id`."""
    record = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    record.setdefault("id", obj.id)
    if hasattr(obj, "practice_id"):
        record.setdefault("practice_id", obj.practice_id)
    return record


def from_record(cls: type[T], record: dict[str, Any]) -> T:
    """Build an entity from a record, ignoring keys it does not know (ids, sync metadata)."""
    kwargs = {}
    for name, decode in _field_decoders(cls):
        if name in record:
            try:
                kwargs[name] = decode(record[name])
            except (ValueError, TypeError, AttributeError) as exc:
                raise ValueError(f"{name}: {exc}") from None
    return cls(**kwargs)


def entity_fields(entity: str) -> list[str]:
    """The data fields of an entity type, in declaration order (ids included)."""
    cls = ENTITY_TYPES[entity]
    names = [f.name for f in dataclasses.fields(cls)]
    for extra in ("id", "practice_id"):
        if extra not in names:
            names.append(extra)
    return names


def entity_of(obj: Any) -> str:
    for name, cls in ENTITY_TYPES.items():
        if type(obj) is cls:
            return name
    raise TypeError(f"not an entity: {type(obj).__name__}")
