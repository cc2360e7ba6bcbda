"""The program's web dashboard, served by `facilitator-server` under /dashboard/ (see docs/server.md)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from .routes import HERE, Forbidden, NeedSignIn, NotFound, _forbidden, _security_headers, router, templates


def install(app: FastAPI) -> None:
    """Add the dashboard's pages, its stylesheet and its error pages to the server's app."""
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=str(HERE / "static")), name="dashboard-static")

    @app.exception_handler(NeedSignIn)
    async def _sign_in(_request: Request, exc: NeedSignIn) -> RedirectResponse:
        query = {"next": exc.next_url}
        if exc.message:
            query["ended"] = "1"
        return _security_headers(RedirectResponse(f"/dashboard/login?{urlencode(query)}", status_code=303))

    @app.exception_handler(Forbidden)
    async def _forbid(request: Request, _exc: Forbidden) -> HTMLResponse:
        return _forbidden(request)

    @app.exception_handler(NotFound)
    async def _missing(_request: Request, exc: NotFound) -> HTMLResponse:
        page = templates.get_template("message.html").render(title="Not found", heading="Not found", text=exc.message,
                                                             back=True)
        return _security_headers(HTMLResponse(page, status_code=404))
