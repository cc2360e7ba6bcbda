"""The data folder and every file Field Kit writes in it are readable by this user only (POSIX):
created 0700/0600 whatever the umask, and tightened when an older install left them open."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from facilitator_app.core.model import Practice
from facilitator_app.store import Store
from facilitator_app.store.accounts import Accounts
from facilitator_app.store.backups import restore_backup

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    """The usual desktop umask, so a file created with default permissions would be 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_new_data_folder_database_and_its_wal_are_private(tmp_path):
    data = tmp_path / "fresh" / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "facilitator_app.cli", "practice", "add", "Oak Clinic",
                           "--data-dir", str(data)], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert mode(data) == 0o700 and mode(tmp_path / "fresh") == 0o700
    assert mode(data / "local.sqlite") == 0o600
    with Store.open(data / "local.sqlite") as store:
        store.save_practice(Practice(name="Pine Clinic"))
        for side in ("-wal", "-shm"):
            assert mode(Path(f"{store.path}{side}")) == 0o600, side
        backup = store.backup()
    assert mode(backup.parent) == 0o700 and mode(backup) == 0o600


def test_existing_open_files_are_tightened_on_open(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    path = data / "local.sqlite"
    with Store.open(path) as store:
        store.save_practice(Practice(name="Oak Clinic"))
        keep_open = Store.open(path)  # so the -wal and -shm stay on disk
    for p in (data, path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    with Store.open(path) as store:
        assert [p.name for p in store.practices()] == ["Oak Clinic"]
        assert mode(data) == 0o700
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert mode(p) == 0o600, p.name
    keep_open.close()


def test_tightening_never_makes_a_file_writable(tmp_path):
    from facilitator_app.store.db import PRIVATE_FILE_MODE, tighten

    path = tmp_path / "read-only.sqlite"
    path.write_bytes(b"")
    os.chmod(path, 0o444)
    tighten(path, PRIVATE_FILE_MODE)
    assert mode(path) == 0o400


def test_home_folder_is_never_tightened(tmp_path, monkeypatch):
    from facilitator_app.store.db import private_dir

    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    monkeypatch.setenv("HOME", str(home))
    private_dir(home)
    assert mode(home) == 0o755
    private_dir(home / "FieldKit")
    assert mode(home / "FieldKit") == 0o700


def test_accounts_file_and_folder_are_private(tmp_path):
    data = tmp_path / "data"
    activation = Accounts(data).activate("https://sync.example.org", "ana", role="facilitator")
    assert mode(data) == 0o700 and mode(data / "accounts.json") == 0o600
    assert mode(activation.path.parent) == 0o700
    with Store.open(activation.path) as store:
        store.save_practice(Practice(name="Oak Clinic"))
    assert mode(activation.path) == 0o600


def test_restored_and_kept_files_are_private(tmp_path):
    data = tmp_path / "data"
    path = data / "local.sqlite"
    with Store.open(path) as store:
        store.save_practice(Practice(name="Oak Clinic"))
        backup = store.backup()
    os.chmod(backup, 0o644)  # a backup copied in from elsewhere
    safety = restore_backup(path, backup)
    assert mode(path) == 0o600 and mode(safety) == 0o600
    assert sorted(p.name for p in data.iterdir() if p.name.endswith((".restoring", ".checking"))) == []
