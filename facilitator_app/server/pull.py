"""`POST /sync/v1/pull`: rows in the user's scope newer than the cursor, in one snapshot.

Pages are ordered by version and the limit is soft: a page never splits one version's rows,
so a client that stores the page's cursor has every row of every version up to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Text, and_, bindparam, case, cast, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..sync.protocol import SHARED_SCOPES_PROTOCOL, PullRequest, PullResponse
from . import tables as t
from .accounts import User, user_by_id
from .clock import server_hlc
from .db import read_tx
from .deps import token_user
from .errors import ApiError
from .fastsql import Fast
from .records import published_version
from .scope import readable_scope_keys
from .versions import COUNTER, Versions

class _json_string(FunctionElement[str]):
    """A text column as a JSON string literal, quoted by the database itself."""

    type = Text()
    inherit_cache = True


@compiles(_json_string, "sqlite")
def _json_string_sqlite(element: _json_string, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"json_quote({compiler.process(element.clauses, **kw)})"


@compiles(_json_string, "postgresql")
def _json_string_postgresql(element: _json_string, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"to_json({compiler.process(element.clauses, **kw)})::text"


def _text(value: str) -> ColumnElement[str]:
    return literal(value, Text)


# One RowChange as JSON text, put together by the database: the stored data and clocks are JSON
# already, so a page is joined from these texts without decoding or encoding anything in Python.
_CHANGE_JSON = (_text('{"entity":') + _json_string(t.rows.c.entity) + _text(',"id":') + _json_string(t.rows.c.id)
                + _text(',"practice_id":') + _json_string(t.rows.c.practice_id)
                + _text(',"version":') + cast(t.rows.c.sv, Text) + _text(',"fields":') + t.rows.c.data
                + _text(',"clocks":') + t.rows.c.clocks
                + _text(',"deleted":') + case((t.rows.c.deleted, _text("true")), else_=_text("false"))
                + _text(',"author":') + _json_string(t.rows.c.author) + _text("}")).label("change_json")

_COLUMNS = (t.rows.c.sv, t.rows.c.clocks, _CHANGE_JSON)


# A clock value inside a stored clocks text ({"field":"<wall>-<counter>-<node>",...}): finding them
# with one regex is several times faster than decoding every row's JSON just to take the max.
_CLOCK_VALUE = re.compile(r'"(\d{15}-\d{6}-[^"]*)"')


@dataclass(frozen=True)
class _Page:
    """One page as read from the database: the stored JSON texts are kept as they are."""

    cursor: int
    has_more: bool
    last_mutation_id: int
    scope_epoch: int
    toolkit_version: str | None
    rows: list[Any]  # DB-API rows of _COLUMNS: (sv, clocks, the change as JSON text)

    @property
    def server_hlc(self) -> str:
        return server_hlc(max(_CLOCK_VALUE.findall("".join([r.clocks for r in self.rows])), default=""))


def _read(engine: Engine, user: User | str, req: PullRequest, versions: Versions) -> _Page:
    with read_tx(engine) as conn:
        # This snapshot's scope epoch; a bearer token is checked here, in the same query.
        user = token_user(conn, user) if isinstance(user, str) else user_by_id(conn, user.id)
        if req.scope_epoch is not None and req.scope_epoch != user.scope_epoch:
            raise ApiError(409, "reset", "Your practice assignments changed: the app must download your "
                           "practices again (unsent changes are kept).", {"scope_epoch": user.scope_epoch})
        high_water = versions.high_water(conn)
        if req.cursor > high_water:
            raise ApiError(409, "reset", "The server does not know this sync position (was the server restored "
                           "from a backup?): the app must download your practices again.",
                           {"scope_epoch": user.scope_epoch})
        last_mutation_id = _last_mutation_id(conn, user, req.client_id)
        # Nothing was written since the cursor: the usual sync of a laptop that is up to date.
        rows, has_more = (_page(conn, user, req.cursor, req.limit, shared=req.protocol >= SHARED_SCOPES_PROTOCOL)
                          if req.cursor < high_water else ([], False))
        cursor = rows[-1].sv if has_more else max(high_water, rows[-1].sv if rows else req.cursor)
        toolkit_version = published_version(conn, user.cooperative_id)
    return _Page(cursor, has_more, last_mutation_id, user.scope_epoch, toolkit_version, rows)


def pull(engine: Engine, user: User, req: PullRequest, *, versions: Versions = COUNTER) -> PullResponse:
    """The page as a model (for tests and tools; the API sends `pull_json`'s text as it is)."""
    return PullResponse.model_validate_json(pull_json(engine, user, req, versions=versions))


def pull_json(engine: Engine, user: User | str, req: PullRequest, *, versions: Versions = COUNTER) -> str:
    """The next page as the JSON text of a PullResponse. `user` may be the request's bearer token:
    it is then checked in the page's own snapshot (401 if it is no longer valid), which spares the
    API a transaction of its own for it.

    Why text: rows are stored as JSON text already, and the database joins each row's text
    (see _CHANGE_JSON). Splicing those texts into the body, instead of decoding them, building
    and re-validating models and encoding them again, makes a first sync of 46,000 rows several
    times faster. tests/server parse the text with PullResponse on both databases.
    """
    page = _read(engine, user, req, versions)
    envelope = PullResponse(cursor=page.cursor, has_more=page.has_more, last_mutation_id=page.last_mutation_id,
                            server_hlc=page.server_hlc, scope_epoch=page.scope_epoch,
                            toolkit_version=page.toolkit_version, changes=[]).model_dump(mode="json")
    del envelope["changes"]
    changes = ",".join([r.change_json for r in page.rows])
    return f'{json.dumps(envelope)[:-1]},"changes":[{changes}]}}'


_CLIENT = Fast(select(t.clients.c.user_id, t.clients.c.last_mutation_id)
               .where(t.clients.c.client_id == bindparam("c")))


def _last_mutation_id(conn: Connection, user: User, client_id: str) -> int:
    row = _CLIENT.first(conn, {"c": client_id})
    if row is None:
        return 0
    if row.user_id != user.id:
        raise ApiError(403, "forbidden", "This installation is registered to another user. Sign out and sign in "
                       "again so the app starts a separate database for you.")
    return int(row.last_mutation_id)


_PAGE_STATEMENTS: dict[tuple[str, int, int | None, bool], tuple[Fast, Fast, Fast]] = {}


def _page_statements(user: User, shared: bool) -> tuple[Fast, Fast, Fast]:
    """The page's three statements for this user's scope, built once per user and process (see
    fastsql): the versions above a cursor, the rows of a version range, any version after it.
    `shared`: the app understands records of the cooperative and diary entries (protocol 3)."""
    key = (user.role, user.id, user.cooperative_id, shared)  # all that readable_scope_keys reads
    found = _PAGE_STATEMENTS.get(key)
    if found is None:
        in_scope = t.rows.c.practice_id.in_(readable_scope_keys(user, shared=shared).scalar_subquery())
        above = t.rows.c.sv > bindparam("cursor")
        found = (Fast(select(t.rows.c.sv).where(and_(in_scope, above)).order_by(t.rows.c.sv).limit(bindparam("n"))),
                 Fast(select(*_COLUMNS).where(and_(in_scope, above, t.rows.c.sv <= bindparam("last")))
                      .order_by(t.rows.c.sv, t.rows.c.entity, t.rows.c.id)),
                 Fast(select(t.rows.c.sv).where(and_(in_scope, t.rows.c.sv > bindparam("last"))).limit(1)))
        if len(_PAGE_STATEMENTS) >= 4096:  # a bound, not an expected case
            _PAGE_STATEMENTS.clear()
        _PAGE_STATEMENTS[key] = found
    return found


def _page(conn: Connection, user: User, cursor: int, limit: int, *, shared: bool) -> tuple[list[Any], bool]:
    """The rows of the next versions above `cursor`: at least `limit` rows unless fewer are left,
    and always whole versions.

    Why two steps: ordering whole rows (1-2 KB of JSON each) made the database sort every
    remaining row of the user's scope for every page. The page's version range is chosen from the
    (practice_id, sv) index alone, then only that range's rows are read.
    """
    first_versions, page_rows, any_after = _page_statements(user, shared)
    versions = [r[0] for r in first_versions.all(conn, {"cursor": cursor, "n": limit + 1})]
    if not versions:
        return [], False
    last_sv = versions[min(limit, len(versions)) - 1]
    rows = page_rows.all(conn, {"cursor": cursor, "last": last_sv})
    if len(versions) <= limit:
        return rows, False
    has_more = any_after.first(conn, {"last": last_sv}) is not None
    return rows, has_more
