"""Visits and next steps edited through the store in random orders: each edit changes exactly
what it says and nothing else. In particular a re-saved visit (even one loaded long ago) never
writes a step's status or closing back: the old `[True, True]` -> `[False, False]` loss."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from facilitator_app.core.codec import to_record
from facilitator_app.core.model import NextStep, Practice, StepClosure, Visit
from facilitator_app.store import Store

TODAY = date(2026, 11, 30)
EDIT_FIELDS = ("action", "owner", "due", "position")
CLOSE_FIELDS = ("status", "closed_on", "closed_by", "closing_note", "closed_in_visit")


class VisitsAndSteps(RuleBasedStateMachine):
    visits = Bundle("visits")

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        self.store = Store.open_in(self.dir.name)
        self.store.set_meta("facilitator", "Ana")
        self.practice = Practice("Oak Clinic")
        self.store.save_practice(self.practice, today=TODAY)
        self.expected_visits: dict[str, dict] = {}
        self.expected_steps: dict[str, dict] = {}  # live steps only
        self.snapshots: list[tuple[Visit, list[NextStep]]] = []  # what a form loaded earlier holds

    def teardown(self) -> None:
        self.store.close()
        self.dir.cleanup()

    @initialize()
    def start(self) -> None:
        pass

    def _steps_of(self, visit_id: str) -> list[NextStep]:
        return sorted((self.store.next_step(s.id) for s in self.store.next_steps(self.practice.id, visit_id=visit_id)),
                      key=lambda s: s.position)

    @rule(target=visits, days=st.integers(0, 60), minutes=st.integers(1, 240),
          actions=st.lists(st.sampled_from(["Order cuffs", "Fax form", "Call lab", "Train MA"]), max_size=3))
    def new_visit(self, days: int, minutes: int, actions: list[str]) -> str:
        visit = Visit(self.practice.id, TODAY - timedelta(days=days), minutes=minutes)
        steps = [NextStep(self.practice.id, visit.id, a, owner="Ann", due=TODAY + timedelta(days=7 * i))
                 for i, a in enumerate(actions)]
        self.store.save_visit(visit, steps=steps, today=TODAY)
        self.expected_visits[visit.id] = {**to_record(visit), "facilitator": "Ana"}
        for i, s in enumerate(steps):
            self.expected_steps[s.id] = {**to_record(s), "position": i}
        self.snapshots.append((self.store.visit(visit.id), self._steps_of(visit.id)))
        return visit.id

    @rule(visit_id=visits, minutes=st.integers(1, 240), notes=st.text(max_size=20).filter(str.isprintable),
          owner=st.sampled_from(["Ann", "Bo", ""]), drop_last=st.booleans())
    def resave_visit(self, visit_id: str, minutes: int, notes: str, owner: str, drop_last: bool) -> None:
        if visit_id not in self.expected_visits:
            return
        visit = self.store.visit(visit_id)
        steps = self._steps_of(visit_id)
        visit.minutes, visit.practice_notes = minutes, notes
        if steps:
            steps[0] = dataclasses.replace(steps[0], owner=owner)
        if drop_last and steps:
            gone = steps.pop()
            del self.expected_steps[gone.id]
        self.store.save_visit(visit, steps=steps, today=TODAY)
        self.expected_visits[visit_id].update(minutes=minutes, practice_notes=notes)
        for i, s in enumerate(steps):
            self.expected_steps[s.id].update(owner=s.owner, position=i)

    @rule(data=st.data())
    def resave_a_form_loaded_long_ago(self, data: st.DataObject) -> None:
        """What the form held when it was opened is saved again, whatever happened since."""
        if not self.snapshots:
            return
        visit, steps = data.draw(st.sampled_from(self.snapshots))
        if visit.id not in self.expected_visits:
            return
        steps = [s for s in steps if s.id in self.expected_steps or s.visit_id != visit.id]
        self.store.save_visit(dataclasses.replace(visit), steps=steps, today=TODAY)
        self.expected_visits[visit.id] = {**to_record(visit)}
        kept = {s.id for s in steps}
        for step_id, expected in list(self.expected_steps.items()):
            if expected["visit_id"] == visit.id and step_id not in kept:
                del self.expected_steps[step_id]
        for i, s in enumerate(steps):
            self.expected_steps[s.id].update({k: to_record(s)[k] for k in EDIT_FIELDS}, position=i)

    @rule(visit_id=visits, data=st.data(), status=st.sampled_from(["done", "dropped", "open"]))
    def close_at_a_later_visit(self, visit_id: str, data: st.DataObject, status: str) -> None:
        candidates = sorted(s for s, e in self.expected_steps.items() if e["visit_id"] != visit_id)
        if visit_id not in self.expected_visits or not candidates:
            return
        step_id = data.draw(st.sampled_from(candidates))
        visit = self.store.visit(visit_id)
        note = "No longer needed" if status == "dropped" else ""
        self.store.save_visit(visit, closures=[StepClosure(step_id, status, note)], today=TODAY)
        self._expect_closure(step_id, status, note, on=min(visit.date, TODAY), visit_id=visit_id)

    @rule(data=st.data(), status=st.sampled_from(["done", "dropped", "open"]))
    def close_from_the_list(self, data: st.DataObject, status: str) -> None:
        if not self.expected_steps:
            return
        step_id = data.draw(st.sampled_from(sorted(self.expected_steps)))
        note = "The practice chose e-referral" if status == "dropped" else ""
        self.store.close_next_step(step_id, status, note=note, today=TODAY)
        self._expect_closure(step_id, status, note, on=TODAY, visit_id="")

    def _expect_closure(self, step_id: str, status: str, note: str, *, on: date, visit_id: str) -> None:
        e = self.expected_steps[step_id]
        if status == "open":
            e.update(status="open", closed_on=None, closed_by="", closing_note=note, closed_in_visit="")
        elif (e["status"], e["closing_note"]) != (status, note):
            e.update(status=status, closed_on=on.isoformat(), closed_by="Ana", closing_note=note,
                     closed_in_visit=visit_id)

    @invariant()
    def store_holds_exactly_what_was_done(self) -> None:
        for visit_id, expected in self.expected_visits.items():
            got = to_record(self.store.visit(visit_id))
            assert got == {**expected, "facilitator": got["facilitator"]}, visit_id
        live = {s.id: s for s in self.store.next_steps(self.practice.id)}
        assert set(live) == set(self.expected_steps)
        for step_id, expected in self.expected_steps.items():
            got = to_record(self.store.next_step(step_id))
            for field in (*EDIT_FIELDS, *CLOSE_FIELDS, "visit_id", "practice_id"):
                assert got[field] == expected[field], (step_id, field, got[field], expected[field])


VisitsAndSteps.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_visits_and_steps = VisitsAndSteps.TestCase
