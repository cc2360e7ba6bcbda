"""Practice > Next steps: every step of the practice, whichever visit made it, with how it was
closed; filter by status and text, mark done, drop (saying why), reopen, and change the owner
or due date, all from the keyboard."""

from __future__ import annotations

from datetime import date

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ....core.vocab import StepStatus
from ....store.queries import StepRow
from ...context import AppContext
from ...labels import fmt_date
from ...models.steps_model import StepsModel, when
from ...widgets.steps_table import StepActions, StepsTable
from .bundle import PracticeBundle

KEYS_HINT = "Space: done / reopen · Delete: drop · Enter: owner and due date · Ctrl+Z: undo"
# (label, statuses shown; empty = all)
FILTERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Open", frozenset({"open"})), ("Done", frozenset({"done"})), ("Dropped", frozenset({"dropped"})),
    ("All", frozenset()))


def tab_title(open_steps: int) -> str:
    """The tab's text: its Alt+X mnemonic and the number of open steps."""
    return f"Ne&xt steps ({open_steps})" if open_steps else "Ne&xt steps"


def describe(step: StepRow, today: date) -> str:
    """One line (wrapped) with everything about a step."""
    parts = [step.action, f"owner {step.owner}" if step.owner else "no owner",
             f"due {fmt_date(step.due)}" + (f" ({when(step, today)})" if when(step, today) else "")
             if step.due else "no due date"]
    if step.visit_date:
        parts.append(f"agreed {fmt_date(step.visit_date)}")
    if not step.is_open:
        closed = f"{StepStatus.label_of(step.status).lower()} {fmt_date(step.closed_on, '')}".strip()
        parts.append(closed + (f" by {step.closed_by}" if step.closed_by else ""))
        if step.closing_note:
            parts.append(f"note: {step.closing_note}")
    return " · ".join(parts)


def next_visit_of(bundle: PracticeBundle, today: date) -> date | None:
    """The practice's next planned contact (what "next visit" means for a due date), if ahead."""
    planned = [v.next_contact for v in bundle.visits if v.next_contact is not None and v.next_contact >= today]
    return min(planned) if planned else None


class NextStepsTab(QWidget):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self._pending: str | None = None
        self.show_filter = QComboBox()
        self.show_filter.setAccessibleName("Show steps")
        for label, statuses in FILTERS:
            self.show_filter.addItem(label, statuses)
        self.show_filter.currentIndexChanged.connect(self._apply_filter)
        show_label = QLabel("S&how")
        show_label.setBuddy(self.show_filter)
        self.search = QLineEdit()
        self.search.setAccessibleName("Search next steps")
        self.search.setPlaceholderText("action, owner, note…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_search)
        search_label = QLabel("&Search")
        search_label.setBuddy(self.search)
        self.count = QLabel()
        self.count.setAccessibleName("Steps shown")

        self.table = StepsTable(ctx, "Next steps of this practice", hidden=(StepsModel.PRACTICE, StepsModel.WHEN))
        self.table.setToolTip(KEYS_HINT)
        header = self.table.horizontalHeader()
        for column, width in ((StepsModel.DUE, 104), (StepsModel.OWNER, 110), (StepsModel.STATUS, 112),
                              (StepsModel.VISIT, 96), (StepsModel.CLOSED, 190), (StepsModel.NOTE, 160)):
            header.resizeSection(column, width)
        # The selected step in full: the table cuts long actions and notes.
        self.detail = QLabel()
        self.detail.setAccessibleName("Selected step")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.table.activated.connect(lambda _i: self.edit())
        self.step_actions = StepActions(ctx, self.table, self, space_reopens=True)

        made = self.step_actions.make_buttons()
        assert made.reopen is not None  # space_reopens: closed steps are listed here
        self.done_button, self.drop_button, self.reopen_button = made.done, made.drop, made.reopen
        self.undo_button = made.undo
        self.edit_button = QPushButton("&Edit owner, due…")
        self.edit_button.setToolTip("Change the owner or due date; the due date takes +1w, +2w, +1m, next visit "
                                    "(Enter)")
        self.edit_button.clicked.connect(self.edit)
        self.status = QLabel(KEYS_HINT)
        self.status.setAccessibleName("Next steps message")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.step_actions.message.connect(self.status.setText)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._enable())

        filters = QHBoxLayout()
        filters.addWidget(show_label)
        filters.addWidget(self.show_filter)
        filters.addSpacing(12)
        filters.addWidget(search_label)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.done_button, self.drop_button, self.reopen_button, self.edit_button, self.undo_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self.setTabOrder(self.show_filter, self.search)
        self.setTabOrder(self.search, self.table)
        self.table.proxy.set_statuses(self.show_filter.currentData())  # Open, to start with
        self._enable()

    # -- data -----------------------------------------------------------------------------

    def set_bundle(self, bundle: PracticeBundle) -> None:
        if self.bundle is not None and self.bundle.id != bundle.id:
            self.step_actions.forget()  # an undo belongs to the practice it was made on
        self.bundle = bundle
        self.table.set_rows(bundle.steps)
        if self._pending:
            self._select_pending()
        self._update_count()
        self._enable()

    def show_step(self, step_id: str) -> None:
        """Select step `step_id` once the practice is loaded (from Today's Enter) and focus the list."""
        self._pending = step_id
        if self.bundle is not None and any(s.id == step_id for s in self.bundle.steps):
            self._select_pending()

    def _select_pending(self) -> None:
        step_id, self._pending = self._pending, None
        if step_id is None or not shiboken6.isValid(self):
            return
        if not self.table.select_step(step_id):
            self.search.clear()
            self.show_filter.setCurrentIndex(len(FILTERS) - 1)  # All: the step is there whatever its status
            self.table.select_step(step_id)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- filters --------------------------------------------------------------------------

    def set_filter(self, label: str) -> None:
        self.show_filter.setCurrentIndex(next(i for i, (name, _s) in enumerate(FILTERS) if name == label))

    def _apply_filter(self) -> None:
        self.table.proxy.set_statuses(self.show_filter.currentData())
        self._after_filter()

    def _apply_search(self, text: str) -> None:
        self.table.proxy.set_search(text)
        self._after_filter()

    def _after_filter(self) -> None:
        if not self.table.currentIndex().isValid() and self.table.proxy.rowCount():
            self.table.select_line(0)
        self._update_count()
        self._enable()

    def _update_count(self) -> None:
        total = len(self.bundle.steps) if self.bundle else 0
        shown = self.table.proxy.rowCount()
        self.count.setText(f"{shown} of {total} steps" if shown != total else f"{total} steps")

    def _enable(self) -> None:
        step = self.table.current_step()
        self.detail.setText(describe(step, self.ctx.today()) if step else "")
        self.done_button.setEnabled(step is not None and step.is_open)
        self.drop_button.setEnabled(step is not None and step.is_open)
        self.reopen_button.setEnabled(step is not None and not step.is_open)
        self.edit_button.setEnabled(step is not None)

    # -- edit -----------------------------------------------------------------------------

    def edit(self) -> None:
        step = self.table.current_step()
        if step is None or self.bundle is None:
            return
        from ...dialogs.step_dialogs import EditStepDialog
        owners = [c.name for c in self.bundle.contacts] + [s.owner for s in self.bundle.steps]
        dialog = EditStepDialog(self.ctx, step, owners=owners, next_visit=next_visit_of(self.bundle, self.ctx.today()),
                                parent=self)
        dialog.saved.connect(lambda _c: self.status.setText(f"Saved the owner and due date of “{step.action}”."))
        dialog.finished.connect(lambda _r: self.table.setFocus(Qt.FocusReason.OtherFocusReason))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.edit_dialog = dialog
