"""C5 supervision (soft): every person needing supervision gets
``needs_hours_per_week`` from a person of a role in ``supervised_by``; at most
``max_supervisees`` per supervisor person; hours count on both sides (C1);
a role supervises its own persons only when it has headcount >= 2.
The shortfall unit is people: one risk per role left with unsupervised persons.
"""

from __future__ import annotations

from conftest import base_scenario, risks, role, rows, task, total, util

TIERS = {
    "red": {"severity": 5, "caseload_weight": 1.0},
    "green": {"severity": 2, "caseload_weight": 1.0},
}


def supervised_team(support_fte: float, nurse: float | dict = 1.0) -> dict:
    # support needs 1 h/week per person from a nurse; a nurse person takes <= 2;
    # ot could supervise (cap 5) but is not in support's supervised_by
    return base_scenario(
        tiers=TIERS,
        roles={
            "nurse": role(True, 60000, ["engagement"], supervision={"max_supervisees": 2}),
            "ot": role(True, 40000, ["engagement"], supervision={"max_supervisees": 5}),
            "support": role(
                False,
                30000,
                ["medication"],
                supervision={"needs_hours_per_week": 1.0, "supervised_by": ["nurse"]},
            ),
        },
        establishment={"nurse": nurse, "ot": 1.0, "support": support_fte},
    )


def test_supervision_within_cap(tiny):
    # support 2.0 FTE -> headcount 2; one nurse supervises both: 2 x 1 h
    plan = tiny.solve(supervised_team(2.0))
    assert plan["status"] == "optimal"
    assert plan["supervision"] == [
        {
            "supervisor_role": "nurse",
            "supervisor": None,
            "supervisee_role": "support",
            "supervisee": None,
            "persons": 2,
            "hours_per_week": 2.0,
        }
    ]
    assert util(plan, "nurse")["supervision_given_hours"] == 2.0
    assert util(plan, "support")["supervision_received_hours"] == 2.0
    assert util(plan, "ot")["supervision_given_hours"] == 0.0
    assert plan["risks"] == []


def test_one_person_over_the_cap_is_unsupervised(tiny):
    # support 3.0 FTE -> 3 persons; 1 nurse x cap 2 = 2; ot may not -> 1 person short.
    # unregistered -> consequence 4; 1/3 = 33 % -> likelihood 4; score 16
    plan = tiny.solve(supervised_team(3.0))
    assert total(plan, "supervision", "persons") == 2
    assert rows(plan, "supervision", supervisor_role="ot") == []
    (risk,) = plan["risks"]
    assert risk["category"] == "supervision_capacity"
    assert (risk["role"], risk["shortfall"], risk["unit"]) == ("support", 1.0, "people")
    assert (risk["consequence"], risk["likelihood"], risk["score"]) == (4, 4, 16)
    assert plan["objective"]["risk_penalty"] == 1000.0


def test_cap_is_per_supervisor_person(tiny):
    # the same 1.0 FTE nurse as two part-time persons: cap 2 x 2 = 4 >= 3
    plan = tiny.solve(supervised_team(3.0, nurse={"fte": 1.0, "headcount": 2}))
    assert total(plan, "supervision", "persons") == 3
    assert total(plan, "supervision") == 3.0
    assert plan["risks"] == []


def with_red_review(people: int) -> dict:
    # red review, registered-only, criticality 5: consequence 5, 10000/h -- only
    # the nurse (30 h) may do it; nurse supervision hours compete with it
    data = supervised_team(2.0)
    data["roles"]["ot"]["competencies"] = []
    data["cohort"] = [{"tier": "red", "people": people}]
    data["tasks"] = {
        "review": task("engagement", 1.0, {"red": 1}, registered_for=["red"], criticality=5)
    }
    return data


def test_supervisor_hours_count_in_capacity(tiny):
    # 28 h review + 2 x 1 h supervision given = 30 h: fits exactly
    plan = tiny.solve(with_red_review(28))
    assert total(plan, "allocation", role="nurse") == 28.0
    assert total(plan, "supervision", "persons") == 2
    assert util(plan, "nurse")["utilisation"] == 1.0
    assert plan["risks"] == []


def test_supervisor_hours_just_broken(tiny):
    # 29 h review: supervising both needs 31 h. 1 h of red review (10000) costs
    # more than one unsupervised support worker (1000): supervise 1, 29 + 1 = 30
    plan = tiny.solve(with_red_review(29))
    assert total(plan, "allocation", role="nurse") == 29.0
    assert total(plan, "supervision", "persons") == 1
    assert util(plan, "nurse")["supervision_given_hours"] == 1.0
    (risk,) = plan["risks"]
    assert (risk["category"], risk["role"], risk["shortfall"]) == (
        "supervision_capacity",
        "support",
        1.0,
    )


def with_support_work(people: int) -> dict:
    # green meds, only support holds medication: green x criticality 3 -> 10/h.
    # support 2.0 FTE = 60 h, minus 2 x 1 h supervision received
    data = supervised_team(2.0)
    data["cohort"] = [{"tier": "green", "people": people}]
    data["tasks"] = {"meds": task("medication", 1.0, {"green": 1})}
    return data


def test_supervisee_hours_count_in_capacity(tiny):
    # 58 h meds + 2 h received = 60 h
    plan = tiny.solve(with_support_work(58))
    assert total(plan, "allocation", role="support") == 58.0
    assert util(plan, "support")["supervision_received_hours"] == 2.0
    assert plan["risks"] == []


def test_supervisee_hours_just_broken(tiny):
    # 59 h meds: supervision (1000 per person) outranks 1 h of green meds (10/h):
    # both supervised, 58 h meds done, 1 h short
    plan = tiny.solve(with_support_work(59))
    assert total(plan, "supervision", "persons") == 2
    assert total(plan, "allocation", role="support") == 58.0
    (risk,) = plan["risks"]
    assert (risk["category"], risk["shortfall"]) == ("coverage_shortfall", 1.0)


def peers(establishment: float | dict) -> dict:
    # senior practitioners supervise each other: needs 1 h, cap 1 per person
    return base_scenario(
        roles={
            "senior": role(
                True,
                60000,
                ["engagement"],
                supervision={
                    "needs_hours_per_week": 1.0,
                    "supervised_by": ["senior"],
                    "max_supervisees": 1,
                },
            )
        },
        establishment={"senior": establishment},
    )


def test_no_self_supervision_with_headcount_one(tiny):
    # one person cannot supervise themself: 1 of 1 unsupervised.
    # registered -> consequence 3; 100 % -> likelihood 5
    plan = tiny.solve(peers(1.0))
    assert plan["supervision"] == []
    (risk,) = risks(plan, "supervision_capacity")
    assert (risk["role"], risk["shortfall"], risk["consequence"], risk["likelihood"]) == (
        "senior",
        1.0,
        3,
        5,
    )


def test_peer_supervision_with_headcount_two(tiny):
    # two persons supervise each other: 2 persons, 2 h given and 2 h received by
    # the same role (4 h of its 60 h)
    plan = tiny.solve(peers(2.0))
    assert plan["supervision"] == [
        {
            "supervisor_role": "senior",
            "supervisor": None,
            "supervisee_role": "senior",
            "supervisee": None,
            "persons": 2,
            "hours_per_week": 2.0,
        }
    ]
    u = util(plan, "senior")
    assert (u["supervision_given_hours"], u["supervision_received_hours"]) == (2.0, 2.0)
    assert plan["risks"] == []


def test_peer_supervision_counts_persons_not_fte(tiny):
    # 1.0 FTE as two part-time persons may also supervise each other
    plan = tiny.solve(peers({"fte": 1.0, "headcount": 2}))
    assert total(plan, "supervision", "persons") == 2
    assert plan["risks"] == []
