"""`/reports/v1`: supervisor roll-ups, scoped like everything else."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from ...core.intensity import IntensityReport
from ...sync.protocol import ErrorBody
from ..db import read_tx
from ..deps import CurrentUser, EngineDep
from ..reports import intensity

router = APIRouter(prefix="/reports/v1", tags=["reports"])


@router.get("/intensity", response_model=IntensityReport,
            responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def intensity_report(user: CurrentUser, engine: EngineDep,
                     today: date | None = Query(default=None, description="Report date (default: today)")
                     ) -> IntensityReport:
    with read_tx(engine) as conn:
        return intensity(conn, user, today=today or date.today())
