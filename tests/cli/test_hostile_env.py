"""The CLI in a careless or hostile environment: a database locked by another program, a full
disk, a file damaged inside, a read-only folder or file, nonsense numbers. Each gets a sentence a
facilitator can act on and a non-zero exit, never a Python traceback, and nothing is written
where it must not be.

Run as the console script would be: a subprocess on real SQLite files. A full disk is a small
tmpfs and a read-only place is a read-only bind mount (both need root, which CI has); as
another user, read-only is chmod and the full-disk tests skip."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from facilitator_app.core.model import Practice
from facilitator_app.store import Store
from facilitator_app.store.db import BUSY_TIMEOUT_ENV, BUSY_TIMEOUT_MS, busy_timeout_ms, connect

REPO = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def cli(data_dir: Path, *args: object, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`facilitator-app ARGS --data-dir DATA_DIR` in a fresh process; never a traceback."""
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    full_env.pop("FFK_DEBUG", None)
    full_env.pop(BUSY_TIMEOUT_ENV, None)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "facilitator_app.cli", *map(str, args), "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=REPO)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def practice_names(data_dir: Path) -> list[str]:
    proc = cli(data_dir, "practice", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return sorted(p["name"] for p in json.loads(proc.stdout))


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    proc = cli(data, "demo", "--practices", "3", "--months", "6")
    assert proc.returncode == 0, proc.stderr
    return data


# -- another program holds the database ------------------------------------------------------

def test_default_busy_wait_is_ten_seconds(tmp_path, monkeypatch):
    monkeypatch.delenv(BUSY_TIMEOUT_ENV, raising=False)
    assert busy_timeout_ms() == BUSY_TIMEOUT_MS == 10_000
    conn = connect(tmp_path / "x.sqlite")
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    conn.close()
    for nonsense in ("soon", "-5", "99999999999"):
        monkeypatch.setenv(BUSY_TIMEOUT_ENV, nonsense)
        assert busy_timeout_ms() == 10_000


def test_locked_database_says_who_to_wait_for(demo_dir):
    before = practice_names(demo_dir)
    holder = sqlite3.connect(demo_dir / "local.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    try:
        proc = cli(demo_dir, "practice", "add", "Locked Clinic", env={BUSY_TIMEOUT_ENV: "300"})
        assert proc.returncode == 1
        assert "is in use by another program" in proc.stderr
        assert "stayed locked for 0.3 seconds, so nothing was changed" in proc.stderr
        assert "Close the other program or wait for it to finish, then try again" in proc.stderr
        listed = cli(demo_dir, "practice", "list", env={BUSY_TIMEOUT_ENV: "300"})  # reading still works
        assert listed.returncode == 0, listed.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert practice_names(demo_dir) == before


# -- a full disk --------------------------------------------------------------------------------

@contextmanager
def small_disk(path: Path, size_kb: int) -> Iterator[Path]:
    """A real, small file system (tmpfs) mounted at `path`."""
    if not IS_ROOT:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root (CI runs as root)")
    path.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, *, leave_kb: int = 0) -> Path:
    """Take the disk's free space, all of it or all but `leave_kb`."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        if leave_kb:
            st = os.statvfs(disk)
            fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_kb * 1024))
        else:
            for chunk in (65536, 4096):
                try:
                    while True:
                        fh.write(b"\0" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk_saves_nothing_and_says_so(tmp_path):
    with small_disk(tmp_path / "disk", 2048) as disk:
        data = disk / "data"
        assert cli(data, "practice", "add", "Oak Clinic").returncode == 0
        filler = fill(disk)
        proc = cli(data, "practice", "add", "Pine Clinic")
        assert proc.returncode == 1
        assert f"The disk holding {data} is full, so nothing was saved" in proc.stderr
        assert "Free some space on that disk" in proc.stderr
        filler.unlink()
        assert practice_names(data) == ["Oak Clinic"]  # opens cleanly (quick_check passes) and Pine is not there


def test_disk_filling_up_during_a_big_write(tmp_path):
    with small_disk(tmp_path / "disk", 1024) as disk:
        fill(disk, leave_kb=160)
        data = disk / "data"
        proc = cli(data, "demo", "--practices", "20", "--months", "24")
        assert proc.returncode == 1
        assert f"The disk holding {data} is full, so nothing was saved" in proc.stderr
        (disk / "filler").unlink()
        assert practice_names(data) == []  # the whole demo transaction was rolled back


def test_export_to_a_full_disk_leaves_no_temporary_files(demo_dir, tmp_path):
    with small_disk(tmp_path / "stick", 16) as stick:
        out = stick / "export"
        proc = cli(demo_dir, "export", "--format", "csv", "--out", out)
        assert proc.returncode == 1
        assert f"The disk holding {out} is full, so the export was not saved" in proc.stderr
        assert "choose a folder on another disk with --out" in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == []  # no *.csv.tmp, and no half set of files
        proc = cli(demo_dir, "export", "--format", "json", "--out", out)
        assert proc.returncode == 1 and "is full" in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == []


# -- a file damaged inside -------------------------------------------------------------------

def damage_visits(path: Path) -> None:
    """Overwrite the visits table's root page: the header stays valid, the table is garbage."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'visits'").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(path, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\x0d" + b"\xff" * (page_size - 1))


def test_damaged_file_is_never_written_and_restore_is_offered(demo_dir):
    assert cli(demo_dir, "backup", "now").returncode == 0
    before_damage = practice_names(demo_dir)
    assert cli(demo_dir, "practice", "add", "After The Backup").returncode == 0
    db = demo_dir / "local.sqlite"
    damage_visits(db)
    damaged = digest(db)
    for args in (("practice", "add", "Into The Damaged File"), ("practice", "list"), ("visit", "list")):
        proc = cli(demo_dir, *args)
        assert proc.returncode == 1, args
        assert f"The data file {db} is damaged (database disk image is malformed)" in proc.stderr
        assert "nothing will be saved into it" in proc.stderr
        assert "facilitator-app backup restore FILE" in proc.stderr
        assert digest(db) == damaged, f"{args} wrote into a damaged file"
        wal = Path(f"{db}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    listed = cli(demo_dir, "backup", "list", "--json")
    assert listed.returncode == 0 and [b["kind"] for b in json.loads(listed.stdout)] == ["manual"]
    proc = cli(demo_dir, "backup", "restore", "--latest")
    assert proc.returncode == 0, proc.stderr
    assert "The file it replaced was kept as" in proc.stdout
    assert practice_names(demo_dir) == before_damage
    kept = [p for p in (demo_dir / "backups").iterdir() if p.name.endswith(".damaged.sqlite")]
    assert len(kept) == 1 and digest(kept[0]) == damaged  # the damaged bytes are kept, as they were


def test_restore_refuses_while_another_program_has_the_file_open(demo_dir):
    assert cli(demo_dir, "backup", "now").returncode == 0
    other = Store.open(demo_dir / "local.sqlite")  # the window, say
    try:
        proc = cli(demo_dir, "backup", "restore", "--latest")
        assert proc.returncode == 1
        assert "is open in another program" in proc.stderr and "nothing was changed" in proc.stderr
    finally:
        other.close()


# -- read-only places ----------------------------------------------------------------------

@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a folder or a file read-only for this process: a read-only bind mount as root
    (root ignores permission bits), chmod otherwise."""
    if IS_ROOT:
        for cmd in (["mount", "--bind", str(path), str(path)], ["mount", "-o", "remount,ro,bind", str(path)]):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                subprocess.run(["umount", str(path)], check=False, capture_output=True)
                pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["umount", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def test_read_only_folder_is_reported_as_read_only_not_damaged(demo_dir):
    before = digest(demo_dir / "local.sqlite")
    with read_only(demo_dir):
        for args in (("practice", "add", "Nope Clinic"), ("practice", "list")):
            proc = cli(demo_dir, *args)
            assert proc.returncode == 1
            assert f"The data folder {demo_dir} is " in proc.stderr
            assert "read-only" in proc.stderr and "it is not damaged" in proc.stderr
            assert "--data-dir NEW_FOLDER" in proc.stderr
            assert "Restore" not in proc.stderr and "malformed" not in proc.stderr
    assert digest(demo_dir / "local.sqlite") == before


def test_read_only_database_file_is_reported_as_read_only(demo_dir):
    db = demo_dir / "local.sqlite"
    before = digest(db)
    with read_only(db):
        proc = cli(demo_dir, "practice", "add", "Nope Clinic")
        assert proc.returncode == 1
        assert f"The data file {db} is " in proc.stderr
        assert "read-only" in proc.stderr and "it is not damaged" in proc.stderr
        assert "Restore" not in proc.stderr and "malformed" not in proc.stderr
    assert digest(db) == before
    assert "Nope Clinic" not in practice_names(demo_dir)


# -- nonsense numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "inf", "1e300"])
def test_demo_with_nonsense_visits_per_month_never_shows_a_traceback(tmp_path, value):
    data = tmp_path / "data"
    proc = cli(data, "demo", "--visits-per-month", value)
    assert proc.returncode != 0
    assert "error: " in proc.stderr and "Traceback" not in proc.stderr
    assert practice_names(data) == []


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e300"])
def test_demo_with_nonsense_visits_per_month_names_the_option(tmp_path, value):
    data = tmp_path / "data"
    proc = cli(data, "demo", "--visits-per-month", value)
    assert proc.returncode == 2
    assert "--visits-per-month" in proc.stderr or "Visits per month" in proc.stderr
    assert practice_names(data) == []


# -- the central handler's last resort -----------------------------------------------------

# A command with a bug in it, to see what the last-resort handler does (only this test's process).
_BUGGY = ("import sys, facilitator_app.commands.records as r\n"
          "def broken(ctx, args):\n    raise ValueError('a bug')\n"
          "r.toolkit_list = broken\n"
          "from facilitator_app.cli import main\n"
          "sys.exit(main(['toolkit', 'list', '--data-dir', sys.argv[1]]))\n")


def test_an_unexpected_error_is_one_sentence_and_debug_shows_the_traceback(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", _BUGGY, str(data)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120)
    assert "Field Kit ran into a problem it did not expect (ValueError" in proc.stderr
    assert "FFK_DEBUG=1" in proc.stderr and "Traceback" not in proc.stderr
    debug = subprocess.run([sys.executable, "-c", _BUGGY, str(data)], capture_output=True, text=True,
                           env={**env, "FFK_DEBUG": "1"}, cwd=REPO, timeout=120)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_output_cut_short_by_a_pipe_is_quiet(demo_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(f"'{sys.executable}' -m facilitator_app.cli practice list --data-dir '{demo_dir}' | true",
                          shell=True, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert "Traceback" not in proc.stderr and "error" not in proc.stderr


def test_new_folder_store_holds_what_was_saved(tmp_path):
    """The hardening did not stop ordinary work: a new nested folder, a save, a read."""
    data = tmp_path / "a" / "b" / "data"
    assert cli(data, "practice", "add", "Oak Clinic").returncode == 0
    with Store.open(data / "local.sqlite") as store:
        store.save_practice(Practice(name="Pine Clinic"))
    assert practice_names(data) == ["Oak Clinic", "Pine Clinic"]
