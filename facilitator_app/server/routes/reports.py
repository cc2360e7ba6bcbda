"""`/reports/v1`: supervisor roll-ups, scoped like everything else."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from ...core.intensity import IntensityReport
from ...sync.protocol import ErrorBody
from ..db import read_tx
from ..deps import CurrentUser, EngineDep
from ..errors import ApiError
from ..reports import intensity

router = APIRouter(prefix="/reports/v1", tags=["reports"])


@router.get("/intensity", response_model=IntensityReport,
            responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def intensity_report(user: CurrentUser, engine: EngineDep,
                     today: date | None = Query(default=None, description="Report date (default: today)"),
                     start: date | None = Query(default=None, description="Count only visits from this day on "
                                                "(default: every visit up to the report date)"),
                     ) -> IntensityReport:
    end = today or date.today()
    if start is not None and start > end:
        raise ApiError(422, "invalid", f"start ({start.isoformat()}) is after the report date ({end.isoformat()}).")
    with read_tx(engine) as conn:
        return intensity(conn, user, today=end, start=start)
