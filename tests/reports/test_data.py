"""The plain data behind the reports: numbers, labels and the resources chosen for a visit."""

from __future__ import annotations

from datetime import date

from facilitator_app.core.model import StrategyWork, Visit
from facilitator_app.reports.data import gather_progress, gather_visit_summary, quarter_label

from .conftest import CLINICIAN, FACILITATOR, LEADER, PRACTICE_NAME, TODAY


def test_visit_summary_data_has_labels_and_the_state_quitline(sample):
    data = gather_visit_summary(sample.store, sample.toolkit, sample.visit.id[:8], today=TODAY)
    assert data.practice.name == PRACTICE_NAME
    assert data.mode_label == "On-site" and data.minutes == 75
    assert [(a.name, a.role_label) for a in data.attendees][:2] == [(LEADER, "Practice leader"),
                                                                   (CLINICIAN, "Clinician")]
    s4 = next(s for s in data.strategies if s.id == "S4")
    assert (s4.before_label, s4.after_label) == ("Selected", "Implemented")
    assert s4.title == sample.toolkit.get("S4").title
    assert data.pdsa and data.pdsa.decision_label == "Adapt"
    assert [r[0] for r in data.pdsa.rows()] == ["Aim", "Change we are testing", "Prediction", "Decision"]
    # A smoking strategy was worked on: the Illinois line comes first, then the national lines.
    assert data.quitlines[0].name == "Illinois Tobacco Quitline" and data.quitlines[0].is_state_line
    assert all(not q.is_state_line for q in data.quitlines[1:]) and len(data.quitlines) >= 2
    assert {h.id for h in data.help} == {"B2", "S4", "S1"}
    assert data.facilitator.name == FACILITATOR
    assert data.facilitator.email == "renee.haddad@example.org"
    assert data.toolkit_version == sample.toolkit.version


def test_no_quitline_without_a_smoking_strategy(sample):
    visit = Visit(sample.practice.id, TODAY, strategies=[StrategyWork("B1", "selected", "in_progress")])
    sample.store.save_visit(visit, sample.toolkit)
    data = gather_visit_summary(sample.store, sample.toolkit, visit.id, today=TODAY)
    assert data.quitlines == ()
    assert [h.id for h in data.help] == ["B1"]


def test_progress_numbers(sample):
    data = gather_progress(sample.store, sample.toolkit, sample.practice.id, today=TODAY)
    e = data.engagement
    visits = sample.store.visits(sample.practice.id)
    assert e.visits == len(visits) == 9
    assert e.hours == round(sum(v.minutes for v in visits) / 60, 2)
    assert (e.planned_visits, e.planned_hours) == (12, 14.0)
    assert sum(m.visits for m in e.by_mode) == 9
    assert [m.label for m in e.by_mode][0] == "On-site"
    assert e.first_contact == date(2025, 2, 3) and e.last_contact == TODAY
    # B1, X1 implemented/sustained; S4 implemented at the visit.
    assert data.implemented == 3
    statuses = {r.id: r.status for g in data.domains for r in g.rows}
    assert len(statuses) == 35 and data.total_strategies == 35
    assert data.selected == sum(1 for s in statuses.values()
                                if s in ("selected", "in_progress", "implemented", "sustained"))
    assert statuses["A6"] == "declined"
    blood = {m.code: m for m in data.measures}
    assert set(blood) == {"A", "B", "S"}
    assert [p.quarter for p in blood["B"].points][:2] == ["Q4 2024", "Q1 2025"]
    assert len(blood["B"].points) == 8
    assert blood["A"].points[0].rate == 0.7
    # Open steps: the two from this visit plus the two earlier ones not done; overdue ones flagged.
    actions = [s.action for s in data.open_steps]
    assert "Print quitline fax forms for all 4 rooms" in actions and "Earlier step 0" not in actions
    assert all(s.overdue == (s.due is not None and s.due < TODAY) for s in data.open_steps)


def test_quarter_label():
    assert quarter_label(date(2026, 3, 31)) == "Q1 2026"
    assert quarter_label(date(2026, 12, 31)) == "Q4 2026"
