"""Where the example's end-to-end time goes: the steps of ``skillmix solve``, timed.

    python benchmarks/profile_example.py [SCENARIO] [--repeats 5] [--json OUT]

Each repeat is a fresh process that performs the steps of ``cli.py solve``
one by one with a clock around each: interpreter start (measured from the
outside as ``python -c pass``), ``import cli``, importing the solver stack
(``optimiser.solve`` with OR-Tools, output writers, the rich summary),
loading the scenario, ``solve_values`` (the two models), the rest of
``solve`` (risk register and costed mitigations, with the number and time of
HiGHS calls), writing the files and printing the summary. Medians per step.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"


def child(scenario: Path) -> dict[str, Any]:
    """Run the steps of ``skillmix solve`` in this process; seconds per step."""
    sys.path[:0] = [str(ROOT)]
    out: dict[str, Any] = {}
    t = time.perf_counter()
    import cli  # noqa: F401

    out["import_cli"] = time.perf_counter() - t
    t = time.perf_counter()
    from optimiser.model import lp
    from optimiser.output import plan_files, write_files
    from optimiser.solve import SolveParams, solve, solve_values
    from optimiser.terminal.plan import print_summary

    out["import_solver_stack"] = time.perf_counter() - t
    calls = {"n": 0, "seconds": 0.0}
    original = lp.LinearModel.solve

    def counted(self: lp.LinearModel, time_limit: float | None = None) -> lp.Status:
        start = time.perf_counter()
        try:
            return original(self, time_limit)
        finally:
            calls["n"] += 1
            calls["seconds"] += time.perf_counter() - start

    lp.LinearModel.solve = counted  # type: ignore[method-assign]
    from optimiser.scenario import load_scenario

    t = time.perf_counter()
    scenario = load_scenario(scenario)
    out["load_scenario"] = time.perf_counter() - t

    t = time.perf_counter()
    solve_values(scenario, SolveParams(mitigations=False))
    out["solve_values"] = time.perf_counter() - t
    out["solve_values_highs_calls"] = calls["n"]
    out["solve_values_highs_seconds"] = calls["seconds"]

    calls.update(n=0, seconds=0.0)
    t = time.perf_counter()
    plan = solve(scenario, SolveParams())
    out["solve_full"] = time.perf_counter() - t
    out["solve_full_highs_calls"] = calls["n"]
    out["solve_full_highs_seconds"] = calls["seconds"]
    out["risks"] = len(plan.risks)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_files(Path(tmp), plan_files(plan))
        out["write_files"] = time.perf_counter() - t
        t = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            print_summary(plan, Path(tmp))
        out["print_summary"] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: medians of the steps over fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, nargs="?", default=EXAMPLE)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.scenario)))
        return 0
    runs: list[dict[str, Any]] = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare = time.perf_counter() - start
        proc = subprocess.run(
            [sys.executable, __file__, str(args.scenario), "--child"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        record = json.loads(proc.stdout.strip().splitlines()[-1])
        record["interpreter_start"] = bare
        runs.append(record)
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    steps = [
        "interpreter_start",
        "import_cli",
        "import_solver_stack",
        "load_scenario",
        "solve_full",
        "write_files",
        "print_summary",
    ]
    total = sum(medians[k] for k in steps)
    print(f"{args.scenario}: medians of {args.repeats} fresh processes (s)")
    for k in steps:
        print(f"  {k:22s} {medians[k]:7.3f}")
    print(f"  {'sum of steps':22s} {total:7.3f}")
    print(
        f"  solve_full: {medians['solve_full_highs_calls']:.0f} HiGHS calls in all "
        f"({medians['solve_full_highs_seconds']:.3f} s in HiGHS); the two models alone "
        f"(solve_values) take {medians['solve_values']:.3f} s and "
        f"{medians['solve_values_highs_calls']:.0f} calls, the rest is the risk register "
        "and its mitigations"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps({"runs": runs, "medians": medians, "sum_of_steps": total}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
