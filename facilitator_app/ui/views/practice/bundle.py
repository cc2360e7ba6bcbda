"""Everything the Practice screen shows, loaded in one background query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ....core.model import (
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    MeasureValue,
    Practice,
    Tip,
    Visit,
)
from ....core.toolkit import Toolkit
from ....store.queries import StepRow
from ....store.store import Store


@dataclass
class PracticeBundle:
    practice: Practice
    contacts: list[Contact]
    plan: FacilitationPlan | None
    checklist: list[ChecklistItem]
    notes: list[ChecklistNote]
    visits: list[Visit]
    measures: list[MeasureValue]
    steps: list[StepRow]  # every next step of the practice, soonest due first
    tips: list[Tip] = field(default_factory=list)  # the cooperative's field tips that can be seen, best first

    @property
    def id(self) -> str:
        return self.practice.id

    @property
    def suitable_tips(self) -> list[Tip]:
        """The field tips that suit this practice (its ownership, EHR vendor and size), best first."""
        p = self.practice
        return [t for t in self.tips if not t.hidden
                and t.suits(ownership=p.ownership, ehr_vendor=p.ehr_vendor, clinicians=p.clinicians)]

    @property
    def open_steps(self) -> list[StepRow]:
        return [s for s in self.steps if s.is_open]


def load_bundle(store: Store, toolkit: Toolkit, practice_id: str, today: date) -> PracticeBundle:
    return PracticeBundle(
        practice=store.practice(practice_id), contacts=store.contacts(practice_id), plan=store.plan(practice_id),
        checklist=store.checklist(practice_id, toolkit), notes=store.checklist_notes(practice_id),
        visits=store.visits(practice_id), measures=store.measures(practice_id),
        steps=store.next_steps(practice_id), tips=[v.tip for v in store.tips()])
