"""One "declined needs a reason" rule (core.vocab), and one rule for which reason is kept: the
model's validation, the checklist screen, the CLI and a visit that declines all follow it."""

from __future__ import annotations

from datetime import date

import pytest

from facilitator_app.core.errors import ValidationError
from facilitator_app.core.model import ChecklistItem
from facilitator_app.core.vocab import (
    DECLINED_NEEDS_REASON,
    StrategyStatus,
    declined_reason_problem,
    reason_kept,
)

TODAY = date(2026, 3, 18)


@pytest.mark.parametrize("reason", ["", "   ", None, 7])
def test_declined_without_a_reason_is_refused_by_the_rule_and_the_model(reason):
    assert declined_reason_problem(StrategyStatus.DECLINED.value, reason) == DECLINED_NEEDS_REASON
    item = ChecklistItem("p1", "B1", status="declined", reason=reason)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as exc:
        item.validate(today=TODAY)
    assert DECLINED_NEEDS_REASON in [p.message for p in exc.value.problems]


@pytest.mark.parametrize("status", [s.value for s in StrategyStatus if s is not StrategyStatus.DECLINED])
def test_other_statuses_need_no_reason_and_keep_none(status):
    assert declined_reason_problem(status, "") is None
    assert reason_kept(status, "They said no last year") == ""
    ChecklistItem("p1", "B1", status=status).validate(today=TODAY)


def test_a_declined_strategy_keeps_its_reason_trimmed():
    assert reason_kept("declined", "  No staff for it  ") == "No staff for it"
    assert declined_reason_problem("declined", "No staff for it") is None
