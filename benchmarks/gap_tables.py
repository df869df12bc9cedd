"""Markdown tables for docs/benchmarks.md from the rows that benchmarks/gap.py wrote.

    python benchmarks/gap_tables.py [RESULTS_DIR]

Reads ``gap-<engine>-<set>.json`` (engines skillmix, highs, cpsat) and prints
the gap1-gap12 summary, the per-instance table of gapa-gapd and type E, and a
head-to-head count (which engine is better per instance: proved first, then
the objective, then the time of a proof, see ``_better``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ENGINES = {"skillmix": "ours", "highs": "plain HiGHS", "cpsat": "plain CP-SAT"}
SETS = ("gapa", "gapb", "gapc", "gapd", "typeE")


def _rows(folder: Path, engine: str, name: str) -> list[dict[str, Any]]:
    path = folder / f"gap-{engine}-{name}.json"
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = json.loads(path.read_text())
    return rows


def _at_known(row: dict[str, Any]) -> bool:
    return row["objective"] is not None and abs(row["objective"] - row["known"]) < 0.5


def small_sets(folder: Path) -> str:
    """gap1-gap12: instances, at known optimum, proved, max and total seconds."""
    out = [
        "| sense | engine | instances | at known optimum | proved optimal | max seconds "
        "| total seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for sense in ("min", "max"):
        for engine, label in ENGINES.items():
            rows = _rows(folder, engine, f"gap1-12-{sense}")
            if not rows:
                continue
            secs = [r["seconds"] for r in rows]
            out.append(
                f"| {sense} | {label} | {len(rows)} | {sum(map(_at_known, rows))} "
                f"| {sum(r['status'] == 'optimal' for r in rows)} | {max(secs):.1f} "
                f"| {sum(secs):.1f} |"
            )
    return "\n".join(out)


def _cell(row: dict[str, Any] | None) -> str:
    if row is None or row["objective"] is None:
        return "– | – | – | – | –"
    status = "opt" if row["status"] == "optimal" else "feas"
    return (
        f"{row['objective']:.0f} | {row['bound']:.0f} | {status} | {row['seconds']:.1f} "
        f"| {row['gap_pct']:.2f}"
    )


def large_sets(folder: Path) -> str:
    """gapa-gapd and type E: one line per instance, the three engines side by side."""
    head = "| instance | known |" + "".join(
        f" {label}: obj | bound | status | s | gap % |" for label in ENGINES.values()
    )
    out = [head, "|---|---|" + "---|---|---|---|---|" * len(ENGINES)]
    for name in SETS:
        by_engine = {e: {r["instance"]: r for r in _rows(folder, e, name)} for e in ENGINES}
        for inst in sorted(by_engine["skillmix"] or by_engine["highs"]):
            known = next(r["known"] for r in (b.get(inst) for b in by_engine.values()) if r)
            cells = " | ".join(_cell(by_engine[e].get(inst)) for e in ENGINES)
            out.append(f"| {inst} | {known:.0f} | {cells} |")
    return "\n".join(out)


def _key(row: dict[str, Any]) -> tuple[bool, int, float]:
    proved = row["status"] == "optimal"
    return (not proved, round(row["objective"]), row["seconds"] if proved else 0.0)


def _better(a: dict[str, Any], b: dict[str, Any]) -> int:
    """1 if row a beats row b, -1 if b beats a, 0 if tied.

    Proved beats unproved, then the lower objective wins; between two proofs
    the faster wins unless the times are within 10 % or 0.5 s (start-up costs
    of a process, not solving).
    """
    ka, kb = _key(a), _key(b)
    if ka[:2] != kb[:2]:
        return 1 if ka[:2] < kb[:2] else -1
    if ka[0] or abs(ka[2] - kb[2]) <= max(0.5, 0.1 * max(ka[2], kb[2])):
        return 0
    return 1 if ka[2] < kb[2] else -1


def head_to_head(folder: Path) -> str:
    """Ours against each baseline over gapa-gapd and type E."""
    out = ["| ours against | better | tied | worse | worse on |", "|---|---|---|---|---|"]
    for engine in ("highs", "cpsat"):
        counts = {1: 0, 0: 0, -1: 0}
        worse = []
        for name in SETS:
            theirs = {r["instance"]: r for r in _rows(folder, engine, name)}
            for row in _rows(folder, "skillmix", name):
                other = theirs.get(row["instance"])
                if other is None or row["objective"] is None or other["objective"] is None:
                    continue
                verdict = _better(row, other)
                counts[verdict] += 1
                if verdict < 0:
                    worse.append(row["instance"])
        out.append(
            f"| {ENGINES[engine]} | {counts[1]} | {counts[0]} | {counts[-1]} "
            f"| {', '.join(worse) or '–'} |"
        )
    return "\n".join(out)


def main() -> None:
    """Print the three tables."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    print(small_sets(folder), end="\n\n")
    print(large_sets(folder), end="\n\n")
    print(head_to_head(folder))


if __name__ == "__main__":
    main()
