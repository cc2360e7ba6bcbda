"""`facilitator-server`: start the server and run the data team's admin commands.

Every command takes --database-url (or FFK_SERVER_DATABASE_URL); the default is a SQLite file in
the server's data folder, so a pilot needs no database server at all.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from .. import __version__
from ..core.errors import FieldKitError
from . import accounts, admin
from .db import make_engine, write_tx
from .migrate import SchemaError, require_current, schema_state, upgrade
from .settings import DATABASE_URL_ENV, Settings, default_data_dir, default_database_url, normalize_database_url


class CliError(Exception):
    """A problem the user can fix; printed as is, exit status 1."""


def _url(args: argparse.Namespace) -> str:
    if args.database_url:
        return normalize_database_url(args.database_url)
    if os.environ.get(DATABASE_URL_ENV):
        return normalize_database_url(os.environ[DATABASE_URL_ENV])
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    return default_database_url(data_dir)


def _engine(args: argparse.Namespace, *, migrated: bool = True) -> Engine:
    engine = make_engine(Settings(database_url=_url(args)))
    if migrated:
        require_current(engine)
    return engine


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# -- commands --------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .http import uvicorn_options

    url = _url(args)
    engine = make_engine(Settings(database_url=url))
    db_path = make_url(url).database if url.startswith("sqlite") else None
    try:
        if not args.database_url and not os.environ.get(DATABASE_URL_ENV) and schema_state(engine).current is None:
            # The embedded default: a pilot starts with one command on a fresh SQLite file.
            upgrade(engine)
            print(f"Created a new server database at {db_path}", flush=True)
        require_current(engine)
    finally:
        engine.dispose()
    os.environ[DATABASE_URL_ENV] = url  # worker processes build their app from the environment
    print(f"Database: {_safe_url(url)}", flush=True)
    print(f"Facilitator server listening on http://{args.host}:{args.port}", flush=True)
    uvicorn.run("facilitator_app.server.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers if args.workers > 1 else None, log_level=args.log_level,
                proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips, **uvicorn_options())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    engine = _engine(args, migrated=False)
    before = schema_state(engine)
    upgrade(engine)
    after = schema_state(engine)
    engine.dispose()
    if before.current == after.current:
        print(f"The database is already up to date (schema {after.current}).")
    else:
        print(f"Migrated {_safe_url(_url(args))} from {before.current or 'empty'} to schema {after.current}.")
    return 0


def cmd_cooperative_add(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        accounts.add_cooperative(conn, args.name)
    print(f"Added cooperative {args.name!r}.")
    return 0


def cmd_cooperative_list(args: argparse.Namespace) -> int:
    with _engine(args).connect() as conn:
        names = accounts.list_cooperatives(conn)
    print("\n".join(names) if names else "No cooperatives yet: add one with `cooperative add NAME`.")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise CliError("No password on standard input.")
        return password
    if not sys.stdin.isatty():
        raise CliError("No terminal to ask for the password: use --password-stdin.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("The passwords do not match; nothing was changed.")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    engine = _engine(args)
    password = _read_password(args)
    with write_tx(engine) as conn:
        user = accounts.add_user(conn, args.name, role=args.role, cooperative=args.cooperative, password=password,
                                 full_name=args.full_name or "", email=args.email or "")
    where = f" in {user.cooperative}" if user.cooperative else ""
    print(f"Added {user.role} {user.name!r}{where}.")
    return 0


def cmd_user_set(args: argparse.Namespace) -> int:
    """Full name, email and password in one command; everything is checked before anything is saved."""
    wants_password = args.password or args.password_stdin
    if args.full_name is None and args.email is None and not wants_password:
        raise CliError("Nothing to change: give --full-name, --email, --password or --password-stdin.")
    engine = _engine(args)
    with engine.connect() as conn:
        accounts.get_user(conn, args.name)  # an unknown user fails before a password is asked for
    for check, value in ((accounts.clean_full_name, args.full_name), (accounts.clean_email, args.email)):
        if value is not None:
            check(value)
    password = _read_password(args) if wants_password else None
    with write_tx(engine) as conn:
        changed = accounts.set_details(conn, args.name, full_name=args.full_name, email=args.email)
        if password is not None:
            accounts.set_password(conn, args.name, password)
            changed.append("password")
    if not changed:
        print(f"Nothing changed for {args.name!r}: the values are the same.")
        return 0
    print(f"Changed the {', '.join(c.replace('_', ' ') for c in changed)} of {args.name!r}.")
    if password is not None:
        print("Their earlier sign-ins stop working: every app must sign in again with the new password.")
    return 0


def cmd_user_move(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        dropped = accounts.move_user(conn, args.name, args.cooperative)
    print(f"Moved {args.name!r} to {args.cooperative!r}"
          + (f"; unassigned from {len(dropped)} practice(s) of the old cooperative." if dropped else "."))
    print("Their app, and the apps of both cooperatives' supervisors, download their data again at the next sync.")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        accounts.set_disabled(conn, args.name, True)
    print(f"Disabled {args.name!r}: their tokens stop working at once.")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        accounts.set_disabled(conn, args.name, False)
    print(f"Enabled {args.name!r}. Sign-ins from before the account was disabled stay invalid: "
          "they sign in again.")
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    engine = _engine(args)
    password = _read_password(args)
    with write_tx(engine) as conn:
        accounts.set_password(conn, args.name, password)
    print(f"Changed the password of {args.name!r}. Their earlier sign-ins stop working: every app must sign in "
          "again with the new password.")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    with _engine(args).connect() as conn:
        users = accounts.list_users(conn)
        rows = [{"name": u.name, "full_name": u.full_name, "email": u.email, "role": u.role,
                 "cooperative": u.cooperative, "disabled": u.disabled,
                 "practices": len(accounts.assigned_practices(conn, u.id))} for u in users]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            state = " (disabled)" if r["disabled"] else ""
            print(f"{r['name']:<24} {r['role']:<12} {r['cooperative'] or '-':<20} {r['practices']:>4} practices"
                  f"  {r['full_name'] or '-'} <{r['email'] or '-'}>{state}")
    return 0


def cmd_practice_import(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        count = admin.import_practices(conn, Path(args.file), cooperative=args.cooperative)
    print(f"Imported {count} practice(s) into {args.cooperative}.")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        count = accounts.assign(conn, args.user, args.practice_ids)
    print(f"Assigned {count} practice(s) to {args.user} ({len(args.practice_ids) - count} already assigned).")
    return 0


def cmd_unassign(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        count = accounts.unassign(conn, args.user, args.practice_ids)
    print(f"Unassigned {count} practice(s) from {args.user}.")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        count = accounts.revoke_tokens(conn, args.user)
    print(f"Revoked {count} token(s) of {args.user}: they must sign in again.")
    return 0


def cmd_toolkit_publish(args: argparse.Namespace) -> int:
    with write_tx(_engine(args)) as conn:
        version = admin.publish_toolkit(conn, Path(args.file), cooperative=args.cooperative)
    print(f"Published toolkit {version} for {args.cooperative}; apps fetch it on their next sync.")
    return 0


def _parse_since(text: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--since must be a date like 2026-11-01 or 2026-11-01T09:30 (got {text!r}).") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def cmd_audit(args: argparse.Namespace) -> int:
    since = _parse_since(args.since) if args.since else None
    with _engine(args).connect() as conn:
        entries = accounts.audit_entries(conn, since)
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        at = datetime.fromtimestamp(e["at_ms"] / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        detail = ", ".join(f"{k}={v}" for k, v in e["detail"].items())
        print(f"{at}Z  {e['actor']:<16} {e['action']:<18} {detail}")
    if not entries:
        print("No audit entries" + (" since then." if since else "."))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _engine(args).connect() as conn:
        counts = admin.export_cooperative(conn, Path(args.out), cooperative=args.cooperative)
    print(f"Exported {args.cooperative} to {args.out}: "
          + ", ".join(f"{n} {entity.replace('_', ' ')}(s)" for entity, n in counts.items()))
    return 0


# -- parser ----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help=f"SQLAlchemy URL, e.g. postgresql://user@host/db "
                        f"(default: ${DATABASE_URL_ENV}, else a SQLite file in the data folder)")
    common.add_argument("--data-dir", help="folder for the default SQLite database")
    parser = argparse.ArgumentParser(prog="facilitator-server", description=__doc__.splitlines()[0],
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"facilitator-server {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
            subparsers: argparse._SubParsersAction[argparse.ArgumentParser] = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = subparsers.add_parser(name, parents=[common], help=help_text,
                                                           description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = add("serve", cmd_serve, "start the HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1, help="worker processes (use PostgreSQL for more than one "
                   "busy worker)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="reverse proxies whose X-Forwarded-For is trusted (for login rate limits)")
    add("migrate", cmd_migrate, "create or upgrade the database schema")

    coop = sub.add_parser("cooperative", help="manage cooperatives").add_subparsers(dest="action", required=True)
    add("add", cmd_cooperative_add, "add a cooperative", coop).add_argument("name")
    add("list", cmd_cooperative_list, "list cooperatives", coop)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(dest="action", required=True)
    p = add("add", cmd_user_add, "add an account", user)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=accounts.ROLES)
    p.add_argument("--cooperative")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--full-name", help="the person's name, as reports show it (at most 200 characters)")
    p.add_argument("--email", help="their email address; the app prefills its profile with both")
    p = add("set", cmd_user_set, "change an account's full name, email or password (\"\" clears a value)", user)
    p.add_argument("name")
    p.add_argument("--full-name")
    p.add_argument("--email")
    p.add_argument("--password", action="store_true", help="ask for a new password")
    p.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    p = add("move", cmd_user_move, "move an account to another cooperative (its assignments end)", user)
    p.add_argument("name")
    p.add_argument("--cooperative", required=True)
    add("disable", cmd_user_disable, "disable an account (its tokens stop working for good)", user).add_argument("name")
    add("enable", cmd_user_enable, "enable a disabled account (it signs in again)", user).add_argument("name")
    p = add("password", cmd_user_password, "set a new password", user)
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    add("list", cmd_user_list, "list accounts", user).add_argument("--json", action="store_true")

    practice = sub.add_parser("practice", help="manage practices").add_subparsers(dest="action", required=True)
    p = add("import", cmd_practice_import, "import practices from a CSV file (all rows validated first)", practice)
    p.add_argument("file")
    p.add_argument("--cooperative", required=True)

    for name, handler, text in (("assign", cmd_assign, "assign practices to a facilitator"),
                                ("unassign", cmd_unassign, "remove practices from a facilitator")):
        p = add(name, handler, text)
        p.add_argument("user")
        p.add_argument("practice_ids", nargs="+", metavar="PRACTICE_ID")

    token = sub.add_parser("token", help="manage sign-in tokens").add_subparsers(dest="action", required=True)
    add("revoke", cmd_token_revoke, "revoke every token of a user", token).add_argument("user")

    toolkit = sub.add_parser("toolkit", help="customized toolkits").add_subparsers(dest="action", required=True)
    p = add("publish", cmd_toolkit_publish, "publish a customized toolkit file for a cooperative", toolkit)
    p.add_argument("file")
    p.add_argument("--cooperative", required=True)

    p = add("audit", cmd_audit, "show the audit trail of admin actions and sign-ins")
    p.add_argument("--since", help="only entries at or after this date/time (UTC)")
    p.add_argument("--json", action="store_true")

    p = add("export", cmd_export, "export a cooperative's records as CSV files")
    p.add_argument("--cooperative", required=True)
    p.add_argument("--format", choices=["csv"], default="csv")
    p.add_argument("--out", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
        return status
    except SchemaError as exc:
        print(f"facilitator-server: {exc}", file=sys.stderr)
        return 2
    except (FieldKitError, CliError) as exc:
        print(f"facilitator-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
