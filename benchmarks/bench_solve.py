"""Solve-time benchmarks: our optimiser against a plain HiGHS MILP, and the example end to end.

    python benchmarks/bench_solve.py [--scenario benchmarks/data/trust.yaml]
        [--repeats 5] [--baseline-repeats N] [--budget 280] [--example-repeats 7]
        [--no-gap-arm] [--json OUT]

Everything is measured in one session, arms alternating (order rotated each
round), so that the noise of a shared machine hits every arm alike; medians
are reported. The baseline runs ``--repeats`` times like the other arms unless
another run would take the session past ``--budget`` seconds; it then stops,
but never before 3 runs (the JSON records the cut).

Trust-scale scenario, three arms, each a fresh process per repeat:

* ``ours``: ``benchmarks/run_ours.py`` -- ``solve_values(scenario,
  SolveParams(mitigations=False))`` as shipped (OR-Tools 9.15 pywraplp,
  HiGHS bundled in OR-Tools);
* ``ours_gap``: the same with ``mip_rel_gap=1e-9`` actually passed to HiGHS
  (OR-Tools ignores the ``MPSolverParameters`` that ``lp.py`` sets, so the
  shipped solver runs at HiGHS' default gap 1e-4); this measures the proposed
  fix and is the arm that is *proven* optimal like the baseline;
* ``baseline``: ``benchmarks/baseline_highs.py`` -- the plain MILP in highspy,
  ``mip_rel_gap=1e-9``.

"Solve seconds" exclude interpreter start, imports and reading the YAML on
both sides (ours: ``solve_values``; baseline: model build + both levels).
"Process seconds" are the whole subprocess measured from outside, as wall
time and as CPU time (user + system, from ``getrusage(RUSAGE_CHILDREN)``;
less sensitive than wall time to other load on a shared machine).

Correctness: every run's risk penalty must equal the baseline's within 1e-6
relative (exit status 1 otherwise); the cost tie-break is compared and reported.

Example: ``skillmix solve scenarios/cmht-north.yaml -o <tmp>`` from process
start to exit (files written), ``--example-repeats`` times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
#: workers import ``optimiser`` and ``cli`` from this tree, even when it is an export
#: of a commit outside the editable install (``git archive HEAD | tar -x -C DIR``)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
PENALTY_RTOL = 1e-6
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
EXAMPLE_LIMIT = 1.5
#: the baseline is never cut below this many runs by the time budget
MIN_BASELINE = 3
GAP_OPTIONS = "mip_rel_gap=1e-9"


# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU, core count, load and library versions of this session."""
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        nproc = os.cpu_count() or 0

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return None
        return proc.stdout.rstrip() if proc.returncode == 0 else None

    dirty = git("status", "--porcelain", "--", "optimiser", "cli.py")
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "uncommitted_solver_changes": dirty.splitlines() if dirty else [],
        "nproc": nproc,
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "ortools": version("ortools"),
        "highspy": version("highspy"),
        "numpy": version("numpy"),
        "loadavg_start": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------


def _children_cpu() -> float:
    """User + system CPU seconds of all waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_json(cmd: list[str]) -> tuple[dict[str, Any], float]:
    """Run a worker process; returns its JSON record and its wall time."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=ENV)
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    record = json.loads(lines[-1])
    record["process_seconds"] = wall
    record["process_cpu_seconds"] = cpu
    return record, wall


def run_arm(arm: str, scenario: Path, profile: bool = False) -> dict[str, Any]:
    """One repeat of one arm, in a fresh process (``profile``: an extra, untimed
    run of our solver that also times its phases and reads the HiGHS version)."""
    if arm == "baseline":
        cmd = [PYTHON, str(HERE / "baseline_highs.py"), str(scenario)]
        record, _ = _run_json(cmd)
        record["solve_seconds"] = record["seconds_build"] + record["seconds_solve"]
        record["solve_cpu_seconds"] = record["cpu_seconds"]
        return record
    cmd = [PYTHON, str(HERE / "run_ours.py"), str(scenario)]
    if arm == "ours_gap":
        cmd += ["--highs-options", GAP_OPTIONS]
    if profile:
        cmd += ["--phases", "--highs-version"]
    record, _ = _run_json(cmd)
    record["solve_seconds"] = record["seconds"]
    record["solve_cpu_seconds"] = record["cpu_seconds"]
    return record


def example_command(out: Path) -> tuple[list[str], str]:
    """The end-to-end command for the example, and how it was chosen."""
    skillmix = Path(PYTHON).parent / "skillmix"
    if skillmix.exists():
        return [str(skillmix), "solve", str(EXAMPLE), "-o", str(out)], "skillmix CLI"
    code = (
        "from optimiser.scenario import load_scenario; from optimiser.solve import solve; "
        f"solve(load_scenario({str(EXAMPLE)!r}))"
    )
    return [PYTHON, "-c", code], "fallback: python -c solve() (no skillmix console script yet)"


def time_example(repeats: int) -> dict[str, Any]:
    """Wall time of the example from process start to exit, ``repeats`` times."""
    runs: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="skillmix-bench-") as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"run{i}"
            cmd, how = example_command(out)
            cpu0 = _children_cpu()
            start = time.perf_counter()
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=ENV,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            runs.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - cpu0)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
            if how == "skillmix CLI" and not (out / "plan.json").exists():
                raise RuntimeError(f"{' '.join(cmd)} wrote no plan.json")
    median = statistics.median(runs)
    return {
        "command": " ".join(["skillmix", "solve", "scenarios/cmht-north.yaml", "-o", "<tmp>"])
        if how == "skillmix CLI"
        else " ".join(cmd),
        "how": how,
        "runs": runs,
        "cpu_runs": cpu,
        "median": median,
        "median_cpu": statistics.median(cpu),
        "min": min(runs),
        "max": max(runs),
        "limit": EXAMPLE_LIMIT,
        "pass": median < EXAMPLE_LIMIT,
    }


# --------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians, ratios and the optimum cross-check."""
    out: dict[str, Any] = {"medians": {}, "ratios": {}, "agreement": {}}
    for arm, rs in runs.items():
        if rs:
            out["medians"][arm] = {
                "solve_seconds": _median(rs, "solve_seconds"),
                "solve_cpu_seconds": _median(rs, "solve_cpu_seconds"),
                "process_seconds": _median(rs, "process_seconds"),
                "process_cpu_seconds": _median(rs, "process_cpu_seconds"),
                "repeats": len(rs),
                "status": sorted({r["status"] for r in rs}),
            }
    base = runs.get("baseline") or []
    if not base:
        return out
    ref_penalty = base[0]["penalty"]
    ref_cost = base[0]["cost"]
    for arm, rs in runs.items():
        if not rs:
            continue
        pen = max(abs(r["penalty"] - ref_penalty) for r in rs) / max(1.0, abs(ref_penalty))
        cost = max(abs(r["cost"] - ref_cost) for r in rs) / max(1.0, abs(ref_cost))
        out["agreement"][arm] = {
            "penalty": rs[0]["penalty"],
            "cost": rs[0]["cost"],
            "max_penalty_rel_diff": pen,
            "max_cost_rel_diff": cost,
            "penalty_ok": pen <= PENALTY_RTOL,
        }
        if arm != "baseline":
            b, o = out["medians"]["baseline"], out["medians"][arm]
            out["ratios"][arm] = {
                "solve": b["solve_seconds"] / o["solve_seconds"],
                "solve_cpu": b["solve_cpu_seconds"] / o["solve_cpu_seconds"],
                "process": b["process_seconds"] / o["process_seconds"],
                "process_cpu": b["process_cpu_seconds"] / o["process_cpu_seconds"],
            }
    return out


def _over_budget(
    runs: dict[str, list[dict[str, Any]]],
    counts: dict[str, int],
    args: argparse.Namespace,
    started: float,
) -> bool:
    """Whether one more baseline run would take the session past ``--budget``."""
    if len(runs["baseline"]) < MIN_BASELINE:
        return False
    base = _median(runs["baseline"], "process_seconds")
    ours = [r["process_seconds"] for a, rs in runs.items() if a != "baseline" for r in rs]
    per_ours = statistics.median(ours) if ours else 5.0
    left = sum(counts[a] - len(runs[a]) for a in runs if a != "baseline")
    # the rest of our runs, one profiling run per arm, and the example
    rest = (left + len(runs) - 1) * per_ours + args.example_repeats * 2.5
    return time.perf_counter() - started + base + rest > args.budget


def report(result: dict[str, Any]) -> str:
    """A plain-text report of a benchmark result."""
    m = result["machine"]
    t = result["trust"]
    lines = [
        f"tree: {result['root']}" + (f" ({result['label']})" if result.get("label") else ""),
        f"machine: {m['cpu_model']}, nproc {m['nproc']}, Python {m['python']}, "
        f"OR-Tools {m['ortools']} (HiGHS {m.get('ortools_highs')}), highspy {m['highspy']}",
        f"load average at start {m['loadavg_start']}, at end {m.get('loadavg_end')}",
        f"commit {m['git_commit']}"
        + (
            f" with uncommitted changes to {len(m['uncommitted_solver_changes'])} solver files"
            if m["uncommitted_solver_changes"]
            else ""
        ),
    ]
    if t:
        lines += _trust_report(t)
    e = result.get("example")
    if e:
        lines += [
            "",
            f"example end to end ({e['how']}): {e['command']}",
            f"  median {e['median']:.3f} s wall over {len(e['runs'])} runs "
            f"(min {e['min']:.3f}, max {e['max']:.3f}), median CPU {e['median_cpu']:.3f} s; "
            f"limit {e['limit']} s (wall): {'PASS' if e['pass'] else 'FAIL'}",
        ]
    return "\n".join(lines)


def _trust_report(t: dict[str, Any]) -> list[str]:
    """Report lines of the trust-scale comparison."""
    lines = [
        "",
        f"trust-scale scenario {t['scenario']}",
        f"  plain model: {t['variables']['baseline']} variables "
        f"({t['variables']['baseline_by_kind']}), {t['variables']['baseline_constraints']} "
        "constraints",
        f"  ours: hours model {t['variables']['ours_hours']} variables, coordination model "
        f"{t['variables']['ours_coordination']} variables",
        "",
        f"  {'arm':10s} {'runs':>4s} {'solve s':>8s} {'solve cpu':>9s} {'process s':>9s} "
        f"{'proc cpu':>8s} {'speed-up':>8s} {'(cpu)':>6s}  penalty / cost   (medians)",
    ]
    s = t["summary"]
    runs = t["runs"]
    for arm, med in s["medians"].items():
        ratio = s["ratios"].get(arm, {}).get("solve")
        ratio_cpu = s["ratios"].get(arm, {}).get("solve_cpu")
        agree = s["agreement"].get(arm, {})
        lines.append(
            f"  {arm:10s} {med['repeats']:4d} {med['solve_seconds']:8.3f} "
            f"{med['solve_cpu_seconds']:9.3f} {med['process_seconds']:9.3f} "
            f"{med['process_cpu_seconds']:8.3f} "
            f"{'' if ratio is None else f'{ratio:7.1f}x':>8s} "
            f"{'' if ratio_cpu is None else f'{ratio_cpu:5.1f}x':>6s}  "
            f"{agree.get('penalty', runs[arm][0]['penalty']):.6f} / "
            f"{agree.get('cost', runs[arm][0]['cost']):.2f}"
        )
    for arm, agree in s["agreement"].items():
        if arm != "baseline":
            lines.append(
                f"  {arm}: penalty rel. diff {agree['max_penalty_rel_diff']:.2e} "
                f"({'OK' if agree['penalty_ok'] else 'MISMATCH'}), "
                f"cost rel. diff {agree['max_cost_rel_diff']:.2e}"
            )
    phases = t.get("phases", {})
    for arm, ph in phases.items():
        lines.append(
            f"  {arm} phases (s): "
            + ", ".join(f"{k} {v:.3f}" for k, v in ph.items() if isinstance(v, float))
        )
    return lines


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark, print the report, write JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=HERE / "data" / "trust.yaml")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each of our arms")
    parser.add_argument(
        "--baseline-repeats",
        type=int,
        default=None,
        help="runs of the baseline (default: --repeats, cut to no fewer than "
        f"{MIN_BASELINE} when the next run would overrun --budget)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=280.0,
        help="seconds the whole session should take (default 280)",
    )
    parser.add_argument("--example-repeats", type=int, default=7)
    parser.add_argument(
        "--no-gap-arm", action="store_true", help="skip the ours + mip_rel_gap=1e-9 arm"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--label", default=None, help="what is measured, e.g. the commit of an exported tree"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    result: dict[str, Any] = {"label": args.label, "root": str(ROOT), "machine": machine()}
    arms = ["ours"] + ([] if args.no_gap_arm else ["ours_gap"]) + ["baseline"]
    counts = {a: args.repeats for a in arms}
    counts["baseline"] = args.repeats if args.baseline_repeats is None else args.baseline_repeats
    result["protocol"] = {
        "repeats": counts,
        "order": "alternating, rotated each round; fresh process per run",
        "statistic": "median",
        "solve_seconds": "ours: solve_values only; baseline: naive build + both levels "
        "(imports and YAML loading excluded on both sides)",
        "process_seconds": "whole worker process, from the outside (wall and CPU)",
        "gap_arm_options": GAP_OPTIONS,
        "budget_seconds": args.budget,
    }
    result["trust"] = None
    if counts["ours"] > 0:
        result["trust"] = bench_trust(args, arms, counts, result, started)
    if args.example_repeats > 0:
        result["example"] = time_example(args.example_repeats)
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["seconds_total"] = time.perf_counter() - started

    print(report(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    agreement = result["trust"]["summary"]["agreement"] if result["trust"] else {}
    ok = all(a["penalty_ok"] for a in agreement.values())
    if not ok:
        print("PENALTY MISMATCH between our solver and the baseline", file=sys.stderr)
    return 0 if ok else 1


def bench_trust(
    args: argparse.Namespace,
    arms: list[str],
    counts: dict[str, int],
    result: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """The alternating runs on the trust-scale scenario, then one profiling run per arm."""
    runs: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
    for i in range(max(counts.values())):
        order = arms[i % len(arms) :] + arms[: i % len(arms)]
        for arm in order:
            if len(runs[arm]) >= counts[arm]:
                continue
            if arm == "baseline" and _over_budget(runs, counts, args, started):
                cut = len(runs["baseline"])
                print(
                    f"baseline: stopping at {cut} of {counts['baseline']} runs "
                    f"(--budget {args.budget:g} s)",
                    file=sys.stderr,
                )
                result["protocol"]["baseline_cut_by_budget"] = f"{cut} of {counts['baseline']}"
                counts["baseline"] = cut
                continue
            record = run_arm(arm, args.scenario)
            runs[arm].append(record)
            print(
                f"[{time.perf_counter() - started:6.1f} s] {arm:9s} run {len(runs[arm])}: "
                f"solve {record['solve_seconds']:.3f} s, process "
                f"{record['process_seconds']:.3f} s, penalty {record['penalty']:.6f}",
                file=sys.stderr,
                flush=True,
            )
    # one more run of each of our arms, not in the statistics, to time its phases
    phases: dict[str, Any] = {}
    for arm in arms:
        if arm != "baseline" and counts[arm] > 0:
            record = run_arm(arm, args.scenario, profile=True)
            phases[arm] = record["phases"]
            result["machine"]["ortools_highs"] = record.get("ortools_highs_version")
    first_base = runs["baseline"][0] if runs["baseline"] else {}
    return {
        "scenario": str(args.scenario),
        "runs": runs,
        "phases": phases,
        "variables": {
            "baseline": first_base.get("variables"),
            "baseline_by_kind": first_base.get("variables_by_kind"),
            "baseline_constraints": first_base.get("constraints"),
            "ours_hours": runs["ours"][0]["hours_variables"],
            "ours_hours_constraints": runs["ours"][0]["hours_constraints"],
            "ours_coordination": phases.get("ours", {}).get("coordination_variables"),
        },
        "summary": summarise(runs),
    }


if __name__ == "__main__":
    raise SystemExit(main())
