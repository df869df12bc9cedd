"""The workbook layout: one sheet per section of the scenario format, every
column's kind and help taken from the pydantic models
(:mod:`optimiser.scenario.models`; a field's docstring is its help)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

import optimiser.scenario.models as models

if TYPE_CHECKING:

    pass

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


def _help(model: type[BaseModel], name: str) -> str:
    """A field's docstring in :mod:`optimiser.scenario.models`, on one line."""
    return " ".join(models.field_doc(model, name).split())


def _kind(annotation: Any) -> Kind:
    """The cell kind of a field's type (``X | None`` and ``Annotated`` unwrapped)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _kind(args[0]) if len(args) == 1 else "any"
    if get_origin(annotation) is list:
        return "list"
    return {str: "text", bool: "bool", int: "int", float: "number", date: "date"}.get(
        annotation, "any"
    )


def _nested(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``Model | None`` field, else ``None``."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def fields_of(
    model: type[BaseModel],
    *,
    skip: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
    nested: dict[str, Callable[[str], str]] | None = None,
) -> tuple[Column, ...]:
    """Columns of a model's fields, in field order, kind and help from the model.

    ``nested`` expands a sub-model field in place: its fields become columns
    named by the given function (their values go under the field: ``target``).
    """
    out: list[Column] = []
    for name, field_info in model.model_fields.items():
        if name in skip or (only is not None and name not in only):
            continue
        sub = _nested(field_info.annotation)
        if nested and name in nested and sub is not None:
            rename = nested[name]
            for column in fields_of(sub):
                label = rename(column.name)
                # a dotted key is split by the key / value reader itself
                target = () if label == f"{name}.{column.name}" else (name, column.name)
                out.append(Column(label, column.kind, column.help, target))
            continue
        kind = _kind(field_info.annotation)
        words = _help(model, name) + (" Comma-separated." if kind == "list" else "")
        out.append(Column(name, kind, words))
    return tuple(out)


def _dotted(prefix: str) -> Callable[[str], str]:
    """Key / value sheets: a sub-model's keys are dotted (``duty.competence``)."""
    return lambda name: f"{prefix}.{name}"


def _supervision_column(name: str) -> str:
    return {"needs_hours_per_week": "supervision_needs_hours_per_week",
            "source": "supervision_source"}.get(name, name)  # fmt: skip


#: the sheets: layout here, every column's kind and help from the pydantic models
#: (:mod:`optimiser.scenario.models`), except the key columns and the headroom
#: components, which are data rather than fields
SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "scenario",
        "",
        "keyvalue",
        "The scenario's name and the date the plan is for.",
        fields_of(models.Scenario, only=("name", "plan_date", "hours_per_fte", "source")),
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
            *fields_of(models.Headroom),
        ),
    ),
    Sheet(
        "competencies",
        "competencies",
        "map",
        "What a task can require. One row per competency.",
        (
            Column("id", "text", "Competency id, referred to by roles, tasks and staff sign-offs."),
            *fields_of(models.Competency),
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
            *fields_of(
                models.Role, skip=("headroom",), nested={"supervision": _supervision_column}
            ),
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
        (Column("role", "text", "Role id."), *fields_of(models.Post)),
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
        fields_of(models.StaffMember, skip=("signoffs",)),
        open_columns=True,
    ),
    Sheet(
        "tiers",
        "tiers",
        "map",
        "Risk stratification. One row per tier.",
        (Column("id", "text", "Tier id, e.g. red."), *fields_of(models.Tier)),
        key="id",
        open_columns=True,
    ),
    Sheet(
        "cohort",
        "cohort",
        "list",
        "The people on the caseload: one row per tier and pathway stage.",
        fields_of(models.Segment),
        open_columns=True,
    ),
    Sheet(
        "tasks",
        "tasks",
        "map",
        "The task analysis: one row per recurring task. How often each tier needs it is "
        "on the frequency sheet.",
        (Column("id", "text", "Task id."), *fields_of(models.Task, skip=("frequency",))),
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
            *fields_of(models.Frequency),
        ),
    ),
    Sheet(
        "policies",
        "policies",
        "keyvalue",
        "Team-wide rules: duty cover, registered care coordination, red-flag thresholds.",
        fields_of(
            models.Policies,
            nested={"duty": _dotted("duty"), "red_flags": _dotted("red_flags")},
        ),
    ),
    Sheet(
        "volatility",
        "volatility",
        "keyvalue",
        "Optional, for simulate: how demand varies. Step-up / step-down on the transitions sheet.",
        fields_of(models.Volatility, skip=("transitions",)),
    ),
    Sheet(
        "transitions",
        "volatility",
        "transitions",
        "Optional, for simulate: probability per quarter that a person moves between tiers.",
        (
            Column("from_tier", "text", "Tier id people move from."),
            Column("to_tier", "text", "Tier id they move to."),
            Column("probability", "number", _help(models.Volatility, "transitions")),
        ),
    ),
    Sheet(
        "sizing",
        "sizing",
        "keyvalue",
        "Optional, for size: step and budget. Per-role bounds on the sizing_bounds sheet.",
        fields_of(models.Sizing, skip=("min_fte", "max_fte")),
    ),
    Sheet(
        "sizing_bounds",
        "sizing",
        "sizing_bounds",
        "Optional, for size: the least and most FTE of each role.",
        (
            Column("role", "text", "Role id."),
            Column("min_fte", "number", _help(models.Sizing, "min_fte")),
            Column("max_fte", "number", _help(models.Sizing, "max_fte")),
        ),
    ),
)

SHEET_BY_NAME = {s.name: s for s in SHEETS}
ROOT_SECTIONS = ("name", "plan_date", "hours_per_fte", "source")
