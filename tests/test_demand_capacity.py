"""The published CAMHS demand-and-capacity worked example, and sizing at the boundary.

Published (per year): 7 FTE x 8 two-hour sessions x 45 weeks = 5,040 clinical
hours; 800 referrals x 60 % x 9 h = 4,320 hours of demand. At 100 %: 86 %
utilised, 720 h spare, 6.0 FTE needed. At 80 %: 288 h short, 7.5 FTE needed.
skillmix plans an average week: x 52 gives the yearly figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import base_scenario, role, task

from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams, solve
from optimiser.whatif.sizing import size

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
WEEKS = 52


def plan_of(name: str) -> dict:
    return solve(load_scenario(SCENARIOS / name), SolveParams(mitigations=False)).to_dict()


def test_published_example_at_100_percent() -> None:
    plan = plan_of("camhs-demand-capacity.yaml")
    (u,) = plan["utilisation"]
    # 4,320 / 5,040 = 0.857: "86 % utilised"
    assert u["utilisation"] == pytest.approx(4320 / 5040, abs=1e-3)
    spare_per_year = (u["target_hours"] - u["task_hours"]) * WEEKS
    assert spare_per_year == pytest.approx(720, abs=1.0)
    # people seen for treatment need no care coordinator: no C7 risk at all
    assert plan["risks"] == []


def test_published_example_at_80_percent() -> None:
    plan = plan_of("camhs-demand-capacity-80.yaml")
    (u,) = plan["utilisation"]
    assert u["target_hours"] * WEEKS == pytest.approx(0.8 * 5040, abs=1.0)
    (risk,) = plan["risks"]
    assert risk["category"] == "coverage_shortfall"
    # 4,320 - 4,032 = 288 h a year short = 5.54 h a week
    assert risk["shortfall"] == 5.54
    assert risk["shortfall"] * WEEKS == pytest.approx(288, abs=1.0)


@pytest.mark.parametrize(
    ("name", "fte"), [("camhs-demand-capacity.yaml", 6.0), ("camhs-demand-capacity-80.yaml", 7.5)]
)
def test_published_example_sized(name: str, fte: float) -> None:
    # 6.0 x 13.846 = 83.08 h = demand exactly; 83.08 / (0.8 x 13.846) = 7.5 exactly:
    # both boundaries, where a careless tolerance gives 6.1 / 7.6
    data = size(load_scenario(SCENARIOS / name), clean_sheet=True).data
    assert data["establishment"]["clinician"]["fte"] == fte
    assert data["risk_penalty"] == 0


def boundary(demand_hours: float) -> dict:
    # 1.0 FTE = 30 h (tiny skeleton); contact demand = 10 people x demand/10 x 1 h
    return base_scenario(
        roles={"nurse": role(True, 60000, ["engagement"], caseload_capacity=0)},
        establishment={"nurse": 0.1},
        tiers={"amber": {"severity": 3, "caseload_weight": 1.0, "coordination": False}},
        cohort=[{"tier": "amber", "people": 10}],
        tasks={"contact": task("engagement", 1.0, {"amber": demand_hours / 10})},
        sizing={"fte_step": 0.1},
    )


@pytest.mark.parametrize(
    ("demand", "fte"),
    [
        (21.0, 0.7),  # 0.7 x 30 = 21.000000000000004 in floating point: still 0.7
        (21.001, 0.8),  # a thousandth of an hour over: the next step
        (60.0, 2.0),
        (83.07692307692308, 2.8),  # 2.8 x 30 = 84 >= 83.08 > 2.7 x 30 = 81
    ],
)
def test_sizing_returns_the_exact_step_at_the_boundary(tiny, demand: float, fte: float) -> None:
    data = size(tiny.load(boundary(demand)), clean_sheet=True).data
    assert data["establishment"]["nurse"]["fte"] == fte
    assert data["risk_penalty"] == 0
