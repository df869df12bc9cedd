"""C3 coverage (soft): Σx + shortfall = demand per task and segment, and the
category of the shortfall: ``competence_gap`` if nobody (for a registered-only
tier: no registered role) holds the competence, ``review_frequency`` if the
tier is in the task's ``registered_for``, else ``coverage_shortfall``.

Demand = people x per_week (1 / every_weeks) x hours, 0 for unlisted tiers and
excluded stages.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, task, total

TIERS = {
    "red": {"severity": 5, "caseload_weight": 1.0},
    "amber": {"severity": 3, "caseload_weight": 1.0},
    "green": {"severity": 2, "caseload_weight": 1.0},
}


def test_demand_arithmetic(tiny):
    # visit: 1.5 h; red every 2 weeks, amber once a week; green not listed;
    # stages [crisis, all]:
    #   red/crisis 3 x 0.5 x 1.5 = 2.25; red/stabilisation excluded by stage;
    #   amber/all 6 x 1 x 1.5 = 9; green/all not listed; amber/empty has 0 people
    # check: 2 h every 4 weeks -> 0.5 h per red person a week: 3 x 0.5 = 1.5, 4 x 0.5 = 2
    data = base_scenario(
        tiers=TIERS,
        roles={"nurse": role(True, 60000, ["engagement"])},
        establishment={"nurse": 1.0},
        cohort=[
            {"tier": "red", "stage": "crisis", "people": 3},
            {"tier": "red", "stage": "stabilisation", "people": 4},
            {"tier": "amber", "people": 6},
            {"tier": "amber", "stage": "empty", "people": 0},
            {"tier": "green", "people": 8},
        ],
        tasks={
            "visit": task(
                "engagement",
                1.5,
                {"red": {"every_weeks": 2}, "amber": 1},
                stages=["crisis", "all"],
            ),
            "check": task("engagement", 2.0, {"red": {"every_weeks": 4}}),
        },
    )
    plan = tiny.solve(data)
    assert [(d["task"], d["segment"], d["hours_per_week"]) for d in plan["demand"]] == [
        ("visit", "red/crisis", 2.25),
        ("visit", "amber/all", 9.0),
        ("check", "red/crisis", 1.5),
        ("check", "red/stabilisation", 2.0),
    ]
    # 2.25 + 9 + 1.5 + 2 = 14.75 h, all by the nurse
    assert total(plan, "allocation") == 14.75
    assert plan["risks"] == []


def three_categories() -> dict:
    # nurse 0.1 FTE = 3 h, support 0.1 FTE = 3 h
    #   review (registered-only for red): red 5 x 1 h = 5 h; nurse 3 -> 2 short
    #     (weight: red 5 x criticality 3 -> consequence 4 -> 1000/h, so the nurse
    #     spends all 3 h here, none on contact)
    #   contact: green 5 x 1 h = 5 h; support 3 -> 2 short (consequence 2)
    #   prescribe: nobody holds prescribing; green 2 x 1 h = 2 h short
    return base_scenario(
        tiers=TIERS,
        roles={
            "nurse": role(True, 60000, ["engagement"]),
            "support": role(False, 30000, ["engagement"]),
        },
        establishment={"nurse": 0.1, "support": 0.1},
        cohort=[{"tier": "red", "people": 5}, {"tier": "green", "people": 5}],
        tasks={
            "review": task("engagement", 1.0, {"red": 1}, registered_for=["red"]),
            "contact": task("engagement", 1.0, {"green": 1}),
            "prescribe": task("prescribing", 1.0, {"green": {"every_weeks": 2.5}}),
        },
    )


def test_each_category_with_exact_shortfall(tiny):
    plan = tiny.solve(three_categories())
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", task="review", role="nurse") == 3.0
    assert total(plan, "allocation", task="contact", role="support") == 3.0
    found = {
        (r["category"], r["task"], r["segment"], r["shortfall"], r["consequence"])
        for r in plan["risks"]
    }
    assert found == {
        ("review_frequency", "review", "red/all", 2.0, 4),
        # green (2) x criticality 3: round(sqrt(6)) = 2
        ("coverage_shortfall", "contact", "green/all", 2.0, 2),
        ("competence_gap", "prescribe", "green/all", 2.0, 2),
    }
    # 2 h x 1000 + 2 h x 10 + 2 h x 10
    assert plan["objective"]["risk_penalty"] == 2040.0


def test_just_enough_staff_clears_coverage_categories(tiny):
    # nurse 5/30 FTE would do; 0.2 FTE = 6 h >= 5 h review; support 0.2 = 6 h >= 5 h
    # contact (the nurse's spare 1 h is not needed); only the competence gap remains
    data = three_categories()
    data["establishment"] = {"nurse": 0.2, "support": 0.2}
    plan = tiny.solve(data)
    assert {r["category"] for r in plan["risks"]} == {"competence_gap"}
    assert total(plan, "allocation", task="contact", role="support") == 5.0
    assert rows(plan, "allocation", task="contact", role="nurse") == []


def test_registered_only_is_per_tier(tiny):
    # review is registered-only for red but not green: support (cheaper) does green
    data = three_categories()
    data["establishment"] = {"nurse": 1.0, "support": 1.0}
    data["tasks"]["review"]["frequency"]["green"] = {"per_week": 1}
    plan = tiny.solve(data)
    assert total(plan, "allocation", task="review", segment="red/all", role="nurse") == 5.0
    assert total(plan, "allocation", task="review", segment="green/all", role="support") == 5.0
    assert risks(plan, "review_frequency") == []


def red_review(nurse_fte: float, red_flags: dict | None = None) -> dict:
    # review red (registered-only) 10 x 1 h = 10 h; the nurse has nurse_fte x 30 h
    data = base_scenario(
        tiers=TIERS,
        roles={"nurse": role(True, 60000, ["engagement"])},
        establishment={"nurse": nurse_fte},
        cohort=[{"tier": "red", "people": 10}],
        tasks={"review": task("engagement", 1.0, {"red": 1}, registered_for=["red"])},
    )
    if red_flags is not None:
        data["policies"] = {"red_flags": red_flags}
    return data


def test_red_flag_thresholds_for_registered_only_work(tiny):
    # default red flag: registered-only shortfall > 8 h or > 25 % of demand.
    # 0.26 FTE = 7.8 h -> 2.2 h short = 22 %: not red; 0.24 FTE = 7.2 h -> 2.8 h = 28 %: red
    (risk,) = tiny.solve(red_review(0.26))["risks"]
    assert (risk["shortfall"], risk["red_flag"]) == (2.2, False)
    (risk,) = tiny.solve(red_review(0.24))["risks"]
    assert (risk["shortfall"], risk["red_flag"]) == (2.8, True)


def test_red_flag_thresholds_from_policy(tiny):
    # a 20 % threshold makes the 22 % shortfall a red flag
    (risk,) = tiny.solve(red_review(0.26, {"registered_only_share": 0.2}))["risks"]
    assert (risk["shortfall"], risk["red_flag"]) == (2.2, True)
