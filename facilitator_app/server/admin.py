"""Data-team operations behind the CLI: practice import, toolkit publishing and CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, insert, select

from ..core.codec import entity_fields, to_record
from ..core.csv_safe import safe_row
from ..core.errors import ValidationError
from ..core.model import ENTITY_TYPES, Practice, id_problem, scope_key, scope_of
from ..core.toolkit import ToolkitError, load_toolkit
from ..core.vocab import Ownership, PracticeStatus
from . import tables as t
from .accounts import AdminError, audit, cooperative_id
from .clock import now_ms, server_hlc, today_utc
from .merge import StoredRow
from .records import dumps, save_row
from .text import text_problem
from .versions import COUNTER

PRACTICE_COLUMNS = ("id", "name", "address", "state", "phone", "clinicians", "ownership", "ehr_vendor", "region",
                    "status", "enrolled_on", "end_on")
MAX_REPORTED = 50
MAX_ID_LENGTH = 200  # the practices/rows id columns, and PutArgs.id on the wire


def _parse_practice(raw: dict[str, str]) -> Practice:
    """One CSV row as a validated Practice; ValueError/ValidationError with a readable message."""
    values = {k: (v or "").strip() for k, v in raw.items()}
    kwargs: dict[str, Any] = {"name": values.get("name", "")}
    if values.get("id"):
        kwargs["id"] = values["id"]
    for key in ("address", "phone", "ehr_vendor", "region"):
        kwargs[key] = values.get(key, "")
    kwargs["state"] = values.get("state", "").upper()
    if values.get("clinicians"):
        try:
            kwargs["clinicians"] = int(values["clinicians"])
        except ValueError:
            raise ValueError(f"Number of clinicians must be a whole number (got {values['clinicians']!r})") from None
    if values.get("ownership"):
        kwargs["ownership"] = Ownership.parse(values["ownership"], what="Ownership").value
    if values.get("status"):
        kwargs["status"] = PracticeStatus.parse(values["status"], what="Status").value

    for key in ("enrolled_on", "end_on"):
        if values.get(key):
            try:
                kwargs[key] = date.fromisoformat(values[key])
            except ValueError:
                raise ValueError(f"{key} must be a date like 2026-11-01 (got {values[key]!r})") from None
    practice = Practice(**kwargs)
    practice.validate(today=today_utc())
    problem = id_problem("practice", practice.id, practice.id)
    if problem:
        raise ValueError(problem)
    return practice


def read_practices_csv(path: Path) -> list[Practice]:
    """Every row validated first; AdminError lists each bad line, and nothing is returned."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AdminError(f"File not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError(f"Cannot read {path} as UTF-8 text: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if "name" not in header:
        raise AdminError(f"{Path(path).name}: line 1 must be a header with at least a 'name' column "
                         f"(columns: {', '.join(PRACTICE_COLUMNS)}).")
    unknown = [h for h in header if h not in PRACTICE_COLUMNS]
    if unknown:
        raise AdminError(f"{Path(path).name}: line 1: unknown column(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(PRACTICE_COLUMNS)}).")
    practices: list[Practice] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            problems.append(f"line {line}: more values than columns")
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue
        try:
            p = _parse_practice(raw)
        except (ValueError, ValidationError) as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if len(p.id) > MAX_ID_LENGTH or text_problem(p.id):
            problems.append(f"line {line}: the id must be 1 to {MAX_ID_LENGTH} characters of text (the app cannot "
                            "sync longer ids)")
            continue
        if p.id in seen:
            problems.append(f"line {line}: id {p.id} is also on line {seen[p.id]}")
            continue
        seen[p.id] = line
        practices.append(p)
    if not practices and not problems:
        problems.append("the file has no practices")
    if problems:
        shown = problems[:MAX_REPORTED] + ([f"... and {len(problems) - MAX_REPORTED} more"]
                                           if len(problems) > MAX_REPORTED else [])
        raise AdminError(f"Nothing was imported: {len(problems)} problem(s) in {Path(path).name}:\n  "
                         + "\n  ".join(shown))
    return practices


def import_practices(conn: Connection, path: Path, *, cooperative: str, actor: str = "admin-cli") -> int:
    coop = cooperative_id(conn, cooperative)
    practices = read_practices_csv(path)
    ids = [p.id for p in practices]
    taken = set()
    for i in range(0, len(ids), 500):
        taken |= {r[0] for r in conn.execute(select(t.practices.c.id).where(t.practices.c.id.in_(ids[i:i + 500])))}
    if taken:
        raise AdminError("Nothing was imported: these practice ids already exist on the server: "
                         + ", ".join(sorted(taken)[:20]))
    version = COUNTER.begin_push(conn)  # imported rows reach supervisors through pull like any push
    clock = server_hlc()
    now = now_ms()
    conn.execute(insert(t.practices), [{"id": p.id, "cooperative_id": coop, "created_by": actor, "created_ms": now}
                                       for p in practices])
    for p in practices:
        data = {**to_record(p), "deleted": False}
        fields = [k for k in data if k != "id"]
        row = StoredRow(data, {k: clock for k in fields}, {k: actor for k in fields}, actor, p.id)
        save_row(conn, "practice", p.id, row, sv=version, is_new=True)
    audit(conn, actor, "practice.import", cooperative=cooperative, count=len(practices), file=str(path))
    return len(practices)


def publish_toolkit(conn: Connection, path: Path, *, cooperative: str, actor: str = "admin-cli") -> str:
    try:
        toolkit = load_toolkit(Path(path))
    except ToolkitError as exc:
        raise AdminError(f"Not published: {exc}") from None
    coop = cooperative_id(conn, cooperative)
    exists = conn.execute(select(t.toolkits.c.id).where(and_(t.toolkits.c.cooperative_id == coop,
                                                             t.toolkits.c.version == toolkit.version))).first()
    if exists:
        raise AdminError(f"Toolkit version {toolkit.version} is already published for {cooperative}; "
                         "change 'version' in the file to publish an update.")
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    conn.execute(insert(t.toolkits).values(cooperative_id=coop, version=toolkit.version, document=dumps(document),
                                           published_ms=now_ms(), published_by=actor))
    audit(conn, actor, "toolkit.publish", cooperative=cooperative, version=toolkit.version)
    return toolkit.version


# The server's own columns after each entity's fields. `created_by` is the account that created
# the row on the server (a checklist note's own `author` field is a column of its own).
EXPORT_EXTRA_COLUMNS = ("created_by", "server_version")


def export_cooperative(conn: Connection, out_dir: Path, *, cooperative: str) -> dict[str, int]:
    """One CSV per entity with every live row of the cooperative's practices, and its field tips
    and their helpful marks; lists as JSON text. Diary entries are not exported: a facilitator
    shares them with their supervisor, not with the data team.

    Text a spreadsheet would run as a formula gets a leading ' (core.csv_safe)."""
    coop = cooperative_id(conn, cooperative)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    practice_ids = select(t.practices.c.id).where(t.practices.c.cooperative_id == coop).scalar_subquery()
    counts = {}
    for entity in ENTITY_TYPES:
        scope = scope_of(entity)
        if scope == "personal":
            continue
        in_scope = (t.rows.c.practice_id.in_(practice_ids) if scope == "practice"
                    else t.rows.c.practice_id == scope_key("cooperative", coop))
        fields = [f for f in entity_fields(entity) if scope == "practice" or f != "practice_id"]
        rows = conn.execute(select(t.rows.c.data, t.rows.c.author, t.rows.c.sv).where(and_(
            t.rows.c.entity == entity, t.rows.c.deleted.is_(False), in_scope))
            .order_by(t.rows.c.practice_id, t.rows.c.id)).all()
        path = out_dir / f"{entity}s.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(fields + list(EXPORT_EXTRA_COLUMNS))
            for r in rows:
                data = json.loads(r.data)
                values = [data.get(c) for c in fields] + [r.author, r.sv]
                writer.writerow(safe_row(json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else
                                         ("" if v is None else v) for v in values))
        counts[entity] = len(rows)
    with (out_dir / "assignments.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["user", "practice_id"])
        for name, pid in conn.execute(select(t.users.c.name, t.assignments.c.practice_id)
                                      .join(t.assignments, t.assignments.c.user_id == t.users.c.id)
                                      .where(t.users.c.cooperative_id == coop)
                                      .order_by(t.users.c.name, t.assignments.c.practice_id)):
            writer.writerow(safe_row([name, pid]))
    return counts


