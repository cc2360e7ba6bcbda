"""`/sync/v1`: push, pull and the cooperative's published toolkit."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response

from ...sync.protocol import (
    MAX_MUTATIONS_PER_PUSH,
    OLDEST_PROTOCOL,
    PROTOCOL_VERSION,
    ErrorBody,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ToolkitDocument,
)
from ..deps import BearerToken, CurrentUser, EngineDep
from ..errors import ApiError
from ..pull import pull_json
from ..push import apply_push
from ..records import published_toolkit
from ..text import text_problem

router = APIRouter(prefix="/sync/v1", tags=["sync"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (401, 403, 409, 413, 422, 426, 503)}


def _check_protocol(protocol: int) -> None:
    if not OLDEST_PROTOCOL <= protocol <= PROTOCOL_VERSION:
        raise ApiError(426, "protocol_mismatch",
                       (f"This version of Facilitator Field Kit is too old for your cooperative's server "
                        f"(sync protocol {protocol}; the server needs {OLDEST_PROTOCOL} or later). Install the "
                        "update: your unsent work stays on this computer and is sent at the first sync after the "
                        "update."
                        if protocol < PROTOCOL_VERSION else
                        f"Your cooperative's server is older than this app (sync protocol {PROTOCOL_VERSION}; the app "
                        f"speaks {protocol}). Ask the data team to update the server; your work stays on this "
                        "computer."),
                       {"server_protocol": PROTOCOL_VERSION})


# Both sync handlers answer with a Response they serialized themselves: a returned model would be
# validated again against response_model, on another trip to the thread pool (response_model
# still documents the shape).

@router.post("/push", response_model=PushResponse, responses=_ERRORS)
def push(body: PushRequest, token: BearerToken, engine: EngineDep) -> Response:
    """The token is checked in the push's own transaction (see apply_push)."""
    _check_protocol(body.protocol)
    if len(body.mutations) > MAX_MUTATIONS_PER_PUSH:
        raise ApiError(413, "too_large", f"A push may carry at most {MAX_MUTATIONS_PER_PUSH} changes "
                       f"(this one has {len(body.mutations)}); send the rest in the next push.")
    return Response(apply_push(engine, token, body).model_dump_json(), media_type="application/json")


@router.post("/pull", response_model=PullResponse, responses=_ERRORS)
def pull_changes(body: PullRequest, token: BearerToken, engine: EngineDep) -> Response:
    """The token is checked in the page's own snapshot (see pull_json)."""
    _check_protocol(body.protocol)
    problem = text_problem(body.client_id, "client_id")
    if problem:
        raise ApiError(422, "invalid", f"Invalid request: {problem}.")
    return Response(pull_json(engine, token, body), media_type="application/json")


@router.get("/toolkit", response_model=ToolkitDocument,
            responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}})
def toolkit(user: CurrentUser, engine: EngineDep) -> ToolkitDocument:
    with engine.connect() as conn:
        found = published_toolkit(conn, user.cooperative_id)
    if found is None:
        raise ApiError(404, "not_found", "Your cooperative has not published a customized toolkit; "
                       "the toolkit built into the app applies.")
    return ToolkitDocument(version=found[1], document=json.loads(found[2]))
