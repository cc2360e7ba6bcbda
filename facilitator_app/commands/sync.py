"""`login`, `logout`, `sync`, `status`, `sync-issues` and `conflicts`: the same SyncService the GUI uses."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from . import Context, UsageError

if TYPE_CHECKING:  # requests and pydantic load only when a sync command runs (start-up time)
    from ..sync.service import SyncService


def as_jsonable(value: Any) -> Any:
    from ..sync.service import as_jsonable as convert

    return convert(value)


def _service(ctx: Context, args: Any) -> "SyncService":
    from ..sync.service import SyncService

    ctx.close()  # the service opens (and may move) the active database itself
    return SyncService(ctx.data_dir, ca_bundle=getattr(args, "ca_bundle", None))


def login(ctx: Context, args: Any) -> int:
    from ..sync.client import normalize_server_url

    server = normalize_server_url(args.server)  # before the password prompt shows the address
    if not args.user.strip():
        raise UsageError("The user name is empty: give the one your data team gave you with --user")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UsageError("No terminal to ask for the password: pass it on standard input with --password-stdin")
        password = getpass.getpass(f"Password for {args.user} at {server}: ")
    if not password:
        raise UsageError("The password is empty")
    service = _service(ctx, args)
    try:
        result = service.sign_in(server, args.user, password)
    finally:
        service.close()
    info = result.account
    ctx.emit(as_jsonable(result), lambda: "\n".join(
        [f"Signed in to {info.server_url} as {info.user} ({info.role}).",
         f"Your sign-in is kept {info.token_place}.", f"Records are kept in {info.database}."] + result.messages))
    return 0


def logout(ctx: Context, args: Any) -> int:
    service = _service(ctx, args)
    try:
        info = service.sign_out()
    finally:
        service.close()
    if info is None:
        ctx.emit({"signed_out": False}, "You were not signed in.")
        return 0
    ctx.emit({"signed_out": True, "server_url": info.server_url, "user": info.user},
             f"Signed out of {info.server_url}. Your records and unsent changes stay on this computer.")
    return 0


def sync(ctx: Context, args: Any) -> int:
    from ..sync.client import SyncError

    service = _service(ctx, args)
    try:
        def progress(phase: str, done: int, total: int) -> None:
            if not ctx.as_json and phase in ("push", "pull", "refetch") and sys.stderr.isatty():
                print(f"\r{phase}: {done}/{total}", end="", file=sys.stderr, flush=True)
        try:
            report = service.sync_once(progress=progress)
        except SyncError as exc:
            pending = service.status().pending
            if ctx.as_json:
                ctx.emit({"ok": False, "error": type(exc).__name__, "message": str(exc), "pending": pending}, "")
            else:
                print(f"error: {exc}", file=sys.stderr)
            return 1
    finally:
        service.close()
    ctx.emit({"ok": True, **report.as_dict()}, lambda: "\n".join(
        [f"Sent {report.pushed} change(s), received {report.pulled} record(s)."]
        + ([f"{report.conflicts} conflict(s): see 'facilitator-app conflicts list'."] if report.conflicts else [])
        + ([f"{report.rejected} change(s) refused by the server: see 'facilitator-app status'."]
           if report.rejected else [])
        + report.messages))
    return 0


def status(ctx: Context, args: Any) -> int:
    service = _service(ctx, args)
    try:
        st = service.status()
        account = service.account()
        quarantined = service.quarantined()
        set_aside = _set_aside_entries(service)
    finally:
        service.close()
    data = {**as_jsonable(st), "token_place": account.token_place if account else None,
            "quarantined_changes": as_jsonable(quarantined), "set_aside_records": set_aside}

    def text() -> str:
        lines = [f"Server: {st.server_url} as {st.user} ({'signed in' if st.signed_in else 'signed out'})"
                 if st.server_url else "Not signed in to a server (records stay on this computer)."]
        if account and account.token_place:
            lines.append(f"Sign-in kept {account.token_place}")
        lines += [f"Unsent changes: {st.pending}", f"Last synced: {st.last_sync or 'never'}",
                  f"Conflicts to review: {st.conflicts}", f"Changes refused by the server: {st.quarantined}"]
        for q in quarantined:
            lines.append(f"  #{q.mutation_id} {q.entity} {q.row_id}: {q.reason}")
        lines.append(f"Records from the server this computer could not use: {st.set_aside}")
        lines += [f"  #{e['number']} {e['record']}: {e['reason']}" for e in set_aside]
        return "\n".join(lines)
    ctx.emit(data, text)
    return 0


def _set_aside_entries(service: "SyncService", *, include_dismissed: bool = False) -> list[dict[str, Any]]:
    """Rows from the server set aside, as the CLI shows them (the server's row as received is
    given as JSON text: it may hold what JSON cannot, such as Infinity, which is why it is here)."""
    from ..core.record_labels import record_label

    store = service.store()
    return [{"number": r.id, "record": record_label(r.entity, r.row_id, r.fields,
                                                    store.label_facts(r.entity, r.row_id, r.practice_id)),
             "entity": r.entity, "id": r.row_id, "practice_id": r.practice_id, "version": r.version,
             "reason": r.reason, "received_at": r.received_at, "dismissed_at": r.dismissed_at,
             "found": "when this computer's data was upgraded" if r.source == "upgrade" else "in a sync",
             "received_fields": r.fields_json}
            for r in service.rejected_rows(include_dismissed=include_dismissed)]


def sync_issues(ctx: Context, args: Any) -> int:
    """Everything the Sync issues screen lists: conflicts, changes the server refused, and
    records from the server this computer could not use."""
    service = _service(ctx, args)
    try:
        conflicts = service.conflicts(include_resolved=args.all)
        refused = service.quarantined()
        set_aside = _set_aside_entries(service, include_dismissed=args.all)
    finally:
        service.close()
    data = {"conflicts": as_jsonable(conflicts), "refused_changes": as_jsonable(refused),
            "set_aside_records": set_aside}

    def text() -> str:
        if not (conflicts or refused or set_aside):
            return "No sync issues."
        lines = [f"Conflicts to review: {len(conflicts)} (see 'facilitator-app conflicts list')",
                 f"Changes the server did not accept: {len(refused)}"]
        lines += [f"  #{q.mutation_id} {q.entity} {q.row_id}: {q.reason}" for q in refused]
        lines.append(f"Records from the server this computer could not use: {len(set_aside)}")
        for e in set_aside:
            state = f" (dismissed {e['dismissed_at'][:16].replace('T', ' ')})" if e["dismissed_at"] else ""
            lines.append(f"  #{e['number']} {e['record']}{state}: {e['reason']}")
        if set_aside:
            lines.append("The version of each record this computer had is kept; a corrected version from the "
                         "server replaces the entry. Hide one with 'facilitator-app sync-issues dismiss NUMBER'.")
        return "\n".join(lines)
    ctx.emit(data, text)
    return 0


def sync_issues_dismiss(ctx: Context, args: Any) -> int:
    service = _service(ctx, args)
    try:
        service.dismiss_rejected_row(args.number)
    finally:
        service.close()
    ctx.emit({"number": args.number, "dismissed": True}, f"Record #{args.number} dismissed from Sync issues.")
    return 0


def conflicts_list(ctx: Context, args: Any) -> int:
    service = _service(ctx, args)
    try:
        found = service.conflicts(include_resolved=args.all)
    finally:
        service.close()

    def text() -> str:
        if not found:
            return "No conflicts to review."
        out = []
        for c in found:
            state = f" (resolved: {c.resolution})" if c.resolved_at else ""
            out.append(f"#{c.id} {c.entity} {c.row_id} [{c.outcome}]{state}")
            for k, mine in c.local_fields.items():
                out.append(f"    {k}: yours={mine!r} ({c.local_author or 'you'})  "
                           f"current={c.current_fields.get(k)!r} ({c.current_author or 'server'})")
        return "\n".join(out)
    ctx.emit(as_jsonable(found), text)
    return 0


def conflicts_resolve(ctx: Context, args: Any) -> int:
    service = _service(ctx, args)
    try:
        wrote = service.resolve_conflict(args.id, args.choice)
    finally:
        service.close()
    ctx.emit({"id": args.id, "choice": args.choice, "new_edit": wrote},
             f"Conflict #{args.id} resolved "
             f"({'your values will be sent at the next sync' if wrote else 'nothing to send'}).")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    def command(name: str, help_text: str, handler: Any, parent: Any = sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=handler)
        p.add_argument("--ca-bundle", help="certificate bundle for a server with its own certificate authority")
        return p

    p = command("login", "Sign in to your cooperative's server", login)
    p.add_argument("--server", required=True, help="server address, e.g. https://sync.example.org")
    p.add_argument("--user", required=True, help="your user name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    command("logout", "Sign out (your records stay on this computer)", logout)
    command("sync", "Send unsent changes and receive updates (one cycle)", sync)
    command("status", "Unsent changes, last sync, conflicts and refused changes", status)
    p = command("sync-issues", "Conflicts, changes the server refused, and records from the server this "
                "computer could not use", sync_issues)
    p.add_argument("--all", action="store_true", help="include resolved conflicts and dismissed records")
    actions = p.add_subparsers(dest="sync_issues_command", metavar="ACTION")
    p = command("dismiss", "Hide a record from the server that this computer could not use", sync_issues_dismiss,
                actions)
    p.add_argument("number", type=int, help="the record's number in 'facilitator-app sync-issues'")
    group = sub.add_parser("conflicts", help="Review and resolve sync conflicts", parents=[common])
    group.set_defaults(handler=lambda ctx, args, p=group: (p.print_help(), 2)[1])
    actions = group.add_subparsers(dest="conflicts_command", metavar="ACTION")
    p = command("list", "List conflicts", conflicts_list, actions)
    p.add_argument("--all", action="store_true", help="include resolved ones")
    p = command("resolve", "Keep your value ('mine') or the current one ('theirs')", conflicts_resolve, actions)
    p.add_argument("id", type=int)
    p.add_argument("choice", choices=["mine", "theirs"])
