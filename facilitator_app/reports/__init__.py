"""Printable leave-behinds: the visit summary and the practice progress report.

Two steps, so every caller renders the same way: `gather_*` reads plain data from a Store (on
the store's thread), `render_*`/`write_*` turn it into a PDF (safe on any worker thread).
`write_visit_pdf` and `write_progress_pdf` do both, for the CLI and the GUI's print action.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

from ..core.toolkit import Toolkit
from ..store import Store
from .data import (
    ProgressData,
    VisitSummaryData,
    gather_progress,
    gather_visit_summary,
    leave_behind_tips,
    visit_summary_data,
)
from .layout import PAGE_SIZES, Rendered, ReportError, write_pdf
from .progress import render_progress, write_progress
from .visit_summary import render_visit_summary, write_visit_summary


def write_visit_pdf(store: Store, toolkit: Toolkit, visit_id: str, path: Path | str, *, size: str = "letter",
                    today: date | None = None, tip_ids: Sequence[str] = ()) -> Rendered:
    """`tip_ids`: the field tips ticked in the print dialog, printed in the help section."""
    return write_visit_summary(gather_visit_summary(store, toolkit, visit_id, today=today, tip_ids=tip_ids),
                               path, size=size)


def write_progress_pdf(store: Store, toolkit: Toolkit, practice_id: str, path: Path | str, *, size: str = "letter",
                       today: date | None = None) -> Rendered:
    return write_progress(gather_progress(store, toolkit, practice_id, today=today), path, size=size)


__all__ = [
    "PAGE_SIZES", "ProgressData", "Rendered", "ReportError", "VisitSummaryData", "gather_progress",
    "gather_visit_summary", "leave_behind_tips", "render_progress", "render_visit_summary", "visit_summary_data",
    "write_pdf",
    "write_progress", "write_progress_pdf", "write_visit_pdf", "write_visit_summary",
]
