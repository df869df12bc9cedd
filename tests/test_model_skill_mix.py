"""``policies.registered_share_min``: solve reports ``skill_mix_dilution`` when
today's registered share of the team's FTE is below the floor."""

from __future__ import annotations

from conftest import base_scenario, risks, role, task


def team(share_min: float | None) -> dict:
    # nurse (registered) 1.0 FTE + support (not registered) 3.0 FTE: 1 / 4 = 25 % registered
    data = base_scenario(
        roles={
            "nurse": role(True, 50000, ["engagement"]),
            "support": role(False, 30000, ["engagement"]),
        },
        establishment={"nurse": 1.0, "support": 3.0},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={"contact": task("engagement", 1.0, {"amber": 1})},
    )
    if share_min is not None:
        data["policies"] = {"registered_share_min": share_min}
    return data


def test_share_just_met_raises_no_risk(tiny):
    # floor 25 % = 1 / 4 exactly
    plan = tiny.solve(team(0.25))
    assert risks(plan, "skill_mix_dilution") == []
    assert plan["risks"] == []


def test_share_just_broken_is_a_risk_with_the_fte_to_add(tiny):
    # floor 50 %: 0.5 x 4 - 1 = 1 FTE short of half; adding x registered FTE:
    # (1 + x) / (4 + x) = 0.5 -> x = 2 FTE (cheapest registered role: nurse, £100,000)
    plan = tiny.solve(team(0.5), mitigations=True)
    (risk,) = risks(plan, "skill_mix_dilution")
    # reported as the contracted hours of that FTE: 2 x 40 h (hours_per_fte 40)
    assert (risk["shortfall_fte"], risk["shortfall"], risk["unit"]) == (2.0, 80.0, "hours_per_week")
    # 1 FTE short of a requirement of 2: half -> likelihood 5, consequence 3
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (3, 5, 15)
    (mitigation,) = risk["mitigations"]
    assert (mitigation["role"], mitigation["fte"], mitigation["annual_cost"]) == (
        "nurse",
        2.0,
        100000.0,
    )


def test_no_floor_no_risk(tiny):
    assert risks(tiny.solve(team(None)), "skill_mix_dilution") == []
