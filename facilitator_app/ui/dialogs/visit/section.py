"""The base of every part of the visit form, and the small helpers the parts share.

A section is a group box that shows one piece of a visit and gives it back:

    section.set_value(value)   show `value`; the section is clean again
    section.value()            what the section holds now (the value given to set_value, untouched,
                               while the section is clean: a re-saved visit keeps what it had,
                               even values this form cannot show, such as a mode from a newer app)
    section.dirty              True once the user changed anything since set_value
    section.changed            Signal() on every change the user makes, keystroke by keystroke
    section.commit_editor()    put the text of a table cell still being typed into its table

Sections that edit fields of the Visit record itself take and give a dict of those fields
(`FIELDS` names them); the next steps and the steps reviewed since the last visit have their own
value types (see their modules).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QStyledItemDelegate,
    QTableWidget,
    QWidget,
)

from ...widgets.field_errors import FieldErrors

T = TypeVar("T")
VisitFields = dict[str, Any]


class Section(QGroupBox, Generic[T]):
    """A titled part of the form with a value, a dirty flag and a `changed` signal."""

    changed = Signal()

    def __init__(self, title: str, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.setAccessibleName(title.replace("&", ""))
        self.errors = errors
        self._dirty = False
        self._loading = 0
        self._value: T | None = None

    # -- the contract -----------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._dirty

    def value(self) -> T:
        """The section's value: what set_value gave while clean, else read from the widgets."""
        if not self._dirty and self._value is not None:
            return self._value
        return self._read()

    def set_value(self, value: T) -> None:
        self._loading += 1
        try:
            self._show(value)
        finally:
            self._loading -= 1
        self._value = value
        self._dirty = False

    def commit_editor(self) -> None:
        """Tables override this: text typed in an open cell editor goes into the table."""

    # -- for subclasses ---------------------------------------------------------------------

    def _show(self, value: T) -> None:
        raise NotImplementedError

    def _read(self) -> T:
        raise NotImplementedError

    def touch(self, *_: object) -> None:
        """The user changed something (connected to every widget's change signal)."""
        if self._loading:
            return
        self._dirty = True
        self.changed.emit()

    def watch(self, *widgets: QWidget) -> None:
        """Mark the section dirty on any change of these widgets."""
        for w in widgets:
            if isinstance(w, QComboBox):
                w.currentIndexChanged.connect(self.touch)
                if w.isEditable():
                    w.editTextChanged.connect(self.touch)
            elif isinstance(w, QLineEdit):
                w.textChanged.connect(self.touch)
            elif isinstance(w, QPlainTextEdit):
                w.textChanged.connect(self.touch)
            elif isinstance(w, QDateTimeEdit):
                w.dateTimeChanged.connect(self.touch)
            elif isinstance(w, QAbstractSpinBox):
                w.valueChanged.connect(self.touch)  # type: ignore[attr-defined]
            elif isinstance(w, QAbstractButton):
                w.toggled.connect(self.touch)
            elif isinstance(w, QTableWidget):
                w.itemChanged.connect(self.touch)
            else:
                raise TypeError(f"cannot watch {type(w).__name__}")

    def loading(self) -> _Loading:
        """`with self.loading():` changes made inside do not count as the user's."""
        return _Loading(self)


class _Loading:
    def __init__(self, section: Section):
        self.section = section

    def __enter__(self) -> None:
        self.section._loading += 1

    def __exit__(self, *exc: object) -> None:
        self.section._loading -= 1


class LiveEditDelegate(QStyledItemDelegate):
    """Tells the section about every keystroke in a table cell (the text typed there reaches the
    table only when the cell editor commits, and a draft must not wait for that), and knows the
    open editor, so its text can be committed on save or close."""

    edited = Signal()

    def __init__(self, table: QAbstractItemView):
        super().__init__(table)
        self.table = table
        self.editor: QWidget | None = None
        table.setItemDelegate(self)

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt override)
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.textEdited.connect(self.edited)
        self.editor = editor
        return editor

    def destroyEditor(self, editor, index):  # noqa: N802 (Qt override)
        if editor is self.editor:
            self.editor = None
        super().destroyEditor(editor, index)

    def commit_open_editor(self) -> None:
        """Put the text of the cell being typed in into the table, keeping the cursor where it was
        (the view copies the committed text back into the editor)."""
        editor = self.editor
        if (editor is None or not shiboken6.isValid(editor)
                or self.table.state() != QAbstractItemView.State.EditingState):
            return
        cursor = editor.cursorPosition() if isinstance(editor, QLineEdit) else None
        self.commitData.emit(editor)
        if cursor is not None:
            editor.setCursorPosition(cursor)


def typed(text: str, original: str) -> str:
    """What a single-line field holds: the original value while the text is unchanged (so a
    re-save keeps stored spaces), else the text without surrounding spaces."""
    return original if text == original else text.strip()


def checked_in_order(boxes: dict[str, QAbstractButton], stored: list[str]) -> list[str]:
    """The ticked values, those already stored first in their stored order (a re-saved visit
    keeps its lists as they were), then newly ticked ones; stored values without a box are kept."""
    ticked = [v for v, box in boxes.items() if box.isChecked()]
    return [v for v in stored if v in ticked or v not in boxes] + [v for v in ticked if v not in stored]


def select_or_add(combo: QComboBox, value: Any, label: str) -> None:
    """Show `value` in `combo`, adding it first if it is not one of the choices (a value from a
    newer app must display, and be kept, rather than silently become the first choice)."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(label, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def no_default_buttons(root: QWidget) -> None:
    """No push button of `root` presses itself on Enter: QDialog makes its first auto-default
    button the default one, and Enter in any text field then clicks it."""
    from PySide6.QtWidgets import QPushButton

    for button in root.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)


def check_state(checked: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked


def rows_show_focus(table: QTableWidget) -> None:
    """The row the keyboard is on is highlighted while the table has the focus (the keyboard
    helper selects it when Tab enters), and only then: one highlighted row on the page."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def focus_moved(_old: QWidget | None, new: QWidget | None) -> None:
        if not shiboken6.isValid(table) or new is None or new.window() is not table.window():
            return  # the list of a combo box, another window: the row stays shown
        if not table.isAncestorOf(new):
            table.clearSelection()
        elif not table.selectionModel().hasSelection() and table.currentIndex().isValid():
            table.selectRow(table.currentRow())
    QApplication.instance().focusChanged.connect(focus_moved)


def compact_rows(table: QTableWidget) -> None:
    """Rows just tall enough for a combo box in a cell, all the same height."""
    from PySide6.QtWidgets import QHeaderView

    probe = QComboBox()
    height = max(probe.sizeHint().height(), table.fontMetrics().height() + 8) + 2
    probe.deleteLater()
    header = table.verticalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header.setDefaultSectionSize(height)
    header.setMinimumSectionSize(height)


def fit_to_rows(table: QTableWidget, *, min_rows: int = 1, max_rows: int = 8) -> None:
    """Make `table` exactly as tall as its visible rows (between min_rows and max_rows of them),
    so the form's page scrolls instead of a small table inside it."""
    visible = [r for r in range(table.rowCount()) if not table.isRowHidden(r)]
    rows = max(min_rows, min(len(visible), max_rows))
    row_h = table.verticalHeader().defaultSectionSize()
    header = table.horizontalHeader().sizeHint().height() if not table.horizontalHeader().isHidden() else 0
    table.setFixedHeight(header + rows * row_h + 2 * table.frameWidth() + 2)
    policy = table.sizePolicy()
    if policy.verticalPolicy() != QSizePolicy.Policy.Fixed:
        policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)  # else its group box takes the page's spare height
        table.setSizePolicy(policy)
    more = len(visible) > max_rows
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded if more
                                     else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    refresh_heights(table)


def refresh_heights(widget: QWidget) -> None:
    """Tell the layouts around `widget` that its height changed. Qt ignores this for widgets not
    shown yet, so the form calls it again for its tables once it is shown."""
    while widget is not None and not widget.isWindow():
        widget.updateGeometry()
        widget = widget.parentWidget()
