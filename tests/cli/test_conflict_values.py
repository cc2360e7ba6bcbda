"""`conflicts list --json` shows values as they were typed: a visit's `planned` is true/false,
never 1/0 (records read back from SQLite rows carry real booleans). One user on two laptops,
a real server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from facilitator_app.cli import main
from facilitator_app.store import Store
from facilitator_app.store.accounts import active_database
from tests.serverproc import start_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = start_server(tmp_path_factory.mktemp("server"))
    proc.add_user("ana", PASSWORD, cooperative="north")
    yield proc
    proc.stop()


def run(capsys, monkeypatch, data: Path, *argv, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv] + ["--data-dir", str(data)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def edit_visit(data: Path, visit_id: str, **changes) -> None:
    with Store.open(active_database(data)) as store:
        visit = store.visit(visit_id)
        for key, value in changes.items():
            setattr(visit, key, value)
        store.save_visit(visit)


def test_conflict_values_keep_their_booleans(server, tmp_path, capsys, monkeypatch):
    a, b = tmp_path / "laptop-a", tmp_path / "laptop-b"
    for data in (a, b):
        run(capsys, monkeypatch, data, "login", "--server", server.url, "--user", "ana", "--password-stdin",
            stdin=PASSWORD + "\n")
    run(capsys, monkeypatch, a, "practice", "add", "Oak Clinic", "--state", "IL")
    _, out = run(capsys, monkeypatch, a, "visit", "add", "Oak Clinic", "--minutes", "60", "--json")
    visit_id = json.loads(out)["id"]
    run(capsys, monkeypatch, a, "sync")
    run(capsys, monkeypatch, b, "sync")
    edit_visit(a, visit_id, minutes=45)
    run(capsys, monkeypatch, a, "sync")
    edit_visit(b, visit_id, minutes=90, planned=False)  # B has not seen A's 45 minutes
    run(capsys, monkeypatch, b, "sync")
    _, out = run(capsys, monkeypatch, b, "conflicts", "list", "--json")
    (conflict,) = json.loads(out)
    assert conflict["entity"] == "visit" and conflict["local_fields"]["planned"] is False
    assert set(conflict["current_fields"]) == set(conflict["local_fields"])
    assert isinstance(conflict["current_fields"]["planned"], bool)
    assert type(conflict["current_fields"]["minutes"]) is int
    _, out = run(capsys, monkeypatch, b, "conflicts", "list")
    assert "planned: yours=False" in out and "current=0" not in out and "current=1" not in out
