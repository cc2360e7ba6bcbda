"""FastAPI dependencies: the engine, settings, the bearer token and the signed-in user.

Why the plain ones are `async def`: FastAPI runs every `def` dependency on the thread pool, and
a hop there and back costs more than the attribute lookup it would run.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from .accounts import User, user_for_token
from .errors import ApiError
from .settings import Settings

_bearer = HTTPBearer(auto_error=False, description="The token from POST /auth/v1/token")


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The request's bearer token, not yet checked (401 if there is none). A handler that takes
    this instead of `CurrentUser` must check it with `token_user` in its own transaction."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", "Sign in first: this request has no bearer token.")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def token_user(conn: Connection, token: str) -> User:
    """The token's user, read in the caller's transaction; 401 for a missing, unknown, expired or
    revoked token, a disabled user, or a token issued before the user's last password change or
    disable (see accounts.user_for_token). Checked on every request, so a revocation applies at once."""
    user, why = user_for_token(conn, token)
    if user is None:
        raise ApiError(401, "unauthorized", why)
    return user


def current_user(engine: EngineDep, token: BearerToken) -> User:
    """The token's user, checked in a transaction of its own."""
    with engine.connect() as conn:
        return token_user(conn, token)


CurrentUser = Annotated[User, Depends(current_user)]
