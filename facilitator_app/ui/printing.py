"""Leave-behind and progress-report PDFs, rendered on the pool (never on the UI thread) and opened
with the system viewer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from .context import AppContext
from .ops import QueryOp

REPORTS_DIR = "reports"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "practice"


def print_visit(ctx: AppContext, visit_id: str, *, done: Callable[[Path], None] | None = None,
                failed: Callable[[BaseException], None] | None = None) -> None:
    toolkit, today, out_dir = ctx.toolkit, ctx.today(), ctx.data_dir / REPORTS_DIR

    def work(store) -> Path:
        from ..reports.data import gather_visit_summary
        from ..reports.visit_summary import write_visit_summary
        data = gather_visit_summary(store, toolkit, visit_id, today=today)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"visit-{data.date.isoformat()}-{_safe(data.practice.name)}-{visit_id[:8]}.pdf"
        write_visit_summary(data, path)
        return path

    _run(ctx, work, done, failed)


def print_progress(ctx: AppContext, practice_id: str, *, done: Callable[[Path], None] | None = None,
                   failed: Callable[[BaseException], None] | None = None) -> None:
    toolkit, today, out_dir = ctx.toolkit, ctx.today(), ctx.data_dir / REPORTS_DIR

    def work(store) -> Path:
        from ..reports.data import gather_progress
        from ..reports.progress import write_progress
        data = gather_progress(store, toolkit, practice_id, today=today)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"progress-{today.isoformat()}-{_safe(store.practice(practice_id).name)}.pdf"
        write_progress(data, path)
        return path

    _run(ctx, work, done, failed)


def _run(ctx: AppContext, work, done, failed) -> None:
    def opened(path: Path) -> None:
        ctx.open_file(path)
        if done:
            done(path)

    op = QueryOp(ctx.ops, work).success(opened).with_busy_cursor()
    if failed:
        op.failure(failed)
    op.run()
