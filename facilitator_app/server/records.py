"""Reading and writing synced rows, the mutation log, conflicts and published toolkits."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from ..core.hlc import compact_clocks
from ..core.toolkit import Toolkit, load_toolkit, parse_toolkit
from . import tables as t
from .clock import now_ms
from .db import inserted_id
from .fastsql import Fast
from .merge import FieldConflict, StoredRow

# json.dumps with any option builds a new encoder on every call; a push writes five texts a row.
dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

try:
    import orjson as _orjson
except ImportError:  # the `server` extra installs it; without it the standard encoder writes the same text
    _orjson = None  # type: ignore[assignment]


def row_text(value: Any) -> str:
    """A stored row's data, clocks or editors as compact JSON (non-ASCII kept), written by orjson
    when installed: several times faster, and a push writes three of these per row.

    Only for validated records: orjson writes NaN as null, which a record never holds (the
    mutation log keeps whatever was sent, so it uses `dumps`). Anything orjson refuses (an
    integer beyond 64 bits) is written by the standard encoder."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value).decode()
        except TypeError:
            pass
    return dumps(value)


# Built once: pushes run these per mutation, and building a statement costs more than running it.
_INSERT_ROW = insert(t.rows)
_ROW_KEYS = ("entity", "id", "practice_id", "author", "data", "clocks", "editors", "deleted", "sv")
_FAST_INSERT_ROW = Fast(_INSERT_ROW.inline(), _ROW_KEYS)
_UPDATE_ROW = (update(t.rows).where(and_(t.rows.c.entity == bindparam("e"), t.rows.c.id == bindparam("i")))
               .values(data=bindparam("data"), clocks=bindparam("clocks"), editors=bindparam("editors"),
                       deleted=bindparam("deleted"), sv=bindparam("sv")))
_FAST_UPDATE_ROW = Fast(_UPDATE_ROW)
_INSERT_LOG = insert(t.mutation_log)
_LOG_KEYS = ("client_id", "mutation_id", "uuid", "user_id", "sv", "hlc", "clamped_from", "entity", "row_id",
             "practice_id", "args", "outcome", "reason", "received_ms")
_FAST_INSERT_LOG = Fast(_INSERT_LOG.inline(), _LOG_KEYS)  # inline: no RETURNING of the new ids
_LOGGED = (select(t.mutation_log.c.uuid, t.mutation_log.c.outcome, t.mutation_log.c.reason)
           .where(and_(t.mutation_log.c.client_id == bindparam("c"), t.mutation_log.c.mutation_id == bindparam("m"))))


def load_rows(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredRow]:
    """Many rows in one round trip (a push prefetches every row its mutations touch)."""
    out: dict[tuple[str, str], StoredRow] = {}
    ids_by_entity: dict[str, list[str]] = {}
    for entity, row_id in dict.fromkeys(keys):
        ids_by_entity.setdefault(entity, []).append(row_id)
    # One query per entity, `entity = ? AND id IN (...)`: SQLite answers a (entity, id) IN (VALUES
    # ...) by scanning every row of the table, which made each push slower as the server grew.
    for entity, ids in ids_by_entity.items():
        for i in range(0, len(ids), 200):
            chunk = ids[i:i + 200]
            params = {"e": entity} | {f"i{k}": row_id for k, row_id in enumerate(chunk)}
            for r in _load_rows(len(chunk)).all(conn, params):
                out[(entity, r.id)] = StoredRow(json.loads(r.data), json.loads(r.clocks), json.loads(r.editors),
                                                r.author, r.practice_id)
    return out


@lru_cache(maxsize=None)
def _load_rows(count: int) -> Fast:
    """`entity = :e AND id IN (:i0, ..., :i<count - 1>)`, built once per count of ids."""
    return Fast(select(t.rows.c.id, t.rows.c.data, t.rows.c.clocks, t.rows.c.editors, t.rows.c.author,
                       t.rows.c.practice_id)
                .where(and_(t.rows.c.entity == bindparam("e"),
                            t.rows.c.id.in_([bindparam(f"i{k}") for k in range(count)]))))


def practice_rows(conn: Connection, entity: str, practice_id: str) -> dict[str, StoredRow]:
    """Every row of one entity at one practice (a visit's next steps, when an older app sends
    them inside the visit)."""
    return {r.id: StoredRow(json.loads(r.data), json.loads(r.clocks), json.loads(r.editors), r.author, r.practice_id)
            for r in conn.execute(select(t.rows.c.id, t.rows.c.data, t.rows.c.clocks, t.rows.c.editors, t.rows.c.author,
                                         t.rows.c.practice_id)
                                  .where(and_(t.rows.c.entity == entity, t.rows.c.practice_id == practice_id)))}


def save_rows(conn: Connection, new: list[tuple[str, str, StoredRow, int]],
              changed: list[tuple[str, str, StoredRow, int]]) -> None:
    """Write a push's rows in two batched statements: (entity, id, row, sv) each."""
    def values(row: StoredRow, sv: int) -> dict[str, Any]:
        return {"data": row_text(row.data), "clocks": row_text(compact_clocks(row.clocks)),
                "editors": row_text(row.editors), "deleted": row.deleted, "sv": sv}
    _FAST_INSERT_ROW.executemany(conn, [{"entity": e, "id": i, "practice_id": r.practice_id, "author": r.author,
                                         **values(r, sv)} for e, i, r, sv in new])
    _FAST_UPDATE_ROW.executemany(conn, [{"e": e, "i": i, **values(r, sv)} for e, i, r, sv in changed])


def log_mutations(conn: Connection, entries: list[dict[str, Any]]) -> None:
    _FAST_INSERT_LOG.executemany(conn, entries)


def save_row(conn: Connection, entity: str, row_id: str, row: StoredRow, *, sv: int, is_new: bool) -> None:
    values = {"data": dumps(row.data), "clocks": dumps(compact_clocks(row.clocks)), "editors": dumps(row.editors),
              "deleted": row.deleted, "sv": sv}
    if is_new:
        conn.execute(_INSERT_ROW, {"entity": entity, "id": row_id, "practice_id": row.practice_id,
                                   "author": row.author, **values})
    else:
        conn.execute(_UPDATE_ROW, {"e": entity, "i": row_id, **values})


def log_entry(*, client_id: str, mutation_id: int, uuid: str, user_id: int, sv: int, hlc: str,
              clamped_from: str | None, args: dict[str, Any], outcome: str, reason: str | None) -> dict[str, Any]:
    """One mutation_log row: every value ever sent is kept, winners, losers and rejects alike."""
    return dict(client_id=client_id, mutation_id=mutation_id, uuid=uuid, user_id=user_id, sv=sv, hlc=hlc,
                clamped_from=clamped_from, entity=str(args.get("entity", ""))[:40],
                row_id=str(args.get("id", ""))[:200],
                practice_id=str(args.get("practice_id", ""))[:200], args=dumps(args), outcome=outcome, reason=reason,
                received_ms=now_ms())


def log_mutation(conn: Connection, entry: dict[str, Any]) -> int:
    return inserted_id(conn.execute(_INSERT_LOG, entry))


def logged_mutation(conn: Connection, client_id: str, mutation_id: int) -> tuple[str, str, str | None] | None:
    """(uuid, outcome, reason) of a mutation already processed for this client."""
    r = conn.execute(_LOGGED, {"c": client_id, "m": mutation_id}).first()
    return (r.uuid, r.outcome, r.reason) if r else None


def record_conflicts(conn: Connection, conflicts: list[FieldConflict], *, sv: int, log_id: int, entity: str,
                     row_id: str, practice_id: str) -> None:
    if not conflicts:
        return
    now = now_ms()
    conn.execute(insert(t.conflicts), [{
        "sv": sv, "mutation_log_id": log_id, "entity": entity, "row_id": row_id, "practice_id": practice_id,
        "field": c.field, "base_clock": c.base_clock, "winner_value": dumps(c.winner_value),
        "winner_author": c.winner_author, "winner_clock": c.winner_clock, "loser_value": dumps(c.loser_value),
        "loser_author": c.loser_author, "loser_clock": c.loser_clock, "created_ms": now} for c in conflicts])


# -- toolkits --------------------------------------------------------------------------------

_NEWEST = Fast(select(t.toolkits.c.id, t.toolkits.c.version, t.toolkits.c.published_ms)
               .where(t.toolkits.c.cooperative_id == bindparam("c")).order_by(t.toolkits.c.id.desc()).limit(1))
_NEWEST_DOCUMENT = (select(t.toolkits.c.id, t.toolkits.c.version, t.toolkits.c.document)
                    .where(t.toolkits.c.cooperative_id == bindparam("c")).order_by(t.toolkits.c.id.desc()).limit(1))
_DOCUMENT = select(t.toolkits.c.document).where(t.toolkits.c.id == bindparam("i"))


def published_toolkit(conn: Connection, cooperative_id: int | None) -> tuple[int, str, str] | None:
    """(row id, version, document JSON) of the cooperative's newest published toolkit."""
    if cooperative_id is None:
        return None
    r = conn.execute(_NEWEST_DOCUMENT, {"c": cooperative_id}).first()
    return (r.id, r.version, r.document) if r else None


def published_version(conn: Connection, cooperative_id: int | None) -> str | None:
    if cooperative_id is None:
        return None
    r = _NEWEST.first(conn, {"c": cooperative_id})
    return r.version if r else None


@lru_cache(maxsize=1)
def shipped_toolkit() -> Toolkit:
    return load_toolkit()


_PARSED: dict[tuple[object, int, str, int], Toolkit] = {}


def toolkit_for(conn: Connection, cooperative_id: int | None) -> Toolkit:
    """The toolkit records of this cooperative are validated against (published, else shipped).

    Every push asks, so only the newest row's id, version and time are read each time; the
    document (tens of kilobytes) is read and parsed once per process. Published rows are never
    changed, only added; the key names the database too, as one process may serve several."""
    r = _NEWEST.first(conn, {"c": cooperative_id}) if cooperative_id is not None else None
    if r is None:
        return shipped_toolkit()
    key = (conn.engine.url, r.id, r.version, r.published_ms)
    found = _PARSED.get(key)
    if found is None:
        document = conn.execute(_DOCUMENT, {"i": r.id}).scalar_one()
        if len(_PARSED) >= 32:
            _PARSED.clear()
        found = _PARSED[key] = parse_toolkit(json.loads(document))
    return found
