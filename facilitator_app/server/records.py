"""Reading and writing synced rows, the mutation log, conflicts and published toolkits."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from ..core.hlc import compact_clocks
from ..core.toolkit import Toolkit, load_toolkit, parse_toolkit
from . import tables as t
from .clock import now_ms
from .db import inserted_id
from .merge import FieldConflict, StoredRow


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Built once: pushes run these per mutation, and building a statement costs more than running it.
_LOAD_ROW = (select(t.rows.c.data, t.rows.c.clocks, t.rows.c.editors, t.rows.c.author, t.rows.c.practice_id)
             .where(and_(t.rows.c.entity == bindparam("e"), t.rows.c.id == bindparam("i"))))
_LOAD_ROWS = (select(t.rows.c.id, t.rows.c.data, t.rows.c.clocks, t.rows.c.editors, t.rows.c.author,
                     t.rows.c.practice_id)
              .where(and_(t.rows.c.entity == bindparam("e"), t.rows.c.id.in_(bindparam("ids", expanding=True)))))
_INSERT_ROW = insert(t.rows)
_UPDATE_ROW = (update(t.rows).where(and_(t.rows.c.entity == bindparam("e"), t.rows.c.id == bindparam("i")))
               .values(data=bindparam("data"), clocks=bindparam("clocks"), editors=bindparam("editors"),
                       deleted=bindparam("deleted"), sv=bindparam("sv")))
_INSERT_LOG = insert(t.mutation_log)
_LOGGED = (select(t.mutation_log.c.uuid, t.mutation_log.c.outcome, t.mutation_log.c.reason)
           .where(and_(t.mutation_log.c.client_id == bindparam("c"), t.mutation_log.c.mutation_id == bindparam("m"))))


def load_row(conn: Connection, entity: str, row_id: str) -> StoredRow | None:
    r = conn.execute(_LOAD_ROW, {"e": entity, "i": row_id}).first()
    if r is None:
        return None
    return StoredRow(json.loads(r.data), json.loads(r.clocks), json.loads(r.editors), r.author, r.practice_id)


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
            for r in conn.execute(_LOAD_ROWS, {"e": entity, "ids": ids[i:i + 200]}):
                out[(entity, r.id)] = StoredRow(json.loads(r.data), json.loads(r.clocks), json.loads(r.editors),
                                                r.author, r.practice_id)
    return out


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
        return {"data": dumps(row.data), "clocks": dumps(compact_clocks(row.clocks)), "editors": dumps(row.editors),
                "deleted": row.deleted, "sv": sv}
    if new:
        conn.execute(_INSERT_ROW, [{"entity": e, "id": i, "practice_id": r.practice_id, "author": r.author,
                                    **values(r, sv)} for e, i, r, sv in new])
    if changed:
        conn.execute(_UPDATE_ROW, [{"e": e, "i": i, **values(r, sv)} for e, i, r, sv in changed])


def log_mutations(conn: Connection, entries: list[dict[str, Any]]) -> None:
    if entries:
        conn.execute(_INSERT_LOG, entries)


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

def published_toolkit(conn: Connection, cooperative_id: int | None) -> tuple[int, str, str] | None:
    """(row id, version, document JSON) of the cooperative's newest published toolkit."""
    if cooperative_id is None:
        return None
    r = conn.execute(select(t.toolkits.c.id, t.toolkits.c.version, t.toolkits.c.document)
                     .where(t.toolkits.c.cooperative_id == cooperative_id)
                     .order_by(t.toolkits.c.id.desc()).limit(1)).first()
    return (r.id, r.version, r.document) if r else None


def published_version(conn: Connection, cooperative_id: int | None) -> str | None:
    if cooperative_id is None:
        return None
    return conn.execute(select(t.toolkits.c.version).where(t.toolkits.c.cooperative_id == cooperative_id)
                        .order_by(t.toolkits.c.id.desc()).limit(1)).scalar()


@lru_cache(maxsize=1)
def shipped_toolkit() -> Toolkit:
    return load_toolkit()


@lru_cache(maxsize=32)
def _parsed(toolkit_row_id: int, document: str) -> Toolkit:
    return parse_toolkit(json.loads(document))


def toolkit_for(conn: Connection, cooperative_id: int | None) -> Toolkit:
    """The toolkit records of this cooperative are validated against (published, else shipped)."""
    found = published_toolkit(conn, cooperative_id)
    return _parsed(found[0], found[2]) if found else shipped_toolkit()
