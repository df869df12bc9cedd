"""Review benchmark: a year of activity for a trust of about 10,000 people.

    python benchmarks/bench_review.py [--scale 25] [--repeats 3] [--json OUT]

The scenario is ``scenarios/cmht-north-staff.yaml`` with every cohort segment
scaled by ``--scale`` (420 people x 25 = 10,500); ``skillmix synth-activity
--weeks 52`` writes a year of activity for it (about 54 task occurrences per
person a year: 0.56 million rows at scale 25, a million at scale 44) and its
supervision log (not timed).

Timed, as whole processes, alternating, ``--repeats`` times each:

* ``review``: ``skillmix review SCENARIO ACTIVITY.csv --supervision SUPERVISION.csv``
  with its defaults;
* ``read only`` (reference): a Python process that imports pandas and reads the
  same ACTIVITY.csv with ``pandas.read_csv(dtype=str)``: the floor any review
  of the file pays.

Medians of wall time, and the review's peak resident memory (``ru_maxrss`` of
the child). Target (issue 15): under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
SKILLMIX = str(Path(PYTHON).parent / "skillmix")
BASE = ROOT / "scenarios" / "cmht-north-staff.yaml"


def scaled_scenario(folder: Path, scale: int) -> Path:
    """``BASE`` with every segment's people multiplied by ``scale`` (``extends``)."""
    sys.path.insert(0, str(ROOT))
    from optimiser.scenario import load_scenario

    base = load_scenario(BASE)
    cohort = [
        {"tier": seg.tier, "stage": seg.stage, "people": seg.people * scale}
        for seg in base.cohort
    ]
    path = folder / "trust-staff.yaml"
    path.write_text(
        yaml.safe_dump(
            {"extends": str(BASE), "name": f"{base.name} x{scale}", "cohort": cohort},
            sort_keys=False,
        )
    )
    return path


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one whole process (``wait4`` of that child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="skillmix-review-") as tmp:
        folder = Path(tmp)
        scenario = scaled_scenario(folder, args.scale)
        subprocess.run(
            [SKILLMIX, "synth-activity", str(scenario), "--weeks", "52",
             "-o", str(folder / "data")],
            check=True, capture_output=True,
        )  # fmt: skip
        activity = folder / "data" / "activity.csv"
        supervision = folder / "data" / "supervision.csv"
        rows = sum(1 for _ in activity.open()) - 1
        review_cmd = [SKILLMIX, "review", str(scenario), str(activity), "--supervision",
                      str(supervision), "-o", str(folder / "out")]  # fmt: skip
        read_cmd = [PYTHON, "-c", "import pandas, sys; pandas.read_csv(sys.argv[1], dtype=str)",
                    str(activity)]  # fmt: skip
        review_s: list[float] = []
        read_s: list[float] = []
        peak = 0
        for i in range(args.repeats):
            for arm in (("review", "read") if i % 2 == 0 else ("read", "review")):
                if arm == "review":
                    wall, rss = timed(review_cmd)
                    review_s.append(wall)
                    peak = max(peak, rss)
                else:
                    read_s.append(timed(read_cmd)[0])
        doc = json.loads((folder / "out" / "review.json").read_text())
    result = {
        "rows": rows,
        "people": doc["acuity"] and sum(a["people"] for a in doc["acuity"]),
        "review_seconds": review_s,
        "read_only_seconds": read_s,
        "median_review": statistics.median(review_s),
        "median_read_only": statistics.median(read_s),
        "peak_rss_mib": round(peak / 1024, 1),
        "load_average": os.getloadavg(),
    }
    print(
        f"{rows:,} activity rows, {result['people']:,} people: skillmix review median "
        f"{result['median_review']:.1f} s (pandas read alone {result['median_read_only']:.1f} s, "
        f"ratio {result['median_review'] / result['median_read_only']:.2f}); "
        f"peak memory {result['peak_rss_mib']:.0f} MiB"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
