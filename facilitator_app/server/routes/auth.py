"""`POST /auth/v1/token`: user name + password -> an opaque bearer token."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request

from ...sync.protocol import ErrorBody, TokenRequest, TokenResponse, UserInfo
from .. import accounts
from ..db import write_tx
from ..deps import EngineDep, SettingsDep
from ..errors import ApiError
from ..security import verify_password
from ..text import text_problem

router = APIRouter(prefix="/auth/v1", tags=["auth"])


@router.post("/token", response_model=TokenResponse,
             responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}})
def issue_token(body: TokenRequest, request: Request, engine: EngineDep, settings: SettingsDep) -> TokenResponse:
    """Failed attempts are counted in the database (per user and per address), so the limit
    holds across every worker process.

    The attempt is counted and recorded as a failure in one serialized transaction before the
    password is checked (and forgotten once it checks out): counting first and recording only
    after the slow password check let parallel guesses all pass the limit."""
    problem = text_problem(body.username, "username")
    if problem:
        raise ApiError(422, "invalid", f"Invalid request: {problem}.")
    address = request.client.host if request.client else "unknown"
    limit = settings.login_attempts_per_minute
    with write_tx(engine) as conn:
        accounts.lock_login_attempts(conn)
        by_user, by_address = accounts.recent_failures(conn, username=body.username, address=address)
        if by_user >= limit or by_address >= limit:
            raise ApiError(429, "rate_limited", "Too many failed sign-in attempts. Wait a minute and try again.")
        attempt = accounts.record_failure(conn, username=body.username, address=address)
    with engine.connect() as conn:
        found = accounts.find_user(conn, body.username)
    ok = verify_password(found[1] if found else None, body.password)
    if not ok or found is None or found[0].disabled:
        if ok and found is not None:
            raise ApiError(401, "unauthorized", "This account is disabled. Ask your cooperative's admin.")
        raise ApiError(401, "unauthorized", "Wrong user name or password.")
    user = found[0]
    with write_tx(engine) as conn:
        accounts.forget_attempt(conn, attempt)
        token, expires_ms = accounts.issue_token(conn, user, days=settings.token_days)
        accounts.audit(conn, user.name, "login", address=address)
    return TokenResponse(access_token=token, expires_at=datetime.fromtimestamp(expires_ms / 1000, timezone.utc),
                         user=UserInfo(name=user.name, role=user.role, cooperative=user.cooperative,
                                       full_name=user.full_name or "", email=user.email or ""))
