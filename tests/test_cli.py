"""CLI tests: the commands, exit codes, files written, bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_example_exit_0() -> None:
    code, out, _ = run("validate", str(EXAMPLE))
    assert code == 0
    assert "valid" in out and "8 roles" in out


def test_solve_writes_the_four_files(tmp_path: Path) -> None:
    code, out, err = run("solve", str(EXAMPLE), "-o", str(tmp_path / "out"), "--no-mitigations")
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "allocation.csv", "plan.json", "risks.csv", "shortfalls.csv", "utilisation.csv"
    ]
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan["status"] == "optimal"
    assert plan["mode"] == "fte"
    assert "status: optimal" in out
    header = (tmp_path / "out" / "allocation.csv").read_text().splitlines()[0]
    assert header == "task,segment,role,staff,hours_per_week"


def test_solve_default_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("solve", str(EXAMPLE), "--no-mitigations")
    assert code == 0, err
    assert (tmp_path / "out" / "cmht-north" / "plan.json").exists()


def test_same_scenario_twice_gives_identical_plan_json(tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        code, _, err = run("solve", str(EXAMPLE), "-o", str(tmp_path / name))
        assert code == 0, err
        plan = json.loads((tmp_path / name / "plan.json").read_text())
        plan.pop("solve_seconds")
        texts.append(json.dumps(plan, sort_keys=True))
    assert texts[0] == texts[1]
    for name in ("allocation.csv", "risks.csv", "utilisation.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_input_is_never_modified(tmp_path: Path) -> None:
    before = EXAMPLE.read_bytes()
    run("solve", str(EXAMPLE), "-o", str(tmp_path), "--no-mitigations")
    assert EXAMPLE.read_bytes() == before


BAD = {
    "unknown_role": ("establishment:\n  nurse: 1.0\n  wizard: 2.0\n", "wizard"),
    "typo_key": ("tasks:\n  t1:\n    title: T\n    competence: c\n    hours: 1\n"
                 "    frequncy: {t: {per_week: 1}}\n", "frequncy"),
    "negative": ("establishment:\n  nurse: -1.0\n", "establishment.nurse"),
    "headroom": ("headroom: {annual_leave: 0.6, sickness: 0.5}\n", "headroom"),
    "zero_frequency": ("tasks:\n  t1:\n    title: T\n    competence: c\n    hours: 1\n"
                       "    frequency: {t: {every_weeks: 0}}\n", "frequency"),
    "duplicate_segment": ("cohort:\n  - {tier: t, stage: a, people: 1}\n"
                          "  - {tier: t, stage: a, people: 2}\n", "t/a"),
    "both_modes": ("staff:\n  - {id: P1, role: nurse, fte: 1.0}\n", "staff"),
}

BASE = """\
name: bad
plan_date: 2027-04-01
competencies: {c: {title: C}}
roles:
  nurse: {title: Nurse, registered: true, annual_cost: 1, competencies: [c]}
establishment:
  nurse: 1.0
tiers: {t: {title: T, severity: 3, caseload_weight: 1}}
cohort:
  - {tier: t, stage: a, people: 1}
tasks:
  t1: {title: T, competence: c, hours: 1, frequency: {t: {per_week: 1}}}
"""


def _merge_text(override: str) -> str:
    import yaml

    base = yaml.safe_load(BASE)
    base.update(yaml.safe_load(override))
    return yaml.safe_dump(base, sort_keys=False)


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_bad_input_exit_2_names_the_problem(tmp_path: Path, case: str, command: str) -> None:
    override, needle = BAD[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(_merge_text(override))
    args = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "solve" else [])
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert needle in err
    assert str(path) in err or path.name in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "out").exists()


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nroles:\n  nurse: {title: [unclosed\nplan_date: 2027-01-01\n")
    code, _, err = run("validate", str(path))
    assert code == 2
    assert "broken.yaml:" in err
    assert any(ch.isdigit() for ch in err.split("broken.yaml:")[1][:4])


def test_extends_cycle_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    code, _, err = run("validate", str(tmp_path / "a.yaml"))
    assert code == 2
    assert "cycle" in err.lower()


def test_alias_bomb_exit_2_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nname: bomb\n")
    code, _, err = run("validate", str(path))
    assert code == 2
    assert "Traceback" not in err


def test_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "nope.yaml" in err


def test_console_script_entry_point(tmp_path: Path) -> None:
    """The installed module runs as a program (no traceback, exit 0)."""
    proc = subprocess.run([sys.executable, "-m", "cli", "validate", str(EXAMPLE)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
