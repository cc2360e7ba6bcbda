from datetime import date, timedelta

import pytest

from facilitator_app.core.codec import check_fields, from_record, to_record
from facilitator_app.core.errors import ValidationError
from facilitator_app.core.model import (
    Attendee,
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    FacilitatorProfile,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
    add_years,
    id_problem,
    legacy_step_id,
    legacy_step_record,
    looks_like_email,
)
from facilitator_app.core.vocab import Measure, StrategyStatus, VisitMode

TODAY = date(2026, 11, 30)


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.message for p in exc.value.problems]


@pytest.mark.parametrize("minutes", [0, -5, 721, 10_000])
def test_visit_minutes_out_of_range(minutes):
    with pytest.raises(ValidationError) as exc:
        Visit("p", date(2026, 1, 5), minutes=minutes).validate(today=TODAY)
    assert "Minutes must be between 1 and 720" in messages(exc)


def test_visit_reports_every_problem_at_once():
    visit = Visit("p", date(2026, 1, 5), minutes=0, engagement=9, mode="fax",
                  strategies=[StrategyWork("B1"), StrategyWork("B1"), StrategyWork("Q9")],
                  next_contact=date(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        visit.validate(today=TODAY, strategy_ids=frozenset({"B1"}))
    found = messages(exc)
    assert "Minutes must be between 1 and 720" in found
    assert "Engagement rating must be between 1 and 5" in found
    assert any(m.startswith("Mode must be one of: on_site") for m in found)
    assert "Strategy B1 is listed twice" in found
    assert any("Unknown strategy 'Q9'" in m for m in found)
    assert "Next contact date cannot be before the visit date" in found
    assert set(exc.value.for_field("minutes")) == {"Minutes must be between 1 and 720"}


def test_valid_visit_round_trips_through_codec():
    visit = Visit("p", date(2026, 3, 2), minutes=75, mode=VisitMode.VIDEO.value,
                  attendees=[Attendee("Nguyễn Thị Ánh", "champion")],
                  strategies=[StrategyWork("S4", "selected", "in_progress", "fax form ready")],
                  pdsa=Pdsa(aim="Refer 10 smokers", decision="adopt"), engagement=4,
                  practice_notes="Keep the fax forms by the printer", private_notes="Leader seemed tired",
                  next_contact=date(2026, 4, 2))
    visit.validate(today=TODAY, strategy_ids=frozenset({"S4"}))
    record = to_record(visit)
    assert record["date"] == "2026-03-02" and record["next_contact"] == "2026-04-02"
    assert from_record(Visit, record) == visit
    assert from_record(Visit, record, strict=True) == visit


def test_next_step_is_a_record_with_its_own_rules():
    step = NextStep("p", "v", "Order cuffs", owner="Muñoz", due=date(2026, 4, 1))
    step.validate(today=TODAY)
    assert step.is_open and step.is_overdue(date(2026, 4, 2)) and not step.is_overdue(date(2026, 4, 1))
    assert from_record(NextStep, to_record(step)) == step
    bad = NextStep("p", "", " ", status="finished", due=date(1999, 12, 31), closed_on=TODAY + timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        bad.validate(today=TODAY)
    found = messages(exc)
    assert "Next step is required" in found
    assert "The visit that made the step is required" in found
    assert any(m.startswith("Status must be one of: open, done, dropped") for m in found)
    assert "Due date 1999-12-31 is before 2000: check the year" in found
    assert any(m.startswith("Closed on 2026-12-03 is too far ahead") for m in found)


def test_legacy_steps_keep_their_done_flags_and_get_derived_ids():
    assert legacy_step_id("visit-1", 0) == legacy_step_id("visit-1", 0) != legacy_step_id("visit-1", 1)
    done = legacy_step_record("p", "visit-1", 1, {"action": "Fax", "owner": "Bo", "due": "2026-04-01", "done": True})
    assert done is not None and done["status"] == "done" and done["id"] == legacy_step_id("visit-1", 1)
    assert legacy_step_record("p", "visit-1", 0, {"action": "Call"})["status"] == "open"  # type: ignore[index]
    assert legacy_step_record("p", "visit-1", 0, "not a step") is None


def test_measure_numerator_larger_than_denominator():
    with pytest.raises(ValidationError) as exc:
        MeasureValue("p", "B", date(2026, 3, 31), 120, 100).validate(today=TODAY)
    assert messages(exc) == ["Numerator cannot be larger than denominator"]


def test_measure_rejects_negative_huge_and_unknown_measure():
    with pytest.raises(ValidationError) as exc:
        MeasureValue("p", "Z", date(2026, 3, 31), -1, 10).validate(today=TODAY)
    found = messages(exc)
    assert "Measure must be one of: A, B, C, S" in found
    assert "Numerator must be a whole number from 0 to 10,000,000" in found
    with pytest.raises(ValidationError) as exc:
        MeasureValue("p", "B", date(2026, 3, 31), 2 ** 63, 99999999999999999999).validate(today=TODAY)
    assert len(messages(exc)) == 2


def test_measure_rate_and_cms_id():
    value = MeasureValue("p", "C", date(2026, 3, 31), 63, 90)
    value.validate(today=TODAY)
    assert value.cms_id == "CMS347" and value.rate == pytest.approx(0.7)
    assert Measure.S.cms_id == "CMS138"


def test_declined_strategy_needs_a_reason():
    with pytest.raises(ValidationError) as exc:
        ChecklistItem("p", "B1", StrategyStatus.DECLINED.value).validate(today=TODAY)
    assert messages(exc) == ["Give a reason when the practice declines a strategy"]
    ChecklistItem("p", "B1", StrategyStatus.DECLINED.value, reason="No staff").validate(today=TODAY)


def test_checklist_step_numbers_must_exist():
    with pytest.raises(ValidationError) as exc:
        ChecklistItem("p", "B1", steps_done=[1, 9]).validate(today=TODAY, step_count=5)
    assert messages(exc) == ["Step 9 does not exist: this strategy has steps 1 to 5"]


def test_practice_and_contact_validation():
    with pytest.raises(ValidationError) as exc:
        Practice(name=" ", state="XX", clinicians=-1, enrolled_on=date(2026, 2, 1),
                 end_on=date(2026, 1, 1)).validate(today=TODAY)
    found = messages(exc)
    assert "Practice name is required" in found
    assert "State 'XX' is not a US state code (for example IL, IN, WI)" in found
    assert "Number of clinicians must be between 0 and 500" in found
    assert "End date cannot be before the enrollment date" in found
    with pytest.raises(ValidationError) as exc:
        Contact("p", "Ann", role="boss", email="not-an-email").validate(today=TODAY)
    assert len(messages(exc)) == 2


@pytest.mark.parametrize("name", ["Oak\u202eClinic", "Oak\x07Clinic", "Oak\nClinic", "Oak\u2066Clinic"])
def test_names_refuse_control_and_bidi_characters(name):
    with pytest.raises(ValidationError) as exc:
        Practice(name=name).validate(today=TODAY)
    assert any("retype it without" in m for m in messages(exc))
    # Multi-line notes keep their line breaks and tabs.
    Visit("p", TODAY, private_notes="line 1\n\tline 2").validate(today=TODAY)


def test_every_text_has_a_limit_checked_before_any_pattern():
    huge = "a" * 60_000 + "@"
    with pytest.raises(ValidationError) as exc:
        Contact("p", "Ann", email=huge, phone="1" * 5000).validate(today=TODAY)
    found = messages(exc)
    assert "Email is too long (at most 254 characters)" in found
    assert "Phone is too long (at most 30 characters)" in found
    with pytest.raises(ValidationError) as exc:
        Visit("p", TODAY, attendees=[Attendee("x" * 201)], resources_left=["r" * 301],
              strategies=[StrategyWork("B1", note="n" * 2001)]).validate(today=TODAY)
    assert len(messages(exc)) == 3


def test_email_check_is_linear_and_sane():
    assert looks_like_email("ana@example.org") and looks_like_email("a.b+c@mail.example.co")
    for bad in ("ana", "ana@", "@example.org", "ana@example", "ana@@example.org", "an a@example.org",
                "ana@example..org", "a@" + "." * 50_000):
        assert not looks_like_email(bad), bad


def test_plan_validation():
    with pytest.raises(ValidationError) as exc:
        FacilitationPlan("p", planned_visits=-1, planned_hours=float("nan"),
                         selected_strategies=["B1", "B1", "Z9"]).validate(today=TODAY, strategy_ids=frozenset({"B1"}))
    found = messages(exc)
    assert "Planned visits must be between 0 and 200" in found
    assert "Planned hours must be a number from 0 to 1000" in found
    assert "Unknown strategy id(s): Z9" in found
    assert "A strategy is listed twice" in found


@pytest.mark.parametrize("today", [date(2028, 2, 29), date(2026, 12, 31), date(2026, 1, 1)])
def test_dates_are_checked_against_the_day_passed_in(today):
    """29 February must not break the "a year ahead" rule (it used to raise ValueError)."""
    Visit("p", today).validate(today=today)
    Visit("p", add_years(today, 1)).validate(today=today)
    with pytest.raises(ValidationError):
        Visit("p", add_years(today, 1) + timedelta(days=1)).validate(today=today)
    with pytest.raises(ValidationError):
        Visit("p", date(1999, 12, 31)).validate(today=today)
    note = ChecklistNote("p", "B1", "ok", written_on=today + timedelta(days=1))
    note.validate(today=today)


def test_add_years_on_29_february():
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2026, 12, 31), 1) == date(2027, 12, 31)


def test_strict_reading_refuses_what_lenient_reading_accepts():
    record = to_record(Visit("p", TODAY))
    for bad in ({"date": "20261130"}, {"date": "2026-W48-1"}, {"attendees": [{"name": "x", "evil": 1}]},
                {"strategies": "B1"}, {"start_time": "9:30"}, {"attendees": [{"name": "a", "nested": {"deep": [1]}}]}):
        with pytest.raises(ValueError):
            check_fields(Visit, bad)
    with pytest.raises(ValueError):
        from_record(Visit, {**record, "surprise": 1}, strict=True)
    assert from_record(Visit, {**record, "surprise": 1}).date == TODAY  # the laptop's own rows: lenient
    with pytest.raises(ValueError):
        check_fields(FacilitationPlan, {"planned_hours": float("inf")})


def test_ids_that_cannot_be_stored_are_named():
    assert id_problem("practice", "p" * 179, "p" * 179) is None
    assert "too long" in (id_problem("practice", "p" * 180, "p" * 180) or "")
    assert "too long" in (id_problem("visit", "v", "p" * 197) or "")
    assert "control character" in (id_problem("visit", "v\x00", "p") or "")


def test_profile_needs_a_name():
    with pytest.raises(ValidationError):
        FacilitatorProfile().validate()
    FacilitatorProfile("Ana Muñoz", "ana@example.org", "217-555-0100").validate()
