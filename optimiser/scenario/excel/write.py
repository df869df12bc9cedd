"""Writing the template, blank or filled with a scenario (the round trip of
:mod:`optimiser.scenario.excel.read`)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimiser.io import write_bytes

if TYPE_CHECKING:
    from openpyxl import Workbook

    from optimiser.scenario.models import Scenario

from optimiser.scenario.excel.read import _letter
from optimiser.scenario.excel.sheets import NOTES_COLUMN, README_SHEET, ROOT_SECTIONS, SHEETS, Sheet

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
                k: getattr(scenario, k) for k in ROOT_SECTIONS if getattr(scenario, k) is not None
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


def write_scenario_workbook(
    path: str | Path, scenario: Scenario | None = None, inputs: Iterable[str | Path] = ()
) -> Path:
    """Write :func:`scenario_workbook` to ``path`` (atomically) and return the path."""

    buffer = io.BytesIO()
    scenario_workbook(scenario).save(buffer)
    return write_bytes(Path(path), buffer.getvalue(), inputs)
