"""Excel scenarios: the template, filling it, reading it back, errors naming sheet/row/column."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from test_report_support import SCENARIOS, hostile_scenario

from cli import main
from optimiser.scenario import ScenarioError, load_scenario
from optimiser.scenario.excel import SHEETS, fill_template, read_workbook, template_workbook

NORTH = SCENARIOS / "cmht-north.yaml"
STAFF = SCENARIOS / "cmht-north-staff.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def filled(tmp_path: Path, source: Path, name: str = "filled.xlsx") -> Path:
    """`skillmix template` -> fill_template(loaded source) -> saved workbook."""
    blank = tmp_path / "blank.xlsx"
    code, _, err = run("template", "-o", str(blank))
    assert code == 0, err
    wb = openpyxl.load_workbook(blank)
    fill_template(wb, load_scenario(source))
    path = tmp_path / name
    wb.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def header_column(ws: Any, name: str) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(row=1, column=c).value == name)


def row_of(ws: Any, key: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == key)


# -- the template ---------------------------------------------------------------------------


def test_template_has_a_sheet_per_section_and_a_note_on_every_column(tmp_path: Path) -> None:
    code, out, err = run("template", "-o", str(tmp_path / "scenario.xlsx"))
    assert code == 0, err
    assert "wrote" in out
    wb = openpyxl.load_workbook(tmp_path / "scenario.xlsx")
    assert wb.sheetnames == ["README"] + [s.name for s in SHEETS]
    for sheet in SHEETS:
        ws = wb[sheet.name]
        if sheet.shape == "keyvalue":
            assert [ws.cell(row=1, column=c).value for c in (1, 2, 3)] == ["key", "value", "notes"]
            keys = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
            assert keys == [c.name for c in sheet.columns]
            assert all(ws.cell(row=r, column=3).value for r in range(2, ws.max_row + 1))
        else:
            headers = [ws.cell(row=1, column=c).value for c in range(1, ws.max_column + 1)]
            assert headers == [c.name for c in sheet.columns]
            for c in range(1, ws.max_column + 1):
                assert ws.cell(row=1, column=c).comment is not None, (sheet.name, c)
            assert ws.max_row == 1  # no placeholder data
    assert "establishment sheet (FTE mode) OR the staff sheet" in " ".join(
        str(c.value) for c in wb["README"]["A"]
    )


def test_blank_template_is_invalid_with_problems_naming_the_sheets(tmp_path: Path) -> None:
    assert run("template", "-o", str(tmp_path / "s.xlsx"))[0] == 0
    code, _, err = run("validate", str(tmp_path / "s.xlsx"))
    assert code == 2
    assert "name: sheet 'scenario': is required but missing" in err
    assert "tasks: sheet 'tasks': is required but missing" in err
    assert "one of establishment (FTE mode) or staff (staff mode) is required" in err


def test_template_refuses_another_suffix(tmp_path: Path) -> None:
    code, _, err = run("template", "-o", str(tmp_path / "s.csv"))
    assert code == 2 and "*.xlsx" in err


# -- round trips ------------------------------------------------------------------------------


def _plan_dict(directory: Path) -> dict[str, Any]:
    data = json.loads((directory / "plan.json").read_text(encoding="utf-8"))
    data.pop("solve_seconds")
    return data


def test_filled_template_solves_to_the_same_plan_as_the_yaml(tmp_path: Path) -> None:
    workbook = filled(tmp_path, NORTH)
    assert run("validate", str(workbook))[0] == 0
    code, _, err = run("solve", str(workbook), "-o", str(tmp_path / "from-xlsx"))
    assert code == 0, err
    code, _, err = run("solve", str(NORTH), "-o", str(tmp_path / "from-yaml"))
    assert code == 0, err
    assert _plan_dict(tmp_path / "from-xlsx") == _plan_dict(tmp_path / "from-yaml")
    for name in ("allocation.csv", "risks.csv", "utilisation.csv"):
        assert (tmp_path / "from-xlsx" / name).read_text() == (
            tmp_path / "from-yaml" / name
        ).read_text()


def test_staff_mode_round_trip_keeps_people_and_signoffs(tmp_path: Path) -> None:
    workbook = filled(tmp_path, STAFF)
    wb = openpyxl.load_workbook(workbook)
    headers = [c.value for c in wb["staff"][1]]
    assert headers[:5] == ["id", "role", "fte", "locality", "source"]
    assert {"risk_assessment", "safeguarding", "medication", "physical_health"} <= set(headers)
    yaml_scenario, xlsx_scenario = load_scenario(STAFF), load_scenario(workbook)
    assert xlsx_scenario.model_dump() == yaml_scenario.model_dump()
    assert xlsx_scenario.sources() == yaml_scenario.sources()
    assert xlsx_scenario.mode == "staff" and len(xlsx_scenario.staff or []) == 20


@pytest.mark.parametrize(
    "name", ["tiny-teaching", "under-resourced", "cmht-north-funded", "cmht-north-surge"]
)
def test_every_shipped_scenario_round_trips(tmp_path: Path, name: str) -> None:
    source = SCENARIOS / f"{name}.yaml"
    code, _, err = run("template", "-o", str(tmp_path / "t.xlsx"), "--from", str(source))
    assert code == 0, err
    original, back = load_scenario(source), load_scenario(tmp_path / "t.xlsx")
    assert back.model_dump() == original.model_dump()
    assert back.sources() == original.sources()


def test_hostile_texts_are_stored_as_text_and_read_back_unchanged(tmp_path: Path) -> None:
    for staff_mode in (False, True):
        source = hostile_scenario(tmp_path, staff_mode)
        workbook = filled(tmp_path, source, f"hostile-{staff_mode}.xlsx")
        with zipfile.ZipFile(workbook) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(name), name  # no formula anywhere
        assert load_scenario(workbook).model_dump() == load_scenario(source).model_dump()


# -- reading: conversions and errors that point at the cell -----------------------------------


def test_cells_are_read_as_the_format_expects(tmp_path: Path) -> None:
    workbook = filled(tmp_path, NORTH)
    wb = openpyxl.load_workbook(workbook)
    roles = wb["roles"]
    nurse = row_of(roles, "nurse")
    roles.cell(row=nurse, column=header_column(roles, "registered")).value = "yes"
    roles.cell(row=nurse, column=header_column(roles, "annual_cost")).value = "58000"
    roles.cell(
        row=nurse, column=header_column(roles, "competencies")
    ).value = (
        "engagement; care_coordination,risk_assessment , safeguarding\nmedication, physical_health"
    )
    tasks = wb["tasks"]
    tasks.cell(row=2, column=1).value = "  planned_contact "
    tasks.cell(row=1, column=12).value = "Notes"
    tasks.cell(row=2, column=12).value = "a planner's note, ignored"
    wb.save(workbook)
    scenario = load_scenario(workbook)
    role = scenario.roles["nurse"]
    assert role.registered is True and role.annual_cost == 58000.0
    assert role.competencies == [
        "engagement",
        "care_coordination",
        "risk_assessment",
        "safeguarding",
        "medication",
        "physical_health",
    ]
    assert "planned_contact" in scenario.tasks


def _mutated(tmp_path: Path, change: Any, source: Path = NORTH) -> list[str]:
    workbook = filled(tmp_path, source, "mutated.xlsx")
    wb = openpyxl.load_workbook(workbook)
    change(wb)
    wb.save(workbook)
    return problems_of(workbook)


def test_a_bad_number_names_sheet_row_and_column(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        ws = wb["tasks"]
        ws.cell(row=row_of(ws, "risk_review"), column=header_column(ws, "hours")).value = 0

    (problem,) = _mutated(tmp_path, change)
    assert problem.endswith(
        "mutated.xlsx:4: tasks.risk_review.hours: sheet 'tasks', row 4, column D (hours): "
        "must be greater than 0 (got 0)"
    )


def test_an_unknown_reference_names_the_cell(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        ws = wb["tasks"]
        ws.cell(
            row=row_of(ws, "risk_review"), column=header_column(ws, "competence")
        ).value = "risk_assesment"

    (problem,) = _mutated(tmp_path, change)
    assert "tasks.risk_review.competence: sheet 'tasks', row 4, column C (competence)" in problem
    assert "unknown competency 'risk_assesment' (did you mean 'risk_assessment'?" in problem


def test_several_problems_at_once(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        tasks = wb["tasks"]
        crisis = row_of(tasks, "crisis_response")
        tasks.cell(row=crisis, column=header_column(tasks, "competence")).value = None
        tasks.cell(row=crisis, column=header_column(tasks, "continuity")).value = "maybe"
        tasks.cell(row=1, column=26).value = "frequncy"
        tasks.cell(row=2, column=26).value = 3
        freq = wb["frequency"]
        freq.cell(row=2, column=header_column(freq, "every_weeks")).value = "often"
        staff = wb["establishment"]
        staff.cell(row=row_of(staff, "nurse"), column=header_column(staff, "headcount")).value = 2.5
        wb.create_sheet("Sheet7")

    problems = "\n".join(_mutated(tmp_path, change))
    assert "unknown sheet 'Sheet7' (expected: scenario, headroom" in problems
    assert "sheet 'tasks', row 6, column C (competence): is required but missing" in problems
    assert "sheet 'tasks', row 6, column G (continuity): must be true or false (got 'maybe')" in (
        problems
    )
    assert "sheet 'tasks', row 2, column Z (frequncy): unknown key 'frequncy' (did you mean " in (
        problems
    )
    assert "sheet 'frequency', row 2, column D (every_weeks): must be a number (got 'often')" in (
        problems
    )
    assert "sheet 'establishment', row 5, column C (headcount): must be a whole number" in problems


def test_sheet_structure_problems(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        roles = wb["roles"]
        roles.cell(row=roles.max_row + 1, column=1).value = "nurse"  # duplicate id
        roles.cell(row=roles.max_row + 1, column=2).value = "No id"  # a row without an id
        freq = wb["frequency"]
        freq.cell(row=freq.max_row + 1, column=1).value = "no_such_task"
        freq.cell(row=freq.max_row, column=2).value = "red"
        freq.cell(row=1, column=9).value = "per_month"
        head = wb["role_headroom"]
        head.append(["ghost", "study", 0.1])

    problems = "\n".join(_mutated(tmp_path, change))
    assert "sheet 'roles', row 10, column A (id): duplicate id 'nurse' (first at row 5)" in problems
    assert "sheet 'roles', row 11: column 'id' is blank: every row needs an id" in problems
    assert "sheet 'frequency', row 1, column I (per_month): unknown column 'per_month'" in problems
    assert "column A (task): unknown task 'no_such_task' (not on the tasks sheet)" in problems
    assert "sheet 'role_headroom', row 2, column A (role): unknown role 'ghost'" in problems


def test_bad_dates_in_the_staff_sheet(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        ws = wb["staff"]
        ws.cell(row=3, column=header_column(ws, "medication")).value = "2026-02-30"

    problems = "\n".join(_mutated(tmp_path, change, STAFF))
    assert "staff[1].signoffs.medication: sheet 'staff', row 3, column H (medication):" in problems
    assert "is not a real date" in problems


def test_a_formula_without_a_saved_result_is_reported(tmp_path: Path) -> None:
    def change(wb: Any) -> None:
        ws = wb["scenario"]
        ws.cell(row=row_of(ws, "hours_per_fte"), column=2).value = "=30+7.5"

    problems = "\n".join(_mutated(tmp_path, change))
    assert "sheet 'scenario', row 4, column B: the cell holds the formula =30+7.5 with no " in (
        problems
    )


def test_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("id,role\n", encoding="utf-8")
    (problem,) = problems_of(bad)
    assert problem.startswith(f"{bad}: not a valid Excel .xlsx workbook")
    data, tree, problems = read_workbook(tmp_path / "missing.xlsx")
    assert tree is None and problems[0].message == "file not found"
    code, _, err = run("validate", str(bad))
    assert code == 2 and "not a valid Excel .xlsx workbook" in err


def test_template_workbook_and_fill_are_one_function_of_the_other() -> None:
    scenario = load_scenario(NORTH)
    wb = fill_template(template_workbook(), scenario)
    assert wb["establishment"].cell(row=2, column=1).value == "consultant"
    assert wb["scenario"].cell(row=2, column=2).value == scenario.name
