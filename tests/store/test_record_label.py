"""The Sync issues screen names records the way a facilitator does, not by id."""

from datetime import date

from facilitator_app.core.model import Practice, Visit
from facilitator_app.core.record_labels import record_label
from facilitator_app.store import Store


def test_record_labels(tmp_path):
    with Store.open(tmp_path / "local.sqlite") as store:
        oak = Practice(name="Oak Clinic")
        store.save_practice(oak)
        visit = Visit(oak.id, date(2026, 3, 18))
        store.save_visit(visit)
        assert label(store, "practice", oak.id, oak.id, {"phone": "1"}) == "Practice Oak Clinic"
        assert label(store, "visit", visit.id, oak.id, {"notes": "x"}) == "Visit to Oak Clinic on 2026-03-18"
        assert label(store, "checklist", f"{oak.id}:B2", oak.id, {}) == "Oak Clinic: strategy B2"
        assert label(store, "visit", "gone", "elsewhere", {"date": "2026-01-02"}) == \
            "Visit to a practice no longer on this computer on 2026-01-02"


def test_records_of_no_practice_are_named_by_what_they_say(tmp_path):
    with Store.open(tmp_path / "local.sqlite") as store:
        assert label(store, "tip", "t1", "~coop:3", {"text": "Cuff chart\u202e in rooms"}) == \
            "Field tip: Cuff chart  in rooms"
        assert label(store, "tip_mark", "t1:ab", "~coop:3", {}) == "Helpful mark on a field tip"
        assert label(store, "diary_entry", "d1", "~user:4", {"written_on": "2026-02-29"}) == \
            "Diary entry of 2026-02-29"
        assert label(store, "diary_entry", "d1", "~user:4", ["not", "a", "record"]) == \
            "Diary entry of an unknown day"


def label(store: Store, entity: str, row_id: str, practice_id: str, fields: object) -> str:
    return record_label(entity, row_id, fields, store.label_facts(entity, row_id, practice_id))
