"""A measure imported from a QRDA III report travels like any other: its numbers, its source
and the history of the numbers it replaced reach the server (validated there as a record) and
another facilitator's laptop, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from facilitator_app.core.measure_import import read_measure_bytes
from facilitator_app.core.model import MeasureValue, Practice
from facilitator_app.server import tables as t
from facilitator_app.server.db import make_engine, read_tx
from facilitator_app.server.settings import Settings
from tests.qrda_files import ABCS_FOUR, qrda3

from .conftest import PASSWORD, Laptop, unique

TODAY = date.today()
END = date(2025, 9, 30)


def _server_measures(database_url: str, practice_id: str) -> dict[str, dict]:
    engine = make_engine(Settings(database_url=database_url))
    try:
        with read_tx(engine) as conn:
            found = conn.execute(select(t.rows.c.data).where(t.rows.c.entity == "measure",
                                                             t.rows.c.practice_id == practice_id)).all()
    finally:
        engine.dispose()
    return {d["measure"]: d for d in (json.loads(r[0]) for r in found)}


def test_imported_values_with_source_and_history_reach_the_server_and_another_laptop(server, tmp_path):
    coop = unique("coop")
    ana, ben = unique("ana"), unique("ben")
    server.add_user(ana, PASSWORD, cooperative=coop)
    server.add_user(ben, PASSWORD, cooperative=coop)
    a, b = Laptop(tmp_path / "ana", server.url), Laptop(tmp_path / "ben", server.url)
    try:
        a.sign_in(ana)
        b.sign_in(ben)
        practice = Practice("Oak Clinic", state="IL")
        a.store.save_practice(practice, today=TODAY)
        a.store.save_measure(MeasureValue(practice.id, "B", END, 400, 600, source="typed at the visit"), today=TODAY)
        plan = read_measure_bytes(qrda3(ABCS_FOUR), "oak-2025q3.xml")
        outcome, _ = a.store.import_measures(plan, practice_id=practice.id, replace=True, today=TODAY)
        assert (len(outcome.added), len(outcome.replaced)) == (3, 1)
        assert a.sync().set_aside == 0
        server.admin("assign", ben, practice.id)
        assert b.sync().set_aside == 0

        on_server = _server_measures(server.database_url, practice.id)
        assert set(on_server) == {"A", "B", "C", "S"}
        source = f"QRDA III file oak-2025q3.xml, imported {TODAY.isoformat()}"
        assert (on_server["B"]["numerator"], on_server["B"]["denominator"], on_server["B"]["source"]) == (
            420, 600, source)
        assert on_server["B"]["history"] == [{"numerator": 400, "denominator": 600, "replaced_on": TODAY.isoformat(),
                                              "version": "", "source": "typed at the visit"}]
        assert on_server["S"]["source"] == source + "; population 3 of 3"

        on_ben = {m.measure: m for m in b.store.measures(practice.id)}
        assert {k: (m.numerator, m.denominator) for k, m in on_ben.items()} == {
            "B": (420, 600), "S": (1100, 1480), "C": (350, 500), "A": (100, 140)}
        assert on_ben["B"].source == source
        history = [(h.numerator, h.denominator, h.source) for h in on_ben["B"].history]
        assert history == [(400, 600, "typed at the visit")]
        assert on_ben["A"].history == []
    finally:
        a.close()
        b.close()
