"""The benchmark's baseline: the same model as a plain HiGHS MILP, in its own process.

    python benchmarks/baseline_highs.py benchmarks/data/trust.yaml [--mip-rel-gap 1e-9]
        [--expect-penalty P] [--threads N]

Builds the plain formulation of ``benchmarks/naive_model.py`` -- one
``x[task, segment, role]`` per eligible triple, integer ``y`` and ``p``, the
coordination model inside the same MILP, no aggregation, no decomposition --
hands it to ``highspy`` in bulk (``addVars`` / ``addRows`` on NumPy arrays) and
solves it with the same two-level lexicographic objective as
``optimiser/model/hours.py``: minimise the weighted risk penalty; then add the
row ``penalty <= best + 1e-7 max(1, |best|) + 1e-6`` and minimise the
top-of-licence cost.

This process imports only ``highspy``, NumPy, the scenario loader and
``optimiser.demand`` / ``optimiser.penalties``; never ``ortools`` or
``optimiser.model`` / ``optimiser.solve`` (loading HiGHS from ``highspy`` and
from OR-Tools in one process breaks OR-Tools).

Prints one JSON object: ``penalty``, ``cost``, ``seconds_build``,
``seconds_solve``, ``variables``, ``status`` and more (see :func:`run`).
With ``--expect-penalty`` it exits 1 unless its penalty agrees within 1e-6
relative.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import highspy  # noqa: E402
import numpy as np  # noqa: E402
from naive_model import NaiveModel, build_naive  # noqa: E402

from optimiser.scenario import load_scenario  # noqa: E402

#: relative tolerance of the penalty cross-check
PENALTY_RTOL = 1e-6


def _highs(model: NaiveModel, mip_rel_gap: float, threads: int | None) -> highspy.Highs:
    """A quiet HiGHS instance holding ``model`` with the level-1 objective."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    if threads is not None:
        h.setOptionValue("threads", threads)
    n = model.num_cols
    inf = highspy.kHighsInf
    lower = np.asarray(model.col_lower, dtype=np.float64)
    upper = np.minimum(np.asarray(model.col_upper, dtype=np.float64), inf)
    h.addVars(n, lower, upper)
    idx = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, idx, np.asarray(model.penalty, dtype=np.float64))
    ints = np.flatnonzero(np.asarray(model.integer, dtype=bool)).astype(np.int32)
    if len(ints):
        kinds = np.full(len(ints), highspy.HighsVarType.kInteger)
        h.changeColsIntegrality(len(ints), ints, kinds)
    rl = np.maximum(np.asarray(model.row_lower, dtype=np.float64), -inf)
    ru = np.minimum(np.asarray(model.row_upper, dtype=np.float64), inf)
    h.addRows(
        model.num_rows,
        rl,
        ru,
        model.num_nonzeros,
        np.asarray(model.row_start[:-1], dtype=np.int32),
        np.asarray(model.row_index, dtype=np.int32),
        np.asarray(model.row_value, dtype=np.float64),
    )
    return h


def _status(h: highspy.Highs) -> str:
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    return h.modelStatusToString(status)


def run(
    scenario_path: Path, mip_rel_gap: float = 1e-9, threads: int | None = None
) -> dict[str, Any]:
    """Build and solve the plain model; returns the result record.

    ``seconds_load`` is reading the scenario (excluded from both sides of the
    comparison); ``seconds_build`` is team, demand rows, the naive arrays and
    handing them to HiGHS; ``seconds_solve`` is both lexicographic levels and
    reading the values back; ``cpu_seconds`` is the process CPU time of both.
    """
    t0 = time.perf_counter()
    scenario = load_scenario(scenario_path)
    t1 = time.perf_counter()
    c1 = time.process_time()
    model = build_naive(scenario)
    h = _highs(model, mip_rel_gap, threads)
    t2 = time.perf_counter()

    # level 1: least weighted risk penalty
    h.run()
    status1 = _status(h)
    best = h.getInfo().objective_function_value
    gap1 = h.getInfo().mip_gap
    nodes1 = h.getInfo().mip_node_count
    t_level1 = time.perf_counter()
    # level 2: least top-of-licence cost at that penalty
    pen_idx = np.flatnonzero(np.asarray(model.penalty)).astype(np.int32)
    pen_val = np.asarray(model.penalty, dtype=np.float64)[pen_idx]
    cap = best + 1e-7 * max(1.0, abs(best)) + 1e-6
    h.addRow(-highspy.kHighsInf, cap, len(pen_idx), pen_idx, pen_val)
    n = model.num_cols
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(model.cost, dtype=np.float64))
    h.run()
    status2 = _status(h)
    values = list(h.getSolution().col_value)
    gap2 = h.getInfo().mip_gap
    nodes2 = h.getInfo().mip_node_count
    t3 = time.perf_counter()
    c3 = time.process_time()

    status = "optimal" if status1 == status2 == "optimal" else f"{status1}/{status2}"
    return {
        "engine": "highspy plain MILP",
        "scenario": str(scenario_path),
        "status": status,
        "penalty": model.value(model.penalty, values),
        "cost": model.value(model.cost, values),
        "level1_objective": best,
        "seconds_load": t1 - t0,
        "seconds_build": t2 - t1,
        "seconds_solve": t3 - t2,
        "seconds_level1": t_level1 - t2,
        "seconds_level2": t3 - t_level1,
        "seconds": t3 - t1,
        "cpu_seconds": c3 - c1,
        "variables": model.num_cols,
        "variables_by_kind": model.counts,
        "integer_variables": int(sum(model.integer)),
        "constraints": model.num_rows,
        "nonzeros": model.num_nonzeros,
        "mip_rel_gap_option": mip_rel_gap,
        "mip_gap": [gap1, gap2],
        "mip_nodes": [nodes1, nodes2],
        "highs_version": h.version(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: solve, print the JSON record, cross-check the penalty if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument(
        "--mip-rel-gap",
        type=float,
        default=1e-9,
        help="HiGHS mip_rel_gap (default 1e-9: proven optimal to 1e-9 relative)",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--expect-penalty", type=float, default=None)
    args = parser.parse_args(argv)
    result = run(args.scenario, args.mip_rel_gap, args.threads)
    print(json.dumps(result))
    if args.expect_penalty is not None:
        diff = abs(result["penalty"] - args.expect_penalty)
        if diff > PENALTY_RTOL * max(1.0, abs(args.expect_penalty)):
            print(
                f"penalty mismatch: baseline {result['penalty']!r}, "
                f"expected {args.expect_penalty!r}",
                file=sys.stderr,
            )
            return 1
    return 0 if result["status"] == "optimal" else 1


if __name__ == "__main__":
    raise SystemExit(main())
