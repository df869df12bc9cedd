"""The report as an Excel workbook: one sheet per table (openpyxl).

A ``summary`` sheet comes first (headline figures, section texts and the
list of sheets), then every table of the report, then the data of each
chart. Text that a spreadsheet would run as a formula (``= + - @``) is
neutralised as in the CSV files (a leading apostrophe, see
:func:`optimiser.output.safe_cell`) and stored as a text cell, so it is
never evaluated.
"""

from __future__ import annotations

import io
import re
from typing import Any

from optimiser.output import safe_cell
from optimiser.report.charts import CONSEQUENCE, LIKELIHOOD
from optimiser.report.model import Chart, Column, Facts, Report, Table

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


#: the most characters Excel holds in a cell (it "repairs" a workbook with more)
MAX_CELL_CHARS = 32_767


def xlsx_value(value: Any) -> Any:
    """A value as written to a cell: formula-like text neutralised, control characters
    removed, at most :data:`MAX_CELL_CHARS` long."""
    if isinstance(value, str):
        text = safe_cell(_ILLEGAL.sub("\ufffd", value))
        # Excel counts UTF-16 units (a character beyond the BMP, an emoji, is two);
        # a pair cut in half is dropped
        units = text.encode("utf-16-le")[: 2 * MAX_CELL_CHARS]
        return units.decode("utf-16-le", errors="ignore")
    return value


def _sheet_name(wanted: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("-", wanted)[:31] or "sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"-{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _write(ws: Any, row: int, col: int, value: Any, kind: str = "text") -> Any:
    cell = ws.cell(row=row, column=col)
    value = xlsx_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text, never a formula
    elif kind == "money":
        cell.number_format = "£#,##0"
    elif kind == "pct":
        cell.number_format = "0%"
    elif kind == "hours":
        cell.number_format = "0.00"
    return cell


def _rows_sheet(
    wb: Any, name: str, title: str, columns: list[Column], rows: list[dict], note: str
) -> None:
    from openpyxl.styles import Font, PatternFill

    ws = wb.create_sheet(name)
    _write(ws, 1, 1, title).font = Font(bold=True, size=12)
    start = 2
    if note:
        _write(ws, 2, 1, note).font = Font(italic=True, color="5B6B7B")
        start = 3
    header = start + 1
    for j, column in enumerate(columns, start=1):
        cell = _write(ws, header, j, column.label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        width = max([len(column.label)] + [len(str(r.get(column.key) or "")) for r in rows])
        ws.column_dimensions[cell.column_letter].width = max(10, min(60, width + 2))
    for i, row in enumerate(rows, start=header + 1):
        for j, column in enumerate(columns, start=1):
            value = row.get(column.key)
            if column.kind == "bool" and value is not None:
                value = "yes" if value else "no"
            _write(ws, i, j, value, column.kind)
    ws.freeze_panes = ws.cell(row=header + 1, column=1)


def _chart_rows(chart: Chart) -> tuple[list[Column], list[dict[str, Any]]]:
    d = chart.data
    if chart.kind == "risk_matrix":
        cols = [Column("consequence", "Consequence \\ likelihood")] + [
            Column(f"l{i}", f"{i} {LIKELIHOOD[i - 1]}") for i in range(1, 6)
        ]
        rows = [
            {"consequence": f"{c} {CONSEQUENCE[c - 1]}"}
            | {f"l{lk}": ", ".join(d["cells"].get(f"{lk},{c}", [])) for lk in range(1, 6)}
            for c in range(5, 0, -1)
        ]
        return cols, rows
    if chart.kind in ("heatmap", "status_grid"):
        cols = [Column("row", "")] + [Column(f"c{j}", c) for j, c in enumerate(d["columns"])]
        cells = d["labels"] if chart.kind == "heatmap" else d["values"]
        rows = [
            {"row": r} | {f"c{j}": v for j, v in enumerate(values)}
            for r, values in zip(d["rows"], cells, strict=True)
        ]
        return cols, rows
    cols = [Column("bar", "")] + [Column(f"s{j}", s, "number") for j, s in enumerate(d["series"])]
    if d.get("markers") is not None:
        cols.append(Column("marker", str(d.get("marker_label", "")), "number"))
    rows = []
    for i, label in enumerate(d["bars"]):
        row: dict[str, Any] = {"bar": label} | {f"s{j}": v for j, v in enumerate(d["values"][i])}
        if d.get("markers") is not None:
            row["marker"] = d["markers"][i]
        rows.append(row)
    return cols, rows


def render_xlsx(report: Report) -> bytes:
    """The report as ``.xlsx`` bytes: a summary sheet, then one sheet per table and chart."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = "summary"
    taken = {"summary"}
    line = 1
    _write(summary, line, 1, report.title).font = Font(bold=True, size=14)
    line += 1
    _write(summary, line, 1, report.subtitle)
    line += 2
    sheets: list[tuple[str, str]] = []
    pending: list[tuple[str, Table | Chart]] = []
    for section in report.sections:
        _write(summary, line, 1, section.title).font = Font(bold=True, size=12)
        line += 1
        for text in [*section.paragraphs, *(f"• {b}" for b in section.bullets)]:
            _write(summary, line, 1, text)
            line += 1
        for item in section.items:
            if isinstance(item, Facts):
                for k, v in item.items:
                    _write(summary, line, 1, k)
                    _write(summary, line, 2, v)
                    line += 1
            else:
                name = _sheet_name(item.id, taken)
                sheets.append((name, item.title))
                pending.append((name, item))
        line += 1
    _write(summary, line, 1, "Sheets").font = Font(bold=True, size=12)
    line += 1
    for name, title in sheets:
        _write(summary, line, 1, name)
        _write(summary, line, 2, title)
        line += 1
    summary.column_dimensions["A"].width = 60
    summary.column_dimensions["B"].width = 60
    for name, item in pending:
        if isinstance(item, Table):
            _rows_sheet(wb, name, item.title, item.columns, item.rows, item.note)
        else:
            cols, rows = _chart_rows(item)
            _rows_sheet(wb, name, item.title, cols, rows, item.note)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
