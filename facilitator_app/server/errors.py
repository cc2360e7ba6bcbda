"""Errors the API answers with, and the handlers that turn every failure into an ErrorBody.

Why handlers for everything: the OpenAPI schema is the contract, so even FastAPI's own 404s
and validation errors must carry `{error, message, detail}`, and bad input never becomes a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..sync.protocol import ErrorBody, ErrorCode

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, error: ErrorCode, message: str, detail: Any = None):
        super().__init__(message)
        self.status, self.error, self.message, self.detail = status, error, message, detail


def body(error: ErrorCode, message: str, detail: Any = None) -> dict[str, Any]:
    return ErrorBody(error=error, message=message, detail=detail).model_dump(mode="json")


def error_response(status: int, error: ErrorCode, message: str, detail: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(error, message, detail), status_code=status, headers=headers)


def describe_validation(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """One readable sentence and a JSON-safe list naming each bad field."""
    details = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        details.append({"field": ".".join(loc) or "body", "problem": str(e.get("msg", "invalid")),
                        "type": str(e.get("type", ""))})
    if any(d["type"] == "json_invalid" for d in details):
        return "The request body is not valid JSON.", details
    first = details[0] if details else {"field": "body", "problem": "invalid"}
    more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
    return f"Invalid request: {first['field']}: {first['problem']}{more}", details


_HTTP_CODES: dict[int, ErrorCode] = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large",
                                     429: "rate_limited", 503: "unavailable"}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.error, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = describe_validation(list(exc.errors()))
        return error_response(422, "invalid", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # an unreadable body (bad encoding, not JSON): the same as invalid input
            return error_response(422, "invalid", "The request body could not be read as JSON.")
        code = _HTTP_CODES.get(exc.status_code, "invalid")
        message = {404: "There is nothing at this address.",
                   405: "This address does not accept that method."}.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, code, message)

    @app.exception_handler(RecursionError)
    async def _too_deep(_request: Request, exc: RecursionError) -> JSONResponse:
        # limits.BodyLimit refuses deep request bodies first; this catches whatever else recursed.
        log.warning("recursion limit reached: %s", exc)
        return error_response(422, "invalid", "The request nests lists or objects too deeply; nothing was saved.")

    @app.exception_handler(OperationalError)
    async def _db_busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return error_response(503, "unavailable", "The server's database is busy or unreachable; "
                              "nothing was saved. Try again in a moment.", headers={"Retry-After": "2"})

    @app.exception_handler(PoolTimeout)
    async def _pool(_request: Request, exc: PoolTimeout) -> JSONResponse:
        return error_response(503, "unavailable", "The server is overloaded; nothing was saved. "
                              "Try again in a moment.", headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal", "The server hit an unexpected error; nothing was saved. "
                              "The data team can find the details in the server log.")
