"""Save PDF… and Print… for the leave-behind (one visit) and the progress report (one practice).

Two separate actions. Save PDF… asks where to save (starting in the folder used last time) and
writes the PDF there. Print… shows the print dialog, then builds the PDF and hands it to the
operating system's printing (`facilitator_app.printing`: CUPS `lp`, or the Windows shell). The
store reads, the PDF build, `lpstat` and `lp` all run on the pool (ui/ops.py), never on the UI
thread.

    print_visit(ctx, visit_id, parent=window, done=on_printed)    -> PrintDialog
    save_visit_pdf(ctx, visit_id, parent=window, done=on_saved)   -> None (the file dialog opens
                                                                      once the name is known)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import shiboken6
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..printing import PrintError, PrintJob, list_printers, print_pdf
from .context import AppContext
from .dialogs.print_dialog import PrintDialog
from .labels import fmt_date
from .ops import QueryOp, describe_error
from .settings import REPORT_FOLDER_KEY

REPORTS_DIR = "reports"  # under the data folder: the copy that is handed to the printer
SAVE_DIALOG_NAME = "SavePdfDialog"


@dataclass(frozen=True)
class _Report:
    """One printable document: what it is called, and how to write it (both run on the pool)."""

    what: str                                        # "leave-behind", "progress report"
    describe: Callable[[Any], tuple[str, str]]       # store -> (label shown and used as job title, file stem)
    write: Callable[[Any, Path, Sequence[str]], object]  # (store, path, field tip ids) -> writes the PDF
    offer: Callable[[Any], list] | None = None       # store -> field tips the print dialog offers to add


def _visit_report(ctx: AppContext, visit_id: str) -> _Report:
    today = ctx.today()

    def describe(store) -> tuple[str, str]:
        visit = store.visit(visit_id)
        name = store.practice(visit.practice_id).name
        return (f"Leave-behind for {name}, visit of {fmt_date(visit.date)}",
                f"Leave-behind {visit.date.isoformat()} {_safe(name)}")

    def write(store, path: Path, tip_ids: Sequence[str]) -> object:
        from ..reports import write_visit_pdf
        return write_visit_pdf(store, ctx.toolkit, visit_id, path, today=today, tip_ids=tip_ids)

    def offer(store) -> list:
        from ..reports import leave_behind_tips
        return leave_behind_tips(store, visit_id)

    return _Report("leave-behind", describe, write, offer)


def _progress_report(ctx: AppContext, practice_id: str) -> _Report:
    today = ctx.today()

    def describe(store) -> tuple[str, str]:
        name = store.practice(practice_id).name
        return (f"Progress report for {name}, {fmt_date(today)}", f"Progress report {today.isoformat()} {_safe(name)}")

    def write(store, path: Path, _tip_ids: Sequence[str]) -> object:
        from ..reports import write_progress_pdf
        return write_progress_pdf(store, ctx.toolkit, practice_id, path, today=today)

    return _Report("progress report", describe, write)


def _safe(text: str) -> str:
    """A file-name-safe version of a practice name (letters, digits, spaces and dashes)."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\- ]+", " ", text)).strip()[:60] or "practice"


# -- public entry points (main window, practice screen, visit form) ---------------------------


def print_visit(ctx: AppContext, visit_id: str, *, parent: QWidget,
                done: Callable[[PrintJob], None] | None = None,
                saved: Callable[[Path], None] | None = None) -> PrintDialog:
    """Print the visit's leave-behind: the print dialog opens at once; `done(job)` once the job is
    queued; `saved(path)` if the facilitator chose "Save PDF instead…" and saved it."""
    return _print(ctx, _visit_report(ctx, visit_id), parent=parent, done=done, saved=saved)


def print_progress(ctx: AppContext, practice_id: str, *, parent: QWidget,
                   done: Callable[[PrintJob], None] | None = None,
                   saved: Callable[[Path], None] | None = None) -> PrintDialog:
    """Print the practice's progress report (same dialog and flow as print_visit)."""
    return _print(ctx, _progress_report(ctx, practice_id), parent=parent, done=done, saved=saved)


def save_visit_pdf(ctx: AppContext, visit_id: str, *, parent: QWidget,
                   done: Callable[[Path], None] | None = None,
                   failed: Callable[[BaseException], None] | None = None) -> None:
    """Ask where to save the leave-behind, then write it there; `done(path)` once it is on disk."""
    _save(ctx, _visit_report(ctx, visit_id), parent=parent, done=done, failed=failed)


def save_progress_pdf(ctx: AppContext, practice_id: str, *, parent: QWidget,
                      done: Callable[[Path], None] | None = None,
                      failed: Callable[[BaseException], None] | None = None) -> None:
    """Ask where to save the progress report, then write it there."""
    _save(ctx, _progress_report(ctx, practice_id), parent=parent, done=done, failed=failed)


# -- Print… ------------------------------------------------------------------------------------


def _print(ctx: AppContext, report: _Report, *, parent: QWidget, done: Callable[[PrintJob], None] | None,
           saved: Callable[[Path], None] | None) -> PrintDialog:
    dialog = PrintDialog(f"Print the {report.what}", parent)
    state: dict[str, str] = {}

    def prepare(store):
        label, stem = report.describe(store)
        tips = report.offer(store) if report.offer else []
        try:
            return label, stem, tips, list_printers()
        except PrintError as exc:
            return label, stem, tips, exc

    def prepared(result) -> None:
        label, stem, tips, printers = result
        state.update(label=label, stem=stem)
        dialog.set_document(label)
        dialog.set_tips(tips)
        if isinstance(printers, PrintError):
            dialog.set_unavailable(str(printers))
        else:
            dialog.set_printers(printers)

    def send(printer: str, copies: int) -> None:
        tip_ids = dialog.chosen_tips()  # read here, on the UI thread
        dialog.set_busy(f"Sending {_copies(copies)} to {printer}…")

        def work(store) -> PrintJob:
            folder = ctx.data_dir / REPORTS_DIR
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{state['stem']}.pdf"
            report.write(store, path, tip_ids)
            return print_pdf(path, printer=printer, copies=copies, title=state["label"])

        def sent(job: PrintJob) -> None:
            if done:
                done(job)  # even if the window that asked has closed meanwhile
            if shiboken6.isValid(dialog):
                dialog.close_printed()

        def not_sent(exc: BaseException) -> None:
            if shiboken6.isValid(dialog):
                dialog.show_error(describe_error(exc))
        QueryOp(ctx.ops, work).success(sent).failure(not_sent).run()

    dialog.print_requested.connect(send)
    dialog.save_instead.connect(lambda: _save(ctx, report, parent=parent, done=saved, failed=None,
                                              tip_ids=dialog.chosen_tips()))
    dialog.open()
    QueryOp(ctx.ops, prepare).success(prepared).failure(
        lambda exc: dialog.set_unavailable(describe_error(exc))).run()
    return dialog


def _copies(n: int) -> str:
    return "1 copy" if n == 1 else f"{n} copies"


# -- Save PDF… ---------------------------------------------------------------------------------


def _start_folder(ctx: AppContext) -> Path:
    remembered = ctx.prefs.raw(REPORT_FOLDER_KEY)
    if remembered and Path(str(remembered)).is_dir():
        return Path(str(remembered))
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def _save(ctx: AppContext, report: _Report, *, parent: QWidget, done: Callable[[Path], None] | None,
          failed: Callable[[BaseException], None] | None, tip_ids: Sequence[str] = ()) -> None:
    def on_failed(exc: BaseException) -> None:
        if failed:
            failed(exc)
        else:
            _warn(parent, f"The {report.what} could not be saved", describe_error(exc))

    def ask(described: tuple[str, str]) -> None:
        _label, stem = described
        dialog = QFileDialog(parent, f"Save the {report.what} as PDF", str(_start_folder(ctx) / f"{stem}.pdf"),
                             "PDF files (*.pdf)")
        dialog.setObjectName(SAVE_DIALOG_NAME)  # parent.findChild(QFileDialog, SAVE_DIALOG_NAME)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: write(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def write(path: Path) -> None:
        ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(path.parent))
        QueryOp(ctx.ops, lambda store: report.write(store, path, tip_ids)).with_busy_cursor().success(
            lambda _r: done(path) if done else None).failure(on_failed).run()

    QueryOp(ctx.ops, report.describe).success(ask).failure(on_failed).run()


def _warn(parent: QWidget, title: str, message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
