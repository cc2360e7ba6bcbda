"""Print…: choose a printer and the number of copies; the PDF then goes to the operating system.

Why our own dialog and not QPrintDialog (PySide6-Essentials does ship QtPrintSupport): the app
prints a finished PDF, and QPrinter cannot print a PDF file without QtPdf, which Essentials lacks;
so the printing itself is `facilitator_app.printing` (CUPS `lp`, or the Windows shell) whatever
dialog is shown. QPrintDialog would offer page ranges, duplex, colour and "print to file" that a
PDF handed to `lp` would silently ignore, and on Windows and macOS it is the native modal dialog,
which blocks the event loop and cannot be driven by the keyboard tests. This dialog offers only
what is honoured: the printers `printing.list_printers()` finds (the default preselected) and
copies. It is only the view: ui/printing.py lists the printers and prints, off the UI thread.

For a leave-behind it also lists the colleagues' field tips for the strategies worked on that
suit the practice, unticked: one tick (Space) adds a tip to the help section of this print.

Keyboard: Enter prints (Print is the default button), Esc cancels, Alt+R printer, Alt+C copies,
Alt+T the field tips, Alt+I "Save PDF instead…".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.model import Tip
from ...printing import MAX_COPIES, Printers
from ..labels import fmt_date
from ..widgets.field_errors import ERROR_STYLE
from ..widgets.keyboard import table_keys

LOOKING = "Looking for printers…"
# Fusion's own focus cue on a combo box or a button is a faint line: draw a clear ring instead.
FOCUS_STYLE = """
QComboBox:focus { border: 2px solid palette(highlight); border-radius: 3px; padding: 1px 4px; }
QPushButton { border: 1px solid palette(mid); border-radius: 3px; padding: 4px 14px;
              background: palette(button); }
QPushButton:default { border-color: palette(dark); }
QPushButton:focus { border: 2px solid palette(highlight); padding: 3px 13px; }
QPushButton:disabled { color: palette(mid); }
QLabel:focus { border: 1px dashed palette(highlight); }
"""


class PrintDialog(QDialog):
    """Emits `print_requested(printer, copies)`; the caller answers with `show_error` or closes it."""

    print_requested = Signal(str, int)
    save_instead = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("PrintDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._busy = False

        self.document = QLabel("")
        self.document.setWordWrap(True)
        self.document.setAccessibleName("Document")
        font = self.document.font()
        font.setBold(True)
        self.document.setFont(font)

        self.printer = QComboBox()
        self.printer.setAccessibleName("Printer")
        self.printer.setAccessibleDescription("The printer the document is sent to")
        self.printer.setMinimumContentsLength(24)
        self.copies = QSpinBox()
        self.copies.setRange(1, MAX_COPIES)
        self.copies.setAccessibleName("Copies")
        self.copies.setAccessibleDescription(f"How many copies to print, 1 to {MAX_COPIES}")
        form = QFormLayout()
        printer_label, copies_label = QLabel("P&rinter:"), QLabel("&Copies:")
        printer_label.setBuddy(self.printer)
        copies_label.setBuddy(self.copies)
        form.addRow(printer_label, self.printer)
        form.addRow(copies_label, self.copies)

        self.tips_label = QLabel("&Tips to add to the leave-behind's help section:")
        self.tips = QListWidget()
        self.tips.setAccessibleName("Field tips to add to the leave-behind")
        self.tips.setWordWrap(True)
        self.tips.setMaximumHeight(150)
        self.tips_label.setBuddy(self.tips)
        self.tips_keys = table_keys(self.tips)  # Space ticks, Tab leaves
        for widget in (self.tips_label, self.tips):
            widget.setVisible(False)

        self.status = QLabel(LOOKING)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Print status")
        # selectable by keyboard too: it takes the focus while the job is sent (everything else is
        # disabled then), and an error can be read and copied without a mouse
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.TextSelectableByKeyboard)

        self.buttons = QDialogButtonBox()
        self.print_button = QPushButton("&Print")
        self.print_button.setAccessibleName("Print")
        self.print_button.setDefault(True)
        self.save_button = QPushButton("Save PDF &instead…")
        self.save_button.setAccessibleName("Save PDF instead")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.print_button.clicked.connect(self._print)
        self.save_button.clicked.connect(self._save_instead)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.document)
        layout.addLayout(form)
        layout.addWidget(self.tips_label)
        layout.addWidget(self.tips)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.printer, self.copies)
        self.setTabOrder(self.copies, self.tips)
        self.setTabOrder(self.tips, self.print_button)
        self.setTabOrder(self.print_button, self.save_button)
        self.setTabOrder(self.save_button, self.cancel_button)
        self.setTabOrder(self.cancel_button, self.status)
        self.setStyleSheet(FOCUS_STYLE)
        self._set_inputs(False)
        self.status.setFocus()  # while printers are looked up, Enter must not press another button
        self.resize(480, self.sizeHint().height())

    # -- filled in by ui/printing.py --------------------------------------------------------

    def set_document(self, text: str) -> None:
        self.document.setText(text)

    def set_tips(self, tips: list[Tip]) -> None:
        """The field tips that may go on the leave-behind, all unticked; none: the list stays hidden."""
        self.tips.clear()
        for tip in tips:
            words = " ".join(tip.text.split())
            item = QListWidgetItem(f"{tip.strategy_id} · {words[:160]}{'…' if len(words) > 160 else ''}"
                                   f"  (by {tip.written_by or 'unknown'}, {fmt_date(tip.written_on)})")
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, tip.id)
            item.setToolTip(tip.text + (f"\n{tip.link}" if tip.link else ""))
            self.tips.addItem(item)
        for widget in (self.tips_label, self.tips):
            widget.setVisible(bool(tips))
        if tips:
            self.tips.setCurrentRow(0)
        self._fit()

    def chosen_tips(self) -> list[str]:
        """The ids of the ticked tips, in the list's order."""
        return [self.tips.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.tips.count())
                if self.tips.item(i).checkState() == Qt.CheckState.Checked]

    def set_printers(self, printers: Printers) -> None:
        self.printer.clear()
        for name in printers.names:
            self.printer.addItem(f"{name} (default)" if name == printers.default else name, name)
        if printers.default in printers.names:
            self.printer.setCurrentIndex(printers.names.index(printers.default))
        self._set_status("")
        self._set_inputs(True)
        self.print_button.setDefault(True)
        self.printer.setFocus()

    def set_unavailable(self, message: str) -> None:
        """Nothing to print on (or nothing to print): say why; Save PDF instead stays available."""
        self.printer.clear()
        self._set_inputs(False)
        self._set_status(message, error=True)
        self.save_button.setDefault(True)
        self.save_button.setFocus()

    def set_busy(self, text: str) -> None:
        self._busy = True
        self._set_inputs(False)
        self.tips.setEnabled(False)
        self.save_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self._set_status(text)
        self.status.setFocus()

    def show_error(self, message: str) -> None:
        """The job was not sent: say why, and let the facilitator try again or pick another printer."""
        self._busy = False
        self._set_inputs(self.printer.count() > 0)
        self.tips.setEnabled(True)
        self.save_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self._set_status(message, error=True)
        self.printer.setFocus()

    def selected_printer(self) -> str | None:
        return self.printer.currentData()

    # -- internals --------------------------------------------------------------------------

    def _set_inputs(self, enabled: bool) -> None:
        for widget in (self.printer, self.copies, self.print_button):
            widget.setEnabled(enabled)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))  # an empty status is not a tab stop
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setAccessibleDescription(text)
        self._fit()

    def _fit(self) -> None:
        """Grow to fit a long message: the wrapped status must not squash the fields above it."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def _print(self) -> None:
        printer = self.selected_printer()
        if self._busy or not printer or not self.print_button.isEnabled():
            return
        self.copies.interpretText()  # a number typed but not yet committed counts
        self.print_requested.emit(printer, self.copies.value())

    def _save_instead(self) -> None:
        self.save_instead.emit()
        self.reject()

    def close_printed(self) -> None:
        self._busy = False
        super().accept()

    def reject(self) -> None:
        if not self._busy:  # the job is on its way: closing now would hide whether it was sent
            super().reject()
