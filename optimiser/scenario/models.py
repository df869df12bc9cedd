"""Pydantic models of the scenario file format (docs: SCENARIO.md).

Field names are exactly the keys of the file format. Every model forbids
unknown keys and validates strictly (no ``"3"`` for 3, no ``true`` for 1.0),
so a typo or a wrong type is an error that points at its key, never a silent
default. Checks that need more than one field (references between sections,
sums of shares) live in :mod:`optimiser.scenario.checks`.
"""

from __future__ import annotations

import ast
import calendar
import functools
import inspect
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from .problems import Key, Problem, format_path

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _why_not_a_date(text: str) -> str:
    """Our own words for an impossible ``YYYY-MM-DD`` (not the runtime's)."""
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return f"month {month} is not 1..12"
    if year < 1:
        return "year 0000 does not exist"
    days = calendar.monthrange(year, month)[1]
    return f"day {day} is not 1..{days} for {calendar.month_name[month]} {year}"


def _iso_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                why = _why_not_a_date(text)
                raise ValueError(f"{value!r} is not a real date ({why})") from None
    raise ValueError(f"must be a date YYYY-MM-DD (got {value!r})")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A calendar date, given as a YAML date or an ISO ``YYYY-MM-DD`` string."""

Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Score = Annotated[int, Field(ge=1, le=5)]
Target = Annotated[float, Field(gt=0, le=1)]
"""A utilisation target: the share of available hours a plan may fill, in (0, 1]."""

# Upper limits far beyond any real team or trust, so that a typo (an extra
# "e9") is reported at its key instead of overflowing the solver's arithmetic:
# with these, no demand or capacity term exceeds about 1e13, well inside the
# solvers' finite range (HiGHS reads 1e20 as infinity). docs/format.md lists them.
MAX_FTE = 100_000.0
MAX_PEOPLE = 10_000_000
MAX_HOURS = 1_000.0
MAX_MONEY = 1e9
MAX_POINTS = 1_000_000.0
Fte = Annotated[float, Field(ge=0, le=MAX_FTE)]
Hours = Annotated[float, Field(gt=0, le=MAX_HOURS)]
WeekHours = Annotated[float, Field(ge=0, le=168)]
def _not_too_often(weeks: float) -> float:
    if weeks < 0.001:  # more than 1,000 times a week: a typo, and beyond the solver's range
        raise ValueError(f"must be at least 0.001 (got {weeks:g})")
    return weeks


EveryWeeks = Annotated[float, Field(gt=0, le=100_000), AfterValidator(_not_too_often)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY)]
Points = Annotated[float, Field(ge=0, le=MAX_POINTS)]


class _Model(BaseModel):
    # a field's docstring is the Excel template's column help (field_doc below;
    # optimiser/scenario/excel/sheets.py derives its sheets from these models)
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Headroom(BaseModel):
    """Unavailable shares of contracted time, by component, plus a ``source`` note.

    Any key other than ``source`` is a component name (``annual_leave``,
    ``sickness``, …) whose value is a share in [0, 1].
    """

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, Share] = Field(init=False)

    source: str | None = None
    """Provenance of the headroom shares."""

    @property
    def shares(self) -> dict[str, float]:
        """The components and their shares, in file order."""
        return dict(self.model_extra or {})

    @property
    def total(self) -> float:
        """Sum of the component shares."""
        return float(sum(self.shares.values()))


class Competency(_Model):
    """Something a task can require; ``title`` defaults to the competency id."""

    title: str = ""
    """Plain-English name (default: the id)."""
    signoff_valid_months: Annotated[int, Field(gt=0)] | None = None
    """Staff mode: months a local sign-off stays valid; none = no sign-off needed."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Supervision(_Model):
    """Supervision a person of a role needs and can give (constraint C5)."""

    needs_hours_per_week: WeekHours = 0.0
    """Supervision each person of the role needs a week (hours)."""
    supervised_by: list[str] = []
    """Role ids that may supervise this role."""
    max_supervisees: Annotated[int, Field(ge=0, le=MAX_PEOPLE)] = 0
    """Supervisees per person of this role (0 = does not supervise)."""
    source: str | None = None
    """Provenance of the supervision figures."""


class Role(_Model):
    """A kind of post; ``title`` defaults to the role id."""

    title: str = ""
    """e.g. Community mental health nurse (Band 6) (default: the id)."""
    registered: bool = False
    """True if the role holds professional registration."""
    annual_cost: Money = 0.0
    """Cost of 1.0 FTE a year in GBP, on-costs included."""
    headroom: Headroom | None = None
    """The role's own headroom shares, overriding the top level component by component."""
    competencies: list[str] = []
    """Scope of practice: competency ids."""
    caseload_capacity: Points = 0.0
    """Weighted caseload points 1.0 FTE can care-coordinate (0 = none)."""
    protected_continuity_share: Share = 0.0
    """Share of available time protected for continuity work (0 to 1)."""
    utilisation_target: Target | None = None
    """Optional: share of available hours the plan may fill for this role (above 0, at most 1);
    overrides the policy.
    """
    supervision: Supervision | None = None
    """Supervision a person of the role needs and can give."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Post(_Model):
    """FTE-mode establishment of one role.

    ``headcount`` defaults to ``ceil(fte)`` and is always an ``int`` after
    validation. A bare number (``nurse: 4.0``) means ``{fte: 4.0}``.
    """

    fte: Fte
    """Full-time equivalents of the role."""
    headcount: Annotated[int, Field(ge=0, le=MAX_PEOPLE)] = 0
    """Persons sharing that FTE (default: FTE rounded up)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand_and_default_headcount(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            data = {"fte": data}
        if isinstance(data, dict) and "headcount" not in data:
            fte = data.get("fte")
            if (
                isinstance(fte, int | float)
                and not isinstance(fte, bool)
                and math.isfinite(fte)
                and fte >= 0
            ):
                data = {**data, "headcount": math.ceil(fte)}
        return data


class StaffMember(_Model):
    """Staff-mode named (pseudonymised) person."""

    id: Annotated[str, Field(min_length=1)]
    """Pseudonymised person id."""
    role: str
    """Role id."""
    fte: Annotated[float, Field(gt=0, le=1.5)]
    """The person's FTE, above 0 and at most 1.5."""
    signoffs: dict[str, IsoDate] = {}
    """Local sign-off date by competency id."""
    locality: str | None = None
    """Locality (optional), for caseload matching."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Tier(_Model):
    """A risk-stratification tier; ``title`` defaults to the tier id."""

    title: str = ""
    """e.g. High risk - volatile (default: the id)."""
    severity: Score
    """Consequence (1 to 5) of care failing for someone in the tier."""
    caseload_weight: Annotated[float, Field(gt=0, le=MAX_POINTS)]
    """Caseload points one person of the tier counts for."""
    coordination: bool = True
    """True (default) if people in the tier need a named care coordinator; false for people seen
    for a course of treatment.
    """
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


def _stage_name(stage: str) -> str:
    if not stage.strip():
        raise ValueError("must not be empty (leave the key out for 'all')")
    if "/" in stage:
        raise ValueError(f"must not contain '/' (segment ids are tier/stage; got {stage!r})")
    return stage


class Segment(_Model):
    """People on the caseload in one tier and pathway stage."""

    tier: str
    """Tier id."""
    stage: Annotated[str, AfterValidator(_stage_name)] = "all"
    """Pathway stage, e.g. crisis (default: all)."""
    people: Annotated[int, Field(ge=0, le=MAX_PEOPLE)]
    """People in the segment."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""

    @property
    def id(self) -> str:
        """The segment id, ``"<tier>/<stage>"``."""
        return f"{self.tier}/{self.stage}"


class Frequency(_Model):
    """How often a task recurs: exactly one of ``per_week`` or ``every_weeks``."""

    per_week: Hours | None = None
    """Occurrences a week per person."""
    every_weeks: EveryWeeks | None = None
    """Or: once every this many weeks."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Frequency:
        if (self.per_week is None) == (self.every_weeks is None):
            raise ValueError("give exactly one of per_week or every_weeks")
        return self

    @property
    def rate(self) -> float:
        """Occurrences per week (``1 / every_weeks`` when given so)."""
        if self.per_week is not None:
            return self.per_week
        assert self.every_weeks is not None  # guaranteed by validation
        return 1.0 / self.every_weeks


class Task(_Model):
    """A recurring task of the task analysis; ``title`` defaults to the task id."""

    title: str = ""
    """Plain-English name (default: the id)."""
    competence: str
    """Competency id needed to do the task."""
    hours: Hours
    """Hours per occurrence, including travel and recording."""
    frequency: dict[str, Frequency]
    """How often, by tier id; a tier not listed does not need the task."""
    stages: list[str] | None = None
    """Only these pathway stages; none = all."""
    registered_for: list[str] = []
    """Tier ids in which only a registered role may do the task."""
    continuity: bool = False
    """True if it is planned continuity work."""
    signoff_share: Annotated[float, Field(ge=0, le=100)] = 0.0
    """Share of delegated hours a registered role spends on clinical sign-off."""
    criticality: Score = 3
    """Consequence (1 to 5) of the task not being done (default 3)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Duty(_Model):
    """Duty clinician cover (constraint C8)."""

    hours_per_week: Annotated[float, Field(ge=0, le=MAX_FTE * 168)]
    """Duty clinician cover needed a week (hours)."""
    competence: str
    """Competency id the duty clinician needs."""
    registered: bool = True
    """Duty clinician must be registered (true)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class RedFlags(_Model):
    """Thresholds that turn a workforce risk into a red flag."""

    registered_only_hours: Annotated[float, Field(ge=0, le=MAX_FTE * 168)] = 8.0
    """Red flag: shortfall of registered-only work above this many hours a week (default 8)."""
    registered_only_share: Share = 0.25
    """Red flag: or above this share of its demand (default 0.25)."""
    min_score: Annotated[int, Field(ge=1, le=25)] | None = None
    """Red flag: any risk scoring at least this (optional)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Policies(_Model):
    """Team-wide rules."""

    duty: Duty | None = None
    """Duty clinician cover (C8)."""
    coordination_registered_for: list[str] = []
    """Tier ids whose people need a registered care coordinator."""
    red_flags: RedFlags | None = None
    """Thresholds that turn a risk into a red flag."""
    utilisation_target: Target = 1.0
    """Share of each role's available hours the plan may fill (default 1; about 0.8 in demand-and-
    capacity practice).
    """
    registered_share_min: Share | None = None
    """Optional: least share of the team's FTE that is registered (0 to 1)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Volatility(_Model):
    """How demand varies, for ``simulate``."""

    people_cv: Annotated[float, Field(ge=0, le=100)] = 0.0
    """Coefficient of variation of each segment's size."""
    transitions: dict[str, dict[str, Share]] = {}
    """Probability per quarter that a person moves from one tier to another."""
    seed: int = 0
    """Random seed."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Sizing(_Model):
    """Bounds for ``size``."""

    fte_step: Annotated[float, Field(gt=0, le=MAX_FTE)] = 0.1
    """FTE step of the sizing (default 0.1)."""
    min_fte: dict[str, Fte] = {}
    """Least FTE of the role."""
    max_fte: dict[str, Fte] = {}
    """Most FTE of the role."""
    budget: Annotated[float, Field(ge=0, le=MAX_MONEY * 1000)] | None = None
    """Annual budget in GBP (optional)."""
    source: str | None = None
    """Provenance note, listed in the report's assumptions register."""


class Scenario(_Model):
    """A whole scenario, as described in SCENARIO.md.

    Built by :func:`optimiser.scenario.load_scenario`, which also sets
    :attr:`file` and :attr:`warnings` and checks references between sections.
    """

    name: str
    """Human title of the scenario (required)."""
    plan_date: IsoDate
    """Date the plan is for, YYYY-MM-DD (required)."""
    hours_per_fte: Annotated[float, Field(gt=0, le=168)] = 37.5
    """Contracted hours a week of 1.0 FTE (default 37.5)."""
    headroom: Headroom = Field(default_factory=Headroom)
    """Unavailable shares of contracted time, by component."""
    competencies: dict[str, Competency]
    """What a task can require, by id."""
    roles: dict[str, Role]
    """The kinds of post, by id."""
    establishment: dict[str, Post] | None = None
    """FTE mode: how much of each role the team has."""
    staff: list[StaffMember] | None = None
    """Staff mode: named (pseudonymised) people."""
    tiers: dict[str, Tier]
    """Risk stratification, by id."""
    cohort: list[Segment]
    """The people on the caseload: one segment per tier and pathway stage."""
    tasks: dict[str, Task]
    """The task analysis: the recurring tasks, by id."""
    policies: Policies = Field(default_factory=Policies)
    """Team-wide rules."""
    volatility: Volatility | None = None
    """Optional, for simulate: how demand varies."""
    sizing: Sizing | None = None
    """Optional, for size: FTE step, budget and per-role bounds."""
    source: str | None = None
    """Where the scenario comes from: provenance note, listed in the report's assumptions register.
    """

    _file: Path = PrivateAttr(default_factory=lambda: Path("<scenario>"))
    _warnings: list[Problem] = PrivateAttr(default_factory=list)
    _sources: list[tuple[str, str]] | None = PrivateAttr(default=None)
    _inputs: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _default_titles(self) -> Scenario:
        sections: list[dict[str, Any]] = [self.competencies, self.roles, self.tiers, self.tasks]
        for section in sections:
            for key, item in section.items():
                if not item.title:
                    item.title = key
        return self

    @property
    def file(self) -> Path:
        """The top scenario file (``<scenario>`` when not loaded from a file)."""
        return self._file

    @property
    def inputs(self) -> tuple[Path, ...]:
        """Every file the scenario was read from: itself, the files it extends and
        its staff CSV (none when not loaded from a file)."""
        return self._inputs

    @property
    def warnings(self) -> list[Problem]:
        """Suspicious but legal things found while loading."""
        return self._warnings

    @property
    def mode(self) -> Literal["fte", "staff"]:
        """``"fte"`` when the team is an establishment, ``"staff"`` for named staff."""
        return "fte" if self.establishment is not None else "staff"

    def headroom_share(self, role_id: str) -> float:
        """Unavailable share of a role's contracted time.

        Parameters
        ----------
        role_id
            A key of :attr:`roles`.

        Returns
        -------
        float
            Sum of the top-level headroom shares, each overridden by the
            role's own ``headroom`` component of the same name.

        Raises
        ------
        KeyError
            If the role does not exist.
        """
        role = self.roles[role_id]
        shares = self.headroom.shares
        if role.headroom is not None:
            shares.update(role.headroom.shares)
        return float(sum(shares.values()))

    def utilisation_target(self, role_id: str) -> float:
        """The share of a role's available hours the plan may fill (C1): the
        role's own ``utilisation_target``, else the policy's (default 1)."""
        own = self.roles[role_id].utilisation_target
        return own if own is not None else self.policies.utilisation_target

    def available_hours(self, role_id: str, fte: float) -> float:
        """Hours per week that ``fte`` of a role is available for work.

        Parameters
        ----------
        role_id
            A key of :attr:`roles`.
        fte
            Full-time equivalents.

        Returns
        -------
        float
            ``fte * hours_per_fte * (1 - headroom_share(role_id))``.
        """
        return fte * self.hours_per_fte * (1.0 - self.headroom_share(role_id))

    def sources(self) -> list[tuple[str, str]]:
        """Every ``source`` note, for an assumptions register.

        Returns
        -------
        list of (str, str)
            ``(key path, text)`` pairs, e.g. ``("roles.nurse.source", "…")``,
            in file order (field order when not loaded from a file).
        """
        if self._sources is not None:
            return list(self._sources)
        return model_sources(self)


def model_sources(value: Any, path: tuple[Key, ...] = ()) -> list[tuple[str, str]]:
    """Collect ``source`` notes from validated models, in field order.

    Parameters
    ----------
    value
        A model, dict, list or scalar.
    path
        Key path of ``value``.

    Returns
    -------
    list of (str, str)
        ``(key path, text)`` pairs.
    """
    out: list[tuple[str, str]] = []
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            if name == "source":
                if isinstance(child, str):
                    out.append((format_path((*path, name)), child))
            else:
                out.extend(model_sources(child, (*path, name)))
    elif isinstance(value, dict):
        for key, child in value.items():
            out.extend(model_sources(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(model_sources(child, (*path, index)))
    return out


def field_doc(model: type[BaseModel], name: str) -> str:
    """The docstring of field ``name`` of ``model`` (or of the model of this module it
    inherits the field from); ``""`` if it has none.

    Read from this module's source, parsed once (about 4 ms, when the Excel
    template's layout is built: its column help), and ``""`` for every field when
    the source is not installed.  Pydantic's ``use_attribute_docstrings`` would do
    the same, but parses the module once per model, 35 ms of every command's start.
    """
    docs = _attribute_docs()
    for cls in model.__mro__:
        if cls.__module__ == __name__ and name in docs.get(cls.__qualname__, {}):
            return docs[cls.__qualname__][name]
    return ""


@functools.cache
def _attribute_docs() -> dict[str, dict[str, str]]:
    """Class name -> field -> the string literal right after the field's annotation."""
    out: dict[str, dict[str, str]] = {}
    try:
        tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    except OSError:  # (an install without sources: no help, as pydantic gave none)
        return out
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = out.setdefault(node.name, {})
        for field, doc in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return out
