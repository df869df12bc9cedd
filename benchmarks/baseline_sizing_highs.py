"""The sizing benchmark's baseline: the sizing model as a plain HiGHS MILP, in its own process.

    python benchmarks/baseline_sizing_highs.py SCENARIO [--mip-rel-gap 1e-9] [--threads N]
        [--budget GBP] [--expect-cost C]

The same definition as ``optimiser/model/sizing.py`` (SCENARIO.md C1-C8 with
every role's FTE a decision, ``fte = fte_step x k``, ``headcount = ceil(fte)``,
the bounds of :func:`optimiser.bounds.with_sizing_bounds`), written the
obvious way, like ``benchmarks/naive_model.py`` for the solve model:

* one continuous ``x[task, segment, role]`` per demand row and eligible role
  (no aggregation of segments into demand groups), one shortfall per soft
  requirement per row;
* integer ``k[role]`` (FTE steps), ``H[role]`` (headcount), ``p[supervisor,
  supervisee]`` and ``y[segment, role]``; care coordination in the same MILP;
* a role supervising its own people only when it has two or more of them
  (``p[r, r] <= M b[r]``, ``2 b[r] <= H[r]``), as ``size`` does;
* the same weights (:mod:`optimiser.penalties`) and the same lexicographic
  objective: least weighted risk penalty; then, with ``penalty <= best +
  1e-7 max(1, best) + 1e-6``, least establishment cost.

This process imports only ``highspy``, NumPy, the scenario loader and the
solver-free modules ``optimiser.demand``, ``optimiser.penalties`` and
``optimiser.bounds``; never ``ortools`` (loading HiGHS from ``highspy``
and from OR-Tools in one process breaks OR-Tools).

Prints one JSON object (``penalty``, ``cost``, ``fte``, ``seconds_build``,
``seconds_solve``, ``status``, sizes); with ``--expect-cost`` exits 1 unless
its cost agrees within 0.5 GBP.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import highspy  # noqa: E402
import numpy as np  # noqa: E402
from baseline_highs import _highs, _status  # noqa: E402
from naive_model import INF, NaiveModel  # noqa: E402

from optimiser import penalties  # noqa: E402
from optimiser.bounds import role_team, with_sizing_bounds  # noqa: E402
from optimiser.demand import demand_rows  # noqa: E402
from optimiser.scenario import Scenario, load_scenario  # noqa: E402


def build_sizing(scenario: Scenario, budget: float | None = None) -> tuple[NaiveModel, dict]:
    """The plain sizing MILP; returns the model and ``{"k": {role: col}, "step": s}``."""
    scenario = with_sizing_bounds(scenario)
    sizing = scenario.sizing
    assert sizing is not None
    step = sizing.fte_step
    team = role_team(scenario)
    agents = list(team.agents)
    m = NaiveModel()
    k: dict[str, int] = {}
    head: dict[str, int] = {}
    max_head: dict[str, int] = {}
    for agent in agents:
        lo = math.ceil(sizing.min_fte.get(agent.id, 0.0) / step - 1e-9)
        hi = max(lo, math.floor(sizing.max_fte[agent.id] / step + 1e-9))
        k[agent.id] = m.col("k", lo, hi, cost=step * agent.annual_cost_per_fte, integer=True)
        max_head[agent.id] = math.ceil(step * hi) + 1
        head[agent.id] = m.col("H", 0.0, max_head[agent.id], integer=True)
        # H = ceil(step k): step k <= H < step k + 1
        m.row(0.0, 1.0 - 1e-3, [(head[agent.id], 1.0), (k[agent.id], -step)])
    load: dict[str, list[tuple[int, float]]] = defaultdict(list)
    non_continuity: dict[str, list[tuple[int, float]]] = defaultdict(list)
    delegated: dict[str, list[int]] = defaultdict(list)

    def eligible(competence: str, registered_only: bool) -> list:
        return [
            a
            for a in agents
            if competence in a.competencies and (a.registered or not registered_only)
        ]

    # C3 coverage: one row per (task, segment)
    for row in demand_rows(scenario):
        task = scenario.tasks[row.task]
        registered_only = row.tier in task.registered_for
        severity = scenario.tiers[row.tier].severity
        weight = penalties.weight(penalties.coverage_consequence(severity, task.criticality))
        terms: list[tuple[int, float]] = []
        for agent in eligible(task.competence, registered_only):
            j = m.col("x", 0.0, row.hours)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            if not task.continuity:
                non_continuity[agent.id].append((j, 1.0))
            if not agent.registered:
                delegated[row.task].append(j)
        terms.append((m.col("slack", 0.0, row.hours, penalty=weight), 1.0))
        m.row(row.hours, row.hours, terms)

    # C4 clinical sign-off
    for task_id, task in scenario.tasks.items():
        if task.signoff_share <= 0 or not delegated[task_id]:
            continue
        terms = [(j, -task.signoff_share) for j in delegated[task_id]]
        for agent in eligible(task.competence, registered_only=True):
            j = m.col("z", 0.0, INF)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            non_continuity[agent.id].append((j, 1.0))
        weight = penalties.weight(task.criticality)
        terms.append((m.col("slack", 0.0, INF, penalty=weight), 1.0))
        m.row(0.0, INF, terms)

    # C8 duty cover
    duty = scenario.policies.duty
    if duty is not None and duty.hours_per_week > 0:
        terms = []
        for agent in eligible(duty.competence, registered_only=True):
            j = m.col("d", 0.0, duty.hours_per_week)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            non_continuity[agent.id].append((j, 1.0))
        weight = penalties.weight(penalties.CONSEQUENCE_DUTY)
        terms.append((m.col("slack", 0.0, duty.hours_per_week, penalty=weight), 1.0))
        m.row(duty.hours_per_week, INF, terms)

    # C5 supervision: persons supervised + unsupervised = H; caps max_supervisees x H
    cap_terms: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for sub in agents:
        if sub.needs_supervision <= 0:
            continue
        terms = [(head[sub.id], -1.0)]
        for sup in agents:
            if sup.role not in sub.supervised_by or sup.max_supervisees <= 0:
                continue
            j = m.col("p", 0.0, float(max_head[sub.id]), integer=True)
            if sup.id == sub.id:
                # nobody supervises themselves: peers only, so two or more people
                b = m.col("b", 0.0, 1.0, integer=True)
                m.row(-INF, 0.0, [(j, 1.0), (b, -float(max_head[sub.id]))])
                m.row(-INF, 0.0, [(b, 2.0), (head[sub.id], -1.0)])
            terms.append((j, 1.0))
            cap_terms[sup.id].append((j, 1.0))
            load[sup.id].append((j, sub.needs_supervision))
            load[sub.id].append((j, sub.needs_supervision))
        weight = penalties.weight(penalties.supervision_consequence(sub.registered))
        terms.append((m.col("slack", 0.0, INF, penalty=weight), 1.0))
        m.row(0.0, 0.0, terms)
    for sup_id, terms in cap_terms.items():
        sup = team.by_id[sup_id]
        m.row(-INF, 0.0, terms + [(head[sup_id], -float(sup.max_supervisees))])

    # C1 capacity (hard): load <= available per FTE x step x k
    for agent in agents:
        if load.get(agent.id):
            m.row(-INF, 0.0, load[agent.id] + [(k[agent.id], -agent.available_per_fte * step)])

    # C6 protected continuity
    weight = penalties.weight(penalties.CONSEQUENCE_CONTINUITY)
    for agent in agents:
        share = agent.continuity_share
        if share <= 0 or not non_continuity.get(agent.id):
            continue
        erosion = m.col("slack", 0.0, INF, penalty=weight)
        m.row(
            -INF,
            0.0,
            non_continuity[agent.id]
            + [(erosion, -1.0), (k[agent.id], -(1.0 - share) * agent.available_per_fte * step)],
        )

    # C7 care coordination, in the same model
    caseload: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for segment in scenario.cohort:
        if segment.people <= 0:
            continue
        tier = scenario.tiers[segment.tier]
        registered_only = segment.tier in scenario.policies.coordination_registered_for
        terms = []
        for agent in agents:
            if agent.caseload_capacity_per_fte <= 0 or not (
                agent.registered or not registered_only
            ):
                continue
            j = m.col("y", 0.0, float(segment.people), integer=True)
            terms.append((j, 1.0))
            caseload[agent.id].append((j, tier.caseload_weight))
        weight = penalties.weight(tier.severity)
        terms.append((m.col("slack", 0.0, float(segment.people), penalty=weight), 1.0))
        m.row(float(segment.people), float(segment.people), terms)
    for agent_id, terms in caseload.items():
        agent = team.by_id[agent_id]
        m.row(-INF, 1e-9, terms + [(k[agent_id], -agent.caseload_capacity_per_fte * step)])

    if budget is not None:
        m.row(-INF, budget + 1e-6, [(j, m.cost[j]) for j in k.values()])
    return m, {"k": k, "head": head, "step": step}


def run(
    scenario_path: Path,
    mip_rel_gap: float = 1e-9,
    threads: int | None = None,
    budget: float | None = None,
) -> dict[str, Any]:
    """Build and solve the plain sizing MILP; returns the result record."""
    t0 = time.perf_counter()
    scenario = load_scenario(scenario_path)
    t1 = time.perf_counter()
    cpu0 = time.process_time()
    model, index = build_sizing(scenario, budget)
    h = _highs(model, mip_rel_gap, threads)
    t2 = time.perf_counter()
    h.run()
    status1 = _status(h)
    if status1 != "optimal":
        return {"engine": "highspy plain sizing MILP", "status": status1}
    best = h.getInfo().objective_function_value
    pen_idx = np.flatnonzero(np.asarray(model.penalty)).astype(np.int32)
    pen_val = np.asarray(model.penalty, dtype=np.float64)[pen_idx]
    cap = best + 1e-7 * max(1.0, abs(best)) + 1e-6
    h.addRow(-highspy.kHighsInf, cap, len(pen_idx), pen_idx, pen_val)
    n = model.num_cols
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(model.cost, dtype=np.float64))
    h.run()
    status2 = _status(h)
    values = list(h.getSolution().col_value)
    t3 = time.perf_counter()
    step = index["step"]
    return {
        "engine": "highspy plain sizing MILP",
        "scenario": str(scenario_path),
        "status": "optimal" if status1 == status2 == "optimal" else f"{status1}/{status2}",
        "penalty": model.value(model.penalty, values),
        "cost": model.value(model.cost, values),
        "fte": {r: round(step * round(values[j]), 6) for r, j in index["k"].items()},
        "headcount": {r: int(round(values[j])) for r, j in index["head"].items()},
        "seconds_load": t1 - t0,
        "seconds_build": t2 - t1,
        "seconds_solve": t3 - t2,
        "seconds": t3 - t1,
        "cpu_seconds": time.process_time() - cpu0,
        "variables": model.num_cols,
        "integer_variables": int(sum(model.integer)),
        "constraints": model.num_rows,
        "highs_version": h.version(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: solve, print the JSON record, cross-check the cost if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--mip-rel-gap", type=float, default=1e-9)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--expect-cost", type=float, default=None)
    args = parser.parse_args(argv)
    result = run(args.scenario, args.mip_rel_gap, args.threads, args.budget)
    print(json.dumps(result))
    if args.expect_cost is not None and abs(result.get("cost", -1e18) - args.expect_cost) > 0.5:
        print(
            f"cost mismatch: baseline {result.get('cost')!r}, expected {args.expect_cost!r}",
            file=sys.stderr,
        )
        return 1
    return 0 if result["status"] == "optimal" else 1


if __name__ == "__main__":
    raise SystemExit(main())
