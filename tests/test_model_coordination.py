"""C7 care coordination (soft): for each segment Σ y + uncoordinated = people,
y whole people, only for roles with caseload_capacity > 0 (registered ones for
tiers in ``coordination_registered_for``); Σ y x caseload_weight <=
caseload_capacity x fte per role. Shortfall unit: people, per segment.

Top-of-licence cost per caseload point: nurse 60000 / 10 = 6000, support
30000 / 10 = 3000.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, total, util


def caseload(red: int, green: int, nurse_capacity: float = 10, support_fte: float = 1.0) -> dict:
    # red weight 2 (registered coordinator only), green weight 0.5
    data = base_scenario(
        tiers={
            "red": {"severity": 5, "caseload_weight": 2.0},
            "green": {"severity": 2, "caseload_weight": 0.5},
        },
        roles={
            "nurse": role(True, 60000, [], caseload_capacity=nurse_capacity),
            "support": role(False, 30000, [], caseload_capacity=10),
            "admin": role(False, 10000, [], caseload_capacity=0),
        },
        establishment={"nurse": 1.0, "support": support_fte, "admin": 1.0},
        cohort=[{"tier": "red", "people": red}, {"tier": "green", "people": green}],
        policies={"coordination_registered_for": ["red"]},
    )
    return data


def test_everyone_coordinated_top_of_licence(tiny):
    # red 4 x 2 = 8 points to the nurse (registered only); green 10 x 0.5 = 5
    # points to support (3000 per point < 6000); admin (capacity 0) none
    plan = tiny.solve(caseload(4, 10))
    assert plan["status"] == "optimal"
    assert plan["coordination"] == [
        {"segment": "red/all", "role": "nurse", "staff": None, "people": 4},
        {"segment": "green/all", "role": "support", "staff": None, "people": 10},
    ]
    assert util(plan, "nurse")["caseload_points"] == 8.0
    assert util(plan, "support")["caseload_points"] == 5.0
    assert util(plan, "nurse")["caseload_capacity"] == 10.0
    assert plan["risks"] == []


def test_caps_leave_exact_people_uncoordinated(tiny):
    # green 30 x 0.5 = 15 points; support caps at 10 points = 20 people; the nurse
    # has 10 - 8 = 2 points left = 4 green people; 30 - 24 = 6 uncoordinated.
    # green severity 2 -> consequence 2; 6/30 = 20 % -> likelihood 3
    plan = tiny.solve(caseload(4, 30))
    assert total(plan, "coordination", "people", segment="red/all", role="nurse") == 4
    assert total(plan, "coordination", "people", segment="green/all", role="support") == 20
    assert total(plan, "coordination", "people", segment="green/all", role="nurse") == 4
    (risk,) = plan["risks"]
    assert risk["category"] == "caseload_over_capacity"
    assert (risk["segment"], risk["tier"], risk["shortfall"], risk["unit"]) == (
        "green/all",
        "green",
        6.0,
        "people",
    )
    assert (risk["consequence"], risk["likelihood"]) == (2, 3)
    assert plan["objective"]["risk_penalty"] == 60.0


def test_red_only_registered_and_whole_people(tiny):
    # red 6 x 2 = 12 points, nurse cap 11: 5 people (10 points), not 5.5; support
    # has 10 idle points but red needs a registered coordinator -> 1 uncoordinated
    plan = tiny.solve(caseload(6, 0, nurse_capacity=11))
    assert rows(plan, "coordination") == [
        {"segment": "red/all", "role": "nurse", "staff": None, "people": 5}
    ]
    (risk,) = plan["risks"]
    assert (risk["category"], risk["segment"], risk["shortfall"]) == (
        "caseload_over_capacity",
        "red/all",
        1.0,
    )
    assert risk["consequence"] == 5


def test_exact_cap_fits(tiny):
    # red 5 x 2 = 10 points = the nurse's cap 10 x 1.0 FTE
    plan = tiny.solve(caseload(5, 0))
    assert total(plan, "coordination", "people", role="nurse") == 5
    assert risks(plan) == []


def test_cap_scales_with_fte(tiny):
    # support 0.5 FTE: 10 x 0.5 = 5 points = 10 green people; green 12 -> the nurse
    # takes the other 2 (1 point of its 10)
    plan = tiny.solve(caseload(0, 12, support_fte=0.5))
    assert util(plan, "support")["caseload_capacity"] == 5.0
    assert total(plan, "coordination", "people", role="support") == 10
    assert total(plan, "coordination", "people", role="nurse") == 2
    assert risks(plan) == []
