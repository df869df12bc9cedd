"""C6 protected continuity (soft): for a role with protected_continuity_share s,
non-continuity work (Σx on non-continuity tasks + Σz + d) <= (1 - s) x available.
Continuity erosion weighs consequence 2 (10 per hour).
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, task, total, util


def keyworker(assess_people: int, severity: int = 3, criticality: int = 5) -> dict:
    # nurse 1.0 FTE = 30 h, share 0.5 -> at most 15 h of non-continuity work.
    # contact (continuity): amber 10 x 1 h = 10 h;
    # assess (not continuity): "other" tier, people x 1 h; by default severity 3 x
    # criticality 5 -> consequence round(sqrt(15)) = 4, 1000/h (> 10/h erosion)
    return base_scenario(
        tiers={
            "amber": {"severity": 3, "caseload_weight": 1.0},
            "other": {"severity": severity, "caseload_weight": 1.0},
        },
        roles={"nurse": role(True, 60000, ["engagement", "risk"], protected_continuity_share=0.5)},
        establishment={"nurse": 1.0},
        cohort=[{"tier": "amber", "people": 10}, {"tier": "other", "people": assess_people}],
        tasks={
            "contact": task("engagement", 1.0, {"amber": 1}, continuity=True),
            "assess": task("risk", 1.0, {"other": 1}, criticality=criticality),
        },
    )


def test_non_continuity_work_within_limit(tiny):
    # 10 continuity + 15 non-continuity = 25 <= 30; 15 <= 15
    plan = tiny.solve(keyworker(15))
    assert total(plan, "allocation", task="assess") == 15.0
    assert util(plan, "nurse")["continuity_hours"] == 10.0
    assert plan["risks"] == []


def test_one_hour_over_is_continuity_erosion(tiny):
    # 16 h assess -> 16 - 15 = 1 h erosion (cheaper than 1 h of assess undone).
    # requirement 0.5 x 30 = 15 h; 1/15 = 6.7 % -> likelihood 2; consequence 2 -> score 4
    plan = tiny.solve(keyworker(16))
    assert total(plan, "allocation", task="assess") == 16.0
    (risk,) = plan["risks"]
    assert risk["category"] == "continuity_erosion"
    assert (risk["role"], risk["shortfall"], risk["unit"]) == ("nurse", 1.0, "hours_per_week")
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (2, 2, 4)
    assert plan["objective"]["risk_penalty"] == 10.0


def test_cheaper_shortfall_beats_erosion(tiny):
    # the same 16 h, but severity 1 x criticality 1: consequence 1 (1/h) < erosion
    # (10/h): the optimiser leaves 1 h of assess undone instead
    plan = tiny.solve(keyworker(16, severity=1, criticality=1))
    assert total(plan, "allocation", task="assess") == 15.0
    (risk,) = plan["risks"]
    assert (risk["category"], risk["shortfall"]) == ("coverage_shortfall", 1.0)
    assert plan["objective"]["risk_penalty"] == 1.0


def test_duty_is_non_continuity_work(tiny):
    # duty 16 h (consequence 4, 1000/h) + contact 10 h = 26 h <= 30, but 16 > 15
    # non-continuity hours: 1 h erosion
    data = keyworker(0)
    data["policies"] = {"duty": {"hours_per_week": 16.0, "competence": "risk"}}
    plan = tiny.solve(data)
    assert total(plan, "duty", role="nurse") == 16.0
    (risk,) = risks(plan)
    assert (risk["category"], risk["shortfall"]) == ("continuity_erosion", 1.0)
