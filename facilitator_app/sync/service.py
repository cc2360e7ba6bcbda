"""The sync facade the GUI and the CLI share: sign in and out, sync, status, conflicts.

Why one class: the login command and the GUI's sign-in dialog must behave identically (same
keyring rules, same account switch, same messages), and so must "Sync now" and `facilitator-app
sync`. It holds the open Store of the active account so the GUI can use the very same one.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..core.errors import FieldKitError, ValidationError
from ..core.model import FacilitatorProfile
from ..store import Store
from ..store.accounts import Account, AccountError, Accounts
from ..store.sync_state import ConflictRecord, Quarantined, RejectedRow, SyncState
from .client import AuthError, SyncClient, normalize_server_url
from .credentials import TokenPlace, TokenStore
from .engine import Progress, SyncEngine, SyncReport
from .protocol import UserInfo

ClientFactory = Callable[..., SyncClient]


class NotSignedInError(FieldKitError):
    """Sync needs a sign-in first."""


@dataclass(frozen=True)
class AccountInfo:
    server_url: str
    user: str
    role: str
    cooperative: str | None
    database: Path
    token_place: str | None  # e.g. "in the system keyring (SecretService)"; None when signed out
    signed_in: bool


@dataclass(frozen=True)
class SignInResult:
    account: AccountInfo
    messages: list[str] = field(default_factory=list)
    full_name: str = ""  # as the data team entered them on the server ("" when not set)
    email: str = ""
    user: UserInfo | None = None  # the server's word on who signed in (the GUI fills an empty profile from it)


@dataclass(frozen=True)
class SignedIn:
    """The server said yes and the token is kept; the account is not active yet."""

    server_url: str
    user: UserInfo
    place: TokenPlace


@dataclass(frozen=True)
class SyncStatus:
    signed_in: bool
    server_url: str | None
    user: str | None
    pending: int
    last_sync: str | None
    conflicts: int
    quarantined: int
    cursor: int
    set_aside: int = 0  # records from the server this computer could not use (not dismissed)


class SyncService:
    def __init__(self, data_dir: Path | str, *, tokens: TokenStore | None = None,
                 client_factory: ClientFactory = SyncClient, ca_bundle: str | None = None,
                 engine_factory: Callable[[Store, SyncClient], SyncEngine] = SyncEngine,
                 store: Store | None = None):
        """`store`: an already open Store of the active account, so the GUI and sync share one
        connection (and one lock) instead of opening the file twice."""
        self.data_dir = Path(data_dir)
        self.accounts = Accounts(self.data_dir)
        self.tokens = tokens or TokenStore()
        self._client_factory = client_factory
        self._engine_factory = engine_factory
        self.ca_bundle = ca_bundle
        self._store: Store | None = store
        self._forget_legacy_credentials()

    def _forget_legacy_credentials(self) -> None:
        """An older version saved https://user:password@host as given: the accounts file now
        keeps the bare address, and the token moves to the bare address's keyring entry."""
        try:
            scrubbed = self.accounts.scrubbed_credentials()
        except AccountError:
            return  # an unreadable accounts file is reported when it is used
        for old_url, clean_url, user in scrubbed:
            token = self.tokens.load(old_url, user)
            self.tokens.delete(old_url, user)
            if token and not self.tokens.load(clean_url, user):
                self.tokens.save(clean_url, user, token)

    # -- the active store -----------------------------------------------------------------

    def store(self) -> Store:
        """The active account's Store: always the same object, reopened in place on a switch."""
        if self._store is None:
            self._store = Store.open(self.accounts.active_database())
        return self._store

    def _reopen(self) -> Store:
        """Open the active account's database in the Store everyone already holds."""
        if self._store is None:
            return self.store()
        self._store.reopen(self.accounts.active_database())
        return self._store

    def restore_backup(self, backup: Path) -> tuple[Store, Path]:
        """Replace the active database with a backup; returns the (same, reopened) store and the
        safety copy of the replaced file. Unsent changes in the replaced file stay in that copy.

        The store is closed while the file is swapped: the GUI calls this only with nothing else
        running (ui/account.py)."""
        from ..store.backups import check_backup, replace_with_backup

        check_backup(Path(backup))  # before closing anything
        store = self.store()
        safety = store.backup()
        store.close()
        try:
            replace_with_backup(store.path, Path(backup))
        finally:
            store.reopen()
        return store, safety

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _client(self, server_url: str, token: str | None = None) -> SyncClient:
        return self._client_factory(server_url, token=token, ca_bundle=self.ca_bundle)

    # -- sign in / out --------------------------------------------------------------------

    def sign_in(self, server_url: str, username: str, password: str) -> SignInResult:
        """Check the password with the server, keep the token, and switch to the account's database."""
        return self.switch_to(self.authenticate(server_url, username, password))

    def authenticate(self, server_url: str, username: str, password: str) -> SignedIn:
        """The network half of signing in: ask the server, keep the token. Touches no database,
        so the GUI runs it while the app goes on working."""
        server_url = normalize_server_url(server_url)
        client = self._client(server_url)
        try:
            answer = client.sign_in(username, password)
        finally:
            client.close()
        place = self.tokens.save(server_url, answer.user.name, answer.access_token)
        return SignedIn(server_url, answer.user, place)

    def switch_to(self, signed: SignedIn) -> SignInResult:
        """The local half: make the account active and reopen the store on its database.

        The store is closed meanwhile (local.sqlite may be moved into the account): the GUI
        calls this only with nothing else running (ui/account.py)."""
        user = signed.user
        if self._store is not None:
            self._store.close()
        try:
            activation = self.accounts.activate(signed.server_url, user.name, role=user.role,
                                                cooperative=user.cooperative)
        finally:
            store = self._reopen()
        SyncState(store).set_account(server_url=signed.server_url, user=user.name)
        prefilled = self._prefill_profile(user.full_name, user.email)
        messages = [m for m in (activation.message, signed.place.warning, prefilled) if m]
        return SignInResult(self._info(activation.account, signed.place), messages, user.full_name, user.email, user)

    def _prefill_profile(self, full_name: str, email: str) -> str | None:
        """Fill an untouched facilitator profile from the account; never overwrite what was typed.

        Untouched: no email or phone, and no name or only the computer's login name, which a
        new database starts with as a placeholder."""
        store = self.store()
        profile = store.facilitator_profile()
        if not full_name or profile.email or profile.phone or profile.name not in ("", _login_name()):
            return None
        for candidate in (FacilitatorProfile(full_name, email, profile.phone),
                          FacilitatorProfile(full_name, "", profile.phone)):
            try:
                store.set_facilitator_profile(candidate)
            except ValidationError:
                continue
            what = "name and email on leave-behinds were" if candidate.email else "name on leave-behinds was"
            return f"Your {what} filled in from your server account; change them in Settings if needed."
        return None

    def sign_out(self) -> AccountInfo | None:
        """Forget the token. The account's database and unsent changes stay on this computer."""
        account = self.accounts.active()
        if account is None:
            return None
        self.tokens.delete(account.server_url, account.user)
        return self._info(account, None)

    def account(self) -> AccountInfo | None:
        account = self.accounts.active()
        if account is None:
            return None
        return self._info(account, self.tokens.place(account.server_url, account.user))

    def _info(self, account: Account, place: TokenPlace | None) -> AccountInfo:
        return AccountInfo(account.server_url, account.user, account.role, account.cooperative,
                           self.data_dir / account.file, place.description if place else None, place is not None)

    # -- sync -----------------------------------------------------------------------------

    def sync_once(self, progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> SyncReport:
        account = self.accounts.active()
        if account is None:
            raise NotSignedInError("Sign in to your cooperative's server first (facilitator-app login --server URL "
                                   "--user NAME, or Settings > Account in the app).")
        token = self.tokens.load(account.server_url, account.user)
        if not token:
            raise NotSignedInError(f"You are signed out of {account.server_url}. Sign in again to sync; your "
                                   "unsent changes are kept on this computer.")
        client = self._client(account.server_url, token)
        try:
            return self._engine_factory(self.store(), client).sync(progress=progress, cancel=cancel)
        except AuthError:
            # A revoked or expired token will not start working again: forget it, keep the outbox.
            self.tokens.delete(account.server_url, account.user)
            raise
        finally:
            client.close()

    def is_reachable(self) -> bool:
        account = self.accounts.active()
        if account is None:
            return False
        client = self._client(account.server_url)
        try:
            return client.is_reachable()
        finally:
            client.close()

    def status(self) -> SyncStatus:
        account = self.accounts.active()
        state = SyncState(self.store())
        meta = state.meta()
        signed_in = bool(account and self.tokens.load(account.server_url, account.user))
        return SyncStatus(signed_in, account.server_url if account else None, account.user if account else None,
                          state.pending_count(), meta.last_sync, len(state.conflicts()), len(state.quarantined()),
                          meta.cursor, len(state.rejected_rows()))

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictRecord]:
        return SyncState(self.store()).conflicts(include_resolved=include_resolved)

    def resolve_conflict(self, conflict_id: int, choice: str) -> bool:
        """`choice` is "mine" (send my values again) or "theirs" (keep what the server has)."""
        if choice not in ("mine", "theirs"):
            raise FieldKitError(f"Choose 'mine' or 'theirs' to resolve a conflict, not {choice!r}")
        try:
            return SyncState(self.store()).resolve_conflict(conflict_id, keep_mine=choice == "mine")
        except KeyError:
            raise FieldKitError(f"There is no conflict number {conflict_id}. "
                                "Use 'facilitator-app conflicts list' to see them.") from None

    def quarantined(self) -> list[Quarantined]:
        return SyncState(self.store()).quarantined()

    def dismiss_quarantined(self, mutation_id: int) -> None:
        SyncState(self.store()).dismiss_quarantined(mutation_id)

    def rejected_rows(self, *, include_dismissed: bool = False) -> list[RejectedRow]:
        """Records from the server this computer could not use, with the reason."""
        return SyncState(self.store()).rejected_rows(include_dismissed=include_dismissed)

    def dismiss_rejected_row(self, entry_id: int) -> None:
        if not SyncState(self.store()).dismiss_rejected_row(entry_id):
            raise FieldKitError(f"There is no record set aside with number {entry_id}. "
                                "Use 'facilitator-app sync-issues' to see them.")


def as_jsonable(value: Any) -> Any:
    """Dataclasses from this module as plain JSON values (paths as text)."""
    from dataclasses import asdict, is_dataclass
    if is_dataclass(value) and not isinstance(value, type):
        return {k: as_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: as_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a sandbox or service account
        return ""
