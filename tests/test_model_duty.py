"""C8 duty cover (soft): Σd >= duty.hours_per_week, d only for registered holders
of the duty competence (C2). Duty shortfall weighs consequence 4 (1000/h).
"""

from __future__ import annotations

from conftest import base_scenario, role, rows, total, util


def duty_team(nurse_fte: float, hours: float = 10.0) -> dict:
    # support holds risk but is not registered; psych is registered without risk
    return base_scenario(
        roles={
            "nurse": role(True, 60000, ["risk"]),
            "lead": role(True, 90000, ["risk"]),
            "support": role(False, 30000, ["risk"]),
            "psych": role(True, 20000, ["engagement"]),
        },
        establishment={"nurse": nurse_fte, "lead": 0.0, "support": 1.0, "psych": 1.0},
        policies={"duty": {"hours_per_week": hours, "competence": "risk", "registered": True}},
    )


def test_duty_by_registered_holder(tiny):
    plan = tiny.solve(duty_team(1.0))
    assert plan["duty"] == [{"role": "nurse", "staff": None, "hours_per_week": 10.0}]
    assert util(plan, "nurse")["duty_hours"] == 10.0
    assert plan["risks"] == []


def test_duty_just_short(tiny):
    # nurse 0.3 FTE = 9 h < 10 h: 1 h short; support and psych may not help.
    # consequence 4; 1/10 = 10 % -> likelihood 3; score 12
    plan = tiny.solve(duty_team(0.3))
    assert total(plan, "duty", role="nurse") == 9.0
    assert rows(plan, "duty", role="support") == rows(plan, "duty", role="psych") == []
    (risk,) = plan["risks"]
    assert risk["category"] == "duty_cover"
    assert (risk["shortfall"], risk["unit"]) == (1.0, "hours_per_week")
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (4, 3, 12)
    assert plan["objective"]["risk_penalty"] == 1000.0


def test_duty_split_cheapest_first(tiny):
    # nurse 0.2 FTE = 6 h (2000/h) then lead 0.2 FTE = 6 h (3000/h): 6 + 4
    data = duty_team(0.2)
    data["establishment"]["lead"] = 0.2
    plan = tiny.solve(data)
    assert total(plan, "duty", role="nurse") == 6.0
    assert total(plan, "duty", role="lead") == 4.0
    assert plan["risks"] == []
