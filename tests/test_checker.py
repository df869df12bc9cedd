"""Tests of the independent plan checker (``optimiser/check.py``).

Every scenario and plan here is built by hand (no solver). ``fte_scenario`` /
``fte_plan`` is a correct tiny plan; each test breaks one rule just enough and
asserts the checker names the row or key that broke it. The arithmetic behind
the base plan:

* available per 1.0 FTE = 37.5 x (1 - 0.15 - 0.05) = 30 h; nurse 2.0 FTE -> 60 h,
  lead 0.2 FTE -> 6 h, support 1.0 FTE -> 30 h.
* demand: contact red/crisis 4 x 1/wk x 1 h = 4; contact green/all 10 x 1/2 x 1 = 5;
  risk_review red/crisis 4 x 1/2 x 2 = 4 (green excluded by ``stages``);
  meds green/all 10 x 1 x 0.5 = 5.
* C1: nurse 4 + 4 + 0.5 signoff + 0.5 given + 1.0 received = 10 <= 60;
  lead 5 duty + 1.0 given = 6 <= 6 (exactly full); support 5 + 5 + 0.5 = 10.5 <= 30.
* C4: 0.1 x 5 h of meds by support = 0.5 h signed off by the nurse.
* C6: nurse non-continuity 4 + 0.5 = 4.5 <= 0.5 x 60; support 5 <= 0.5 x 30.
* C7: nurse 4 x 2.0 + 10 x 1.0 = 18 points <= 20 x 2.0.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from optimiser.check import (
    CheckerInputError,
    add_months,
    check_files,
    check_plan,
    derive_demand,
    expected_shortfalls,
    load_scenario_dict,
    merge_scenarios,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "cmht-north.yaml"

# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def fte_scenario() -> dict[str, Any]:
    """A tiny FTE-mode team: nurse 2.0, lead 0.2, support worker 1.0."""
    return {
        "name": "tiny",
        "plan_date": date(2026, 6, 1),
        "hours_per_fte": 37.5,
        "headroom": {"annual_leave": 0.15, "sickness": 0.05, "source": "test"},
        "competencies": {
            "engagement": {"title": "Engagement"},
            "risk_assessment": {"title": "Risk", "signoff_valid_months": 12},
            "medication": {"title": "Meds", "signoff_valid_months": 12},
        },
        "roles": {
            "nurse": {
                "title": "Nurse",
                "registered": True,
                "annual_cost": 50000,
                "competencies": ["engagement", "risk_assessment", "medication"],
                "caseload_capacity": 20,
                "protected_continuity_share": 0.5,
                "supervision": {
                    "needs_hours_per_week": 0.5,
                    "supervised_by": ["lead"],
                    "max_supervisees": 2,
                },
            },
            "lead": {
                "title": "Team lead",
                "registered": True,
                "annual_cost": 60000,
                "competencies": ["engagement", "risk_assessment"],
                "caseload_capacity": 10,
                "supervision": {"needs_hours_per_week": 0, "max_supervisees": 3},
            },
            "support": {
                "title": "Support worker",
                "registered": False,
                "annual_cost": 30000,
                "competencies": ["engagement", "medication"],
                "protected_continuity_share": 0.5,
                "supervision": {"needs_hours_per_week": 0.5, "supervised_by": ["nurse", "lead"]},
            },
        },
        "establishment": {"nurse": 2.0, "lead": {"fte": 0.2, "headcount": 1}, "support": 1.0},
        "tiers": {
            "red": {"title": "High", "severity": 5, "caseload_weight": 2.0},
            "green": {"title": "Low", "severity": 2, "caseload_weight": 1.0},
        },
        "cohort": [
            {"tier": "red", "stage": "crisis", "people": 4},
            {"tier": "green", "people": 10},
        ],
        "tasks": {
            "contact": {
                "title": "Contact",
                "competence": "engagement",
                "hours": 1.0,
                "continuity": True,
                "frequency": {"red": {"per_week": 1}, "green": {"every_weeks": 2}},
                "registered_for": ["red"],
            },
            "risk_review": {
                "title": "Risk review",
                "competence": "risk_assessment",
                "hours": 2.0,
                "stages": ["crisis"],
                "frequency": {"red": {"every_weeks": 2}, "green": {"every_weeks": 4}},
                "registered_for": ["red"],
            },
            "meds": {
                "title": "Medication support",
                "competence": "medication",
                "hours": 0.5,
                "frequency": {"green": {"per_week": 1}},
                "signoff_share": 0.1,
            },
        },
        "policies": {
            "duty": {"hours_per_week": 5.0, "competence": "risk_assessment", "registered": True},
            "coordination_registered_for": ["red"],
        },
    }


def _demand_rows() -> list[dict[str, Any]]:
    rows = [
        ("contact", "red/crisis", 4.0),
        ("contact", "green/all", 5.0),
        ("risk_review", "red/crisis", 4.0),
        ("meds", "green/all", 5.0),
    ]
    return [
        {
            "task": t,
            "segment": s,
            "tier": s.split("/")[0],
            "stage": s.split("/")[1],
            "hours_per_week": h,
        }
        for t, s, h in rows
    ]


def alloc(task: str, segment: str, role: str, hours: float, staff: str | None = None) -> dict:
    """One allocation row."""
    return {"task": task, "segment": segment, "role": role, "staff": staff, "hours_per_week": hours}


def fte_plan() -> dict[str, Any]:
    """The correct plan for :func:`fte_scenario` (see the module docstring)."""
    return {
        "scenario": "tiny",
        "mode": "fte",
        "strict": False,
        "status": "optimal",
        "demand": _demand_rows(),
        "allocation": [
            alloc("contact", "red/crisis", "nurse", 4.0),
            alloc("contact", "green/all", "support", 5.0),
            alloc("risk_review", "red/crisis", "nurse", 4.0),
            alloc("meds", "green/all", "support", 5.0),
        ],
        "signoff": [{"task": "meds", "role": "nurse", "staff": None, "hours_per_week": 0.5}],
        "duty": [{"role": "lead", "staff": None, "hours_per_week": 5.0}],
        "supervision": [
            {
                "supervisor_role": "lead",
                "supervisor": None,
                "supervisee_role": "nurse",
                "supervisee": None,
                "persons": 2,
                "hours_per_week": 1.0,
            },
            {
                "supervisor_role": "nurse",
                "supervisor": None,
                "supervisee_role": "support",
                "supervisee": None,
                "persons": 1,
                "hours_per_week": 0.5,
            },
        ],
        "coordination": [
            {"segment": "red/crisis", "role": "nurse", "staff": None, "people": 4},
            {"segment": "green/all", "role": "nurse", "staff": None, "people": 10},
        ],
        "risks": [],
    }


UNITS = {"supervision_capacity": "people", "caseload_over_capacity": "people"}


def risk(rid: str, category: str, shortfall: float, **fields: Any) -> dict[str, Any]:
    """A well-formed risk of ``category`` naming ``fields`` (task, segment, role, ...)."""
    base: dict[str, Any] = {
        "id": rid,
        "category": category,
        "consequence": 4,
        "likelihood": 3,
        "score": 12,
        "red_flag": False,
        "title": f"Test risk {rid}.",
        "detail": "",
        "task": None,
        "tier": None,
        "segment": None,
        "role": None,
        "staff": None,
        "shortfall": shortfall,
        "unit": UNITS.get(category, "hours_per_week"),
        "mitigations": [],
    }
    base.update(fields)
    return base


def drop(rows: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    """``rows`` without those whose fields equal ``match``."""
    kept = [r for r in rows if any(r.get(k) != v for k, v in match.items())]
    assert len(kept) < len(rows), f"no row matches {match}"
    return kept


# ---------------------------------------------------------------------------
# The correct plan, and C1 capacity
# ---------------------------------------------------------------------------


def test_correct_tiny_plan_passes() -> None:
    assert check_plan(fte_scenario(), fte_plan()) == []
    assert expected_shortfalls(fte_scenario(), fte_plan()) == {}


def test_demand_is_rederived_by_hand() -> None:
    assert derive_demand(fte_scenario()) == {
        ("contact", "red/crisis"): 4.0,
        ("contact", "green/all"): 5.0,
        ("risk_review", "red/crisis"): 4.0,
        ("meds", "green/all"): 5.0,
    }


def test_capacity_within_rounding_tolerance_passes() -> None:
    plan = fte_plan()
    plan["duty"][0]["hours_per_week"] = 5.04  # lead 6.04 h of 6.00 h, 2 rows: tol 0.06
    assert check_plan(fte_scenario(), plan) == []


def test_capacity_over_by_0_2_hours_is_caught() -> None:
    plan = fte_plan()
    plan["duty"][0]["hours_per_week"] = 5.2
    assert check_plan(fte_scenario(), plan) == [
        "C1 capacity: role lead uses 6.20 h > available 6.00 h"
    ]


def test_role_headroom_overrides_top_level_by_component() -> None:
    scenario = fte_scenario()
    # sickness 0.05 -> 0.10 for the lead only: available 0.2 x 37.5 x 0.75 = 5.625 h
    scenario["roles"]["lead"]["headroom"] = {"sickness": 0.10, "source": "x"}
    assert check_plan(scenario, fte_plan()) == [
        "C1 capacity: role lead uses 6.00 h > available 5.62 h"
    ]


def test_role_missing_from_establishment_has_zero_fte() -> None:
    scenario = fte_scenario()
    del scenario["establishment"]["support"]
    violations = check_plan(scenario, fte_plan())
    assert "C1 capacity: role support uses 10.50 h > available 0.00 h" in violations


# ---------------------------------------------------------------------------
# C2 competence and registration
# ---------------------------------------------------------------------------


def test_allocation_without_competence_is_caught() -> None:
    plan = fte_plan()
    plan["allocation"][3]["role"] = "lead"  # meds needs medication; the lead lacks it
    violations = check_plan(fte_scenario(), plan)
    assert (
        "C2 competence: allocation[3] (task=meds, segment=green/all, role=lead): "
        "role lead does not hold medication"
    ) in violations


def test_unregistered_role_on_registered_for_tier_is_caught() -> None:
    plan = fte_plan()
    plan["allocation"][0]["role"] = "support"  # contact is registered_for red
    assert check_plan(fte_scenario(), plan) == [
        "C2 registration: allocation[0] (task=contact, segment=red/crisis, role=support): "
        "role support is not registered but tier red is in contact.registered_for"
    ]


def test_signoff_by_unregistered_role_is_caught() -> None:
    plan = fte_plan()
    plan["signoff"][0]["role"] = "support"
    assert check_plan(fte_scenario(), plan) == [
        "C2 signoff: signoff[0] (task=meds, role=support): role support is not registered"
    ]


def test_duty_without_duty_competence_is_caught() -> None:
    scenario = fte_scenario()
    scenario["policies"]["duty"]["competence"] = "medication"
    violations = check_plan(scenario, fte_plan())
    assert violations == ["C2 duty: duty[0] (role=lead): role lead does not hold medication"]


def test_unknown_references_are_caught() -> None:
    plan = fte_plan()
    plan["allocation"].append(alloc("nope", "green/all", "ghost", 1.0))
    plan["allocation"].append(alloc("meds", "blue/all", "support", 1.0))
    plan["allocation"].append({**alloc("meds", "green/all", "support", 0.0), "staff": "X1"})
    violations = check_plan(fte_scenario(), plan)
    where = "allocation[4] (task=nope, segment=green/all, role=ghost)"
    assert f"{where}: unknown task 'nope'" in violations
    assert f"{where}: unknown role 'ghost'" in violations
    assert (
        "allocation[5] (task=meds, segment=blue/all, role=support): unknown segment 'blue/all'"
        in violations
    )
    assert (
        "allocation[6] (task=meds, segment=green/all, role=support, staff=X1): "
        "staff must be null in FTE mode, got 'X1'"
    ) in violations


def test_over_allocation_is_caught() -> None:
    plan = fte_plan()
    plan["allocation"][1]["hours_per_week"] = 6.0
    assert check_plan(fte_scenario(), plan) == [
        "C3 coverage (task=contact, segment=green/all): allocated 6.00 h/week > demand 5.00 h/week"
    ]


# ---------------------------------------------------------------------------
# C2 supervision rules
# ---------------------------------------------------------------------------


def test_supervision_cap_exceeded_is_caught() -> None:
    scenario = fte_scenario()
    scenario["roles"]["lead"]["supervision"]["max_supervisees"] = 1
    assert check_plan(scenario, fte_plan()) == [
        "C2 supervision cap: role lead supervises 2 persons > cap 1 "
        "(max_supervisees 1 x headcount 1)"
    ]


def test_supervisor_not_in_supervised_by_is_caught() -> None:
    plan = fte_plan()
    plan["supervision"][0]["supervisor_role"] = "support"
    violations = check_plan(fte_scenario(), plan)
    where = "supervision[0] (supervisor_role=support, supervisee_role=nurse)"
    assert f"C2 supervision: {where}: role support is not in nurse.supervised_by ['lead']" in (
        violations
    )
    assert f"C2 supervision: {where}: role support has max_supervisees 0" in violations


def test_supervision_hours_must_match_persons_times_need() -> None:
    plan = fte_plan()
    plan["supervision"][0]["hours_per_week"] = 0.5  # 2 nurses need 2 x 0.5 h
    assert check_plan(fte_scenario(), plan) == [
        "C5 supervision: supervision[0] (supervisor_role=lead, supervisee_role=nurse): "
        "hours_per_week 0.50 != persons 2 x nurse needs 0.5 = 1.00"
    ]


def _self_supervising_nurses(fte: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Nurses supervising nurses (peer supervision), ``fte`` nurse FTE."""
    scenario = fte_scenario()
    scenario["establishment"]["nurse"] = fte
    scenario["roles"]["nurse"]["supervision"]["supervised_by"] = ["lead", "nurse"]
    persons = int(fte)
    plan = fte_plan()
    plan["supervision"][0].update(
        supervisor_role="nurse", persons=persons, hours_per_week=0.5 * persons
    )
    return scenario, plan


def test_fte_role_may_supervise_own_role_with_headcount_two() -> None:
    scenario, plan = _self_supervising_nurses(2.0)
    assert check_plan(scenario, plan) == []


def test_fte_role_supervising_own_role_with_headcount_one_is_caught() -> None:
    scenario, plan = _self_supervising_nurses(1.0)
    assert check_plan(scenario, plan) == [
        "C2 supervision: supervision[0] (supervisor_role=nurse, supervisee_role=nurse): "
        "role nurse supervises its own role with headcount 1 < 2"
    ]


def test_more_persons_supervised_than_headcount_is_caught() -> None:
    plan = fte_plan()
    plan["supervision"][1].update(persons=2, hours_per_week=1.0)
    violations = check_plan(fte_scenario(), plan)
    assert "C2 supervision: role support has 2 persons supervised > headcount 1" in violations


# ---------------------------------------------------------------------------
# C3 coverage: reporting and categories
# ---------------------------------------------------------------------------


def _contact_green_unallocated() -> dict[str, Any]:
    plan = fte_plan()
    plan["allocation"] = drop(plan["allocation"], task="contact", segment="green/all")
    return plan


def test_coverage_shortfall_without_risk_is_caught() -> None:
    plan = _contact_green_unallocated()
    assert expected_shortfalls(fte_scenario(), plan) == {("coverage", "contact", "green/all"): 5.0}
    assert check_plan(fte_scenario(), plan) == [
        "C3 coverage (task=contact, segment=green/all): shortfall 5.00 h/week "
        "not reported by any coverage_shortfall risk"
    ]


def test_coverage_shortfall_with_matching_risk_passes() -> None:
    plan = _contact_green_unallocated()
    plan["risks"] = [
        risk("R1", "coverage_shortfall", 5.0, task="contact", segment="green/all", tier="green")
    ]
    assert check_plan(fte_scenario(), plan) == []


def test_risk_with_wrong_shortfall_is_caught() -> None:
    plan = _contact_green_unallocated()
    plan["risks"] = [risk("R1", "coverage_shortfall", 4.0, task="contact", segment="green/all")]
    assert check_plan(fte_scenario(), plan) == [
        "C3 coverage (task=contact, segment=green/all): risk R1 reports shortfall "
        "4.00 h/week, plan leaves 5.00 h/week"
    ]


def test_two_risks_for_one_shortfall_are_caught() -> None:
    plan = _contact_green_unallocated()
    plan["risks"] = [
        risk("R1", "coverage_shortfall", 5.0, task="contact", segment="green/all"),
        risk("R2", "coverage_shortfall", 5.0, task="contact", segment="green/all"),
    ]
    assert check_plan(fte_scenario(), plan) == [
        "C3 coverage (task=contact, segment=green/all): 2 risks (R1, R2) report it; "
        "expected exactly one"
    ]


def test_risk_tier_must_match_segment() -> None:
    plan = _contact_green_unallocated()
    plan["risks"] = [
        risk("R1", "coverage_shortfall", 5.0, task="contact", segment="green/all", tier="red")
    ]
    assert check_plan(fte_scenario(), plan) == [
        "risk R1 (coverage_shortfall): tier 'red' != tier 'green' of segment green/all"
    ]


def test_phantom_risk_is_caught() -> None:
    plan = fte_plan()
    plan["risks"] = [risk("R9", "duty_cover", 2.0)]
    assert check_plan(fte_scenario(), plan) == [
        "phantom risk R9 (duty_cover): reports shortfall 2.00 h/week for C8 duty "
        "but the plan leaves 0.00 h/week"
    ]


def test_phantom_risk_naming_no_constraint_is_caught() -> None:
    plan = fte_plan()
    plan["risks"] = [risk("R9", "coverage_shortfall", 3.0, task="meds", segment="red/crisis")]
    assert check_plan(fte_scenario(), plan) == [
        "phantom risk R9 (coverage_shortfall): names C3 coverage ('meds', 'red/crisis'), "
        "which is no constraint of this scenario"
    ]


def _with_extra_task(
    task_id: str, competence: str, registered_for: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add a 1 h/week green task nobody is allocated to (10 people x 1/10 x 1 h)."""
    scenario = fte_scenario()
    scenario["competencies"].setdefault(competence, {"title": competence})
    scenario["tasks"][task_id] = {
        "title": task_id,
        "competence": competence,
        "hours": 1.0,
        "frequency": {"green": {"every_weeks": 10}},
        "registered_for": registered_for,
    }
    plan = fte_plan()
    plan["demand"].append(
        {
            "task": task_id,
            "segment": "green/all",
            "tier": "green",
            "stage": "all",
            "hours_per_week": 1.0,
        }
    )
    return scenario, plan


def _gap_no_holder() -> tuple[dict[str, Any], dict[str, Any], str]:
    scenario, plan = _with_extra_task("therapy", "psychological_therapy", [])
    # a psychologist holds it but is not in the establishment: 0 FTE does not count
    scenario["roles"]["psychologist"] = {
        "title": "Psychologist",
        "registered": True,
        "annual_cost": 70000,
        "competencies": ["psychological_therapy"],
    }
    return scenario, plan, "therapy"


def _gap_no_registered_holder() -> tuple[dict[str, Any], dict[str, Any], str]:
    scenario, plan = _with_extra_task("peer", "peer_support", ["green"])
    scenario["roles"]["support"]["competencies"].append("peer_support")  # unregistered only
    return scenario, plan, "peer"


def _review_frequency() -> tuple[dict[str, Any], dict[str, Any], str]:
    scenario, plan = fte_scenario(), fte_plan()
    plan["allocation"] = drop(plan["allocation"], task="risk_review")
    return scenario, plan, "risk_review"


def _coverage_shortfall() -> tuple[dict[str, Any], dict[str, Any], str]:
    return fte_scenario(), _contact_green_unallocated(), "contact"


CATEGORY_CASES = {
    "competence_gap/nobody": (_gap_no_holder, "green/all", 1.0, "competence_gap"),
    "competence_gap/unregistered-only": (
        _gap_no_registered_holder,
        "green/all",
        1.0,
        "competence_gap",
    ),
    "review_frequency": (_review_frequency, "red/crisis", 4.0, "review_frequency"),
    "coverage_shortfall": (_coverage_shortfall, "green/all", 5.0, "coverage_shortfall"),
}


@pytest.mark.parametrize("case", sorted(CATEGORY_CASES))
def test_coverage_category_right_passes(case: str) -> None:
    build, segment, shortfall, category = CATEGORY_CASES[case]
    scenario, plan, task = build()
    plan["risks"] = [risk("R1", category, shortfall, task=task, segment=segment)]
    assert check_plan(scenario, plan) == []


WRONG_CATEGORIES = [
    (case, reported)
    for case in sorted(CATEGORY_CASES)
    for reported in ("competence_gap", "review_frequency", "coverage_shortfall")
    if reported != CATEGORY_CASES[case][3]
]


@pytest.mark.parametrize(("case", "reported"), WRONG_CATEGORIES)
def test_coverage_category_wrong_is_caught(case: str, reported: str) -> None:
    build, segment, shortfall, category = CATEGORY_CASES[case]
    scenario, plan, task = build()
    plan["risks"] = [risk("R1", reported, shortfall, task=task, segment=segment)]
    assert check_plan(scenario, plan) == [
        f"C3 coverage (task={task}, segment={segment}): risk R1 has category {reported}, "
        f"expected {category}"
    ]


# ---------------------------------------------------------------------------
# C4-C8 reporting
# ---------------------------------------------------------------------------


def test_signoff_shortfall_unreported_is_caught() -> None:
    plan = fte_plan()
    plan["signoff"] = []
    assert check_plan(fte_scenario(), plan) == [
        "C4 signoff (task=meds): shortfall 0.50 h/week not reported by any clinical_oversight risk"
    ]
    plan["risks"] = [risk("R1", "clinical_oversight", 0.5, task="meds")]
    assert check_plan(fte_scenario(), plan) == []


def test_supervision_shortfall_unreported_is_caught() -> None:
    plan = fte_plan()
    plan["supervision"] = plan["supervision"][:1]
    assert check_plan(fte_scenario(), plan) == [
        "C5 supervision (role=support): shortfall 1.00 people "
        "not reported by any supervision_capacity risk"
    ]
    plan["risks"] = [risk("R1", "supervision_capacity", 1, role="support")]
    assert check_plan(fte_scenario(), plan) == []


def test_continuity_erosion_unreported_is_caught() -> None:
    scenario = fte_scenario()
    # support: 5 h of meds (non-continuity) > (1 - 0.9) x 30 = 3 h -> 2 h eroded
    scenario["roles"]["support"]["protected_continuity_share"] = 0.9
    plan = fte_plan()
    assert expected_shortfalls(scenario, plan) == {("continuity", "support"): pytest.approx(2.0)}
    assert check_plan(scenario, plan) == [
        "C6 continuity (role=support): shortfall 2.00 h/week "
        "not reported by any continuity_erosion risk"
    ]
    plan["risks"] = [risk("R1", "continuity_erosion", 2.0, role="support")]
    assert check_plan(scenario, plan) == []


def test_uncoordinated_people_unreported_is_caught() -> None:
    plan = fte_plan()
    plan["coordination"] = drop(plan["coordination"], segment="green/all")
    assert check_plan(fte_scenario(), plan) == [
        "C7 coordination (segment=green/all): shortfall 10.00 people "
        "not reported by any caseload_over_capacity risk"
    ]
    plan["risks"] = [risk("R1", "caseload_over_capacity", 10, segment="green/all", tier="green")]
    assert check_plan(fte_scenario(), plan) == []


def test_duty_shortfall_unreported_is_caught() -> None:
    plan = fte_plan()
    plan["duty"] = []
    assert check_plan(fte_scenario(), plan) == [
        "C8 duty: shortfall 5.00 h/week not reported by any duty_cover risk"
    ]
    plan["risks"] = [risk("R1", "duty_cover", 5.0)]
    assert check_plan(fte_scenario(), plan) == []


def test_caseload_cap_exceeded_is_caught() -> None:
    scenario = fte_scenario()
    scenario["roles"]["nurse"]["caseload_capacity"] = 8  # 8 x 2.0 FTE = 16 < 18 points
    assert check_plan(scenario, fte_plan()) == [
        "C7 caseload cap: role nurse carries 18.00 weighted points > capacity 16.00 "
        "(caseload_capacity 8 x fte 2)"
    ]


def test_unregistered_coordinator_on_registered_tier_is_caught() -> None:
    scenario = fte_scenario()
    scenario["roles"]["support"]["caseload_capacity"] = 10
    plan = fte_plan()
    plan["coordination"][0]["role"] = "support"
    assert check_plan(scenario, plan) == [
        "C2 coordination: coordination[0] (segment=red/crisis, role=support): role support "
        "is not registered but tier red is in coordination_registered_for"
    ]


def test_coordination_by_role_without_caseload_capacity_is_caught() -> None:
    plan = fte_plan()
    plan["coordination"][1]["role"] = "support"
    assert check_plan(fte_scenario(), plan) == [
        "C2 coordination: coordination[1] (segment=green/all, role=support): "
        "role support has caseload_capacity 0",
        "C7 caseload cap: role support carries 10.00 weighted points > capacity 0.00 "
        "(caseload_capacity 0 x fte 1)",
    ]


def test_fractional_coordination_people_is_caught() -> None:
    plan = fte_plan()
    plan["coordination"][1]["people"] = 9.5
    violations = check_plan(fte_scenario(), plan)
    assert (
        "coordination[1] (segment=green/all, role=nurse): people must be an integer, got 9.5"
        in violations
    )


# ---------------------------------------------------------------------------
# Plan-level rows: demand, utilisation, risks' fields, strict and infeasible
# ---------------------------------------------------------------------------


def test_demand_rows_must_match() -> None:
    plan = fte_plan()
    plan["demand"][0]["hours_per_week"] = 4.5
    del plan["demand"][3]
    assert check_plan(fte_scenario(), plan) == [
        "demand: demand[0] (task=contact, segment=red/crisis): 4.50 h/week, "
        "re-derived demand is 4.00 h/week",
        "demand: no row for task meds, segment green/all (5.00 h/week)",
    ]


def test_utilisation_rows_are_checked_where_present() -> None:
    plan = fte_plan()
    row = {
        "role": "nurse",
        "staff": None,
        "available_hours": 60.0,
        "task_hours": 8.0,
        "signoff_hours": 0.5,
        "duty_hours": 0.0,
        "supervision_given_hours": 0.5,
        "supervision_received_hours": 1.0,
        "caseload_points": 18.0,
    }
    plan["utilisation"] = [row]
    assert check_plan(fte_scenario(), plan) == []
    row["task_hours"] = 9.0
    assert check_plan(fte_scenario(), plan) == [
        "utilisation: utilisation[0] (role=nurse): task_hours 9.00, re-derived 8.00"
    ]


def test_risk_fields_are_validated() -> None:
    plan = _contact_green_unallocated()
    bad = risk("R1", "coverage_shortfall", 5.0, task="contact", segment="green/all")
    bad.update(score=11, likelihood=3, red_flag="yes", title=" ")
    odd = risk("R2", "made_up", 1.0, consequence=6, score=18, unit="minutes")
    plan["risks"] = [bad, odd]
    assert check_plan(fte_scenario(), plan) == [
        "risk R1: score 11 != consequence 4 x likelihood 3",
        "risk R1: red_flag must be a boolean, got 'yes'",
        "risk R1: title must be a non-empty string",
        "risk R2: unknown category 'made_up'",
        "risk R2: consequence must be an integer in 1..5, got 6",
        "risk R2: unit must be hours_per_week or people, got 'minutes'",
    ]


def test_risk_unit_must_fit_category() -> None:
    plan = fte_plan()
    plan["coordination"] = drop(plan["coordination"], segment="green/all")
    plan["risks"] = [
        risk("R1", "caseload_over_capacity", 10, segment="green/all", unit="hours_per_week")
    ]
    assert check_plan(fte_scenario(), plan) == [
        "risk R1: unit hours_per_week for caseload_over_capacity, expected people"
    ]


def test_other_risk_categories_are_not_matched() -> None:
    plan = fte_plan()
    plan["risks"] = [risk("R1", "single_point_of_failure", 4.0, role="lead")]
    assert check_plan(fte_scenario(), plan) == []


def test_strict_mode_forbids_shortfalls() -> None:
    plan = _contact_green_unallocated()
    plan["strict"] = True
    plan["risks"] = [risk("R1", "coverage_shortfall", 5.0, task="contact", segment="green/all")]
    assert check_plan(fte_scenario(), plan) == [
        "strict mode: C3 coverage (task=contact, segment=green/all) leaves a shortfall "
        "of 5.00 h/week"
    ]


def test_infeasible_plan_needs_infeasible_requirements_risk() -> None:
    plan = {"mode": "fte", "strict": True, "status": "infeasible", "risks": []}
    assert check_plan(fte_scenario(), plan) == [
        "plan: status infeasible but no infeasible_requirements risk"
    ]
    # a conflict states no amount: shortfall and unit may both be null
    conflict = risk("R1", "infeasible_requirements", 0, task="risk_review")
    conflict.update(shortfall=None, unit=None)
    plan["risks"] = [conflict]
    assert check_plan(fte_scenario(), plan) == []
    plan["allocation"] = fte_plan()["allocation"]
    assert check_plan(fte_scenario(), plan) == [
        "plan: status infeasible but the plan has allocation rows"
    ]


def test_plan_mode_must_match_scenario() -> None:
    plan = fte_plan()
    plan["mode"] = "staff"
    assert check_plan(fte_scenario(), plan) == [
        "plan: mode 'staff' but the scenario is in fte mode"
    ]


# ---------------------------------------------------------------------------
# Staff mode
# ---------------------------------------------------------------------------


def staff_scenario() -> dict[str, Any]:
    """The tiny team as named people. N2's risk sign-off lapses on plan_date exactly."""
    scenario = fte_scenario()
    del scenario["establishment"]
    scenario["staff"] = [
        {
            "id": "N1",
            "role": "nurse",
            "fte": 1.0,
            "signoffs": {"risk_assessment": "2026-01-15", "medication": "2025-09-01"},
        },
        {
            "id": "N2",
            "role": "nurse",
            "fte": 1.0,
            "signoffs": {"risk_assessment": date(2025, 6, 1), "medication": "2026-01-01"},
        },
        {"id": "L1", "role": "lead", "fte": 0.2, "signoffs": {"risk_assessment": "2026-03-01"}},
        {"id": "S1", "role": "support", "fte": 1.0, "signoffs": {"medication": "2026-02-01"}},
    ]
    return scenario


def _sup(supervisor: str, sup_role: str, supervisee: str, sub_role: str) -> dict[str, Any]:
    return {
        "supervisor_role": sup_role,
        "supervisor": supervisor,
        "supervisee_role": sub_role,
        "supervisee": supervisee,
        "persons": 1,
        "hours_per_week": 0.5,
    }


def staff_plan() -> dict[str, Any]:
    """N1 30 h, N2 30 h, L1 6 h, S1 30 h available; L1 exactly full again."""
    return {
        "mode": "staff",
        "strict": False,
        "status": "optimal",
        "demand": _demand_rows(),
        "allocation": [
            alloc("contact", "red/crisis", "nurse", 4.0, "N2"),
            alloc("contact", "green/all", "support", 5.0, "S1"),
            alloc("risk_review", "red/crisis", "nurse", 4.0, "N1"),
            alloc("meds", "green/all", "support", 5.0, "S1"),
        ],
        "signoff": [{"task": "meds", "role": "nurse", "staff": "N2", "hours_per_week": 0.5}],
        "duty": [{"role": "lead", "staff": "L1", "hours_per_week": 5.0}],
        "supervision": [
            _sup("L1", "lead", "N1", "nurse"),
            _sup("L1", "lead", "N2", "nurse"),
            _sup("N1", "nurse", "S1", "support"),
        ],
        "coordination": [
            {"segment": "red/crisis", "role": "nurse", "staff": "N1", "people": 4},
            {"segment": "green/all", "role": "nurse", "staff": "N2", "people": 10},
        ],
        "risks": [],
    }


def test_staff_mode_correct_plan_passes() -> None:
    assert check_plan(staff_scenario(), staff_plan()) == []


def test_staff_mode_lapsed_signoff_means_no_competence() -> None:
    plan = staff_plan()
    plan["allocation"][2]["staff"] = "N2"  # N2's risk sign-off lapsed on 2026-06-01
    assert check_plan(staff_scenario(), plan) == [
        "C2 competence: allocation[2] (task=risk_review, segment=red/crisis, role=nurse, "
        "staff=N2): staff N2 (nurse) does not hold risk_assessment"
    ]


def test_staff_mode_extended_scope_signoff_counts() -> None:
    scenario, plan = staff_scenario(), staff_plan()
    scenario["competencies"]["physical_health"] = {"title": "PH", "signoff_valid_months": 12}
    scenario["tasks"]["checks"] = {
        "title": "Checks",
        "competence": "physical_health",
        "hours": 1.0,
        "frequency": {"green": {"every_weeks": 10}},
    }
    plan["demand"].append({"task": "checks", "segment": "green/all", "hours_per_week": 1.0})
    plan["allocation"].append(alloc("checks", "green/all", "support", 1.0, "S1"))
    violations = check_plan(scenario, plan)
    assert violations == [
        "C2 competence: allocation[4] (task=checks, segment=green/all, role=support, "
        "staff=S1): staff S1 (support) does not hold physical_health"
    ]
    scenario["staff"][3]["signoffs"]["physical_health"] = "2026-05-01"
    assert check_plan(scenario, plan) == []


def test_staff_mode_self_supervision_is_caught() -> None:
    scenario = staff_scenario()
    scenario["roles"]["nurse"]["supervision"]["supervised_by"] = ["lead", "nurse"]
    plan = staff_plan()
    plan["supervision"][1] = _sup("N2", "nurse", "N2", "nurse")
    assert check_plan(scenario, plan) == [
        "C2 supervision: supervision[1] (supervisor_role=nurse, supervisor=N2, "
        "supervisee_role=nurse, supervisee=N2): staff N2 supervises themselves"
    ]


def test_staff_mode_two_supervisors_is_caught() -> None:
    plan = staff_plan()
    plan["supervision"].append(_sup("N2", "nurse", "S1", "support"))
    assert check_plan(staff_scenario(), plan) == [
        "C2 supervision: staff S1 has 2 supervisors (N1, N2); at most one allowed"
    ]


def test_staff_mode_supervision_cap_is_per_person() -> None:
    scenario = staff_scenario()
    scenario["roles"]["lead"]["supervision"]["max_supervisees"] = 1
    assert check_plan(scenario, staff_plan()) == [
        "C2 supervision cap: staff L1 (lead) supervises 2 persons > max_supervisees 1"
    ]


def test_staff_mode_supervision_shortfall_is_per_person() -> None:
    plan = staff_plan()
    del plan["supervision"][1]
    assert expected_shortfalls(staff_scenario(), plan) == {("supervision", "N2"): 1.0}
    assert check_plan(staff_scenario(), plan) == [
        "C5 supervision (staff=N2, role=nurse): shortfall 1.00 people "
        "not reported by any supervision_capacity risk"
    ]
    plan["risks"] = [risk("R1", "supervision_capacity", 1, role="nurse", staff="N2")]
    assert check_plan(staff_scenario(), plan) == []


def test_staff_mode_row_role_must_be_the_persons_role() -> None:
    plan = staff_plan()
    plan["allocation"][2]["role"] = "lead"
    assert check_plan(staff_scenario(), plan) == [
        "allocation[2] (task=risk_review, segment=red/crisis, role=lead, staff=N1): "
        "role 'lead' is not the role of staff N1 (nurse)"
    ]


# ---------------------------------------------------------------------------
# Loading: extends, CSV staff, check_files
# ---------------------------------------------------------------------------


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    # past the calendar's end: never expires (was ValueError: year 10000 is out of range)
    assert add_months(date(9999, 6, 1), 12) == date.max
    assert add_months(date(2026, 6, 1), 10**20) == date.max


def test_merge_rules() -> None:
    base = {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2, "c": 3}
    variant = {"a": {"y": [9], "z": {"j": 2}, "x": None}, "b": None, "d": 4}
    assert merge_scenarios(base, variant) == {
        "a": {"y": [9], "z": {"k": 1, "j": 2}},
        "c": 3,
        "d": 4,
    }


def _dump(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_extends_chain_and_cycle(tmp_path: Path) -> None:
    base = _dump(tmp_path / "base.yaml", fte_scenario())
    _dump(
        tmp_path / "variants" / "mid.yaml",
        {"extends": "../base.yaml", "establishment": {"support": None}},
    )
    top = _dump(
        tmp_path / "variants" / "top.yaml",
        {"extends": "mid.yaml", "name": "top", "establishment": {"lead": 1.0}},
    )
    loaded = load_scenario_dict(top)
    assert loaded["name"] == "top" and "extends" not in loaded
    assert loaded["establishment"] == {"nurse": 2.0, "lead": 1.0}
    assert loaded["tasks"] == fte_scenario()["tasks"]

    _dump(tmp_path / "loop_a.yaml", {"extends": "loop_b.yaml"})
    _dump(tmp_path / "loop_b.yaml", {"extends": "loop_a.yaml"})
    with pytest.raises(CheckerInputError, match="extends cycle"):
        load_scenario_dict(tmp_path / "loop_a.yaml")
    assert base.exists()


def test_check_files_with_staff_csv_from_the_base_file(tmp_path: Path) -> None:
    scenario = staff_scenario()
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "staff.csv").write_text(
        "id,role,fte,locality,risk_assessment,medication\n"
        "N1,nurse,1.0,north,2026-01-15,2025-09-01\n"
        "N2,nurse,1.0,north,2025-06-01,2026-01-01\n"
        "L1,lead,0.2,,2026-03-01,\n"
        "S1,support,1.0,south,,2026-02-01\n",
        encoding="utf-8",
    )
    scenario["staff"] = "staff.csv"
    _dump(tmp_path / "team" / "base.yaml", scenario)
    variant = _dump(
        tmp_path / "what-if" / "v.yaml", {"extends": "../team/base.yaml", "name": "variant"}
    )
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(staff_plan()), encoding="utf-8")
    assert check_files(variant, plan_path) == []

    broken = staff_plan()
    broken["allocation"][2]["staff"] = "N2"
    plan_path.write_text(json.dumps(broken), encoding="utf-8")
    assert len(check_files(variant, plan_path)) == 1


# ---------------------------------------------------------------------------
# The example scenario: re-derived demand by hand, and an empty plan
# ---------------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLE.exists(), reason="example scenario not in the repo")
def test_example_scenario_demand_by_hand() -> None:
    demand = derive_demand(load_scenario_dict(EXAMPLE))
    assert demand[("risk_review", "red/crisis")] == pytest.approx(15 / 4 * 1.5)
    assert demand[("planned_contact", "green/recovery")] == pytest.approx(210 / 6)
    assert demand[("peer_support", "amber/recovery")] == pytest.approx(60 / 4)
    assert ("crisis_response", "red/stabilisation") not in demand  # stage excluded
    assert ("initial_assessment", "amber/recovery") not in demand
    assert ("psychological_intervention", "green/recovery") not in demand  # tier not listed


@pytest.mark.skipif(not EXAMPLE.exists(), reason="example scenario not in the repo")
def test_example_scenario_empty_plan_reports_every_shortfall() -> None:
    scenario = load_scenario_dict(EXAMPLE)
    shortfalls = expected_shortfalls(scenario, {"mode": "fte", "status": "optimal"})
    demand = derive_demand(scenario)
    coverage = {k[1:]: v for k, v in shortfalls.items() if k[0] == "coverage"}
    assert coverage == demand
    # establishment headcounts needing supervision: team_leader 1, nurse 6, sw 2, ot 1,
    # support 5, peer 3 (headcount given)
    supervision = {k[1]: v for k, v in shortfalls.items() if k[0] == "supervision"}
    assert supervision == {
        "team_leader": 1,
        "nurse": 6,
        "social_worker": 2,
        "ot": 1,
        "support_worker": 5,
        "peer_worker": 3,
    }
    assert shortfalls[("duty",)] == 37.5
    assert shortfalls[("coordination", "green/recovery")] == 210
    violations = check_plan(scenario, {"mode": "fte", "status": "optimal"})
    unreported = [v for v in violations if "not reported" in v]
    assert len(unreported) == len(shortfalls)


def test_the_checker_imports_nothing_else_of_the_package() -> None:
    # independent means independent: no solver, no scenario loader, no optimiser module
    import ast

    source = (Path(__file__).resolve().parents[1] / "optimiser" / "check.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "optimiser" not in imported and "ortools" not in imported
    assert imported <= {"__future__", "calendar", "csv", "json", "math", "collections",
                        "dataclasses", "datetime", "pathlib", "typing", "yaml"}  # fmt: skip


def test_solve_check_runs_the_independent_checker(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["solve", str(EXAMPLE), "-o", str(tmp_path), "--check"])
    assert result.exit_code == 0, result.output
    assert "independent check: passed" in result.output
