"""`facilitator-app report visit|practice ID -o FILE.pdf`: the printable leave-behinds.

Calls the same `reports` functions the GUI's "Save and print leave-behind" calls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import Context

if TYPE_CHECKING:  # reportlab is imported only when a report is printed (start-up time)
    from ..reports import Rendered


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", help="Print a visit summary or a practice progress report as PDF",
                            description="Print a visit summary or a practice progress report as PDF",
                            parents=[common])
    report.set_defaults(handler=lambda ctx, args: (report.print_help(), 2)[1])
    kinds = report.add_subparsers(dest="report_command", metavar="KIND")

    def command(name: str, help_text: str, key: str, key_help: str, handler) -> None:
        p = kinds.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.add_argument(key, help=key_help)
        p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf",
                       help="where to save the PDF (an existing file is replaced)")
        p.add_argument("--page-size", choices=("a4", "letter"), default="letter",
                       help="paper size (default: letter)")
        p.set_defaults(handler=handler)

    command("visit", "The one-to-two-page leave-behind for a visit", "visit_id",
            "visit id, or its first 8+ characters (see 'visit list')", report_visit)
    command("practice", "A practice's progress report with charts", "practice_id",
            "practice id, its first 8+ characters, or its exact name (see 'practice list')", report_practice)


def _done(ctx: Context, rendered: "Rendered", path: Path, what: str) -> int:
    pages = f"{rendered.pages} page{'s' if rendered.pages != 1 else ''}"
    ctx.emit({"path": str(path), "pages": rendered.pages, "bytes": len(rendered.pdf)},
             f"Saved the {what} to {path} ({pages}).")
    return 0


NO_NAME_WARNING = ("warning: your name is not set, so the {what} has no \"Your facilitator\" contact. "
                   "Set your name, phone and email in the app (Settings > You), then print it again.")


def _warn_without_name(ctx: Context, what: str) -> None:
    """The reports print no facilitator at all without a name (never a login name or a user id):
    say so, and where to set it, on stderr so --json output stays clean."""
    if not ctx.store().facilitator_profile().name.strip():
        print(NO_NAME_WARNING.format(what=what), file=sys.stderr)


def report_visit(ctx: Context, args: argparse.Namespace) -> int:
    from ..reports import write_visit_pdf

    rendered = write_visit_pdf(ctx.store(), ctx.toolkit, args.visit_id, args.output, size=args.page_size)
    _warn_without_name(ctx, "visit summary")
    return _done(ctx, rendered, args.output, "visit summary")


def report_practice(ctx: Context, args: argparse.Namespace) -> int:
    from ..reports import write_progress_pdf

    rendered = write_progress_pdf(ctx.store(), ctx.toolkit, args.practice_id, args.output, size=args.page_size)
    _warn_without_name(ctx, "progress report")
    return _done(ctx, rendered, args.output, "progress report")
