"""The main window: navigation, the screens, the status bar, shortcuts and window state."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

import shiboken6
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from ..core.errors import NotFoundError
from ..core.model import FacilitatorProfile
from ..store.store import Changes
from . import printing
from .context import ALL_ENTITIES, AppContext
from .dialogs.about_you import AboutYouDialog
from .dialogs.first_start import DEMO, SIGN_IN, FirstStartDialog
from .dialogs.practice_dialog import PracticeDialog
from .geometry import clamp_to_screen, fit_to_screen
from .icons import app_icon
from .ops import QueryOp, StoreOp, describe_error
from .settings import GEOMETRY_KEY, LAST_PRACTICE_KEY, LAST_VIEW_KEY
from .views.base_view import BaseView
from .views.practice.bundle import load_bundle
from .widgets.sync_status import SyncStatusWidget

if TYPE_CHECKING:
    from .dialogs.visit_form import VisitForm

DEMO_PRACTICES, DEMO_MONTHS, DEMO_SEED = 12, 12, 7
DEFAULT_SIZE = QSize(1200, 800)
LEAVE_BEHIND_NEEDS_NAME = "The leave-behind tells the practice who you are, and your name is not set yet."
# (navigation title, module under ui/views, class). A screen's module is imported when the screen
# is first shown, so start-up pays only for the one on screen.
SCREENS = [("Today", "today_view", "TodayView"), ("Practices", "practices_view", "PracticesView"),
           ("Practice", "practice_view", "PracticeView"), ("Toolkit", "toolkit_view", "ToolkitView"),
           ("Sync issues", "sync_issues_view", "SyncIssuesView"), ("Settings", "settings_view", "SettingsView"),
           ("Diary", "diary_view", "DiaryView")]  # last: Ctrl+1 to Ctrl+6 keep the screens they always had


def _screen_factory(module: str, name: str) -> Callable[[AppContext], BaseView]:
    def build(ctx: AppContext) -> BaseView:
        return getattr(importlib.import_module(f"{__package__}.views.{module}"), name)(ctx)
    return build


def _visit_form_module():
    from .dialogs import visit_form  # the largest dialog: loaded on first use, not at start-up
    return visit_form


class MainWindow(QMainWindow):
    TODAY, PRACTICES, PRACTICE, TOOLKIT, SYNC_ISSUES, SETTINGS, DIARY = range(7)

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Facilitator Field Kit")
        self.setWindowIcon(app_icon())
        self.visit_forms: list["VisitForm"] = []
        self.last_saved_visit: str | None = None
        self.last_pdf = None  # the last PDF saved with Save PDF…
        self.last_print_job = None  # the last job handed to a printer
        self.print_dialog = None  # the open Print… dialog, if any
        self.about_you_dialog: AboutYouDialog | None = None

        # Screens are built when first shown: start-up pays only for the one on screen.
        self._factories = [_screen_factory(module, name) for _title, module, name in SCREENS]
        self._views: list[BaseView | None] = [None] * len(self._factories)
        self.nav = QListWidget()
        self.nav.setAccessibleName("Screens")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        for i, (title, _module, _name) in enumerate(SCREENS):
            item = QListWidgetItem(title)
            item.setToolTip(f"{title} (Ctrl+{i + 1})")
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())
        self.nav.currentRowChanged.connect(self._on_nav)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.sync_status = SyncStatusWidget()
        self.statusBar().addPermanentWidget(self.sync_status)
        self.sync_status.sync_button.clicked.connect(self.sync_now)

        ctx.ops.unhandled_error.connect(self._show_error)
        ctx.ops.changed.connect(self._on_changed)
        ctx.account.toolkit_changed.connect(self._on_toolkit_changed)
        if ctx.sync is not None:
            self.attach_sync(ctx.sync)

        for keys, slot in (("Ctrl+N", self.new_visit_shortcut), ("Ctrl+F", self.focus_search),
                           ("Ctrl+P", self.print_shortcut), ("Ctrl+Shift+S", self.save_pdf_shortcut),
                           ("F5", self.sync_now)):
            QShortcut(QKeySequence(keys), self, activated=slot, context=Qt.ShortcutContext.WindowShortcut)
        for i in range(len(self._factories)):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self.show_view(i))
        self.setTabOrder(self.nav, self.stack)
        fit_to_screen(self, DEFAULT_SIZE)  # 1200x800, or what fits inside the screen's free area
        self._clamped_after_show = False
        self._restore_state()
        self._refresh_pending()

    # -- screens --------------------------------------------------------------------------

    def view(self, index: int) -> BaseView:
        """The screen at `index`, built (and wired) on first use."""
        view = self._views[index]
        if view is None:
            view = self._factories[index](self.ctx)
            self._views[index] = view
            placeholder = self.stack.widget(index)
            current = self.stack.currentIndex()
            self.stack.insertWidget(index, view)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            if current == index:
                self.stack.setCurrentIndex(index)
            self._wire(index, view)
        return view

    def _wire(self, index: int, view: BaseView) -> None:
        if index == self.TODAY:
            view.open_practice.connect(self.open_practice)
            view.open_step.connect(self.open_step)
            view.open_draft.connect(self.open_draft)
        elif index == self.PRACTICES:
            view.open_practice.connect(self.open_practice)
            view.new_practice_requested.connect(self.new_practice)
        elif index == self.PRACTICE:
            view.new_visit.connect(self.new_visit)
            view.open_visit.connect(self.open_visit)
            view.print_visit.connect(self.print_visit)
            view.print_progress.connect(self.print_progress)
            view.save_visit_pdf.connect(self.save_visit_pdf)
            view.save_progress_pdf.connect(self.save_progress_pdf)

    @property
    def views(self) -> list[BaseView]:
        return [self.view(i) for i in range(len(self._factories))]

    today = property(lambda self: self.view(self.TODAY))
    practices = property(lambda self: self.view(self.PRACTICES))
    practice = property(lambda self: self.view(self.PRACTICE))
    toolkit = property(lambda self: self.view(self.TOOLKIT))
    sync_issues = property(lambda self: self.view(self.SYNC_ISSUES))
    settings = property(lambda self: self.view(self.SETTINGS))
    diary = property(lambda self: self.view(self.DIARY))

    # -- navigation -----------------------------------------------------------------------

    def _on_nav(self, row: int) -> None:
        view = self.view(row)
        if row == self.PRACTICE and view.practice_id is None:
            self.statusBar().showMessage("Open a practice from the Practices list first.", 4000)
        self.stack.setCurrentIndex(row)

    def show_view(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def current_view(self) -> BaseView:
        return self.view(self.stack.currentIndex())

    def open_practice(self, practice_id: str) -> None:
        self.practice.show_practice(practice_id)
        self.show_view(self.PRACTICE)

    def open_step(self, practice_id: str, step_id: str) -> None:
        """The practice's Next steps tab, with that step selected (Enter on Today's next steps)."""
        self.practice.show_step(practice_id, step_id)
        self.show_view(self.PRACTICE)

    def focus_search(self) -> None:
        if not self.current_view().focus_search():
            self.show_view(self.PRACTICES)
            self.practices.focus_search()

    # -- practices and visits -------------------------------------------------------------

    def new_practice(self) -> None:
        dialog = PracticeDialog(self.ctx, self)
        dialog.saved.connect(self.open_practice)
        dialog.show()

    def _current_practice_id(self) -> str | None:
        view = self.current_view()
        if view is self.practice:
            return self.practice.practice_id
        if view is self.practices:
            return self.practices.selected_practice_id()
        return None

    def new_visit_shortcut(self) -> None:
        """Ctrl+N: a screen's own new item (the Diary's new entry), else a new visit."""
        if self.current_view().new_item():
            return
        pid = self._current_practice_id()
        if pid:
            self.new_visit(pid)
            return
        summaries = self.practices.model.rows()
        if not summaries:
            QueryOp(self.ctx.ops, lambda s: s.practice_summaries(today=self.ctx.today())).success(
                lambda rows: self._pick_practice_for_visit(rows)).run()
        else:
            self._pick_practice_for_visit(summaries)

    def _pick_practice_for_visit(self, summaries) -> None:
        if not summaries:
            self.statusBar().showMessage("Add a practice first (Practices > New practice).", 5000)
            return
        names = [s.name for s in summaries]
        name, ok = QInputDialog.getItem(self, "New visit", "Practice:", names, 0, False)
        if ok:
            self.new_visit(summaries[names.index(name)].id)

    def new_visit(self, practice_id: str) -> None:
        toolkit, today = self.ctx.toolkit, self.ctx.today()
        QueryOp(self.ctx.ops, lambda s: (load_bundle(s, toolkit, practice_id, today), s.drafts("visit"))).success(
            lambda r: self._show_visit_form(r[0], None, _visit_form_module().find_draft_for_practice(
                r[1], practice_id, {v.id for v in r[0].visits}))).run()

    def open_visit(self, visit_id: str) -> None:
        toolkit, today = self.ctx.toolkit, self.ctx.today()

        def load(s):
            visit = s.visit(visit_id)
            draft = s.load_draft(_visit_form_module().draft_key(visit_id))
            return load_bundle(s, toolkit, visit.practice_id, today), visit, draft
        QueryOp(self.ctx.ops, load).success(lambda r: self._show_visit_form(*r)).run()

    def open_draft(self, payload: dict) -> None:
        visit = payload.get("visit", {})
        vid, pid = visit.get("id"), visit.get("practice_id")
        toolkit, today = self.ctx.toolkit, self.ctx.today()

        def load(s):
            bundle = load_bundle(s, toolkit, pid, today)
            try:
                saved = s.visit(vid)
            except NotFoundError:
                saved = None
            return bundle, saved, payload
        QueryOp(self.ctx.ops, load).success(lambda r: self._show_visit_form(*r)).run()

    def _show_visit_form(self, bundle, visit, draft) -> "VisitForm":
        for form in self.visit_forms:
            if form.visit_id == (visit.id if visit else (draft or {}).get("visit", {}).get("id")):
                form.raise_()
                form.activateWindow()
                return form
        form = _visit_form_module().VisitForm(self.ctx, bundle, visit=visit, draft=draft, parent=self)
        form.setWindowModality(Qt.WindowModality.NonModal)
        form.saved.connect(self._visit_saved)
        form.pdf_requested.connect(self.save_visit_pdf)
        form.destroyed.connect(lambda _=None, f=form: self.visit_forms.remove(f) if f in self.visit_forms else None)
        self.visit_forms.append(form)
        form.show()
        return form

    def _visit_saved(self, visit_id: str, print_after: bool) -> None:
        self.last_saved_visit = visit_id
        self.statusBar().showMessage("Visit saved.", 5000)
        if print_after or self.ctx.prefs.get("visit/print_after_save"):
            self.print_visit(visit_id)

    def _visit_for_shortcut(self) -> str | None:
        """The visit selected on the Practice screen, else the visit saved last."""
        view = self.current_view()
        vid = self.practice.visits.selected_visit_id() if view is self.practice else None
        vid = vid or self.last_saved_visit
        if not vid:
            self.statusBar().showMessage("Open a practice and choose a visit first.", 5000)
        return vid

    def print_shortcut(self) -> None:
        vid = self._visit_for_shortcut()
        if vid:
            self.print_visit(vid)

    def save_pdf_shortcut(self) -> None:
        vid = self._visit_for_shortcut()
        if vid:
            self.save_visit_pdf(vid)

    def print_visit(self, visit_id: str) -> None:
        self._with_profile(LEAVE_BEHIND_NEEDS_NAME, lambda: self._track(printing.print_visit(
            self.ctx, visit_id, parent=self, done=self._printed, saved=self._saved_pdf)))

    def print_progress(self, practice_id: str) -> None:
        self._track(printing.print_progress(self.ctx, practice_id, parent=self, done=self._printed,
                                            saved=self._saved_pdf))

    def _track(self, dialog) -> None:
        self.print_dialog = dialog
        dialog.destroyed.connect(lambda *_: setattr(self, "print_dialog", None) if self.print_dialog is dialog
                                 else None)

    def save_visit_pdf(self, visit_id: str) -> None:
        self._with_profile(LEAVE_BEHIND_NEEDS_NAME, lambda: printing.save_visit_pdf(
            self.ctx, visit_id, parent=self, done=self._saved_pdf, failed=self._save_failed))

    def save_progress_pdf(self, practice_id: str) -> None:
        printing.save_progress_pdf(self.ctx, practice_id, parent=self, done=self._saved_pdf,
                                   failed=self._save_failed)

    def _printed(self, job) -> None:
        self.last_print_job = job
        number = f" (job {job.job_id})" if job.job_id else ""
        self.statusBar().showMessage(f"Sent to {job.printer}{number}.", 8000)

    def _saved_pdf(self, path) -> None:
        self.last_pdf = path
        self.statusBar().showMessage(f"Saved {path.name} in {path.parent}", 8000)

    def _save_failed(self, exc: BaseException) -> None:
        self.statusBar().clearMessage()
        self._show_error("The PDF could not be saved", describe_error(exc))

    # -- sync and status ------------------------------------------------------------------

    def attach_sync(self, bridge) -> None:
        """Wire the sync bridge (created after the window is shown, so start-up stays fast)."""
        self.ctx.sync = bridge
        bridge.status_changed.connect(self.sync_status.set_view)
        bridge.progress.connect(self.sync_status.show_progress)
        bridge.finished.connect(self._on_sync_finished)
        bridge.account_changed.connect(self._on_account_changed)
        if self._views[self.SETTINGS] is not None:
            self._views[self.SETTINGS].attach_sync(bridge)
        if self._views[self.SYNC_ISSUES] is not None:
            self._views[self.SYNC_ISSUES].refresh()

    def _on_account_changed(self, account) -> None:
        """A supervisor's Today lists every facilitator: redraw it when the role changes."""
        role = account.role if account is not None and account.signed_in else ""
        if role != self.ctx.role:
            self.ctx.role = role
            if self._views[self.TODAY] is not None:
                self._views[self.TODAY].redraw_soon()

    def _on_toolkit_changed(self, _toolkit) -> None:
        if self._views[self.TOOLKIT] is not None:
            self._views[self.TOOLKIT].redraw_soon()

    def sync_now(self) -> None:
        if self.ctx.sync is None:
            self.statusBar().showMessage("Sync is not available in this build.", 5000)
            return
        self.ctx.sync.request_sync()

    def _on_sync_finished(self, ok: bool, message: str) -> None:
        if message:
            self.statusBar().showMessage(message, 8000)

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        if self.ctx.sync is None:
            self._refresh_pending()

    def _refresh_pending(self) -> None:
        if self.ctx.sync is not None:
            self.ctx.sync.refresh_status()
        else:
            QueryOp(self.ctx.ops, lambda s: s.pending_changes()).success(self.sync_status.set_pending).run()

    def _show_error(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    # -- first start ----------------------------------------------------------------------

    def maybe_first_start(self) -> None:
        """An empty database that never chose how to start gets the welcome dialog."""
        def check(s):
            return s.get_meta("first_start") is None and not s.practices()
        QueryOp(self.ctx.ops, check).success(lambda empty: empty and self._first_start()).run()

    def _first_start(self) -> FirstStartDialog:
        dialog = FirstStartDialog(self)
        dialog.chosen.connect(self.on_first_start_choice)
        dialog.show()
        self.first_start_dialog = dialog
        return dialog

    def on_first_start_choice(self, choice: str, profile: FacilitatorProfile | None = None) -> None:
        if profile is not None:
            StoreOp(self.ctx.ops, lambda s: s.set_facilitator_profile(profile)).failure(
                lambda e: self.ask_about_you(f"Your details were not saved ({describe_error(e)}).")).run()
        if choice == DEMO:
            self.load_demo()
        elif choice == SIGN_IN:
            self.show_view(self.SETTINGS)
            self.settings.server.setFocus()
        StoreOp(self.ctx.ops, lambda s: s.set_meta("first_start", choice)).run()

    def ask_about_you(self, reason: str = "", *, then: Callable[[], None] | None = None) -> AboutYouDialog:
        """The About-you dialog (one at a time); `then` runs once the profile is saved. Not modal:
        a sync, or looking something up, goes on while it is open."""
        dialog = self.about_you_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            dialog = AboutYouDialog(self.ctx, self, reason=reason)
        if then is not None:
            dialog.saved.connect(lambda _p: then())
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        self.about_you_dialog = dialog
        return dialog

    def _with_profile(self, reason: str, then: Callable[[], None]) -> None:
        """Run `then` now if the facilitator's name is known, else after asking for it."""
        QueryOp(self.ctx.ops, lambda s: s.facilitator_profile().name.strip()).success(
            lambda name: then() if name else self.ask_about_you(reason, then=then)).run()

    def load_demo(self) -> None:
        from ..core.demo import load_demo
        toolkit, today = self.ctx.toolkit, self.ctx.today()

        def work(s):
            load_demo(s, today=today, toolkit=toolkit, practices=DEMO_PRACTICES, months=DEMO_MONTHS, seed=DEMO_SEED)
            return Changes(ALL_ENTITIES)

        def failed(exc: BaseException) -> None:
            self.statusBar().clearMessage()
            self._show_error("The demo data was not loaded", describe_error(exc))
        self.statusBar().showMessage("Loading demo data…")
        StoreOp(self.ctx.ops, work).with_busy_cursor().success(
            lambda _c: self.statusBar().showMessage("Demo data loaded: these practices are made up and never sync.",
                                                    8000)).failure(failed).run()

    # -- window state ---------------------------------------------------------------------

    def _restore_state(self) -> None:
        prefs = self.ctx.prefs
        geometry = prefs.raw(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            clamp_to_screen(self)  # saved on a bigger monitor, or a screen that is gone
        last = prefs.raw(LAST_VIEW_KEY, self.TODAY)
        try:
            last = int(last)
        except (TypeError, ValueError):
            last = self.TODAY
        practice = prefs.raw(LAST_PRACTICE_KEY)
        if last == self.PRACTICE and practice:
            self.practice.practice_id = str(practice)
            self.practice._stale = True
        elif last == self.PRACTICE:
            last = self.PRACTICES
        self.show_view(last if 0 <= last < len(self._factories) else self.TODAY)  # builds only that screen

    def save_state(self) -> None:
        prefs = self.ctx.prefs
        prefs.set_raw(GEOMETRY_KEY, self.saveGeometry())
        prefs.set_raw(LAST_VIEW_KEY, self.stack.currentIndex())
        practice = self._views[self.PRACTICE]
        prefs.set_raw(LAST_PRACTICE_KEY, (practice.practice_id if practice else "") or "")
        prefs.qsettings.sync()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._clamped_after_show:
            # The window manager frames the window only once it is shown: clamp again with the
            # real title bar and borders.
            self._clamped_after_show = True
            QTimer.singleShot(0, lambda: clamp_to_screen(self))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        for form in list(self.visit_forms):
            form.close()  # each keeps its draft
        self.save_state()
        if self.ctx.sync is not None:
            self.ctx.sync.stop()
        super().closeEvent(event)
