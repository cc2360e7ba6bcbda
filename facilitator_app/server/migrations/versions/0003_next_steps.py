"""Next steps become records of their own; a visit's notes become private notes.

Every step kept inside a stored visit becomes a `next_step` row whose id is derived from the
visit and the step's position (the laptops' own migration derives the same ids, so the copies
merge), with its done flag kept as status `done` and the visit's clock, author and editor for
the list. A visit's `notes` become `private_notes` (never printed for the practice), and it gets
an empty `practice_notes`. The changed and new rows get one new version so every laptop pulls
them. Nothing is dropped: the mutation log keeps every value ever sent.

This file is frozen: it does not import the app's model, so later model changes cannot change
what it does.

Revision ID: 0003_next_steps
Revises: 0002_accounts
Create Date: 2026-11-30
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0003_next_steps"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

_NAMESPACE = uuid.UUID("6f1c2b1e-5a0d-4c55-9a43-0f5d7e3b8a21")  # core.model._LEGACY_STEP_NAMESPACE

_rows = sa.table("rows", sa.column("entity", sa.String), sa.column("id", sa.String),
                 sa.column("practice_id", sa.String), sa.column("data", sa.Text), sa.column("clocks", sa.Text),
                 sa.column("deleted", sa.Boolean), sa.column("author", sa.String), sa.column("editors", sa.Text),
                 sa.column("sv", sa.BigInteger))
_counter = sa.table("counter", sa.column("id", sa.Integer), sa.column("value", sa.BigInteger))


def _step_id(visit_id: str, index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{visit_id}/{index}"))


def _due(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _compact(clocks: dict[str, str]) -> dict[str, str]:
    default = clocks.get("*") or (Counter(clocks.values()).most_common(1)[0][0] if clocks else None)
    if default is None:
        return {}
    return {"*": default, **{k: v for k, v in clocks.items() if k != "*" and v != default}}


def upgrade() -> None:
    conn = op.get_bind()
    visits = conn.execute(sa.select(_rows.c.id, _rows.c.practice_id, _rows.c.data, _rows.c.clocks, _rows.c.deleted,
                                    _rows.c.author, _rows.c.editors).where(_rows.c.entity == "visit")).fetchall()
    if not visits:
        return
    version = conn.execute(sa.select(_counter.c.value).where(_counter.c.id == 1)).scalar_one() + 1
    conn.execute(sa.update(_counter).where(_counter.c.id == 1).values(value=version))
    existing = {r.id for r in conn.execute(sa.select(_rows.c.id).where(_rows.c.entity == "next_step"))}
    new_steps = []
    for v in visits:
        data, clocks, editors = json.loads(v.data), json.loads(v.clocks), json.loads(v.editors)
        steps = data.pop("next_steps", None)
        steps_clock = clocks.pop("next_steps", None) or clocks.get("*") or max(clocks.values(), default="")
        steps_editor = editors.pop("next_steps", None) or v.author
        data["private_notes"] = data.pop("notes", "") or ""
        data.setdefault("practice_notes", "")
        if "notes" in clocks:
            clocks["private_notes"] = clocks.pop("notes")
        if "notes" in editors:
            editors["private_notes"] = editors.pop("notes")
        conn.execute(sa.update(_rows).where(sa.and_(_rows.c.entity == "visit", _rows.c.id == v.id)).values(
            data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            clocks=json.dumps(_compact(clocks), separators=(",", ":")),
            editors=json.dumps(editors, ensure_ascii=False, separators=(",", ":")), sv=version))
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, dict) or not isinstance(step.get("action"), str) or not step["action"].strip():
                continue
            step_id = _step_id(v.id, i)
            if step_id in existing:
                continue
            record = {"practice_id": v.practice_id, "visit_id": v.id, "action": step["action"], "id": step_id,
                      "owner": step.get("owner") if isinstance(step.get("owner"), str) else "",
                      "due": _due(step.get("due")), "position": i,
                      "status": "done" if step.get("done") is True else "open", "closed_on": None,
                      "closed_by": "", "closing_note": "", "closed_in_visit": "", "deleted": bool(v.deleted)}
            new_steps.append({"entity": "next_step", "id": step_id, "practice_id": v.practice_id,
                              "data": json.dumps(record, ensure_ascii=False, separators=(",", ":")),
                              "clocks": json.dumps({"*": steps_clock}, separators=(",", ":")),
                              "deleted": bool(v.deleted), "author": v.author,
                              "editors": json.dumps({k: steps_editor for k in record if k not in ("id", "practice_id")},
                                                    ensure_ascii=False, separators=(",", ":")),
                              "sv": version})
    if new_steps:
        conn.execute(sa.insert(_rows), new_steps)


def downgrade() -> None:
    raise NotImplementedError("Next steps cannot be folded back into visits; restore the backup taken before the "
                              "upgrade instead (see docs/server.md, Backups).")
