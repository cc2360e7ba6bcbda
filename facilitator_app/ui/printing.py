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
    def work(store) -> Path:
        from ..reports import write_visit_pdf
        visit = store.visit(visit_id)
        practice_name = _safe(store.practice(visit.practice_id).name)
        path = _path(ctx, f"visit-{visit.date.isoformat()}-{practice_name}-{visit_id[:8]}")
        write_visit_pdf(store, ctx.toolkit, visit_id, path, today=today)
        return path

    today = ctx.today()
    _run(ctx, work, done, failed)


def print_progress(ctx: AppContext, practice_id: str, *, done: Callable[[Path], None] | None = None,
                   failed: Callable[[BaseException], None] | None = None) -> None:
    def work(store) -> Path:
        from ..reports import write_progress_pdf
        path = _path(ctx, f"progress-{today.isoformat()}-{_safe(store.practice(practice_id).name)}")
        write_progress_pdf(store, ctx.toolkit, practice_id, path, today=today)
        return path

    today = ctx.today()
    _run(ctx, work, done, failed)


def _path(ctx: AppContext, stem: str) -> Path:
    out_dir = ctx.data_dir / REPORTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / f"{stem}.pdf"


def _run(ctx: AppContext, work, done, failed) -> None:
    def opened(path: Path) -> None:
        ctx.open_file(path)
        if done:
            done(path)

    op = QueryOp(ctx.ops, work).success(opened).with_busy_cursor()
    if failed:
        op.failure(failed)
    op.run()
