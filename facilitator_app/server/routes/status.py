"""`GET /healthz` (checks the database) and `GET /version`."""

from __future__ import annotations

from fastapi import APIRouter

from ... import __version__
from ...sync.protocol import PROTOCOL_VERSION, ErrorBody, HealthStatus, VersionInfo
from ..db import ping
from ..deps import EngineDep
from ..migrate import head_revision

router = APIRouter(tags=["status"])


@router.get("/healthz", response_model=HealthStatus, responses={503: {"model": ErrorBody}})
def healthz(engine: EngineDep) -> HealthStatus:
    ping(engine)  # an OperationalError becomes 503 through the app's handler
    return HealthStatus(status="ok", database="ok")


@router.get("/version", response_model=VersionInfo)
def version() -> VersionInfo:
    return VersionInfo(app=__version__, protocol=PROTOCOL_VERSION, schema_revision=head_revision())
