"""Queries for cooperatives, users, tokens, login attempts, assignments and the audit trail.

Handlers and CLI commands call these; they never write SQL themselves.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, Select, and_, bindparam, delete, func, insert, select, text, update

from ..core.errors import FieldKitError
from . import tables as t
from .clock import now_ms
from .db import inserted_id
from .fastsql import Fast
from .security import MIN_PASSWORD_LENGTH, hash_password, new_token, token_hash
from .text import text_problem

ROLES = ("facilitator", "supervisor", "admin")
MAX_FULL_NAME = 200
MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321)
MAX_EMAIL_LOCAL = 64
# Said to a client whose token was issued before the user's password changed or before the
# account was disabled (enabling it again does not bring such tokens back).
STALE_CREDENTIALS = "Your password was changed or your account was disabled: sign in again."
INVALID_TOKEN = "Your sign-in has expired or was revoked, or your account is disabled. Sign in again."


class AdminError(FieldKitError):
    """An account operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    cooperative_id: int | None
    cooperative: str | None
    disabled: bool
    scope_epoch: int
    credential_generation: int = 1
    full_name: str | None = None
    email: str | None = None

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


def _user_query() -> Select[Any]:
    return (select(t.users.c.id, t.users.c.name, t.users.c.role, t.users.c.cooperative_id,
                   t.cooperatives.c.name.label("cooperative"), t.users.c.disabled, t.users.c.scope_epoch,
                   t.users.c.credential_generation, t.users.c.full_name, t.users.c.email)
            .select_from(t.users.outerjoin(t.cooperatives, t.users.c.cooperative_id == t.cooperatives.c.id)))


def _user(row: Any) -> User:
    return User(row.id, row.name, row.role, row.cooperative_id, row.cooperative, bool(row.disabled), row.scope_epoch,
                row.credential_generation, row.full_name, row.email)


def audit(conn: Connection, actor: str, action: str, **detail: Any) -> None:
    conn.execute(insert(t.audit).values(at_ms=now_ms(), actor=actor, action=action,
                                        detail=json.dumps(detail, ensure_ascii=False, default=str)))


# -- cooperatives ----------------------------------------------------------------------------

def add_cooperative(conn: Connection, name: str, *, actor: str = "admin-cli") -> int:
    name = name.strip()
    if not name:
        raise AdminError("A cooperative needs a name.")
    if len(name) > 200:
        raise AdminError("A cooperative name can be at most 200 characters.")
    if conn.execute(select(t.cooperatives.c.id).where(t.cooperatives.c.name == name)).first():
        raise AdminError(f"There is already a cooperative called {name!r}.")
    cid = inserted_id(conn.execute(insert(t.cooperatives).values(name=name, created_ms=now_ms())))
    audit(conn, actor, "cooperative.add", name=name)
    return cid


def cooperative_id(conn: Connection, name: str) -> int:
    row = conn.execute(select(t.cooperatives.c.id).where(t.cooperatives.c.name == name)).first()
    if row is None:
        known = [r[0] for r in conn.execute(select(t.cooperatives.c.name).order_by(t.cooperatives.c.name))]
        hint = f" Known cooperatives: {', '.join(known)}." if known else " Create one with `cooperative add NAME`."
        raise AdminError(f"There is no cooperative called {name!r}.{hint}")
    return int(row[0])


def list_cooperatives(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(select(t.cooperatives.c.name).order_by(t.cooperatives.c.name))]


# -- users -----------------------------------------------------------------------------------

def clean_full_name(value: str) -> str | None:
    """The full name to store (None to clear it); AdminError if it cannot be one."""
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_FULL_NAME:
        raise AdminError(f"A full name can be at most {MAX_FULL_NAME} characters (this one has {len(value)}).")
    if text_problem(value) or any(_is_control(ch) for ch in value):
        raise AdminError("A full name cannot contain control characters (tabs, line breaks and the like).")
    return value


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


_EMAIL_LOCAL_FORBIDDEN = frozenset('@<>()[]\\,;:" ')


def clean_email(value: str) -> str | None:
    """The email to store (None to clear it); AdminError naming the problem otherwise.

    Checked by splitting, never with a regular expression: every check is one linear pass, so
    a long hostile value costs no more than its length."""
    value = value.strip()
    if not value:
        return None
    example = "Give an address like ana@example.org"
    if len(value) > MAX_EMAIL:
        raise AdminError(f"An email address can be at most {MAX_EMAIL} characters (this one has {len(value)}).")
    if text_problem(value) or any(ch.isspace() or _is_control(ch) for ch in value):
        raise AdminError(f"An email address cannot contain spaces or control characters. {example}.")
    local, at, domain = value.partition("@")
    if not at or "@" in domain:
        raise AdminError(f"An email address has exactly one @ ({value!r} has {value.count('@')}). {example}.")
    if not local or len(local) > MAX_EMAIL_LOCAL or any(ch in _EMAIL_LOCAL_FORBIDDEN for ch in local):
        raise AdminError(f"The part before the @ must be 1 to {MAX_EMAIL_LOCAL} characters without spaces, "
                         f"quotes or brackets. {example}.")
    labels = domain.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 or label[0] == "-" or label[-1] == "-"
                              or not all(ch.isalnum() or ch == "-" for ch in label) for label in labels):
        raise AdminError(f"The part after the @ must be a domain like example.org (got {domain!r}). {example}.")
    return value


def add_user(conn: Connection, name: str, *, role: str, cooperative: str | None, password: str,
             full_name: str = "", email: str = "", actor: str = "admin-cli") -> User:
    name = name.strip()
    if not name or len(name) > 200:
        raise AdminError("A user name must be 1 to 200 characters.")
    if role not in ROLES:
        raise AdminError(f"Role must be one of: {', '.join(ROLES)} (got {role!r}).")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if role != "admin" and not cooperative:
        raise AdminError(f"A {role} belongs to a cooperative: add --cooperative NAME.")
    clean_name, clean_mail = clean_full_name(full_name), clean_email(email)
    coop_id = cooperative_id(conn, cooperative) if cooperative else None
    if conn.execute(select(t.users.c.id).where(t.users.c.name == name)).first():
        raise AdminError(f"There is already a user called {name!r}.")
    conn.execute(insert(t.users).values(name=name, role=role, cooperative_id=coop_id,
                                        password_hash=hash_password(password), disabled=False,
                                        scope_epoch=1, credential_generation=1, full_name=clean_name,
                                        email=clean_mail, created_ms=now_ms()))
    audit(conn, actor, "user.add", name=name, role=role, cooperative=cooperative)
    return get_user(conn, name)


def find_user(conn: Connection, name: str) -> tuple[User, str] | None:
    """The user and their password hash, or None."""
    row = conn.execute(_user_query().add_columns(t.users.c.password_hash).where(t.users.c.name == name)).first()
    return (_user(row), row.password_hash) if row else None


def get_user(conn: Connection, name: str) -> User:
    row = conn.execute(_user_query().where(t.users.c.name == name)).first()
    if row is None:
        raise AdminError(f"There is no user called {name!r}.")
    return _user(row)


def user_by_id(conn: Connection, user_id: int) -> User:
    return _user(conn.execute(_user_query().where(t.users.c.id == user_id)).one())


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(_user_query().order_by(t.users.c.name))]


_NEXT_GENERATION = t.users.c.credential_generation + 1


def set_disabled(conn: Connection, name: str, disabled: bool, *, actor: str = "admin-cli") -> None:
    """Disabling also moves the credential generation on, so re-enabling needs a fresh sign-in."""
    user = get_user(conn, name)
    values: dict[str, Any] = {"disabled": disabled}
    if disabled:
        values["credential_generation"] = _NEXT_GENERATION
    conn.execute(update(t.users).where(t.users.c.id == user.id).values(**values))
    audit(conn, actor, "user.disable" if disabled else "user.enable", name=name)


def set_password(conn: Connection, name: str, password: str, *, actor: str = "admin-cli") -> None:
    """A new password ends every token issued before it (the credential generation moves on)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    user = get_user(conn, name)
    conn.execute(update(t.users).where(t.users.c.id == user.id)
                 .values(password_hash=hash_password(password), credential_generation=_NEXT_GENERATION))
    audit(conn, actor, "user.password", name=name)


def set_details(conn: Connection, name: str, *, full_name: str | None = None, email: str | None = None,
                actor: str = "admin-cli") -> list[str]:
    """Change the full name and/or email (None leaves one as it is, "" clears it); returns what changed.

    Both are checked before either is written, so a bad email never leaves a half-done change."""
    user = get_user(conn, name)
    values: dict[str, str | None] = {}
    if full_name is not None:
        values["full_name"] = clean_full_name(full_name)
    if email is not None:
        values["email"] = clean_email(email)
    changed = [k for k, v in values.items() if getattr(user, k) != v]
    if changed:
        conn.execute(update(t.users).where(t.users.c.id == user.id).values(**{k: values[k] for k in changed}))
        audit(conn, actor, "user.set", name=name, fields=changed)
    return changed


def move_user(conn: Connection, name: str, cooperative: str, *, actor: str = "admin-cli") -> list[str]:
    """Move an account to another cooperative; returns the practices it was unassigned from.

    Its assignments end (they are the old cooperative's practices), and every app that reads what
    the move changes downloads its data again at the next sync: the account's own (the other
    cooperative's tips, none of the old), and every supervisor's of both cooperatives (whose
    facilitators' shared diary entries changed)."""
    user = get_user(conn, name)
    new_coop = cooperative_id(conn, cooperative)
    if user.role == "admin":
        raise AdminError(f"{name} is an admin; admins are not moved between cooperatives.")
    if user.cooperative_id == new_coop:
        raise AdminError(f"{name} is already in the cooperative {cooperative!r}.")
    dropped = assigned_practices(conn, user.id)
    conn.execute(delete(t.assignments).where(t.assignments.c.user_id == user.id))
    conn.execute(update(t.users).where(t.users.c.id == user.id).values(cooperative_id=new_coop))
    bump_scope_epoch(conn, user.id)
    conn.execute(update(t.users).where(and_(t.users.c.role == "supervisor", t.users.c.cooperative_id.in_(
        [c for c in (user.cooperative_id, new_coop) if c is not None]))).values(scope_epoch=t.users.c.scope_epoch + 1))
    audit(conn, actor, "user.move", name=name, cooperative=cooperative, unassigned=dropped)
    return dropped


# -- tokens and login attempts ---------------------------------------------------------------

def issue_token(conn: Connection, user: User, *, days: int) -> tuple[str, int]:
    token = new_token()
    now = now_ms()
    expires = now + days * 86_400_000
    # The generation read with the password hash that was checked: had the password changed
    # since, this token is born stale instead of outliving the old password.
    conn.execute(insert(t.tokens).values(token_hash=token_hash(token), user_id=user.id, created_ms=now,
                                         expires_ms=expires, revoked=False,
                                         credential_generation=user.credential_generation))
    return token, expires


# Every request runs this (see fastsql for why it is run directly).
_TOKEN_USER = Fast(_user_query().add_columns(t.tokens.c.expires_ms, t.tokens.c.revoked,
                                             t.tokens.c.credential_generation.label("token_generation"))
                   .join(t.tokens, t.tokens.c.user_id == t.users.c.id)
                   .where(t.tokens.c.token_hash == bindparam("h")))


def user_for_token(conn: Connection, token: str) -> tuple[User | None, str]:
    """(the token's user, "") if the token is known, unexpired, unrevoked, of the user's current
    credential generation and the user is enabled; else (None, why, for the person)."""
    row = _TOKEN_USER.first(conn, {"h": token_hash(token)})
    if row is None or row.revoked:
        return None, INVALID_TOKEN
    if row.token_generation != row.credential_generation or row.disabled:
        return None, STALE_CREDENTIALS
    if row.expires_ms <= now_ms():
        return None, INVALID_TOKEN
    return _user(row), ""


def revoke_tokens(conn: Connection, name: str, *, actor: str = "admin-cli") -> int:
    user = get_user(conn, name)
    count = conn.execute(update(t.tokens).where(and_(t.tokens.c.user_id == user.id, t.tokens.c.revoked.is_(False)))
                         .values(revoked=True)).rowcount
    # The dashboard's browser sessions end too: "sign out everywhere" means every sign-in.
    sessions = conn.execute(update(t.dashboard_sessions).where(and_(t.dashboard_sessions.c.user_id == user.id,
                                                                    t.dashboard_sessions.c.revoked.is_(False)))
                            .values(revoked=True)).rowcount
    audit(conn, actor, "token.revoke", name=name, tokens=count, dashboard_sessions=sessions)
    return int(count or 0)


def recent_failures(conn: Connection, *, username: str, address: str, window_ms: int = 60_000) -> tuple[int, int]:
    since = now_ms() - window_ms
    by_user = conn.execute(select(func.count()).select_from(t.login_attempts).where(
        and_(t.login_attempts.c.username == username, t.login_attempts.c.at_ms > since))).scalar_one()
    by_address = conn.execute(select(func.count()).select_from(t.login_attempts).where(
        and_(t.login_attempts.c.address == address, t.login_attempts.c.at_ms > since))).scalar_one()
    return int(by_user), int(by_address)


def record_failure(conn: Connection, *, username: str, address: str) -> int:
    """Record a failed (or not yet verified) sign-in; returns its id."""
    now = now_ms()
    attempt = inserted_id(conn.execute(insert(t.login_attempts).values(username=username[:200],
                                                                       address=address[:100], at_ms=now)))
    # Keep the table small: failures older than a day no longer matter to the limit.
    conn.execute(delete(t.login_attempts).where(t.login_attempts.c.at_ms < now - 86_400_000))
    return attempt


def lock_login_attempts(conn: Connection) -> None:
    """Serialize counting-and-recording sign-in attempts across workers (the transaction is short).

    SQLite needs nothing: write transactions already hold the write lock from their first statement.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(4243, 1)"))


def forget_attempt(conn: Connection, attempt_id: int) -> None:
    """A reserved attempt whose password checked out is not a failure."""
    conn.execute(delete(t.login_attempts).where(t.login_attempts.c.id == attempt_id))


# -- practices and assignments ---------------------------------------------------------------

_PRACTICE_COOP = select(t.practices.c.cooperative_id).where(t.practices.c.id == bindparam("p"))


def practice_cooperative(conn: Connection, practice_id: str) -> int | None:
    return conn.execute(_PRACTICE_COOP, {"p": practice_id}).scalar()


def assign(conn: Connection, user_name: str, practice_ids: Iterable[str], *, actor: str = "admin-cli") -> int:
    """Assign practices to a facilitator (all-or-nothing) and bump their scope epoch."""
    user = get_user(conn, user_name)
    ids = list(dict.fromkeys(practice_ids))
    if user.role != "facilitator":
        raise AdminError(f"{user.name} is a {user.role}; only facilitators are assigned practices "
                         "(supervisors see their whole cooperative).")
    problems = []
    for pid in ids:
        coop = practice_cooperative(conn, pid)
        if coop is None:
            problems.append(f"there is no practice with id {pid!r}")
        elif coop != user.cooperative_id:
            problems.append(f"practice {pid!r} belongs to another cooperative")
    if problems:
        raise AdminError("Nothing was assigned: " + "; ".join(problems) + ".")
    existing = {r[0] for r in conn.execute(select(t.assignments.c.practice_id)
                                           .where(t.assignments.c.user_id == user.id))}
    new = [pid for pid in ids if pid not in existing]
    if new:
        conn.execute(insert(t.assignments), [{"user_id": user.id, "practice_id": pid, "assigned_ms": now_ms()}
                                             for pid in new])
        bump_scope_epoch(conn, user.id)
    audit(conn, actor, "assign", user=user.name, practices=new)
    return len(new)


def unassign(conn: Connection, user_name: str, practice_ids: Iterable[str], *, actor: str = "admin-cli") -> int:
    user = get_user(conn, user_name)
    ids = list(dict.fromkeys(practice_ids))
    count = conn.execute(delete(t.assignments).where(and_(t.assignments.c.user_id == user.id,
                                                          t.assignments.c.practice_id.in_(ids)))).rowcount or 0
    if count:
        bump_scope_epoch(conn, user.id)
    audit(conn, actor, "unassign", user=user.name, practices=ids, removed=count)
    return int(count)


def bump_scope_epoch(conn: Connection, user_id: int) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(scope_epoch=t.users.c.scope_epoch + 1))


def assigned_practices(conn: Connection, user_id: int) -> list[str]:
    return [r[0] for r in conn.execute(select(t.assignments.c.practice_id)
                                       .where(t.assignments.c.user_id == user_id)
                                       .order_by(t.assignments.c.practice_id))]


# -- audit -----------------------------------------------------------------------------------

def audit_entries(conn: Connection, since_ms: int | None = None) -> list[dict[str, Any]]:
    q = select(t.audit).order_by(t.audit.c.id)
    if since_ms is not None:
        q = q.where(t.audit.c.at_ms >= since_ms)
    return [{"at_ms": r.at_ms, "actor": r.actor, "action": r.action, "detail": json.loads(r.detail)}
            for r in conn.execute(q)]


