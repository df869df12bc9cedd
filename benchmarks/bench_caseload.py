"""Caseload assignment benchmark: proven optimality for a team, gap at trust scale.

    python benchmarks/bench_caseload.py [--weights tier|scheme|distinct|tenths] [--severity]
        [--repeats-team 7] [--repeats-trust 3] [--team-seeds 0,1,2,3,4] [--time-limit S]
        [--mode command|inprocess] [--json OUT]

Instances (deterministic, :func:`caseload_synthetic.synthetic_instance` (``benchmarks/``), seed 0):

* ``team``: 600 people x 25 coordinators, 2 localities (``--team-seeds``: one team
  per seed, each timed ``--repeats-team`` times; the target holds for each);
* ``trust``: 10,000 people x 400 coordinators, 20 teams (localities);
* ``trust-slack`` (informational, no target): the same at 85 % of capacity, where
  the load-balancing stage has room to work.

``--weights``: every person counts their tier's weight (``tier``), their own points
from a weighting scheme with few values (``scheme``: tier weight x 0.5, 1, 1.5 or
2), hundreds of distinct values (``distinct``: 0.5 to 1.5 x the tier weight to
the hundredth) or about 20 (``tenths``: the same to a tenth); ``--severity``
places people by their tier's severity first, as ``skillmix caseload`` does
(issue 13).

Both: tiers green / amber / red with weights 0.5 / 1 / 1.5 (50 / 38 / 12 %), about
10 % of people with needs, about 80 % with a current coordinator, total demand
98 % of capacity with localities up to 15 % over or under their own capacity and
coordinators' current caseloads from 70 to 130 % of their capacity, so some
people must change coordinator or locality.

Protocol (``--mode command``, the default and the headline): each instance is
written once, untimed, as the files a user gives the command
(:mod:`benchmarks.caseload_files`: a staff-mode scenario, its staff CSV and
PEOPLE.csv, with a ``weight`` column unless ``--weights tier``), then ``skillmix
caseload staff.yaml people.csv -o TMP`` runs as a whole process with its default
options (time limit 60 s) and is timed from process start to exit: reading and
checking the files, building the model, every stage, writing the five output
files.  Stage values and bounds come from its ``caseload.json``; its
``caseload.csv`` is checked (needs, registration, capacity) and evaluated
independently of the solver (:func:`optimiser.caseload.evaluate`).  Runs
alternate team / trust; medians are reported.  ``--mode inprocess`` times
``solve_caseload`` alone in this process (a profile, not the headline).

Targets (issue 3): team solved to proven optimality in under 2 s; trust within
60 s at <= 0.5 % gap to the proven bound, stage by stage (place, keep, locality:
``(bound - value) / bound``; the load-balancing stage is reported in points).
Exit status 1 if a target is missed or an assignment is infeasible.

Also: ``skillmix caseload scenarios/cmht-north-staff.yaml
scenarios/cmht-north-people.csv`` end to end (a fresh process, files written).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from caseload_synthetic import WEIGHTS, synthetic_instance  # noqa: E402

from benchmarks.caseload_files import write_files  # noqa: E402
from optimiser.caseload import (  # noqa: E402
    CaseloadParams,
    check_assignment,
    evaluate,
    solve_caseload,
)
from optimiser.model.lp import Status  # noqa: E402

INSTANCES: dict[str, dict[str, Any]] = {
    "team": {"people": 600, "coordinators": 25, "localities": 2},
    "trust": {"people": 10_000, "coordinators": 400, "localities": 20},
    # informational: demand 85 % of capacity, so that balancing load has work to do
    "trust-slack": {"people": 10_000, "coordinators": 400, "localities": 20, "tightness": 0.85},
}
TEAM_SECONDS = 2.0
#: ``skillmix caseload --time-limit`` default
COMMAND_SECONDS = 60.0
TRUST_GAP = 0.005


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "optimiser/caseload",
                "optimiser/model",
                "benchmarks/bench_caseload.py",
                "benchmarks/caseload_synthetic.py",
                "benchmarks/caseload_files.py",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def _stage_rows(stages: list[tuple[str, float, float, bool, float]]) -> dict[str, Any]:
    """Stage name -> value, bound, gap, proved, seconds."""
    out = {}
    for stage, value, bound, proved, seconds in stages:
        if stage == "spread":
            gap = value - bound  # points
        elif not math.isfinite(bound):
            gap = math.inf  # no bound proved
        else:
            gap = (bound - value) / bound if bound else 0.0
        out[stage] = {
            "value": value,
            "bound": bound,
            "gap": gap,
            "proved": proved,
            "seconds": round(seconds, 3),
        }
    return out


def _row(
    name: str, seconds: float, cpu: float, status: str, instance: Any, assignment: Any
) -> dict[str, Any]:
    problems = check_assignment(instance, assignment)
    o = evaluate(instance, assignment)
    return {
        "instance": name,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "status": status,
        "feasible": not problems,
        "problems": problems[:5],
        "placed": o.placed,
        "kept": o.kept,
        "local": o.local,
        "peak_utilisation": round(o.peak, 4),
        "spread_points": round(o.spread, 3),
    }


def run_command(
    name: str, files: Path, weights: str, time_limit: float | None, seed: int = 0
) -> dict[str, Any]:
    """``skillmix caseload staff.yaml people.csv -o OUT`` as a whole process (start
    to exit: reading and checking the files, the model, every stage, writing the
    outputs), default options unless ``time_limit`` is given; its ``caseload.csv``
    checked and evaluated against the instance, independently of the solver."""
    instance = synthetic_instance(**INSTANCES[name], seed=seed, weights=weights, severity=True)
    command = [
        str(Path(sys.executable).with_name("skillmix")),
        "caseload",
        str(files / "staff.yaml"),
        str(files / "people.csv"),
    ]
    if time_limit is not None:
        command += ["--time-limit", f"{time_limit:g}"]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        before = os.times()
        subprocess.run([*command, "-o", tmp], check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        doc = json.loads((Path(tmp) / "caseload.json").read_text(encoding="utf-8"))
        with (Path(tmp) / "caseload.csv").open(newline="", encoding="utf-8") as handle:
            chosen = {r["person"]: r["coordinator"] or None for r in csv.DictReader(handle)}
    assignment = [chosen[p.id] for p in instance.people]
    row = _row(name, seconds, cpu, doc["status"], instance, assignment)
    row["seed"] = seed
    row["solve_seconds"] = doc["solve_seconds"]
    row["stages"] = _stage_rows(
        [
            (s["stage"], s["value"], _number(s["bound"]), s["status"] == "optimal", s["seconds"])
            for s in doc["stages"]
        ]
    )
    return row


def _number(value: Any) -> float:
    """A bound as ``caseload.json`` writes it (``Infinity`` or a string when unbounded)."""
    return float(value) if value is not None else math.inf


def run_once(
    name: str,
    time_limit: float | None,
    weights: str = "tier",
    severity: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """``solve_caseload`` in this process (a profile: no files read or written)."""
    instance = synthetic_instance(**INSTANCES[name], seed=seed, weights=weights, severity=severity)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = solve_caseload(instance, CaseloadParams(time_limit=time_limit))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    row = _row(name, seconds, cpu, result.status.value, instance, result.assignment)
    row["seed"] = seed
    row["stages"] = _stage_rows(
        [(s.stage, s.value, s.bound, s.status is Status.OPTIMAL, s.seconds) for s in result.stages]
    )
    row["stats"] = {k: round(v, 3) for k, v in result.stats.items()}
    return row


def run_example() -> float:
    """``skillmix caseload`` on the cmht-north example, process start to exit."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).with_name("skillmix")),
                "caseload",
                str(ROOT / "scenarios" / "cmht-north-staff.yaml"),
                str(ROOT / "scenarios" / "cmht-north-people.csv"),
                "-o",
                tmp,
            ],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats-team", type=int, default=7)
    parser.add_argument("--repeats-trust", type=int, default=3)
    parser.add_argument("--repeats-slack", type=int, default=1)
    parser.add_argument("--repeats-example", type=int, default=5)
    parser.add_argument(
        "--team-seeds",
        default="0",
        help="comma-separated seeds of the team instances (one team each; default 0)",
    )
    parser.add_argument(
        "--mode",
        choices=("command", "inprocess"),
        default="command",
        help="command: time `skillmix caseload` on written files, a whole process "
        "(the headline); inprocess: time solve_caseload alone (a profile)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=None, help="trust; default: the command's (60 s)"
    )
    parser.add_argument(
        "--team-time-limit", type=float, default=None, help="default: none (prove every stage)"
    )
    parser.add_argument("--weights", choices=WEIGHTS, default="tier")
    parser.add_argument(
        "--severity", action="store_true", help="inprocess: place by severity (command: always)"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.mode == "command":
        args.severity = True  # the command always places by tier severity
    limit = COMMAND_SECONDS if args.time_limit is None else args.time_limit
    try:  # each team once, in the order given
        seeds = list(dict.fromkeys(int(s) for s in args.team_seeds.split(",")))
    except ValueError:
        parser.error(f"--team-seeds: whole numbers separated by commas, not {args.team_seeds!r}")
    if args.repeats_team == 0:
        seeds = []  # no team runs: nothing to write, time or check
    scratch = tempfile.TemporaryDirectory()
    files: dict[tuple[str, int], Path] = {}
    if args.mode == "command":  # the input files, written once (not timed)
        wanted = [("team", s) for s in seeds] + [(n, 0) for n in INSTANCES if n != "team"]
        for name, seed in wanted:
            instance = synthetic_instance(**INSTANCES[name], seed=seed, weights=args.weights,
                                          severity=True)  # fmt: skip
            files[name, seed] = Path(scratch.name) / f"{name}-{seed}"
            write_files(instance, files[name, seed], weights=args.weights != "tier")

    def run(name: str, time_limit: float | None, seed: int = 0) -> dict[str, Any]:
        if args.mode == "command":
            return run_command(name, files[name, seed], args.weights, time_limit, seed)
        if time_limit is None and name != "team":
            time_limit = COMMAND_SECONDS
        return run_once(name, time_limit, args.weights, args.severity, seed)

    runs: dict[str, list[dict[str, Any]]] = {"team": [], "trust": [], "trust-slack": []}
    rounds = max(args.repeats_team, args.repeats_trust, args.repeats_slack)
    for r in range(rounds):
        for seed in seeds if r < args.repeats_team else ():
            row = run("team", args.team_time_limit, seed)
            runs["team"].append(row)
            line = f"team  #{r + 1} seed {seed}: {row['seconds']:.2f} s  {row['status']}"
            print(line, flush=True)
        if r < args.repeats_trust:
            row = run("trust", args.time_limit)
            runs["trust"].append(row)
            gaps = ", ".join(f"{k} {v['value']:g}/{v['bound']:g}" for k, v in row["stages"].items())
            print(f"trust #{r + 1}: {row['seconds']:.1f} s  {row['status']}  {gaps}", flush=True)
        if r < args.repeats_slack:
            row = run("trust-slack", args.time_limit)
            runs["trust-slack"].append(row)
            print(f"slack #{r + 1}: {row['seconds']:.1f} s  {row['status']}", flush=True)
    scratch.cleanup()
    example = [run_example() for _ in range(args.repeats_example)]

    failures = []
    team_median = statistics.median(r["seconds"] for r in runs["team"]) if runs["team"] else 0.0
    for seed in seeds:
        rows = [r for r in runs["team"] if r["seed"] == seed]
        if not all(r["status"] == "optimal" and r["feasible"] for r in rows):
            failures.append(f"team seed {seed}: not every run proven optimal and feasible")
    # JSON object keys are strings: the seeds as written on the command line
    team_medians = {
        str(seed): statistics.median(r["seconds"] for r in runs["team"] if r["seed"] == seed)
        for seed in seeds
    }
    for seed, median in team_medians.items():
        if median >= TEAM_SECONDS:
            failures.append(f"team seed {seed}: median {median:.2f} s >= {TEAM_SECONDS} s")
    trust_median = statistics.median(r["seconds"] for r in runs["trust"]) if runs["trust"] else 0
    worst_gap = 0.0
    for row in runs["trust-slack"]:
        if not row["feasible"]:
            failures.append("trust-slack: infeasible assignment")
    for row in runs["trust"]:
        if not row["feasible"]:
            failures.append("trust: infeasible assignment")
        if row["seconds"] > limit:
            failures.append(f"trust: {row['seconds']:.1f} s > {limit:g} s")
        for stage in ("place", "keep", "locality"):
            worst_gap = max(worst_gap, row["stages"][stage]["gap"])
    if worst_gap > TRUST_GAP:
        failures.append(f"trust: gap {worst_gap:.3%} > {TRUST_GAP:.1%}")

    doc = {
        "commit": _commit(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
        "mode": args.mode,
        "time_limit_trust": limit,
        "weights": args.weights,
        "severity": args.severity,
        "team_median_seconds": team_median,
        "team_seed_median_seconds": team_medians,
        "trust_median_seconds": trust_median,
        "trust_worst_gap": worst_gap,
        "example_median_seconds": statistics.median(example) if example else None,
        "example_seconds": [round(x, 3) for x in example],
        "runs": runs,
        "failures": failures,
    }
    tag = "" if args.weights == "tier" and not args.severity else f"-{args.weights}"
    tag += "-severity" if args.severity else ""
    tag += "-inprocess" if args.mode == "inprocess" else ""
    name = f"caseload{tag}-{doc['commit'].replace('+', '-')}.json"
    out = args.json or HERE / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print()
    print("| instance | runs | median s | status | place | keep | locality | spread (pts) |")
    print("|---|---|---|---|---|---|---|---|")
    table = [(f"team seed {s}", [r for r in runs["team"] if r["seed"] == s]) for s in seeds]
    table += [(name, rows) for name, rows in runs.items() if name != "team"]
    for name, rows in table:
        if not rows:
            continue
        last = sorted(rows, key=lambda r: r["seconds"])[len(rows) // 2]
        cells = []
        for stage in ("place", "keep", "locality", "spread"):
            s = last["stages"].get(stage)
            if s is None:
                cells.append("-")
            elif stage == "spread":
                cells.append(f"{s['value']:g} (bound {s['bound']:g})")
            else:
                cells.append(f"{s['value']:g} / {s['bound']:g} ({s['gap']:.2%})")
        statuses = "/".join(sorted({r["status"] for r in rows}))
        median = statistics.median(r["seconds"] for r in rows)
        print(f"| {name} | {len(rows)} | {median:.2f} | {statuses} | " + " | ".join(cells) + " |")
    if example:
        print(f"\nexample end to end: median {statistics.median(example):.2f} s")
    print(f"wrote {out}")
    for f in failures:
        print(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
