"""The FastAPI application: `create_app(settings)` for tests and `app_from_env()` for uvicorn workers."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from .. import __version__
from . import dashboard
from .db import make_engine
from .errors import install_handlers
from .limits import BodyLimit
from .migrate import require_current
from .routes import auth, reports, status, sync
from .settings import Settings


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings)
    require_current(engine)  # never serve an unmigrated or newer database
    return _build(settings, engine)


def openapi_document() -> dict[str, Any]:
    """The API contract, without a database (for schema tests and client code generation)."""
    return _build(Settings(database_url="sqlite://"), None).openapi()


def _build(settings: Settings, engine: Engine | None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Request handlers run on a thread pool (40 threads by default): hold it to the
        # connection pool's size, so a handler never waits for a connection (see db.make_engine).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.pool_size
        yield
        if engine is not None:
            engine.dispose()

    app = FastAPI(title="Facilitator Field Kit server", version=__version__, lifespan=lifespan,
                  description="Accounts, assignment-scoped practice records and the push/pull sync API.")
    app.state.settings = settings
    app.state.engine = engine
    install_handlers(app)
    for module in (auth, sync, reports, status):
        app.include_router(module.router)
    dashboard.install(app)
    app.add_middleware(BodyLimit)
    return app


# How long a thread may keep Python's interpreter lock while another waits (Python's default is
# 5 ms). Why shorter: pushes run one at a time, and the push that holds the queue gives up the
# lock at every database call; with the default, getting it back meant waiting behind the other
# request threads' 5 ms turns at each of its 15 round trips to PostgreSQL, so the queue, not the
# CPU, limited a worker (measured with bench/server_bench.py --rate: PostgreSQL held twice the
# rate with 0.5 ms). Only `serve` sets it: it is a setting of the whole process.
GIL_SWITCH_INTERVAL_S = 0.0005


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory`: each worker process builds its own engine from the environment."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    return create_app(Settings.from_env())
