"""Mitigations: for each risk, the smallest multiple of ``sizing.fte_step`` (default
0.1) of one role that removes it, costed at fte x annual_cost, cheapest first.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import base_scenario, risks, role, task
from test_model_competence import review_team
from test_model_continuity import keyworker
from test_model_coordination import caseload
from test_model_signoff import meds_team


def short_contact(step: float | None = None) -> dict[str, Any]:
    # contact: amber 22 people x 2 h = 44 h. nurse 0.8 FTE = 24 h, support 0.5 FTE
    # = 15 h -> 39 h, 5 h short. ot holds engagement but has no establishment (0 FTE).
    # 0.1 FTE = 3 h: 0.1 -> 3 < 5, 0.2 -> 6 >= 5 => 0.2 FTE of any competent role.
    # With fte_step 0.25 (7.5 h) one step does.
    data = base_scenario(
        roles={
            "nurse": role(True, 60000, ["engagement"]),
            "support": role(False, 30000, ["engagement"]),
            "ot": role(True, 40000, ["engagement"]),
            "admin": role(False, 10000, ["medication"]),
        },
        establishment={"nurse": 0.8, "support": 0.5, "admin": 1.0},
        cohort=[{"tier": "amber", "people": 22}],
        tasks={
            "contact": {
                "competence": "engagement",
                "hours": 2.0,
                "frequency": {"amber": {"per_week": 1}},
            }
        },
    )
    if step is not None:
        data["sizing"] = {"fte_step": step}
    return data


def options(risk: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    return [(m["action"], m["role"], m["fte"], m["annual_cost"]) for m in risk["mitigations"]]


def test_smallest_step_multiple_cheapest_first(tiny):
    plan = tiny.solve(short_contact(), mitigations=True)
    (risk,) = plan["risks"]
    assert (risk["category"], risk["shortfall"]) == ("coverage_shortfall", 5.0)
    # 0.2 x 30000 = 6000; 0.2 x 40000 = 8000; 0.2 x 60000 = 12000; admin cannot help
    assert options(risk) == [
        ("add_fte", "support", 0.2, 6000.0),
        ("add_fte", "ot", 0.2, 8000.0),
        ("add_fte", "nurse", 0.2, 12000.0),
    ]


def test_mitigation_removes_the_risk_and_one_step_less_does_not(tiny):
    data = short_contact()
    data["establishment"]["support"] = 0.5 + 0.2
    assert tiny.solve(data)["risks"] == []
    data["establishment"]["support"] = 0.5 + 0.1
    (risk,) = tiny.solve(data)["risks"]
    assert risk["shortfall"] == 2.0  # 44 - 24 - 18


def test_fte_step_from_sizing(tiny):
    # one step of 0.25 FTE = 7.5 h >= 5 h
    plan = tiny.solve(short_contact(step=0.25), mitigations=True)
    (risk,) = plan["risks"]
    assert options(risk) == [
        ("add_fte", "support", 0.25, 7500.0),
        ("add_fte", "ot", 0.25, 10000.0),
        ("add_fte", "nurse", 0.25, 15000.0),
    ]


def test_annual_cost_is_fte_times_cost(tiny):
    plan = tiny.solve(short_contact(step=0.3), mitigations=True)
    for risk in plan["risks"]:
        for m in risk["mitigations"]:
            if m["action"] == "add_fte":
                cost = tiny.load(short_contact()).roles[m["role"]].annual_cost
                assert m["annual_cost"] == pytest.approx(m["fte"] * cost, abs=0.005)
                assert m["fte"] == pytest.approx(0.3)


def test_supervision_mitigation_follows_headcount(tiny):
    # support 3 persons, one nurse (cap 2): 1 unsupervised. +0.1 FTE nurse makes
    # the headcount ceil(1.1) = 2 persons: cap 4 -> 0.1 FTE x 60000 = 6000
    data = base_scenario(
        roles={
            "nurse": role(True, 60000, ["engagement"], supervision={"max_supervisees": 2}),
            "support": role(
                False,
                30000,
                ["medication"],
                supervision={"needs_hours_per_week": 1.0, "supervised_by": ["nurse"]},
            ),
        },
        establishment={"nurse": 1.0, "support": 3.0},
    )
    plan = tiny.solve(data, mitigations=True)
    (risk,) = risks(plan, "supervision_capacity")
    assert options(risk) == [("add_fte", "nurse", 0.1, 6000.0)]
    data["establishment"]["nurse"] = 1.1
    assert tiny.solve(data)["risks"] == []


def test_duty_mitigation(tiny):
    # duty 10 h, nurse 0.3 FTE = 9 h: +0.1 FTE (3 h) covers the 1 h
    data = base_scenario(
        roles={"nurse": role(True, 60000, ["risk"])},
        establishment={"nurse": 0.3},
        policies={"duty": {"hours_per_week": 10.0, "competence": "risk"}},
    )
    (risk,) = tiny.solve(data, mitigations=True)["risks"]
    assert options(risk) == [("add_fte", "nurse", 0.1, 6000.0)]


def test_competence_gap_grows_a_role_from_zero(tiny):
    # nurse at 0 FTE is the only registered holder: red review 10 h is a competence
    # gap; 0.3 FTE = 9 h < 10, 0.4 FTE = 12 h >= 10 -> 0.4 x 60000 = 24000.
    # support and admin are not registered: no scope extension can help
    (risk,) = tiny.solve(review_team(0.0), mitigations=True)["risks"]
    assert risk["category"] == "competence_gap"
    assert options(risk) == [("add_fte", "nurse", 0.4, 24000.0)]


def test_competence_nobody_holds_gets_scope_extensions_cheapest_first(tiny):
    # a locally signed-off competence (12-month rule) no role holds: no FTE helps; each
    # staffed role could be trained (admin 10000 < support 30000 < nurse 60000)
    data = review_team(1.0)
    data["competencies"]["prescribing"]["signoff_valid_months"] = 12
    data["tasks"]["prescribe"] = task("prescribing", 1.0, {"green": 1})
    (risk,) = tiny.solve(data, mitigations=True)["risks"]
    assert [(m["action"], m["role"], m["competency"]) for m in risk["mitigations"]] == [
        ("extend_scope", "admin", "prescribing"),
        ("extend_scope", "support", "prescribing"),
        ("extend_scope", "nurse", "prescribing"),
        ("new_role", None, "prescribing"),
    ]


def test_professional_competence_nobody_holds_needs_a_new_post(tiny):
    # prescribing with no sign-off rule comes with a profession: nobody can be
    # signed off locally, and no role in the scenario holds it -> a new post
    data = review_team(1.0)
    data["tasks"]["prescribe"] = task("prescribing", 1.0, {"green": 1})
    (risk,) = tiny.solve(data, mitigations=True)["risks"]
    assert [(m["action"], m["role"], m["competency"]) for m in risk["mitigations"]] == [
        ("new_role", None, "prescribing"),
    ]


@pytest.mark.parametrize(
    ("data", "category"),
    [
        # red 6 x 2 = 12 points, nurse cap 11 x 1.0: +0.1 FTE -> 11 x 1.1 = 12.1 >= 12
        (caseload(6, 0, nurse_capacity=11), "caseload_over_capacity"),
        # erosion 1 h at share 0.5: +0.1 FTE -> 0.5 x 33 = 16.5 >= 16 h non-continuity
        (keyworker(16), "continuity_erosion"),
        # sign-off 2 h, nurse 0.05 FTE = 1.5 h: +0.1 FTE -> 0.15 x 30 = 4.5 >= 2
        (meds_team(0.05), "clinical_oversight"),
    ],
    ids=["coordination", "continuity", "signoff"],
)
def test_one_step_of_the_nurse_removes_the_risk(tiny, data, category):
    (risk,) = tiny.solve(data, mitigations=True)["risks"]
    assert risk["category"] == category
    assert options(risk) == [("add_fte", "nurse", 0.1, 6000.0)]
