"""ABCS measures: enter a quarter's numerator and denominator; a run chart per measure with the
70% target line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.errors import ValidationError
from ....core.measure_import import ImportPlan, read_measure_file
from ....core.measure_import.plan import ImportOutcome
from ....core.model import MeasureValue
from ....core.vocab import Measure
from ....store.store import Store
from ...context import AppContext
from ...dialogs.measure_import_dialog import MeasureImportDialog
from ...ops import QueryOp, StoreOp, describe_error
from ...widgets.field_errors import FieldErrors, error_label
from ...widgets.keyboard import table_keys
from ...widgets.run_chart import RunChart, quarter_label
from .bundle import PracticeBundle

DEFAULT_SOURCE = "EHR report"
IMPORT_FOLDER_KEY = "measure_import_folder"
FILE_DIALOG_NAME = "measure-import-file"
FILE_FILTER = "Measure files (*.xml *.csv *.xlsx);;All files (*)"


def quarter_ends(today: date, count: int = 12) -> list[date]:
    """The most recent `count` quarter-end dates on or before today, newest first."""
    out = []
    year, q = today.year, (today.month - 1) // 3  # current quarter index 0..3 -> previous quarter ends
    for _ in range(count):
        if q == 0:
            year, q = year - 1, 4
        end_month = q * 3
        nxt = date(year + (end_month == 12), end_month % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
        q -= 1
    return out


class MeasuresTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self.measure = QComboBox()
        for m in Measure:
            self.measure.addItem(f"{m.value} · {m.label} ({m.cms_id})", m.value)
        self.period = QComboBox()
        self.numerator = QSpinBox(maximum=10_000_000)
        self.denominator = QSpinBox(maximum=10_000_000)
        self.version = QLineEdit(placeholderText="e.g. v12")
        self.source = QLineEdit(DEFAULT_SOURCE)
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        for field, label, w in (("measure", "Measure", self.measure), ("period_end", "Quarter ending", self.period),
                                ("numerator", "Numerator", self.numerator),
                                ("denominator", "Denominator", self.denominator),
                                ("version", "Measure version", self.version), ("source", "Source", self.source)):
            w.setAccessibleName(label)
            self.errors.add_row(form, field, label, w, self)
        self.rate = QLabel()
        self.numerator.valueChanged.connect(self._update_rate)
        self.denominator.valueChanged.connect(self._update_rate)
        # Picking a measure or a quarter shows what is stored for it, so a correction starts from
        # the stored numbers (not 0 / 0) and saving never overwrites a value unseen.
        self._typed = False  # numbers typed since the last fill: a reload must not replace them
        self._filling = False
        self.measure.currentIndexChanged.connect(self._prefill)
        self.period.currentIndexChanged.connect(self._prefill)
        for signal in (self.numerator.valueChanged, self.denominator.valueChanged, self.version.textEdited,
                       self.source.textEdited):
            signal.connect(self._on_typed)
        self.stored = QLabel()
        self.stored.setWordWrap(True)
        self.add = QPushButton("&Save value")
        self.add.setAccessibleName("Save measure value")
        self.add.clicked.connect(self._save)
        self.import_button = QPushButton("&Import from EHR file…")
        self.import_button.setAccessibleName("Import measures from an EHR file")
        self.import_button.setToolTip("A QRDA Category III report from the EHR, or a CSV/XLSX sheet with the columns "
                                      "measure, period_end, numerator, denominator")
        self.import_button.clicked.connect(self.choose_file)
        self.import_status = QLabel()
        self.import_status.setWordWrap(True)
        self.import_status.setAccessibleName("Last import")
        entry = QGroupBox("Enter a quarter")
        el = QVBoxLayout(entry)
        el.addLayout(form)
        el.addWidget(self.stored)
        el.addWidget(self.rate)
        el.addWidget(self.errors.general)
        el.addWidget(self.add)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Quarter", "Measure", "Num / Den", "Rate"])
        self.table.setAccessibleName("Measure values")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)  # more rows on a laptop screen
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Enter puts the value in the form above to correct it")
        self.table.activated.connect(self._pick_row)
        table_keys(self.table)
        left = QVBoxLayout()
        left.addWidget(self.import_button)
        left.addWidget(self.import_status)
        left.addWidget(entry)
        left.addWidget(self.table, 1)

        self.charts: dict[str, RunChart] = {}
        grid = QGridLayout()
        for i, m in enumerate(Measure):
            # The short name fits a laptop's quarter of the screen; the full title is the tooltip.
            chart = RunChart(f"{m.value}: {m.label} ({m.cms_id})")
            chart.setToolTip(f"{m.title} ({m.cms_id})")
            self.charts[m.value] = chart
            grid.addWidget(chart, i // 2, i % 2)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(grid, 5)
        self._update_rate()

    def set_bundle(self, bundle: PracticeBundle) -> None:
        self.bundle = bundle
        current = self.period.currentData()
        self.period.blockSignals(True)
        self.period.clear()
        for d in quarter_ends(self.ctx.today()):
            self.period.addItem(f"{quarter_label(d)} (ends {d.isoformat()})", d)
        if current is not None:
            self.period.setCurrentIndex(max(0, self.period_index(current)))
        self.period.blockSignals(False)
        values = sorted(bundle.measures, key=lambda v: (v.period_end, v.measure), reverse=True)
        self.table.setRowCount(len(values))
        for row, v in enumerate(values):
            for col, text in enumerate((quarter_label(v.period_end), v.measure, f"{v.numerator} / {v.denominator}",
                                        f"{v.rate:.0%}" if v.rate is not None else "—")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, (v.measure, v.period_end))
                self.table.setItem(row, col, item)
        self._prefill()
        for m, chart in self.charts.items():
            latest: dict[date, float] = {}
            for v in bundle.measures:
                if v.measure == m and v.rate is not None:
                    latest[v.period_end] = v.rate
            chart.set_points(list(latest.items()))

    def period_index(self, period_end: date) -> int:
        """The quarter's row in the list, or -1. (QComboBox.findData cannot find a Python date.)"""
        return next((i for i in range(self.period.count()) if self.period.itemData(i) == period_end), -1)

    def stored_value(self) -> MeasureValue | None:
        """The stored value of the measure and quarter picked in the form, if there is one."""
        if self.bundle is None:
            return None
        return next((v for v in self.bundle.measures if v.measure == self.measure.currentData()
                     and v.period_end == self.period.currentData()), None)

    def _on_typed(self, *_: object) -> None:
        if not self._filling:
            self._typed = True

    def _prefill(self, *_: object, force: bool = False) -> None:
        """Show the stored value of the picked measure and quarter; fill the fields with it (or
        with blanks) unless the user has typed numbers that are not saved yet."""
        value = self.stored_value()
        self.stored.setText(f"Stored for this quarter: {value.numerator} / {value.denominator}. Saving replaces it."
                            if value is not None else "Nothing stored for this quarter yet.")
        self.add.setText("&Save correction" if value is not None else "&Save value")
        if self._typed and not force:
            return
        self._filling = True
        try:
            self.numerator.setValue(value.numerator if value else 0)
            self.denominator.setValue(value.denominator if value else 0)
            self.version.setText(value.version if value else "")
            self.source.setText(value.source if value else DEFAULT_SOURCE)
        finally:
            self._filling = False
        self._typed = False
        self.errors.clear()

    def _pick_row(self, index) -> None:
        key = index.data(Qt.ItemDataRole.UserRole)
        if not key:
            return
        measure, period_end = key
        self.measure.setCurrentIndex(max(0, self.measure.findData(measure)))
        row = self.period_index(period_end)
        if row < 0:  # an older quarter than the list offers: add it so it can be corrected
            self.period.addItem(f"{quarter_label(period_end)} (ends {period_end.isoformat()})", period_end)
            row = self.period.count() - 1
        self.period.setCurrentIndex(row)
        self._prefill(force=True)
        self.numerator.setFocus()
        self.numerator.selectAll()

    def _update_rate(self) -> None:
        n, d = self.numerator.value(), self.denominator.value()
        self.rate.setText(f"Rate: {n / d:.1%}" if d else "Rate: —")

    def value(self) -> MeasureValue:
        assert self.bundle is not None
        existing = self.stored_value()
        kwargs = dict(practice_id=self.bundle.id, measure=self.measure.currentData(),
                      period_end=self.period.currentData(), numerator=self.numerator.value(),
                      denominator=self.denominator.value(), version=self.version.text().strip(),
                      source=self.source.text().strip())
        if existing is not None:  # re-entering a quarter corrects it rather than adding a second value
            kwargs["id"] = existing.id
        return MeasureValue(**kwargs)

    def _save(self) -> None:
        if self.bundle is None:
            return
        value = self.value()
        try:
            value.validate(today=self.ctx.today())
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self.errors.clear()
        StoreOp(self.ctx.ops, lambda s: s.save_measure(value)).success(self._saved).failure(
            lambda e: self.errors.show_message(describe_error(e))).run()

    def _saved(self, _changes: object) -> None:
        self._typed = False  # what was typed is stored now

    # -- importing a file -------------------------------------------------------------------

    def choose_file(self) -> None:
        """Ask for the file; reading and checking it runs off the UI thread, then the preview."""
        if self.bundle is None:
            return
        start = self.ctx.prefs.raw(IMPORT_FOLDER_KEY)
        folder = str(start) if start and Path(str(start)).is_dir() else str(Path.home())
        dialog = QFileDialog(self, "Import measures from an EHR file", folder, FILE_FILTER)
        dialog.setObjectName(FILE_DIALOG_NAME)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.preview(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def preview(self, path: Path) -> None:
        assert self.bundle is not None
        self.ctx.prefs.set_raw(IMPORT_FOLDER_KEY, str(path.parent))
        practice_id, name, today = self.bundle.id, self.bundle.practice.name, self.ctx.today()

        def read(store: Store) -> tuple[ImportPlan, ImportOutcome | None]:
            plan = read_measure_file(path)
            if plan.problems:
                return plan, None
            return plan, store.import_measures(plan, practice_id=practice_id, replace=False, today=today,
                                               dry_run=True)[0]

        def show(result: tuple[ImportPlan, ImportOutcome | None]) -> None:
            plan, outcome = result
            self.preview_dialog = MeasureImportDialog(self.ctx, plan, outcome, practice_id=practice_id,
                                                      practice_name=name, imported=self._imported, parent=self)
            self.preview_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.preview_dialog.open()

        QueryOp(self.ctx.ops, read).success(show).failure(lambda e: self._refused(path, e)).with_busy_cursor().run()

    def _refused(self, path: Path, exc: BaseException) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "The file cannot be imported",
                          f"{path.name}: {describe_error(exc)}", QMessageBox.StandardButton.Ok, self)
        box.setObjectName("measure-import-refused")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _imported(self, outcome: ImportOutcome) -> None:
        self.import_status.setText(
            f"Imported: {len(outcome.added)} added, {len(outcome.replaced)} replaced, "
            f"{len(outcome.unchanged)} already recorded.")
