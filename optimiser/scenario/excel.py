"""Scenarios as Excel workbooks: a template a planner fills in, and reading it back.

One sheet per section of the scenario format (SCENARIO.md). A workbook is
converted to the same raw mapping a YAML file gives, with the location of every
cell, and then goes through exactly the same validation as YAML
(:func:`optimiser.scenario.load_scenario` calls :func:`read_workbook` for
``.xlsx`` files). Problems name the sheet, row and column::

    team.xlsx:7: tasks.risk_review.hours: sheet 'tasks', row 7, column D (hours):
        must be greater than 0 (got 0)

Sheets (every one optional; a ``README`` sheet and any ``notes`` column are ignored):

==================  ==========================================================
``scenario``        key / value: name, plan_date, hours_per_fte, source
``headroom``        key / value: component → share (and ``source``)
``competencies``    one row per competency (``id`` …)
``roles``           one row per role; supervision as ``supervision_*`` columns
``role_headroom``   role, component, share[, source]: a role's headroom override
``establishment``   FTE mode: one row per role (``role``, ``fte``, ``headcount``)
``staff``           staff mode: one row per person; one column per competency
                    holding the sign-off date (as the staff CSV)
``tiers``           one row per tier
``cohort``          one row per segment
``tasks``           one row per task
``frequency``       task, tier, per_week | every_weeks
``policies``        key / value: duty.*, coordination_registered_for, red_flags.*
``volatility``      key / value: people_cv, seed, source
``transitions``     from_tier, to_tier, probability (per quarter)
``sizing``          key / value: fte_step, budget, source
``sizing_bounds``   role, min_fte, max_fte
==================  ==========================================================

Lists (a role's ``competencies``, ``supervised_by``, a task's ``stages`` …)
are written in one cell, separated by commas. Blank cells mean "not given"
(the format's default applies).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optimiser.io import write_bytes

from .problems import Key, Loc, LocTree, Problem, format_path
from .reading import MAX_FILE_BYTES, MAX_NODES

if TYPE_CHECKING:
    from openpyxl import Workbook

    from .models import Scenario

Kind = Literal["text", "number", "int", "bool", "list", "date", "any"]

README_SHEET = "README"
NOTES_COLUMN = "notes"


# -- the layout -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table sheet (or one key of a key / value sheet)."""

    name: str
    kind: Kind
    help: str
    target: tuple[str, ...] = ()
    """Where the value goes inside the row's mapping (default: ``(name,)``)."""

    @property
    def path(self) -> tuple[str, ...]:
        return self.target or (self.name,)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook.

    ``shape``: ``keyvalue`` (rows of key, value), ``map`` (one row per entry of
    a map keyed by ``key``), ``list`` (one row per list item), or one of the
    nested forms ``frequency``, ``role_headroom``, ``transitions``,
    ``sizing_bounds`` that add to another section.
    """

    name: str
    section: str
    shape: str
    help: str
    columns: tuple[Column, ...]
    key: str | None = None
    open_columns: bool = False
    """Table sheets: columns not listed are kept (and rejected by validation as
    unknown keys, or, for ``staff``, read as competency sign-off dates)."""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


_SRC = "provenance note, listed in the report's assumptions register"

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "scenario",
        "",
        "keyvalue",
        "The scenario's name and the date the plan is for.",
        (
            Column("name", "text", "Human title of the scenario (required)."),
            Column("plan_date", "date", "Date the plan is for, YYYY-MM-DD (required)."),
            Column("hours_per_fte", "number", "Contracted hours a week of 1.0 FTE (default 37.5)."),
            Column("source", "text", "Where the scenario comes from: " + _SRC + "."),
        ),
    ),
    Sheet(
        "headroom",
        "headroom",
        "keyvalue",
        "Unavailable shares of contracted time, by component (annual_leave, sickness, "
        "study, admin_travel, ...). Add a row per component; the shares must sum to less "
        "than 1. A row 'source' holds the provenance.",
        (
            Column("annual_leave", "number", "Share of contracted time on annual leave."),
            Column("sickness", "number", "Share lost to sickness."),
            Column("study", "number", "Share for study and mandatory training."),
            Column("admin_travel", "number", "Share for admin and travel not tied to a task."),
            Column("source", "text", _SRC),
        ),
    ),
    Sheet(
        "competencies",
        "competencies",
        "map",
        "What a task can require. One row per competency.",
        (
            Column("id", "text", "Competency id, referred to by roles, tasks and staff sign-offs."),
            Column("title", "text", "Plain-English name (default: the id)."),
            Column(
                "signoff_valid_months",
                "int",
                "Staff mode: months a local sign-off stays valid; blank = no sign-off needed.",
            ),
            Column("source", "text", _SRC),
        ),
        key="id",
        open_columns=True,
    ),
    Sheet(
        "roles",
        "roles",
        "map",
        "The kinds of post. One row per role.",
        (
            Column(
                "id", "text", "Role id, referred to by the establishment, staff and supervision."
            ),
            Column("title", "text", "e.g. Community mental health nurse (Band 6)."),
            Column("registered", "bool", "TRUE if the role holds professional registration."),
            Column("annual_cost", "number", "Cost of 1.0 FTE a year in GBP, on-costs included."),
            Column("competencies", "list", "Scope of practice: competency ids, comma-separated."),
            Column(
                "caseload_capacity",
                "number",
                "Weighted caseload points 1.0 FTE can care-coordinate (0 = none).",
            ),
            Column(
                "protected_continuity_share",
                "number",
                "Share of available time protected for continuity work (0 to 1).",
            ),
            Column(
                "utilisation_target",
                "number",
                "Optional: share of available hours the plan may fill for this role "
                "(above 0, at most 1); overrides the policies sheet.",
            ),
            Column(
                "supervision_needs_hours_per_week",
                "number",
                "Supervision each person of the role needs a week (hours).",
                ("supervision", "needs_hours_per_week"),
            ),
            Column(
                "supervised_by",
                "list",
                "Role ids that may supervise this role, comma-separated.",
                ("supervision", "supervised_by"),
            ),
            Column(
                "max_supervisees",
                "int",
                "Supervisees per person of this role (0 = does not supervise).",
                ("supervision", "max_supervisees"),
            ),
            Column(
                "supervision_source",
                "text",
                "Provenance of the supervision figures.",
                ("supervision", "source"),
            ),
            Column("source", "text", _SRC),
        ),
        key="id",
        open_columns=True,
    ),
    Sheet(
        "role_headroom",
        "roles",
        "role_headroom",
        "Optional: a role's own headroom, overriding the headroom sheet component by "
        "component. One row per role and component.",
        (
            Column("role", "text", "Role id (from the roles sheet)."),
            Column("component", "text", "Headroom component, e.g. study."),
            Column("share", "number", "The role's share for that component."),
            Column("source", "text", "Provenance of the role's headroom."),
        ),
    ),
    Sheet(
        "establishment",
        "establishment",
        "map",
        "FTE mode: how much of each role the team has. Fill this sheet OR the staff sheet.",
        (
            Column("role", "text", "Role id."),
            Column("fte", "number", "Full-time equivalents of the role."),
            Column("headcount", "int", "Persons sharing that FTE (default: FTE rounded up)."),
            Column("source", "text", _SRC),
        ),
        key="role",
        open_columns=True,
    ),
    Sheet(
        "staff",
        "staff",
        "list",
        "Staff mode: named (pseudonymised) people. Fill this sheet OR the establishment "
        "sheet. Add one column per competency id (e.g. risk_assessment) holding the "
        "person's local sign-off date, or blank.",
        (
            Column("id", "text", "Pseudonymised person id."),
            Column("role", "text", "Role id."),
            Column("fte", "number", "The person's FTE, above 0 and at most 1.5."),
            Column("locality", "text", "Locality (optional), for caseload matching."),
            Column("source", "text", _SRC),
        ),
        open_columns=True,
    ),
    Sheet(
        "tiers",
        "tiers",
        "map",
        "Risk stratification. One row per tier.",
        (
            Column("id", "text", "Tier id, e.g. red."),
            Column("title", "text", "e.g. High risk - volatile."),
            Column(
                "severity", "int", "Consequence (1 to 5) of care failing for someone in the tier."
            ),
            Column(
                "caseload_weight", "number", "Caseload points one person of the tier counts for."
            ),
            Column(
                "coordination",
                "bool",
                "TRUE (default) if people in the tier need a named care coordinator; FALSE "
                "for people seen for a course of treatment.",
            ),
            Column("source", "text", _SRC),
        ),
        key="id",
        open_columns=True,
    ),
    Sheet(
        "cohort",
        "cohort",
        "list",
        "The people on the caseload: one row per tier and pathway stage.",
        (
            Column("tier", "text", "Tier id."),
            Column("stage", "text", "Pathway stage, e.g. crisis (default: all)."),
            Column("people", "int", "People in the segment."),
            Column("source", "text", _SRC),
        ),
        open_columns=True,
    ),
    Sheet(
        "tasks",
        "tasks",
        "map",
        "The task analysis: one row per recurring task. How often each tier needs it is "
        "on the frequency sheet.",
        (
            Column("id", "text", "Task id."),
            Column("title", "text", "Plain-English name."),
            Column("competence", "text", "Competency id needed to do the task."),
            Column("hours", "number", "Hours per occurrence, including travel and recording."),
            Column("stages", "list", "Only these pathway stages (comma-separated); blank = all."),
            Column(
                "registered_for",
                "list",
                "Tier ids in which only a registered role may do the task (comma-separated).",
            ),
            Column("continuity", "bool", "TRUE if it is planned continuity work."),
            Column(
                "signoff_share",
                "number",
                "Share of delegated hours a registered role spends on clinical sign-off.",
            ),
            Column(
                "criticality", "int", "Consequence (1 to 5) of the task not being done (default 3)."
            ),
            Column("source", "text", _SRC),
        ),
        key="id",
        open_columns=True,
    ),
    Sheet(
        "frequency",
        "tasks",
        "frequency",
        "How often each task recurs per person of a tier. One row per task and tier; give "
        "per_week OR every_weeks. A tier with no row does not need the task.",
        (
            Column("task", "text", "Task id (from the tasks sheet)."),
            Column("tier", "text", "Tier id."),
            Column("per_week", "number", "Occurrences a week per person."),
            Column("every_weeks", "number", "Or: once every this many weeks."),
            Column("source", "text", _SRC),
        ),
    ),
    Sheet(
        "policies",
        "policies",
        "keyvalue",
        "Team-wide rules: duty cover, registered care coordination, red-flag thresholds.",
        (
            Column("duty.hours_per_week", "number", "Duty clinician cover needed a week (hours)."),
            Column("duty.competence", "text", "Competency id the duty clinician needs."),
            Column("duty.registered", "bool", "Duty clinician must be registered (TRUE)."),
            Column("duty.source", "text", _SRC),
            Column(
                "coordination_registered_for",
                "list",
                "Tier ids whose people need a registered care coordinator (comma-separated).",
            ),
            Column(
                "red_flags.registered_only_hours",
                "number",
                "Red flag: shortfall of registered-only work above this many hours a week "
                "(default 8).",
            ),
            Column(
                "red_flags.registered_only_share",
                "number",
                "Red flag: or above this share of its demand (default 0.25).",
            ),
            Column(
                "red_flags.min_score", "int", "Red flag: any risk scoring at least this (optional)."
            ),
            Column("red_flags.source", "text", _SRC),
            Column(
                "utilisation_target",
                "number",
                "Share of each role's available hours the plan may fill (default 1; about "
                "0.8 in demand-and-capacity practice).",
            ),
            Column(
                "registered_share_min",
                "number",
                "Optional: least share of the team's FTE that is registered (0 to 1).",
            ),
            Column("source", "text", _SRC),
        ),
    ),
    Sheet(
        "volatility",
        "volatility",
        "keyvalue",
        "Optional, for simulate: how demand varies. Step-up / step-down on the transitions sheet.",
        (
            Column("people_cv", "number", "Coefficient of variation of each segment's size."),
            Column("seed", "int", "Random seed."),
            Column("source", "text", _SRC),
        ),
    ),
    Sheet(
        "transitions",
        "volatility",
        "transitions",
        "Optional, for simulate: probability per quarter that a person moves between tiers.",
        (
            Column("from_tier", "text", "Tier id people move from."),
            Column("to_tier", "text", "Tier id they move to."),
            Column("probability", "number", "Probability per quarter (0 to 1)."),
        ),
    ),
    Sheet(
        "sizing",
        "sizing",
        "keyvalue",
        "Optional, for size: step and budget. Per-role bounds on the sizing_bounds sheet.",
        (
            Column("fte_step", "number", "FTE step of the sizing (default 0.1)."),
            Column("budget", "number", "Annual budget in GBP (optional)."),
            Column("source", "text", _SRC),
        ),
    ),
    Sheet(
        "sizing_bounds",
        "sizing",
        "sizing_bounds",
        "Optional, for size: the least and most FTE of each role.",
        (
            Column("role", "text", "Role id."),
            Column("min_fte", "number", "Least FTE of the role."),
            Column("max_fte", "number", "Most FTE of the role."),
        ),
    ),
)

SHEET_BY_NAME = {s.name: s for s in SHEETS}
_ROOT_SECTIONS = ("name", "plan_date", "hours_per_fte", "source")


# -- locations: problems that name sheet, row and column ------------------------------------


@dataclass(frozen=True)
class CellLoc(Loc):
    """A location in a workbook: sheet, row (as ``line``) and column."""

    sheet: str = ""
    letter: str | None = None
    header: str | None = None
    known: tuple[tuple[str, str], ...] = ()
    """For a row: column header → letter, to name a missing column."""

    def describe(self, missing: str | None = None) -> str:
        where = f"sheet '{self.sheet}'"
        if self.line is not None:
            where += f", row {self.line}"
        if self.letter is not None:
            where += f", column {self.letter}" + (f" ({self.header})" if self.header else "")
        elif missing is not None:
            letter = dict(self.known).get(missing)
            where += f", column {letter} ({missing})" if letter else f", column '{missing}'"
        return where


@dataclass
class CellTree(LocTree):
    """A :class:`LocTree` whose problems say ``sheet 'x', row n, column C (header)``."""

    def problem(self, path: Any, message: str) -> Problem:  # noqa: D102 - as LocTree
        node: LocTree = self
        rest: list[Key] = []
        for index, key in enumerate(path):
            child = node.children.get(key)
            if child is None:
                rest = list(path[index:])
                break
            node = child
        loc = node.loc
        if isinstance(loc, CellLoc):
            missing = str(rest[0]) if rest else None
            message = f"{loc.describe(missing)}: {message}"
        elif loc.column is not None:  # pragma: no cover - not produced for workbooks
            message = f"column '{loc.column}': {message}"
        return Problem(loc.file, format_path(path), loc.line, message)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


# -- reading ---------------------------------------------------------------------------------


class _Reject(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Row:
    number: int
    cells: dict[str, tuple[Any, CellLoc]]
    loc: CellLoc


@dataclass
class _Reader:
    display: str
    problems: list[Problem] = field(default_factory=list)
    cells_read: int = 0

    def problem(self, loc: CellLoc, message: str, path: tuple[Key, ...] = ()) -> None:
        self.problems.append(
            Problem(self.display, format_path(path), loc.line, f"{loc.describe()}: {message}")
        )


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(value: float | int) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _convert(value: Any, kind: Kind) -> Any:
    """A cell's value as the scenario format expects it (``None`` for blank).

    Values that cannot be read as ``kind`` are passed on unchanged, so that
    validation reports them against what the key expects.
    """
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date() if value.time() == time(0) else value
    if kind == "text":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return str(_number(value))
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        return value if isinstance(value, str) else str(value)
    if kind in ("number", "int"):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return _number(value)
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            return _number(float(value))
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        return value
    if kind == "list":
        if isinstance(value, str):
            return [part.strip() for part in re.split(r"[,;\n]", value) if part.strip()]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [str(_number(value))]
        return value
    if kind == "date":
        return value
    # "any": numbers as numbers, the rest as given
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return _number(float(value))
    return value


def _set(
    target: dict[str, Any], tree: LocTree, path: tuple[str, ...], value: Any, loc: LocTree
) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
        tree = tree.children.setdefault(key, LocTree(tree.loc))
    target[path[-1]] = value
    tree.children[path[-1]] = loc


def _open(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """The workbook twice: saved values, and formulas (to tell a formula from a blank)."""
    from openpyxl import load_workbook

    def fail(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display, "", None, message)]

    try:
        if not path.exists():
            return fail("file not found")
        if not path.is_file():
            return fail("not a regular file")
        if path.stat().st_size > MAX_FILE_BYTES:
            megabytes = MAX_FILE_BYTES // (1024 * 1024)
            return fail(f"file is larger than {megabytes} MB; refusing to read it")
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
        return (values, formulas), []
    except OSError as exc:
        return fail(f"cannot read file: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        return fail(f"not a valid Excel .xlsx workbook ({type(exc).__name__}: {exc})")


def _grid(reader: _Reader, pair: tuple[Any, Any], sheet: Sheet) -> Iterator[tuple[int, list[Any]]]:
    """Rows of cell values, numbered from 1; formulas give their saved results.

    A cell that cannot be used (a formula never calculated, an error value, a
    time of day) is reported and read as blank.
    """
    values, formulas = pair
    rows = zip_longest(values.iter_rows(), formulas.iter_rows(), fillvalue=())
    for number, (row_v, row_f) in enumerate(rows, start=1):
        out: list[Any] = []
        for index, (cv, cf) in enumerate(zip_longest(row_v, row_f), start=1):
            value = getattr(cv, "value", None)
            if isinstance(value, str) and not value.strip():
                value = None
            loc = CellLoc(reader.display, number, sheet=sheet.name, letter=_letter(index))
            if getattr(cf, "data_type", None) == "f" and value is None:
                reader.problem(
                    loc,
                    f"the cell holds the formula {getattr(cf, 'value', '')!s} with no saved "
                    "result; type the value, or open and save the workbook in a spreadsheet "
                    "program so the result is stored",
                )
            elif getattr(cv, "data_type", None) == "e":
                reader.problem(loc, f"the cell holds the spreadsheet error {value}")
                value = None
            elif isinstance(value, time | timedelta):
                reader.problem(loc, f"expected a value, got a time or duration ({value})")
                value = None
            if value is not None:
                reader.cells_read += 1
                if reader.cells_read > MAX_NODES:
                    raise _Reject(
                        Problem(
                            reader.display,
                            "",
                            number,
                            f"{loc.describe()}: more than {MAX_NODES:,} filled cells; "
                            "refusing to read further",
                        )
                    )
            out.append(value)
        yield number, out


def _rows(reader: _Reader, pair: tuple[Any, Any], sheet: Sheet) -> Iterator[_Row]:
    """The non-blank data rows of a table sheet, each cell with its location."""
    grid = _grid(reader, pair, sheet)
    first = next(grid, None)
    if first is None:
        return
    header_values = first[1]
    headers: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, text in enumerate(header_values, start=1):
        if text is None:
            continue
        name = str(text).strip()
        norm = name.lower().replace(" ", "_")
        loc = CellLoc(reader.display, 1, sheet=sheet.name, letter=_letter(index), header=name)
        if norm in seen:
            reader.problem(loc, f"column '{name}' appears twice (first in column {seen[norm]})")
            continue
        seen[norm] = _letter(index)
        if norm == NOTES_COLUMN:
            continue
        if sheet.column(norm) is None and not sheet.open_columns:
            expected = ", ".join(c.name for c in sheet.columns)
            reader.problem(loc, f"unknown column '{name}' (expected: {expected})")
            continue
        headers[index] = norm if sheet.column(norm) is not None else name
    known = tuple((headers[i], _letter(i)) for i in sorted(headers))
    named = {i for i, v in enumerate(header_values, start=1) if v is not None}
    for row_number, row in grid:
        cells: dict[str, tuple[Any, CellLoc]] = {}
        for index, value in enumerate(row, start=1):
            if value is None:
                continue
            header = headers.get(index)
            loc = CellLoc(
                reader.display, row_number, sheet=sheet.name, letter=_letter(index), header=header
            )
            if header is None:
                if index not in named:
                    reader.problem(loc, "this cell has a value but its column has no header")
                continue
            cells[header] = (value, loc)
        if cells:
            row_loc = CellLoc(reader.display, row_number, sheet=sheet.name, known=known)
            yield _Row(row_number, cells, row_loc)


def _keyvalue(
    reader: _Reader, pair: tuple[Any, Any], sheet: Sheet
) -> tuple[dict[str, Any], LocTree]:
    """Rows ``key | value``: dotted keys become nested mappings."""
    data: dict[str, Any] = {}
    tree = LocTree(CellLoc(reader.display, None, sheet=sheet.name))
    first: dict[str, int] = {}
    for number, row in _grid(reader, pair, sheet):
        cells = list(row) + [None, None]
        raw_key, value = cells[0], cells[1]
        key = "" if raw_key is None else str(raw_key).strip()
        if number == 1 and key.lower() == "key":
            continue  # header
        if not key:
            if value is not None:
                loc = CellLoc(reader.display, number, sheet=sheet.name, letter="A", header="key")
                reader.problem(loc, "a value without a key")
            continue
        column = sheet.column(key)
        kind: Kind = column.kind if column is not None else "any"
        converted = _convert(value, kind)
        if converted is None:
            continue
        loc = CellLoc(reader.display, number, sheet=sheet.name, letter="B", header=key)
        if key in first:
            reader.problem(loc, f"key '{key}' appears twice (first at row {first[key]})")
            continue
        first[key] = number
        _set(data, tree, tuple(key.split(".")), converted, LocTree(loc))
    return data, tree


def _row_value(row: _Row, sheet: Sheet, name: str) -> tuple[Any, CellLoc] | None:
    got = row.cells.get(name)
    if got is None:
        return None
    value, loc = got
    column = sheet.column(name)
    converted = _convert(value, column.kind if column is not None else "any")
    return (None, loc) if converted is None else (converted, loc)


def _record(row: _Row, sheet: Sheet, skip: tuple[str, ...] = ()) -> tuple[dict[str, Any], LocTree]:
    record: dict[str, Any] = {}
    tree = LocTree(row.loc)
    for name in row.cells:
        if name in skip:
            continue
        got = _row_value(row, sheet, name)
        if got is None or got[0] is None:
            continue
        column = sheet.column(name)
        path = column.path if column is not None else (name,)
        _set(record, tree, path, got[0], LocTree(got[1]))
    return record, tree


def read_workbook(
    path: str | Path, display: str | None = None
) -> tuple[Any, LocTree | None, list[Problem]]:
    """Read an ``.xlsx`` scenario into the raw mapping a YAML scenario gives.

    Parameters
    ----------
    path
        The workbook.
    display
        How the file is named in problems (default ``str(path)``).

    Returns
    -------
    tuple
        The raw scenario mapping, its locations (a :class:`CellTree`, whose
        problems name sheet, row and column; ``None`` when the file could not
        be read) and the problems found while reading.
    """
    file = Path(path)
    display = display if display is not None else str(path)
    book, problems = _open(file, display)
    if book is None:
        return None, None, problems
    wb, formulas = book
    reader = _Reader(display)
    data: dict[str, Any] = {}
    tree = CellTree(Loc(display, None))
    for sheet in SHEETS:
        if sheet.section and sheet.shape in ("keyvalue", "map", "list"):
            tree.children.setdefault(
                sheet.section, LocTree(CellLoc(display, None, sheet=sheet.name))
            )
    try:
        present: dict[str, str] = {}
        for name in wb.sheetnames:
            norm = name.strip().lower()
            if norm in (README_SHEET.lower(), NOTES_COLUMN):
                continue
            if norm not in SHEET_BY_NAME:
                expected = ", ".join(s.name for s in SHEETS)
                reader.problems.append(
                    Problem(display, "", None, f"unknown sheet '{name}' (expected: {expected})")
                )
                continue
            present[norm] = name
        # In layout order, so that nested sheets (frequency, ...) find their owners.
        for sheet in SHEETS:
            if sheet.name in present:
                name = present[sheet.name]
                _read_sheet(reader, (wb[name], formulas[name]), sheet, data, tree)
        for key in ("name", "plan_date"):
            if key not in data:
                tree.children[key] = LocTree(CellLoc(display, None, sheet="scenario"))
    except _Reject as exc:
        reader.problems.append(exc.problem)
        return None, None, reader.problems
    except Exception as exc:  # noqa: BLE001 - a broken part of the package found while reading
        reader.problems.append(
            Problem(
                display, "", None, f"not a valid Excel .xlsx workbook ({type(exc).__name__}: {exc})"
            )
        )
        return None, None, reader.problems
    finally:
        wb.close()
        formulas.close()
    return data, tree, reader.problems


def _read_sheet(
    reader: _Reader, ws: tuple[Any, Any], sheet: Sheet, data: dict[str, Any], tree: CellTree
) -> None:
    if sheet.shape == "keyvalue":
        values, values_tree = _keyvalue(reader, ws, sheet)
        if not sheet.section:
            for key, value in values.items():
                data[key] = value
                tree.children[key] = values_tree.children[key]
        elif values:
            section = data.setdefault(sheet.section, {})
            section_tree = tree.children[sheet.section]
            section.update(values)
            section_tree.children.update(values_tree.children)
        return
    rows = list(_rows(reader, ws, sheet))
    if sheet.shape == "map":
        _read_map(reader, rows, sheet, data, tree)
    elif sheet.shape == "list":
        _read_list(reader, rows, sheet, data, tree)
    else:
        _read_nested(reader, rows, sheet, data, tree)


def _read_map(
    reader: _Reader, rows: list[_Row], sheet: Sheet, data: dict[str, Any], tree: CellTree
) -> None:
    assert sheet.key is not None
    if not rows:
        return
    section = data.setdefault(sheet.section, {})
    section_tree = tree.children[sheet.section]
    first: dict[str, int] = {}
    for row in rows:
        got = _row_value(row, sheet, sheet.key)
        if got is None or got[0] is None:
            reader.problem(row.loc, f"column '{sheet.key}' is blank: every row needs an id")
            continue
        key, key_loc = got
        if not isinstance(key, str):
            reader.problem(key_loc, f"must be text (got {key!r})")
            continue
        if key in first:
            reader.problem(key_loc, f"duplicate {sheet.key} '{key}' (first at row {first[key]})")
            continue
        first[key] = row.number
        record, record_tree = _record(row, sheet, skip=(sheet.key,))
        section[key] = record
        section_tree.children[key] = record_tree


def _read_list(
    reader: _Reader, rows: list[_Row], sheet: Sheet, data: dict[str, Any], tree: CellTree
) -> None:
    items: list[Any] = []
    list_tree = tree.children[sheet.section]
    for row in rows:
        if sheet.name == "staff":
            known = tuple(c.name for c in sheet.columns)
            record, record_tree = _record(
                row, sheet, skip=tuple(n for n in row.cells if n not in known)
            )
            signoffs: dict[str, Any] = {}
            signoff_tree = LocTree(row.loc)
            for name, (value, loc) in row.cells.items():
                if name in known:
                    continue
                converted = _convert(value, "date")
                if converted is not None:
                    signoffs[name] = converted
                    signoff_tree.children[name] = LocTree(loc)
            if signoffs:
                record["signoffs"] = signoffs
                record_tree.children["signoffs"] = signoff_tree
        else:
            record, record_tree = _record(row, sheet)
        list_tree.children[len(items)] = record_tree
        items.append(record)
    if items:
        data[sheet.section] = items


def _read_nested(
    reader: _Reader, rows: list[_Row], sheet: Sheet, data: dict[str, Any], tree: CellTree
) -> None:
    """frequency, role_headroom, transitions and sizing_bounds: add into another section."""
    first: dict[tuple[Any, ...], int] = {}

    def value(row: _Row, name: str) -> tuple[Any, CellLoc] | None:
        got = _row_value(row, sheet, name)
        return None if got is None or got[0] is None else got

    def section() -> tuple[dict[str, Any], LocTree]:
        if sheet.section not in tree.children:
            tree.children[sheet.section] = LocTree(CellLoc(reader.display, None, sheet=sheet.name))
        return data.setdefault(sheet.section, {}), tree.children[sheet.section]

    for row in rows:
        names = [c.name for c in sheet.columns]
        owner_name, second_name = names[0], names[1]
        owner, second = value(row, owner_name), value(row, second_name)
        if sheet.shape == "sizing_bounds":  # one row per role: the role alone identifies it
            second = (None, row.loc)
        if owner is None or second is None:
            blank = owner_name if owner is None else second_name
            reader.problem(row.loc, f"column '{blank}' is blank")
            continue
        ident = (owner[0], second[0])
        if ident in first:
            what = f"{owner_name} '{ident[0]}'"
            if sheet.shape != "sizing_bounds":
                what += f" and {second_name} '{ident[1]}'"
            reader.problem(row.loc, f"{what} appear twice (first at row {first[ident]})")
            continue
        first[ident] = row.number
        target, target_tree = section()
        if sheet.shape == "frequency":
            tasks = target
            if owner[0] not in tasks:
                reader.problem(owner[1], f"unknown task '{owner[0]}' (not on the tasks sheet)")
                continue
            record, record_tree = _record(row, sheet, skip=("task", "tier"))
            task_tree = target_tree.children[owner[0]]
            freq = tasks[owner[0]].setdefault("frequency", {})
            freq_tree = task_tree.children.setdefault("frequency", LocTree(row.loc))
            freq[str(second[0])] = record
            freq_tree.children[str(second[0])] = record_tree
        elif sheet.shape == "role_headroom":
            roles = target
            if owner[0] not in roles:
                reader.problem(owner[1], f"unknown role '{owner[0]}' (not on the roles sheet)")
                continue
            role_tree = target_tree.children[owner[0]]
            headroom = roles[owner[0]].setdefault("headroom", {})
            headroom_tree = role_tree.children.setdefault("headroom", LocTree(row.loc))
            share = value(row, "share")
            if share is not None:
                headroom[str(second[0])] = share[0]
                headroom_tree.children[str(second[0])] = LocTree(share[1])
            source = value(row, "source")
            if source is not None:
                if "source" in headroom and headroom["source"] != source[0]:
                    reader.problem(
                        source[1], f"a different source for role '{owner[0]}' was given above"
                    )
                headroom["source"] = source[0]
                headroom_tree.children["source"] = LocTree(source[1])
        elif sheet.shape == "transitions":
            prob = value(row, "probability")
            if prob is None:
                reader.problem(row.loc, "column 'probability' is blank")
                continue
            transitions = target.setdefault("transitions", {})
            trans_tree = target_tree.children.setdefault("transitions", LocTree(row.loc))
            transitions.setdefault(str(owner[0]), {})[str(second[0])] = prob[0]
            from_tree = trans_tree.children.setdefault(str(owner[0]), LocTree(owner[1]))
            from_tree.children[str(second[0])] = LocTree(prob[1])
        elif sheet.shape == "sizing_bounds":
            for bound in ("min_fte", "max_fte"):
                got = value(row, bound)
                if got is None:
                    continue
                bounds = target.setdefault(bound, {})
                bounds_tree = target_tree.children.setdefault(bound, LocTree(row.loc))
                bounds[str(owner[0])] = got[0]
                bounds_tree.children[str(owner[0])] = LocTree(got[1])


# -- writing: the template, filled or not ---------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _rows_of(sheet: Sheet, scenario: Scenario | None) -> list[dict[str, Any]]:
    """The rows of a table sheet for ``scenario`` (none for the blank template)."""
    if scenario is None:
        return []
    s = scenario
    if sheet.shape == "map":
        section = getattr(s, sheet.section) or {}
        out = []
        for key, item in section.items():
            dumped = item.model_dump(exclude_none=True)
            row: dict[str, Any] = {sheet.key or "id": key}
            for column in sheet.columns:
                if column.name == sheet.key:
                    continue
                value: Any = dumped
                for part in column.path:
                    value = value.get(part) if isinstance(value, dict) else None
                if value is not None and value != [] and not isinstance(value, dict):
                    row[column.name] = value
            out.append(row)
        return out
    if sheet.name == "staff":
        return [
            {
                **{k: v for k, v in m.model_dump(exclude_none=True).items() if k != "signoffs"},
                **m.signoffs,
            }
            for m in s.staff or []
        ]
    if sheet.name == "cohort":
        return [seg.model_dump(exclude_none=True) for seg in s.cohort]
    if sheet.name == "frequency":
        return [
            {"task": t, "tier": tier, **f.model_dump(exclude_none=True)}
            for t, task in s.tasks.items()
            for tier, f in task.frequency.items()
        ]
    if sheet.name == "role_headroom":
        out = []
        for r, role in s.roles.items():
            if role.headroom is None:
                continue
            shares = list(role.headroom.shares.items())
            for n, (component, share) in enumerate(shares or [("", None)]):
                row = {"role": r, "component": component, "share": share}
                if n == 0 and role.headroom.source is not None:
                    row["source"] = role.headroom.source
                out.append(row)
        return out
    if sheet.name == "transitions":
        if s.volatility is None:
            return []
        return [
            {"from_tier": a, "to_tier": b, "probability": p}
            for a, row in s.volatility.transitions.items()
            for b, p in row.items()
        ]
    if sheet.name == "sizing_bounds":
        if s.sizing is None:
            return []
        roles = list(dict.fromkeys([*s.sizing.min_fte, *s.sizing.max_fte]))
        return [
            {"role": r, "min_fte": s.sizing.min_fte.get(r), "max_fte": s.sizing.max_fte.get(r)}
            for r in roles
        ]
    return []  # pragma: no cover


def _pairs_of(sheet: Sheet, scenario: Scenario | None) -> list[tuple[str, Any]]:
    """The (key, value) rows of a key / value sheet; known keys first, blank in the template."""
    values: dict[str, Any] = {}
    if scenario is not None:
        if not sheet.section:
            values = {
                k: getattr(scenario, k) for k in _ROOT_SECTIONS if getattr(scenario, k) is not None
            }
        elif sheet.section == "headroom":
            values = {**scenario.headroom.shares}
            if scenario.headroom.source is not None:
                values["source"] = scenario.headroom.source
        else:
            model = getattr(scenario, sheet.section)
            if model is not None:
                dumped = model.model_dump(
                    exclude_none=True, exclude={"transitions", "min_fte", "max_fte"}
                )
                values = {k: v for k, v in _flatten(dumped).items() if v != []}
    keys = [c.name for c in sheet.columns]
    if scenario is not None and sheet.section == "headroom":
        keys = [k for k in values if k != "source"] + ["source"]
    keys += [k for k in values if k not in keys]
    return [(k, values.get(k)) for k in keys]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _write(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is always stored as text (never run as a formula)."""
    cell = ws.cell(row=row, column=column)
    value = _plain(value)
    if isinstance(value, str):
        cell.value = _printable(value)
        cell.data_type = "s"
        if value.startswith(("=", "+", "-", "@")):
            cell.quotePrefix = True
    else:
        cell.value = value
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    return cell


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _printable(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def _readme(ws: Any) -> None:
    from openpyxl.styles import Font

    lines = [
        ("skillmix scenario workbook", True),
        (
            "Fill in one sheet per section of the scenario; then run "
            "`skillmix validate FILE.xlsx` and `skillmix solve FILE.xlsx`.",
            False,
        ),
        (
            "Hours are hours per week; money is GBP per year; shares are fractions 0 to 1; "
            "dates are YYYY-MM-DD.",
            False,
        ),
        (
            "Hover over a column header for what it means (cell comments). Lists go in one cell, "
            "comma-separated. Blank cells mean 'not given' (the default applies).",
            False,
        ),
        (
            "Fill the establishment sheet (FTE mode) OR the staff sheet (staff mode), not both.",
            False,
        ),
        (
            "Every 'source' cell is a provenance note listed in the report's assumptions register.",
            False,
        ),
        (
            "A 'notes' column may be added to any sheet; it is ignored. "
            "This README sheet is ignored.",
            False,
        ),
        ("Full reference: docs/format.md; Excel details: docs/report.md.", False),
        ("", False),
        ("Sheets", True),
    ]
    lines += [(f"{s.name}: {s.help}", False) for s in SHEETS]
    for n, (text, bold) in enumerate(lines, start=1):
        cell = _write(ws, n, 1, text)
        if bold:
            cell.font = Font(bold=True, size=12)
    ws.column_dimensions["A"].width = 120


def _header_cell(ws: Any, col: int, name: str, sheet: Sheet) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    cell = _write(ws, 1, col, name)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="DDEBF7")
    if sheet.shape == "keyvalue":
        text = sheet.help if col == 1 else None
    else:
        column = sheet.column(name)
        text = column.help if column is not None else f"Sign-off date for competency '{name}'."
        if col == 1:
            text = f"{text}\n\nSheet: {sheet.help}"
    if text:
        cell.comment = Comment(text, "skillmix", width=320, height=140)
    ws.column_dimensions[_letter(col)].width = max(12, min(40, len(name) + 4))


def template_workbook() -> Workbook:
    """The blank scenario template a planner fills in.

    Returns
    -------
    openpyxl.Workbook
        A README sheet, then one sheet per section: table sheets with a
        header row whose cells carry a comment explaining the column, and
        key / value sheets listing their keys with a note on each.
    """
    from openpyxl import Workbook

    wb = Workbook()
    readme = wb.active
    readme.title = README_SHEET
    _readme(readme)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.shape == "keyvalue":
            for col, text in enumerate(("key", "value", NOTES_COLUMN), start=1):
                _header_cell(ws, col, text, sheet)
            for n, column in enumerate(sheet.columns, start=2):
                _write(ws, n, 1, column.name)
                _write(ws, n, 3, column.help)
            ws.column_dimensions["A"].width = 34
            ws.column_dimensions["B"].width = 40
            ws.column_dimensions["C"].width = 80
        else:
            for col, column in enumerate(sheet.columns, start=1):
                _header_cell(ws, col, column.name, sheet)
        ws.freeze_panes = "A2"
    return wb


def fill_template(wb: Workbook, scenario: Scenario) -> Workbook:
    """Fill a template workbook (from :func:`template_workbook`) with a scenario's values.

    Key / value sheets get their values beside the keys already listed (new
    keys are added below); table sheets get one row per entry, after their
    header row, in the columns the header names (the staff sheet gains one
    column per competency that has a sign-off rule or a sign-off). Rows
    already below a header are replaced. Text is stored as text, never as a
    formula. Reading the filled workbook back with
    :func:`~optimiser.scenario.load_scenario` gives an equal scenario.

    Parameters
    ----------
    wb
        A template workbook; sheets it lacks are added.
    scenario
        A loaded scenario.

    Returns
    -------
    openpyxl.Workbook
        ``wb``, filled.
    """
    for sheet in SHEETS:
        if sheet.name in wb.sheetnames:
            ws = wb[sheet.name]
        else:
            ws = wb.create_sheet(sheet.name)
            if sheet.shape == "keyvalue":
                for col, text in enumerate(("key", "value", NOTES_COLUMN), start=1):
                    _header_cell(ws, col, text, sheet)
        if sheet.shape == "keyvalue":
            rows = {
                str(ws.cell(row=r, column=1).value).strip(): r
                for r in range(2, ws.max_row + 1)
                if ws.cell(row=r, column=1).value is not None
            }
            for r in rows.values():
                ws.cell(row=r, column=2).value = None
            for key, value in _pairs_of(sheet, scenario):
                if value is None:
                    continue
                if key not in rows:
                    rows[key] = max([1, ws.max_row]) + 1
                    _write(ws, rows[key], 1, key)
                _write(ws, rows[key], 2, value)
            continue
        headers = {
            str(ws.cell(row=1, column=c).value).strip().lower().replace(" ", "_"): c
            for c in range(1, ws.max_column + 1)
            if ws.cell(row=1, column=c).value is not None
        }
        wanted = [c.name for c in sheet.columns]
        if sheet.name == "staff":
            members = scenario.staff or []
            wanted += [
                c
                for c, comp in scenario.competencies.items()
                if comp.signoff_valid_months is not None or any(c in m.signoffs for m in members)
            ]
        for name in wanted:
            if name not in headers:
                headers[name] = max([0, *headers.values()]) + 1
                _header_cell(ws, headers[name], name, sheet)
        if ws.max_row > 1:
            ws.delete_rows(2, ws.max_row - 1)
        for r, row in enumerate(_rows_of(sheet, scenario), start=2):
            for name, value in row.items():
                if value is not None:
                    _write(ws, r, headers[name], value)
    return wb


def scenario_workbook(scenario: Scenario | None = None) -> Workbook:
    """The template, blank or filled with ``scenario`` (see :func:`fill_template`)."""
    wb = template_workbook()
    return wb if scenario is None else fill_template(wb, scenario)


def write_scenario_workbook(path: str | Path, scenario: Scenario | None = None) -> Path:
    """Write :func:`scenario_workbook` to ``path`` (atomically) and return the path."""

    buffer = io.BytesIO()
    scenario_workbook(scenario).save(buffer)
    return write_bytes(Path(path), buffer.getvalue())
