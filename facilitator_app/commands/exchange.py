"""`export` and `import` commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..store.exchange import export, import_practices
from . import Context


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", help="Export every record to CSV or JSON files", parents=[common])
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--out", type=Path, required=True, help="folder to write the files into")
    p.add_argument("--overwrite", action="store_true", help="replace files from an earlier export")
    p.set_defaults(handler=run_export)
    p = sub.add_parser("import", help="Import records from a file", parents=[common])
    what = p.add_subparsers(dest="import_what", metavar="WHAT")
    q = what.add_parser("practices", help="Import practices from a CSV roster (header row required)", parents=[common])
    q.add_argument("file", type=Path)
    q.set_defaults(handler=run_import_practices)
    p.set_defaults(handler=lambda ctx, args: (p.print_help(), 2)[1])


def run_export(ctx: Context, args: argparse.Namespace) -> int:
    result = export(ctx.store(), args.out, args.format, toolkit_version=ctx.toolkit.version, overwrite=args.overwrite)
    ctx.emit({"files": [str(f) for f in result.files], "counts": result.counts},
             lambda: "\n".join([f"Exported to {args.out}:"] + [f"  {f.name}" for f in result.files]
                               + ["  " + ", ".join(f"{n} {e}" for e, n in result.counts.items())]))
    return 0


def run_import_practices(ctx: Context, args: argparse.Namespace) -> int:
    practices = import_practices(ctx.store(), args.file)
    ctx.emit({"imported": len(practices), "ids": [p.id for p in practices]},
             f"Imported {len(practices)} practice{'s' if len(practices) != 1 else ''} from {args.file.name}.")
    return 0
