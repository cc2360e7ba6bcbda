"""Checking a user name and password, with the failed-sign-in limit, for the API and the dashboard.

One function for both doors, so the dashboard has exactly the API's limit (5 failures a minute
per user and per address, counted in the database across workers) and a guess at one door
counts at the other.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ..sync.protocol import ErrorCode
from . import accounts
from .accounts import User
from .db import write_tx
from .security import verify_password
from .settings import Settings
from .text import text_problem

RATE_LIMITED = "Too many failed sign-in attempts. Wait a minute and try again."
WRONG_PASSWORD = "Wrong user name or password."
DISABLED = "This account is disabled. Ask your cooperative's admin."


class SignInError(Exception):
    """A sign-in that did not succeed: `status` is the HTTP status (401, 422, 429)."""

    def __init__(self, status: int, code: ErrorCode, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_sign_in(engine: Engine, settings: Settings, *, username: str, password: str, address: str) -> User:
    """The user whose name and password these are, or SignInError.

    The attempt is counted and recorded as a failure in one serialized transaction before the
    password is checked (and forgotten once it checks out): counting first and recording only
    after the slow password check let parallel guesses all pass the limit."""
    problem = text_problem(username, "username")
    if problem:
        raise SignInError(422, "invalid", f"Invalid request: {problem}.")
    limit = settings.login_attempts_per_minute
    with write_tx(engine) as conn:
        accounts.lock_login_attempts(conn)
        by_user, by_address = accounts.recent_failures(conn, username=username, address=address)
        if by_user >= limit or by_address >= limit:
            raise SignInError(429, "rate_limited", RATE_LIMITED)
        attempt = accounts.record_failure(conn, username=username, address=address)
    with engine.connect() as conn:
        found = accounts.find_user(conn, username)
    ok = verify_password(found[1] if found else None, password)
    if not ok or found is None or found[0].disabled:
        if ok and found is not None:
            raise SignInError(401, "unauthorized", DISABLED)
        raise SignInError(401, "unauthorized", WRONG_PASSWORD)
    with write_tx(engine) as conn:
        accounts.forget_attempt(conn, attempt)
    return found[0]
