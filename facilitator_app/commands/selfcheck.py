"""`self-check`: run every layer once in a throwaway folder and say what works (see selfcheck.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..selfcheck import run_self_check
from . import Context


def self_check(ctx: Context, args: Any) -> int:
    # Never the user's data folder: the check makes (and removes) its own temporary one.
    report = run_self_check(window=not args.no_window, keep=args.keep)
    ctx.emit(report.as_dict(), report.text)
    if args.keep and not ctx.as_json:
        print(f"Kept the check's data folder: {report.data_dir}", file=sys.stderr)
    return 0 if report.ok else 1


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    help_text = ("Check that this installation works: database, toolkit, a saved visit, a PDF, the window "
                 "(drawn offscreen) and the keyring, in a temporary folder; your records are not touched")
    p = sub.add_parser("self-check", help="Check that this installation works", description=help_text,
                       parents=[common])
    p.set_defaults(handler=self_check)
    p.add_argument("--no-window", action="store_true", help="skip building the window (no Qt)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder to look at afterwards")
