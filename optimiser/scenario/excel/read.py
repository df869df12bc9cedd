"""Reading a workbook into the raw mapping a YAML scenario gives, with the
sheet, row and column of every cell (problems name them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimiser.scenario.problems import Key, Loc, LocTree, Problem, format_path
from optimiser.scenario.reading import MAX_FILE_BYTES, MAX_NODES, unreadable

if TYPE_CHECKING:

    pass

from optimiser.scenario.excel.sheets import (
    NOTES_COLUMN,
    README_SHEET,
    SHEET_BY_NAME,
    SHEETS,
    Kind,
    Sheet,
)

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
        if (why := unreadable(path, MAX_FILE_BYTES)) is not None:
            return fail(why)
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
