"""`facilitator-server` admin commands, run as real processes against a real database."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from facilitator_app.core.toolkit import default_toolkit_path
from facilitator_app.server.migrate import head_revision
from facilitator_app.sync.protocol import PROTOCOL_VERSION
from tests.server.helpers import PASSWORD
from tests.serverproc import ServerProcess, start_server


@pytest.fixture
def proc(database_url: str, tmp_path: Path) -> ServerProcess:
    """The admin side of a server (no HTTP process needed for these commands)."""
    return ServerProcess(url="", database_url=database_url, data_dir=tmp_path)


def fails(proc: ServerProcess, *args: str, input: str | None = None) -> str:
    with pytest.raises(subprocess.CalledProcessError) as info:
        proc.admin(*args, input=input)
    assert info.value.returncode in (1, 2)
    return info.value.stderr


def test_unmigrated_database_is_refused_with_a_clear_message(proc: ServerProcess) -> None:
    assert "migrate" in fails(proc, "cooperative", "add", "North")


def test_admin_commands_end_to_end(proc: ServerProcess, tmp_path: Path) -> None:
    assert "schema" in proc.admin("migrate").stdout
    proc.admin("cooperative", "add", "North")
    assert "already" in fails(proc, "cooperative", "add", "North")
    proc.admin("user", "add", "ann", "--role", "facilitator", "--cooperative", "North", "--password-stdin",
               input=PASSWORD + "\n")
    assert "at least 8" in fails(proc, "user", "add", "bob", "--role", "facilitator", "--cooperative", "North",
                                 "--password-stdin", input="short\n")
    assert "no cooperative" in fails(proc, "user", "add", "bob", "--role", "supervisor", "--cooperative", "South",
                                     "--password-stdin", input=PASSWORD + "\n")

    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,state,clinicians\np1,Good Clinic,IL,3\np2,,IL,2\np3,Third,QQ,x\np1,Dup,IL,1\n")
    err = fails(proc, "practice", "import", str(bad), "--cooperative", "North")
    assert "Nothing was imported" in err
    assert "line 3: Practice name is required" in err
    assert "line 4: Number of clinicians must be a whole number" in err
    assert "line 5: id p1 is also on line 2" in err
    good = tmp_path / "good.csv"
    good.write_text("id,name,state,ownership,status\np1,Good Clinic,IL,FQHC,active\np2,Second,WI,,\n")
    assert "Imported 2" in proc.admin("practice", "import", str(good), "--cooperative", "North").stdout
    assert "already exist" in fails(proc, "practice", "import", str(good), "--cooperative", "North")

    proc.admin("assign", "ann", "p1", "p2")
    assert "no practice" in fails(proc, "assign", "ann", "p9")
    proc.admin("unassign", "ann", "p2")
    listing = json.loads(proc.admin("user", "list", "--json").stdout)
    assert listing == [{"name": "ann", "full_name": None, "email": None, "role": "facilitator",
                        "cooperative": "North", "disabled": False, "practices": 1}]
    proc.admin("token", "revoke", "ann")
    proc.admin("user", "disable", "ann")

    toolkit = json.loads(default_toolkit_path().read_text())
    toolkit["version"] = "north-1"
    path = tmp_path / "toolkit.json"
    path.write_text(json.dumps(toolkit))
    proc.admin("toolkit", "publish", str(path), "--cooperative", "North")
    toolkit["strategies"] = toolkit["strategies"][:3]
    toolkit["version"] = "north-2"
    path.write_text(json.dumps(toolkit))
    assert "exactly 35" in fails(proc, "toolkit", "publish", str(path), "--cooperative", "North")

    audit = proc.admin("audit", "--json").stdout
    actions = [e["action"] for e in json.loads(audit)]
    assert actions == ["cooperative.add", "user.add", "practice.import", "assign", "unassign", "token.revoke",
                       "user.disable", "toolkit.publish"]
    assert "No audit entries" in proc.admin("audit", "--since", "2999-01-01").stdout
    assert "--since" in fails(proc, "audit", "--since", "last week")

    out = tmp_path / "export"
    proc.admin("export", "--cooperative", "North", "--format", "csv", "--out", str(out))
    with (out / "practices.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["name"] for r in rows) == ["Good Clinic", "Second"]
    assert (out / "visits.csv").read_text().startswith("practice_id,date,id,facilitator")
    assert (out / "visits.csv").read_text().splitlines()[0].endswith(",created_by,server_version")
    assert (out / "assignments.csv").read_text().splitlines() == ["user,practice_id", "ann,p1"]


def test_serve_prints_its_url_and_serves(database_url: str, tmp_path: Path) -> None:
    import httpx

    server = start_server(tmp_path, database_url)
    try:
        server.add_user("ann", PASSWORD)
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "database": "ok"}
        version = httpx.get(f"{server.url}/version").json()
        assert version["protocol"] == PROTOCOL_VERSION and version["schema_revision"] == head_revision()
        r = httpx.post(f"{server.url}/auth/v1/token", json={"username": "ann", "password": PASSWORD})
        assert r.status_code == 200
    finally:
        server.stop()
    assert f"listening on {server.url}" in server.log()


def test_newer_database_is_refused(proc: ServerProcess) -> None:
    from sqlalchemy import text

    from facilitator_app.server.db import make_engine
    from facilitator_app.server.settings import Settings

    proc.admin("migrate")
    engine = make_engine(Settings(database_url=proc.database_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    err = fails(proc, "serve", "--port", "1")
    assert "newer facilitator server" in err
