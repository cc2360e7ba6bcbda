"""Turn domain dataclasses into JSON-ready records and back.

One codec for the store, the sync protocol, exports and the server, so a visit means the same
thing everywhere. Dates travel as ISO strings; nested records as dicts.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import date, datetime, time
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
def _decoder(kind: Any, strict: bool = False) -> typing.Callable[[Any], Any]:
    """How to turn a JSON value into `kind`, worked out once per type.

    Why: the server checks every pushed row by building it (see server/merge.py), inside the
    push transaction that all pushes wait for; reading the type hints again for every field of
    every row cost more than the rest of that check.

    `strict` (what the server and the pull check use) also refuses what the lenient reading
    would quietly accept: keys the record type does not have, at any depth; dates and times
    not written the one canonical way (2026-11-05, 09:30:00); numbers that are not finite."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _decoder(next(a for a in typing.get_args(kind) if a is not type(None)), strict)
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        item = _decoder(item_kind, strict)

        def decode_list(value: Any) -> list[Any] | None:
            if value is None:
                return None
            if not isinstance(value, list):
                raise ValueError("must be a list")
            return [item(v) for v in value]
        return decode_list
    if kind is date:
        return _strict_date if strict else _lenient(date)
    if kind is time:
        return _strict_time if strict else _lenient(time)
    if kind is float:
        return _strict_float if strict else (lambda value: float(value) if isinstance(value, int) else value)
    if kind is bool:
        if strict:
            return lambda value: value
        return lambda value: bool(value) if isinstance(value, int) else value
    if dataclasses.is_dataclass(kind):
        return lambda value: None if value is None else from_record(kind, value, strict=strict)  # type: ignore[arg-type]
    return lambda value: value


def _lenient(kind: type) -> typing.Callable[[Any], Any]:
    return lambda value: value if value is None or isinstance(value, kind) else kind.fromisoformat(value)  # type: ignore[attr-defined]


def _strict_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date like 2026-11-05")
    day = date.fromisoformat(value)
    if day.isoformat() != value:
        raise ValueError(f"{value[:40]!r} is not written as a date like 2026-11-05")
    return day


def _strict_time(value: Any) -> time | None:
    if value is None or isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a time like 09:30:00")
    moment = time.fromisoformat(value)
    if moment.isoformat() != value or moment.tzinfo is not None:
        raise ValueError(f"{value[:40]!r} is not written as a time like 09:30:00")
    return moment


def _strict_float(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


@cache
def _field_decoders(cls: type, strict: bool = False) -> tuple[tuple[str, typing.Callable[[Any], Any]], ...]:
    hints = _hints(cls)
    return tuple((f.name, _decoder(hints[f.name], strict)) for f in dataclasses.fields(cls))


@cache
def _known_keys(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls)) | {"id", "practice_id"}


def to_record(obj: Any) -> dict[str, Any]:
    """All fields of an entity, JSON-ready, plus `id` and `practice_id`."""
    record = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    record.setdefault("id", obj.id)
    if hasattr(obj, "practice_id"):
        record.setdefault("practice_id", obj.practice_id)
    return record


def from_record(cls: type[T], record: dict[str, Any], *, strict: bool = False) -> T:
    """Build an entity from a record. Lenient (the default, for the laptop's own rows) ignores
    keys it does not know; `strict` refuses them and anything not in canonical form, naming
    the field, with ValueError."""
    kwargs = _decode_fields(cls, record, strict)
    try:
        return cls(**kwargs)
    except TypeError:
        missing = [f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                   if f.name not in kwargs and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        raise ValueError(f"missing field(s): {', '.join(missing)}") from None


def check_fields(cls: type, fields: dict[str, Any]) -> None:
    """Read some fields of a record strictly (as `from_record(strict=True)` would), without
    needing the others: raise ValueError naming the first field that is not acceptable."""
    _decode_fields(cls, fields, True)


def _decode_fields(cls: type, record: dict[str, Any], strict: bool) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ValueError("must be a record (an object with named fields)")
    if strict:
        unknown = sorted(set(record) - _known_keys(cls))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(repr(k[:40]) for k in unknown[:5])}")
    kwargs = {}
    for name, decode in _field_decoders(cls, strict):
        if name in record:
            try:
                kwargs[name] = decode(record[name])
            except (ValueError, TypeError, AttributeError) as exc:
                raise ValueError(f"{name}: {exc}") from None
    return kwargs


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
