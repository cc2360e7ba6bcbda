"""Preview of a measure file before anything is written: what will be added, what is already
recorded, what differs from what is recorded (replaced only when the box is ticked), what is
skipped and why, and the file's problems. Import writes it all in one transaction."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.measure_import import ImportPlan, PlannedValue
from ...core.measure_import.plan import ImportOutcome
from ...core.model import MeasureValue
from ...core.vocab import Measure
from ...store.store import Changes, Store
from ..context import AppContext
from ..ops import StoreOp, describe_error
from ..widgets.keyboard import table_keys
from ..widgets.run_chart import quarter_label

COLUMNS = ["What happens", "Measure", "Quarter", "Numerator / Denominator", "Rate", "Recorded now / why"]


def _ratio(n: int, d: int) -> tuple[str, str]:
    return f"{n:,} / {d:,}", f"{n / d:.1%}" if d else "—"


class MeasureImportDialog(QDialog):
    """Modal preview; `imported` is called with the outcome after a successful import."""

    def __init__(self, ctx: AppContext, plan: ImportPlan, outcome: ImportOutcome | None, *, practice_id: str,
                 practice_name: str, imported: Callable[[ImportOutcome], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.plan, self.outcome = ctx, plan, outcome
        self.practice_id = practice_id
        self._imported = imported
        self.setWindowTitle(f"Import measures: {plan.file_name}")
        self.setObjectName("measure-import-preview")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("What the file holds")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        table_keys(self.table)
        self.replace = QCheckBox()
        self.replace.setAccessibleName("Replace the quarters recorded with other numbers")
        self.replace.toggled.connect(self._update_button)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.setAccessibleName("Import problem")
        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton("&Import")
        self.import_button.setAccessibleName("Import the measure values")
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self._import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.replace)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._fill(practice_name)
        self.resize(980, 460)
        # Enter imports once the preview is read; with other numbers, the first key is Replace.
        start = self.import_button if self.import_button.isEnabled() else (
            self.replace if self.replace.isVisibleTo(self) else self.table)
        start.setFocus()

    # -- the preview ----------------------------------------------------------------------

    def _row(self, cells: list[str], *, tip: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if tip:
                item.setToolTip(tip)
            self.table.setItem(row, col, item)

    def _value_row(self, status: str, p: PlannedValue, old: MeasureValue | None = None) -> None:
        ratio, rate = _ratio(p.numerator, p.denominator)
        recorded = ""
        if old is not None:
            recorded = f"{old.numerator:,} / {old.denominator:,} ({old.source})"
        self._row([status, f"{p.measure} · {Measure(p.measure).cms_id}",
                   f"{quarter_label(p.period_end)} (ends {p.period_end.isoformat()})", ratio, rate,
                   recorded or p.detail], tip=f"{p.where}: {p.detail}" if p.detail else p.where)

    def _fill(self, practice_name: str) -> None:
        plan, outcome = self.plan, self.outcome
        for problem in plan.problems:
            self._row(["Problem", "", "", "", "", str(problem)])
        if outcome is not None:
            for p in outcome.added:
                self._value_row("Add", p)
            for p, old in outcome.conflicting:
                self._value_row("Differs: replace?", p, old)
            for p, old in outcome.replaced:
                self._value_row("Replace", p, old)
            for p in outcome.unchanged:
                self._value_row("Already recorded", p)
        for s in plan.skipped:
            short = s.what if len(s.what) <= 24 else s.what[:23] + "…"
            self._row(["Skipped", short, "", "", "", f"{s.where}: {s.reason}" if s.where else s.reason], tip=s.what)
        self.table.resizeRowsToContents()
        head = f"<b>{plan.kind} file {plan.file_name}</b> for <b>{practice_name}</b>: "
        if plan.problems:
            self.summary.setText(head + f"{len(plan.problems)} problem(s), listed below. Nothing can be imported from "
                                 "this file: correct it (or export it again from the EHR) and import it again.")
        elif outcome is not None:
            parts = [f"{len(outcome.added)} to add", f"{len(outcome.unchanged)} already recorded"]
            if outcome.conflicting:
                parts.insert(1, f"{len(outcome.conflicting)} different from what is recorded")
            if plan.skipped:
                parts.append(f"{len(plan.skipped)} skipped")
            self.summary.setText(head + ", ".join(parts) + ".")
        conflicts = len(outcome.conflicting) if outcome else 0
        self.replace.setVisible(conflicts > 0)
        self.replace.setText(f"&Replace the {conflicts} quarter(s) recorded with other numbers (the recorded numbers "
                             "are kept in each value's history)")
        self._update_button()

    def _update_button(self, *_: object) -> None:
        outcome = self.outcome
        can = (not self.plan.problems and outcome is not None
               and bool(outcome.added or (outcome.conflicting and self.replace.isChecked())))
        self.import_button.setEnabled(can)
        self.import_button.setDefault(can)
        if outcome is not None and not self.plan.problems and not outcome.added and not outcome.conflicting:
            self.error.setText("Everything in this file is already recorded: there is nothing to import.")
        elif outcome is not None and outcome.conflicting and not self.replace.isChecked():
            self.error.setText("Tick Replace to import this file: it has other numbers for quarters already "
                               "recorded." if not outcome.added else
                               "Tick Replace to import this file, or Cancel to keep what is recorded: it has other "
                               "numbers for quarters already recorded.")
            self.import_button.setEnabled(False)
        else:
            self.error.setText("")

    # -- importing ------------------------------------------------------------------------

    def _import(self) -> None:
        if not self.import_button.isEnabled():
            return
        self.import_button.setEnabled(False)
        plan, replace, today = self.plan, self.replace.isChecked(), self.ctx.today()
        practice_id = self.practice_id

        done: list[ImportOutcome] = []

        def run(store: Store) -> Changes:  # the Changes reach every screen (charts, Today...)
            outcome, changes = store.import_measures(plan, practice_id=practice_id, replace=replace, today=today)
            done.append(outcome)
            return changes

        StoreOp(self.ctx.ops, run, initiator=self).success(lambda _c: self._done(done[0])).failure(
            self._failed).with_busy_cursor().run()

    def _done(self, outcome: ImportOutcome) -> None:
        if self._imported is not None:
            self._imported(outcome)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(describe_error(exc))
        self._update_button()

