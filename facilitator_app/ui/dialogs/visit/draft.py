"""The visit draft: what an unsaved visit form writes to the store's drafts table (never synced).

Shape (store/schema.py `convert_visit_draft` converts drafts of older apps to it):

    {"visit": visit record (core.codec.to_record),
     "steps": [{"id", "action", "owner", "due_text"}],      # the steps this visit makes, as typed
     "closures": [{"step_id", "status", "note"}],            # what it decided about earlier steps
     "is_new": bool, "saved_at": "2026-03-18T10:41:07"}

Due dates are kept as typed ("+2w", half a date), so a restored draft shows what was there.
No Qt here: the form and its tests both use these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ....core.codec import from_record, to_record
from ....core.model import StepClosure, Visit
from ....store.schema import convert_visit_draft

DRAFT_KIND = "visit"


@dataclass(frozen=True)
class StepEntry:
    """A next step as the form holds it: the record's id (kept across saves, so a re-saved visit
    updates its steps rather than making new ones) and the due date as typed."""

    id: str
    action: str
    owner: str = ""
    due_text: str = ""

    @property
    def is_blank(self) -> bool:
        return not (self.action.strip() or self.owner.strip() or self.due_text.strip())


@dataclass(frozen=True)
class Draft:
    visit: Visit
    steps: list[StepEntry]
    closures: list[StepClosure]
    is_new: bool
    saved_at: str


def draft_key(visit_id: str) -> str:
    return f"visit:{visit_id}"


def find_draft_for_practice(drafts: list[tuple[str, dict[str, Any]]], practice_id: str,
                            saved_ids: set[str]) -> dict[str, Any] | None:
    """The newest unsaved new-visit draft of a practice (drafts come oldest first)."""
    for _key, payload in reversed(drafts):
        visit = payload.get("visit", {})
        if visit.get("practice_id") == practice_id and visit.get("id") not in saved_ids:
            return payload
    return None


def build_payload(visit: Visit, steps: list[StepEntry], closures: list[StepClosure], *, is_new: bool,
                  saved_at: datetime) -> dict[str, Any]:
    return {"visit": to_record(visit),
            "steps": [{"id": s.id, "action": s.action, "owner": s.owner, "due_text": s.due_text} for s in steps],
            "closures": [{"step_id": c.step_id, "status": c.status, "note": c.note} for c in closures],
            "is_new": is_new, "saved_at": saved_at.isoformat(timespec="seconds")}


def read_payload(payload: dict[str, Any]) -> Draft:
    """A stored draft (of this app or an older one); ValueError says what is wrong with it."""
    if not isinstance(payload, dict):
        raise ValueError("the draft is not a record")
    payload = convert_visit_draft(payload)
    visit = from_record(Visit, payload.get("visit") or {})
    steps = [StepEntry(str(s.get("id") or ""), _text(s.get("action")), _text(s.get("owner")), _text(s.get("due_text")))
             for s in payload.get("steps") or [] if isinstance(s, dict)]
    closures = [StepClosure(str(c.get("step_id") or ""), _text(c.get("status")), _text(c.get("note")))
                for c in payload.get("closures") or [] if isinstance(c, dict) and c.get("step_id")]
    return Draft(visit, steps, closures, bool(payload.get("is_new", True)), _text(payload.get("saved_at")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
