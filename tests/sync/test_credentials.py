"""Tokens go to a real keyring backend or stay in memory; never to a file."""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from facilitator_app.sync.credentials import SERVICE, TokenStore, usable_backend

SERVER = "http://127.0.0.1:9"


class LockedKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("the collection is locked")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


def test_token_goes_to_the_keyring(memory_keyring):
    tokens = TokenStore()
    place = tokens.save(SERVER, "ana", "secret-token")
    assert place.in_keyring and place.warning is None
    assert memory_keyring.secrets[(SERVICE, f"{SERVER}|ana")] == "secret-token"
    assert tokens.load(SERVER, "ana") == "secret-token"
    assert TokenStore().load(SERVER, "ana") == "secret-token"  # a later run finds it
    assert "keyring" in tokens.place(SERVER, "ana").description
    tokens.delete(SERVER, "ana")
    assert tokens.load(SERVER, "ana") is None and memory_keyring.secrets == {}
    tokens.delete(SERVER, "ana")  # signing out twice is fine


def test_locked_keyring_keeps_token_in_memory_for_this_run_only(tmp_path):
    keyring.set_keyring(LockedKeyring())
    tokens = TokenStore()
    place = tokens.save(SERVER, "ana", "secret-token")
    assert not place.in_keyring
    assert "locked" in place.warning
    assert tokens.load(SERVER, "ana") == "secret-token"
    assert TokenStore().load(SERVER, "ana") is None  # not kept anywhere else
    assert "secret-token" not in repr(tokens)


def test_plaintext_file_backend_is_refused(tmp_path, monkeypatch):
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    assert usable_backend() is None
    tokens = TokenStore()
    place = tokens.save(SERVER, "ana", "secret-token")
    assert not place.in_keyring and "No secure keyring" in place.warning
    assert tokens.load(SERVER, "ana") == "secret-token"
    assert not (tmp_path / "keyring_pass.cfg").exists()
    assert list(tmp_path.iterdir()) == []


def test_no_backend_at_all():
    from keyring.backends.fail import Keyring as FailKeyring
    keyring.set_keyring(FailKeyring())
    tokens = TokenStore()
    assert not tokens.save(SERVER, "ana", "t").in_keyring
    assert tokens.place(SERVER, "ana").description.startswith("in memory")
