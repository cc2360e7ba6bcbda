"""The 35-strategy checklist grouped by ABCS domain, with an editor for the selected strategy:
status (reason when declined), steps as ticks, owner, target date, and dated notes."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.errors import ValidationError
from ....core.model import ChecklistItem, ChecklistNote
from ....core.vocab import DOMAINS, StrategyStatus, reason_kept
from ...context import AppContext
from ...labels import STATUS_COLORS, fmt_date, status_label
from ...ops import StoreOp, describe_error
from ...widgets.date_field import DateField
from ...widgets.field_errors import FieldErrors, error_label
from ...widgets.keyboard import table_keys, wheel_follows_focus
from ...widgets.practice_form import fill_combo, select_data
from .bundle import PracticeBundle

COL_STRATEGY, COL_STATUS, COL_OWNER, COL_TARGET, COL_STEPS = range(5)


class ChecklistTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self.current: str | None = None

        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Strategy checklist")
        self.tree.setHeaderLabels(["Strategy", "Status", "Owner", "Target", "Steps"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(COL_STRATEGY, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        for col, w in ((COL_STATUS, 100), (COL_OWNER, 90), (COL_TARGET, 90), (COL_STEPS, 50)):
            header.resizeSection(col, w)
        self.items: dict[str, QTreeWidgetItem] = {}
        for domain, label in DOMAINS.items():
            top = QTreeWidgetItem([label])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(top)
            for s in ctx.toolkit.strategies:
                if s.domain == domain:
                    child = QTreeWidgetItem([f"{s.id}  {s.title}"])
                    child.setData(0, Qt.ItemDataRole.UserRole, s.id)
                    child.setToolTip(0, s.title)
                    top.addChild(child)
                    self.items[s.id] = child
        self.tree.expandAll()
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.activated.connect(lambda _i: self.status.setFocus())  # Enter: edit this strategy
        self.tree.setToolTip("Enter edits the strategy on the right")
        table_keys(self.tree)

        # editor
        self.title = QLabel()
        self.title.setWordWrap(True)
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.1)
        self.title.setFont(f)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QComboBox()
        fill_combo(self.status, StrategyStatus)
        self.status.setAccessibleName("Status")
        self.status.currentIndexChanged.connect(self._update_reason_visibility)
        self.reason = QLineEdit(placeholderText="Why the practice declined")
        self.reason.setAccessibleName("Reason declined")
        self.owner = QLineEdit(placeholderText="Who at the practice owns this")
        self.owner.setAccessibleName("Owner")
        self.target = DateField(optional=True)
        self.target.setAccessibleName("Target date")
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        self.reason_label = QLabel("Reason")
        for field, label, w in (("status", QLabel("Status"), self.status), ("reason", self.reason_label, self.reason),
                                ("owner", QLabel("Owner"), self.owner),
                                ("target_date", QLabel("Target date"), self.target)):
            label.setBuddy(w)
            self.errors.add_row(form, field, label, w, self)
        self.steps_box = QGroupBox("Steps")
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.step_checks: list[QCheckBox] = []
        self._step_rows: list[QWidget] = []
        self.notice = QLabel()  # says so when ticking a step changed the status
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Status notice")
        self.notice.setVisible(False)
        self.unsaved = QLabel()
        self.unsaved.setAccessibleName("Save state")
        self.save = QPushButton("&Save strategy")
        self.save.setAccessibleName("Save strategy")
        self.save.clicked.connect(self._save)
        self.notes = QListWidget()
        self.notes.setAccessibleName("Notes on this strategy")
        self.notes.setWordWrap(True)
        table_keys(self.notes)
        self.note_text = QLineEdit(placeholderText="Add a dated note and press Enter")
        self.note_text.setAccessibleName("New note")
        self.note_text.returnPressed.connect(self._add_note)
        self.add_note = QPushButton("Add &note")
        self.add_note.setAutoDefault(False)
        self.add_note.clicked.connect(self._add_note)
        notes_box = QGroupBox("Notes")
        nl = QVBoxLayout(notes_box)
        nl.addWidget(self.notes, 1)
        row = QHBoxLayout()
        row.addWidget(self.note_text, 1)
        row.addWidget(self.add_note)
        nl.addLayout(row)

        editor = QWidget()
        el = QVBoxLayout(editor)
        el.addWidget(self.title)
        el.addWidget(self.summary)
        el.addLayout(form)
        el.addWidget(self.steps_box)
        el.addWidget(self.notice)
        el.addWidget(self.errors.general)
        bl = QHBoxLayout()
        bl.addWidget(self.unsaved, 1)
        bl.addWidget(self.save)
        el.addLayout(bl)
        el.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(editor)
        self.editor = editor
        for w in (self.status, self.target):
            wheel_follows_focus(w)  # scrolling the editor past them leaves their values alone
        # The notes list sits below the scrolled editor, not inside it: it grows with the window
        # and keeps the wheel.
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.addWidget(scroll)
        right.addWidget(notes_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        self.right = right
        self._sized = False
        self.notes_box = notes_box

        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([560, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.editor.setEnabled(False)
        notes_box.setEnabled(False)

        # Unsaved edits, per (practice, strategy): a reload (after a note, a sync) or a look at
        # another strategy never throws away what was chosen or typed.
        self._filling = False
        self._dirty = False
        self._unsaved: dict[tuple[str, str], ChecklistItem] = {}
        self._status_chosen = False  # the user picked the status in this edit
        self.status.currentIndexChanged.connect(self._on_status_picked)
        self.reason.textEdited.connect(self._edited)
        self.owner.textEdited.connect(self._edited)
        self.target.dateChanged.connect(self._edited)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # once there is a height to share: 70% editor, 30% notes, then as dragged
            self._sized = True
            total = sum(self.right.sizes())
            self.right.setSizes([total * 7 // 10, total - total * 7 // 10])

    def set_bundle(self, bundle: PracticeBundle) -> None:
        if self.bundle is not None and self.bundle.id != bundle.id:
            self._park()
            self.current = None
        self.bundle = bundle
        for item in bundle.checklist:
            self._draw_node(item.strategy_id)
        if self.current:
            self._show(self.current, keep_editor=self._dirty)
        elif bundle.checklist:
            self.tree.setCurrentItem(self.items[bundle.checklist[0].strategy_id])

    def _draw_node(self, sid: str) -> None:
        node = self.items.get(sid)
        if node is None or self.bundle is None:
            return
        unsaved = self._unsaved.get((self.bundle.id, sid))
        item = unsaved or self.item_for(sid)
        steps = len(self.ctx.toolkit.get(sid).steps)
        node.setText(COL_STATUS, status_label(item.status) + (" *" if unsaved else ""))
        node.setForeground(COL_STATUS, QBrush(STATUS_COLORS.get(item.status, Qt.GlobalColor.gray)))
        node.setText(COL_OWNER, item.owner)
        node.setText(COL_TARGET, item.target_date.isoformat() if item.target_date else "")
        node.setText(COL_STEPS, f"{len(item.steps_done)}/{steps}")
        tip = f"Declined: {item.reason}" if item.status == StrategyStatus.DECLINED and item.reason else ""
        node.setToolTip(COL_STATUS, (tip + "\n" if tip else "") + "* changed here, not saved yet" if unsaved else tip)

    def item_for(self, strategy_id: str) -> ChecklistItem:
        assert self.bundle is not None
        for item in self.bundle.checklist:
            if item.strategy_id == strategy_id:
                return item
        return ChecklistItem(self.bundle.id, strategy_id)

    def select(self, strategy_id: str) -> None:
        self.tree.setCurrentItem(self.items[strategy_id])

    def _on_current(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        sid = current.data(0, Qt.ItemDataRole.UserRole) if current else None
        if sid and self.bundle is not None:
            self._park()
            self.current = sid
            self._show(sid)

    def _park(self) -> None:
        """Keep the editor's unsaved changes of the strategy being left."""
        if self._dirty and self.current and self.bundle is not None:
            self._unsaved[(self.bundle.id, self.current)] = self.value()
            self._draw_node(self.current)
        self._dirty = False

    def _show(self, sid: str, *, keep_editor: bool = False) -> None:
        strategy = self.ctx.toolkit.get(sid)
        self.editor.setEnabled(True)
        self.notes_box.setEnabled(True)
        self.notes.clear()
        for note in self.bundle.notes if self.bundle else []:
            if note.strategy_id == sid:
                who = f" — {note.author}" if note.author else ""
                self.notes.addItem(f"{fmt_date(note.written_on)}{who}: {note.text}")
        if keep_editor:
            return  # the same strategy was reloaded while being edited: keep the edits
        key = (self.bundle.id, sid) if self.bundle else None
        unsaved = self._unsaved.get(key) if key else None
        item = unsaved or self.item_for(sid)
        self._filling = True
        try:
            self.title.setText(f"{strategy.id} · {strategy.title}")
            self.summary.setText(strategy.summary)
            select_data(self.status, item.status)
            self.reason.setText(item.reason)
            self.owner.setText(item.owner)
            self.target.set_value(item.target_date)
            for row in self._step_rows:
                self.steps_layout.removeWidget(row)
                row.hide()
                row.setParent(None)  # out of the window's Tab order now, not at the next event loop
                row.deleteLater()
            self.step_checks = []
            self._step_rows = []
            for n, text in enumerate(strategy.steps, 1):
                # A checkbox does not wrap its text, so the step text is a wrapped label beside it.
                row = QWidget()
                rl = QHBoxLayout(row)
                rl.setContentsMargins(0, 0, 0, 0)
                box = QCheckBox(f"{n}.")
                box.setChecked(n in item.steps_done)
                box.setAccessibleName(f"Step {n}")
                box.setAccessibleDescription(text)
                box.toggled.connect(self._on_step_toggled)
                label = QLabel(text)
                label.setWordWrap(True)
                label.setBuddy(box)
                rl.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
                rl.addWidget(label, 1)
                self.steps_layout.addWidget(row)
                row.show()  # now, not at the next event loop: Tab must find the new step boxes
                self.step_checks.append(box)
                self._step_rows.append(row)
            previous: QWidget = self.target  # Tab goes target date -> steps -> Save, in reading order
            for box in self.step_checks:
                QWidget.setTabOrder(previous, box)
                previous = box
            QWidget.setTabOrder(previous, self.save)
        finally:
            self._filling = False
        self._dirty = unsaved is not None
        self._status_chosen = False
        self.notice.setVisible(False)
        self.unsaved.setText("Changed here, not saved yet" if unsaved else "")
        self._update_reason_visibility()
        self.errors.clear()

    def _edited(self, *_: object) -> None:
        if not self._filling:
            self._dirty = True
            self.unsaved.setText("Not saved yet")

    def _on_status_picked(self, *_: object) -> None:
        if not self._filling:
            self._status_chosen = True
            self.notice.setVisible(False)
            self._edited()

    def _on_step_toggled(self, checked: bool) -> None:
        if self._filling:
            return
        self._edited()
        status = self.status.currentData()
        if checked and not self._status_chosen and status in (StrategyStatus.NOT_SELECTED.value,
                                                               StrategyStatus.DECLINED.value):
            # Working on a step means the practice works on the strategy: say so, do not guess quietly.
            was = "was not selected by the practice" if status == StrategyStatus.NOT_SELECTED.value else "was declined"
            self._filling = True
            select_data(self.status, StrategyStatus.SELECTED.value)
            self._filling = False
            self._update_reason_visibility()
            self.notice.setText(f"{self.current} {was}: ticking a step set its status to Selected. "
                                "Change the status before saving if that is wrong.")
            self.notice.setVisible(True)

    def _update_reason_visibility(self) -> None:
        declined = self.status.currentData() == StrategyStatus.DECLINED.value
        self.reason.setVisible(declined)
        self.reason_label.setVisible(declined)

    def value(self) -> ChecklistItem:
        assert self.current is not None
        item = self.item_for(self.current)
        status = self.status.currentData()
        return dataclasses.replace(
            item, status=status, reason=reason_kept(status, self.reason.text()),
            owner=self.owner.text().strip(), target_date=self.target.value(),
            steps_done=[n for n, box in enumerate(self.step_checks, 1) if box.isChecked()])

    def _save(self) -> None:
        if self.current is None:
            return
        item = self.value()
        toolkit = self.ctx.toolkit
        try:
            item.validate(today=self.ctx.today(), step_count=len(toolkit.get(item.strategy_id).steps))
        except ValidationError as exc:
            self.errors.show(exc)
            return
        StoreOp(self.ctx.ops, lambda s: s.set_checklist(item, toolkit)).success(lambda _c: self._saved(item)).failure(
            lambda e: self.errors.show_message(describe_error(e))).run()

    def _saved(self, item: ChecklistItem) -> None:
        self._unsaved.pop((item.practice_id, item.strategy_id), None)
        if self.current == item.strategy_id and self.value() == item:
            self._dirty = False
            self.unsaved.setText("Saved")
            self.notice.setVisible(False)
        self._draw_node(item.strategy_id)

    def _add_note(self) -> None:
        text = self.note_text.text().strip()
        if not text or self.current is None or self.bundle is None:
            return
        note = ChecklistNote(self.bundle.id, self.current, text, written_on=self.ctx.today())
        self.note_text.clear()
        StoreOp(self.ctx.ops, lambda s: s.add_checklist_note(note)).failure(
            lambda e: (self.note_text.setText(text), self.errors.show_message(describe_error(e)))).run()
