"""`login`, `status`, `sync`, `conflicts` and `logout` end to end (in-process CLI, real server)."""

from __future__ import annotations

import io
import json

from facilitator_app import cli

from .conftest import PASSWORD, unique


def run(capsys, monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_sync_commands(server, tmp_path, capsys, monkeypatch):
    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    d = ["--data-dir", str(tmp_path)]
    code, out, _ = run(capsys, monkeypatch, "practice", "add", "Oak Clinic", "--state", "IL", *d)
    assert code == 0
    code, out, err = run(capsys, monkeypatch, "login", "--server", server.url, "--user", user, "--password-stdin", *d,
                         stdin=PASSWORD + "\n")
    assert code == 0, err
    assert "Signed in" in out and "keyring" in out and PASSWORD not in out
    code, out, _ = run(capsys, monkeypatch, "status", "--json", *d)
    status = json.loads(out)
    assert status["pending"] == 1 and status["signed_in"] and status["last_sync"] is None
    code, out, _ = run(capsys, monkeypatch, "sync", "--json", *d)
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["pushed"] == 1
    code, out, _ = run(capsys, monkeypatch, "status", *d)
    assert "Unsent changes: 0" in out and "Last synced: never" not in out
    code, out, _ = run(capsys, monkeypatch, "conflicts", "list", *d)
    assert "No conflicts" in out
    code, out, err = run(capsys, monkeypatch, "conflicts", "resolve", "99", "mine", *d)
    assert code == 1 and "no conflict number 99" in err
    code, out, _ = run(capsys, monkeypatch, "logout", *d)
    assert "Signed out" in out
    code, out, err = run(capsys, monkeypatch, "sync", *d)
    assert code == 1 and "signed out" in err


def test_wrong_password_and_insecure_server(server, tmp_path, capsys, monkeypatch):
    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    d = ["--data-dir", str(tmp_path)]
    code, _, err = run(capsys, monkeypatch, "login", "--server", server.url, "--user", user, "--password-stdin", *d,
                       stdin="wrong\n")
    assert code == 1 and "password is not right" in err
    code, _, err = run(capsys, monkeypatch, "login", "--server", "http://sync.example.org", "--user", user,
                       "--password-stdin", *d, stdin="x\n")
    assert code == 1 and "unencrypted" in err
