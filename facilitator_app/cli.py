"""`facilitator-app`: the headless commands, and with no command, the desktop app."""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
import traceback
from pathlib import Path

from . import __version__
from .commands import Context, UsageError, default_dir
from .core.errors import FieldKitError, ValidationError

# Modules under facilitator_app.commands that add sub-commands.
COMMAND_MODULES = ["records", "measures", "peer", "exchange", "backup", "sync", "report", "selfcheck"]
DEBUG_ENV = "FFK_DEBUG"  # set to 1 to see the Python traceback of an unexpected error


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="folder holding the local database (default: $FFK_DATA_DIR or the user data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    parser = argparse.ArgumentParser(
        prog="facilitator-app", parents=[common],
        description="Facilitator Field Kit: practice facilitation records that work offline.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.commands.{name}").register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the specific problem
        return int(exc.code or 0)
    data_dir = getattr(args, "data_dir", None) or default_dir()
    ctx = Context(data_dir=Path(data_dir), as_json=getattr(args, "json", False))
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            return open_gui(ctx)
        return handler(ctx, args)
    except ValidationError as exc:
        for problem in exc.problems:
            print(f"error: {problem.message}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FieldKitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing was half-saved.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `facilitator-app practice list | head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except sqlite3.Error as exc:
        from .store.db import explain_sqlite_error

        explained = explain_sqlite_error(exc, ctx.database_path())
        return _report(explained) if explained else _unexpected(exc)
    except OSError as exc:
        from .store.db import explain_os_error

        return _report(explain_os_error(exc))
    except Exception as exc:  # a bug: a plain sentence, never a traceback (FFK_DEBUG=1 shows it)
        return _unexpected(exc)
    finally:
        _close_quietly(ctx)


def _report(error: FieldKitError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 1


def _unexpected(exc: BaseException) -> int:
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: Field Kit ran into a problem it did not expect ({type(exc).__name__}: {exc}). "
          "Records saved before are safe; a change that was being saved was either saved whole or not at all. "
          f"Please report this with the command you ran (run it again with {DEBUG_ENV}=1 for the details).",
          file=sys.stderr)
    return 1


def _close_quietly(ctx: Context) -> None:
    """Closing after a failure (a full disk, a damaged file) must not raise over the message."""
    try:
        ctx.close()
    except sqlite3.Error:
        ctx._store = None


def open_gui(ctx: Context) -> int:
    try:
        gui = importlib.import_module(f"{__package__}.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"{__package__}.ui"):
            print("The desktop window is not part of this build yet; use a command "
                  "(facilitator-app --help).", file=sys.stderr)
            return 2
        raise
    return gui.run(ctx.data_dir)


if __name__ == "__main__":
    sys.exit(main())
