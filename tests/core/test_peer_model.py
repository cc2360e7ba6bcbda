"""The rules of tips, marks and diary entries: dates against the day passed in (29 February and
31 December included), links, traits, tags, and scope keys no practice can pose as."""

from __future__ import annotations

from datetime import date

import pytest

from facilitator_app.core.errors import ValidationError
from facilitator_app.core.model import DiaryEntry, Tip, id_problem, scope_key, tip_mark_id


def _problems(obj, **context) -> list[str]:
    try:
        obj.validate(**context)
    except ValidationError as exc:
        return [p.message for p in exc.problems]
    return []


@pytest.mark.parametrize(("written_on", "today", "ok"), [
    (date(2028, 2, 29), date(2028, 2, 28), True),   # a day of slack for time zones
    (date(2028, 3, 1), date(2028, 2, 28), False),
    (date(2027, 1, 1), date(2026, 12, 31), True),
    (date(2027, 1, 2), date(2026, 12, 31), False),
    (date(1999, 12, 31), date(2026, 12, 31), False),
])
def test_dates_are_checked_against_the_day_passed_in(written_on, today, ok):
    assert (not _problems(Tip("B1", "x", written_on=written_on), today=today)) is ok
    assert (not _problems(DiaryEntry(written_on, "x"), today=today)) is ok


def test_a_tip_says_what_is_wrong_with_it():
    tip = Tip("Z9", " ", written_on=date(2026, 2, 1), link="javascript:alert(1)", ownership="co-op", size="huge")
    problems = _problems(tip, today=date(2026, 2, 1), strategy_ids=frozenset({"B1"}))
    assert problems == ["There is no strategy 'Z9' in the toolkit", "Tip is required",
                        "Link 'javascript:alert(1)' must be a web address starting with https:// or http://",
                        "Ownership must be one of: clinician_owned, health_system, fqhc, other",
                        "Practice size must be one of: solo, small, larger"]
    assert _problems(Tip("B1", "ok", written_on=date(2026, 2, 1), link="https://example.org/a?b=1"),
                     today=date(2026, 2, 1)) == []


def test_a_tip_suits_practices_by_the_traits_it_names():
    tip = Tip("B1", "x", ownership="fqhc", ehr_vendor="Epic", size="small")
    assert tip.suits(ownership="fqhc", ehr_vendor=" epic ", clinicians=3)
    assert not tip.suits(ownership="fqhc", ehr_vendor="Epic", clinicians=1)
    assert not tip.suits(ownership="other", ehr_vendor="Epic", clinicians=3)
    assert tip.suits(ownership="fqhc", ehr_vendor="Epic", clinicians=None)  # size unknown: not ruled out
    assert Tip("B1", "x").suits(ownership="other", ehr_vendor="", clinicians=40)


def test_diary_tags_come_from_the_list():
    assert _problems(DiaryEntry(date(2026, 5, 5), "x", tags=["gossip"]), today=date(2026, 5, 5)) == [
        "Tag 'gossip' is not one of: barrier, success, question, idea"]


def test_one_mark_id_per_person_and_tip():
    assert tip_mark_id("t1", "ann") == tip_mark_id("t1", "ann") != tip_mark_id("t1", "bob")
    assert len(tip_mark_id("t" * 36, "x" * 200)) <= 60


def test_scope_keys_and_practice_ids_never_mix():
    assert scope_key("cooperative", 3) == "~coop:3" and scope_key("personal", 9) == "~user:9"
    assert "may not start with" in (id_problem("visit", "v1", "~coop:3") or "")
    assert "may not start with" in (id_problem("practice", "~user:1", "~user:1") or "")
    assert id_problem("tip", "t1", "~coop:3") is None and id_problem("tip", "t1", "~coop") is None
    assert "scope must be '~coop'" in (id_problem("tip", "t1", "p1") or "")
    assert "scope must be '~user'" in (id_problem("diary_entry", "d1", "~coop:3") or "")
