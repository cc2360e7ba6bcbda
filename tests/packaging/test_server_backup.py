"""installers/server/backup.sh on a SQLite pilot database: a readable, complete copy is made while
the database is open in WAL mode, and a missing database is a clear failure, not an empty backup."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "installers" / "server" / "backup.sh"
pytestmark = pytest.mark.skipif(shutil.which("sqlite3") is None or shutil.which("bash") is None,
                                reason="needs bash and the sqlite3 command (apt install sqlite3)")


def run_backup(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "FFK_SERVER_DATABASE_URL"}
    full.update({"BACKUP_DIR": str(tmp_path / "backups"), **env})
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=full, timeout=60)


def test_backs_up_a_live_wal_database(tmp_path: Path) -> None:
    data = tmp_path / "server"
    data.mkdir()
    live = sqlite3.connect(data / "server.sqlite")
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, note TEXT)")
    live.executemany("INSERT INTO visits (note) VALUES (?)", [(f"visit {i} — Muñoz",) for i in range(500)])
    live.commit()  # rows sit in the -wal file, not yet checkpointed: a plain cp would miss them
    try:
        done = run_backup(tmp_path, FFK_SERVER_DATA_DIR=str(data))
    finally:
        live.close()
    assert done.returncode == 0, done.stderr
    copies = list((tmp_path / "backups").glob("ffk-*.sqlite"))
    assert len(copies) == 1 and "backup ok" in done.stdout
    copy = sqlite3.connect(copies[0])
    assert copy.execute("SELECT count(*), max(note) FROM visits").fetchone() == (500, "visit 99 — Muñoz")
    copy.close()
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_a_missing_database_fails_clearly(tmp_path: Path) -> None:
    done = run_backup(tmp_path, FFK_SERVER_DATA_DIR=str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert "no database file at" in done.stderr
    assert not list((tmp_path / "backups").glob("ffk-*"))


def test_an_unknown_database_url_is_refused(tmp_path: Path) -> None:
    done = run_backup(tmp_path, FFK_SERVER_DATABASE_URL="mysql://x@y/z")
    assert done.returncode == 1 and "unsupported" in done.stderr


# -- PostgreSQL: the password never reaches pg_dump's command line -----------------------------

FAKE_PG_DUMP = r"""#!/usr/bin/env bash
# Records what backup.sh hands pg_dump (argv, environment, the password file and its mode), then
# runs the real pg_dump when REAL_PG_DUMP names one, else writes a stand-in dump.
set -eu
printf '%s\n' "$@" > "$RECORD_DIR/argv"
printf '%s' "${PGPASSWORD-<unset>}" > "$RECORD_DIR/pgpassword"
printf '%s' "${PGPASSFILE-}" > "$RECORD_DIR/pgpassfile"
if [[ -n "${PGPASSFILE-}" ]]; then
    cp "$PGPASSFILE" "$RECORD_DIR/pgpass-content"
    stat -c %a "$PGPASSFILE" > "$RECORD_DIR/pgpass-mode"
fi
if [[ -n "${REAL_PG_DUMP-}" ]]; then
    exec "$REAL_PG_DUMP" "$@"
fi
for arg in "$@"; do
    [[ "$arg" == --file=* ]] && echo "stand-in dump" > "${arg#--file=}"
done
exit 0
"""
FAKE_PG_RESTORE = "#!/usr/bin/env bash\n[[ \"$1\" == --list && -s \"$2\" ]]\n"


def _fake_bin(tmp_path: Path, *, real_restore: bool) -> tuple[Path, Path]:
    bin_dir, record = tmp_path / "bin", tmp_path / "record"
    bin_dir.mkdir()
    record.mkdir()
    (bin_dir / "pg_dump").write_text(FAKE_PG_DUMP)
    (bin_dir / "pg_dump").chmod(0o755)
    if not real_restore:
        (bin_dir / "pg_restore").write_text(FAKE_PG_RESTORE)
        (bin_dir / "pg_restore").chmod(0o755)
    return bin_dir, record


def test_the_database_password_goes_to_a_private_file_not_the_command_line(tmp_path: Path) -> None:
    bin_dir, record = _fake_bin(tmp_path, real_restore=False)
    url = "postgresql+psycopg://ffk:S3cr%40t:pa%5Css@db.internal:5433/ffk?sslmode=require"
    done = run_backup(tmp_path, FFK_SERVER_DATABASE_URL=url, PATH=f"{bin_dir}:{os.environ['PATH']}",
                      RECORD_DIR=str(record), TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    argv = (record / "argv").read_text().splitlines()
    assert argv[-1] == "postgresql://ffk@db.internal:5433/ffk?sslmode=require"
    assert not any("S3cr" in a or "pa" + "\\" in a for a in argv)  # before: the whole URL, password and all
    assert (record / "pgpassword").read_text() == "<unset>"
    assert (record / "pgpass-mode").read_text().strip() == "600"
    assert (record / "pgpass-content").read_text() == "*:*:*:*:S3cr@t\\:pa\\\\ss\n"  # .pgpass escapes : and \
    assert not Path((record / "pgpassfile").read_text()).exists()  # removed when the backup ends
    assert len(list((tmp_path / "backups").glob("ffk-*.dump"))) == 1


def test_a_url_without_a_password_is_passed_as_it_is(tmp_path: Path) -> None:
    bin_dir, record = _fake_bin(tmp_path, real_restore=False)
    done = run_backup(tmp_path, FFK_SERVER_DATABASE_URL="postgresql://ffk@/ffk?host=/run/postgresql",
                      PATH=f"{bin_dir}:{os.environ['PATH']}", RECORD_DIR=str(record))
    assert done.returncode == 0, done.stderr
    assert (record / "argv").read_text().splitlines()[-1] == "postgresql://ffk@/ffk?host=/run/postgresql"
    assert (record / "pgpassfile").read_text() == ""


def test_a_real_pg_dump_backs_up_through_the_password_file(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    from facilitator_app.server.db import make_engine
    from facilitator_app.server.migrate import upgrade
    from facilitator_app.server.settings import Settings
    from tests.serverproc import new_postgres_url, postgres_required, require_postgres

    require_postgres()  # fails under make test and in CI without a database, else skips
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        message = "pg_dump and pg_restore are not on PATH (apt-get install postgresql-client)."
        pytest.fail(message, pytrace=False) if postgres_required() else pytest.skip(message)

    url = new_postgres_url()
    engine = make_engine(Settings(database_url=url))
    upgrade(engine)
    engine.dispose()
    with_password = make_url(url).set(password="not:in\\ps").render_as_string(hide_password=False)
    bin_dir, record = _fake_bin(tmp_path, real_restore=True)
    done = run_backup(tmp_path, FFK_SERVER_DATABASE_URL=with_password, PATH=f"{bin_dir}:{os.environ['PATH']}",
                      RECORD_DIR=str(record), REAL_PG_DUMP=shutil.which("pg_dump"))
    assert done.returncode == 0, done.stderr
    argv = (record / "argv").read_text()
    assert "not%3Ain" in with_password and "not%3Ain" not in argv and "not:in" not in argv
    assert (record / "pgpass-content").read_text() == "*:*:*:*:not\\:in\\\\ps\n"
    (dump,) = (tmp_path / "backups").glob("ffk-*.dump")
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert "TABLE public users" in listing and "TABLE public alembic_version" in listing
