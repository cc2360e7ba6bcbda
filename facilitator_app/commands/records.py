"""Commands that create and list records: practices, contacts, plans, visits, checklists,
the toolkit, and demo data (measures: commands/measures.py)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from datetime import date, time
from typing import Any, Callable

from ..core.codec import to_record
from ..core.dates import SHORTCUTS_HELP, DateTextError, parse_day
from ..core.demo import NotEmptyError, load_demo
from ..core.errors import FieldKitError
from ..core.toolkit import install_toolkit, load_toolkit
from ..core.model import (
    Attendee,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
)
from ..core.vocab import (
    Activity,
    Labeled,
    Cadence,
    ContactRole,
    Disruption,
    Ownership,
    PracticeStatus,
    StepStatus,
    StrategyStatus,
    VisitMode,
    reason_kept,
)
from . import Context, UsageError, parse_date, table


def whole_number(label: str):
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label} must be a whole number (got {text!r})") from None
    return parse


def number(label: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label} must be a number (got {text!r})") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{label} must be a number (got {text!r})")
        return value
    return parse


def choice(kind: type[Labeled], label: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            return kind.parse(text, what=label).value
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def date_arg(label: str):
    def parse(text: str) -> date:
        try:
            return parse_date(text, label)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def time_arg(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"Start time {text!r} must look like 09:30") from None


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    def command(name: str, help_text: str, handler, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=handler)
        return p

    def group(name: str, help_text: str) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=lambda ctx, args, p=p: (p.print_help(), 2)[1])
        return p.add_subparsers(dest=f"{name}_command", metavar="ACTION")

    practice = group("practice", "Add, list and show practices")
    p = command("add", "Add a practice", practice_add, practice)
    p.add_argument("name")
    p.add_argument("--address", default="")
    p.add_argument("--state", default="", help="two-letter state code, e.g. IL")
    p.add_argument("--phone", default="")
    p.add_argument("--clinicians", type=whole_number("Number of clinicians"))
    p.add_argument("--ownership", type=choice(Ownership, "Ownership"), default=Ownership.OTHER.value,
                   help=", ".join(Ownership.choices()))
    p.add_argument("--ehr", dest="ehr_vendor", default="", help="EHR vendor")
    p.add_argument("--region", default="")
    p.add_argument("--status", type=choice(PracticeStatus, "Status"), default=PracticeStatus.ACTIVE.value)
    p.add_argument("--enrolled", type=date_arg("Enrollment date"))
    p.add_argument("--end", type=date_arg("End date"))
    command("list", "List practices with visits, hours and strategies", practice_list, practice)
    p = command("show", "Show one practice: profile, contacts, plan, checklist, visits, measures", practice_show, practice)
    p.add_argument("practice", help="practice id or exact name")

    contact = group("contact", "Add practice contacts")
    p = command("add", "Add a contact to a practice", contact_add, contact)
    p.add_argument("practice", help="practice id or exact name")
    p.add_argument("name")
    p.add_argument("--role", type=choice(ContactRole, "Role"), default=ContactRole.OTHER.value,
                   help=", ".join(ContactRole.choices()))
    p.add_argument("--email", default="")
    p.add_argument("--phone", default="")

    plan = group("plan", "Set the facilitation plan the practice leader chose")
    p = command("set", "Set cadence, planned visits and hours, and selected strategies", plan_set, plan)
    p.add_argument("practice")
    p.add_argument("--cadence", type=choice(Cadence, "Cadence"), help=", ".join(Cadence.choices()))
    p.add_argument("--visits", type=whole_number("Planned visits"), dest="planned_visits")
    p.add_argument("--hours", type=number("Planned hours"), dest="planned_hours")
    p.add_argument("--strategies", help="comma-separated strategy ids, e.g. B1,B2,S4")
    p.add_argument("--set-by", help="the practice leader who chose them")
    p.add_argument("--agreed-on", type=date_arg("Agreed date"))

    visit = group("visit", "Log, correct, list and show visits")
    p = command("add", "Log a visit (every field of the encounter log)", visit_add, visit)
    p.add_argument("practice", help="practice id or exact name")
    _visit_options(p, editing=False)
    p = command("edit", "Correct a visit: give only the options to change; the rest stay as they are", visit_edit, visit)
    p.add_argument("visit", help="visit id (or its first 8+ characters)")
    _visit_options(p, editing=True)
    p = command("list", "List visits, newest first", visit_list, visit)
    p.add_argument("--practice")
    p.add_argument("--since", type=date_arg("Since date"))
    p = command("show", "Show one visit", visit_show, visit)
    p.add_argument("visit", help="visit id (or its first 8+ characters)")

    step = group("next-step", "List and close next steps (the actions agreed at visits)")
    p = command("list", "List next steps, soonest due first", next_step_list, step)
    p.add_argument("practice", nargs="?", help="practice id or exact name (default: every practice)")
    p.add_argument("--open", action="store_true", help="only steps still open")
    p = command("done", "Mark a next step done", next_step_done, step)
    p.add_argument("step", help="step id (or its first 8+ characters)")
    p.add_argument("--note", default="", help="what was done")
    p = command("drop", "Drop a next step (say why)", next_step_drop, step)
    p.add_argument("step", help="step id (or its first 8+ characters)")
    p.add_argument("--note", required=True, help="why the step is dropped")
    p = command("reopen", "Open a closed next step again", next_step_reopen, step)
    p.add_argument("step", help="step id (or its first 8+ characters)")

    checklist = group("checklist", "Update a practice's strategy checklist")
    p = command("set", "Set the status, owner, target date or ticked steps of one strategy", checklist_set, checklist)
    p.add_argument("practice")
    p.add_argument("strategy", help="strategy id, e.g. B2")
    p.add_argument("--status", type=choice(StrategyStatus, "Status"), help=", ".join(StrategyStatus.choices()))
    p.add_argument("--reason", help="required when the status is declined")
    p.add_argument("--owner")
    p.add_argument("--target-date", type=date_arg("Target date"))
    p.add_argument("--step", action="append", type=whole_number("Step number"), default=[],
                   help="tick step N (repeat for several)")
    p.add_argument("--untick", action="append", type=whole_number("Step number"), default=[])
    p.add_argument("--note", help="add a dated note")

    toolkit = group("toolkit", "Browse the 35-strategy toolkit")
    p = command("list", "List strategies", toolkit_list, toolkit)
    p.add_argument("--search", default="")
    p.add_argument("--domain", choices=["A", "B", "C", "S", "X"])
    p.add_argument("--arm", choices=["POC", "PM", "both"])
    p = command("show", "Show a strategy's steps, EHR tips and resources", toolkit_show, toolkit)
    p.add_argument("strategy")
    p = command("install", "Use a cooperative's customized toolkit file in this data folder", toolkit_install, toolkit)
    p.add_argument("file", type=Path)

    p = command("demo", "Fill the local database with realistic demo data (never synced)", demo)
    p.add_argument("--practices", type=whole_number("Practices"), default=12)
    p.add_argument("--months", type=whole_number("Months"), default=12)
    p.add_argument("--seed", type=whole_number("Seed"), default=1)
    p.add_argument("--visits-per-month", type=number("Visits per month"), default=1.0)


def _visit_options(p: argparse.ArgumentParser, *, editing: bool) -> None:
    """The options of `visit add`, shared with `visit edit`, where every default is None
    ("not given": keep the stored value) and a list option replaces the stored list."""
    keep = None if editing else ""
    listed: Any = None if editing else []
    p.add_argument("--date", type=date_arg("Visit date"), default=None, help="default: today")
    p.add_argument("--start-time", type=time_arg)
    p.add_argument("--mode", type=choice(VisitMode, "Mode"), default=None if editing else VisitMode.ON_SITE.value,
                   help=", ".join(VisitMode.choices()))
    p.add_argument("--minutes", type=whole_number("Minutes"), default=None if editing else 60)
    p.add_argument("--travel-minutes", type=whole_number("Travel minutes"), default=None if editing else 0)
    if editing:
        p.add_argument("--planned", dest="planned", action="store_true", default=None, help="a scheduled visit")
    p.add_argument("--unplanned", dest="planned", action="store_false", default=None if editing else True,
                   help="an unscheduled contact")
    p.add_argument("--attendee", action="append", default=listed, metavar="NAME[:ROLE]")
    p.add_argument("--activity", action="append", default=listed, type=choice(Activity, "Activity"),
                   help=", ".join(Activity.choices()))
    p.add_argument("--strategy", action="append", default=listed, metavar="ID[:STATUS]",
                   help="strategy worked on and its status after the visit, e.g. B2:in_progress")
    p.add_argument("--key-driver", action="append", default=listed)
    for part in ("aim", "change", "prediction", "result"):
        p.add_argument(f"--pdsa-{part}", default=keep)
    p.add_argument("--pdsa-decision", default=keep, help="adopt, adapt or abandon")
    p.add_argument("--data-reviewed", default=keep)
    p.add_argument("--barriers", default=keep)
    p.add_argument("--disruption", action="append", default=listed, type=choice(Disruption, "Disruption"),
                   help=", ".join(Disruption.choices()))
    p.add_argument("--engagement", type=whole_number("Engagement rating"), help="1 (low) to 5 (high)")
    p.add_argument("--practice-notes", default=keep, help="notes for the practice: printed on the leave-behind")
    p.add_argument("--private-notes", default=keep,
                   help="your own notes: never printed; your supervisor sees them after sync")
    p.add_argument("--next-step", action="append", default=listed, metavar="ACTION[|OWNER[|DUE]]",
                   help=f"an action agreed at this visit; DUE is {SHORTCUTS_HELP}"
                        + (" (replaces the visit's steps; a step with the same action keeps its status)"
                           if editing else ""))
    p.add_argument("--next-contact", type=date_arg("Next contact date"))
    p.add_argument("--resource", action="append", default=listed, help="resource left behind")


# -- practices --------------------------------------------------------------------------

def practice_add(ctx: Context, args: argparse.Namespace) -> int:
    practice = Practice(name=args.name, address=args.address, state=args.state, phone=args.phone,
                        clinicians=args.clinicians, ownership=args.ownership, ehr_vendor=args.ehr_vendor,
                        region=args.region, status=args.status, enrolled_on=args.enrolled, end_on=args.end)
    ctx.store().save_practice(practice)
    ctx.emit(to_record(practice), f"Saved practice {practice.name} ({practice.id})")
    return 0


def practice_list(ctx: Context, args: argparse.Namespace) -> int:
    rows = ctx.store().practice_summaries()

    def text() -> str:
        if not rows:
            return "No practices yet. Add one with: facilitator-app practice add NAME"
        return table([[r.name, r.region, r.status, r.last_visit, r.visits,
                       f"{r.hours:g}/{r.planned_hours:g}" if r.planned_hours is not None else f"{r.hours:g}",
                       f"{r.implemented}/{r.selected}", r.id[:8]] for r in rows],
                     ["Practice", "Region", "Status", "Last visit", "Visits", "Hours/plan", "Impl/sel", "Id"])
    ctx.emit([r.__dict__ for r in rows], text)
    return 0


def practice_show(ctx: Context, args: argparse.Namespace) -> int:
    store, toolkit = ctx.store(), ctx.toolkit
    practice = store.find_practice(args.practice)
    contacts, plan = store.contacts(practice.id), store.plan(practice.id)
    checklist = [i for i in store.checklist(practice.id, toolkit) if i.status != StrategyStatus.NOT_SELECTED]
    visits, measures = store.visits(practice.id), store.measures(practice.id)
    steps = store.open_next_steps(practice.id)
    data = {"practice": to_record(practice), "contacts": [to_record(c) for c in contacts],
            "plan": to_record(plan) if plan else None, "checklist": [to_record(i) for i in checklist],
            "visits": [to_record(v) for v in visits], "open_next_steps": [_step_json(s) for s in steps],
            "measures": [to_record(m) for m in measures]}

    def text() -> str:
        lines = [f"{practice.name}  ({practice.id})",
                 f"  {practice.address}  {practice.state}  {practice.phone}".rstrip(),
                 f"  Status: {PracticeStatus.label_of(practice.status)}   Ownership: {Ownership.label_of(practice.ownership)}"
                 f"   EHR: {practice.ehr_vendor or '-'}   Region: {practice.region or '-'}"]
        if contacts:
            lines += ["", "Contacts:"] + [f"  {c.name} ({ContactRole.label_of(c.role)}) {c.email} {c.phone}".rstrip()
                                           for c in contacts]
        if plan:
            lines += ["", f"Plan: {Cadence.label_of(plan.cadence)}, {plan.planned_visits} visits, {plan.planned_hours:g} hours;"
                          f" strategies {', '.join(plan.selected_strategies) or '-'}"]
        if checklist:
            lines += ["", "Checklist:"] + [f"  {i.strategy_id:4} {StrategyStatus.label_of(i.status):13} "
                                            f"{toolkit.get(i.strategy_id).title}" for i in checklist]
        lines += ["", f"Visits: {len(visits)}"] + [f"  {v.date}  {VisitMode.label_of(v.mode):8} {v.minutes:4} min  {v.id[:8]}"
                                                  for v in visits[:10]]
        if steps:
            lines += ["", f"Open next steps: {len(steps)}"] + [
                f"  due {str(s.due or '-'):10}  {s.action} ({s.owner or '-'})  {s.id[:8]}" for s in steps]
        if measures:
            lines += ["", "Measures:"] + [f"  {m.measure} {m.cms_id} {m.period_end}  {m.numerator}/{m.denominator}"
                                          f" = {'-' if m.rate is None else format(m.rate, '.0%')}" for m in measures]
        return "\n".join(lines)
    ctx.emit(data, text)
    return 0


def contact_add(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice)
    contact = Contact(practice.id, args.name, args.role, args.email, args.phone)
    store.save_contact(contact)
    ctx.emit(to_record(contact), f"Saved contact {contact.name} at {practice.name}")
    return 0


def plan_set(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice)
    plan = store.plan(practice.id) or FacilitationPlan(practice.id)
    for name in ("cadence", "planned_visits", "planned_hours", "set_by", "agreed_on"):
        if getattr(args, name) is not None:
            setattr(plan, name, getattr(args, name))
    if args.strategies is not None:
        plan.selected_strategies = [s.strip().upper() for s in args.strategies.split(",") if s.strip()]
    store.save_plan(plan, ctx.toolkit)
    ctx.emit(to_record(plan), f"Saved the plan for {practice.name}")
    return 0


# -- visits -----------------------------------------------------------------------------

def _attendee(text: str) -> Attendee:
    name, _, role = text.partition(":")
    try:
        return Attendee(name.strip(), ContactRole.parse(role, what="Attendee role").value if role else "other")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _next_step(text: str, *, visit: Visit) -> NextStep:
    parts = [p.strip() for p in text.split("|")]
    if len(parts) > 3:
        raise UsageError(f"Next step {text!r} must look like 'ACTION|OWNER|2026-12-31' (or a DUE such as +2w)")
    try:
        due = parse_day(parts[2], base=visit.date, next_visit=visit.next_contact) if len(parts) > 2 else None
    except DateTextError as exc:
        raise UsageError(str(exc)) from None
    return NextStep(visit.practice_id, visit.id, parts[0], owner=parts[1] if len(parts) > 1 else "", due=due)


def _strategy_work(ctx: Context, practice_id: str, text: str) -> StrategyWork:
    sid, _, status = text.partition(":")
    sid = sid.strip().upper()
    ctx.toolkit.get(sid)
    before = ctx.store().checklist_item(practice_id, sid).status
    try:
        after = StrategyStatus.parse(status, what=f"Status for {sid}").value if status else before
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return StrategyWork(sid, before, after)


def visit_add(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice)
    visit = Visit(practice_id=practice.id, date=args.date or date.today())
    _apply_visit_options(ctx, visit, args)
    steps = [_next_step(s, visit=visit) for s in args.next_step]
    store.save_visit(visit, ctx.toolkit, steps=steps)
    ctx.emit(_visit_json(store, visit), f"Saved visit {visit.id} to {practice.name} on {visit.date}"
             + (f" with {len(steps)} next step(s)" if steps else ""))
    return 0


def visit_edit(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    visit = store.find_visit(args.visit)
    practice = store.practice(visit.practice_id)
    before = to_record(visit)
    if args.date is not None:
        visit.date = args.date
    _apply_visit_options(ctx, visit, args)
    steps = None
    if args.next_step is not None:  # the visit's steps become these; same action, same step (status kept)
        stored = {s.action: s for s in store.next_steps(visit.practice_id, visit_id=visit.id)}
        steps = []
        for text in args.next_step:
            new = _next_step(text, visit=visit)
            old = stored.pop(new.action, None)
            steps.append(dataclasses.replace(new, id=old.id) if old else new)
    changes = store.save_visit(visit, ctx.toolkit, steps=steps)
    changed = sorted(k for k, v in to_record(visit).items() if before.get(k) != v)
    if steps is not None and "next_step" in changes.entities:
        changed.append("next steps")
    ctx.emit(_visit_json(store, visit), f"Visit {visit.id[:8]} to {practice.name} on {visit.date}: "
             + (f"changed {', '.join(changed)}" if changes else "nothing changed"))
    return 0


def _apply_visit_options(ctx: Context, visit: Visit, args: argparse.Namespace) -> None:
    """Set every option that was given; for `visit edit` an option not given is None and the
    stored value stays."""
    simple = {"start_time": args.start_time, "mode": args.mode, "minutes": args.minutes,
              "travel_minutes": args.travel_minutes, "planned": args.planned, "key_drivers": args.key_driver,
              "data_reviewed": args.data_reviewed, "barriers": args.barriers, "disruptions": args.disruption,
              "engagement": args.engagement, "practice_notes": args.practice_notes,
              "private_notes": args.private_notes, "next_contact": args.next_contact,
              "activities": args.activity, "resources_left": args.resource}
    for name, value in simple.items():
        if value is not None:
            setattr(visit, name, value)
    if args.attendee is not None:
        visit.attendees = [_attendee(a) for a in args.attendee]
    if args.strategy is not None:
        visit.strategies = [_strategy_work(ctx, visit.practice_id, s) for s in args.strategy]
    parts = {"aim": args.pdsa_aim, "change": args.pdsa_change, "prediction": args.pdsa_prediction,
             "result": args.pdsa_result, "decision": args.pdsa_decision}
    if any(v is not None for v in parts.values()):
        pdsa = visit.pdsa or Pdsa()
        for name, value in parts.items():
            if value is not None:
                setattr(pdsa, name, value)
        visit.pdsa = None if pdsa.is_empty() else pdsa


def _visit_json(store: Any, visit: Visit) -> dict[str, Any]:
    record = to_record(visit)
    record["next_steps"] = [_step_json(s) for s in store.next_steps(visit.practice_id, visit_id=visit.id)]
    return record


def _step_json(step: Any) -> dict[str, Any]:
    record = dict(step.__dict__)
    for key in ("due", "visit_date", "closed_on"):
        record[key] = record[key].isoformat() if record[key] else None
    return record


def visit_list(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice_id = store.find_practice(args.practice).id if args.practice else None
    visits = store.visits(practice_id, since=args.since)
    names = {p.id: p.name for p in store.practices()}
    ctx.emit([to_record(v) for v in visits], lambda: table(
        [[v.date, names.get(v.practice_id, "?"), VisitMode.label_of(v.mode), v.minutes, len(v.strategies or []),
          v.id[:8]] for v in visits], ["Date", "Practice", "Mode", "Minutes", "Strategies", "Id"])
        if visits else "No visits logged yet.")
    return 0


def visit_show(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    visit = store.find_visit(args.visit)
    practice = store.practice(visit.practice_id)
    made = store.next_steps(visit.practice_id, visit_id=visit.id)
    closed = [s for s in store.next_steps(visit.practice_id, statuses=("done", "dropped"))
              if s.closed_in_visit == visit.id and s.visit_id != visit.id]

    def text() -> str:
        lines = [f"Visit {visit.id}", f"  {practice.name}, {visit.date} {visit.start_time or ''}".rstrip(),
                 f"  {VisitMode.label_of(visit.mode)}, {visit.minutes} min (+{visit.travel_minutes} travel), "
                 f"{'planned' if visit.planned else 'unscheduled'}, facilitator {visit.facilitator or '-'}"]
        if visit.attendees:
            lines.append("  Attendees: " + ", ".join(f"{a.name} ({ContactRole.label_of(a.role)})"
                                                     for a in visit.attendees))
        if visit.activities:
            lines.append("  Activities: " + ", ".join(Activity.label_of(a) for a in visit.activities))
        for w in visit.strategies or []:
            lines.append(f"  Strategy {w.strategy_id}: {StrategyStatus.label_of(w.status_before)} -> "
                         f"{StrategyStatus.label_of(w.status_after)}")
        if visit.pdsa:
            lines.append(f"  PDSA: aim {visit.pdsa.aim!r}; change {visit.pdsa.change!r}; decision {visit.pdsa.decision or '-'}")
        for label, value in (("Data reviewed", visit.data_reviewed), ("Barriers", visit.barriers),
                             ("Notes for the practice", visit.practice_notes), ("Private notes", visit.private_notes)):
            if value:
                lines.append(f"  {label}: {value}")
        if visit.disruptions:
            lines.append("  Disruptions: " + ", ".join(Disruption.label_of(d) for d in visit.disruptions))
        if visit.engagement:
            lines.append(f"  Engagement: {visit.engagement}/5")
        for s in made:
            lines.append(f"  Next step: {s.action} (owner {s.owner or '-'}, due {s.due or '-'}, "
                         f"{_step_state(s)}) [{s.id[:8]}]")
        for s in closed:
            lines.append(f"  Closed at this visit: {s.action} ({_step_state(s)})")
        if visit.next_contact:
            lines.append(f"  Next contact: {visit.next_contact}")
        if visit.resources_left:
            lines.append("  Resources left: " + ", ".join(visit.resources_left))
        return "\n".join(lines)
    ctx.emit(_visit_json(store, visit), text)
    return 0


# -- next steps --------------------------------------------------------------------------

def _step_state(step: Any) -> str:
    if step.status == StepStatus.OPEN:
        return "open"
    state = f"{StepStatus.label_of(step.status).lower()} {step.closed_on or ''}".rstrip()
    if step.closed_by:
        state += f" by {step.closed_by}"
    return state + (f": {step.closing_note}" if step.closing_note else "")


def next_step_list(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice_id = store.find_practice(args.practice).id if args.practice else None
    steps = store.next_steps(practice_id, statuses=("open",) if args.open else ())
    today = date.today()
    ctx.emit([_step_json(s) for s in steps], lambda: table(
        [[s.due or "-", ("OVERDUE " if s.is_overdue(today) else "") + _step_state(s), s.practice_name, s.action,
          s.owner or "-", s.id[:8]] for s in steps], ["Due", "Status", "Practice", "Action", "Owner", "Id"])
        if steps else ("No open next steps." if args.open else "No next steps recorded yet."))
    return 0


def _close(ctx: Context, key: str, status: str, note: str) -> int:
    store = ctx.store()
    step = store.find_next_step(key)
    changes = store.close_next_step(step.id, status, note=note)
    after = next(s for s in store.next_steps(step.practice_id, visit_id=step.visit_id) if s.id == step.id)
    ctx.emit(_step_json(after), f"{after.practice_name}: {after.action!r} is now {_step_state(after)}"
             + ("" if changes else " (it already was)"))
    return 0


def next_step_done(ctx: Context, args: argparse.Namespace) -> int:
    return _close(ctx, args.step, StepStatus.DONE.value, args.note)


def next_step_drop(ctx: Context, args: argparse.Namespace) -> int:
    return _close(ctx, args.step, StepStatus.DROPPED.value, args.note)


def next_step_reopen(ctx: Context, args: argparse.Namespace) -> int:
    return _close(ctx, args.step, StepStatus.OPEN.value, "")


# -- checklist, measures ----------------------------------------------------------------

def checklist_set(ctx: Context, args: argparse.Namespace) -> int:
    store, toolkit = ctx.store(), ctx.toolkit
    practice = store.find_practice(args.practice)
    strategy = toolkit.get(args.strategy)
    item = store.checklist_item(practice.id, strategy.id)
    if args.status:
        item.status = args.status
    if args.reason is not None and item.status != StrategyStatus.DECLINED:
        raise UsageError(f"--reason is kept only for a declined strategy, and {strategy.id} is "
                         f"{StrategyStatus.label_of(item.status)}: add --status declined, or leave --reason out.")
    item.reason = reason_kept(item.status, item.reason if args.reason is None else args.reason)
    for name in ("owner", "target_date"):
        if getattr(args, name) is not None:
            setattr(item, name, getattr(args, name))
    item.steps_done = sorted((set(item.steps_done) | set(args.step)) - set(args.untick))
    note = ChecklistNote(practice.id, strategy.id, args.note) if args.note is not None else None
    changes = store.set_checklist(item, toolkit, note=note)  # row and note in one transaction
    ctx.emit(to_record(item), f"{practice.name}: {strategy.id} is {StrategyStatus.label_of(item.status)}, "
             f"steps ticked {len(item.steps_done)}/{len(strategy.steps)}"
             + ("" if changes else " (nothing changed)"))
    return 0


# -- toolkit, demo ----------------------------------------------------------------------

def toolkit_list(ctx: Context, args: argparse.Namespace) -> int:
    found = ctx.toolkit.search(args.search, domain=args.domain, arm=args.arm)
    ctx.emit([{"id": s.id, "domain": s.domain, "arm": s.arm, "title": s.title} for s in found],
             lambda: table([[s.id, s.domain_label, s.arm, s.title] for s in found], ["Id", "Domain", "Arm", "Strategy"])
             if found else f"No strategy matches {args.search!r}.")
    return 0


def toolkit_show(ctx: Context, args: argparse.Namespace) -> int:
    s = ctx.toolkit.get(args.strategy)
    data = {"id": s.id, "domain": s.domain, "arm": s.arm, "title": s.title, "summary": s.summary, "why": s.why,
            "measures": list(s.measures), "steps": list(s.steps), "ehr_tips": list(s.ehr_tips),
            "resources": [r.__dict__ for r in s.resources], "toolkit_version": ctx.toolkit.version}

    def text() -> str:
        lines = [f"{s.id}  {s.title}", f"{s.domain_label} / {s.arm_label}", "", s.summary, "", f"Why: {s.why}",
                 "", "Steps:"] + [f"  {n}. {step}" for n, step in enumerate(s.steps, 1)]
        if s.ehr_tips:
            lines += ["", "EHR documentation tips:"] + [f"  - {t}" for t in s.ehr_tips]
        if s.resources:
            lines += ["", "Resources:"] + [f"  - {r.name}: {r.phone or r.url} (verified {r.last_verified})"
                                           for r in s.resources]
        return "\n".join(lines)
    ctx.emit(data, text)
    return 0


def toolkit_install(ctx: Context, args: argparse.Namespace) -> int:
    document = load_toolkit(args.file)  # validates and gives a clear message for a bad file
    installed = install_toolkit(json.loads(args.file.read_text(encoding="utf-8")), ctx.data_dir)
    ctx.emit({"version": installed.version, "strategies": len(installed.strategies)},
             f"Now using toolkit {document.title} version {installed.version} ({len(installed.strategies)} strategies).")
    return 0


def demo(ctx: Context, args: argparse.Namespace) -> int:
    if args.practices < 1 or args.practices > 10_000:
        raise UsageError("--practices must be between 1 and 10000")
    if args.months < 1 or args.months > 60:
        raise UsageError("--months must be between 1 and 60")
    if args.visits_per_month <= 0 or round(args.months * args.visits_per_month) > 200:
        raise UsageError(f"--visits-per-month must be more than 0 and at most {200 / args.months:g} for "
                         f"{args.months} months (a plan holds at most 200 visits)")
    try:
        loaded = load_demo(ctx.store(), today=date.today(), toolkit=ctx.toolkit, practices=args.practices,
                           months=args.months, seed=args.seed, visits_per_month=args.visits_per_month)
    except NotEmptyError as exc:
        raise FieldKitError(f"{exc} Use --data-dir to choose another folder.") from None
    ctx.emit({"records": loaded.records, "practices": loaded.practices, "visits": loaded.visits},
             f"Added demo data: {loaded.practices} practices, {loaded.visits} visits, {loaded.records} records in "
             "all. Demo data is never sent to a server.")
    return 0
