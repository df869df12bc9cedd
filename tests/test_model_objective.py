"""The lexicographic objective: least risk penalty first, then top-of-licence cost.

Weights (optimiser/penalties.py): an hour (or person) short at consequence c
weighs 10^(c-1); coverage consequence = round(sqrt(severity x criticality)).
Cost per available hour: nurse 60000 / 30 = 2000, support 30000 / 30 = 1000.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, task, total

TIERS = {
    "red": {"severity": 5, "caseload_weight": 1.0},
    "green": {"severity": 2, "caseload_weight": 1.0},
}


def squeezed(contact_people: int, support_fte: float = 0.0) -> dict:
    # file order puts the cheap green contact first: contact green 20 x 1 h
    # (consequence round(sqrt(2 x 3)) = 2, 10/h); risk_review red registered-only,
    # criticality 5 (consequence 5, 10000/h), 20 x 1 h
    return base_scenario(
        tiers=TIERS,
        roles={
            "nurse": role(True, 60000, ["engagement", "risk"]),
            "support": role(False, 30000, ["engagement"]),
        },
        establishment={"nurse": 1.0, "support": support_fte},
        cohort=[{"tier": "green", "people": contact_people}, {"tier": "red", "people": 20}],
        tasks={
            "contact": task("engagement", 1.0, {"green": 1}),
            "risk_review": task("risk", 1.0, {"red": 1}, registered_for=["red"], criticality=5),
        },
    )


def test_red_registered_work_before_cheaper_slack(tiny):
    # nurse 30 h for 40 h of work: all 20 h of red review, 10 of 20 h contact.
    # penalty 10 h x 10 = 100 (the other way round would be 10 h x 10000)
    plan = tiny.solve(squeezed(20))
    assert total(plan, "allocation", task="risk_review", role="nurse") == 20.0
    assert total(plan, "allocation", task="contact", role="nurse") == 10.0
    (risk,) = plan["risks"]
    assert (risk["category"], risk["task"], risk["shortfall"]) == (
        "coverage_shortfall",
        "contact",
        10.0,
    )
    assert plan["objective"]["risk_penalty"] == 100.0


def test_penalty_outweighs_any_cost(tiny):
    # with 1000 green people (1000 h of contact) the red review still comes first
    plan = tiny.solve(squeezed(1000))
    assert total(plan, "allocation", task="risk_review") == 20.0
    assert risks(plan, "review_frequency") == []
    (risk,) = risks(plan, "coverage_shortfall")
    assert risk["shortfall"] == 990.0


def test_cheaper_competent_role_does_unregistered_work(tiny):
    # support 1.0 FTE (30 h) does all 20 h of contact at 1000/h; the nurse keeps to
    # the registered-only review: hours cost 20 x 1000 + 20 x 2000 = 60000
    plan = tiny.solve(squeezed(20, support_fte=1.0))
    assert rows(plan, "allocation", task="contact") == [
        {
            "task": "contact",
            "segment": "green/all",
            "role": "support",
            "staff": None,
            "hours_per_week": 20.0,
        }
    ]
    assert total(plan, "allocation", task="risk_review", role="nurse") == 20.0
    assert plan["risks"] == []
    assert plan["objective"]["risk_penalty"] == 0


def test_registered_role_tops_up_cheaper_role(tiny):
    # support 0.5 FTE = 15 h of contact; the nurse does the other 5 h (and 20 h review)
    plan = tiny.solve(squeezed(20, support_fte=0.5))
    assert total(plan, "allocation", task="contact", role="support") == 15.0
    assert total(plan, "allocation", task="contact", role="nurse") == 5.0
    assert plan["risks"] == []


def test_fully_coverable_weight_one_demand_has_no_phantom_risk(tiny):
    # green severity 1 x criticality 1 -> consequence 1, weight 1 per hour.
    # 1 person, 1.5 h every 4 weeks = 0.375 h/week; the nurse has 30 h idle.
    data = base_scenario(
        tiers={"green": {"severity": 1, "caseload_weight": 1.0}},
        roles={"nurse": role(True, 60000, ["engagement"])},
        establishment={"nurse": 1.0},
        cohort=[{"tier": "green", "people": 1}],
        tasks={"visit": task("engagement", 1.5, {"green": {"every_weeks": 4}}, criticality=1)},
    )
    plan = tiny.solve(data)
    assert plan["objective"]["risk_penalty"] == 0
    assert plan["risks"] == []
    assert total(plan, "allocation") == 0.38
