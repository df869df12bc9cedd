"""One timed solve of a scenario with our optimiser, in a fresh process.

    python benchmarks/run_ours.py SCENARIO [--highs-options "mip_rel_gap=1e-9"] [--phases]

Prints one JSON object. ``seconds`` (``cpu_seconds``: process CPU time) is
the time of ``solve_values(scenario, SolveParams(mitigations=False))`` alone: interpreter
start, imports (``seconds_import``) and reading the YAML (``seconds_load``)
are excluded and reported separately. ``bench_solve.py`` also measures the
whole process from the outside.

``--highs-options`` passes a HiGHS option string to every solver our model
creates, through ``MPSolver.SetSolverSpecificParametersAsString``, by
wrapping ``LinearModel.__init__`` *in this benchmark process only*. It exists
to measure a proposed change to ``optimiser/model/lp.py``: OR-Tools' HiGHS
interface ignores ``MPSolverParameters`` (``RELATIVE_MIP_GAP`` and
``PRIMAL_TOLERANCE`` are no-ops in ``highs_interface.cc``), so HiGHS runs with
its default ``mip_rel_gap = 1e-4`` unless options are passed this way.

``--phases`` then re-solves once more, timing model building and solving of
the hours and coordination models separately (after the timed run, so it
does not disturb it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from optimiser.model import lp  # noqa: E402
from optimiser.scenario import load_scenario  # noqa: E402
from optimiser.solve import SolveParams, solve_values  # noqa: E402

_IMPORTED = time.perf_counter()


def _pass_highs_options(options: str) -> None:
    """Make every ``LinearModel`` hand ``options`` to HiGHS (benchmark process only)."""
    original = lp.LinearModel.__init__

    def patched(self: lp.LinearModel, name: str) -> None:
        original(self, name)
        # returns False for HiGHS even though the string is stored and applied at Solve
        self.solver.SetSolverSpecificParametersAsString(options)

    lp.LinearModel.__init__ = patched  # type: ignore[method-assign]


def _phases(scenario: Any) -> dict[str, float | int]:
    """Seconds of each part of ``solve_values`` (one extra, untimed-by-the-caller run)."""
    from optimiser.demand import build_team, demand_rows
    from optimiser.model.coordination import CoordinationModel
    from optimiser.model.hours import HoursModel, ModelOptions

    solve_seconds: dict[str, float] = {}
    original = lp.LinearModel.solve

    def timed(self: lp.LinearModel, time_limit: float | None = None) -> lp.Status:
        start = time.perf_counter()
        try:
            return original(self, time_limit)
        finally:
            key = f"{self.name}_highs_calls"
            solve_seconds[key] = solve_seconds.get(key, 0.0) + time.perf_counter() - start

    lp.LinearModel.solve = timed  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        team = build_team(scenario)
        demand = demand_rows(scenario)
        t1 = time.perf_counter()
        hours = HoursModel(scenario, team, demand, ModelOptions())
        t2 = time.perf_counter()
        hours.solve()
        t3 = time.perf_counter()
        coordination = CoordinationModel(scenario, team)
        t4 = time.perf_counter()
        coordination.solve()
        t5 = time.perf_counter()
    finally:
        lp.LinearModel.solve = original  # type: ignore[method-assign]
    hours_calls = solve_seconds.get("hours_highs_calls", 0.0)
    coord_calls = solve_seconds.get("coordination_highs_calls", 0.0)
    return {
        "team_and_demand": t1 - t0,
        "hours_build": t2 - t1,
        "hours_solve_total": t3 - t2,
        "hours_highs_calls": hours_calls,
        "hours_python_between_solves": (t3 - t2) - hours_calls,
        "coordination_build": t4 - t3,
        "coordination_solve_total": t5 - t4,
        "coordination_highs_calls": coord_calls,
        "total": t5 - t0,
        "hours_variables": hours.lp.num_variables,
        "hours_integer_variables": len(hours.p) + (hours.k is not None) + (hours.head is not None),
        "coordination_variables": coordination.lp.num_variables,
        "coordination_integer_variables": len(coordination.y),
        "demand_groups": len(hours.groups),
    }


def highs_version() -> str | None:
    """Version of the HiGHS bundled in OR-Tools, read from its banner on fd 1."""
    import os
    import tempfile

    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("HIGHS")
    x = solver.NumVar(0, 1, "x")
    solver.Minimize(x)
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            solver.Solve()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        tmp.seek(0)
        banner = tmp.read().decode(errors="replace")
    match = re.search(r"HiGHS (\d+\.\d+\.\d+)", banner)
    return match.group(1) if match else None


def main(argv: list[str] | None = None) -> int:
    """Command line: one timed ``solve_values``; prints the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--highs-options", default="")
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--highs-version", action="store_true")
    args = parser.parse_args(argv)
    if args.highs_options:
        _pass_highs_options(args.highs_options)
    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    t1 = time.perf_counter()
    c1 = time.process_time()
    values = solve_values(scenario, SolveParams(mitigations=False))
    c2 = time.process_time()
    t2 = time.perf_counter()
    result: dict[str, Any] = {
        "engine": "skillmix solve_values"
        + (f" [{args.highs_options}]" if args.highs_options else ""),
        "scenario": str(args.scenario),
        "status": values.status.value,
        "penalty": values.penalty,
        "cost": values.hours.cost + values.coordination.cost,
        "seconds": t2 - t1,
        "cpu_seconds": c2 - c1,
        "seconds_load": t1 - t0,
        "seconds_import": _IMPORTED - _T0,
        "hours_variables": values.hours.num_variables,
        "hours_constraints": values.hours.num_constraints,
        "highs_options": args.highs_options,
    }
    if args.phases:
        result["phases"] = _phases(scenario)
    if args.highs_version:
        result["ortools_highs_version"] = highs_version()
    print(json.dumps(result))
    return 0 if values.status.value == "optimal" else 1


if __name__ == "__main__":
    raise SystemExit(main())
