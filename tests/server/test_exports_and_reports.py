"""The data team's CSV export (no spreadsheet formulas, one column per name) and the supervisor
roll-up (visits credited to the account that logged them, shown by full name)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from facilitator_app.core.codec import entity_fields
from facilitator_app.core.model import (
    ENTITY_TYPES,
    ChecklistNote,
    Contact,
    DiaryEntry,
    Practice,
    Tip,
    Visit,
    scope_of,
    tip_mark_id,
)
from facilitator_app.server import accounts
from facilitator_app.server.admin import EXPORT_EXTRA_COLUMNS, export_cooperative
from facilitator_app.server.db import write_tx
from tests.server.helpers import PASSWORD, Api, Device


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


# -- 7. CSV exports -------------------------------------------------------------------------------

def test_export_cells_never_start_a_spreadsheet_formula(api: Api, tmp_path: Path) -> None:
    ann = api.user("ann")
    p = Practice(name='=HYPERLINK("http://evil.example","Click")', state="IL", phone="+1 312 555 0101",
                 address="-1+1", region="@SUM(A1)")
    contacts = [Contact(practice_id=p.id, name=name) for name in ("-Minus", "@Home", "Dr. = Lee", "Plain")]
    visit = Visit(practice_id=p.id, date=date(2026, 3, 2), minutes=45, practice_notes="=1+2", private_notes="+Ana",
                  barriers="\tTabbed", data_reviewed="\rReturned")  # (names refuse tabs and returns)
    body = ann.push([ann.create(p, "practice"), *(ann.create(c, "contact") for c in contacts),
                     ann.create(visit, "visit")])
    assert {r["outcome"] for r in body["results"]} == {"applied"}, body
    out = tmp_path / "export"
    api.admin(export_cooperative, out, cooperative="coop")

    header, rows = _read(out / "practices.csv")
    practice = dict(zip(header, rows[0], strict=True))
    assert practice["name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert (practice["phone"], practice["address"], practice["region"]) == ("'+1 312 555 0101", "'-1+1", "'@SUM(A1)")
    assert practice["id"] == p.id and practice["created_by"] == "ann"
    header, rows = _read(out / "contacts.csv")
    names = sorted(dict(zip(header, r, strict=True))["name"] for r in rows)
    assert names == ["'-Minus", "'@Home", "Dr. = Lee", "Plain"]  # only a leading character counts
    header, rows = _read(out / "visits.csv")
    v = dict(zip(header, rows[0], strict=True))
    assert (v["practice_notes"], v["private_notes"], v["minutes"]) == ("'=1+2", "'+Ana", "45")
    assert (v["barriers"], v["data_reviewed"]) == ("'\tTabbed", "'\rReturned")


def test_checklist_notes_export_has_one_column_per_name(api: Api, tmp_path: Path) -> None:
    ann = api.user("ann")
    sue = api.user("sue", role="supervisor")
    p = Practice(name="Oak")
    ann.push([ann.create(p, "practice")])
    note = ChecklistNote(practice_id=p.id, strategy_id="B1", text="Huddles started", author="Dr. Lee (typed)",
                         written_on=date(2026, 3, 2))
    assert sue.push([sue.create(note, "checklist_note")])["results"][0]["outcome"] == "applied"
    out = tmp_path / "export"
    api.admin(export_cooperative, out, cooperative="coop")
    header, rows = _read(out / "checklist_notes.csv")
    assert len(header) == len(set(header))  # before: two "author" columns
    row = dict(zip(header, rows[0], strict=True))
    # The note's author is the account that wrote it, whatever was typed (server/push.py: _server_owned).
    assert (row["author"], row["created_by"], row["text"]) == ("sue", "sue", "Huddles started")
    for entity in ENTITY_TYPES:  # no entity may gain a field named like the server's own columns
        assert not set(entity_fields(entity)) & set(EXPORT_EXTRA_COLUMNS), entity
        if scope_of(entity) == "personal":
            continue
        header, _ = _read(out / f"{entity}s.csv")
        assert len(header) == len(set(header)), entity


def test_export_has_the_cooperatives_tips_and_no_diary(api: Api, tmp_path: Path) -> None:
    ann, zed = api.user("ann"), api.user("zed", cooperative="other")
    tip = Tip("B1", "=cuff chart", written_on=date(2026, 3, 2))
    elsewhere = Tip("B1", "another cooperative's", written_on=date(2026, 3, 2))
    entry = DiaryEntry(date(2026, 3, 2), "shared with my supervisor only", shared=True)
    ann.push([ann.create(tip, "tip"), ann.create(entry, "diary_entry"),
              ann.mutation("tip_mark", tip_mark_id(tip.id, "ann"), "~coop", {"tip_id": tip.id, "helpful": True})])
    zed.push([zed.create(elsewhere, "tip")])
    out = tmp_path / "export"
    counts = api.admin(export_cooperative, out, cooperative="coop")
    header, rows = _read(out / "tips.csv")
    assert [dict(zip(header, r, strict=True))["text"] for r in rows] == ["'=cuff chart"] and "practice_id" not in header
    assert counts["tip_mark"] == 1 and "diary_entry" not in counts
    assert not (out / "diary_entrys.csv").exists()
    assert "shared with my supervisor" not in "".join(p.read_text() for p in out.iterdir())


# -- 8. the roll-up credits the account that logged a visit --------------------------------------

def test_visits_are_credited_to_their_author_by_full_name(api: Api) -> None:
    with write_tx(api.engine) as conn:
        accounts.add_cooperative(conn, "coop")
        accounts.add_user(conn, "ann", role="facilitator", cooperative="coop", password=PASSWORD,
                          full_name="Ana Muñoz")
        accounts.add_user(conn, "bob", role="facilitator", cooperative="coop", password=PASSWORD)
        accounts.add_user(conn, "sue", role="supervisor", cooperative="coop", password=PASSWORD)
    ann, bob, sue = (Device(api, api.login(n)) for n in ("ann", "bob", "sue"))
    pa, pb = Practice(name="Ann's"), Practice(name="Bob's")
    ann.push([ann.create(pa, "practice"),
              ann.create(Visit(practice_id=pa.id, date=date(2026, 2, 1), minutes=60, facilitator="bob"), "visit"),
              ann.create(Visit(practice_id=pa.id, date=date(2026, 2, 8), minutes=30, facilitator="Someone Else"),
                         "visit")])
    bob.push([bob.create(pb, "practice"),
              bob.create(Visit(practice_id=pb.id, date=date(2026, 2, 3), minutes=90, facilitator="Ana Muñoz"),
                         "visit")])
    report = api.client.get("/reports/v1/intensity?today=2026-03-01", headers=api.auth(sue.token)).json()
    totals = {f["facilitator"]: (f["visits"], f["hours"], f["practices"]) for f in report["facilitators"]}
    assert totals == {"Ana Muñoz": (2, 1.5, 1), "bob": (1, 1.5, 1)}  # the typed names credit nobody
    by_practice = {p["name"]: p["facilitators"] for p in report["practices"]}
    assert by_practice == {"Ann's": ["Ana Muñoz"], "Bob's": ["bob"]}

    # Two people with the same full name are told apart, so their totals never merge.
    api.admin(accounts.set_details, "bob", full_name="Ana Muñoz")
    report = api.client.get("/reports/v1/intensity?today=2026-03-01", headers=api.auth(sue.token)).json()
    totals = {f["facilitator"]: f["visits"] for f in report["facilitators"]}
    assert totals == {"Ana Muñoz (ann)": 2, "Ana Muñoz (bob)": 1}
    mine = api.client.get("/reports/v1/intensity?today=2026-03-01", headers=api.auth(ann.token)).json()
    assert [f["facilitator"] for f in mine["facilitators"]] == ["Ana Muñoz"]  # alone in her own report
    assert json.dumps(mine).count("Someone Else") == 0
