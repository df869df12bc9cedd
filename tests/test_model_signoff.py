"""C4 clinical sign-off (soft): Σz >= signoff_share x hours of the task done by
non-registered roles; z only by registered holders of the task's competence (C2).

Cost per hour: nurse 2000, support 1000 -> the support worker does the
delegable work and the nurse signs it off (cost 1000 s + 2000 (20 - s) +
2000 x 0.1 s = 40000 - 800 s, least at s = 20).
"""

from __future__ import annotations

from conftest import base_scenario, role, rows, task, total, util


def meds_team(nurse_fte: float) -> dict:
    # meds: amber 20 people x 1 a week x 1 h = 20 h, signoff_share 0.1;
    # psych is registered and cheap but does not hold medication
    return base_scenario(
        roles={
            "nurse": role(True, 60000, ["medication"]),
            "support": role(False, 30000, ["medication"]),
            "psych": role(True, 20000, ["engagement"]),
        },
        establishment={"nurse": nurse_fte, "support": 1.0, "psych": 1.0},
        cohort=[{"tier": "amber", "people": 20}],
        tasks={"meds": task("medication", 1.0, {"amber": 1}, signoff_share=0.1)},
    )


def test_delegated_work_is_signed_off(tiny):
    # support does 20 h; the nurse signs off 0.1 x 20 = 2 h
    plan = tiny.solve(meds_team(1.0))
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", role="support") == 20.0
    assert total(plan, "allocation", role="nurse") == 0.0
    assert rows(plan, "signoff") == [
        {"task": "meds", "role": "nurse", "staff": None, "hours_per_week": 2.0}
    ]
    assert util(plan, "nurse")["signoff_hours"] == 2.0
    assert plan["risks"] == []


def test_short_signoff_capacity_is_clinical_oversight(tiny):
    # nurse 0.05 FTE = 1.5 h, all of it sign-off: 2 - 1.5 = 0.5 h short.
    # (Leaving meds undone to shrink the need is worse: 100/h of coverage saves
    # only 0.1 x 100/h of sign-off.) criticality 3 -> consequence 3; 0.5/2 = 25 %
    # -> likelihood 4; score 12. psych is registered but lacks medication: no sign-off.
    plan = tiny.solve(meds_team(0.05))
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", role="support") == 20.0
    assert rows(plan, "signoff", role="psych") == []
    assert total(plan, "signoff", role="nurse") == 1.5
    (risk,) = plan["risks"]
    assert risk["category"] == "clinical_oversight"
    assert (risk["task"], risk["shortfall"], risk["unit"]) == ("meds", 0.5, "hours_per_week")
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (3, 4, 12)
    assert plan["objective"]["risk_penalty"] == 50.0


def test_no_signoff_when_registered_staff_do_the_work(tiny):
    # without support the nurse does all 20 h itself: nothing delegated, no sign-off
    data = meds_team(1.0)
    data["establishment"]["support"] = 0.0
    plan = tiny.solve(data)
    assert total(plan, "allocation", role="nurse") == 20.0
    assert plan["signoff"] == []
    assert plan["risks"] == []


def test_no_registered_holder_means_whole_requirement_short(tiny):
    # nurse at 0 FTE: support does the 20 h; 2 h of sign-off nobody can give
    data = meds_team(0.0)
    plan = tiny.solve(data)
    assert total(plan, "allocation", role="support") == 20.0
    (risk,) = plan["risks"]
    assert (risk["category"], risk["shortfall"]) == ("clinical_oversight", 2.0)
