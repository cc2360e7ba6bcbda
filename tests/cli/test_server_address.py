"""A server address is checked before anything is saved, sent or printed: no user name or
password inside it, only http(s), no spaces or control characters; and an address an older
version saved with a password in it is cleaned."""

from __future__ import annotations

import io
import json

import pytest

from facilitator_app.cli import main
from facilitator_app.sync.credentials import SERVICE


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("address, message", [
    ("https://ana:secret@ffk.example.org", "must not contain a user name or password"),
    ("https://ana:secret@ffk.example.org/", "must not contain a user name or password"),
    ("https://ana@ffk.example.org", "must not contain a user name or password"),
    ("ana:secret@ffk.example.org", "must not contain a user name or password"),
    ("https://ffk.example.org@evil.example.net", "must not contain a user name or password"),
    ("ftp://ffk.example.org", "must start with https://"),
    ("file:///etc/passwd", "must start with https://"),
    ("javascript:alert(1)", "must start with https://"),
    ("https://ffk.example.org/ sync", "contains a space"),
    ("https://ffk.exa\u0007mple.org", "contains an invisible character (U+0007)"),
    ("https://ffk.example.org\r\nX-Injected: 1", "contains an invisible character (U+000D)"),
    ("https://ffk\u200b.example.org", "contains an invisible character (U+200B)"),
    ("https://ffk.example.org:99999", "is not a valid address"),
])
def test_bad_addresses_are_refused_before_anything_is_saved_or_sent(capsys, monkeypatch, tmp_path, memory_keyring,
                                                                   address, message):
    data = tmp_path / "data"
    code, out, err = run(capsys, monkeypatch, "login", "--server", address, "--user", "ana", "--password-stdin",
                         "--data-dir", data, stdin="typed-password\n")
    assert code == 1
    assert message in err
    assert "secret" not in out + err and "typed-password" not in out + err
    assert not data.exists() or sorted(p.name for p in data.iterdir()) == []
    assert memory_keyring.secrets == {}


def test_the_refusal_says_where_the_user_name_and_password_go(capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, monkeypatch, "login", "--server", "https://ana:secret@ffk.example.org",
                       "--user", "ana", "--data-dir", tmp_path)  # no --password-stdin: nothing is asked first
    assert code == 1
    assert "put the user name in --user (the User box in the app) and type the password when asked" in err
    assert "No terminal" not in err


def test_an_address_saved_with_a_password_by_an_older_version_is_cleaned(capsys, monkeypatch, tmp_path,
                                                                       memory_keyring):
    data = tmp_path / "data"
    data.mkdir()
    old = "https://ana:secret@ffk.example.org"
    (data / "accounts.json").write_text(json.dumps({"active": f"{old}|ana", "accounts": {f"{old}|ana": {
        "server_url": old, "user": "ana", "file": "accounts/ana.sqlite", "role": "facilitator",
        "cooperative": None}}}), encoding="utf-8")
    memory_keyring.set_password(SERVICE, f"{old}|ana", "the-token")
    code, out, err = run(capsys, monkeypatch, "status", "--data-dir", data)
    assert code == 0, err
    assert "secret" not in out + err
    assert "Server: https://ffk.example.org as ana (signed in)" in out
    saved = (data / "accounts.json").read_text(encoding="utf-8")
    assert "secret" not in saved and json.loads(saved)["accounts"]["https://ffk.example.org|ana"]["file"] == \
        "accounts/ana.sqlite"
    assert memory_keyring.secrets == {(SERVICE, "https://ffk.example.org|ana"): "the-token"}
