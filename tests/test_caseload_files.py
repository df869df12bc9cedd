"""The benchmark's caseload files: a synthetic instance written as a staff-mode
scenario, staff CSV and PEOPLE.csv reads back as the same instance, and the
command runs on them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from caseload_files import read_back, same_instance, write_files
from caseload_synthetic import synthetic_instance
from click.testing import CliRunner

from cli import main
from optimiser.caseload import check_assignment


@pytest.mark.parametrize("weights", ["tier", "scheme", "distinct"])
def test_files_read_back_as_the_instance(tmp_path: Path, weights: str) -> None:
    instance = synthetic_instance(120, 8, 2, weights=weights, severity=True)
    scenario, people = write_files(instance, tmp_path, weights=weights != "tier")
    assert same_instance(instance, read_back(scenario, people)) == []
    header = people.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",weight") == (weights != "tier")


def test_same_instance_sees_a_changed_weight(tmp_path: Path) -> None:
    instance = synthetic_instance(40, 4, 1, weights="scheme", severity=True)
    scenario, people = write_files(instance, tmp_path, weights=True)
    rows = list(csv.reader(people.open(encoding="utf-8")))
    rows[3][-1] = str(float(rows[3][-1]) + 0.25)
    with people.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    problems = same_instance(instance, read_back(scenario, people))
    assert len(problems) == 1 and problems[0].startswith(f"person {rows[3][0]} differs")


def test_the_command_on_the_files(tmp_path: Path) -> None:
    instance = synthetic_instance(120, 8, 2, weights="scheme", severity=True)
    scenario, people = write_files(instance, tmp_path / "in", weights=True)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["caseload", str(scenario), str(people), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "caseload.json").read_text(encoding="utf-8"))
    assert doc["status"] == "optimal"
    with (out / "caseload.csv").open(newline="", encoding="utf-8") as handle:
        chosen = {r["person"]: r["coordinator"] or None for r in csv.DictReader(handle)}
    assignment = [chosen[p.id] for p in instance.people]
    assert check_assignment(instance, assignment) == []


def test_head_to_head_runs_both_trees_and_compares_their_answers(tmp_path: Path) -> None:
    # the same tree twice: the same answers, one row per seed, a summary per side
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "ab.json"
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "caseload_ab.py"), str(root), str(root),
         "--seeds", "1-2", "--people", "40", "--coordinators", "3", "--json", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert [r["seed"] for r in result["runs"]] == [1, 2]
    assert all(r["same"] and r["reference"] > 0 and r["tree"] > 0 for r in result["runs"])
    assert result["summary"]["reference"]["at_least_2s"] in (0, 1, 2)
    # 40 people, 3 coordinators: every stage proved on both sides
    assert all(r["proved"] == {"reference": True, "tree": True} for r in result["runs"])
    assert result["summary"]["tree"]["proved"] == 2
    assert result["reference"] == result["tree"]  # the same commit ("" outside git)
    # a seed range with no seeds is refused with a message, not a traceback
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "caseload_ab.py"), str(root), str(root),
         "--seeds", "5-4"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "--seeds" in done.stderr and "Traceback" not in done.stderr


def test_capacities_read_back_exactly(tmp_path: Path) -> None:
    # caseload_capacity x fte in floating point: 50 x 0.56 is 28.000000000000004;
    # the coordinators' capacities are the instance's exactly (the model's
    # numbers, and so HiGHS' path, are the same as from the instance itself)
    instance = synthetic_instance(600, 25, 2, seed=33, weights="scheme", severity=True)
    scenario, people = write_files(instance, tmp_path, weights=True)
    back = read_back(scenario, people)
    assert any(50 * round(c.capacity / 50, 4) != c.capacity for c in instance.coordinators)
    assert [c.capacity for c in back.coordinators] == [c.capacity for c in instance.coordinators]
