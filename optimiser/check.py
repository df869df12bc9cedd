"""Independent checker for skillmix ``plan.json`` files (``skillmix solve --check``).

The checker re-derives every constraint of ``SCENARIO.md`` (C1-C8) from the raw
scenario mapping and the rows of a plan, with no solver code and no import
from the rest of the ``optimiser`` package (a test asserts it), in the spirit of
PyPSA rebuilding the physics from its results. A plan passes (``check_plan``
returns ``[]``) when, within the tolerances of ``PLAN.md``:

* the hard constraints (C1 capacity, C2 competence / registration /
  supervision caps, the C7 caseload caps) hold for every row, and every row
  references known tasks, segments, roles and people;
* the plan's ``demand`` rows match the re-derived demand;
* every shortfall a soft constraint (C3-C8) leaves is reported by exactly one
  risk of the right category whose ``shortfall`` matches it, and no risk of
  those categories reports a shortfall the plan does not have;
* every risk is well formed (score = consequence x likelihood, ...).

Plan hours are rounded to 0.01, so a quantity that sums ``n`` rows is compared
with tolerance ``tol + 0.005 * n``.

Public API
----------
check_plan(scenario, plan, tol) -> list[str]
check_files(scenario_path, plan_path) -> list[str]
expected_shortfalls(scenario, plan) -> dict[tuple, float]
derive_demand(scenario) -> dict[tuple[str, str], float]
load_scenario_dict(path) -> dict
"""

from __future__ import annotations

import calendar
import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

HOURS = "hours_per_week"
PEOPLE = "people"
ROUNDING = 0.005  # half of the 0.01 h rounding step of plan rows

COVERAGE_CATEGORIES = ("competence_gap", "review_frequency", "coverage_shortfall")
#: risk category -> (constraint family, unit of its shortfall)
SHORTFALL_CATEGORIES: dict[str, tuple[str, str]] = {
    "competence_gap": ("coverage", HOURS),
    "review_frequency": ("coverage", HOURS),
    "coverage_shortfall": ("coverage", HOURS),
    "clinical_oversight": ("signoff", HOURS),
    "supervision_capacity": ("supervision", PEOPLE),
    "continuity_erosion": ("continuity", HOURS),
    "caseload_over_capacity": ("coordination", PEOPLE),
    "duty_cover": ("duty", HOURS),
}
OTHER_CATEGORIES = frozenset(
    {
        "signoff_expiry",
        "single_point_of_failure",
        "infeasible_requirements",
        "skill_mix_dilution",
    }
)
KNOWN_CATEGORIES = frozenset(SHORTFALL_CATEGORIES) | OTHER_CATEGORIES
FAMILY_NAMES = {
    "coverage": "C3 coverage",
    "signoff": "C4 signoff",
    "supervision": "C5 supervision",
    "continuity": "C6 continuity",
    "coordination": "C7 coordination",
    "duty": "C8 duty",
}
STAFF_CSV_FIXED_COLUMNS = frozenset({"id", "role", "fte", "locality"})


class CheckerInputError(ValueError):
    """A scenario or plan file cannot be read (bad path, ``extends`` cycle, ...)."""


# --------------------------------------------------------------------------
# Loading: YAML/JSON, `extends`, staff CSV
# --------------------------------------------------------------------------


def merge_scenarios(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` onto ``base`` with the ``extends`` rules of SCENARIO.md.

    Maps merge key by key, recursively; lists and scalars replace; a key set
    to ``None`` deletes it.

    Parameters
    ----------
    base, override
        Raw scenario mappings (``override`` is the extending file).

    Returns
    -------
    dict
        A new mapping; the inputs are not modified.
    """
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_scenarios(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_mapping(path: Path) -> dict[str, Any]:
    """Read one YAML or JSON file that must hold a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckerInputError(f"{path}: cannot read ({exc})") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CheckerInputError(f"{path}: cannot parse ({exc})") from exc
    if not isinstance(data, dict):
        raise CheckerInputError(f"{path}: top level must be a mapping")
    return data


def _load_chain(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Load ``path`` and resolve its ``extends`` chain (cycles are an error)."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise CheckerInputError(f"extends cycle: {chain}")
    data = _read_mapping(path)
    # A staff CSV path is relative to the file that names it.
    if isinstance(data.get("staff"), str):
        data["staff"] = str((path.parent / data["staff"]).resolve())
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise CheckerInputError(f"{path}: extends must be a path")
    base = _load_chain(path.parent / parent, (*seen, path))
    return merge_scenarios(base, data)


def read_staff_csv(path: str | Path) -> list[dict[str, Any]]:
    """Read a staff CSV (``id,role,fte``, optional ``locality``, one column per
    competency holding a sign-off date or blank) into StaffMember mappings."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise CheckerInputError(f"{path}: cannot read staff CSV ({exc})") from exc
    staff: list[dict[str, Any]] = []
    for row in rows:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        try:
            fte = float(clean.get("fte", ""))
        except ValueError as exc:
            raise CheckerInputError(f"{path}: bad fte for {clean.get('id')!r}") from exc
        member: dict[str, Any] = {
            "id": clean.get("id", ""),
            "role": clean.get("role", ""),
            "fte": fte,
        }
        if clean.get("locality"):
            member["locality"] = clean["locality"]
        member["signoffs"] = {
            k: v for k, v in clean.items() if k not in STAFF_CSV_FIXED_COLUMNS and k and v
        }
        staff.append(member)
    return staff


def load_scenario_dict(path: str | Path) -> dict[str, Any]:
    """Load a scenario file into a raw mapping: ``extends`` resolved and a
    staff CSV read into a list of StaffMember mappings.

    Raises
    ------
    CheckerInputError
        On an unreadable file, a parse error or an ``extends`` cycle.
    """
    data = _load_chain(Path(path), ())
    if isinstance(data.get("staff"), str):
        data["staff"] = read_staff_csv(data["staff"])
    return data


def check_files(scenario_path: str | Path, plan_path: str | Path) -> list[str]:
    """Check a ``plan.json`` against a scenario file; see :func:`check_plan`."""
    scenario = load_scenario_dict(scenario_path)
    plan = _read_mapping(Path(plan_path))
    return check_plan(scenario, plan)


# --------------------------------------------------------------------------
# The team and the demand, re-derived from the raw scenario
# --------------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    """An ISO date string or a date (YAML parses dates itself) -> date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def add_months(d: date, months: int) -> date:
    """Calendar-month arithmetic, clamping the day to the month's end (and to the
    calendar's ends)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    if not date.min.year <= year <= date.max.year:
        return date.max if year > date.max.year else date.min
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Member:
    """One 'who' of the plan: a role (FTE mode) or a named person (staff mode)."""

    key: str
    role: str
    label: str
    fte: float
    headcount: int
    registered: bool
    competencies: frozenset[str]
    available: float
    capacity: float  # C1: utilisation_target x available
    caseload_cap: float  # caseload_capacity x fte, weighted points
    caseload_capacity: float  # per 1.0 FTE
    continuity_share: float
    needs: float  # supervision hours per week per person
    max_supervisees: int
    supervised_by: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """A cohort segment, id ``tier/stage``."""

    id: str
    tier: str
    stage: str
    people: int


@dataclass
class Model:
    """Everything the checker needs from a scenario."""

    mode: str  # "fte" or "staff"
    members: dict[str, Member]
    roles: dict[str, dict[str, Any]]
    tasks: dict[str, dict[str, Any]]
    tiers: dict[str, dict[str, Any]]
    segments: dict[str, Segment]
    demand: dict[tuple[str, str], float]
    duty: dict[str, Any] | None
    coordination_registered_for: frozenset[str]
    problems: list[str] = field(default_factory=list)

    def role_headcount(self, role: str) -> int:
        """Persons of ``role`` (FTE: establishment headcount; staff: people)."""
        if self.mode == "fte":
            m = self.members.get(role)
            return m.headcount if m else 0
        return sum(1 for m in self.members.values() if m.role == role)


def _headroom_share(scenario: Mapping[str, Any], role: Mapping[str, Any]) -> float:
    """Sum of headroom shares: the role's map overrides the top-level one by component."""
    shares: dict[str, Any] = dict(scenario.get("headroom") or {})
    shares.update(role.get("headroom") or {})
    return sum(float(v) for k, v in shares.items() if k != "source" and _is_number(v))


def _holds_by_signoff(
    comp: str, signed: date | None, competencies: Mapping[str, Any], plan_date: date | None
) -> bool:
    """Whether a sign-off dated ``signed`` makes ``comp`` current on ``plan_date``."""
    if signed is None or plan_date is None or signed > plan_date:
        return False
    months = (competencies.get(comp) or {}).get("signoff_valid_months")
    if months is None:
        return True  # a competency without a sign-off rule never lapses
    return plan_date < add_months(signed, int(months))


def _build_model(scenario: Mapping[str, Any]) -> Model:
    """Re-derive the team, the segments and the demand from a raw scenario."""
    problems: list[str] = []
    hours_per_fte = float(scenario.get("hours_per_fte", 37.5) or 37.5)
    competencies: dict[str, Any] = dict(scenario.get("competencies") or {})
    roles: dict[str, dict[str, Any]] = {
        k: dict(v or {}) for k, v in (scenario.get("roles") or {}).items()
    }
    plan_date = _as_date(scenario.get("plan_date"))

    def member(
        key: str, role_id: str, label: str, fte: float, headcount: int, comps: Iterable[str]
    ) -> Member:
        role = roles[role_id]
        sup = role.get("supervision") or {}
        available = fte * hours_per_fte * (1.0 - _headroom_share(scenario, role))
        target = role.get("utilisation_target")
        if target is None:
            target = (scenario.get("policies") or {}).get("utilisation_target", 1.0)
        return Member(
            key=key,
            role=role_id,
            label=label,
            fte=fte,
            headcount=headcount,
            registered=bool(role.get("registered", False)),
            competencies=frozenset(comps),
            available=available,
            capacity=float(target) * available,
            caseload_cap=float(role.get("caseload_capacity", 0) or 0) * fte,
            caseload_capacity=float(role.get("caseload_capacity", 0) or 0),
            continuity_share=float(role.get("protected_continuity_share", 0) or 0),
            needs=float(sup.get("needs_hours_per_week", 0) or 0),
            max_supervisees=int(sup.get("max_supervisees", 0) or 0),
            supervised_by=tuple(sup.get("supervised_by") or ()),
        )

    members: dict[str, Member] = {}
    staff = scenario.get("staff")
    if isinstance(staff, str):
        staff = read_staff_csv(staff)
    if staff is not None and scenario.get("establishment") is not None:
        problems.append("scenario: both establishment and staff are given")
    if staff is not None:
        mode = "staff"
        if plan_date is None:
            problems.append("scenario: plan_date missing or not a date; sign-offs cannot be judged")
        for i, person in enumerate(staff):
            pid, role_id = str(person.get("id", "")), person.get("role")
            if role_id not in roles:
                problems.append(f"scenario: staff[{i}] {pid!r} has unknown role {role_id!r}")
                continue
            if pid in members:
                problems.append(f"scenario: duplicate staff id {pid!r}")
            role_comps = roles[role_id].get("competencies") or []
            comps = {
                c
                for c in role_comps
                if (competencies.get(c) or {}).get("signoff_valid_months") is None
            }
            for comp, signed in (person.get("signoffs") or {}).items():
                if _holds_by_signoff(comp, _as_date(signed), competencies, plan_date):
                    comps.add(comp)
            members[pid] = member(
                pid, role_id, f"staff {pid} ({role_id})", float(person.get("fte", 0) or 0), 1, comps
            )
    else:
        mode = "fte"
        establishment = scenario.get("establishment") or {}
        for role_id in establishment:
            if role_id not in roles:
                problems.append(f"scenario: establishment names unknown role {role_id!r}")
        for role_id, role in roles.items():
            post = establishment.get(role_id, 0)
            if isinstance(post, Mapping):
                fte = float(post.get("fte", 0) or 0)
                headcount = post.get("headcount")
            else:
                fte, headcount = float(post or 0), None
            if headcount is None:
                headcount = math.ceil(round(fte, 9))
            members[role_id] = member(
                role_id,
                role_id,
                f"role {role_id}",
                fte,
                int(headcount),
                role.get("competencies") or [],
            )

    segments: dict[str, Segment] = {}
    for i, seg in enumerate(scenario.get("cohort") or []):
        tier, stage = str(seg.get("tier")), str(seg.get("stage") or "all")
        sid = f"{tier}/{stage}"
        if sid in segments:
            problems.append(f"scenario: cohort[{i}] duplicate segment id {sid!r}")
        segments[sid] = Segment(sid, tier, stage, int(seg.get("people", 0) or 0))

    tasks: dict[str, dict[str, Any]] = {
        k: dict(v or {}) for k, v in (scenario.get("tasks") or {}).items()
    }
    policies = scenario.get("policies") or {}
    model = Model(
        mode=mode,
        members=members,
        roles=roles,
        tasks=tasks,
        tiers={k: dict(v or {}) for k, v in (scenario.get("tiers") or {}).items()},
        segments=segments,
        demand={},
        duty=dict(policies["duty"]) if policies.get("duty") else None,
        coordination_registered_for=frozenset(policies.get("coordination_registered_for") or ()),
        problems=problems,
    )
    model.demand = _demand(tasks, segments)
    return model


def _demand(
    tasks: Mapping[str, Mapping[str, Any]], segments: Mapping[str, Segment]
) -> dict[tuple[str, str], float]:
    """``people x per_week x hours`` for every (task, segment) with demand > 0."""
    demand: dict[tuple[str, str], float] = {}
    for tid, task in tasks.items():
        stages = task.get("stages")
        for sid, seg in segments.items():
            freq = (task.get("frequency") or {}).get(seg.tier)
            if not freq:
                continue
            if stages is not None and seg.stage not in stages:
                continue
            if freq.get("per_week") is not None:
                rate = float(freq["per_week"])
            elif freq.get("every_weeks"):
                rate = 1.0 / float(freq["every_weeks"])
            else:
                continue
            hours = seg.people * rate * float(task.get("hours", 0) or 0)
            if hours > 0:
                demand[(tid, sid)] = hours
    return demand


def derive_demand(scenario: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """Re-derived demand in hours/week keyed ``(task, segment)``; zero entries left out."""
    return _build_model(scenario).demand


# --------------------------------------------------------------------------
# Plan rows
# --------------------------------------------------------------------------


def _where(section: str, index: int, row: Mapping[str, Any], keys: Iterable[str]) -> str:
    """``allocation[3] (task=x, segment=y, role=z)`` for messages."""
    parts = [f"{k}={row[k]}" for k in keys if row.get(k) is not None]
    return f"{section}[{index}] ({', '.join(parts)})"


def _fmt(amount: float, unit: str) -> str:
    return f"{amount:.2f} h/week" if unit == HOURS else f"{amount:.2f} people"


@dataclass
class _Alloc:
    task: str
    segment: Segment
    who: Member
    hours: float


@dataclass
class _Signoff:
    task: str
    who: Member
    hours: float


@dataclass
class _Duty:
    who: Member
    hours: float


@dataclass
class _Supervision:
    supervisor: Member
    supervisee: Member  # FTE mode: the supervisee role's member
    supervisee_role: str
    persons: int
    hours: float


@dataclass
class _Coordination:
    segment: Segment
    who: Member
    people: int


@dataclass(frozen=True)
class _Shortfall:
    """One soft-constraint instance: its key, shortfall left and expected risk category."""

    key: tuple[Any, ...]
    amount: float
    unit: str
    category: str
    tol: float
    label: str


class _Checker:
    """Holds one check's state: the model, the parsed rows and the violations."""

    def __init__(self, scenario: Mapping[str, Any], plan: Mapping[str, Any], tol: float) -> None:
        self.model = _build_model(scenario)
        self.plan = plan
        self.tol = tol
        self.out: list[str] = list(self.model.problems)
        self.alloc: list[_Alloc] = []
        self.signoff: list[_Signoff] = []
        self.duty: list[_Duty] = []
        self.supervision: list[_Supervision] = []
        self.coordination: list[_Coordination] = []

    # -- generic helpers ---------------------------------------------------

    def rows(self, section: str) -> list[Mapping[str, Any]]:
        """The rows of a plan section (missing = empty), flagging non-mappings."""
        value = self.plan.get(section)
        if value is None:
            return []
        if not isinstance(value, list):
            self.out.append(f"plan: {section} must be a list")
            return []
        good = []
        for i, row in enumerate(value):
            if isinstance(row, Mapping):
                good.append(row)
            else:
                self.out.append(f"{section}[{i}]: row must be an object")
                good.append({})
        return good

    def number(
        self, row: Mapping[str, Any], key: str, where: str, integer: bool = False
    ) -> float | None:
        """A non-negative number field (integer when asked), or None after flagging."""
        value: Any = row.get(key)
        if not _is_number(value):
            self.out.append(f"{where}: {key} must be a number, got {value!r}")
            return None
        if value < 0:
            self.out.append(f"{where}: {key} is negative ({value})")
            return None
        if integer and not float(value).is_integer():
            self.out.append(f"{where}: {key} must be an integer, got {value!r}")
            return None
        return float(value)

    def who(
        self, row: Mapping[str, Any], where: str, role_key: str = "role", staff_key: str = "staff"
    ) -> Member | None:
        """Resolve the role (FTE mode) or person (staff mode) a row names."""
        role, staff = row.get(role_key), row.get(staff_key)
        members = self.model.members
        if self.model.mode == "fte":
            if staff is not None:
                self.out.append(f"{where}: {staff_key} must be null in FTE mode, got {staff!r}")
            if role not in members:
                self.out.append(f"{where}: unknown role {role!r}")
                return None
            return members[role]
        if staff not in members:
            self.out.append(f"{where}: unknown staff {staff!r}")
            return None
        m = members[staff]
        if role is not None and role != m.role:
            self.out.append(
                f"{where}: {role_key} {role!r} is not the role of staff {staff} ({m.role})"
            )
        return m

    def task(self, row: Mapping[str, Any], where: str) -> str | None:
        tid = row.get("task")
        if tid not in self.model.tasks:
            self.out.append(f"{where}: unknown task {tid!r}")
            return None
        return str(tid)

    def segment(self, row: Mapping[str, Any], where: str) -> Segment | None:
        sid = row.get("segment")
        if sid not in self.model.segments:
            self.out.append(f"{where}: unknown segment {sid!r}")
            return None
        return self.model.segments[sid]

    # -- parsing + per-row hard checks (C2) --------------------------------

    def parse_allocation(self) -> None:
        for i, row in enumerate(self.rows("allocation")):
            where = _where("allocation", i, row, ("task", "segment", "role", "staff"))
            tid, seg, who = self.task(row, where), self.segment(row, where), self.who(row, where)
            hours = self.number(row, "hours_per_week", where)
            if tid is None or seg is None or who is None or hours is None:
                continue
            task = self.model.tasks[tid]
            comp = task.get("competence")
            if comp not in who.competencies:
                self.out.append(f"C2 competence: {where}: {who.label} does not hold {comp}")
            if seg.tier in (task.get("registered_for") or ()) and not who.registered:
                self.out.append(
                    f"C2 registration: {where}: {who.label} is not registered but tier {seg.tier} "
                    f"is in {tid}.registered_for"
                )
            self.alloc.append(_Alloc(tid, seg, who, hours))

    def parse_signoff(self) -> None:
        for i, row in enumerate(self.rows("signoff")):
            where = _where("signoff", i, row, ("task", "role", "staff"))
            tid, who = self.task(row, where), self.who(row, where)
            hours = self.number(row, "hours_per_week", where)
            if tid is None or who is None or hours is None:
                continue
            comp = self.model.tasks[tid].get("competence")
            if not who.registered:
                self.out.append(f"C2 signoff: {where}: {who.label} is not registered")
            if comp not in who.competencies:
                self.out.append(f"C2 signoff: {where}: {who.label} does not hold {comp}")
            self.signoff.append(_Signoff(tid, who, hours))

    def parse_duty(self) -> None:
        duty = self.model.duty
        for i, row in enumerate(self.rows("duty")):
            where = _where("duty", i, row, ("role", "staff"))
            who = self.who(row, where)
            hours = self.number(row, "hours_per_week", where)
            if who is None or hours is None:
                continue
            if duty is None:
                self.out.append(f"C2 duty: {where}: the scenario has no duty policy")
            else:
                if duty.get("registered", True) and not who.registered:
                    self.out.append(f"C2 duty: {where}: {who.label} is not registered")
                if duty.get("competence") not in who.competencies:
                    self.out.append(
                        f"C2 duty: {where}: {who.label} does not hold {duty.get('competence')}"
                    )
            self.duty.append(_Duty(who, hours))

    def parse_supervision(self) -> None:
        staff_mode = self.model.mode == "staff"
        keys = ("supervisor_role", "supervisor", "supervisee_role", "supervisee")
        for i, row in enumerate(self.rows("supervision")):
            where = _where("supervision", i, row, keys)
            sup = self.who(row, where, "supervisor_role", "supervisor")
            sub = self.who(row, where, "supervisee_role", "supervisee")
            hours = self.number(row, "hours_per_week", where)
            if staff_mode:
                persons: float | None = 1.0
                if row.get("persons") is not None:
                    persons = self.number(row, "persons", where, integer=True)
                    if persons is not None and persons != 1:
                        self.out.append(
                            f"{where}: persons must be 1 in staff mode, got {row['persons']!r}"
                        )
                        persons = None
            else:
                persons = self.number(row, "persons", where, integer=True)
            if sup is None or sub is None or hours is None or persons is None:
                continue
            sub_role = sub.role
            if sub.needs <= 0:
                self.out.append(f"C2 supervision: {where}: role {sub_role} needs no supervision")
            if sup.role not in sub.supervised_by:
                self.out.append(
                    f"C2 supervision: {where}: role {sup.role} is not in {sub_role}.supervised_by "
                    f"{list(sub.supervised_by)}"
                )
            if sup.max_supervisees <= 0:
                self.out.append(f"C2 supervision: {where}: role {sup.role} has max_supervisees 0")
            if staff_mode and sup.key == sub.key:
                self.out.append(f"C2 supervision: {where}: staff {sup.key} supervises themselves")
            if not staff_mode and sup.key == sub.key and sup.headcount < 2:
                self.out.append(
                    f"C2 supervision: {where}: role {sup.key} supervises its own role with "
                    f"headcount {sup.headcount} < 2"
                )
            expected = persons * sub.needs
            if abs(hours - expected) > self.tol + ROUNDING:
                self.out.append(
                    f"C5 supervision: {where}: hours_per_week {hours:.2f} != persons {persons:g} x "
                    f"{sub_role} needs {sub.needs:g} = {expected:.2f}"
                )
            self.supervision.append(_Supervision(sup, sub, sub_role, int(persons), hours))

    def parse_coordination(self) -> None:
        for i, row in enumerate(self.rows("coordination")):
            where = _where("coordination", i, row, ("segment", "role", "staff"))
            seg, who = self.segment(row, where), self.who(row, where)
            people = self.number(row, "people", where, integer=True)
            if seg is None or who is None or people is None:
                continue
            if who.caseload_capacity <= 0:
                self.out.append(
                    f"C2 coordination: {where}: role {who.role} has caseload_capacity 0"
                )
            if seg.tier in self.model.coordination_registered_for and not who.registered:
                self.out.append(
                    f"C2 coordination: {where}: {who.label} is not registered but tier {seg.tier} "
                    f"is in coordination_registered_for"
                )
            self.coordination.append(_Coordination(seg, who, int(people)))

    # -- aggregate hard checks ----------------------------------------------

    def check_capacity(self) -> None:
        """C1: per who, all hours <= utilisation_target x available (+ tol + 0.005 per row)."""
        used: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)

        def add(who: Member, hours: float) -> None:
            used[who.key] += hours
            count[who.key] += 1

        for a in self.alloc:
            add(a.who, a.hours)
        for s in self.signoff:
            add(s.who, s.hours)
        for d in self.duty:
            add(d.who, d.hours)
        for v in self.supervision:
            add(v.supervisor, v.hours)  # given
            add(v.supervisee, v.hours)  # received
        for key, hours in used.items():
            m = self.model.members[key]
            if hours > m.capacity + self.tol + ROUNDING * count[key]:
                what = "available" if m.capacity == m.available else "target x available"
                self.out.append(
                    f"C1 capacity: {m.label} uses {hours:.2f} h > {what} {m.capacity:.2f} h"
                )

    def check_supervision_caps(self) -> None:
        """C2 supervision caps and one-supervisor rules."""
        model = self.model
        by_supervisor: dict[str, int] = defaultdict(int)
        by_supervisee_role: dict[str, int] = defaultdict(int)
        by_supervisee: dict[str, list[str]] = defaultdict(list)
        for v in self.supervision:
            by_supervisor[v.supervisor.key] += v.persons
            by_supervisee_role[v.supervisee_role] += v.persons
            by_supervisee[v.supervisee.key].append(v.supervisor.key)
        for key, n in by_supervisor.items():
            m = model.members[key]
            if model.mode == "fte":
                cap = m.max_supervisees * m.headcount
                if n > cap:
                    self.out.append(
                        f"C2 supervision cap: {m.label} supervises {n} persons > cap {cap} "
                        f"(max_supervisees {m.max_supervisees} x headcount {m.headcount})"
                    )
            elif n > m.max_supervisees:
                self.out.append(
                    f"C2 supervision cap: {m.label} supervises {n} persons > max_supervisees "
                    f"{m.max_supervisees}"
                )
        if model.mode == "fte":
            for role, n in by_supervisee_role.items():
                hc = model.role_headcount(role)
                if n > hc:
                    self.out.append(
                        f"C2 supervision: role {role} has {n} persons supervised > headcount {hc}"
                    )
        else:
            for key, sups in by_supervisee.items():
                if len(sups) > 1:
                    self.out.append(
                        f"C2 supervision: staff {key} has {len(sups)} supervisors "
                        f"({', '.join(sups)}); at most one allowed"
                    )

    def check_coordination_caps(self) -> None:
        """C7 hard parts: caseload caps per who; no segment over-coordinated."""
        points: dict[str, float] = defaultdict(float)
        per_segment: dict[str, int] = defaultdict(int)
        for c in self.coordination:
            weight = float(self.model.tiers.get(c.segment.tier, {}).get("caseload_weight", 0) or 0)
            points[c.who.key] += c.people * weight
            per_segment[c.segment.id] += c.people
        for key, pts in points.items():
            m = self.model.members[key]
            if pts > m.caseload_cap + self.tol:
                self.out.append(
                    f"C7 caseload cap: {m.label} carries {pts:.2f} weighted points > capacity "
                    f"{m.caseload_cap:.2f} (caseload_capacity {m.caseload_capacity:g} "
                    f"x fte {m.fte:g})"
                )
        for sid, n in per_segment.items():
            people = self.model.segments[sid].people
            if n > people:
                self.out.append(
                    f"C7 coordination: segment {sid} has {n} people coordinated > {people} people"
                )

    def check_demand_rows(self) -> None:
        """Plan demand rows equal the re-derived demand."""
        seen: set[tuple[str, str]] = set()
        for i, row in enumerate(self.rows("demand")):
            where = _where("demand", i, row, ("task", "segment"))
            tid, seg = self.task(row, where), self.segment(row, where)
            hours = self.number(row, "hours_per_week", where)
            if tid is None or seg is None or hours is None:
                continue
            key = (tid, seg.id)
            if key in seen:
                self.out.append(f"demand: {where}: duplicate row for task {tid}, segment {seg.id}")
            seen.add(key)
            if row.get("tier") is not None and row["tier"] != seg.tier:
                self.out.append(
                    f"demand: {where}: tier {row['tier']!r} != segment tier {seg.tier!r}"
                )
            if row.get("stage") is not None and row["stage"] != seg.stage:
                self.out.append(
                    f"demand: {where}: stage {row['stage']!r} != segment stage {seg.stage!r}"
                )
            expected = self.model.demand.get(key, 0.0)
            if abs(hours - expected) > self.tol + ROUNDING:
                self.out.append(
                    f"demand: {where}: {hours:.2f} h/week, "
                    f"re-derived demand is {expected:.2f} h/week"
                )
        for (tid, sid), hours in sorted(self.model.demand.items()):
            if hours > self.tol and (tid, sid) not in seen:
                self.out.append(
                    f"demand: no row for task {tid}, segment {sid} ({hours:.2f} h/week)"
                )

    def check_utilisation(self) -> None:
        """Utilisation rows, where present, agree with the other rows."""
        sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

        def add(who: Member, name: str, value: float) -> None:
            sums[who.key][name] += value
            counts[who.key][name] += 1

        for a in self.alloc:
            add(a.who, "task_hours", a.hours)
        for s in self.signoff:
            add(s.who, "signoff_hours", s.hours)
        for d in self.duty:
            add(d.who, "duty_hours", d.hours)
        for v in self.supervision:
            add(v.supervisor, "supervision_given_hours", v.hours)
            add(v.supervisee, "supervision_received_hours", v.hours)
        for c in self.coordination:
            weight = float(self.model.tiers.get(c.segment.tier, {}).get("caseload_weight", 0) or 0)
            add(c.who, "caseload_points", c.people * weight)
        seen: set[str] = set()
        for i, row in enumerate(self.rows("utilisation")):
            where = _where("utilisation", i, row, ("role", "staff"))
            who = self.who(row, where)
            if who is None:
                continue
            if who.key in seen:
                self.out.append(f"utilisation: {where}: duplicate row for {who.label}")
            seen.add(who.key)
            expected = {"available_hours": who.available, **sums[who.key]}
            for name in (
                "available_hours",
                "task_hours",
                "signoff_hours",
                "duty_hours",
                "supervision_given_hours",
                "supervision_received_hours",
                "caseload_points",
            ):
                if row.get(name) is None:
                    continue
                value = self.number(row, name, where)
                if value is None:
                    continue
                want = expected.get(name, 0.0)
                if abs(value - want) > self.tol + ROUNDING * (1 + counts[who.key][name]):
                    self.out.append(
                        f"utilisation: {where}: {name} {value:.2f}, re-derived {want:.2f}"
                    )

    # -- soft constraints ----------------------------------------------------

    def shortfalls(self) -> list[_Shortfall]:
        """Every soft-constraint instance with the shortfall the plan leaves."""
        model = self.model
        result: list[_Shortfall] = []

        # C3 coverage
        covered: dict[tuple[str, str], float] = defaultdict(float)
        n_cov: dict[tuple[str, str], int] = defaultdict(int)
        for a in self.alloc:
            covered[(a.task, a.segment.id)] += a.hours
            n_cov[(a.task, a.segment.id)] += 1
        for key in sorted(set(model.demand) | set(covered)):
            tid, sid = key
            demand = model.demand.get(key, 0.0)
            tol = self.tol + ROUNDING * n_cov[key]
            label = f"C3 coverage (task={tid}, segment={sid})"
            if covered[key] > demand + tol:
                self.out.append(
                    f"{label}: allocated {covered[key]:.2f} h/week > demand {demand:.2f} h/week"
                )
            if demand > 0:
                result.append(
                    _Shortfall(
                        ("coverage", tid, sid),
                        demand - covered[key],
                        HOURS,
                        self.coverage_category(tid, sid),
                        tol,
                        label,
                    )
                )

        # C4 signoff
        delegated: dict[str, float] = defaultdict(float)
        signed: dict[str, float] = defaultdict(float)
        n_sig: dict[str, int] = defaultdict(int)
        for a in self.alloc:
            if not a.who.registered:
                delegated[a.task] += a.hours
                n_sig[a.task] += 1
        for s in self.signoff:
            signed[s.task] += s.hours
            n_sig[s.task] += 1
        for tid, task in model.tasks.items():
            share = float(task.get("signoff_share", 0) or 0)
            if share > 0:
                tol = self.tol + ROUNDING * max(share, 1.0) * n_sig[tid]
                result.append(
                    _Shortfall(
                        ("signoff", tid),
                        share * delegated[tid] - signed[tid],
                        HOURS,
                        "clinical_oversight",
                        tol,
                        f"C4 signoff (task={tid})",
                    )
                )

        # C5 supervision (people)
        if model.mode == "fte":
            supervised: dict[str, int] = defaultdict(int)
            for v in self.supervision:
                supervised[v.supervisee_role] += v.persons
            for m in model.members.values():
                if m.needs > 0 and m.headcount > 0:
                    result.append(
                        _Shortfall(
                            ("supervision", m.key),
                            float(m.headcount - supervised[m.key]),
                            PEOPLE,
                            "supervision_capacity",
                            self.tol,
                            f"C5 supervision (role={m.key})",
                        )
                    )
        else:
            got = {v.supervisee.key for v in self.supervision}
            for m in model.members.values():
                if m.needs > 0:
                    result.append(
                        _Shortfall(
                            ("supervision", m.key),
                            0.0 if m.key in got else 1.0,
                            PEOPLE,
                            "supervision_capacity",
                            self.tol,
                            f"C5 supervision (staff={m.key}, role={m.role})",
                        )
                    )

        # C6 continuity
        noncont: dict[str, float] = defaultdict(float)
        n_nc: dict[str, int] = defaultdict(int)
        for a in self.alloc:
            if not model.tasks[a.task].get("continuity", False):
                noncont[a.who.key] += a.hours
                n_nc[a.who.key] += 1
        for s in self.signoff:
            noncont[s.who.key] += s.hours
            n_nc[s.who.key] += 1
        for d in self.duty:
            noncont[d.who.key] += d.hours
            n_nc[d.who.key] += 1
        for m in model.members.values():
            if m.continuity_share > 0:
                amount = noncont[m.key] - (1.0 - m.continuity_share) * m.available
                who = f"role={m.key}" if model.mode == "fte" else f"staff={m.key}, role={m.role}"
                result.append(
                    _Shortfall(
                        ("continuity", m.key),
                        amount,
                        HOURS,
                        "continuity_erosion",
                        self.tol + ROUNDING * n_nc[m.key],
                        f"C6 continuity ({who})",
                    )
                )

        # C7 coordination (people)
        coordinated: dict[str, int] = defaultdict(int)
        for c in self.coordination:
            coordinated[c.segment.id] += c.people
        for sid, seg in model.segments.items():
            needs_coordinator = (model.tiers.get(seg.tier) or {}).get("coordination", True)
            if seg.people > 0 and needs_coordinator:
                result.append(
                    _Shortfall(
                        ("coordination", sid),
                        float(seg.people - coordinated[sid]),
                        PEOPLE,
                        "caseload_over_capacity",
                        self.tol,
                        f"C7 coordination (segment={sid})",
                    )
                )

        # C8 duty
        if model.duty is not None:
            required = float(model.duty.get("hours_per_week", 0) or 0)
            given = sum(d.hours for d in self.duty)
            result.append(
                _Shortfall(
                    ("duty",),
                    required - given,
                    HOURS,
                    "duty_cover",
                    self.tol + ROUNDING * len(self.duty),
                    "C8 duty",
                )
            )
        return result

    def coverage_category(self, tid: str, sid: str) -> str:
        """The C3 risk category a shortfall on (task, segment) must carry."""
        task = self.model.tasks[tid]
        tier = self.model.segments[sid].tier
        registered_only = tier in (task.get("registered_for") or ())
        holders = [
            m
            for m in self.model.members.values()
            if m.fte > 0
            and task.get("competence") in m.competencies
            and (m.registered or not registered_only)
        ]
        if not holders:
            return "competence_gap"
        return "review_frequency" if registered_only else "coverage_shortfall"

    # -- risks ---------------------------------------------------------------

    def validate_risks(self) -> list[tuple[str, Mapping[str, Any]]]:
        """Per-risk field checks; returns (id, risk) pairs for matching."""
        risks: list[tuple[str, Mapping[str, Any]]] = []
        ids: set[str] = set()
        for i, risk in enumerate(self.rows("risks")):
            rid = str(risk.get("id") or f"risks[{i}]")
            where = f"risk {rid}"
            if not risk.get("id"):
                self.out.append(f"{where}: missing id")
            elif rid in ids:
                self.out.append(f"{where}: duplicate risk id")
            ids.add(rid)
            category = risk.get("category")
            if category not in KNOWN_CATEGORIES:
                self.out.append(f"{where}: unknown category {category!r}")
            c: Any = risk.get("consequence")
            lk: Any = risk.get("likelihood")
            for name, value in (("consequence", c), ("likelihood", lk)):
                if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5):
                    self.out.append(f"{where}: {name} must be an integer in 1..5, got {value!r}")
            if _is_number(c) and _is_number(lk) and risk.get("score") != c * lk:
                self.out.append(
                    f"{where}: score {risk.get('score')!r} != consequence {c} x likelihood {lk}"
                )
            unit = risk.get("unit")
            no_amount = category not in SHORTFALL_CATEGORIES and risk.get("shortfall") is None
            if unit is None and no_amount:
                pass  # e.g. an infeasible_requirements conflict states no amount, so no unit
            elif unit not in (HOURS, PEOPLE):
                self.out.append(f"{where}: unit must be {HOURS} or {PEOPLE}, got {unit!r}")
            elif category in SHORTFALL_CATEGORIES and unit != SHORTFALL_CATEGORIES[category][1]:
                self.out.append(
                    f"{where}: unit {unit} for {category}, "
                    f"expected {SHORTFALL_CATEGORIES[category][1]}"
                )
            if not isinstance(risk.get("red_flag"), bool):
                self.out.append(
                    f"{where}: red_flag must be a boolean, got {risk.get('red_flag')!r}"
                )
            title = risk.get("title")
            if not isinstance(title, str) or not title.strip():
                self.out.append(f"{where}: title must be a non-empty string")
            if category in SHORTFALL_CATEGORIES and not _is_number(risk.get("shortfall")):
                self.out.append(
                    f"{where}: shortfall must be a number, got {risk.get('shortfall')!r}"
                )
            risks.append((rid, risk))
        return risks

    def risk_key(self, rid: str, risk: Mapping[str, Any]) -> tuple[Any, ...]:
        """The constraint instance a shortfall risk names (and consistency of its fields)."""
        family = SHORTFALL_CATEGORIES[risk["category"]][0]
        model = self.model
        where = f"risk {rid} ({risk['category']})"
        segment = risk.get("segment")
        if segment is not None and segment in model.segments and risk.get("tier") is not None:
            tier = model.segments[segment].tier
            if risk["tier"] != tier:
                self.out.append(
                    f"{where}: tier {risk['tier']!r} != tier {tier!r} of segment {segment}"
                )
        if family in ("supervision", "continuity"):
            if model.mode == "fte":
                return (family, risk.get("role"))
            staff = risk.get("staff")
            member = model.members.get(staff) if isinstance(staff, str) else None
            if member is not None and risk.get("role") is not None and risk["role"] != member.role:
                self.out.append(
                    f"{where}: role {risk['role']!r} is not the role of staff {staff} "
                    f"({member.role})"
                )
            return (family, staff)
        if family == "coverage":
            return (family, risk.get("task"), segment)
        if family == "signoff":
            return (family, risk.get("task"))
        if family == "coordination":
            return (family, segment)
        return (family,)

    def match_risks(
        self, shortfalls: list[_Shortfall], risks: list[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """Each shortfall > tol reported once, right category and amount; no phantom risks."""
        grouped: dict[tuple[Any, ...], list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
        for rid, risk in risks:
            if risk.get("category") in SHORTFALL_CATEGORIES:
                grouped[self.risk_key(rid, risk)].append((rid, risk))
        strict = self.plan.get("strict") is True
        for s in shortfalls:
            found = grouped.pop(s.key, [])
            amount = max(s.amount, 0.0)
            real = s.amount > s.tol
            if real and strict:
                self.out.append(
                    f"strict mode: {s.label} leaves a shortfall of {_fmt(amount, s.unit)}"
                )
            if real and not found:
                self.out.append(
                    f"{s.label}: shortfall {_fmt(amount, s.unit)} "
                    f"not reported by any {s.category} risk"
                )
            if len(found) > 1:
                self.out.append(
                    f"{s.label}: {len(found)} risks ({', '.join(r for r, _ in found)}) report it; "
                    f"expected exactly one"
                )
            for rid, risk in found:
                if not _is_number(risk.get("shortfall")):
                    continue
                reported = float(risk["shortfall"])
                if abs(reported - amount) > s.tol:
                    if real:
                        self.out.append(
                            f"{s.label}: risk {rid} reports shortfall {_fmt(reported, s.unit)}, "
                            f"plan leaves {_fmt(amount, s.unit)}"
                        )
                    else:
                        self.out.append(
                            f"phantom risk {rid} ({risk['category']}): reports shortfall "
                            f"{_fmt(reported, s.unit)} for {s.label} but the plan leaves "
                            f"{_fmt(amount, s.unit)}"
                        )
                if risk["category"] != s.category:
                    self.out.append(
                        f"{s.label}: risk {rid} has category {risk['category']}, "
                        f"expected {s.category}"
                    )
        for key, found in grouped.items():
            for rid, risk in found:
                self.out.append(
                    f"phantom risk {rid} ({risk['category']}): names {_key_text(key)}, "
                    f"which is no constraint of this scenario"
                )

    # -- driver ----------------------------------------------------------------

    def run(self) -> list[str]:
        """All checks, in a fixed order."""
        plan_mode = self.plan.get("mode")
        if plan_mode is not None and plan_mode != self.model.mode:
            self.out.append(
                f"plan: mode {plan_mode!r} but the scenario is in {self.model.mode} mode"
            )
        if self.plan.get("status") == "infeasible":
            risks = self.validate_risks()
            if not any(r.get("category") == "infeasible_requirements" for _, r in risks):
                self.out.append("plan: status infeasible but no infeasible_requirements risk")
            if self.rows("allocation"):
                self.out.append("plan: status infeasible but the plan has allocation rows")
            return self.out
        self.parse_allocation()
        self.parse_signoff()
        self.parse_duty()
        self.parse_supervision()
        self.parse_coordination()
        self.check_capacity()
        self.check_supervision_caps()
        self.check_coordination_caps()
        self.check_demand_rows()
        self.check_utilisation()
        shortfalls = self.shortfalls()
        risks = self.validate_risks()
        if "shortfalls" in self.plan:  # a register: rows are matched, entries must cover them
            self.match_risks(shortfalls, self.validate_shortfall_rows(risks))
        else:
            self.match_risks(shortfalls, risks)
        return self.out

    def validate_shortfall_rows(
        self, risks: list[tuple[str, Mapping[str, Any]]]
    ) -> list[tuple[str, Mapping[str, Any]]]:
        """PLAN.md register: every shortfall row names (``risk``) a register entry of
        the same category; an entry's shortfall is the sum of its rows."""
        entries = dict(risks)
        totals: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        out: list[tuple[str, Mapping[str, Any]]] = []
        for i, row in enumerate(self.rows("shortfalls")):
            where = f"shortfalls[{i}]"
            category = row.get("category")
            if category not in SHORTFALL_CATEGORIES:
                self.out.append(f"{where}: category {category!r} is not a shortfall category")
                continue
            rid = row.get("risk")
            entry = entries.get(rid) if isinstance(rid, str) else None
            if entry is None:
                self.out.append(f"{where}: risk {rid!r} is no entry of the register")
            elif entry.get("category") != category:
                self.out.append(
                    f"{where}: {category} row covered by {rid} of category "
                    f"{entry.get('category')!r}"
                )
            if row.get("unit") != SHORTFALL_CATEGORIES[category][1]:
                self.out.append(
                    f"{where}: unit {row.get('unit')!r} for {category}, "
                    f"expected {SHORTFALL_CATEGORIES[category][1]}"
                )
            if not _is_number(row.get("shortfall")):
                self.out.append(f"{where}: shortfall must be a number")
            elif isinstance(rid, str):
                totals[rid] += float(row["shortfall"])
                counts[rid] += 1
            out.append((where, row))
        for rid, entry in risks:
            if entry.get("category") not in SHORTFALL_CATEGORIES:
                continue
            if counts[rid] == 0:
                self.out.append(f"risk {rid}: register entry covers no shortfall row")
            elif _is_number(entry.get("shortfall")) and abs(
                float(entry["shortfall"]) - totals[rid]
            ) > self.tol + ROUNDING * counts[rid]:
                self.out.append(
                    f"risk {rid}: shortfall {entry['shortfall']} is not the sum of its "
                    f"{counts[rid]} rows ({totals[rid]:.2f})"
                )
        return out


def _key_text(key: tuple[Any, ...]) -> str:
    family, *rest = key
    return (
        f"{FAMILY_NAMES.get(family, family)} {tuple(rest)!r}"
        if rest
        else FAMILY_NAMES.get(family, family)
    )


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def check_plan(
    scenario: Mapping[str, Any], plan: Mapping[str, Any], tol: float = 0.05
) -> list[str]:
    """Check a plan against a scenario, independently of the optimiser.

    Parameters
    ----------
    scenario
        The raw scenario mapping, ``extends`` already resolved (see
        :func:`load_scenario_dict`). ``staff`` may be a list or a CSV path.
    plan
        ``plan.json`` as loaded.
    tol
        Tolerance in hours (or people) per constraint; a constraint summing
        ``n`` rounded rows is allowed ``tol + 0.005 * n``.

    Returns
    -------
    list of str
        One message per violation, naming the constraint and the row or key;
        empty when the plan passes.
    """
    return _Checker(scenario, plan, tol).run()


def expected_shortfalls(
    scenario: Mapping[str, Any], plan: Mapping[str, Any]
) -> dict[tuple[Any, ...], float]:
    """The shortfalls the plan's rows leave, re-derived from the scenario.

    Keys: ``("coverage", task, segment)``, ``("signoff", task)``,
    ``("supervision", role_or_person)``, ``("continuity", role_or_person)``,
    ``("coordination", segment)``, ``("duty",)``. Only strictly positive
    shortfalls are returned, unrounded (hours/week, or people for supervision
    and coordination); :func:`check_plan` applies the tolerances.
    """
    checker = _Checker(scenario, plan, 0.05)
    checker.parse_allocation()
    checker.parse_signoff()
    checker.parse_duty()
    checker.parse_supervision()
    checker.parse_coordination()
    return {s.key: s.amount for s in checker.shortfalls() if s.amount > 1e-9}
