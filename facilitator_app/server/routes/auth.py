"""`POST /auth/v1/token`: user name + password -> an opaque bearer token."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request

from ...sync.protocol import ErrorBody, TokenRequest, TokenResponse, UserInfo
from .. import accounts
from ..db import write_tx
from ..deps import EngineDep, SettingsDep
from ..errors import ApiError
from ..signin import SignInError, check_sign_in

router = APIRouter(prefix="/auth/v1", tags=["auth"])


@router.post("/token", response_model=TokenResponse,
             responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}})
def issue_token(body: TokenRequest, request: Request, engine: EngineDep, settings: SettingsDep) -> TokenResponse:
    """Failed attempts are counted in the database (per user and per address), so the limit
    holds across every worker process (see signin.check_sign_in)."""
    address = request.client.host if request.client else "unknown"
    try:
        user = check_sign_in(engine, settings, username=body.username, password=body.password, address=address)
    except SignInError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    with write_tx(engine) as conn:
        token, expires_ms = accounts.issue_token(conn, user, days=settings.token_days)
        accounts.audit(conn, user.name, "login", address=address)
    return TokenResponse(access_token=token, expires_at=datetime.fromtimestamp(expires_ms / 1000, timezone.utc),
                         user=UserInfo(name=user.name, role=user.role, cooperative=user.cooperative,
                                       full_name=user.full_name or "", email=user.email or ""))
