"""Browser sessions for the dashboard: a random cookie whose SHA-256 names a server-side row.

Why rows and not signed cookies: a session must end at once when the person signs out, when an
admin runs `token revoke`, disables the account or changes its password (the credential
generation, as for API tokens), and only a row the server checks on every request can do that.
The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it)
and Secure when the request came over TLS (directly, or through a proxy the server trusts:
uvicorn's proxy headers set the scheme, see docs/server.md).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy import Connection, and_, delete, insert, select, update

from .. import tables as t
from ..accounts import User, _user, _user_query
from ..clock import now_ms
from ..security import token_hash

COOKIE = "ffk_dashboard"
LOGIN_COOKIE = "ffk_dashboard_login"  # the sign-in form's CSRF value (double submit: no session yet)
SESSION_HOURS = 12  # a working day, then sign in again
IDLE_MINUTES = 60  # unused this long, a session ends (a shared computer left open)
_TOUCH_MS = 60_000  # last_seen is written at most once a minute
ENDED = "Your sign-in has ended (signed out, expired, or the account's password or access changed). Sign in again."


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    session_hash: str


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def new_session(conn: Connection, user: User, *, address: str) -> tuple[str, str]:
    """Store a session for `user`; returns (cookie value, CSRF token)."""
    value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = now_ms()
    conn.execute(insert(t.dashboard_sessions).values(
        session_hash=token_hash(value), user_id=user.id, credential_generation=user.credential_generation,
        csrf_token=csrf, created_ms=now, last_seen_ms=now, expires_ms=now + SESSION_HOURS * 3_600_000, revoked=False,
        address=address[:100]))
    # Sessions that ended more than a day ago are of no use to anyone.
    conn.execute(delete(t.dashboard_sessions).where(t.dashboard_sessions.c.expires_ms < now - 86_400_000))
    return value, csrf


def find_session(conn: Connection, cookie: str | None) -> tuple[Session | None, bool]:
    """(the session, whether its last_seen should be written) for a cookie, or (None, False)
    when it is unknown, revoked, expired, idle too long, of an older credential generation or
    of a disabled account."""
    if not cookie or len(cookie) > 200:
        return None, False
    s = t.dashboard_sessions
    query = (_user_query()
             .add_columns(s.c.session_hash, s.c.csrf_token, s.c.revoked, s.c.expires_ms, s.c.last_seen_ms,
                          s.c.credential_generation.label("session_generation"))
             .join(s, s.c.user_id == t.users.c.id).where(s.c.session_hash == token_hash(cookie)))
    row = conn.execute(query).first()
    now = now_ms()
    if (row is None or row.revoked or row.disabled or row.session_generation != row.credential_generation
            or row.expires_ms <= now or row.last_seen_ms + IDLE_MINUTES * 60_000 <= now):
        return None, False
    return Session(_user(row), row.csrf_token, row.session_hash), row.last_seen_ms + _TOUCH_MS <= now


def touch(conn: Connection, session_hash: str) -> None:
    conn.execute(update(t.dashboard_sessions).where(t.dashboard_sessions.c.session_hash == session_hash)
                 .values(last_seen_ms=now_ms()))


def end_session(conn: Connection, session_hash: str) -> None:
    conn.execute(update(t.dashboard_sessions).where(and_(t.dashboard_sessions.c.session_hash == session_hash))
                 .values(revoked=True))


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/dashboard", httponly=True, samesite="strict",
                        secure=is_secure(request))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/dashboard", httponly=True, samesite="strict", secure=is_secure(request))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def session_count(conn: Connection, user_id: int) -> int:
    """Live sessions of a user (for tests and the audit)."""
    s = t.dashboard_sessions
    return len(conn.execute(select(s.c.session_hash).where(and_(s.c.user_id == user_id, s.c.revoked.is_(False)))).all())
