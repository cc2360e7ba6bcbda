"""Statements run directly on the DB-API cursor (server/fastsql.py) read and write exactly what
SQLAlchemy's own execution does, on SQLite and PostgreSQL, inside the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, and_, bindparam, insert, select, update

from facilitator_app.server import tables as t
from facilitator_app.server.db import read_tx, write_tx
from facilitator_app.server.fastsql import Fast

_ROWS = Fast(insert(t.rows).inline(), ("entity", "id", "practice_id", "author", "data", "clocks", "editors",
                                       "deleted", "sv"))
_SET_SV = Fast(update(t.rows).where(and_(t.rows.c.entity == bindparam("e"), t.rows.c.id == bindparam("i")))
               .values(sv=bindparam("sv"), deleted=bindparam("deleted")))
_NEWEST = Fast(select(t.rows.c.id, t.rows.c.sv, t.rows.c.deleted).where(t.rows.c.entity == bindparam("e"))
               .order_by(t.rows.c.sv.desc()).limit(2))  # a literal the statement holds itself
_COUNTER = Fast(update(t.counter).where(t.counter.c.id == 1).values(value=t.counter.c.value + 1)
                .returning(t.counter.c.value))


def _row(i: int) -> dict[str, object]:
    return {"entity": "visit", "id": f"v{i}", "practice_id": "p", "author": "ana", "data": '{"é":"ñ"}',
            "clocks": "{}", "editors": "{}", "deleted": False, "sv": i}


def test_fast_statements_match_sqlalchemy(engine: Engine) -> None:
    with write_tx(engine) as conn:
        _ROWS.executemany(conn, [_row(i) for i in range(1, 6)])
        _ROWS.executemany(conn, [])  # nothing to write is no statement
        assert _SET_SV.execute(conn, {"e": "visit", "i": "v2", "sv": 9, "deleted": True}) == 1
        assert _SET_SV.execute(conn, {"e": "visit", "i": "nope", "sv": 9, "deleted": True}) == 0
        first = int(_COUNTER.scalar(conn))
        assert int(_COUNTER.scalar(conn)) == first + 1
    with read_tx(engine) as conn:
        newest = _NEWEST.all(conn, {"e": "visit"})
        assert [(r.id, r.sv) for r in newest] == [("v2", 9), ("v5", 5)]
        assert newest[0].deleted and not newest[1].deleted  # 0/1 on SQLite, booleans on PostgreSQL: read by truth
        assert _NEWEST.first(conn, {"e": "none"}) is None
        assert _NEWEST.scalar(conn, {"e": "visit"}) == "v2"
        # The same rows as SQLAlchemy reads them (text kept exactly, non-ASCII included).
        stored = conn.execute(select(t.rows.c.id, t.rows.c.data, t.rows.c.deleted).order_by(t.rows.c.id)).all()
        assert [(r.id, r.data, bool(r.deleted)) for r in stored] == [
            (f"v{i}", '{"é":"ñ"}', i == 2) for i in range(1, 6)]


def test_fast_statements_roll_back_with_the_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_tx(engine) as conn:
        _ROWS.executemany(conn, [_row(1)])
        raise RuntimeError("the request failed")
    with read_tx(engine) as conn:
        assert _NEWEST.all(conn, {"e": "visit"}) == []
