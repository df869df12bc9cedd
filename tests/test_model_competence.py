"""C2 competence (hard): x only for holders of the task's competence; x for a
tier in ``registered_for`` only for registered roles.

Cost per available hour (the tie-break): nurse 60000 / 30 = 2000, support
30000 / 30 = 1000, admin 10000 / 30 = 333.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, task, total

TIERS = {
    "red": {"severity": 5, "caseload_weight": 1.0},
    "green": {"severity": 2, "caseload_weight": 1.0},
}


def review_team(nurse_fte: float) -> dict:
    # review: 2 h once a week; red 5 people -> 10 h, green 10 people -> 20 h;
    # red is registered-only. admin is cheapest but lacks engagement.
    return base_scenario(
        tiers=TIERS,
        roles={
            "nurse": role(True, 60000, ["engagement"]),
            "support": role(False, 30000, ["engagement"]),
            "admin": role(False, 10000, ["medication"]),
        },
        establishment={"nurse": nurse_fte, "support": 1.0, "admin": 1.0},
        cohort=[{"tier": "red", "people": 5}, {"tier": "green", "people": 10}],
        tasks={"review": task("engagement", 2.0, {"red": 1, "green": 1}, registered_for=["red"])},
    )


def test_registered_only_tier_goes_to_registered_role(tiny):
    # red 10 h: only the nurse may; green 20 h: support (cheaper) takes it all
    plan = tiny.solve(review_team(1.0))
    assert plan["status"] == "optimal"
    assert rows(plan, "allocation", segment="red/all") == [
        {
            "task": "review",
            "segment": "red/all",
            "role": "nurse",
            "staff": None,
            "hours_per_week": 10.0,
        }
    ]
    assert rows(plan, "allocation", segment="green/all") == [
        {
            "task": "review",
            "segment": "green/all",
            "role": "support",
            "staff": None,
            "hours_per_week": 20.0,
        }
    ]
    assert rows(plan, "allocation", role="admin") == []
    assert plan["risks"] == []


def test_short_registered_role_is_not_covered_by_unregistered(tiny):
    # nurse 0.3 FTE = 9 h < 10 h red demand: 1 h short although support has
    # 30 - 20 = 10 h idle. red, criticality 3 -> consequence round(sqrt(15)) = 4;
    # 1/10 = 10 % -> likelihood 3; score 12; not a red flag (1 h <= 8, 10 % <= 25 %)
    plan = tiny.solve(review_team(0.3))
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", segment="red/all", role="nurse") == 9.0
    assert rows(plan, "allocation", segment="red/all", role="support") == []
    assert total(plan, "allocation", segment="green/all", role="support") == 20.0
    (risk,) = plan["risks"]
    assert risk["category"] == "review_frequency"
    assert (risk["task"], risk["segment"], risk["shortfall"]) == ("review", "red/all", 1.0)
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (4, 3, 12)
    assert risk["red_flag"] is False


def test_no_registered_holder_is_a_competence_gap(tiny):
    # nurse at 0 FTE: nobody registered holds engagement -> all 10 red hours are a
    # competence gap (red flag: 10 h > 8 h of registered-only work)
    plan = tiny.solve(review_team(0.0))
    assert rows(plan, "allocation", segment="red/all") == []
    assert total(plan, "allocation", segment="green/all", role="support") == 20.0
    (risk,) = plan["risks"]
    assert risk["category"] == "competence_gap"
    assert (risk["segment"], risk["shortfall"]) == ("red/all", 10.0)
    assert risk["red_flag"] is True


def test_competence_nobody_holds_leaves_idle_capacity_idle(tiny):
    # prescribing: nobody holds it. 10 green people x 1 h = 10 h all short, although
    # everyone has spare time
    data = review_team(1.0)
    data["tasks"]["prescribe"] = task("prescribing", 1.0, {"green": 1})
    plan = tiny.solve(data)
    assert rows(plan, "allocation", task="prescribe") == []
    (risk,) = plan["risks"]
    assert risk["category"] == "competence_gap"
    assert (risk["task"], risk["segment"], risk["shortfall"]) == ("prescribe", "green/all", 10.0)


def test_cheapest_role_without_competence_never_works(tiny):
    # admin is cheapest and idle, support is short: support 0.5 FTE = 15 h for
    # 20 h of green review -> the nurse (registered, competent) does the other 5 h
    data = review_team(1.0)
    data["establishment"]["support"] = 0.5
    plan = tiny.solve(data)
    assert total(plan, "allocation", segment="green/all", role="support") == 15.0
    assert total(plan, "allocation", segment="green/all", role="nurse") == 5.0
    assert total(plan, "allocation", role="admin") == 0.0
    assert risks(plan) == []
