"""Accounts (issue 12): tokens carry the user's credential generation, users have a full name and
an email, migration 0002 upgrades a 0001 database that holds data, and the quick-start SQLite
database is private to the server's user. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.app import create_app
from facilitator_app.server.db import make_engine, write_tx
from facilitator_app.server.migrate import alembic_config, schema_state, upgrade
from facilitator_app.server.security import hash_password, token_hash
from facilitator_app.server.settings import DATA_DIR_ENV, DATABASE_URL_ENV, Settings
from facilitator_app.sync.protocol import PROTOCOL_VERSION, ErrorBody, TokenResponse
from tests.server.helpers import PASSWORD, Api, TestClient, add_user
from tests.serverproc import REPO, ServerProcess, free_port, start_server

STALE = "Your password was changed or your account was disabled: sign in again."


def _pull(api: Api, token: str):
    return api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": "laptop-1", "cursor": 0},
                           headers=api.auth(token))


def _refused_as_stale(response) -> bool:
    body = ErrorBody.model_validate(response.json())
    return response.status_code == 401 and body.error == "unauthorized" and body.message == STALE


# -- 1. the credential generation ----------------------------------------------------------------

def test_a_password_change_ends_every_earlier_token(api: Api) -> None:
    ann = api.user("ann")
    second = api.login("ann")
    assert _pull(api, ann.token).status_code == 200 and _pull(api, second).status_code == 200
    api.admin(accounts.set_password, "ann", "a brand new password")
    assert _refused_as_stale(_pull(api, ann.token)) and _refused_as_stale(_pull(api, second))
    assert api.client.post("/auth/v1/token", json={"username": "ann", "password": PASSWORD}).status_code == 401
    fresh = api.login("ann", "a brand new password")
    assert _pull(api, fresh).status_code == 200


def test_enable_does_not_revive_tokens_that_disable_stopped(api: Api) -> None:
    ann = api.user("ann")
    api.admin(accounts.set_disabled, "ann", True)
    assert _refused_as_stale(_pull(api, ann.token))
    api.admin(accounts.set_disabled, "ann", False)
    assert _refused_as_stale(_pull(api, ann.token))  # before: 200 again
    assert _pull(api, api.login("ann")).status_code == 200


def test_a_token_issued_with_a_password_checked_before_a_change_is_born_stale(api: Api) -> None:
    """Sign-in reads the hash and generation, checks the password (slow), then issues the token:
    a password change in between must not let the old password's token live on."""
    api.user("ann")
    with api.engine.connect() as conn:
        user, _hash = accounts.find_user(conn, "ann")
    api.admin(accounts.set_password, "ann", "changed meanwhile")
    token, _ = api.admin(accounts.issue_token, user, days=1)
    assert _refused_as_stale(_pull(api, token))


def test_other_token_failures_keep_their_message(api: Api) -> None:
    ann = api.user("ann")
    api.admin(accounts.revoke_tokens, "ann")
    r = _pull(api, ann.token)
    assert r.status_code == 401 and r.json()["message"] == accounts.INVALID_TOKEN
    r = _pull(api, "made-up")
    assert r.status_code == 401 and r.json()["message"] == accounts.INVALID_TOKEN


def test_cli_password_disable_and_enable_against_a_running_server(database_url: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, database_url)
    try:
        server.admin("cooperative", "add", "North")
        server.admin("user", "add", "ann", "--role", "facilitator", "--cooperative", "North", "--password-stdin",
                     input=PASSWORD + "\n")

        def sign_in(password: str = PASSWORD) -> str:
            r = httpx.post(f"{server.url}/auth/v1/token", json={"username": "ann", "password": password})
            assert r.status_code == 200, r.text
            return r.json()["access_token"]

        def pull(token: str) -> httpx.Response:
            return httpx.post(f"{server.url}/sync/v1/pull", headers={"Authorization": f"Bearer {token}"},
                              json={"protocol": PROTOCOL_VERSION, "client_id": "laptop-1", "cursor": 0})

        token = sign_in()
        out = server.admin("user", "set", "ann", "--password-stdin", input="second password\n").stdout
        assert "must sign in again" in out
        assert _refused_as_stale(pull(token))
        token = sign_in("second password")
        assert pull(token).status_code == 200
        server.admin("user", "disable", "ann")
        server.admin("user", "enable", "ann")
        assert _refused_as_stale(pull(token))
        assert pull(sign_in("second password")).status_code == 200
        actions = [e["action"] for e in json.loads(server.admin("audit", "--json").stdout)]
        assert actions.count("user.password") == 1 and "user.disable" in actions and "user.enable" in actions
    finally:
        server.stop()


# -- 2. full name and email ------------------------------------------------------------------

def test_full_name_and_email_reach_the_app_on_sign_in(api: Api) -> None:
    with write_tx(api.engine) as conn:
        accounts.add_cooperative(conn, "coop")
        accounts.add_user(conn, "ana", role="facilitator", cooperative="coop", password=PASSWORD,
                          full_name="  Ana Muñoz ", email="ana@example.org")
    r = api.client.post("/auth/v1/token", json={"username": "ana", "password": PASSWORD})
    user = TokenResponse.model_validate(r.json()).user
    assert (user.full_name, user.email) == ("Ana Muñoz", "ana@example.org")
    api.admin(accounts.set_details, "ana", email="")
    r = api.client.post("/auth/v1/token", json={"username": "ana", "password": PASSWORD})
    assert (r.json()["user"]["full_name"], r.json()["user"]["email"]) == ("Ana Muñoz", "")


@pytest.mark.parametrize("email, problem", [
    ("ana", "exactly one @"), ("ana@@example.org", "exactly one @"), ("a@b@example.org", "exactly one @"),
    ("@example.org", "before the @"), ("ana@example", "after the @"), ("ana@example..org", "after the @"),
    ("ana@-example.org", "after the @"), ("ana@exa_mple.org", "after the @"), ("ana muñoz@example.org", "spaces"),
    ("ana@example.org\n", None), ("ana\u00a0x@example.org", "spaces"), ('"ana"@example.org', "before the @"),
    ("a" * 65 + "@example.org", "before the @"), ("a@" + "b" * 250 + ".org", "at most 254"),
])
def test_bad_emails_are_refused_with_the_reason(email: str, problem: str | None) -> None:
    if problem is None:  # surrounding whitespace is trimmed, not refused
        assert accounts.clean_email(email) == email.strip()
        return
    with pytest.raises(accounts.AdminError, match=problem):
        accounts.clean_email(email)


def test_good_emails_and_names_are_kept() -> None:
    for email in ("ana@example.org", "ana.munoz+ffk@mail.example.co.uk", "ana@xn--mu-hia.example", "ana@muñoz.example",
                  "o'brien@example.org", "x@" + "a" * 63 + ".org"):
        assert accounts.clean_email(email) == email
    assert accounts.clean_email("   ") is None and accounts.clean_full_name("") is None
    assert accounts.clean_full_name("Nguyễn Thị Minh Khai") == "Nguyễn Thị Minh Khai"
    for bad, problem in (("x" * 201, "at most 200"), ("Ana\tMuñoz", "control"), ("Ana\u2028M", "control"),
                         ("Ana\x00", "control")):
        with pytest.raises(accounts.AdminError, match=problem):
            accounts.clean_full_name(bad)


def test_the_email_check_takes_linear_time() -> None:
    """No regular expression to backtrack: a hostile near-email costs no more than its length."""
    hostile = ["a" * 250 + "@", "@" * 254, "a." * 127, "a@" + "a-" * 126, "a@" + "a." * 125 + "-"]
    start = time.perf_counter()
    for value in hostile * 200:
        with pytest.raises(accounts.AdminError):
            accounts.clean_email(value)
    assert time.perf_counter() - start < 5  # 1,000 checks; a backtracking pattern takes minutes


@pytest.fixture
def proc(database_url: str, tmp_path: Path) -> ServerProcess:
    return ServerProcess(url="", database_url=database_url, data_dir=tmp_path)


def test_user_add_set_and_list_on_the_command_line(proc: ServerProcess) -> None:
    proc.admin("migrate")
    proc.admin("cooperative", "add", "North")
    proc.admin("user", "add", "ana", "--role", "facilitator", "--cooperative", "North", "--full-name", "Ana Muñoz",
               "--email", "ana@example.org", "--password-stdin", input=PASSWORD + "\n")
    listing = json.loads(proc.admin("user", "list", "--json").stdout)
    assert [(u["name"], u["full_name"], u["email"]) for u in listing] == [("ana", "Ana Muñoz", "ana@example.org")]
    assert "Ana Muñoz <ana@example.org>" in proc.admin("user", "list").stdout

    with pytest.raises(subprocess.CalledProcessError) as bad:
        proc.admin("user", "set", "ana", "--full-name", "Ana M. Muñoz", "--email", "ana@example")
    assert "domain like example.org" in bad.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as bad:
        proc.admin("user", "set", "ana")
    assert "Nothing to change" in bad.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as bad:
        proc.admin("user", "set", "nobody", "--email", "x@example.org")
    assert "no user called 'nobody'" in bad.value.stderr
    listing = json.loads(proc.admin("user", "list", "--json").stdout)
    assert listing[0]["full_name"] == "Ana Muñoz"  # the bad email changed nothing, not even the name

    out = proc.admin("user", "set", "ana", "--full-name", "Ana M. Muñoz", "--email", "").stdout
    assert "full name, email" in out
    listing = json.loads(proc.admin("user", "list", "--json").stdout)
    assert (listing[0]["full_name"], listing[0]["email"]) == ("Ana M. Muñoz", None)
    with pytest.raises(subprocess.CalledProcessError) as bad:
        proc.admin("user", "add", "bo", "--role", "facilitator", "--cooperative", "North", "--email", "bo",
                   "--password-stdin", input=PASSWORD + "\n")
    assert "exactly one @" in bad.value.stderr
    assert [u["name"] for u in json.loads(proc.admin("user", "list", "--json").stdout)] == ["ana"]
    audit = [e for e in json.loads(proc.admin("audit", "--json").stdout) if e["action"] == "user.set"]
    assert [e["detail"]["fields"] for e in audit] == [["full_name", "email"]]


# -- migration 0002 from 0001 with data ------------------------------------------------------

def _upgrade_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_migration_0002_upgrades_a_0001_database_with_data(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url))
    try:
        _upgrade_to(engine, "0001")
        with engine.begin() as conn:  # 0001's columns only, as a server of that version wrote them
            conn.execute(text("INSERT INTO cooperatives (id, name, created_ms) VALUES (1, 'North', 1)"))
            conn.execute(text("INSERT INTO users (id, name, role, cooperative_id, password_hash, disabled, scope_epoch,"
                              " created_ms) VALUES (1, 'ann', 'facilitator', 1, :h, false, 3, 1)"),
                         {"h": hash_password(PASSWORD)})
            conn.execute(text("INSERT INTO tokens (token_hash, user_id, created_ms, expires_ms, revoked) "
                              "VALUES (:h, 1, 1, :e, false)"), {"h": token_hash("old-token"), "e": 2**62})
        assert schema_state(engine).current == "0001"
        _upgrade_to(engine, "0002_accounts")
        with engine.connect() as conn:
            user = conn.execute(select(t.users.c.credential_generation, t.users.c.full_name, t.users.c.email,
                                       t.users.c.scope_epoch)).one()
            token = conn.execute(select(t.tokens.c.credential_generation)).one()
        assert tuple(user) == (1, None, None, 3) and token.credential_generation == 1
        _upgrade_to(engine, "0001", down=True)  # and back: the downgrade works on data too
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM users")).scalar_one() == "ann"
        upgrade(engine)  # then on to the newest schema, as `migrate` does
        assert schema_state(engine).is_current

        app = create_app(Settings(database_url=database_url), engine=engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            api = Api(client, engine)
            assert _pull(api, "old-token").status_code == 200  # tokens from before the upgrade keep working
            api.admin(accounts.set_password, "ann", "new password 1")
            assert _refused_as_stale(_pull(api, "old-token"))
            assert TokenResponse.model_validate(client.post("/auth/v1/token", json={
                "username": "ann", "password": "new password 1"}).json()).user.full_name == ""
    finally:
        engine.dispose()


# -- 9. the quick-start SQLite database is private ---------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_quick_start_database_and_its_folder_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-yet" / "server-data"
    env = {k: v for k, v in os.environ.items() if k != DATABASE_URL_ENV}
    env.update({DATA_DIR_ENV: str(data_dir), "PYTHONPATH": str(REPO)})
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "facilitator_app.server.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: os.umask(0o022))  # the usual umask: new files world-readable
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        db = data_dir / "server.sqlite"
        add_user_engine = make_engine(Settings(database_url=f"sqlite:///{db}"))
        try:
            add_user(add_user_engine, "ann")  # a write, so the -wal and -shm files exist
        finally:
            add_user_engine.dispose()
        assert _mode(data_dir) == 0o700
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.write-lock")]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(data_dir.parent) == 0o755  # only the folder the database lives in is ours to lock down
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_an_existing_database_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    db.touch(mode=0o640)
    os.chmod(db, 0o640)
    engine = make_engine(Settings(database_url=f"sqlite:///{db}"))
    upgrade(engine)
    engine.dispose()
    assert _mode(db) == 0o640


def test_the_app_fills_an_empty_profile_from_the_account_and_keeps_a_typed_one(server, tmp_path: Path) -> None:
    from facilitator_app.core.model import FacilitatorProfile
    from tests.sync.conftest import Laptop

    engine = make_engine(Settings(database_url=server.database_url))
    try:
        with write_tx(engine) as conn:
            accounts.add_cooperative(conn, "North")
            accounts.add_user(conn, "ana", role="facilitator", cooperative="North", password=PASSWORD,
                              full_name="Ana Muñoz", email="ana@example.org")
    finally:
        engine.dispose()
    fresh = Laptop(tmp_path / "fresh", server.url)
    result = fresh.sign_in("ana")
    assert (result.full_name, result.email) == ("Ana Muñoz", "ana@example.org")
    assert any("filled in from your server account" in m for m in result.messages)
    assert fresh.store.facilitator_profile() == FacilitatorProfile("Ana Muñoz", "ana@example.org", "")
    fresh.close()

    typed = Laptop(tmp_path / "typed", server.url)
    typed.store.set_facilitator_profile(FacilitatorProfile("Ana M.", "", "312-555-0101"))
    result = typed.sign_in("ana")  # the local file becomes the account's: its profile comes along
    assert not any("filled in" in m for m in result.messages)
    assert typed.store.facilitator_profile() == FacilitatorProfile("Ana M.", "", "312-555-0101")
    typed.close()
