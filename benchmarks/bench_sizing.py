"""What-if benchmarks: ``size`` against a plain HiGHS MILP, and ``simulate`` on 1, 2 and 4 workers.

    python benchmarks/bench_sizing.py [--repeats 5] [--samples 1000] [--sim-repeats 3]
        [--no-size] [--no-simulate] [--json OUT]

Everything is measured in one session; arms alternate (rotated each round) so
that the noise of a shared machine hits every arm alike; medians are quoted.

Sizing (``scenarios/cmht-north.yaml`` and ``scenarios/cmht-north-surge.yaml``),
each run a fresh process:

* ``ours``: :func:`optimiser.whatif.sizing.size_establishment` as ``skillmix
  size`` runs it (model build, both lexicographic levels, the exact check of
  the recommended establishment);
* ``baseline``: ``benchmarks/baseline_sizing_highs.py``, the same sizing
  model as a plain MILP in ``highspy`` (one ``x`` per task, segment and
  role; integer ``k``, ``H``, ``p``, ``y``; HiGHS defaults, ``mip_rel_gap``
  1e-9), build plus both levels.

Seconds exclude interpreter start, imports and reading the YAML on both
sides; CPU seconds of the timed part are reported too.  Both must reach the
same least cost (exit status 1 otherwise).

Simulation (``skillmix simulate scenarios/cmht-north.yaml --samples N``):
wall time of the whole command with ``--workers 1``, ``--workers 2`` and
``--scheduler`` on a 4-worker ``LocalCluster`` (processes, one thread each,
loopback) started by this script; the three ``simulation.json`` must agree
(executor and timing fields aside).
"""

from __future__ import annotations

import argparse
import json
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
PYTHON = sys.executable
SKILLMIX = str(Path(PYTHON).parent / "skillmix")
SCENARIOS = {
    "example": ROOT / "scenarios" / "cmht-north.yaml",
    "surge": ROOT / "scenarios" / "cmht-north-surge.yaml",
}
SIMULATE_LIMIT = 60.0
SPEEDUP_TARGET = 2.0


def _ours(path: str) -> dict[str, Any]:
    """Worker mode: time our sizing of one scenario in this fresh process."""
    sys.path.insert(0, str(ROOT))
    import optimiser.model.sizing  # noqa: F401 - imports excluded from the timing, as for the baseline
    import optimiser.solve  # noqa: F401
    from optimiser.scenario import load_scenario
    from optimiser.whatif.sizing import size_establishment

    scenario = load_scenario(path)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = size_establishment(scenario)
    return {
        "engine": "ours",
        "status": outcome.status,
        "method": outcome.method,
        "cost": outcome.cost,
        "penalty": outcome.penalty,
        "fte": outcome.fte,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
    }


def _json_from(cmd: list[str]) -> dict[str, Any]:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return json.loads(lines[-1])


def run_size_arm(arm: str, scenario: Path) -> dict[str, Any]:
    if arm == "ours":
        return _json_from([PYTHON, str(Path(__file__).resolve()), "--worker-size", str(scenario)])
    return _json_from([PYTHON, str(HERE / "baseline_sizing_highs.py"), str(scenario)])


def bench_size(repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    arms = ["ours", "baseline"]
    for name, path in SCENARIOS.items():
        runs: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
        for i in range(repeats):
            for arm in arms[i % 2 :] + arms[: i % 2]:
                record = run_size_arm(arm, path)
                runs[arm].append(record)
                print(
                    f"size {name:8s} {arm:8s} run {i + 1}: {record['seconds']:.3f} s "
                    f"(cpu {record.get('cpu_seconds', float('nan')):.3f}), "
                    f"cost {record['cost']:.0f}",
                    file=sys.stderr,
                    flush=True,
                )
        med = {a: statistics.median(r["seconds"] for r in runs[a]) for a in arms}
        cpu = {a: statistics.median(r["cpu_seconds"] for r in runs[a]) for a in arms}
        costs = {a: sorted({round(r["cost"], 2) for r in runs[a]}) for a in arms}
        out[name] = {
            "scenario": str(path.relative_to(ROOT)),
            "runs": runs,
            "median_seconds": med,
            "median_cpu_seconds": cpu,
            "speedup": med["baseline"] / med["ours"],
            "cpu_speedup": cpu["baseline"] / cpu["ours"],
            "costs": costs,
            "same_cost": costs["ours"] == costs["baseline"] and len(costs["ours"]) == 1,
            "methods": sorted({r["method"] for r in runs["ours"]}),
            "baseline_size": {
                k: runs["baseline"][0].get(k)
                for k in ("variables", "integer_variables", "constraints")
            },
        }
    return out


def _simulate_cmd(out: Path, samples: int, extra: list[str]) -> list[str]:
    return [
        SKILLMIX,
        "simulate",
        str(SCENARIOS["example"]),
        "--samples",
        str(samples),
        "-o",
        str(out),
        *extra,
    ]


def _comparable(doc: dict[str, Any]) -> str:
    doc = dict(doc)
    doc.pop("executor", None)
    doc.pop("seconds", None)
    return json.dumps(doc, sort_keys=True)


def bench_simulate(samples: int, repeats: int) -> dict[str, Any]:
    from dask.distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=4, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        arms = {
            "workers=1": ["--workers", "1"],
            "workers=2": ["--workers", "2"],
            "dask LocalCluster 4 workers": ["--scheduler", cluster.scheduler_address],
        }
        runs: dict[str, list[dict[str, float]]] = {a: [] for a in arms}
        docs: dict[str, str] = {}
        names = list(arms)
        with tempfile.TemporaryDirectory(prefix="skillmix-bench-") as tmp:
            for i in range(repeats):
                for arm in names[i % len(names) :] + names[: i % len(names)]:
                    out = Path(tmp) / f"{i}-{arm.replace(' ', '_')}"
                    start = time.perf_counter()
                    proc = subprocess.run(
                        _simulate_cmd(out, samples, arms[arm]),
                        cwd=ROOT,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    wall = time.perf_counter() - start
                    if proc.returncode != 0:
                        raise RuntimeError(f"simulate {arm} failed:\n{proc.stderr}")
                    doc = json.loads((out / "simulation.json").read_text())
                    docs.setdefault(arm, _comparable(doc))
                    runs[arm].append({"wall": wall, "compute": doc["seconds"]})
                    print(
                        f"simulate {arm:28s} run {i + 1}: {wall:.1f} s "
                        f"(compute {doc['seconds']:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        cluster.close()
    med = {a: statistics.median(r["wall"] for r in rs) for a, rs in runs.items()}
    comp = {a: statistics.median(r["compute"] for r in rs) for a, rs in runs.items()}
    return {
        "samples": samples,
        "runs": runs,
        "median_wall": med,
        "median_compute": comp,
        "speedup_vs_1": {a: med["workers=1"] / v for a, v in med.items()},
        "identical": len(set(docs.values())) == 1,
        "limit_seconds": SIMULATE_LIMIT,
        "pass_2_cores": med["workers=2"] < SIMULATE_LIMIT,
    }


def machine() -> dict[str, Any]:
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        nproc = os.cpu_count() or 0
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": nproc,
        "cpu_model": cpu,
        "python": platform.python_version(),
        "loadavg_start": list(os.getloadavg()),
    }


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"machine: {m['cpu_model']}, nproc {m['nproc']}, Python {m['python']}; "
        f"load average {m['loadavg_start']} -> {m.get('loadavg_end')}",
    ]
    for name, s in result.get("size", {}).items():
        lines.append(
            f"size {name} ({s['scenario']}): ours {s['median_seconds']['ours']:.3f} s "
            f"(cpu {s['median_cpu_seconds']['ours']:.3f}), plain HiGHS MILP "
            f"{s['median_seconds']['baseline']:.3f} s "
            f"(cpu {s['median_cpu_seconds']['baseline']:.3f}); speed-up {s['speedup']:.2f}x "
            f"(cpu {s['cpu_speedup']:.2f}x), target {SPEEDUP_TARGET}x; "
            f"cost ours {s['costs']['ours']} baseline {s['costs']['baseline']} "
            f"({'same' if s['same_cost'] else 'DIFFERENT'}); {s['methods']}"
        )
    sim = result.get("simulate")
    if sim:
        for arm, wall in sim["median_wall"].items():
            lines.append(
                f"simulate --samples {sim['samples']} {arm}: {wall:.1f} s wall, "
                f"{sim['median_compute'][arm]:.1f} s compute, speed-up vs 1 worker "
                f"{sim['speedup_vs_1'][arm]:.2f}x"
            )
        lines.append(
            f"results identical on every executor: {sim['identical']}; "
            f"2 cores under {sim['limit_seconds']:.0f} s: {sim['pass_2_cores']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each sizing arm")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--sim-repeats", type=int, default=3)
    parser.add_argument("--no-size", action="store_true")
    parser.add_argument("--no-simulate", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--worker-size", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_size:
        print(json.dumps(_ours(args.worker_size)))
        return 0
    result: dict[str, Any] = {"machine": machine()}
    if not args.no_size:
        result["size"] = bench_size(args.repeats)
    if not args.no_simulate:
        result["simulate"] = bench_simulate(args.samples, args.sim_repeats)
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    print(report(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = all(s["same_cost"] for s in result.get("size", {}).values())
    ok = ok and result.get("simulate", {}).get("identical", True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
