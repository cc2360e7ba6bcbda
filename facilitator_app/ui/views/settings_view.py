"""Settings: server and account (sign in and out, where the token is kept), data folder,
preferences (declared in ui/settings.py), back up and restore, and about (versions)."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ... import __version__
from ...core.errors import ValidationError
from ...core.model import FacilitatorProfile
from ...store.db import SQLITE_VERSION, schema_version
from ..context import AppContext
from ..ops import QueryOp, StoreOp, describe_error
from ..settings import SETTINGS
from ..widgets.keyboard import wheel_follows_focus
from .base_view import BaseView

NAME_NEEDED = ("Your server account does not give your name. Type it above and save: it is printed on every "
               "leave-behind, so the practice knows who came.")


class SettingsView(BaseView):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        # account
        self.account_label = QLabel()
        self.account_label.setWordWrap(True)
        self.token_label = QLabel()
        self.token_label.setWordWrap(True)
        self.server = QLineEdit(placeholderText="https://ffk.example-cooperative.org")
        self.server.setAccessibleName("Server address")
        self.user = QLineEdit()
        self.user.setAccessibleName("User name")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.sign_in_button = QPushButton("Sign &in")
        self.sign_in_button.clicked.connect(self._sign_in)
        self.password.returnPressed.connect(self._sign_in)
        self.sign_out_button = QPushButton("Sign &out")
        self.sign_out_button.clicked.connect(self._sign_out)
        self.account_message = QLabel()
        self.account_message.setWordWrap(True)
        acc = QGroupBox("Server and account")
        af = QFormLayout(acc)
        af.addRow(self.account_label)
        af.addRow("Se&rver", self.server)
        af.addRow("&User", self.user)
        af.addRow("Pass&word", self.password)
        row = QHBoxLayout()
        row.addWidget(self.sign_in_button)
        row.addWidget(self.sign_out_button)
        row.addStretch(1)
        af.addRow(row)
        af.addRow(self.token_label)
        af.addRow(self.account_message)

        # the facilitator's own details, printed on every leave-behind
        self.profile_name = QLineEdit(placeholderText="Your name as practices know you")
        self.profile_email = QLineEdit(placeholderText="name@example.org")
        self.profile_phone = QLineEdit(placeholderText="(312) 555-0147")
        for w, name in ((self.profile_name, "Your name"), (self.profile_email, "Your email"),
                        (self.profile_phone, "Your phone")):
            w.setAccessibleName(name)
        self.profile_save = QPushButton("&Save my details")
        self.profile_save.clicked.connect(self._save_profile)
        self.profile_message = QLabel()
        self.profile_message.setWordWrap(True)
        me = QGroupBox("You (printed on leave-behinds)")
        mf = QFormLayout(me)
        mf.addRow("&Name", self.profile_name)
        mf.addRow("&Email", self.profile_email)
        mf.addRow("P&hone", self.profile_phone)
        save_row = QHBoxLayout()
        save_row.addWidget(self.profile_save)
        save_row.addStretch(1)
        mf.addRow(save_row)
        mf.addRow(self.profile_message)

        # data folder + backup
        self.folder = QLabel(str(ctx.data_dir))
        self.folder.setWordWrap(True)
        self.database = QLabel()
        self.database.setWordWrap(True)
        open_folder = QPushButton("Open &folder")
        open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(ctx.data_dir))))
        self.backup_button = QPushButton("&Back up now")
        self.backup_button.clicked.connect(self._backup)
        self.restore_button = QPushButton("Res&tore from a backup…")
        self.restore_button.clicked.connect(self._restore)
        self.backup_message = QLabel()
        self.backup_message.setWordWrap(True)
        data = QGroupBox("Data")
        df = QFormLayout(data)
        df.addRow("Data folder", self.folder)
        df.addRow("Database", self.database)
        brow = QHBoxLayout()
        for b in (open_folder, self.backup_button, self.restore_button):
            brow.addWidget(b)
        brow.addStretch(1)
        df.addRow(brow)
        df.addRow(self.backup_message)

        # preferences, drawn from the declarations
        prefs = QGroupBox("Preferences")
        pf = QFormLayout(prefs)
        self.pref_widgets: dict[str, QWidget] = {}
        for s in SETTINGS:
            if s.kind is bool:
                w = QCheckBox(s.label)
                w.setChecked(ctx.prefs.get(s.key))
                w.toggled.connect(lambda v, key=s.key: self._set_pref(key, v))
                w.setToolTip(s.help)
                pf.addRow(w)
            else:
                w = QSpinBox(minimum=1, maximum=720)
                wheel_follows_focus(w)  # scrolling the page past it leaves the value alone
                w.setValue(ctx.prefs.get(s.key))
                w.valueChanged.connect(lambda v, key=s.key: self._set_pref(key, v))
                w.setToolTip(s.help)
                pf.addRow(s.label, w)
            w.setAccessibleName(s.label)
            self.pref_widgets[s.key] = w

        # about
        about = QGroupBox("About")
        ab = QFormLayout(about)
        self.toolkit_label = QLabel(_toolkit_text(ctx.toolkit))  # another after a switch or a download
        ctx.account.toolkit_changed.connect(self._show_toolkit)
        for label, value in (("Facilitator Field Kit", QLabel(__version__)), ("Toolkit", self.toolkit_label),
                             ("Data format", QLabel(str(schema_version()))),
                             ("Python", QLabel(platform.python_version())),
                             ("Qt / PySide6", QLabel(f"{qVersion()} / {PySide6.__version__}")),
                             ("SQLite", QLabel(SQLITE_VERSION)),
                             ("System", QLabel(f"{platform.system()} {platform.release()}"))):
            ab.addRow(label, value)

        body = QWidget()
        bl = QVBoxLayout(body)
        for g in (me, acc, data, prefs, about):
            bl.addWidget(g)
        bl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        if ctx.sync is not None:
            self.attach_sync(ctx.sync)

    def attach_sync(self, bridge) -> None:
        bridge.account_changed.connect(self._show_account)
        for w in (self.sign_in_button, self.server, self.user, self.password):
            w.setEnabled(True)
        self._show_account(bridge.account)

    def is_relevant(self, changes) -> bool:
        return False

    def _on_switched(self) -> None:
        self.database.setText(str(self.ctx.store.path))
        super()._on_switched()

    def _show_toolkit(self, toolkit) -> None:
        self.toolkit_label.setText(_toolkit_text(toolkit))

    def reload(self) -> None:
        self.database.setText(str(self.ctx.store.path))
        QueryOp(self.ctx.ops, lambda s: s.facilitator_profile()).success(self._show_profile).run()
        if self.ctx.sync is not None:
            self._show_account(self.ctx.sync.account)
        else:
            self.account_label.setText("Loading the account…")
            for w in (self.sign_in_button, self.sign_out_button, self.server, self.user, self.password):
                w.setEnabled(False)

    def _show_account(self, account) -> None:
        self.database.setText(str(self.ctx.store.path))
        if account is None:
            self.account_label.setText("Not signed in. Your records are kept on this computer only; sign in to your "
                                       "cooperative's server to sync them (everything recorded so far is sent).")
            self.token_label.setText("")
        else:
            self.server.setText(account.server_url)
            self.user.setText(account.user)
            role = f" ({account.role})" if account.role else ""
            coop = f", cooperative {account.cooperative}" if account.cooperative else ""
            state = "Signed in" if account.signed_in else "Signed out"
            self.account_label.setText(f"{state} as {account.user}{role} at {account.server_url}{coop}.")
            self.token_label.setText(f"Your sign-in token is kept {account.token_place}." if account.token_place
                                     else "No token is stored. Sign in to sync.")
        self.sign_out_button.setEnabled(bool(account and account.signed_in))

    def _show_profile(self, profile) -> None:
        self.profile_name.setText(profile.name)
        self.profile_email.setText(profile.email)
        self.profile_phone.setText(profile.phone)

    def _save_profile(self) -> None:
        profile = FacilitatorProfile(self.profile_name.text(), self.profile_email.text(), self.profile_phone.text())
        StoreOp(self.ctx.ops, lambda s: s.set_facilitator_profile(profile)).success(
            lambda _r: self.profile_message.setText("Saved. Your details will be printed on leave-behinds.")).failure(
            lambda e: self.profile_message.setText(describe_error(e))).run()

    def _set_pref(self, key: str, value) -> None:
        self.ctx.prefs.set(key, value)
        if key == "sync/auto" and self.ctx.sync is not None:
            self.ctx.sync.set_auto_sync(bool(value))

    def _sign_in(self) -> None:
        if self.ctx.sync is None:
            return
        server, user, password = self.server.text().strip(), self.user.text().strip(), self.password.text()
        if not server or not user or not password:
            self.account_message.setText("Type the server address, your user name and your password.")
            return
        self.sign_in_button.setEnabled(False)
        self.account_message.setText("Signing in…")

        def done(result) -> None:
            self.password.clear()
            self.sign_in_button.setEnabled(True)
            self.account_message.setText(" ".join(["Signed in."] + list(result.messages)))
            self.fill_profile_from(getattr(result, "user", None))

        def failed(exc: BaseException) -> None:
            self.sign_in_button.setEnabled(True)
            self.account_message.setText(f"Could not sign in: {describe_error(exc)}")

        self.ctx.sync.sign_in(server, user, password, done=done, failed=failed)

    def fill_profile_from(self, user: object) -> None:
        """Fill the empty fields of "You" from the server account's name and email (never replacing
        what the facilitator typed); if the name is still empty, ask for it here (the user is on
        this screen, having just signed in; a dialog would stop the first sync's shortcut)."""
        server = FacilitatorProfile(name=(getattr(user, "full_name", "") or "").strip(),
                                    email=(getattr(user, "email", "") or "").strip())

        def work(s) -> FacilitatorProfile:
            stored = s.facilitator_profile()
            filled = FacilitatorProfile(stored.name or server.name, stored.email or server.email, stored.phone)
            if filled != stored and filled.name:
                try:
                    s.set_facilitator_profile(filled)
                except ValidationError:  # e.g. an email the server allows and we do not: keep the name
                    filled = FacilitatorProfile(filled.name, stored.email, stored.phone)
                    s.set_facilitator_profile(filled)
            return s.facilitator_profile()

        def shown(profile: FacilitatorProfile) -> None:
            self._show_profile(profile)
            if profile.name:
                filled = [f for f, v in (("name", server.name), ("email", server.email)) if v]
                if filled and not self.profile_message.text():
                    self.profile_message.setText(f"Your {' and '.join(filled)} came from your server account.")
                return
            self.profile_email.setText(profile.email or server.email)
            self.profile_message.setText(NAME_NEEDED)
            self.profile_name.setFocus()
        StoreOp(self.ctx.ops, work).success(shown).run()

    def _sign_out(self) -> None:
        if self.ctx.sync is not None:
            self.ctx.sync.sign_out(lambda _i: self.account_message.setText(
                "Signed out. Your records and unsent changes stay on this computer."))

    def _backup(self) -> None:
        StoreOp(self.ctx.ops, lambda s: s.backup()).success(
            lambda path: self.backup_message.setText(f"Backed up to {path}")).failure(
            lambda e: self.backup_message.setText(f"Backup failed: {describe_error(e)}")).run()

    def _restore(self) -> None:
        if self.ctx.sync is None:
            return
        start = str(Path(self.ctx.store.path).parent / "backups")
        path, _ = QFileDialog.getOpenFileName(self, "Restore from a backup", start, "Field Kit backups (*.sqlite)")
        if not path:
            return
        answer = QMessageBox.question(
            self, "Restore the database?",
            f"Replace the current records with the backup\n{path}?\n\nA copy of the current database is kept first.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.restore_database(Path(path))

    def restore_database(self, path: Path) -> None:
        """Swap the file with nothing else using the store (ActiveAccount.switch): edits queued
        before go into the current file (and so into the safety copy), later ones into the backup."""
        def done(value) -> None:
            _store, safety = value
            self.backup_message.setText(f"Restored from {path.name}. The previous database was saved as {safety}.")
            if self.ctx.sync is not None:
                self.ctx.sync.refresh_status()

        def failed(exc: BaseException) -> None:
            self.backup_message.setText(f"Restore failed: {describe_error(exc)}")

        self.ctx.account.switch(lambda service: service.restore_backup(path), done=done, failed=failed)


def _toolkit_text(toolkit) -> str:
    return f"{toolkit.title} {toolkit.version}"
