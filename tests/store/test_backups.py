"""Back up, then restore: the backup's records come back, the replaced file is kept, and a bad
backup file changes nothing."""

import pytest

from facilitator_app.core.model import Practice
from facilitator_app.store.backups import RestoreError, replace_with_backup
from facilitator_app.sync.service import SyncService


def test_restore_brings_back_the_backup_and_keeps_a_safety_copy(data_dir):
    service = SyncService(data_dir)
    store = service.store()
    store.save_practice(Practice(name="Before backup"))
    backup = store.backup()
    store.save_practice(Practice(name="After backup"))
    restored, safety = service.restore_backup(backup)
    assert [p.name for p in restored.practices()] == ["Before backup"]
    assert restored.pending_changes() == 1
    from facilitator_app.store import Store
    with Store.open(safety) as kept:
        assert sorted(p.name for p in kept.practices()) == ["After backup", "Before backup"]
    service.close()


def test_bad_backup_changes_nothing(data_dir, tmp_path):
    service = SyncService(data_dir)
    store = service.store()
    store.save_practice(Practice(name="Keep me"))
    bad = tmp_path / "not-a-backup.sqlite"
    bad.write_bytes(b"not a database" * 50)
    with pytest.raises(RestoreError, match="cannot be restored"):
        service.restore_backup(bad)
    assert [p.name for p in service.store().practices()] == ["Keep me"]
    with pytest.raises(RestoreError, match="is not a file"):
        replace_with_backup(store.path, tmp_path / "missing.sqlite")
    service.close()
