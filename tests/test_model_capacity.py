"""C1 capacity (hard): Σx + Σz + d + supervision given + received <= available.

``available = fte x hours_per_fte x (1 - Σ headroom)``; the tiny skeleton has
hours_per_fte 40 and headroom 0.25, so 1.0 FTE is 30 h/week.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, task, total, util


def one_nurse(fte: float, **role_extra) -> dict:
    # demand: 10 people x 2 a week x 1.5 h = 30 h/week of contact
    return base_scenario(
        roles={"nurse": role(True, 60000, ["engagement"], **role_extra)},
        establishment={"nurse": fte},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={"contact": task("engagement", 1.5, {"amber": 2})},
    )


def test_exactly_full_capacity_covers_demand(tiny):
    # nurse 1.0 FTE = 40 x (1 - 0.25) = 30 h available = 30 h demand
    plan = tiny.solve(one_nurse(1.0))
    assert plan["status"] == "optimal"
    assert rows(plan, "demand") == [
        {
            "task": "contact",
            "segment": "amber/all",
            "tier": "amber",
            "stage": "all",
            "hours_per_week": 30.0,
        }
    ]
    assert total(plan, "allocation", task="contact", role="nurse") == 30.0
    u = util(plan, "nurse")
    assert (u["available_hours"], u["task_hours"], u["utilisation"]) == (30.0, 30.0, 1.0)
    assert plan["risks"] == []
    assert plan["objective"]["risk_penalty"] == 0


def test_one_tenth_fte_less_leaves_exact_shortfall(tiny):
    # 0.9 FTE = 27 h; 30 - 27 = 3 h short. amber severity 3, criticality 3 ->
    # consequence round(sqrt(9)) = 3; 3/30 = 10 % -> likelihood 3; score 9.
    # penalty 3 h x weight(3) = 3 x 100 = 300
    plan = tiny.solve(one_nurse(0.9))
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", role="nurse") == 27.0
    assert util(plan, "nurse")["available_hours"] == 27.0
    (risk,) = plan["risks"]
    assert risk["category"] == "coverage_shortfall"
    assert (risk["task"], risk["segment"], risk["tier"]) == ("contact", "amber/all", "amber")
    assert risk["shortfall"] == 3.0 and risk["unit"] == "hours_per_week"
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (3, 3, 9)
    assert plan["objective"]["risk_penalty"] == 300.0


def test_role_headroom_overrides_top_level_component(tiny):
    # the role's annual_leave 0.5 replaces the top-level 0.25:
    # 1.0 FTE = 40 x 0.5 = 20 h available; 30 - 20 = 10 h short
    plan = tiny.solve(one_nurse(1.0, headroom={"annual_leave": 0.5}))
    assert util(plan, "nurse")["available_hours"] == 20.0
    assert total(plan, "allocation") == 20.0
    (risk,) = risks(plan, "coverage_shortfall")
    assert risk["shortfall"] == 10.0


def test_role_headroom_adds_components(tiny):
    # top-level annual_leave 0.25 + the role's sickness 0.05 = 0.30:
    # 40 x 0.7 = 28 h available; 2 h short
    plan = tiny.solve(one_nurse(1.0, headroom={"sickness": 0.05}))
    assert util(plan, "nurse")["available_hours"] == 28.0
    (risk,) = plan["risks"]
    assert risk["shortfall"] == 2.0


def test_capacity_shared_across_tasks_and_roles(tiny):
    # nurse 0.5 FTE = 15 h, support 0.5 FTE = 15 h; contact 10 x 1 x 1.5 = 15 h,
    # meds (only the nurse holds medication) 10 x 1 x 1.5 = 15 h -> both exactly full
    data = base_scenario(
        roles={
            "nurse": role(True, 60000, ["engagement", "medication"]),
            "support": role(False, 30000, ["engagement"]),
        },
        establishment={"nurse": 0.5, "support": 0.5},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={
            "contact": task("engagement", 1.5, {"amber": 1}),
            "meds": task("medication", 1.5, {"amber": 1}, criticality=5),
        },
    )
    plan = tiny.solve(data)
    assert plan["status"] == "optimal"
    assert total(plan, "allocation", task="meds", role="nurse") == 15.0
    assert total(plan, "allocation", task="contact", role="support") == 15.0
    assert total(plan, "allocation", task="contact", role="nurse") == 0.0
    assert plan["risks"] == []
    # just broken: one more person (16.5 h of each task). meds (criticality 5:
    # consequence round(sqrt(15)) = 4, weight 1000) outranks contact (weight 100),
    # so the nurse stays on meds: meds 15 done, 1.5 short; contact 15 by support, 1.5 short
    data["cohort"][0]["people"] = 11
    plan = tiny.solve(data)
    assert total(plan, "allocation", task="meds", role="nurse") == 15.0
    assert total(plan, "allocation", task="contact", role="support") == 15.0
    shortfalls = {(r["task"], r["shortfall"]) for r in plan["risks"]}
    assert shortfalls == {("contact", 1.5), ("meds", 1.5)}
