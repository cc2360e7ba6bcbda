"""`tip` and `diary`: field tips shared with the cooperative, and the facilitator's own diary."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from ..core.codec import to_record
from ..core.model import DiaryEntry, Tip
from ..core.vocab import DiaryTag, Ownership, PracticeSize
from ..store.peer import TipView
from . import Context, table
from .records import choice, date_arg


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    def group(name: str, help_text: str) -> Any:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=lambda ctx, args, p=p: (p.print_help(), 2)[1])
        return p.add_subparsers(dest=f"{name}_command", metavar="ACTION")

    def command(parent: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=handler)
        return p

    tip = group("tip", "Field tips: what worked, shared with every facilitator of the cooperative")
    p = command(tip, "add", "Add a tip to a strategy (it syncs to the whole cooperative)", tip_add)
    p.add_argument("strategy", help="strategy id, e.g. B3")
    p.add_argument("text")
    p.add_argument("--link", default="", help="a web address (https://...)")
    p.add_argument("--ownership", type=choice(Ownership, "Ownership"),
                   help="only for practices of this ownership: " + ", ".join(Ownership.choices()))
    p.add_argument("--ehr", dest="ehr_vendor", default="", help="only for practices on this EHR")
    p.add_argument("--size", type=choice(PracticeSize, "Practice size"),
                   help="only for practices of this size: " + ", ".join(PracticeSize.choices()))
    p = command(tip, "list", "List tips, pinned and most helpful first", tip_list)
    p.add_argument("strategy", nargs="?", help="only this strategy's tips")
    p.add_argument("--hidden", action="store_true", help="include tips a supervisor hid")
    for name, helpful, help_text in (("helpful", True, "Mark a tip helpful (once per person)"),
                                     ("unmark", False, "Take back my helpful mark")):
        p = command(tip, name, help_text, tip_mark)
        p.add_argument("id")
        p.set_defaults(helpful=helpful)
    command(tip, "withdraw", "Withdraw a tip I wrote (it disappears everywhere)", tip_withdraw).add_argument("id")
    for name, flag, value, help_text in (("pin", "pinned", True, "Pin a tip to the top (supervisors)"),
                                         ("unpin", "pinned", False, "Unpin a tip (supervisors)"),
                                         ("hide", "hidden", True, "Hide a tip from facilitators (supervisors)"),
                                         ("unhide", "hidden", False, "Show a hidden tip again (supervisors)")):
        p = command(tip, name, help_text, tip_flag)
        p.add_argument("id")
        p.set_defaults(flag=flag, value=value)

    diary = group("diary", "Your diary: private unless you share an entry with your supervisor")
    p = command(diary, "add", "Write a diary entry (private unless --share)", diary_add)
    p.add_argument("text")
    p.add_argument("--practice", help="the practice it is about (id or exact name)")
    p.add_argument("--tag", action="append", default=[], type=choice(DiaryTag, "Tag"),
                   help="repeatable: " + ", ".join(DiaryTag.choices()))
    p.add_argument("--strategy", action="append", default=[], help="repeatable: a strategy id, e.g. B3")
    p.add_argument("--date", type=date_arg("Date"), help="default: today")
    p.add_argument("--share", action="store_true", help="share it with your supervisor")
    p = command(diary, "list", "List diary entries, newest first", diary_list)
    p.add_argument("--search", default="", help="only entries containing these words")
    p.add_argument("--tag", type=choice(DiaryTag, "Tag"))
    command(diary, "share", "Share an entry with your supervisor", diary_share).add_argument("id")
    command(diary, "unshare", "Stop sharing an entry (the server keeps none of its words)",
            diary_unshare).add_argument("id")


def tip_add(ctx: Context, args: argparse.Namespace) -> int:
    toolkit = ctx.toolkit
    strategy = toolkit.get(args.strategy)
    tip = Tip(strategy.id, args.text, link=args.link, ownership=args.ownership or "", ehr_vendor=args.ehr_vendor,
              size=args.size or "")
    ctx.store().save_tip(tip, toolkit)
    ctx.emit({"id": tip.id}, f"Added tip {tip.id[:8]} to {strategy.id}; it reaches your cooperative at the next sync.")
    return 0


def _tip_json(view: TipView) -> dict[str, Any]:
    record = to_record(view.tip)
    del record["practice_id"]  # a scope key, not a practice
    return {**record, "helpful": view.helpful, "marked_by_me": view.marked_by_me, "mine": view.mine}


def tip_list(ctx: Context, args: argparse.Namespace) -> int:
    strategy = ctx.toolkit.get(args.strategy).id if args.strategy else None
    views = ctx.store().tips(strategy, include_hidden=args.hidden)

    def text() -> str:
        if not views:
            return "No tips yet" + (f" for {strategy}." if strategy else ".") + " Add one with: tip add STRATEGY TEXT"
        rows = [[v.tip.id[:8], v.tip.strategy_id, _flags(v), v.helpful, v.tip.written_by, v.tip.written_on,
                 _short(v.tip.text) + (f" <{v.tip.link}>" if v.tip.link else "")] for v in views]
        return table(rows, ["id", "strategy", "", "helpful", "by", "on", "tip"])
    ctx.emit([_tip_json(v) for v in views], text)
    return 0


def _flags(view: TipView) -> str:
    return " ".join(f for f, on in (("pinned", view.tip.pinned), ("hidden", view.tip.hidden),
                                    ("marked", view.marked_by_me)) if on)


def _short(text: str, limit: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def tip_mark(ctx: Context, args: argparse.Namespace) -> int:
    """`tip helpful` and `tip unmark`: my one mark on a tip, set or taken back."""
    store = ctx.store()
    tip = store.find_tip(args.id)
    store.mark_tip(tip.id, args.helpful)
    ctx.emit({"id": tip.id, "helpful": args.helpful},
             f"Marked tip {tip.id[:8]} helpful." if args.helpful else
             f"Took back your helpful mark on tip {tip.id[:8]}.")
    return 0


def tip_withdraw(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    tip = store.find_tip(args.id)
    store.withdraw_tip(tip.id)
    ctx.emit({"id": tip.id, "withdrawn": True},
             f"Withdrew tip {tip.id[:8]}; it disappears everywhere at the next sync.")
    return 0


def tip_flag(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    tip = store.find_tip(args.id)
    store.flag_tip(tip.id, **{args.flag: args.value})
    state = {("pinned", True): "pinned", ("pinned", False): "unpinned", ("hidden", True): "hidden",
             ("hidden", False): "shown again"}[(args.flag, args.value)]
    ctx.emit({"id": tip.id, args.flag: args.value},
             f"Tip {tip.id[:8]} {state}. Only a supervisor's change is accepted by the server.")
    return 0


def diary_add(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    practice = store.find_practice(args.practice).id if args.practice else ""
    strategies = [ctx.toolkit.get(s).id for s in args.strategy]
    entry = DiaryEntry(args.date or date.today(), args.text, tags=list(dict.fromkeys(args.tag)),
                       about_practice=practice, strategies=strategies, shared=args.share)
    store.save_diary_entry(entry)
    ctx.emit({"id": entry.id, "shared": entry.shared},
             f"Wrote diary entry {entry.id[:8]}"
             + (", shared with your supervisor at the next sync." if entry.shared else "; it stays on this computer."))
    return 0


def diary_list(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    entries = store.diary_entries(search=args.search, tag=args.tag)
    names = {p.id: p.name for p in store.practices()}

    def text() -> str:
        if not entries:
            return ("No diary entries match." if args.search or args.tag
                    else "No diary entries yet. Write one with: diary add TEXT")
        rows = [[e.id[:8], e.written_on, "shared" if e.shared else "private", ",".join(e.tags),
                 names.get(e.about_practice, ""), e.written_by if e.written_by != store.facilitator else "",
                 _short(e.text, 60)] for e in entries]
        return table(rows, ["id", "date", "", "tags", "practice", "by", "entry"])
    data = []
    for e in entries:
        record = to_record(e)
        del record["practice_id"]
        data.append({**record, "about_practice_name": names.get(e.about_practice, "")})
    ctx.emit(data, text)
    return 0


def diary_share(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    entry = store.find_diary_entry(args.id)
    store.share_diary_entry(entry.id, True)
    ctx.emit({"id": entry.id, "shared": True},
             f"Entry {entry.id[:8]} is shared: your supervisor can read it after the next sync.")
    return 0


def diary_unshare(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store()
    entry = store.find_diary_entry(args.id)
    if not entry.shared:
        ctx.emit({"id": entry.id, "shared": False}, f"Entry {entry.id[:8]} is already private.")
        return 0
    new_id = store.share_diary_entry(entry.id, False).ids[-1]
    ctx.emit({"id": new_id, "shared": False},
             f"Entry is private again (now {new_id[:8]}); the server keeps none of its words after the next sync.")
    return 0
