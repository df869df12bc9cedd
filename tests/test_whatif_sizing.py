"""``size``: the exact sizing optimum (brute force and the example), budgets, frontier,
unfixable risks and why, percentile cohorts."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import Tiny, base_scenario, role, task

from optimiser.bounds import useful_max_fte, with_sizing_bounds
from optimiser.scenario import Scenario, load_scenario
from optimiser.solve import SolveParams, solve_values
from optimiser.whatif.executor import SerialExecutor
from optimiser.whatif.sizing import (
    FrontierTask,
    establishment_scenario,
    frontier,
    frontier_point,
    size,
    size_establishment,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
TEACHING = ROOT / "scenarios" / "tiny-teaching.yaml"


def brute_data(**sizing: Any) -> dict[str, Any]:
    """Three roles, a nurse who may supervise other nurses (never herself alone).

    1.0 FTE = 30 h.  Demand: contact 6 + 7 = 13 h (anyone); review red 4.5 h
    (registered only) + amber 5.25 h; caseload 6 x 2 + 14 x 1 = 26 points
    (red registered only).  Steps of 0.5 FTE: 5 x 4 x 4 establishments.
    """
    return base_scenario(
        roles={
            "nurse": role(
                True,
                50000,
                ["engagement", "risk"],
                caseload_capacity=20,
                supervision={
                    "needs_hours_per_week": 1.0,
                    "supervised_by": ["nurse", "lead"],
                    "max_supervisees": 2,
                },
            ),
            "lead": role(
                True,
                70000,
                ["engagement", "risk"],
                caseload_capacity=10,
                supervision={"needs_hours_per_week": 0, "max_supervisees": 3},
            ),
            "support": role(
                False,
                30000,
                ["engagement"],
                caseload_capacity=0,
                supervision={"needs_hours_per_week": 1.0, "supervised_by": ["nurse"]},
            ),
        },
        establishment={"nurse": 1.0},
        tiers={
            "amber": {"severity": 3, "caseload_weight": 1.0},
            "red": {"severity": 5, "caseload_weight": 2.0},
        },
        cohort=[{"tier": "red", "people": 6}, {"tier": "amber", "people": 14}],
        tasks={
            "contact": task("engagement", 1.0, {"red": 1, "amber": 0.5}, continuity=True),
            "review": task(
                "risk", 1.5, {"red": 0.5, "amber": 0.25}, registered_for=["red"], criticality=5
            ),
        },
        policies={"coordination_registered_for": ["red"]},
        sizing={"fte_step": 0.5, "max_fte": {"nurse": 2.0, "lead": 1.5, "support": 1.5}, **sizing},
    )


def brute_force(scenario: Scenario, budget: float | None = None) -> tuple[float, float]:
    """Least penalty, then least cost, over every establishment the bounds allow."""
    sizing = scenario.sizing
    assert sizing is not None
    step = sizing.fte_step
    roles = list(scenario.roles)
    ranges = [range(int(round(sizing.max_fte[r] / step)) + 1) for r in roles]
    found = []
    for steps in itertools.product(*ranges):
        fte = {r: k * step for r, k in zip(roles, steps, strict=True)}
        cost = sum(scenario.roles[r].annual_cost * f for r, f in fte.items())
        if budget is not None and cost > budget + 1e-6:
            continue
        head = {r: math.ceil(f - 1e-9) for r, f in fte.items()}
        values = solve_values(establishment_scenario(scenario, fte, head), SolveParams())
        found.append((round(values.penalty, 4), cost))
    best = min(p for p, _ in found)
    return best, min(c for p, c in found if p <= best + 1e-3)


@pytest.mark.parametrize("budget", [None, 90000.0])
def test_size_matches_brute_force(tiny: Tiny, budget: float | None) -> None:
    scenario = tiny.load(brute_data())
    penalty, cost = brute_force(scenario, budget)
    outcome = size_establishment(scenario, budget)
    assert outcome.status == "optimal"
    assert outcome.cost == pytest.approx(cost)
    assert outcome.penalty == pytest.approx(penalty, abs=1e-3)
    if budget is not None:
        assert outcome.cost <= budget


def test_a_lone_nurse_never_supervises_herself(tiny: Tiny) -> None:
    # only nurses may supervise nurses here: 0.5 FTE (one person) leaves her unsupervised
    # (consequence 3 = 100 per person); two nurses supervise each other
    data = brute_data()
    data["roles"]["nurse"]["supervision"]["supervised_by"] = ["nurse"]
    data["roles"]["lead"]["caseload_capacity"] = 0
    data["tasks"]["review"]["frequency"] = {"red": {"per_week": 0.1}}
    scenario = tiny.load(data)
    outcome = size_establishment(scenario)
    assert outcome.headcount["nurse"] != 1
    values = solve_values(
        establishment_scenario(scenario, outcome.fte, outcome.headcount), SolveParams()
    )
    assert values.penalty == pytest.approx(outcome.penalty, abs=1e-4)


@pytest.fixture(scope="module")
def example_report():  # type: ignore[no-untyped-def]
    return size(load_scenario(EXAMPLE), clean_sheet=True)


def test_example_costs_1133000_and_is_risk_free(example_report) -> None:  # type: ignore[no-untyped-def]
    data = example_report.data
    assert data["status"] == "optimal"
    assert data["annual_cost"] == 1133000.0
    assert data["current_annual_cost"] == 991000.0
    assert data["unfixable"] == []
    plan = example_report.plan
    assert plan.risks == []
    assert plan.objective["risk_penalty"] == 0
    assert plan.cost["annual_total"] == 1133000.0
    est = data["establishment"]
    roles = example_report.scenario.roles
    assert sum(roles[r].annual_cost * v["fte"] for r, v in est.items()) == pytest.approx(1133000.0)
    for v in est.values():
        assert v["headcount"] == math.ceil(v["fte"] - 1e-9)


def test_a_competence_no_role_holds_is_unfixable_and_the_rest_is_sized(tiny: Tiny) -> None:
    data = brute_data()
    data["tasks"]["medical"] = task("prescribing", 1.0, {"red": 0.5}, criticality=5)
    scenario = tiny.load(data)
    report = size(scenario, clean_sheet=True)
    out = report.data
    assert out["status"] == "optimal"
    gaps = [u for u in out["unfixable"] if u["category"] == "competence_gap"]
    assert [u["task"] for u in gaps] == ["medical"]
    assert gaps[0]["reason"] == "no_role"
    assert "prescribing" in gaps[0]["why"].lower()
    assert gaps[0]["shortfall"] == 3.0  # 6 people x 0.5 x 1 h
    # everything else is met, at the same cost as without the medical task
    assert {u["category"] for u in out["unfixable"]} == {"competence_gap"}
    assert out["annual_cost"] == size_establishment(tiny.load(brute_data())).cost
    assert out["annual_cost"] > 0


def test_a_role_at_its_max_fte_is_the_reason(tiny: Tiny) -> None:
    data = brute_data()
    data["sizing"]["max_fte"]["support"] = 0.0
    data["sizing"]["max_fte"]["nurse"] = 0.5
    data["sizing"]["max_fte"]["lead"] = 0.5
    report = size(tiny.load(data), clean_sheet=True)
    reasons = {u["reason"] for u in report.data["unfixable"]}
    assert report.data["unfixable"]
    assert "max_fte" in reasons
    assert all(u["why"] for u in report.data["unfixable"])


def test_budget_mode_least_risk_within_budget() -> None:
    scenario = load_scenario(TEACHING)
    free = size_establishment(scenario)
    assert free.penalty == pytest.approx(0, abs=1e-6)
    tight = size(scenario, 30000.0, clean_sheet=True).data
    assert tight["status"] == "optimal"
    assert tight["annual_cost"] <= 30000.0
    assert tight["risk_penalty"] > 0
    assert tight["unfixable"] and {u["reason"] for u in tight["unfixable"]} <= {
        "budget",
        "max_fte",
        "trade_off",
    }
    roomy = size_establishment(scenario, 10 * free.cost)
    assert roomy.cost == free.cost and roomy.penalty == pytest.approx(0, abs=1e-6)


def test_a_budget_below_the_smallest_establishment_is_infeasible() -> None:
    # cmht-north: min_fte consultant 0.4 (60,000) and team_leader 1.0 (68,000)
    data = size(load_scenario(EXAMPLE), 100000.0, clean_sheet=True).data
    assert data["status"] == "infeasible"
    assert "128,000" in data["message"]
    assert data["establishment"] == {}


def test_frontier_is_monotone() -> None:
    scenario = load_scenario(TEACHING)
    top = size_establishment(scenario).cost
    points = frontier(scenario, top, 5, SerialExecutor())
    assert len(points) >= 3
    assert points[-1]["risk_penalty"] == 0
    for a, b in itertools.pairwise(points):
        assert b["annual_cost"] > a["annual_cost"]
        assert b["risk_penalty"] < a["risk_penalty"]
    # raw budgets too: more budget never more risk
    raw = [frontier_point(FrontierTask(scenario), b) for b in (0, 10000, 20000, 40000, 65000)]
    for a, b in itertools.pairwise(raw):
        assert b["risk_penalty"] <= a["risk_penalty"] + 1e-6


def test_bounds_are_safe_and_kept() -> None:
    scenario = load_scenario(EXAMPLE)
    bounded = with_sizing_bounds(scenario)
    assert bounded.sizing.max_fte["consultant"] == 2.0  # the user's bound is kept
    useful = useful_max_fte(scenario)
    assert all(v >= 2.0 for v in useful.values())
    outcome = size_establishment(scenario)
    for r, f in outcome.fte.items():
        assert f < bounded.sizing.max_fte[r] or r in scenario.sizing.max_fte


def test_percentile_sizing_records_its_cohort() -> None:
    scenario = load_scenario(TEACHING).model_copy(
        update={
            "volatility": load_scenario(EXAMPLE).volatility.model_copy(update={"transitions": {}})
        }
    )
    report = size(scenario, percentile=90, samples=200, seed=3, clean_sheet=True)
    cohort = report.data["cohort"]
    assert cohort["percentile"] == 90 and cohort["samples"] == 200 and cohort["seed"] == 3
    # 90th percentile of each segment's size is at least its mean (cv 0.1, n >= 4)
    assert all(cohort["people"][s] >= cohort["base_people"][s] for s in cohort["base_people"])
    assert report.data["annual_cost"] >= size_establishment(scenario).cost
    again = size(scenario, percentile=90, samples=200, seed=3, clean_sheet=True)
    assert again.data["cohort"]["people"] == cohort["people"]


def brute_force_from(scenario: Scenario, floor: dict[str, float]) -> tuple[float, float]:
    """:func:`brute_force` over the establishments with every role at least ``floor``."""
    sizing = scenario.sizing
    assert sizing is not None
    step = sizing.fte_step
    roles = list(scenario.roles)
    ranges = [
        range(math.ceil(floor.get(r, 0.0) / step - 1e-9), int(round(sizing.max_fte[r] / step)) + 1)
        for r in roles
    ]
    found = []
    for steps in itertools.product(*ranges):
        fte = {r: k * step for r, k in zip(roles, steps, strict=True)}
        share = scenario.policies.registered_share_min
        total = sum(fte.values())
        registered = sum(f for r, f in fte.items() if scenario.roles[r].registered)
        if share and registered < share * total - 1e-9:
            continue
        cost = sum(scenario.roles[r].annual_cost * f for r, f in fte.items())
        head = {r: math.ceil(f - 1e-9) for r, f in fte.items()}
        values = solve_values(establishment_scenario(scenario, fte, head), SolveParams())
        found.append((round(values.penalty, 4), cost))
    best = min(p for p, _ in found)
    return best, min(c for p, c in found if p <= best + 1e-3)


def test_default_keeps_todays_team_and_is_the_cheapest_that_does(tiny: Tiny) -> None:
    # today: nurse 1.0 and 1.5 support workers (the clean-sheet optimum has fewer);
    # sizing may only add: every role >= today, and no establishment that keeps
    # today's team is cheaper at the same least penalty (brute force)
    data = brute_data()
    data["establishment"] = {"nurse": 1.0, "support": 1.5}
    scenario = tiny.load(data)
    kept = size(scenario).data
    assert kept["mode"] == "keep_today"
    assert kept["establishment"]["nurse"]["fte"] >= 1.0
    assert kept["establishment"]["support"]["fte"] >= 1.5
    penalty, cost = brute_force_from(scenario, {"nurse": 1.0, "support": 1.5})
    assert kept["annual_cost"] == pytest.approx(cost)
    assert kept["risk_penalty"] == pytest.approx(penalty, abs=1e-3)
    clean = size(scenario, clean_sheet=True).data
    assert clean["mode"] == "clean_sheet"
    assert clean["annual_cost"] <= kept["annual_cost"]
    assert all(c["change_fte"] >= 0 for c in kept["changes"])


def test_example_keeps_every_role_at_least_at_today() -> None:
    scenario = load_scenario(EXAMPLE)
    data = size(scenario).data
    today = {r: p.fte for r, p in (scenario.establishment or {}).items()}
    assert data["mode"] == "keep_today" and data["risk_penalty"] == 0
    for role_id, fte in today.items():
        assert data["establishment"][role_id]["fte"] >= fte - 1e-9, role_id
    # keeping six nurses costs more than the clean sheet's swap to social workers
    assert data["annual_cost"] >= 1133000.0
    assert data["establishment"]["nurse"]["fte"] >= 6.0


@pytest.mark.parametrize("share", [0.0, 0.5, 0.8])
def test_registered_share_min_is_kept_by_sizing(tiny: Tiny, share: float) -> None:
    # nurse and lead are registered, support is not: registered FTE >= share x all FTE
    data = brute_data()
    data["policies"]["registered_share_min"] = share
    scenario = tiny.load(data)
    out = size(scenario, clean_sheet=True).data
    est = {r: v["fte"] for r, v in out["establishment"].items()}
    registered = est["nurse"] + est["lead"]
    assert registered >= share * sum(est.values()) - 1e-9
    penalty, cost = brute_force_from(scenario, {})
    assert out["annual_cost"] == pytest.approx(cost)
