"""Toolkit: the 35 strategies with search, domain and arm filters, and a detail pane with steps,
EHR documentation tips and resources (quitlines for smoking). Fully offline. Below the detail,
the colleagues' field tips for the selected strategy (views/toolkit_tips.py)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...core.toolkit import Strategy
from ...core.vocab import ARMS, DOMAINS, Measure
from ..context import AppContext
from ..labels import fmt_date
from ..widgets.keyboard import table_keys
from .base_view import BaseView
from .toolkit_tips import TIP_ENTITIES, TipsPanel


class ToolkitView(BaseView):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.search = QLineEdit(placeholderText="Search strategies, steps and tips (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the toolkit")
        self.domain = QComboBox()
        self.domain.setAccessibleName("Domain filter")
        self.domain.addItem("All domains", None)
        for key, label in DOMAINS.items():
            self.domain.addItem(label, key)
        self.arm = QComboBox()
        self.arm.setAccessibleName("Arm filter")
        self.arm.addItem("All arms", None)
        for key, label in ARMS.items():
            self.arm.addItem(label, key)
        self.count = QLabel()
        self.list = QListWidget()
        self.list.setAccessibleName("Strategies")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table_keys(self.list)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Strategy details")
        self.detail.setOpenExternalLinks(True)
        self.search.textChanged.connect(self._apply)
        self.domain.currentIndexChanged.connect(self._apply)
        self.arm.currentIndexChanged.connect(self._apply)
        self.list.currentItemChanged.connect(self._on_current)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.domain)
        top.addWidget(self.arm)
        top.addWidget(self.count)
        self.tips = TipsPanel(ctx)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.addWidget(self.detail)
        right.addWidget(self.tips)
        right.setSizes([330, 290])
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([330, 670])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.info = QLabel(f"{ctx.toolkit.title} · version {ctx.toolkit.version}")
        layout.addWidget(self.info)
        self._shown_toolkit = ctx.toolkit
        self._apply()

    def reload(self) -> None:
        # Store edits change only the field tips; a switch of account or a new cooperative toolkit
        # changes the strategies themselves.
        if self.ctx.toolkit is self._shown_toolkit:
            self.tips.reload()
            return
        self._shown_toolkit = self.ctx.toolkit
        self.info.setText(f"{self.ctx.toolkit.title} · version {self.ctx.toolkit.version}")
        self._apply()

    def is_relevant(self, changes) -> bool:
        return bool(changes.entities & TIP_ENTITIES)

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True

    def _apply(self, *_: object) -> None:
        found = self.ctx.toolkit.search(self.search.text(), domain=self.domain.currentData(),
                                        arm=self.arm.currentData())
        current = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        self.list.blockSignals(True)
        self.list.clear()
        for s in found:
            item = QListWidgetItem(f"{s.id}  {s.title}")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setToolTip(s.summary)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.count.setText(f"{len(found)} of {len(self.ctx.toolkit.strategies)}")
        ids = [s.id for s in found]
        row = ids.index(current) if current in ids else 0
        if found:
            self.list.setCurrentRow(row)
            self._show(self.ctx.toolkit.get(ids[row]))
        else:
            self.detail.setHtml("<p>No strategy matches. Clear the search or choose all domains.</p>")
            self.tips.show_strategy(None)

    def _on_current(self, item: QListWidgetItem | None, _prev: object) -> None:
        if item is not None:
            self._show(self.ctx.toolkit.get(item.data(Qt.ItemDataRole.UserRole)))

    def shown_ids(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _show(self, s: Strategy) -> None:
        self.tips.show_strategy(s.id)
        e = html.escape
        measures = ", ".join(f"{Measure.label_of(m)} ({Measure(m).cms_id})" if m in Measure.choices()
                             else Measure.label_of(m) for m in s.measures)
        parts = [f"<h2>{e(s.id)} · {e(s.title)}</h2>",
                 f"<p><i>{e(s.domain_label)} · {e(s.arm_label)} · moves: {e(measures)}</i></p>",
                 f"<p>{e(s.summary)}</p>", f"<h3>Why it matters</h3><p>{e(s.why)}</p>",
                 "<h3>Steps</h3><ol>" + "".join(f"<li>{e(x)}</li>" for x in s.steps) + "</ol>"]
        if s.ehr_tips:
            parts.append("<h3>EHR documentation tips</h3><ul>"
                         + "".join(f"<li>{e(x)}</li>" for x in s.ehr_tips) + "</ul>")
        items = []
        for r in s.resources:
            bits = [f"<b>{e(r.name)}</b>"]
            if r.phone:
                bits.append(e(r.phone))
            if r.url:
                bits.append(f'<a href="{e(r.url)}">{e(r.url)}</a>')
            if r.note:
                bits.append(e(r.note))
            if r.last_verified:
                bits.append(f"<small>verified {e(fmt_date(r.last_verified))}</small>")
            items.append("<li>" + " · ".join(bits) + "</li>")
        if s.domain == "S":
            for q in self.ctx.toolkit.quitlines:
                bits = [f"<b>{e(q.name)}</b> ({e(q.state)})", e(q.phone)]
                if q.hours:
                    bits.append(e(q.hours))
                if q.how_to_refer:
                    bits.append(e(q.how_to_refer))
                if q.last_verified:
                    bits.append(f"<small>verified {e(fmt_date(q.last_verified))}</small>")
                items.append("<li>" + " · ".join(bits) + "</li>")
        if items:
            parts.append("<h3>Resources</h3><ul>" + "".join(items) + "</ul>")
        self.detail.setHtml("".join(parts))
