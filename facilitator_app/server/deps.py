"""FastAPI dependencies: the engine, settings, and the signed-in user (`CurrentUser`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from .accounts import User, user_for_token
from .errors import ApiError
from .settings import Settings

_bearer = HTTPBearer(auto_error=False, description="The token from POST /auth/v1/token")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_user(engine: EngineDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The token's user; 401 for a missing, unknown, expired or revoked token, a disabled user, or a
    token issued before the user's last password change or disable (see accounts.user_for_token)."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", "Sign in first: this request has no bearer token.")
    with engine.connect() as conn:
        user, why = user_for_token(conn, credentials.credentials)
    if user is None:
        raise ApiError(401, "unauthorized", why)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
