"""CLI tests of the what-if commands: exit codes and files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
SURGE = ROOT / "scenarios" / "cmht-north-surge.yaml"
TEACHING = ROOT / "scenarios" / "tiny-teaching.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_size_writes_sizing_and_plan(tmp_path: Path) -> None:
    code, out, err = run("size", str(EXAMPLE), "-o", str(tmp_path), "--clean-sheet")
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "allocation.csv",
        "plan.json",
        "risks.csv",
        "shortfalls.csv",
        "sizing.json",
        "utilisation.csv",
    ]
    sizing = json.loads((tmp_path / "sizing.json").read_text())
    assert sizing["status"] == "optimal"
    assert sizing["annual_cost"] == 1133000.0 and sizing["current_annual_cost"] == 991000.0
    assert sizing["plan"] == "plan.json" and sizing["unfixable"] == []
    assert sizing["establishment"]["social_worker"] == {"fte": 8.0, "headcount": 8}
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["risks"] == [] and plan["cost"]["annual_total"] == 1133000.0
    assert "£1,133,000" in out and "+£142,000" in out


def test_size_frontier_and_budget(tmp_path: Path) -> None:
    code, out, err = run(
        "size",
        str(TEACHING),
        "-o",
        str(tmp_path),
        "--budget",
        "40000",
        "--frontier",
        "--frontier-points",
        "3",
        "--workers",
        "1",
        "--clean-sheet",
    )
    assert code == 0, err
    sizing = json.loads((tmp_path / "sizing.json").read_text())
    assert sizing["budget"] == 40000 and sizing["annual_cost"] <= 40000
    assert sizing["unfixable"]
    costs = [p["annual_cost"] for p in sizing["frontier"]]
    assert costs == sorted(costs) and sizing["frontier"][-1]["risk_penalty"] == 0
    assert "frontier" in out


def test_size_budget_below_the_minimum_is_reported(tmp_path: Path) -> None:
    code, out, err = run(
        "size", str(EXAMPLE), "-o", str(tmp_path), "--budget", "1000", "--clean-sheet"
    )
    assert code == 0, err
    sizing = json.loads((tmp_path / "sizing.json").read_text())
    assert sizing["status"] == "infeasible" and "128,000" in sizing["message"]
    assert not (tmp_path / "plan.json").exists()


def test_compare_writes_both_files(tmp_path: Path) -> None:
    code, out, err = run("compare", str(EXAMPLE), str(SURGE), "-o", str(tmp_path), "--workers", "2")
    assert code == 0, err
    doc = json.loads((tmp_path / "comparison.json").read_text())
    assert [s["label"] for s in doc["scenarios"]] == ["cmht-north", "cmht-north-surge"]
    header = (tmp_path / "comparison.csv").read_text().splitlines()[0]
    assert header == "measure,cmht-north,cmht-north-surge"


def test_resilience_writes_json(tmp_path: Path) -> None:
    code, out, err = run("resilience", str(TEACHING), "-o", str(tmp_path), "--workers", "1")
    assert code == 0, err
    doc = json.loads((tmp_path / "resilience.json").read_text())
    assert set(doc) >= {"baseline", "absences", "single_points_of_failure"}
    assert {"absent", "staff", "risk_penalty", "risk_score", "new_risks"} <= set(doc["absences"][0])


def test_simulate_writes_json(tmp_path: Path) -> None:
    code, out, err = run(
        "simulate",
        str(EXAMPLE),
        "--samples",
        "3",
        "--seed",
        "2",
        "-o",
        str(tmp_path),
        "--workers",
        "1",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "simulation.json").read_text())
    assert doc["samples"] == 3 and doc["seed"] == 2
    review = doc["categories"]["review_frequency"]
    assert set(review) >= {"p_shortfall", "p50", "p80", "p95", "unit"}
    assert set(doc["tiers"]) == {"green", "amber", "red"}


def test_simulate_needs_volatility_and_samples(tmp_path: Path) -> None:
    code, _, err = run("simulate", str(TEACHING), "--samples", "2", "-o", str(tmp_path))
    assert code == 2 and "volatility" in err
    code, _, _ = run("simulate", str(EXAMPLE), "-o", str(tmp_path))
    assert code == 2


def test_missing_scenario_is_bad_input(tmp_path: Path) -> None:
    for command in ("size", "resilience"):
        code, _, err = run(command, str(tmp_path / "nope.yaml"))
        assert code == 2, (command, err)
        assert "Traceback" not in err
    code, _, _ = run("compare", str(EXAMPLE), str(tmp_path / "nope.yaml"))
    assert code == 2
