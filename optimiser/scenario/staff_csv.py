"""Staff mode from a CSV file: ``id,role,fte[,locality]`` plus one column per competency.

A competency column holds the date of that person's local sign-off
(``YYYY-MM-DD``) or is blank. Each value keeps the CSV file, row line and
column so validation errors point at the cell.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Loc, LocTree, Problem
from .reading import MAX_NODES, decimal_number, read_text

REQUIRED_COLUMNS = ("id", "role", "fte")
OPTIONAL_COLUMNS = ("locality", "source")


@dataclass
class StaffCsv:
    """The staff rows read from a CSV file, with their locations."""

    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    tree: LocTree | None = None
    competency_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _number_or_text(text: str) -> float | str:
    number = decimal_number(text)
    return text if number is None else number


def read_staff_csv(path: Path, display: str) -> StaffCsv:
    """Read staff from a CSV file.

    Parameters
    ----------
    path
        The CSV file.
    display
        How the file is named in problems.

    Returns
    -------
    StaffCsv
        Rows shaped like the YAML ``staff`` list (``fte`` as a number when it
        parses as one, sign-offs under ``signoffs``), their locations, the
        competency column names, and the problems found. ``tree`` is ``None``
        when the file could not be used at all.
    """
    out = StaffCsv(display)
    text, problems = read_text(path, display)
    if text is None:
        out.problems = problems
        return out
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            out.problems.append(
                Problem(
                    display, "", None, "CSV file is empty; expected a header row id,role,fte,..."
                )
            )
            return out
        header = [name.strip() for name in header]
        header_problems = _check_header(header, display)
        if header_problems:
            out.problems.extend(header_problems)
            return out
        out.competency_columns = [
            name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
        ]
        out.tree = LocTree(Loc(display, 1))
        previous_end = reader.line_num
        for row in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                message = f"row has {len(row)} fields but the header has {len(header)}"
                out.problems.append(Problem(display, "", line, message))
                continue
            if (len(out.rows) + 1) * len(header) > MAX_NODES:
                message = f"more than {MAX_NODES:,} cells; refusing to read further"
                out.problems.append(Problem(display, "", line, message))
                out.tree = None
                return out
            record, row_tree = _row(header, row, display, line)
            out.tree.children[len(out.rows)] = row_tree
            out.rows.append(record)
    except csv.Error as exc:
        out.problems.append(Problem(display, "", reader.line_num, f"invalid CSV: {exc}"))
        out.tree = None
    return out


def _check_header(header: list[str], display: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(display, "", 1, f"column {number} has no name"))
        elif name in seen:
            problems.append(Problem(display, "", 1, f"column '{name}' appears twice"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            message = f"missing column '{name}' (required: {', '.join(REQUIRED_COLUMNS)})"
            problems.append(Problem(display, "", 1, message))
    return problems


def _row(
    header: list[str], row: list[str], display: str, line: int
) -> tuple[dict[str, Any], LocTree]:
    record: dict[str, Any] = {}
    tree = LocTree(Loc(display, line))
    signoffs: dict[str, str] = {}
    signoff_tree = LocTree(Loc(display, line))
    for name, raw in zip(header, row, strict=True):
        cell = raw.strip()
        loc = LocTree(Loc(display, line, column=name))
        if name in REQUIRED_COLUMNS:
            record[name] = _number_or_text(cell) if name == "fte" else cell
            tree.children[name] = loc
        elif name in OPTIONAL_COLUMNS:
            if cell:
                record[name] = cell
                tree.children[name] = loc
        elif cell:
            signoffs[name] = cell
            signoff_tree.children[name] = loc
    record["signoffs"] = signoffs
    tree.children["signoffs"] = signoff_tree
    return record, tree
