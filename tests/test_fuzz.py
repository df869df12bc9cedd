"""Fuzzing the front door: whatever a user feeds in, a plan or a pointed error.

Every input format (YAML/JSON scenarios, the staff CSV, PEOPLE.csv and xlsx
scenarios) is mutated at random: keys deleted, values swapped for other
types, huge, negative and non-finite numbers, unicode, random bytes. Each
result must be either a plan (one that passes the independent checker) or a
``ScenarioError`` / ``PeopleError`` naming the file and where in it; through
the CLI, exit 0 or 2 and never a traceback or an "internal error" (exit 1).

The examples are derandomised (the same in every run, so CI is stable);
``SKILLMIX_FUZZ_EXAMPLES=500`` runs more of them, with fresh randomness.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import main
from optimiser.caseload.people import PeopleError, read_people
from optimiser.check import check_plan, load_scenario_dict
from optimiser.scenario import ScenarioError, load_scenario
from optimiser.scenario.excel import read_workbook, write_scenario_workbook
from optimiser.solve import SolveParams, solve
from optimiser.status import Status

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLE = SCENARIOS / "cmht-north.yaml"
STAFF_YAML = SCENARIOS / "cmht-north-staff.yaml"
STAFF_CSV = SCENARIOS / "cmht-north-staff.csv"
PEOPLE_CSV = SCENARIOS / "cmht-north-people.csv"

RAW: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
EXAMPLE_TEXT = EXAMPLE.read_bytes()

_MORE = int(os.environ.get("SKILLMIX_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_MORE or 40,
    derandomize=not _MORE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

# -- what a value may be replaced by -------------------------------------------------

weird_numbers = st.sampled_from(
    [0, -1, -0.5, 1e-12, 1e9, 10**30, 1e308, -1e308, math.inf, -math.inf, math.nan, 2**63]
)
weird_text = st.one_of(
    st.sampled_from(["", " ", "ü", "नर्स", "😀", "\u202e", "a" * 300, "=HYPERLINK(1)", "null"]),
    st.text(max_size=12),
)
weird_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    weird_numbers,
    weird_text,
    st.just([]),
    st.just({}),
    st.lists(weird_numbers, max_size=3),
    st.dictionaries(weird_text, weird_numbers, max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a YAML tree (maps and lists), the root excluded."""
    out: list[tuple[Any, ...]] = []
    items: Any = []
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


PATHS = _paths(RAW)


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """The example with one to three random edits (delete, swap, rename)."""
    data = copy.deepcopy(RAW)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        try:
            parent = _parent(data, path)
            parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this part
        action = draw(st.sampled_from(["delete", "replace", "replace", "rename"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(weird_values)
        elif isinstance(parent, dict):
            parent[draw(weird_text)] = parent.pop(path[-1])
    return data


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _plan_or_error(path: Path) -> None:
    """Load ``path``; a valid scenario is planned and the plan checked."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        event("bad input")
        assert error.problems
        for problem in error.problems:
            assert problem.file, problem
            assert problem.message, problem
        assert str(error).startswith(str(path)), str(error)
        return
    event("planned")
    plan = solve(scenario, SolveParams(time_limit=20.0, mitigations=False))
    assert Status(plan.status) in (Status.OPTIMAL, Status.FEASIBLE)
    raw = read_workbook(path)[0] if path.suffix == ".xlsx" else load_scenario_dict(path)
    assert check_plan(raw, plan.to_dict()) == []


def _cli_ok(args: list[str]) -> str:
    """Run the CLI: exit 0 (valid) or 2 (bad input), no traceback, no internal error."""
    result = CliRunner().invoke(main, args)
    output = result.output
    assert result.exit_code in (0, 2), output
    assert "Traceback" not in output and "internal error" not in output, output
    if not isinstance(result.exception, SystemExit | None):  # pragma: no cover
        raise AssertionError(f"{type(result.exception).__name__}: {result.exception}")
    return output


# -- scenarios -----------------------------------------------------------------------


@FUZZ
@given(data=mutated_scenarios())
def test_mutated_example_plans_or_names_the_problem(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(_yaml(data), encoding="utf-8")
    _plan_or_error(path)


@FUZZ
@given(data=mutated_scenarios())
def test_mutated_json_through_validate(tmp_path: Path, data: dict[str, Any]) -> None:
    import json

    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    output = _cli_ok(["validate", str(path)])
    assert "valid" in output or str(path) in output


@FUZZ
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, len(EXAMPLE_TEXT) - 1), st.binary(max_size=8)),
        min_size=1,
        max_size=4,
    )
)
def test_corrupted_yaml_bytes_through_validate(
    tmp_path: Path, cuts: list[tuple[int, bytes]]
) -> None:
    # random bytes spliced into the example: broken syntax, bad UTF-8, stray tabs
    text = bytearray(EXAMPLE_TEXT)
    for at, junk in cuts:
        text[at : at + len(junk)] = junk
    path = tmp_path / "corrupted.yaml"
    path.write_bytes(bytes(text))
    _cli_ok(["validate", str(path)])


@FUZZ
@given(blob=st.binary(max_size=200), suffix=st.sampled_from([".yaml", ".json", ".xlsx"]))
def test_random_bytes_are_bad_input(tmp_path: Path, blob: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(blob)
    _cli_ok(["validate", str(path)])


# -- staff CSV ------------------------------------------------------------------------

STAFF_ROWS = list(csv.reader(io.StringIO(STAFF_CSV.read_text())))


@st.composite
def mutated_staff_csv(draw: st.DrawFn) -> str:
    rows = copy.deepcopy(STAFF_ROWS)
    for _ in range(draw(st.integers(1, 3))):
        r = draw(st.integers(0, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "drop_row", "drop_column", "extra"]))
        if action == "cell" and rows[r]:
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = str(draw(weird_values))
        elif action == "drop_row":
            del rows[r]
        elif action == "drop_column" and rows and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1 :] for row in rows]
        else:
            rows[r] = [*rows[r], str(draw(weird_values))]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@FUZZ
@given(text=mutated_staff_csv())
def test_mutated_staff_csv_plans_or_names_row_and_column(tmp_path: Path, text: str) -> None:
    shutil.copy(STAFF_YAML, tmp_path / STAFF_YAML.name)
    (tmp_path / STAFF_CSV.name).write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(tmp_path / STAFF_YAML.name)
    except ScenarioError as error:
        for problem in error.problems:
            assert problem.file and problem.message, problem
        return
    plan = solve(scenario, SolveParams(time_limit=20.0, mitigations=False))
    raw = load_scenario_dict(tmp_path / STAFF_YAML.name)
    assert check_plan(raw, plan.to_dict()) == []


# -- PEOPLE.csv -----------------------------------------------------------------------

PEOPLE_ROWS = list(csv.reader(io.StringIO(PEOPLE_CSV.read_text())))[:41]  # header + 40
STAFF_SCENARIO = load_scenario(STAFF_YAML)


@st.composite
def mutated_people_csv(draw: st.DrawFn) -> str:
    rows = copy.deepcopy(PEOPLE_ROWS)
    for _ in range(draw(st.integers(1, 3))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, max(len(rows[0]), 1) - 1))
        action = draw(st.sampled_from(["cell", "cell", "duplicate", "short"]))
        if action == "cell" and c < len(rows[r]):
            rows[r][c] = str(draw(weird_values))
        elif action == "duplicate":
            rows.append(list(rows[r]))
        else:
            rows[r] = rows[r][:c]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@FUZZ
@given(text=mutated_people_csv())
def test_mutated_people_csv_is_read_or_named(tmp_path: Path, text: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    try:
        people = read_people(path, STAFF_SCENARIO)
    except PeopleError as error:
        message = str(error)
        assert str(path) in message, message
        return
    assert people is not None


@settings(FUZZ, max_examples=max(_MORE // 10, 8))
@given(text=mutated_people_csv())
def test_mutated_people_csv_through_caseload(tmp_path: Path, text: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    _cli_ok(["caseload", str(STAFF_YAML), str(path), "-o", str(tmp_path / "out")])


# -- xlsx scenarios -------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook_cells(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int, int]]:
    import openpyxl

    path = write_scenario_workbook(
        tmp_path_factory.mktemp("xlsx") / "example.xlsx", load_scenario(EXAMPLE)
    )
    book = openpyxl.load_workbook(path)
    cells = [
        (ws.title, cell.row, cell.column)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    return cells


@FUZZ
@given(data=st.data())
def test_mutated_xlsx_plans_or_names_sheet_row_column(
    tmp_path: Path, workbook_cells: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    base = tmp_path / "example.xlsx"
    write_scenario_workbook(base, load_scenario(EXAMPLE))
    book = openpyxl.load_workbook(base)
    for _ in range(data.draw(st.integers(1, 3))):
        sheet, row, column = data.draw(st.sampled_from(workbook_cells))
        value = data.draw(weird_values)
        non_finite = isinstance(value, float) and not math.isfinite(value)
        if isinstance(value, list | dict) or non_finite:  # what a cell cannot hold, as text
            value = str(value)
        if isinstance(value, int) and abs(value) > 2**53:
            value = str(value)
        if isinstance(value, str):  # a worksheet cannot hold control characters at all
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        book[sheet].cell(row=row, column=column).value = value
    path = tmp_path / "mutated.xlsx"
    book.save(path)
    _plan_or_error(path)
