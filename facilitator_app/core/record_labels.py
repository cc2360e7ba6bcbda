"""What a facilitator calls a record ("Visit to Oak Clinic on 2026-03-18"), for the Sync issues
screen and `facilitator-app sync-issues`: never an id. Pure: the store supplies the practice's
name and a visit's stored date (`Store.label_facts`), since the record itself may be a row a
server sent that this computer could not use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

# Invisible and direction-changing characters: shown as a space, so a value cannot disguise itself.
UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ud800-\udfff]")
KINDS = {"checklist": "checklist item", "checklist_note": "checklist note", "plan": "facilitation plan",
         "measure": "ABCS measure", "next_step": "next step", "tip": "field tip", "tip_mark": "helpful mark",
         "diary_entry": "diary entry"}


def shown(text: str, limit: int = 80) -> str:
    """Text from anywhere, safe to put in a label: one line, no invisible or direction-changing
    characters, not too long."""
    text = UNSHOWABLE.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def what_kind(entity: str) -> str:
    """An entity's name in words ("checklist item")."""
    return KINDS.get(entity, entity.replace("_", " "))


@dataclass(frozen=True)
class LabelFacts:
    """What this computer knows about a record beyond what was sent: its practice's name and, for
    a visit, the date it has stored."""

    practice_name: str | None = None
    visit_date: str | None = None


def record_label(entity: str, row_id: str, fields: Any, facts: LabelFacts) -> str:
    """`fields` may be anything a server sent (a row set aside): only short text is shown. The
    practice may be gone from this computer (unassigned): the label says so."""
    fields = fields if isinstance(fields, Mapping) else {}

    def text(value: Any) -> str | None:
        return shown(value) if isinstance(value, str) and value.strip() else None

    if entity in ("tip", "tip_mark", "diary_entry"):  # records of no practice
        words = text(fields.get("text"))
        return {"tip": "Field tip" + (f": {words}" if words else ""), "tip_mark": "Helpful mark on a field tip",
                "diary_entry": f"Diary entry of {text(fields.get('written_on')) or 'an unknown day'}"}[entity]
    name = text(facts.practice_name) or (text(fields.get("name")) if entity == "practice" else None)
    practice = name or "a practice no longer on this computer"
    if entity == "practice":
        return f"Practice {practice}"
    if entity == "visit":
        when = text(fields.get("date")) or text(facts.visit_date)
        return f"Visit to {practice}" + (f" on {when}" if when else "")
    strategy = (row_id.split(":", 1)[1] if entity == "checklist" and isinstance(row_id, str) and ":" in row_id
                else fields.get("strategy_id"))
    strategy = text(strategy) or ""
    action = text(fields.get("action"))
    return {
        "checklist": f"{practice}: strategy {strategy}",
        "checklist_note": f"{practice}: note on strategy {strategy}".rstrip(),
        "contact": f"Contact at {practice}",
        "plan": f"{practice}: facilitation plan",
        "measure": f"{practice}: ABCS measure",
        "next_step": f"Next step at {practice}" + (f": {action}" if action else ""),
    }.get(entity, f"{what_kind(shown(str(entity), 40))} at {practice}")
