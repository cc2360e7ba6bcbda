"""`POST /sync/v1/pull`: rows in the user's scope newer than the cursor, in one snapshot.

Pages are ordered by version and the limit is soft: a page never splits one version's rows,
so a client that stores the page's cursor has every row of every version up to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, select

from ..sync.protocol import PullRequest, PullResponse, RowChange
from . import tables as t
from .accounts import User, user_by_id
from .clock import server_hlc
from .db import read_tx
from .errors import ApiError
from .records import published_version
from .scope import readable_practice_ids
from .versions import COUNTER, Versions

_COLUMNS = (t.rows.c.entity, t.rows.c.id, t.rows.c.practice_id, t.rows.c.sv, t.rows.c.data, t.rows.c.clocks,
            t.rows.c.deleted, t.rows.c.author)


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
    rows: list

    @property
    def server_hlc(self) -> str:
        newest = max((max(_CLOCK_VALUE.findall(r.clocks), default="") for r in self.rows), default="")
        return server_hlc(newest)


def _read(engine: Engine, user: User, req: PullRequest, versions: Versions) -> _Page:
    with read_tx(engine) as conn:
        user = user_by_id(conn, user.id)  # this snapshot's scope epoch
        if req.scope_epoch is not None and req.scope_epoch != user.scope_epoch:
            raise ApiError(409, "reset", "Your practice assignments changed: the app must download your "
                           "practices again (unsent changes are kept).", {"scope_epoch": user.scope_epoch})
        high_water = versions.high_water(conn)
        if req.cursor > high_water:
            raise ApiError(409, "reset", "The server does not know this sync position (was the server restored "
                           "from a backup?): the app must download your practices again.",
                           {"scope_epoch": user.scope_epoch})
        last_mutation_id = _last_mutation_id(conn, user, req.client_id)
        rows, has_more = _page(conn, user, req.cursor, req.limit)
        cursor = rows[-1].sv if has_more else max(high_water, rows[-1].sv if rows else req.cursor)
        toolkit_version = published_version(conn, user.cooperative_id)
    return _Page(cursor, has_more, last_mutation_id, user.scope_epoch, toolkit_version, rows)


def pull(engine: Engine, user: User, req: PullRequest, *, versions: Versions = COUNTER) -> PullResponse:
    page = _read(engine, user, req, versions)
    changes = [RowChange(entity=r.entity, id=r.id, practice_id=r.practice_id, version=r.sv,
                         fields=json.loads(r.data), clocks=json.loads(r.clocks), deleted=bool(r.deleted),
                         author=r.author) for r in page.rows]
    return PullResponse(cursor=page.cursor, has_more=page.has_more, last_mutation_id=page.last_mutation_id,
                        server_hlc=page.server_hlc, scope_epoch=page.scope_epoch,
                        toolkit_version=page.toolkit_version, changes=changes)


def pull_json(engine: Engine, user: User, req: PullRequest, *, versions: Versions = COUNTER) -> str:
    """The same page as `pull`, as the JSON text of a PullResponse.

    Why: rows are stored as JSON text already. Splicing that text into the body, instead of
    decoding it, building and re-validating models, and encoding it again, makes a first sync
    of 46,000 rows several times faster. tests/server check the text against PullResponse.
    """
    page = _read(engine, user, req, versions)
    envelope = PullResponse(cursor=page.cursor, has_more=page.has_more, last_mutation_id=page.last_mutation_id,
                            server_hlc=page.server_hlc, scope_epoch=page.scope_epoch,
                            toolkit_version=page.toolkit_version, changes=[]).model_dump(mode="json")
    del envelope["changes"]
    enc = json.dumps
    changes = ",".join(
        f'{{"entity":{enc(r.entity)},"id":{enc(r.id)},"practice_id":{enc(r.practice_id)},"version":{int(r.sv)},'
        f'"fields":{r.data},"clocks":{r.clocks},"deleted":{"true" if r.deleted else "false"},'
        f'"author":{enc(r.author)}}}' for r in page.rows)
    return f'{json.dumps(envelope)[:-1]},"changes":[{changes}]}}'


def _last_mutation_id(conn: Connection, user: User, client_id: str) -> int:
    row = conn.execute(select(t.clients.c.user_id, t.clients.c.last_mutation_id)
                       .where(t.clients.c.client_id == client_id)).first()
    if row is None:
        return 0
    if row.user_id != user.id:
        raise ApiError(403, "forbidden", "This installation is registered to another user. Sign out and sign in "
                       "again so the app starts a separate database for you.")
    return int(row.last_mutation_id)


def _page(conn: Connection, user: User, cursor: int, limit: int) -> tuple[list, bool]:
    """The rows of the next versions above `cursor`: at least `limit` rows unless fewer are left,
    and always whole versions.

    Why two steps: ordering whole rows (1-2 KB of JSON each) made the database sort every
    remaining row of the user's scope for every page. The page's version range is chosen from the
    (practice_id, sv) index alone, then only that range's rows are read.
    """
    in_scope = t.rows.c.practice_id.in_(readable_practice_ids(user).scalar_subquery())
    versions = conn.execute(select(t.rows.c.sv).where(and_(in_scope, t.rows.c.sv > cursor))
                            .order_by(t.rows.c.sv).limit(limit + 1)).scalars().all()
    if not versions:
        return [], False
    last_sv = versions[min(limit, len(versions)) - 1]
    rows = conn.execute(select(*_COLUMNS).where(and_(in_scope, t.rows.c.sv > cursor, t.rows.c.sv <= last_sv))
                        .order_by(t.rows.c.sv, t.rows.c.entity, t.rows.c.id)).all()
    if len(versions) <= limit:
        return rows, False
    has_more = conn.execute(select(t.rows.c.sv).where(and_(in_scope, t.rows.c.sv > last_sv)).limit(1)).first() is not None
    return rows, has_more
