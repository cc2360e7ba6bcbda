"""Intensity roll-ups: the pure functions, and the scoped supervisor endpoint."""

from __future__ import annotations

from datetime import date

from facilitator_app.core.intensity import intensity_report, practice_intensity
from facilitator_app.core.model import ChecklistItem, FacilitationPlan, Practice, Visit
from tests.server.helpers import Api


def test_practice_roll_up() -> None:
    p = Practice(name="Oak")
    visits = [Visit(practice_id=p.id, date=date(2026, 1, 10), mode="on_site", minutes=60, facilitator="ann"),
              Visit(practice_id=p.id, date=date(2026, 3, 10), mode="phone", minutes=30, facilitator="ann"),
              Visit(practice_id=p.id, date=date(2026, 4, 11), mode="on_site", minutes=90, facilitator="bob"),
              Visit(practice_id=p.id, date=date(2026, 9, 1), mode="on_site", minutes=60, facilitator="ann")]  # future
    plan = FacilitationPlan(practice_id=p.id, planned_visits=12, planned_hours=12.0, selected_strategies=["B1", "A1"])
    items = [ChecklistItem(practice_id=p.id, strategy_id="B1", status="implemented"),
             ChecklistItem(practice_id=p.id, strategy_id="S1", status="sustained"),
             ChecklistItem(practice_id=p.id, strategy_id="C1", status="in_progress"),
             ChecklistItem(practice_id=p.id, strategy_id="A1", status="declined", reason="No staff")]
    r = practice_intensity(p, visits, plan=plan, checklist=items, today=date(2026, 5, 1))
    assert (r.visits, r.hours, r.in_person_hours) == (3, 3.0, 2.5)
    assert r.by_mode["on_site"].visits == 2 and r.by_mode["phone"].hours == 0.5
    assert (r.visits_pct_of_plan, r.hours_pct_of_plan) == (25.0, 25.0)
    assert r.months_active == round(91 / 30.44, 1) and r.days_since_last_contact == 20
    assert (r.strategies_selected, r.strategies_implemented, r.strategies_total) == (3, 2, 35)
    assert r.facilitators == ("ann", "bob")


def test_report_sorts_by_neglect_and_totals_per_facilitator() -> None:
    a, b, c = Practice(name="A"), Practice(name="B"), Practice(name="C")
    visits = [Visit(practice_id=a.id, date=date(2026, 4, 1), facilitator="ann"),
              Visit(practice_id=b.id, date=date(2026, 1, 1), facilitator="ann", minutes=120)]
    rep = intensity_report([a, b, c], visits, today=date(2026, 5, 1), assignments={"ann": [a.id, b.id], "bob": [c.id]})
    assert [r.name for r in rep.practices] == ["C", "B", "A"]  # never contacted first
    ann, bob = rep.facilitators
    assert (ann.facilitator, ann.practices, ann.visits, ann.hours,
            ann.days_since_last_contact) == ("ann", 2, 2, 3.0, 30)
    assert (bob.practices, bob.visits, bob.last_contact) == (1, 0, None)


def test_intensity_endpoint_is_scoped(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    sue = api.user("sue", role="supervisor")
    pa, pb = Practice(name="Ann's"), Practice(name="Bob's")
    ann.push([ann.create(pa, "practice"),
              ann.create(Visit(practice_id=pa.id, date=date(2026, 2, 1), minutes=45, facilitator="typed name"),
                         "visit"),
              ann.create(FacilitationPlan(practice_id=pa.id, planned_visits=4, planned_hours=3.0), "plan")])
    bob.push([bob.create(pb, "practice")])
    mine = api.client.get("/reports/v1/intensity?today=2026-03-01", headers=api.auth(ann.token)).json()
    assert [p["name"] for p in mine["practices"]] == ["Ann's"]
    row = mine["practices"][0]
    assert row["visits"] == 1 and row["hours"] == 0.75 and row["visits_pct_of_plan"] == 25.0
    assert row["facilitators"] == ["ann"] and row["days_since_last_contact"] == 28
    everyone = api.client.get("/reports/v1/intensity?today=2026-03-01", headers=api.auth(sue.token)).json()
    assert sorted(p["name"] for p in everyone["practices"]) == ["Ann's", "Bob's"]
    assert {f["facilitator"]: f["visits"] for f in everyone["facilitators"]} == {"ann": 1, "bob": 0}
