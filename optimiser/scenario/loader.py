"""``load_scenario``: file(s) → validated :class:`Scenario`, or every problem found.

Steps: read the file and what it ``extends`` (with the line of every key),
read a CSV ``staff`` file, validate with pydantic (every error mapped to a key
path and a line), then check references between sections.
"""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .checks import check_mode, check_scenario
from .excel import read_workbook
from .merging import read_with_extends
from .models import Scenario, model_sources
from .problems import Key, Loc, LocTree, Problem, ScenarioError, format_path
from .staff_csv import read_staff_csv

_SUGGEST_CUTOFF = 0.6


def load_scenario(path: str | Path) -> Scenario:
    """Load, validate and cross-check a scenario file.

    Parameters
    ----------
    path
        A ``.yaml`` / ``.yml`` or ``.json`` scenario file. ``extends`` and a
        CSV ``staff`` path are resolved relative to the file that names them.
        An ``.xlsx`` workbook (see :mod:`optimiser.scenario.excel`) is read into the
        same mapping and validated the same way.

    Returns
    -------
    Scenario
        The validated scenario, with :attr:`Scenario.file`,
        :attr:`Scenario.warnings` and :meth:`Scenario.sources` filled in.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file, the key path and
        (for YAML and CSV) the line.
    """
    display = str(path)
    file = Path(path)
    read = [file]  # every file the scenario comes from
    if file.suffix.lower() == ".xlsx":
        # An Excel workbook: the same raw mapping, then the same validation below;
        # its locations name sheet, row and column.
        data, tree, problems = read_workbook(file, display)
    else:
        read = []
        data, tree, problems = read_with_extends(file, display, read=read)
    if tree is None:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {_show(data)}"
        message = f"a scenario must be a mapping of keys (name, plan_date, roles, ...), got {kind}"
        problems.append(Problem(tree.loc.file, "", tree.loc.line, message))
        raise ScenarioError(problems)

    csv_columns: tuple[LocTree, list[str]] | None = None
    if isinstance(data.get("staff"), str):
        data, tree, csv_columns = _with_csv_staff(data, tree, problems, read)

    problems.extend(check_mode(data, tree))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        found = [_problem_from_error(error, tree) for error in exc.errors()]
        raise ScenarioError(problems + _by_file_and_line(found)) from None

    errors, warnings = check_scenario(
        scenario, tree, headroom_given="headroom" in data, csv_columns=csv_columns
    )
    problems.extend(_by_file_and_line(errors))
    if problems:
        raise ScenarioError(problems)
    scenario._file = file
    scenario._inputs = tuple(read)
    scenario._warnings = warnings
    scenario._sources = _sources_in_file_order(scenario, data)
    return scenario


def _with_csv_staff(
    data: dict[str, Any], tree: LocTree, problems: list[Problem], read: list[Path]
) -> tuple[dict[str, Any], LocTree, tuple[LocTree, list[str]] | None]:
    """Replace a ``staff: path.csv`` entry by the rows of that file (added to
    ``read``)."""
    staff_tree = tree.children.get("staff", LocTree(tree.loc))
    csv_path = Path(staff_tree.loc.file).parent / data["staff"]
    new_tree = LocTree(tree.loc, dict(tree.children))
    if not csv_path.is_file():  # (missing, a folder, or "" naming the scenario's own)
        why = "file not found" if not csv_path.exists() else "not a regular file"
        problems.append(tree.problem(("staff",), f"cannot read '{data['staff']}': {why}"))
        new_tree.children["staff"] = LocTree(staff_tree.loc)
        return {**data, "staff": []}, new_tree, None
    read.append(csv_path)
    table = read_staff_csv(csv_path, str(csv_path))
    problems.extend(table.problems)
    if table.tree is None:
        # Unusable file (already reported): validate the rest without staff.
        new_tree.children["staff"] = LocTree(staff_tree.loc)
        return {**data, "staff": []}, new_tree, None
    new_tree.children["staff"] = LocTree(staff_tree.loc, table.tree.children)
    header = LocTree(Loc(table.file, 1))
    return {**data, "staff": table.rows}, new_tree, (header, table.competency_columns)


def _by_file_and_line(problems: list[Problem]) -> list[Problem]:
    rank: dict[str, int] = {}
    for problem in problems:
        rank.setdefault(problem.file, len(rank))
    return sorted(problems, key=lambda p: (rank[p.file], p.line or 0))


def _sources_in_file_order(scenario: Scenario, data: dict[str, Any]) -> list[tuple[str, str]]:
    notes = dict(model_sources(scenario))
    ordered: list[tuple[str, str]] = []

    def walk(value: Any, path: tuple[Key, ...]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = (*path, key)
                text = notes.pop(format_path(child_path), None) if key == "source" else None
                if text is not None:
                    ordered.append((format_path(child_path), text))
                else:
                    walk(child, child_path)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, (*path, index))

    walk(data, ())
    return ordered + list(notes.items())


# --- pydantic errors -> problems ------------------------------------------------


def _problem_from_error(error: ErrorDetails, tree: LocTree) -> Problem:
    loc: tuple[Key, ...] = tuple(error["loc"])
    return tree.problem(loc, _describe(error, loc))


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        short = f"{value:g}"  # (unless that hides the difference: 1.5000000001 > 1.5)
        return short if float(short) == value else repr(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(error: ErrorDetails, loc: tuple[Key, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = f" (got {_show(error.get('input'))})"
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "greater_than":
        return f"must be greater than {_number(ctx['gt'])}{got}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx['ge'])}{got}"
    if kind == "less_than":
        return f"must be less than {_number(ctx['lt'])}{got}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx['le'])}{got}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false{got}"
    if kind == "string_type":
        return f"must be text{got}; quote it if it looks like a number or date"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys to values{got}"
    if kind == "list_type":
        return f"must be a list{got}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"must be a date YYYY-MM-DD{got}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model_at(loc: tuple[Key, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc``, if any."""
    annotation: Any = Scenario
    for key in loc:
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(key))
            if field is None:
                return None
            annotation = field.annotation
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unknown_key(loc: tuple[Key, ...]) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    if model is None:
        return f"unknown key '{key}'"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=_SUGGEST_CUTOFF)
    if close:
        return f"unknown key '{key}' (did you mean '{close[0]}'?)"
    return f"unknown key '{key}' (allowed: {', '.join(allowed)})"
