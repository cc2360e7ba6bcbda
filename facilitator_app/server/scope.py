"""Which practices a user may read and write. Every read and every mutation goes through here."""

from __future__ import annotations

import json

from sqlalchemy import Connection, Select, and_, bindparam, select

from . import tables as t
from .accounts import User


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
