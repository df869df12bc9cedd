"""The full ``skillmix solve`` (register, mitigations, package) against a plain MILP.

    python benchmarks/bench_register.py [--scenario benchmarks/data/trust-under.yaml]
        [--rounds 3] [--example-repeats 7] [--json OUT]

What a user runs, as a whole process, with its default options:
``skillmix solve SCENARIO -o <tmp>`` (mitigations on: the register, every
entry's costed options and the mitigation package). The reference is
``benchmarks/baseline_highs.py SCENARIO``: a plain highspy MILP of the plan
alone (both objective levels, ``mip_rel_gap`` 1e-9, no register, no
mitigations), also a whole process. Rounds alternate the two (order rotated
each round) so the noise of a shared machine hits both alike; medians and
their ratio are reported, wall and CPU time. The example team
(``scenarios/cmht-north.yaml``) is timed end to end the same way.

``benchmarks/data/trust-under.yaml`` is ``generate.py --seed 1 --staffing 0.7``:
the trust-scale scenario with every role at 70 % of its FTE, thousands of
shortfall rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
SKILLMIX = str(Path(PYTHON).parent / "skillmix")
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one whole process, and its standard output."""
    cpu0 = _cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=os.environ)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return wall, _cpu() - cpu0, proc.stdout


def ours(scenario: Path, out: Path) -> dict[str, Any]:
    wall, cpu, _ = timed([SKILLMIX, "solve", str(scenario), "-o", str(out)])
    plan = json.loads((out / "plan.json").read_text())
    package = plan.get("mitigation_package") or {}
    return {
        "wall": wall,
        "cpu": cpu,
        "penalty": plan["objective"]["risk_penalty"],
        "entries": len(plan["risks"]),
        "rows": len(plan.get("shortfalls", [])),
        "red_flags": sum(1 for r in plan["risks"] if r["red_flag"]),
        "package_cost": package.get("annual_cost"),
        "package_additions": len(package.get("additions", [])),
    }


def baseline(scenario: Path) -> dict[str, Any]:
    wall, cpu, stdout = timed([PYTHON, str(HERE / "baseline_highs.py"), str(scenario)])
    record = json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])
    return {"wall": wall, "cpu": cpu, "penalty": record["penalty"], "status": record["status"]}


def median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=HERE / "data" / "trust-under.yaml")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--example-repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "baseline": []}
    example: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="skillmix-bench-") as tmp:
        for i in range(args.rounds):
            order = ["ours", "baseline"] if i % 2 == 0 else ["baseline", "ours"]
            for arm in order:
                if arm == "ours":
                    runs[arm].append(ours(args.scenario, Path(tmp) / f"trust{i}"))
                else:
                    runs[arm].append(baseline(args.scenario))
                print(f"round {i + 1} {arm}: {runs[arm][-1]['wall']:.1f} s", flush=True)
        for i in range(args.example_repeats):
            example.append(ours(EXAMPLE, Path(tmp) / f"example{i}"))
    ratio = median(runs["ours"], "wall") / median(runs["baseline"], "wall")
    cpu_ratio = median(runs["ours"], "cpu") / median(runs["baseline"], "cpu")
    result = {
        "scenario": str(args.scenario),
        "rounds": args.rounds,
        "ours": runs["ours"],
        "baseline": runs["baseline"],
        "median_wall": {a: median(r, "wall") for a, r in runs.items()},
        "median_cpu": {a: median(r, "cpu") for a, r in runs.items()},
        "ratio_wall": ratio,
        "ratio_cpu": cpu_ratio,
        "example": example,
        "example_median_wall": median(example, "wall"),
        "load_average": os.getloadavg(),
    }
    first = runs["ours"][0]
    print(
        f"{args.scenario.name}: {first['rows']} shortfall rows in {first['entries']} register "
        f"entries ({first['red_flags']} red flags); package {first['package_additions']} "
        f"additions, £{first['package_cost']:,.0f}"
    )
    print(
        f"skillmix solve (mitigations on) median {result['median_wall']['ours']:.1f} s wall, "
        f"plain HiGHS MILP {result['median_wall']['baseline']:.1f} s: ratio {ratio:.2f} "
        f"(CPU {cpu_ratio:.2f})"
    )
    print(f"example end to end: median {result['example_median_wall']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
