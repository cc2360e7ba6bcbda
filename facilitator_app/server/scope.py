"""Which practices a user may read and write. Every read and every mutation goes through here."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Select, String, and_, bindparam, cast, literal, select, union_all

from ..core.model import PERSONAL_SCOPE, Scope, scope_key, tip_mark_id
from . import tables as t
from .accounts import User
from .merge import StoredRow


def readable_practice_ids(user: User) -> Select[tuple[str]]:
    """A subquery of the practice ids the user may read.

    Facilitators: their assigned practices. Supervisors: every practice of their cooperative.
    Admins: their cooperative's practices, or every practice if they belong to none.
    """
    if user.role == "facilitator":
        return select(t.assignments.c.practice_id).where(t.assignments.c.user_id == user.id)
    if user.cooperative_id is None and user.role == "admin":
        return select(t.practices.c.id)
    return select(t.practices.c.id).where(t.practices.c.cooperative_id == user.cooperative_id)


def readable_scope_keys(user: User, *, shared: bool = True) -> Select[tuple[str]] | CompoundSelect[tuple[str]]:
    """A subquery of every scope key the user reads in a pull: their practices and, with `shared`
    (apps of protocol 3 on), their cooperative's tips and marks and the diary entries shared with
    them: a facilitator's own, and a supervisor's those of every account of the cooperative."""
    practices = readable_practice_ids(user)
    if not shared or user.cooperative_id is None or user.role == "admin":
        return practices
    keys: list[Select[Any]] = [select(literal(scope_key("cooperative", user.cooperative_id), String))]
    if user.role == "supervisor":
        keys.append(select(literal(PERSONAL_SCOPE + ":", String) + cast(t.users.c.id, String))
                    .where(t.users.c.cooperative_id == user.cooperative_id))
    else:
        keys.append(select(literal(scope_key("personal", user.id), String)))
    return union_all(practices, *keys)


def own_scope_key(user: User, scope: Scope) -> str:
    """Where this user's new tip, mark or diary entry is stored (raise ScopeRefused if nowhere)."""
    if user.cooperative_id is None or user.role == "admin":
        raise ScopeRefused("Tips and diary entries are kept by the facilitators and supervisors of a cooperative; "
                           "this account has none.")
    return scope_key(scope, user.cooperative_id if scope == "cooperative" else user.id)


class ScopeRefused(Exception):
    """Why a tip, mark or diary entry may not be written; the message is for the person."""


_TIP_WORDS = frozenset({"strategy_id", "text", "link", "ownership", "ehr_vendor", "size", "deleted"})
_TIP_FLAGS = frozenset({"pinned", "hidden"})


def scoped_write_refusal(user: User, *, entity: str, row_id: str, fields: dict[str, Any], key: str,
                         current: StoredRow | None, tip: StoredRow | None = None) -> str | None:
    """Why this user may not write this tip, mark or diary entry, or None. A record of another
    scope (another cooperative's tip, another person's entry) is answered as if it did not exist."""
    what = entity.replace("_", " ")
    if current is not None and current.practice_id != key:
        return f"There is no {what} {row_id} on the server."
    if entity == "tip":
        if current is not None and _TIP_WORDS & set(fields) and current.author != user.name:
            return f"Only {current.author}, who wrote this tip, can change or withdraw it."
        if user.role != "supervisor" and any(f in fields and (current is not None or fields[f]) for f in _TIP_FLAGS):
            return "Only a supervisor can pin or hide a tip."
        return None
    if entity == "tip_mark":
        tip_id = fields.get("tip_id", current.data.get("tip_id") if current is not None else None)
        if not isinstance(tip_id, str) or tip is None or tip.practice_id != key:
            return "The tip this mark is for is not on the server; it must sync first."
        if row_id != tip_mark_id(tip_id, user.name):
            return "A helpful mark can only be made by the person it counts: sign in as yourself and mark it again."
        return None
    if fields.get("deleted") is not True and fields.get("shared", True) is not True:
        return "Private diary entries stay on your computer; only shared ones are sent."
    return None


_ASSIGNED = select(t.assignments.c.user_id).where(
    and_(t.assignments.c.user_id == bindparam("u"), t.assignments.c.practice_id == bindparam("p")))


def is_assigned(conn: Connection, user: User, practice_id: str) -> bool:
    return conn.execute(_ASSIGNED, {"u": user.id, "p": practice_id}).first() is not None


SUPERVISOR_ENTITIES = frozenset({"checklist", "checklist_note"})


def no_such_practice(practice_id: str) -> str:
    """The refusal for a practice the server does not have."""
    return f"There is no practice {practice_id} on the server; its creation must sync first."


ONLY_FACILITATORS_ADD_PRACTICES = "Only facilitators can add practices from the app; ask an admin to import it."


def unknown_practice_refusal(user: User, *, entity: str, practice_id: str) -> str | None:
    """What push answers for a change to a practice the server does not have: None when it is a
    facilitator creating the practice, else why not. `write_refusal` answers exactly this for a
    practice of another cooperative, so a refusal never confirms that such a practice exists."""
    if entity == "practice":
        if user.role != "facilitator" or user.cooperative_id is None:
            return ONLY_FACILITATORS_ADD_PRACTICES
        return None
    return no_such_practice(practice_id)


def practice_label(conn: Connection, practice_id: str) -> str:
    """'The practice "Oak Clinic"' when the server knows its name, else its id. Only for a
    practice of the user's own cooperative (see no_such_practice)."""
    row = conn.execute(select(t.rows.c.data).where(
        and_(t.rows.c.entity == "practice", t.rows.c.id == practice_id))).first()
    name = json.loads(row.data).get("name") if row else None
    return f'The practice "{name}"' if name else f"Practice {practice_id}"


def write_refusal(conn: Connection, user: User, *, entity: str, practice_id: str,
                  practice_coop: int | None) -> str | None:
    """Why this user may not write this entity of this practice, or None if they may.

    A practice unknown to the server is handled by the caller (unknown_practice_refusal). One
    outside the user's cooperative gets the very refusal of an unknown one, whatever the user's
    role, so nobody can probe for another cooperative's practices.
    """
    if practice_coop != user.cooperative_id and not (user.role == "admin" and user.cooperative_id is None):
        # As if it did not exist. A facilitator "creating" it is refused all the same (its id is
        # taken), which the unknown-practice wording covers too.
        return unknown_practice_refusal(user, entity=entity, practice_id=practice_id) or no_such_practice(practice_id)
    if user.role == "admin":
        return "Admin accounts manage users and practices; records are edited by facilitators and supervisors."
    if user.role == "supervisor":
        if entity not in SUPERVISOR_ENTITIES:
            return "Supervisors may edit checklist items and add checklist notes only."
        return None
    if not is_assigned(conn, user, practice_id):
        return f"{practice_label(conn, practice_id)} is not assigned to you; ask your supervisor to assign it."
    return None
