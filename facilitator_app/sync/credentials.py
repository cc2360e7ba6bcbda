"""Where the sign-in token lives: the operating system's keyring, or nowhere on disk.

Why: a token opens a facilitator's records of practices. It goes to the OS keyring (Keychain,
Windows Credential Manager, Secret Service) through `keyring`. When there is no usable keyring,
or it is locked, we say so and keep the token in memory for this run only. We never fall back
to a file: keyrings.alt's plaintext and "encrypted" file backends are refused on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import keyring
import keyring.backend
import keyring.errors

SERVICE = "FacilitatorFieldKit"

# Backends that would write the token to a file or do nothing at all.
_REFUSED_MODULE_PREFIXES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")


@dataclass(frozen=True)
class TokenPlace:
    """Where a token was kept, in words for Settings and `status`."""

    in_keyring: bool
    description: str
    warning: str | None = None


def _is_refused(backend: keyring.backend.KeyringBackend) -> bool:
    return type(backend).__module__.startswith(_REFUSED_MODULE_PREFIXES)


def usable_backend(backend: keyring.backend.KeyringBackend | None = None) -> keyring.backend.KeyringBackend | None:
    """The keyring backend to use, or None. A chainer is unwrapped so a locked secure backend can
    never silently hand the token to a file backend further down the chain."""
    backend = backend or keyring.get_keyring()
    children: list[keyring.backend.KeyringBackend] | None = getattr(backend, "backends", None)
    if children is not None:
        for child in children:
            if not _is_refused(child):
                return child
        return None
    return None if _is_refused(backend) else backend


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    return getattr(backend, "name", None) or type(backend).__name__


class TokenStore:
    """Tokens by (server, user). Holds the memory fallback for this run only."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None):
        self._backend_override = backend
        self._memory: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"TokenStore(in_memory={len(self._memory)})"

    @staticmethod
    def _key(server_url: str, user: str) -> str:
        return f"{server_url}|{user}"

    def _backend(self) -> keyring.backend.KeyringBackend | None:
        return usable_backend(self._backend_override)

    def save(self, server_url: str, user: str, token: str) -> TokenPlace:
        key = self._key(server_url, user)
        backend = self._backend()
        if backend is None:
            self._memory[key] = token
            return TokenPlace(False, "in memory for this session only",
                              "No secure keyring is available on this computer, so your sign-in is kept only "
                              "until the app closes; you will need to sign in again next time. (Your password "
                              "and sign-in are never saved to a file.)")
        try:
            backend.set_password(SERVICE, key, token)
        except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
            self._memory[key] = token
            locked = isinstance(exc, keyring.errors.KeyringLocked) or "lock" in str(exc).lower()
            why = "is locked" if locked else f"refused to store it ({type(exc).__name__})"
            return TokenPlace(False, "in memory for this session only",
                              f"The system keyring ({backend_name(backend)}) {why}, so your sign-in is kept only "
                              "until the app closes. Unlock the keyring and sign in again to stay signed in.")
        self._memory.pop(key, None)
        return TokenPlace(True, f"in the system keyring ({backend_name(backend)})")

    def load(self, server_url: str, user: str) -> str | None:
        key = self._key(server_url, user)
        if key in self._memory:
            return self._memory[key]
        backend = self._backend()
        if backend is None:
            return None
        try:
            return backend.get_password(SERVICE, key)
        except (keyring.errors.KeyringError, RuntimeError, OSError):
            return None

    def place(self, server_url: str, user: str) -> TokenPlace | None:
        """Where the token for this account is now, or None when there is none."""
        key = self._key(server_url, user)
        if key in self._memory:
            return TokenPlace(False, "in memory for this session only")
        backend = self._backend()
        if backend is None:
            return None
        try:
            found = backend.get_password(SERVICE, key)
        except (keyring.errors.KeyringError, RuntimeError, OSError):
            return None
        return TokenPlace(True, f"in the system keyring ({backend_name(backend)})") if found else None

    def delete(self, server_url: str, user: str) -> None:
        key = self._key(server_url, user)
        self._memory.pop(key, None)
        backend = self._backend()
        if backend is None:
            return
        try:
            backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: already signed out
        except (keyring.errors.KeyringError, RuntimeError, OSError):
            pass  # a locked keyring: the entry stays, but the account is marked signed out locally
