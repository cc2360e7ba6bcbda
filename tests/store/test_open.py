"""Opening damaged, newer and old files: refused or migrated, never lost."""

import hashlib
import sqlite3

import pytest

from facilitator_app.core.model import Practice
from facilitator_app.store import MigrationError, NewerSchemaError, Store, StoreOpenError, schema


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "local.sqlite"
    with Store.open(path) as s:
        s.bulk_insert([Practice(name=f"Practice {i}", address="x" * 500) for i in range(300)], outbox=True)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def test_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "local.sqlite"
    path.write_bytes(b"this is a spreadsheet, not a database" * 10)
    before = digest(path)
    with pytest.raises(StoreOpenError, match="damaged or is not a Field Kit database. It was not changed"):
        Store.open(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.sqlite"]


def test_truncated_database_is_refused_untouched(filled):
    data = filled.read_bytes()
    filled.write_bytes(data[: len(data) // 2])
    before = digest(filled)
    with pytest.raises(StoreOpenError, match="incomplete"):
        Store.open(filled)
    assert digest(filled) == before


def test_newer_schema_is_refused_untouched(filled):
    conn = sqlite3.connect(filled)
    conn.execute(f"PRAGMA user_version = {len(schema.MIGRATIONS) + 3}")
    conn.close()
    before = digest(filled)
    with pytest.raises(NewerSchemaError, match="newer version of Facilitator Field Kit"):
        Store.open(filled)
    assert digest(filled) == before


def test_failed_migration_restores_the_original_file(filled, monkeypatch):
    with Store.open(filled) as s:
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(filled)

    def m_add_column_then_fail(db):
        db.execute("ALTER TABLE practices ADD COLUMN website TEXT")
        db.execute("UPDATE practices SET name = 'CHANGED'")
        raise RuntimeError("simulated failure in step 2")
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, m_add_column_then_fail])
    from facilitator_app.store import db as dbmod
    monkeypatch.setattr(dbmod, "MIGRATIONS", schema.MIGRATIONS)
    with pytest.raises(MigrationError, match="restored from the backup") as exc:
        Store.open(filled)
    assert "simulated failure" in str(exc.value)
    assert digest(filled) == before
    backups = list((filled.parent / "backups").iterdir())
    assert len(backups) == 1
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:-1])
    monkeypatch.setattr(dbmod, "MIGRATIONS", schema.MIGRATIONS)
    with Store.open(filled) as s:
        names = {p.name for p in s.practices()}
        assert len(names) == 300 and "CHANGED" not in names
        assert s.pending_changes() == 300


def test_successful_migration_keeps_data_and_a_backup(filled, monkeypatch):
    def m_add_website(db):
        db.execute("ALTER TABLE practices ADD COLUMN website TEXT")
    from facilitator_app.store import db as dbmod
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*schema.MIGRATIONS, m_add_website])
    with Store.open(filled) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS) + 1
        assert len(s.practices()) == 300
    assert len(list((filled.parent / "backups").iterdir())) == 1
