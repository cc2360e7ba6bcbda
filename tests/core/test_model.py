from datetime import date, timedelta

import pytest

from facilitator_app.core.codec import from_record, to_record
from facilitator_app.core.errors import ValidationError
from facilitator_app.core.model import (
    Attendee,
    ChecklistItem,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
)
from facilitator_app.core.vocab import Measure, StrategyStatus, VisitMode


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.message for p in exc.value.problems]


@pytest.mark.parametrize("minutes", [0, -5, 721, 10_000])
def test_visit_minutes_out_of_range(minutes):
    with pytest.raises(ValidationError) as exc:
        Visit("p", date(2026, 1, 5), minutes=minutes).validate()
    assert "Minutes must be between 1 and 720" in messages(exc)


def test_visit_reports_every_problem_at_once():
    visit = Visit("p", date(2026, 1, 5), minutes=0, engagement=9, mode="fax",
                  strategies=[StrategyWork("B1"), StrategyWork("B1"), StrategyWork("Q9")],
                  next_steps=[NextStep("")], next_contact=date(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        visit.validate(frozenset({"B1"}))
    found = messages(exc)
    assert "Minutes must be between 1 and 720" in found
    assert "Engagement rating must be between 1 and 5" in found
    assert any(m.startswith("Mode must be one of: on_site") for m in found)
    assert "Strategy B1 is listed twice" in found
    assert any("Unknown strategy 'Q9'" in m for m in found)
    assert "Next step 1: action is required" in found
    assert "Next contact date cannot be before the visit date" in found
    assert set(exc.value.for_field("minutes")) == {"Minutes must be between 1 and 720"}


def test_valid_visit_round_trips_through_codec():
    visit = Visit("p", date(2026, 3, 2), minutes=75, mode=VisitMode.VIDEO.value,
                  attendees=[Attendee("Nguyễn Thị Ánh", "champion")],
                  strategies=[StrategyWork("S4", "selected", "in_progress", "fax form ready")],
                  pdsa=Pdsa(aim="Refer 10 smokers", decision="adopt"), engagement=4,
                  next_steps=[NextStep("Order cuffs", "Muñoz", date(2026, 4, 1))], next_contact=date(2026, 4, 2))
    visit.validate(frozenset({"S4"}))
    record = to_record(visit)
    assert record["date"] == "2026-03-02" and record["next_steps"][0]["due"] == "2026-04-01"
    assert from_record(Visit, record) == visit


def test_measure_numerator_larger_than_denominator():
    with pytest.raises(ValidationError) as exc:
        MeasureValue("p", "B", date(2026, 3, 31), 120, 100).validate()
    assert messages(exc) == ["Numerator cannot be larger than denominator"]


def test_measure_rejects_negative_and_unknown_measure():
    with pytest.raises(ValidationError) as exc:
        MeasureValue("p", "Z", date(2026, 3, 31), -1, 10).validate()
    found = messages(exc)
    assert "Measure must be one of: A, B, C, S" in found
    assert "Numerator must be a whole number, 0 or more" in found


def test_measure_rate_and_cms_id():
    value = MeasureValue("p", "C", date(2026, 3, 31), 63, 90)
    value.validate()
    assert value.cms_id == "CMS347" and value.rate == pytest.approx(0.7)
    assert Measure.S.cms_id == "CMS138"


def test_declined_strategy_needs_a_reason():
    with pytest.raises(ValidationError) as exc:
        ChecklistItem("p", "B1", StrategyStatus.DECLINED.value).validate()
    assert messages(exc) == ["Give a reason when the practice declines a strategy"]
    ChecklistItem("p", "B1", StrategyStatus.DECLINED.value, reason="No staff").validate()


def test_checklist_step_numbers_must_exist():
    with pytest.raises(ValidationError) as exc:
        ChecklistItem("p", "B1", steps_done=[1, 9]).validate(step_count=5)
    assert messages(exc) == ["Step 9 does not exist: this strategy has steps 1 to 5"]


def test_practice_and_contact_validation():
    with pytest.raises(ValidationError) as exc:
        Practice(name=" ", state="XX", clinicians=-1, enrolled_on=date(2026, 2, 1), end_on=date(2026, 1, 1)).validate()
    found = messages(exc)
    assert "Practice name is required" in found
    assert "State 'XX' is not a US state code (for example IL, IN, WI)" in found
    assert "Number of clinicians must be between 0 and 500" in found
    assert "End date cannot be before the enrollment date" in found
    with pytest.raises(ValidationError) as exc:
        Contact("p", "Ann", role="boss", email="not-an-email").validate()
    assert len(messages(exc)) == 2


def test_plan_validation():
    with pytest.raises(ValidationError) as exc:
        FacilitationPlan("p", planned_visits=-1, selected_strategies=["B1", "B1", "Z9"]).validate(frozenset({"B1"}))
    found = messages(exc)
    assert "Planned visits must be between 0 and 200" in found
    assert "Unknown strategy id(s): Z9" in found
    assert "A strategy is listed twice" in found


def test_visit_far_in_future_rejected():
    with pytest.raises(ValidationError):
        Visit("p", date.today() + timedelta(days=400)).validate()
