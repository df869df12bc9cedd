"""Properties of the optimiser over small random scenarios (tests/strategies.py).

Each property draws 25-40 scenarios; solves use ``mitigations=False`` (not
under test here) and are deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import fte_of, load_dict, scenarios, with_more_fte, with_roles_reordered

from optimiser.check import check_plan
from optimiser.solve import SolveParams, solve

PARAMS = SolveParams(mitigations=False)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def plan_of(data: dict[str, Any], params: SolveParams = PARAMS) -> dict[str, Any]:
    return solve(load_dict(data), params).to_dict()


def penalty(plan: dict[str, Any]) -> float:
    return plan["objective"]["risk_penalty"]


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


@SETTINGS
@given(scenarios())
def test_every_plan_passes_the_checker(data):
    plan = plan_of(data)
    assert plan["status"] == "optimal"
    assert check_plan(data, plan) == []


@SETTINGS
@given(scenarios())
def test_every_strict_plan_passes_the_checker_or_reports_a_conflict(data):
    plan = plan_of(data, SolveParams(strict=True, mitigations=False))
    if plan["status"] == "infeasible":
        assert plan["risks"]
        assert {r["category"] for r in plan["risks"]} == {"infeasible_requirements"}
    else:
        assert plan["status"] == "optimal"
        assert plan["risks"] == []
        assert check_plan(data, plan) == []


@SETTINGS
@given(scenarios(), st.data())
def test_more_fte_never_raises_the_penalty(data, draw):
    # only roles already staffed, headcount pinned: growing a role from 0 FTE (or
    # past its headcount) adds persons who need supervision, which may rightly
    # raise the penalty
    staffed = [r for r in data["establishment"] if fte_of(data, r) > 0]
    assume(staffed)
    role_id = draw.draw(st.sampled_from(staffed))
    extra = draw.draw(st.sampled_from([0.1, 0.5, 1.0]))
    before, after = with_more_fte(data, role_id, extra)
    p0, p1 = penalty(plan_of(before)), penalty(plan_of(after))
    assert p1 <= p0 + 1e-6 * max(1.0, p0) + 0.01, (role_id, extra, p0, p1)


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_role_order_does_not_change_the_objective(data, rnd):
    order = list(data["roles"])
    rnd.shuffle(order)
    a = plan_of(data)["objective"]
    b = plan_of(with_roles_reordered(data, order))["objective"]
    assert close(a["risk_penalty"], b["risk_penalty"]), (order, a, b)
    assert close(a["cost_tiebreak"], b["cost_tiebreak"]), (order, a, b)


@settings(SETTINGS, max_examples=25)
@given(scenarios())
def test_plan_json_round_trips_exactly(data):
    plan = plan_of(data)
    text = json.dumps(plan)
    assert json.loads(text) == plan
    assert json.dumps(json.loads(text)) == text


@settings(SETTINGS, max_examples=25)
@given(scenarios())
def test_solving_twice_gives_the_same_plan(data):
    scenario = load_dict(data)
    first, second = (solve(scenario, PARAMS).to_dict() for _ in range(2))
    first.pop("solve_seconds")
    second.pop("solve_seconds")
    assert first == second


@SETTINGS
@given(scenarios())
def test_no_risks_iff_zero_penalty(data):
    plan = plan_of(data)
    assert (plan["risks"] == []) == (penalty(plan) == 0), (penalty(plan), plan["risks"])


@settings(SETTINGS, max_examples=40)
@given(scenarios())
def test_generated_scenarios_load(data):
    scenario = load_dict(data)
    assert set(scenario.roles) == set(data["roles"])
    assert len(scenario.cohort) == len(data["cohort"])
