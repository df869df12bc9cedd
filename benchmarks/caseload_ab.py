"""Two versions of ``skillmix caseload`` head to head, as whole processes, interleaved.

For each team seed: the synthetic team is written once as the files a user
gives the command (``benchmarks/caseload_files.py``), then the command of the
reference tree and of the tree under test run one after the other (each
goes first on every other team), each as a whole process with default
options, so that the shared machine's drift and any order effect fall on both
alike. Each run's stage values, bounds
and statuses are read from its ``caseload.json`` and must agree. Usage::

    git worktree add /tmp/ref <commit>
    .venv/bin/python benchmarks/caseload_ab.py /tmp/ref . --seeds 30-89 --json out.json

A tree is run with this interpreter, its own directory first on the import
path (the editable install's finder is set aside), so both trees share one
locked environment. Exit status 1 if the answers differ or a run fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caseload_synthetic import WEIGHTS, synthetic_instance  # noqa: E402

from benchmarks.caseload_files import write_files  # noqa: E402

# runs the command of the tree given first, not the installed one
LAUNCH = """
import sys
tree = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
import cli
assert cli.__file__.startswith(tree.rstrip("/") + "/"), cli.__file__
sys.argv[0] = "skillmix"
sys.exit(cli.main())
"""


def seeds_of(text: str) -> list[int]:
    """``30-89`` or ``0,1,5`` (a ``ValueError`` if neither, or empty)."""
    if "-" in text:
        first, last = text.split("-")
        seeds = list(range(int(first), int(last) + 1))
    else:
        seeds = [int(s) for s in text.split(",")]
    if not seeds:
        raise ValueError(f"no seeds in {text!r}")
    return seeds


def run(tree: Path, files: Path, out: Path) -> tuple[float, int, list[tuple]]:
    """Seconds, exit status and (stage, value, bound, status) of one whole run."""
    command = [sys.executable, "-c", LAUNCH, str(tree.resolve()), "caseload",
               str(files / "staff.yaml"), str(files / "people.csv"), "-o", str(out)]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        return seconds, done.returncode, []
    stages = json.loads((out / "caseload.json").read_text())["stages"]
    return seconds, 0, [(s["stage"], s["value"], s["bound"], s["status"]) for s in stages]


def commit(tree: Path) -> str:
    """The tree's commit (``+dirty`` with uncommitted changes)."""
    git = ["git", "-C", str(tree)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()  # fmt: skip
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return head + ("+dirty" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--seeds", default="30-89")
    parser.add_argument("--weights", choices=WEIGHTS, default="scheme")
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--coordinators", type=int, default=25)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    try:
        seeds = seeds_of(args.seeds)
    except ValueError:
        parser.error(f"--seeds: a range such as 30-89 or seeds such as 0,1,5, not {args.seeds!r}")
    versions = {"reference": commit(args.reference), "tree": commit(args.tree)}  # before the runs
    rows = []
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        for number, seed in enumerate(seeds):
            instance = synthetic_instance(args.people, args.coordinators, 2, seed=seed,
                                          weights=args.weights, severity=True)  # fmt: skip
            files = Path(scratch) / f"team-{seed}"
            write_files(instance, files, weights=args.weights != "tier")
            # each side goes first on every other team: an order effect falls on both
            if number % 2 == 0:
                ref = run(args.reference, files, Path(scratch) / f"ref-{seed}")
                new = run(args.tree, files, Path(scratch) / f"new-{seed}")
            else:
                new = run(args.tree, files, Path(scratch) / f"new-{seed}")
                ref = run(args.reference, files, Path(scratch) / f"ref-{seed}")
            same = ref[1] == new[1] == 0 and ref[2] == new[2]
            failed |= not same
            # every stage proved optimal (status of each stage in caseload.json)
            proved = {side: bool(got[2]) and all(s[3] == "optimal" for s in got[2])
                      for side, got in (("reference", ref), ("tree", new))}  # fmt: skip
            # the stage values in priority order (balancing: lower is better)
            values = {side: [s[1] if s[0] != "spread" else -s[1] for s in got[2]]
                      for side, got in (("reference", ref), ("tree", new))}  # fmt: skip
            rows.append({"seed": seed, "reference": ref[0], "tree": new[0], "same": same,
                         "proved": proved, "stages": {"reference": ref[2], "tree": new[2]},
                         "tree_no_worse": values["tree"] >= values["reference"]})  # fmt: skip
            print(f"seed {seed}: {ref[0]:.2f} s -> {new[0]:.2f} s{'' if same else '  DIFFER'}"
                  f"{'' if proved['tree'] else '  NOT PROVED'}", flush=True)  # fmt: skip
            if not same:
                for side, got in (("reference", ref), ("tree", new)):
                    shown = ", ".join(f"{s[0]} {s[1]:g} / {s[2]:g}" for s in got[2])
                    print(f"    {side}: {shown}")
    summary = {}
    for side in ("reference", "tree"):
        times = [r[side] for r in rows]
        summary[side] = {
            "median": statistics.median(times),
            "sum": sum(times),
            "at_least_2s": sum(t >= 2.0 for t in times),
            "max": max(times),
            "proved": sum(r["proved"][side] for r in rows),
            "proved_under_2s": sum(r["proved"][side] and r[side] < 2.0 for r in rows),
        }
        slow = summary[side]["at_least_2s"]
        print(f"{side}: median {statistics.median(times):.3f} s, sum {sum(times):.1f} s, "
              f"{slow} of {len(times)} >= 2 s, max {max(times):.2f} s, "
              f"{summary[side]['proved']} proved ({summary[side]['proved_under_2s']} "
              "under 2 s)")  # fmt: skip
    ratios = [r["tree"] / r["reference"] for r in rows]
    summary["median_ratio"] = statistics.median(ratios)
    print(f"median ratio tree / reference {summary['median_ratio']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(
            {"weights": args.weights, "people": args.people,
             "coordinators": args.coordinators, **versions, "summary": summary, "runs": rows},
            indent=1))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
