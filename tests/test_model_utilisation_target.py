"""C1 with a utilisation target: Σ work <= utilisation_target x available.

The tiny skeleton: hours_per_fte 40, headroom 0.25, so 1.0 FTE = 30 h/week
available. Demand-and-capacity practice plans clinical time at about 80 %, so
at ``utilisation_target: 0.8`` 1.0 FTE may be planned for 0.8 x 30 = 24 h.
C6 (protected continuity) still counts against the whole available time.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, task, total, util


def nurse_team(fte: float, demand_per_week: float, *, policy=None, own=None) -> dict:
    # demand: 10 people x demand_per_week x 1.0 h
    extra = {} if own is None else {"utilisation_target": own}
    data = base_scenario(
        roles={"nurse": role(True, 60000, ["engagement"], **extra)},
        establishment={"nurse": fte},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={"contact": task("engagement", 1.0, {"amber": demand_per_week})},
    )
    if policy is not None:
        data["policies"] = {"utilisation_target": policy}
    return data


def test_target_met_exactly(tiny):
    # 10 x 2.4 x 1 h = 24 h demand = 0.8 x 30 h: met, no risk
    plan = tiny.solve(nurse_team(1.0, 2.4, policy=0.8))
    assert total(plan, "allocation") == 24.0
    u = util(plan, "nurse")
    assert (u["available_hours"], u["target_hours"], u["utilisation_target"]) == (30.0, 24.0, 0.8)
    assert (u["utilisation"], u["utilisation_of_target"]) == (0.8, 1.0)
    assert plan["risks"] == []


def test_target_just_broken_leaves_the_hours_above_it_short(tiny):
    # 10 x 2.5 = 25 h demand; 24 h may be planned: 1 h short although 30 h are available
    plan = tiny.solve(nurse_team(1.0, 2.5, policy=0.8))
    assert total(plan, "allocation") == 24.0
    (risk,) = risks(plan, "coverage_shortfall")
    assert risk["shortfall"] == 1.0


def test_without_target_the_same_demand_fits(tiny):
    # default target 1: 25 h <= 30 h available
    plan = tiny.solve(nurse_team(1.0, 2.5))
    assert total(plan, "allocation") == 25.0
    assert plan["risks"] == []
    assert util(plan, "nurse")["target_hours"] == 30.0


def test_role_target_overrides_policy(tiny):
    # policy 0.8 but the nurse's own 0.9: 0.9 x 30 = 27 h >= 25 h demand
    plan = tiny.solve(nurse_team(1.0, 2.5, policy=0.8, own=0.9))
    assert total(plan, "allocation") == 25.0
    assert util(plan, "nurse")["target_hours"] == 27.0
    assert plan["risks"] == []


def test_continuity_still_counts_against_available(tiny):
    # target 0.5 -> 15 h may be planned; protected continuity 0.6 -> non-continuity
    # work <= 0.4 x 30 = 12 h (of available, not of the target). 10 x 1.5 = 15 h of
    # non-continuity demand: C1 lets 15 h through, C6 erodes 3 h of protected time.
    data = nurse_team(1.0, 1.5, policy=0.5)
    data["roles"]["nurse"]["protected_continuity_share"] = 0.6
    plan = tiny.solve(data)
    assert total(plan, "allocation") == 15.0
    (erosion,) = risks(plan, "continuity_erosion")
    assert erosion["shortfall"] == 3.0


def test_target_out_of_range_is_bad_input(tiny):
    import pytest

    from optimiser.scenario import ScenarioError

    for bad in (0, 1.2, -0.1):
        with pytest.raises(ScenarioError) as info:
            tiny.load(nurse_team(1.0, 1.0, policy=bad))
        assert "policies.utilisation_target" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        tiny.load(nurse_team(1.0, 1.0, own=0))
    assert "roles.nurse.utilisation_target" in str(info.value)


def test_tier_without_coordination_raises_no_caseload_risk(tiny):
    # nobody coordinates (caseload_capacity 0): the amber tier needs coordinators ->
    # 10 people uncoordinated; the same tier with coordination: false -> no C7 at all
    data = base_scenario(
        roles={"nurse": role(True, 60000, ["engagement"], caseload_capacity=0)},
        establishment={"nurse": 1.0},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={"contact": task("engagement", 1.0, {"amber": 1})},
    )
    plan = tiny.solve(data)
    (risk,) = risks(plan, "caseload_over_capacity")
    assert (risk["segment"], risk["shortfall"]) == ("amber/all", 10)
    data["tiers"]["amber"]["coordination"] = False
    plan = tiny.solve(data)
    assert risks(plan, "caseload_over_capacity") == []
    assert plan["coordination"] == []
    assert plan["risks"] == []


def test_tier_without_coordination_is_not_given_coordinators(tiny):
    # a coordinator with room: amber (coordination true) 10 people are placed;
    # green (coordination false) 5 people are not, and nothing is short
    data = base_scenario(
        roles={"nurse": role(True, 60000, ["engagement"], caseload_capacity=100)},
        establishment={"nurse": 1.0},
        tiers={
            "amber": {"severity": 3, "caseload_weight": 1.0},
            "green": {"severity": 2, "caseload_weight": 1.0, "coordination": False},
        },
        cohort=[{"tier": "amber", "people": 10}, {"tier": "green", "people": 5}],
        tasks={"contact": task("engagement", 1.0, {"amber": 1, "green": 1})},
    )
    plan = tiny.solve(data)
    assert [(r["segment"], r["people"]) for r in plan["coordination"]] == [("amber/all", 10)]
    assert plan["risks"] == []


def test_checker_holds_plans_to_the_target(tiny):
    # the plan made without a target fills 25 h; held to 0.8 x 30 = 24 h it breaks C1
    from conftest import check_plan

    plan = tiny.solve(nurse_team(1.0, 2.5))
    assert check_plan(nurse_team(1.0, 2.5), plan) == []
    problems = check_plan(nurse_team(1.0, 2.5, policy=0.8), plan)
    assert any(
        p.startswith("C1 capacity: role nurse uses 25.00 h > target x available 24.00 h")
        for p in problems
    ), problems
    problems = check_plan(nurse_team(1.0, 2.5, own=0.8), plan)
    assert any(p.startswith("C1 capacity") for p in problems), problems
