"""Names every layer shares, defined once: the kinds of synced record, and what the server did
with a change. The protocol's message shapes, the model (`ENTITY_TYPES`), the local schema
(`ENTITY_TABLES`) and the screens all read these; each checks at import that it covers them."""

from __future__ import annotations

from typing import Iterable, Literal, get_args

EntityName = Literal["practice", "contact", "plan", "visit", "next_step", "checklist", "checklist_note", "measure",
                     "tip", "tip_mark", "diary_entry"]
ENTITY_NAMES: tuple[EntityName, ...] = get_args(EntityName)

Outcome = Literal["applied", "applied_conflict", "superseded", "rejected"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


def covers_every_entity(names: Iterable[str], where: str) -> None:
    """Fail at import when a table of entities misses or invents one (a new entity added in one
    place but not the others)."""
    found, known = set(names), set(ENTITY_NAMES)
    if found != known:
        raise AssertionError(f"{where} must list exactly the entities of core/kinds.py: "
                             f"missing {sorted(known - found)}, unknown {sorted(found - known)}")
