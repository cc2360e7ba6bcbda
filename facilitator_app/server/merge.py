"""Field-level last-writer-wins merge and record validation, with no SQL (unit-testable).

Each field is a register whose winner is the higher hybrid logical clock, so every server
worker picks the same winner whatever order pushes arrive in. A write whose `base` (the clock
of the value the user saw) differs from the current clock, with a different value, is a
conflict: both values and authors are kept, the winner is still chosen by clock.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from datetime import date, time
from typing import Any

from ..core.codec import check_fields, entity_fields, from_record, to_record
from ..core.errors import ValidationError
from ..core.model import ENTITY_TYPES, ChecklistItem, checklist_id, id_problem, validate_entity
from ..core.hlc import clock_of
from ..core.toolkit import Toolkit

DELETED = "deleted"


class Rejected(Exception):
    """A mutation that can never be applied; the message is stored and shown to its author."""


@dataclass
class StoredRow:
    data: dict[str, Any]
    clocks: dict[str, str]
    editors: dict[str, str]
    author: str
    practice_id: str

    @property
    def deleted(self) -> bool:
        return bool(self.data.get(DELETED, False))


@dataclass(frozen=True)
class FieldConflict:
    field: str
    base_clock: str | None
    winner_value: Any
    winner_author: str
    winner_clock: str
    loser_value: Any
    loser_author: str
    loser_clock: str


@dataclass
class MergeResult:
    row: StoredRow
    won: list[str] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)
    # Every field sent already holds this very value with this very clock: a change re-sent
    # (a copied laptop after its reset, a retry) is applied, not superseded, and no conflict.
    unchanged: bool = False


# Fields an older app may still send, which the server converts (see push.py: _convert_legacy).
LEGACY_FIELDS = {"visit": frozenset({"notes", "next_steps"})}
MAX_DEPTH = 8  # the deepest record (a visit's attendee) is 3 levels down


@cache  # every pushed mutation asks
def allowed_fields(entity: str) -> frozenset[str]:
    return frozenset(entity_fields(entity)) | {DELETED} | LEGACY_FIELDS.get(entity, frozenset())


def check_put_shape(entity: str, row_id: str, practice_id: str, fields: dict[str, Any]) -> None:
    """Refuse unknown fields, ids that contradict the mutation or cannot be stored, and values
    no record holds (too deep, numbers that are not finite or too large), before any merge."""
    if not fields:
        raise Rejected("The change carries no fields.")
    problem = id_problem(entity, row_id, practice_id)
    if problem:
        raise Rejected(problem + ".")
    problem = json_value_problem(fields)
    if problem:
        raise Rejected(f"Invalid value: {problem}.")
    unknown = sorted(set(fields) - allowed_fields(entity))
    if unknown:
        raise Rejected(f"Unknown field(s) for a {entity.replace('_', ' ')}: {', '.join(unknown)}.")
    if "id" in fields and fields["id"] != row_id:
        raise Rejected("The record's id does not match the change's id.")
    if "practice_id" in fields and fields["practice_id"] != practice_id:
        raise Rejected("A record cannot be moved to another practice.")
    if entity in ("practice", "plan") and row_id != practice_id:
        raise Rejected(f"A {entity}'s id must equal its practice id.")
    if DELETED in fields and not isinstance(fields[DELETED], bool):
        raise Rejected("'deleted' must be true or false.")


def merge_put(current: StoredRow | None, *, row_id: str, practice_id: str, fields: dict[str, Any],
              base: dict[str, str | None], hlc: str, user: str) -> MergeResult:
    """Apply one put to the current row (or create it), field by field."""
    if current is None:
        data = {"id": row_id, "practice_id": practice_id, DELETED: False}
        data.update({k: v for k, v in fields.items() if k not in ("id", "practice_id")})
        clocks = {k: hlc for k in fields if k != "id"}
        clocks.setdefault(DELETED, hlc)
        editors = {k: user for k in clocks}
        return MergeResult(StoredRow(data, clocks, editors, user, practice_id), won=sorted(clocks))
    row = StoredRow(dict(current.data), dict(current.clocks), dict(current.editors), current.author,
                    current.practice_id)
    result = MergeResult(row)
    same = 0
    for name, value in fields.items():
        if name in ("id", "practice_id"):
            continue
        cur_clock = clock_of(row.clocks, name)
        cur_value = row.data.get(name)
        if cur_clock == hlc and value == cur_value:
            same += 1
            continue
        seen = base.get(name)
        incoming_wins = cur_clock is None or hlc > cur_clock
        if cur_clock is not None and seen != cur_clock and value != cur_value:
            if incoming_wins:
                result.conflicts.append(FieldConflict(name, seen, value, user, hlc, cur_value,
                                                      row.editors.get(name, current.author), cur_clock))
            else:
                result.conflicts.append(FieldConflict(name, seen, cur_value, row.editors.get(name, current.author),
                                                      cur_clock, value, user, hlc))
        if incoming_wins:
            row.data[name] = value
            row.clocks[name] = hlc
            row.editors[name] = user
            result.won.append(name)
    result.unchanged = same > 0 and same == len([k for k in fields if k not in ("id", "practice_id")])
    return result


def json_value_problem(value: Any, depth: int = 0) -> str | None:
    """What no record can hold anywhere in a pushed value: nesting deeper than any record,
    numbers that are not finite (JSON has no Infinity; SQLite's JSON functions then fail for
    every reader) and whole numbers beyond what SQLite and PostgreSQL store (64-bit)."""
    if depth > MAX_DEPTH:
        return "values are nested deeper than any record"
    if isinstance(value, float):
        return None if math.isfinite(value) else "a number that is not finite (Infinity or NaN)"
    if isinstance(value, int) and not isinstance(value, bool):
        return None if -INT64 <= value < INT64 else f"the number {str(value)[:30]} is too large"
    if isinstance(value, dict):
        return next((p for v in value.values() if (p := json_value_problem(v, depth + 1))), None)
    if isinstance(value, list):
        return next((p for v in value if (p := json_value_problem(v, depth + 1))), None)
    return None


INT64 = 2 ** 63


def canonical_record(entity: str, data: dict[str, Any], *, sent: dict[str, Any], toolkit: Toolkit,
                     today: date) -> dict[str, Any]:
    """The record to store: the merged row rebuilt as its domain object, validated, with every
    field present in its one canonical form (raise Rejected with the reason otherwise).

    What this push `sent` is read strictly (unknown keys at any depth, dates not written
    2026-11-05, non-finite numbers are refused); fields already stored are read leniently, so
    a row saved before these rules is repaired by its next change instead of refusing it."""
    cls = ENTITY_TYPES[entity]
    missing = [name for name in _required(cls) if name not in data]
    if missing:
        raise Rejected(f"A new {entity.replace('_', ' ')} needs: {', '.join(missing)}.")
    try:
        check_fields(cls, {k: v for k, v in sent.items() if k != DELETED})
        obj: object = from_record(cls, data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise Rejected(f"Invalid value: {exc}") from None
    problems = list(_type_problems(cls, obj, ""))
    if problems:
        raise Rejected("Invalid value: " + "; ".join(problems[:5]))
    try:
        if isinstance(obj, ChecklistItem):
            if obj.strategy_id not in toolkit.ids:
                raise Rejected(f"Unknown strategy {obj.strategy_id!r} (not in toolkit {toolkit.version}).")
            if data["id"] != checklist_id(obj.practice_id, obj.strategy_id):
                raise Rejected("A checklist item's id must be '<practice id>:<strategy id>'.")
            validate_entity(obj, today=today, step_count=len(toolkit.get(obj.strategy_id).steps))
        else:
            validate_entity(obj, today=today, strategy_ids=toolkit.ids)
    except ValidationError as exc:
        raise Rejected(str(exc)) from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise Rejected(f"Invalid value: {exc}") from None
    record = to_record(obj)
    record[DELETED] = bool(data.get(DELETED, False))
    return record


@cache
def _required(cls: type) -> tuple[str, ...]:
    """The fields a record of this type must have (no default); asked for every pushed row."""
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_problems(kind: Any, value: Any, where: str) -> typing.Iterator[str]:
    """Every value whose JSON type does not match the model (e.g. a number where text belongs)."""
    problems: list[str] = []
    _checker(kind)(value, where, problems)
    return iter(problems)


_Check = typing.Callable[[Any, str, list[str]], None]


@cache
def _checker(kind: Any) -> _Check:
    """The type check for one model type, worked out once from its hints.

    Why compiled: pushes run this for every field of every row, and walking the type hints
    again each time was a third of a push's time, all of it inside the push transaction."""
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)  # type: ignore[arg-type]
        parts = [(f.name, _checker(hints[f.name])) for f in dataclasses.fields(kind)]

        def check_record(value: Any, where: str, out: list[str]) -> None:
            for name, check in parts:
                check(getattr(value, name), where + name, out)
        return check_record
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = _checker(next(a for a in typing.get_args(kind) if a is not type(None)))

        def check_optional(value: Any, where: str, out: list[str]) -> None:
            if value is not None:
                inner(value, where, out)
        return check_optional
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        item = _checker(item_kind)

        def check_list(value: Any, where: str, out: list[str]) -> None:
            if not isinstance(value, list):
                out.append(f"{where} must be a list")
                return
            for i, v in enumerate(value):
                item(v, f"{where}[{i}].", out)
        return check_list
    ok = _KIND_CHECKS.get(kind)
    name = _KIND_NAMES.get(kind, "a valid value")

    def check_value(value: Any, where: str, out: list[str]) -> None:
        if ok is not None and not ok(value):
            out.append(f"{where.rstrip('.')} must be {name}")
    return check_value


# Built once: _type_problems runs for every field of every pushed row.
_KIND_CHECKS: dict[Any, typing.Callable[[Any], bool]] = {
    str: lambda v: isinstance(v, str),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool) and -INT64 <= v < INT64,
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
    bool: lambda v: isinstance(v, bool),
    date: lambda v: isinstance(v, date),
    time: lambda v: isinstance(v, time),
}


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
               date: "a date like 2026-11-01", time: "a time like 09:30"}
