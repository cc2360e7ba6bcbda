"""`measure add|import|list`: ABCS measure values typed in, imported from the EHR's QRDA III
report or a measure spreadsheet, and listed with where each came from."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ..core.codec import to_record
from ..core.measure_import import ImportPlan, PlannedValue, read_measure_file
from ..core.measure_import.plan import ImportOutcome, MeasureConflictError
from ..core.model import MeasureValue
from ..core.vocab import Measure
from . import Context, table
from .records import choice, date_arg, whole_number


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    help_text = "Record, import and list ABCS measure values"
    group = sub.add_parser("measure", help=help_text, description=help_text, parents=[common])
    group.set_defaults(handler=lambda ctx, args, p=group: (p.print_help(), 2)[1])
    actions = group.add_subparsers(dest="measure_command", metavar="ACTION")

    def command(name: str, text: str, handler: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text, parents=[common])
        p.set_defaults(handler=handler)
        return p

    p = command("add", "Add a quarterly measure value (rolling 12 months)", measure_add)
    p.add_argument("practice")
    p.add_argument("measure", type=choice(Measure, "Measure"), help="A, B, C or S")
    p.add_argument("--period-end", type=date_arg("Period end"), required=True)
    p.add_argument("--numerator", type=whole_number("Numerator"), required=True)
    p.add_argument("--denominator", type=whole_number("Denominator"), required=True)
    p.add_argument("--version", default="", help="measure version, e.g. CMS165v12")
    p.add_argument("--source", default="EHR report")

    p = command("import", "Import a QRDA Category III report from the EHR, or a CSV/XLSX sheet with the columns "
                          "measure, period_end, numerator, denominator", measure_import)
    p.add_argument("file", type=Path, help="the .xml (QRDA III), .csv or .xlsx file")
    p.add_argument("--practice", required=True, help="practice id or exact name")
    p.add_argument("--replace", action="store_true",
                   help="replace quarters already recorded with other numbers (the old ones stay in the history)")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")

    p = command("list", "List recorded measure values with their source", measure_list)
    p.add_argument("practice", nargs="?", help="practice id or exact name (default: every practice)")


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def measure_add(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice)
    value = MeasureValue(practice.id, args.measure, args.period_end, args.numerator, args.denominator,
                         version=args.version or Measure(args.measure).cms_id, source=args.source)
    store.save_measure(value)
    ctx.emit(to_record(value), f"Saved {value.cms_id} for {practice.name}, quarter ending {value.period_end}: "
             f"{value.numerator}/{value.denominator} = {value.rate:.1%}")
    return 0


def _planned(p: PlannedValue, status: str, old: MeasureValue | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "measure": p.measure, "cms_id": Measure(p.measure).cms_id,
                           "period_end": p.period_end, "numerator": p.numerator, "denominator": p.denominator,
                           "version": p.version, "where": p.where, "detail": p.detail}
    if old is not None:
        out["recorded"] = {"numerator": old.numerator, "denominator": old.denominator, "source": old.source}
    return out


def outcome_rows(outcome: ImportOutcome) -> list[dict[str, Any]]:
    return ([_planned(p, "added") for p in outcome.added] + [_planned(p, "replaced", o) for p, o in outcome.replaced]
            + [_planned(p, "conflict", o) for p, o in outcome.conflicting]
            + [_planned(p, "unchanged") for p in outcome.unchanged])


def _report(plan: ImportPlan, outcome: ImportOutcome | None, *, practice: str, dry_run: bool) -> dict[str, Any]:
    return {"file": plan.file_name, "kind": plan.kind, "practice": practice, "dry_run": dry_run,
            "written": bool(outcome and outcome.written),
            "values": outcome_rows(outcome) if outcome else [],
            "skipped": [{"what": s.what, "reason": s.reason, "where": s.where} for s in plan.skipped],
            "problems": [{"where": p.where, "message": p.message} for p in plan.problems]}


def _text(report: dict[str, Any], plan: ImportPlan, practice_name: str) -> str:
    lines = [f"{plan.kind} file {plan.file_name} for {practice_name}:"]
    if report["values"]:
        rows = []
        for v in report["values"]:
            rate = f"{v['numerator'] / v['denominator']:.1%}"
            was = f"{v['recorded']['numerator']}/{v['recorded']['denominator']}" if "recorded" in v else ""
            rows.append([v["status"], v["cms_id"], v["period_end"], f"{v['numerator']}/{v['denominator']}", rate, was])
        lines.append(table(rows, ["Status", "Measure", "Period end", "Num/Den", "Rate", "Recorded before"]))
    for s in plan.skipped:
        label = s.where if s.what in s.where else f"{s.what} ({s.where})"
        lines.append(f"Skipped {label}: {s.reason}")
    return "\n".join(lines)


def measure_import(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice)
    plan = read_measure_file(args.file)
    today = date.today()  # the command's boundary: everything below is given this day
    if plan.problems:
        report = _report(plan, None, practice=practice.name, dry_run=args.dry_run)
        if ctx.as_json:
            ctx.emit(report, "")
        for problem in plan.problems:
            _err(f"error: {problem}")
        _err(f"Nothing was imported: correct the {len(plan.problems)} problem(s) above (or export the file "
                "again) and import it again.")
        return 1
    try:
        outcome, _ = store.import_measures(plan, practice_id=practice.id, replace=args.replace, today=today,
                                           dry_run=args.dry_run)
    except MeasureConflictError as exc:
        report = _report(plan, exc.outcome, practice=practice.name, dry_run=args.dry_run)
        ctx.emit(report, lambda: _text(report, plan, practice.name))
        _err(f"error: {len(exc.outcome.conflicting)} quarter(s) already recorded with other numbers (status "
                "conflict above). Nothing was imported. Add --replace to replace them; the old numbers are kept in "
                "each value's history.")
        return 1
    report = _report(plan, outcome, practice=practice.name, dry_run=args.dry_run)
    counts = (f"{len(outcome.added)} added, {len(outcome.replaced)} replaced, {len(outcome.unchanged)} unchanged, "
              f"{len(plan.skipped)} skipped")
    if args.dry_run:
        summary = f"Dry run, nothing written. It would be: {counts}." + (
            f" {len(outcome.conflicting)} conflict(s): add --replace to replace them." if outcome.conflicting else "")
    else:
        summary = f"Imported: {counts}." if outcome.added or outcome.replaced else (
            f"Nothing changed: every value was already recorded ({counts}).")
    ctx.emit(report, lambda: _text(report, plan, practice.name) + "\n" + summary)
    return 0


def measure_list(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practices = [store.find_practice(args.practice)] if args.practice else store.practices()
    values: list[tuple[str, MeasureValue]] = [(p.name, m) for p in practices for m in store.measures(p.id)]
    data = [{"practice": name, **to_record(m), "cms_id": m.cms_id, "rate": m.rate} for name, m in values]
    ctx.emit(data, lambda: table(
        [[name, m.cms_id or m.measure, m.period_end, m.numerator, m.denominator,
          "-" if m.rate is None else f"{m.rate:.1%}", m.version, m.source
          + (f" ({len(m.history)} earlier value{'s' if len(m.history) > 1 else ''})" if m.history else "")]
         for name, m in values],
        ["Practice", "Measure", "Period end", "Num", "Den", "Rate", "Version", "Source"])
        if values else "No measure values recorded.")
    return 0
