"""Export every record of the local store, and import practices from a CSV roster.

Exports are written to temporary files and renamed into place, so a failed export never leaves
half a file. CSV cells that a spreadsheet would run as a formula get a leading `'`
(`core.csv_safe`), and the roster import takes it off again. Imports validate every row first
and save nothing unless all rows are valid.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ..core.codec import entity_fields, to_record
from ..core.csv_safe import cell_value, safe_cell
from ..core.errors import FieldKitError, ValidationError
from ..core.model import Practice
from ..core.vocab import Ownership, PracticeStatus
from .rows import row_to_record, table
from .schema import ENTITY_TABLES
from .store import Store

PRACTICE_COLUMNS = ["name", "address", "state", "phone", "clinicians", "ownership", "ehr_vendor", "region",
                    "status", "enrolled_on", "end_on"]


class ExportError(FieldKitError):
    """The export could not be written; nothing was left half-written."""


class ImportProblems(FieldKitError):
    """Rows of an import file that are not valid, each with its line number. Nothing was imported."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path.name}: nothing was imported because {len(problems)} "
                         f"problem{'s' if len(problems) != 1 else ''} must be fixed first:\n  "
                         + "\n  ".join(problems))


def all_records(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every live record of every entity, as JSON-ready records; the diary with its private
    entries too (an export is the facilitator's own copy, like a backup)."""
    out = {}
    with store.locked() as conn:
        for entity in ENTITY_TABLES:
            rows = conn.execute(f"SELECT * FROM {table(entity)} WHERE deleted = 0 ORDER BY rowid").fetchall()
            out[entity] = [row_to_record(entity, r) for r in rows]
    out["diary_entry"] = [to_record(e) for e in store.diary_entries()]
    return out


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return safe_cell(value)


def _write_all(files: dict[Path, str]) -> None:
    """Write every file to a temporary name first, then rename them all: an export that fails
    (a full disk, a removed stick) changes nothing in the folder and leaves no temporary files."""
    written: list[Path] = []
    try:
        for path, text in files.items():
            tmp = path.with_name(path.name + ".tmp")
            written.append(tmp)
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for path in files:
            os.replace(path.with_name(path.name + ".tmp"), path)
    finally:
        for tmp in written:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    counts: dict[str, int]


def export(store: Store, out_dir: Path, fmt: str, *, toolkit_version: str = "",
           overwrite: bool = False) -> ExportResult:
    if fmt not in ("csv", "json"):
        raise ExportError(f"Export format must be csv or json (got {fmt!r})")
    records = all_records(store)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS):
            raise _export_failed(exc, out_dir) from None
        raise ExportError(f"Cannot create the folder {out_dir}: {exc.strerror}") from None
    names = ["fieldkit-export.json"] if fmt == "json" else [f"{ENTITY_TABLES[e]}.csv" for e in records]
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not overwrite:
        raise ExportError(f"{out_dir} already holds {', '.join(existing)}; choose an empty folder or add --overwrite")
    texts: dict[Path, str] = {}
    if fmt == "json":
        doc = {"format": "facilitator-field-kit-export", "version": 1, "toolkit_version": toolkit_version,
               "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "client_id": store.client_id, "records": records}
        texts[out_dir / names[0]] = json.dumps(doc, indent=1, ensure_ascii=False)
    else:
        for entity, rows in records.items():
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=entity_fields(entity))
            writer.writeheader()
            for record in rows:
                writer.writerow({k: _csv_cell(v) for k, v in record.items()})
            texts[out_dir / f"{ENTITY_TABLES[entity]}.csv"] = buf.getvalue()
    try:
        _write_all(texts)
    except OSError as exc:
        raise _export_failed(exc, out_dir) from None
    return ExportResult(list(texts), {e: len(r) for e, r in records.items()})


def _export_failed(exc: OSError, out_dir: Path) -> ExportError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(f"The disk holding {out_dir} is full, so the export was not saved (nothing was left "
                           "behind in the folder). Free some space on that disk, or choose a folder on another "
                           "disk with --out, then export again.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"Cannot write to {out_dir}: it is read-only or not yours ({exc.strerror}). "
                           "Choose a folder you can write to with --out.")
    return ExportError(f"Cannot write to {out_dir}: {exc.strerror or exc}. Nothing was left half-written; "
                       "try again or choose another folder with --out.")


def read_practices_csv(path: Path, store: Store) -> list[Practice]:
    """Parse and validate a practice roster; raise ImportProblems listing every bad line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FieldKitError(f"File not found: {path}") from None
    except UnicodeDecodeError:
        raise FieldKitError(f"{path.name} is not UTF-8 text. In Excel use 'Save As > CSV UTF-8'.") from None
    except OSError as exc:
        raise FieldKitError(f"Cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "name" not in header:
        raise ImportProblems(path, [f"line 1: the header must include a 'name' column (columns allowed: "
                                    f"{', '.join(PRACTICE_COLUMNS)})"])
    unknown = [h for h in header if h not in PRACTICE_COLUMNS]
    problems: list[str] = []
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(PRACTICE_COLUMNS)}")
    existing = {p.name.strip().lower() for p in store.practices()}
    seen: dict[str, int] = {}
    practices = []
    for raw in reader:
        line = reader.line_num
        row = {(k or "").strip(): cell_value((v or "").strip()).strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(f"line {line}: more values than columns (check for an unquoted comma)")
            continue
        if not any(row.values()):
            continue
        line_problems = []
        values: dict[str, Any] = {k: row.get(k, "") for k in PRACTICE_COLUMNS}
        try:
            values["clinicians"] = int(values["clinicians"]) if values["clinicians"] else None
        except ValueError:
            line_problems.append(f"clinicians {values['clinicians']!r} must be a whole number")
            values["clinicians"] = None
        for key, kind, default in (("ownership", Ownership, Ownership.OTHER.value),
                                   ("status", PracticeStatus, PracticeStatus.ACTIVE.value)):
            try:
                values[key] = kind.parse(values[key], what=key.capitalize()).value if values[key] else default
            except ValueError as exc:
                line_problems.append(str(exc))
                values[key] = default
        for key in ("enrolled_on", "end_on"):
            try:
                values[key] = date.fromisoformat(values[key]) if values[key] else None
            except ValueError:
                line_problems.append(f"{key} {values[key]!r} must look like 2026-03-31")
                values[key] = None
        values["state"] = values["state"].upper()
        practice = Practice(**values)
        try:
            practice.validate(today=date.today())
        except ValidationError as exc:
            line_problems += [p.message for p in exc.problems]
        key = practice.name.strip().lower()
        if key and key in existing:
            line_problems.append(f"a practice named {practice.name!r} already exists")
        elif key and key in seen:
            line_problems.append(f"{practice.name!r} is also on line {seen[key]}")
        seen.setdefault(key, line)
        problems += [f"line {line}: {m}" for m in line_problems]
        practices.append(practice)
    if problems:
        raise ImportProblems(path, problems)
    if not practices:
        raise ImportProblems(path, ["the file has no practice rows"])
    return practices


def import_practices(store: Store, path: Path) -> list[Practice]:
    practices = read_practices_csv(path, store)
    store.bulk_insert(practices, outbox=True)
    return practices
