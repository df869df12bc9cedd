"""Benchmark the GAP engine on OR-Library / type E instances.

    python benchmarks/gap.py FILE... [--sense min|max] [--instance NAME]
        [--time-limit S] [--json OUT] [--engine skillmix|cpsat|highs]
        [--workers N] [--seed N] [--known CSV]

Prints, and writes as a JSON list, one row per instance: ``set, instance,
sense, objective, bound, status, seconds`` (plus ``engine, m, n, known,
gap_pct``: the known optimum / best-known value from ``known_optima.csv``
and the objective's relative distance to it, used for reporting only).

Engines:

* ``skillmix`` (default): :func:`gapengine.gap.solve_gap (benchmarks/gapengine/)`, the engine
  that ``caseload`` uses;
* ``cpsat``: the plain CP-SAT model (x_ij booleans, exactly-one per job, one
  linear capacity row per agent), ``--workers`` workers, wall-clock limit;
* ``highs``: the plain MILP in HiGHS through ``highspy`` (``pip install
  '.[bench]'``), each instance in a child process, because ``highspy`` and
  OR-Tools cannot share a process.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KNOWN = ROOT.parent / "shared" / "benchmarks" / "gap" / "known_optima.csv"


# --------------------------------------------------------------------------- HiGHS child
def _highs_worker() -> None:
    """Solve one instance read as JSON from stdin with highspy; print a JSON row.

    Imports nothing from OR-Tools (nor ``optimiser.model``, which loads it).
    """
    import highspy
    import numpy as np

    job = json.load(sys.stdin)
    c = np.array(job["costs"], dtype=float)
    w = np.array(job["weights"], dtype=float)
    b = np.array(job["capacities"], dtype=float)
    m, n = c.shape
    sign = 1.0 if job["sense"] == "min" else -1.0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(job["time_limit"]))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("random_seed", int(job["seed"]))
    nvar = m * n  # column k = i * n + j
    h.addCols(
        nvar, (sign * c).ravel(), np.zeros(nvar), np.ones(nvar), 0,
        np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=float),
    )  # fmt: skip
    h.changeColsIntegrality(
        nvar, np.arange(nvar, dtype=np.int32), np.full(nvar, highspy.HighsVarType.kInteger)
    )
    # assignment rows: sum_i x_ij = 1
    idx = np.array([i * n + j for j in range(n) for i in range(m)], dtype=np.int32)
    h.addRows(
        n, np.ones(n), np.ones(n), n * m,
        np.arange(0, n * m, m, dtype=np.int32), idx, np.ones(n * m),
    )  # fmt: skip
    # capacity rows: sum_j w_ij x_ij <= b_i
    idx = np.arange(nvar, dtype=np.int32)
    h.addRows(
        m, np.full(m, -highspy.kHighsInf), b, nvar,
        np.arange(0, nvar, n, dtype=np.int32), idx, w.ravel(),
    )  # fmt: skip
    start = time.monotonic()
    h.run()
    seconds = time.monotonic() - start
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    objective = sign * info.objective_function_value if has_sol else None
    bound = sign * info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    if status == highspy.HighsModelStatus.kOptimal:
        name, bound = "optimal", objective
    elif status == highspy.HighsModelStatus.kInfeasible:
        name = "infeasible"
    else:
        name = "feasible" if has_sol else "unknown"
    print(json.dumps({"objective": objective, "bound": bound, "status": name, "seconds": seconds}))


def _run_highs(inst: Any, time_limit: float, seed: int) -> dict[str, Any]:
    job = {
        "costs": inst.costs.tolist(),
        "weights": inst.weights.tolist(),
        "capacities": inst.capacities.tolist(),
        "sense": inst.sense,
        "time_limit": time_limit,
        "seed": seed,
    }
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--highs-worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
        timeout=time_limit + 120,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- plain CP-SAT
def _run_cpsat(inst: Any, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    from ortools.sat.python import cp_model

    m, n = inst.m, inst.n
    c = inst.costs.astype(int)
    w = inst.weights.astype(int)
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x_{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(sum(int(w[i, j]) * x[i][j] for j in range(n)) <= int(inst.capacities[i]))
    objective = sum(int(c[i, j]) * x[i][j] for i in range(m) for j in range(n))
    if inst.sense == "min":
        model.minimize(objective)
    else:
        model.maximize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = seed
    start = time.monotonic()
    status = solver.solve(model)
    seconds = time.monotonic() - start
    names = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }
    has_sol = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "objective": solver.objective_value if has_sol else None,
        "bound": solver.best_objective_bound,
        "status": names.get(status, "unknown"),
        "seconds": seconds,
    }


# --------------------------------------------------------------------------- our engine
def _run_skillmix(inst: Any, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    from gapengine.gap import check_assignment, solve_gap

    result = solve_gap(inst, time_limit=time_limit, workers=workers, seed=seed)
    has_sol = not math.isnan(result.objective)
    if has_sol:
        problems = check_assignment(inst, result.assignment)
        if problems:
            raise RuntimeError(f"{inst.name}: engine returned an invalid assignment: {problems}")
        recomputed = float(sum(inst.costs[i, j] for j, i in enumerate(result.assignment)))
        if abs(recomputed - result.objective) > 1e-6:
            raise RuntimeError(f"{inst.name}: objective {result.objective} != {recomputed}")
    return {
        "objective": result.objective if has_sol else None,
        "bound": result.bound if math.isfinite(result.bound) else None,
        "status": result.status.value,
        "seconds": result.seconds,
        "stats": result.stats,
    }


def _known(path: Path | None) -> dict[tuple[str, str], float]:
    if path is None or not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {
            (row["instance"], row["sense"]): float(row["objective"]) for row in csv.DictReader(fh)
        }


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--sense", choices=("min", "max"), default="min")
    ap.add_argument("--instance", action="append", help="only these instances (repeatable)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--json", type=Path, help="write the rows here as a JSON list")
    ap.add_argument("--engine", choices=("skillmix", "cpsat", "highs"), default="skillmix")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--known", type=Path, default=DEFAULT_KNOWN, help="known_optima.csv")
    ap.add_argument("--highs-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.highs_worker:
        _highs_worker()
        return 0
    if not args.files:
        ap.error("give at least one instance file")

    sys.path.insert(0, str(ROOT))
    from gapengine.gap import load_instances

    known = _known(args.known)
    rows: list[dict[str, Any]] = []
    header = f"{'set':6} {'instance':9} {'sense':5} {'objective':>9} {'bound':>9} {'status':9} "
    print(header + f"{'seconds':>7} {'known':>7} {'gap%':>6}", flush=True)
    for path in args.files:
        for set_name, name, inst in load_instances(path, sense=args.sense):
            if args.instance and name not in args.instance:
                continue
            if args.engine == "highs":
                out = _run_highs(inst, args.time_limit, args.seed)
            elif args.engine == "cpsat":
                out = _run_cpsat(inst, args.time_limit, args.workers, args.seed)
            else:
                out = _run_skillmix(inst, args.time_limit, args.workers, args.seed)
            ref = known.get((name, args.sense))
            gap = None
            if ref is not None and out["objective"] is not None:
                gap = 100.0 * abs(out["objective"] - ref) / abs(ref)
            row = {
                "set": set_name,
                "instance": name,
                "sense": args.sense,
                "objective": out["objective"],
                "bound": out["bound"],
                "status": out["status"],
                "seconds": round(out["seconds"], 3),
                "engine": args.engine,
                "m": inst.m,
                "n": inst.n,
                "known": ref,
                "gap_pct": None if gap is None else round(gap, 4),
            }
            if "stats" in out:
                row["stats"] = out["stats"]
            rows.append(row)
            print(
                f"{set_name:6} {name:9} {args.sense:5} {_num(out['objective']):>9} "
                f"{_num(out['bound']):>9} {out['status']:9} {out['seconds']:7.2f} "
                f"{_num(ref):>7} {'-' if gap is None else f'{gap:.2f}':>6}",
                flush=True,
            )
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
