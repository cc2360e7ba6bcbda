"""The tolerant reader: what a row from the server must be before this computer stores it.

Why: the server may hold rows stored before it checked everything (or be an older or broken
server), and one value SQLite cannot take (an integer beyond 64 bits), or one the screens
cannot show (None where a mode belongs, text where a number belongs, Infinity inside a JSON
column), used to fail the whole page for good, or every screen that later read the row.

Each pulled row is read once, here, the way it will later be read back:
- its ids must be storable (`core.model.id_problem`), its clocks text, its author text;
- keys this app does not know are ignored (a newer server may add a field; legacy fields of an
  older one are not ours to store) and a missing field takes the record's default, so rows of
  older servers still arrive (this is the lenient part, the tolerant reader proper);
- every value it keeps is read strictly: the JSON type of the field, whole numbers within
  64 bits, finite numbers, dates and times written the one canonical way (they are stored as
  text and compared in SQL), lists and nested records of the right shape (the strict part:
  what is stored must read back exactly as it was checked);
- the record it makes must pass `validate_entity` with "today" passed in.
A row that fails is not stored: the reason, in words a facilitator can act on, goes with the
server's row as received into `sync_rejected_rows` (see sync_state.py).

Speed: a first sync reads tens of thousands of rows, so the reading of each entity is worked
out once from the dataclass's type hints (`reader`), and validation, which depends only on a
row's values and "today", is remembered per page for rows whose values repeat (checklist rows:
35 strategies in a few states).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from datetime import date, datetime, time, timezone
from functools import cache
from typing import Any, Callable, Mapping, cast

from ..core.errors import ValidationError
from ..core.model import (
    APPEND_ONLY,
    ENTITY_TYPES,
    MAX_ID,
    MAX_PRACTICE_ID,
    checklist_id,
    id_problem,
    scope_of,
    validate_entity,
)
from ..core.record_labels import what_kind
from .rows import columns, json_columns

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
MAX_CLOCK = 120  # the longest clock the protocol allows
MAX_AUTHOR = 200
MEMO_LIMIT = 4096  # validation results remembered per page
META_COLUMNS = ("updated_at", "author", "deleted", "clocks")

_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_encode_string: Callable[[str], str] = json.encoder.encode_basestring


class Unusable(Exception):
    """A pulled row this computer cannot store or show; the message says why, for a person."""


class _Bad(Exception):
    """A value of the wrong kind; the caller names the field."""


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()




# -- one value --------------------------------------------------------------------------------
# A decoder takes a JSON value and returns (what the column stores, what the record holds), or
# raises _Bad with what is wrong.

Decoder = Callable[[Any], tuple[Any, Any]]


def _text(value: Any) -> tuple[Any, Any]:
    if value.__class__ is str:
        return value, value
    raise _Bad("must be text")


def _whole(value: Any) -> tuple[Any, Any]:
    if value.__class__ is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value, value
        raise _Bad(f"is the number {str(value)[:30]}…, too large to keep")
    raise _Bad("must be a whole number")


def _number(value: Any) -> tuple[Any, Any]:
    kind = value.__class__
    if kind is float:
        if math.isfinite(value):
            return value, value
        raise _Bad("must be a finite number (not Infinity or NaN)")
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value, float(value)
        raise _Bad(f"is the number {str(value)[:30]}…, too large to keep")
    raise _Bad("must be a number")


def _truth(value: Any) -> tuple[Any, Any]:
    if value.__class__ is bool:
        return value, value
    raise _Bad("must be true or false")


def _day(value: Any) -> tuple[Any, Any]:
    if value.__class__ is str:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and day.isoformat() == value:
            return value, day
        raise _Bad(f"must be a date like 2026-11-05, not {value[:40]!r}")
    raise _Bad("must be a date like 2026-11-05")


def _clock_time(value: Any) -> tuple[Any, Any]:
    if value.__class__ is str:
        try:
            moment = time.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None and moment.isoformat() == value:
            return value, moment
        raise _Bad(f"must be a time like 09:30:00, not {value[:40]!r}")
    raise _Bad("must be a time like 09:30:00")


_SCALARS: dict[Any, Decoder] = {str: _text, int: _whole, float: _number, bool: _truth, date: _day,
                                time: _clock_time}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(inner: Decoder) -> Decoder:
    def decode(value: Any) -> tuple[Any, Any]:
        return (None, None) if value is None else inner(value)
    return decode


def _nested_record(cls: type) -> Callable[[Any], tuple[dict[str, Any], Any]]:
    """A record inside a record (an attendee, a strategy worked on, a PDSA cycle): known keys are
    read strictly, unknown ones dropped, missing ones take their defaults."""
    parts = [(f.name, _json_value(_hints(cls)[f.name]), _default_of(f)) for f in dataclasses.fields(cls)]

    def decode(value: Any) -> tuple[dict[str, Any], Any]:
        if value.__class__ is not dict:
            raise _Bad("must be a record with named fields")
        clean, kwargs = {}, {}
        for name, item, default in parts:
            if name in value:
                try:
                    clean[name], kwargs[name] = item(value[name])
                except _Bad as bad:
                    raise _Bad(f"{name.replace('_', ' ')} {bad}") from None
            elif default is _REQUIRED:
                raise _Bad(f"has no {name.replace('_', ' ')}")
            else:
                kwargs[name] = default()
                clean[name] = _plain(kwargs[name])
        return clean, cls(**kwargs)
    return decode


def _json_value(kind: Any) -> Decoder:
    """How one value inside a JSON column is read: (JSON-ready clean value, record value)."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _optional(_json_value(next(a for a in typing.get_args(kind) if a is not type(None))))
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        item = _json_value(item_kind)

        def decode_list(value: Any) -> tuple[Any, Any]:
            if value.__class__ is not list:
                raise _Bad("must be a list")
            clean, out = [], []
            for i, v in enumerate(value, 1):
                try:
                    c, o = item(v)
                except _Bad as bad:
                    raise _Bad(f"entry {i} {bad}") from None
                clean.append(c)
                out.append(o)
            return clean, out
        return decode_list
    if dataclasses.is_dataclass(kind):
        return _nested_record(kind)  # type: ignore[arg-type]
    return _SCALARS[kind]


def _column(kind: Any, is_json: bool) -> Decoder:
    """How one field becomes (column value, record value)."""
    if not is_json:
        origin = typing.get_origin(kind)
        if origin in (typing.Union, types.UnionType):
            return _optional(_SCALARS[next(a for a in typing.get_args(kind) if a is not type(None))])
        return _SCALARS[kind]
    inner = _json_value(kind)

    def decode(value: Any) -> tuple[Any, Any]:
        if value is None:  # a list or record the server left empty: its column stays NULL
            if typing.get_origin(kind) in (typing.Union, types.UnionType):
                return None, None
            raise _Bad("is missing (null)")
        if value.__class__ is list and not value:
            return "[]", []
        clean, obj = inner(value)
        return _encode_json(clean), obj
    return decode


def _plain(value: Any) -> Any:
    """A record value as JSON-ready data (defaults of nested records)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


_REQUIRED = object()
_MISSING = object()


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        value = f.default
        return lambda: value
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory
    return _REQUIRED


def _storable(value: Any) -> Any:
    """A column value of a deleted row, which is stored but never shown: only that SQLite can
    keep it (and that its JSON columns stay JSON)."""
    kind = value.__class__
    if value is None or kind is str or kind is bool:
        return value
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        raise _Bad(f"is the number {str(value)[:30]}…, too large to keep")
    if kind is float:
        if math.isfinite(value):
            return value
        raise _Bad("must be a finite number (not Infinity or NaN)")
    raise _Bad("has a value of the wrong kind")


# -- one row ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    decode: Decoder
    is_json: bool
    default: Any  # a callable giving the record's default, or _REQUIRED
    default_column: Any  # the column value of that default


class Reader:
    """How the rows of one entity are read, worked out once (see `reader`).

    `columns` is the order of the values `read` returns: the entity's own fields (ids last, so
    the values before them are the row's content, the key under which validation is
    remembered), then the META_COLUMNS the entity does not have itself."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.cls = ENTITY_TYPES[entity]
        hints = _hints(self.cls)
        js = json_columns(entity)
        own = [f for f in dataclasses.fields(self.cls) if f.name not in ("id", "practice_id")]
        self.fields = tuple(_Field(f.name, _column(hints[f.name], f.name in js), f.name in js, _default_of(f),
                                   self._default_column(f, f.name in js)) for f in own)
        self.id_fields = tuple(n for n in ("id", "practice_id") if n in {f.name for f in dataclasses.fields(self.cls)})
        names = tuple(f.name for f in self.fields)
        assert set(names) | {"id", "practice_id"} == set(columns(entity)), entity
        self.meta = tuple(c for c in META_COLUMNS if c not in names)
        self.meta_positions = tuple(META_COLUMNS.index(c) for c in self.meta)
        self.columns = names + ("id", "practice_id") + self.meta
        self.note_author = names.index("author") if "author" in names and entity in APPEND_ONLY else None
        self.is_practice = entity in ("practice", "plan")  # ids: the practice's own
        self.id_limit = MAX_PRACTICE_ID if self.is_practice else MAX_ID
        self.scoped = scope_of(entity) != "practice"  # a scope key, checked by id_problem every time
        self._live = self._compile([hints[f.name] for f in own])

    def _compile(self, kinds: list[Any]) -> Callable[[dict[str, Any]], tuple[list[Any], dict[str, Any]]]:
        """The reading of a kept (not deleted) row's fields as one straight function, generated
        once: a loop over field objects cost more than everything else a pull does per row.
        It returns (column values, record keyword arguments) or raises Unusable."""
        env: dict[str, Any] = {"MISSING": _MISSING, "_Bad": _Bad, "Unusable": Unusable}
        lines = ["def read_fields(fields):"]
        for i, (f, kind) in enumerate(zip(self.fields, kinds, strict=False)):
            name, label = repr(f.name), _label(f.name)
            env[f"decode{i}"], env[f"default{i}"], env[f"column{i}"] = f.decode, f.default, f.default_column
            lines.append(f"    v = fields.get({name}, MISSING)")
            lines.append("    if v is MISSING:")
            if f.default is _REQUIRED:
                missing = f"The {what_kind(self.entity)} has no {f.name.replace('_', ' ')}."
                lines.append(f"        raise Unusable({missing!r})")
            else:
                lines.append(f"        c{i}, k{i} = column{i}, default{i}()")
            if kind is str:  # most fields: checked here, without a call
                lines.append("    elif v.__class__ is str:")
                lines.append(f"        c{i} = k{i} = v")
                lines.append("    else:")
                lines.append(f"        raise Unusable({label + ' is empty (null); it must be text.'!r} if v is None "
                             f"else {label + ' must be text.'!r})")
                continue
            lines.append("    else:")
            lines.append("        try:")
            lines.append(f"            c{i}, k{i} = decode{i}(v)")
            lines.append("        except _Bad as bad:")
            lines.append(f"            raise Unusable(f'{label} {{bad}}.') from None")
            lines.append("        except (ValueError, TypeError, RecursionError):")
            lines.append(f"            raise Unusable({label + ' holds a value this app cannot keep.'!r}) from None")
        count = len(self.fields)
        lines.append(f"    return [{', '.join(f'c{i}' for i in range(count))}], "
                     f"{{{', '.join(f'{f.name!r}: k{i}' for i, f in enumerate(self.fields))}}}")
        exec("\n".join(lines), env)  # noqa: S102 - our own text, built from the dataclass fields
        return env["read_fields"]  # type: ignore[no-any-return]

    @staticmethod
    def _default_column(f: dataclasses.Field[Any], is_json: bool) -> Any:
        default = _default_of(f)
        if default is _REQUIRED:
            return None
        value = default()
        if is_json:
            return None if value is None else _encode_json(_plain(value))
        return value.isoformat() if isinstance(value, (date, time)) else value

    def read(self, item: Mapping[str, Any], *, today: date, memo: dict[tuple[Any, ...], str | None],
             validate: bool = True) -> list[Any]:
        """The column values of one row as received (a JSON object: entity, id, practice_id,
        fields, clocks, deleted, author), in `columns` order; raise Unusable saying why not.

        `validate=False` checks only what reading needs (ids, kinds of values, required fields),
        not the record's rules: for rows already on this computer (see `stored_item`)."""
        entity = self.entity
        get = item.get
        # Typed as text: the check below (or id_problem) refuses anything else before they are used.
        row_id = cast(str, get("id"))
        practice_id = cast(str, get("practice_id"))
        # Ids that are certainly fine (UUIDs, checklist ids: printable ASCII, not blank, short
        # enough) are taken as they are; anything else gets id_problem's full answer.
        if not (row_id.__class__ is str and 0 < len(row_id) <= self.id_limit and row_id.isascii()
                and row_id.isprintable() and row_id[0] != " " and practice_id.__class__ is str
                and 0 < len(practice_id) <= MAX_PRACTICE_ID and practice_id.isascii() and practice_id.isprintable()
                and practice_id[0] not in " ~" and not self.scoped):
            problem = id_problem(entity, row_id, practice_id)
            if problem:
                raise Unusable(problem + ".")
        if self.is_practice and row_id != practice_id:
            raise Unusable(f"A {what_kind(entity)}'s id must be its practice's id.")
        fields = get("fields")
        if fields.__class__ is not dict:
            raise Unusable("The record has no fields.")
        deleted = get("deleted", False)
        if deleted.__class__ is not bool:
            raise Unusable("It is neither deleted nor kept (its 'deleted' flag is not true or false).")
        clocks = get("clocks")
        if clocks.__class__ is dict and len(clocks) == 1 and (clock := clocks.get("*")).__class__ is str \
                and len(clock) <= MAX_CLOCK:  # the usual row: one clock for every field
            clocks_text = '{"*":' + _encode_string(clock) + "}"
        else:
            clock, clocks_text = _clocks(clocks)
        author = get("author") or ""
        if author.__class__ is not str or len(author) > MAX_AUTHOR:
            raise Unusable("Its author is not a user name.")
        if deleted:  # a tombstone is never shown: it only has to be storable
            row: list[Any] = []
            for f in self.fields:
                try:
                    if f.name in fields:
                        value = fields[f.name]
                        row.append(_encode_json(value) if f.is_json and value is not None else _storable(value))
                    else:
                        row.append(f.default_column)
                except _Bad as bad:
                    raise Unusable(f"{_label(f.name)} {bad}.") from None
                except (ValueError, TypeError, RecursionError):  # JSON the encoder refuses (NaN, too deep)
                    raise Unusable(f"{_label(f.name)} holds a value this app cannot keep.") from None
        else:
            row, kwargs = self._live(fields)
            if entity == "checklist" and row_id != checklist_id(practice_id, kwargs["strategy_id"]):
                raise Unusable("A checklist item's id must be '<practice id>:<strategy id>'.")
            if validate:
                self._check(kwargs, tuple(row), row_id, practice_id, today, memo)
        row.append(row_id)
        row.append(practice_id)
        if self.note_author is not None:  # an append-only note keeps the author it was written with
            author = row[self.note_author] or author
            row[self.note_author] = author
        meta = (clock, author, 1 if deleted else 0, clocks_text)  # in META_COLUMNS order
        row += [meta[i] for i in self.meta_positions]
        return row

    def _check(self, kwargs: dict[str, Any], key: tuple[Any, ...], row_id: str, practice_id: str, today: date,
               memo: dict[tuple[Any, ...], str | None]) -> None:
        """Validate the record; a row with the same values as one already checked (ids aside)
        gets the same answer."""
        try:
            reason = memo[key]
        except KeyError:
            reason = self._validate(kwargs, row_id, practice_id, today)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = reason
        if reason:
            raise Unusable(reason)

    def _validate(self, kwargs: dict[str, Any], row_id: str, practice_id: str, today: date) -> str | None:
        ids = {"id": row_id, "practice_id": practice_id}
        obj = self.cls(**kwargs, **{n: ids[n] for n in self.id_fields})
        try:
            validate_entity(obj, today=today)
        except ValidationError as exc:
            return str(exc).rstrip(".") + "."
        except (TypeError, ValueError, AttributeError) as exc:  # a rule that did not expect this value
            return f"It could not be checked ({type(exc).__name__})."
        return None


def _clocks(clocks: Any) -> tuple[str, str]:
    """(latest clock, clocks as JSON text) of a row with clocks per field; they must be text."""
    if clocks.__class__ is dict and len(clocks) <= 200 and all(
            k.__class__ is str and v.__class__ is str and len(k) <= 100 and len(v) <= MAX_CLOCK
            for k, v in clocks.items()):
        return max(clocks.values(), default=""), _encode_json(clocks)
    raise Unusable("Its clocks (which change came last) cannot be read.")


def stored_item(entity: str, row: Any) -> dict[str, Any]:
    """A stored row as `Reader.read` takes it: JSON columns decoded, 0/1 back to true/false, and
    NULL read as "not sent" (the field's default), as a pulled row without the field would be.
    Raise Unusable when a JSON column is not JSON at all."""
    bools, js = _bool_fields(entity), json_columns(entity)
    fields: dict[str, Any] = {}
    for name in row.keys():
        value = row[name]
        if value is None or name in META_COLUMNS:
            continue
        if name in js:
            try:
                value = json.loads(value)
            except (TypeError, ValueError, RecursionError):
                raise Unusable(f"{_label(name)} is not readable (damaged JSON).") from None
        elif name in bools and value in (0, 1):
            value = bool(value)
        fields[name] = value
    try:
        clocks = json.loads(row["clocks"] or "{}")
    except (TypeError, ValueError):
        clocks = None
    return {"entity": entity, "id": row["id"], "practice_id": row["practice_id"], "fields": fields, "clocks": clocks,
            "deleted": bool(row["deleted"]), "author": row["author"]}


@cache
def _bool_fields(entity: str) -> frozenset[str]:
    return frozenset(n for n, kind in _hints(ENTITY_TYPES[entity]).items() if kind is bool)


@cache
def reader(entity: str) -> Reader:
    return Reader(entity)


def entity_problem(entity: Any) -> str | None:
    """Why rows of this kind cannot be stored here at all, or None."""
    if entity.__class__ is str and entity in ENTITY_TYPES:
        return None
    shown = str(entity)[:40] if entity.__class__ is str else "(none)"
    return (f"A kind of record this version of the app does not know ({shown!r}). "
            "Installing the latest version of the app may let it be used.")


def day_of_clock(clock: Any) -> date | None:
    """The UTC day of a clock's wall time (the server's "today" from its page), or None."""
    try:
        wall = int(str(clock)[:15])
        return datetime.fromtimestamp(wall / 1000, tz=timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        return None


def received_json(value: Any) -> str:
    """A value as received, kept for the record even when it is not valid JSON for SQLite
    (Infinity, NaN) or not valid Unicode (lone surrogates are escaped)."""
    try:
        return json.dumps(value, ensure_ascii=True, allow_nan=True, default=repr)
    except (ValueError, TypeError, RecursionError):
        return json.dumps(repr(value)[:10_000])
