"""``simulate``: re-plan sampled cohorts and report how often, and how far, the team falls short.

Each sample is a cohort drawn by :class:`optimiser.whatif.cohorts.CohortModel`
(sizes with ``people_cv``, one quarter of tier transitions) and re-planned
with :func:`optimiser.solve.solve_values` (the least risk penalty, no risk
register: the shortfalls are all a simulation needs).  Shortfalls are summed
per risk category (the categories of :mod:`optimiser.risks`) and per tier,
then summarised over the samples as the probability of any shortfall and its
50th / 80th / 95th percentiles (``simulation.json``, PLAN.md).

Samples run on any :class:`~optimiser.whatif.executor.Executor`; a sample
depends only on the seed and its index, and results are kept in index order,
so the report is identical whichever executor ran it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optimiser.categories import SHORTFALL_CATEGORIES, classify, unit_of
from optimiser.plan import r2
from optimiser.solve import SolveParams, solve_values
from optimiser.whatif.cohorts import CohortModel, default_seed
from optimiser.whatif.executor import SerialExecutor

if TYPE_CHECKING:
    from optimiser.scenario import Scenario
    from optimiser.whatif.executor import Executor

Key = tuple[str, ...]

#: shortfalls below this (hours or people) count as none: they round to 0.00
EPS = 0.005
QUANTILES = (50, 80, 95)


@dataclass(frozen=True)
class SimulationTask:
    """What every sample needs: the scenario, its cohort model and the seed."""

    scenario: Scenario
    cohorts: CohortModel
    seed: int


def shortfalls(scenario: Scenario) -> dict[str, Any]:
    """Re-plan one scenario; shortfall totals per category and per tier."""

    values = solve_values(scenario, SolveParams(mitigations=False))
    categories: dict[str, float] = defaultdict(float)
    tier_hours: dict[str, float] = defaultdict(float)
    tier_people: dict[str, float] = defaultdict(float)
    for key, amount in values.slacks.items():
        if amount <= 1e-9:
            continue
        category, tier = classify(scenario, values.team, key)
        categories[category] += amount
        if tier is not None:
            if key[0] == "coordination":
                tier_people[tier] += amount
            else:
                tier_hours[tier] += amount
    return {
        "status": values.status.value,
        "penalty": values.penalty,
        "categories": dict(categories),
        "tier_hours": dict(tier_hours),
        "tier_people": dict(tier_people),
    }


def simulate_sample(task: SimulationTask, index: int) -> dict[str, Any]:
    """Sample ``index``: its cohort, re-planned (runs on any executor)."""
    people = task.cohorts.sample(task.seed, index)
    result = shortfalls(task.cohorts.scenario(task.scenario, people))
    result["index"] = index
    result["people"] = people
    return result


def _summary(values: list[float], unit: str) -> dict[str, Any]:
    arr = np.asarray(values, dtype=float)
    arr = np.where(arr < EPS, 0.0, arr)
    out: dict[str, Any] = {"p_shortfall": round(float(np.mean(arr > 0)), 4) if len(arr) else 0.0}
    for q in QUANTILES:
        out[f"p{q}"] = r2(float(np.percentile(arr, q))) if len(arr) else 0.0
    out["mean"] = r2(float(np.mean(arr))) if len(arr) else 0.0
    out["unit"] = unit
    return out


def summarise(
    scenario: Scenario, cohorts: CohortModel, samples: list[dict[str, Any]]
) -> dict[str, Any]:
    """Per category and per tier: probability of a shortfall, P50 / P80 / P95, mean."""
    categories = {
        c: _summary([s["categories"].get(c, 0.0) for s in samples], unit_of(c))
        for c in SHORTFALL_CATEGORIES
    }
    tiers = {}
    for tier in scenario.tiers:
        entry = _summary([s["tier_hours"].get(tier, 0.0) for s in samples], "hours_per_week")
        entry["uncoordinated"] = _summary(
            [s["tier_people"].get(tier, 0.0) for s in samples], "people"
        )
        tiers[tier] = entry
    people = np.asarray([s["people"] for s in samples], dtype=float)
    cohort = {
        seg: {
            "base": base,
            "mean": r2(float(people[:, j].mean())) if len(people) else float(base),
            "p80": float(np.percentile(people[:, j], 80)) if len(people) else float(base),
            "p95": float(np.percentile(people[:, j], 95)) if len(people) else float(base),
        }
        for j, (seg, base) in enumerate(zip(cohorts.ids, cohorts.people, strict=True))
    }
    penalties = [s["penalty"] for s in samples]
    return {
        "categories": categories,
        "tiers": tiers,
        "risk_penalty": {
            "mean": r2(float(np.mean(penalties))) if penalties else 0.0,
            **{
                f"p{q}": r2(float(np.percentile(penalties, q))) if penalties else 0.0
                for q in QUANTILES
            },
        },
        "statuses": {
            st: sum(1 for s in samples if s["status"] == st)
            for st in sorted({s["status"] for s in samples})
        },
        "cohort": cohort,
    }


def simulate(
    scenario: Scenario, samples: int, seed: int | None = None, executor: Executor | None = None
) -> dict[str, Any]:
    """Re-plan ``samples`` sampled cohorts of ``scenario``; the ``simulation.json`` document.

    Parameters
    ----------
    scenario
        A loaded scenario (its ``volatility`` says how demand varies; without
        one every sample is the base cohort).
    samples
        How many cohorts.
    seed
        Seed of the samples (default ``volatility.seed``).
    executor
        Where the samples are re-planned (default: this process).
    """

    executor = executor or SerialExecutor()
    seed = default_seed(scenario) if seed is None else seed
    cohorts = CohortModel.of(scenario)
    started = time.perf_counter()
    results = executor.map(
        simulate_sample,
        SimulationTask(scenario, cohorts, seed),
        list(range(samples)),
        description=f"Simulating {samples} cohorts",
    )
    base = shortfalls(scenario)
    doc: dict[str, Any] = {
        "scenario": scenario.name,
        "samples": samples,
        "seed": seed,
        "volatility": scenario.volatility.model_dump(exclude_none=True)
        if scenario.volatility
        else None,
        **summarise(scenario, cohorts, results),
        "baseline": {
            "risk_penalty": r2(base["penalty"]),
            "categories": {c: r2(v) for c, v in sorted(base["categories"].items()) if v >= EPS},
        },
        "executor": executor.describe(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return doc
