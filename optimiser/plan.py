"""The plan: plain rows of PLAN.md, rounded to 0.01 h, and their JSON form.

Rounding keeps sums honest: the rows of each task and segment are rounded by
largest remainder so that a fully covered segment's rows add up to its
rounded demand exactly, and sign-off rows are rounded so that a met sign-off
requirement stays met after rounding.  The risk register and the independent
checker re-derive shortfalls from these rounded rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from optimiser.demand import DemandRow, Team
from optimiser.status import Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

EPS = 1e-4  # a shortfall below this is solver noise, not a shortfall


def r2(value: float) -> float:
    """Round to 0.01, halves up (hours and money in the plan; same rule as :func:`cents`)."""
    return cents(value) / 100 + 0.0


def cents(value: float) -> int:
    """Hundredths, rounded to nearest, halves up (``1e-9`` absorbs binary noise
    such as ``1.005 * 100 == 100.49999999999999``)."""
    return int(math.floor(value * 100 + 0.5 + 1e-9))


def cents_exact(value: float) -> int:
    """An amount already rounded to 0.01, in cents."""
    return int(round(value * 100))


def _respect_capacity(
    team: Team,
    cells: list[tuple[DemandRow, list[str], list[float], list[int], bool]],
    signoff: dict[tuple[str, str], float],
    duty: dict[str, float],
    supervision: dict[tuple[str, str], int],
) -> None:
    """Move single cents between rows of one cell so that no agent's rounded
    hours exceed its capacity rounded to the cent (C1 after rounding).

    Rounding each cell to its total can leave an agent a few cents over; a cent
    rounded up for that agent moves to a row of the same cell (so the cell's
    total, i.e. coverage, is unchanged) whose agent has room, preferring rows
    that were rounded down; where no agent of the cell has room and the cell is
    short anyway, the cent comes off its coverage (the risk, derived from the
    rows, shows it).
    """
    used: dict[str, float] = defaultdict(float)
    for _, agents, _, rounded, _ in cells:
        for a, c in zip(agents, rounded, strict=True):
            used[a] += c
    for (_, a), h in signoff.items():
        used[a] += cents(h)
    for a, h in duty.items():
        used[a] += cents(h)
    for (sup, sub), persons in supervision.items():
        c = cents(persons * team.by_id[sub].needs_supervision)
        used[sup] += c
        used[sub] += c
    # capacity in cents, rounded like every reported figure: hours within half a
    # cent of the capacity are not over it (77.5385 h may be planned as 77.54 h)
    room = {a.id: math.floor(a.capacity * 100 + 0.5) - used[a.id] for a in team.agents}
    shaved: set[int] = set()
    for _ in range(3):  # a few passes settle what single moves can
        moved = False
        for _, agents, raw, rounded, short in cells:
            for i, a in enumerate(agents):
                while room.get(a, 0) < 0 and rounded[i] > 0:
                    best = None
                    for j, b in enumerate(agents):
                        if j != i and room.get(b, 0) > 0:
                            # prefer the row furthest below its raw value
                            gap = raw[j] * 100 - rounded[j]
                            if best is None or gap > best[0]:
                                best = (gap, j)
                    if best is None:
                        if not short and id(rounded) in shaved:
                            break
                        # nobody in the cell has room: a cent comes off the cell's
                        # coverage (a short cell's risk, derived from the rows, grows
                        # by 0.01; a covered cell gives at most one cent, within the
                        # 0.05 h a row may be off)
                        if not short:
                            shaved.add(id(rounded))
                        rounded[i] -= 1
                        room[a] += 1
                        moved = True
                        continue
                    j = best[1]
                    rounded[i] -= 1
                    rounded[j] += 1
                    room[a] += 1
                    room[agents[j]] -= 1
                    moved = True
        if not moved:
            break


def largest_remainder(values: list[float], target_cents: int) -> list[float]:
    """Round ``values`` to 0.01 so that they add up to ``target_cents`` / 100.

    Ties go to the earlier value, so the result is deterministic.
    """
    if not values:
        return []
    raw = [max(0.0, v) * 100 for v in values]
    floors = [math.floor(v + 1e-9) for v in raw]
    rest = target_cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    if rest >= 0:
        for n in range(rest):
            floors[order[n % len(order)]] += 1
    else:
        for n in range(-rest):
            i = order[::-1][n % len(order)]
            if floors[i] > 0:
                floors[i] -= 1
    return [f / 100 for f in floors]


# -- the rows of plan.json (PLAN.md), as typed mappings -----------------------------------


class DemandOut(TypedDict):
    """``demand``: one task for one segment, hours a week."""

    task: str
    segment: str
    tier: str
    stage: str
    hours_per_week: float


class AllocationRow(TypedDict):
    """``allocation``: hours a week of one task for one segment by one role or person."""

    task: str
    segment: str
    role: str
    staff: str | None
    hours_per_week: float


class SignoffRow(TypedDict):
    """``signoff``: registered clinical sign-off of delegated work (C4)."""

    task: str
    role: str
    staff: str | None
    hours_per_week: float


class DutyRow(TypedDict):
    """``duty``: duty clinician cover (C8)."""

    role: str
    staff: str | None
    hours_per_week: float


class SupervisionRow(TypedDict):
    """``supervision``: persons of one role (person) supervised by another (C5)."""

    supervisor_role: str
    supervisor: str | None
    supervisee_role: str
    supervisee: str | None
    persons: int
    hours_per_week: float


class CoordinationRow(TypedDict):
    """``coordination``: people of a segment care-coordinated by a role or person (C7)."""

    segment: str
    role: str
    staff: str | None
    people: int


class UtilisationRow(TypedDict):
    """``utilisation``: one role (FTE mode) or person (staff mode) against capacity."""

    role: str
    staff: str | None
    fte: float
    headcount: int
    available_hours: float
    task_hours: float
    signoff_hours: float
    duty_hours: float
    supervision_given_hours: float
    supervision_received_hours: float
    continuity_hours: float
    caseload_points: float
    caseload_capacity: float
    utilisation: float
    utilisation_target: float
    target_hours: float
    utilisation_of_target: float


class ShortfallRow(TypedDict):
    """``shortfalls``: one unmet requirement, naming its register entry (``risk``)."""

    category: str
    task: str | None
    tier: str | None
    segment: str | None
    role: str | None
    staff: str | None
    shortfall: float
    unit: str
    requirement: float
    risk: str


@dataclass
class Plan:
    """A solved plan in the rows of PLAN.md (hours rounded to 0.01).

    The typed boundary between the stages: :func:`optimiser.solve.solve` makes
    one, later stages add to its register, reports and the web app read it, and
    :meth:`from_json` reads a ``plan.json`` back (what ``skillmix report --plan``
    does).
    """

    scenario: str
    mode: str
    strict: bool
    status: Status
    solve_seconds: float
    objective: dict[str, float | None]
    cost: dict[str, Any]
    demand: list[DemandOut]
    allocation: list[AllocationRow]
    signoff: list[SignoffRow]
    duty: list[DutyRow]
    supervision: list[SupervisionRow]
    coordination: list[CoordinationRow]
    utilisation: list[UtilisationRow]
    #: the register entries (:class:`optimiser.categories.RiskEntry` mappings)
    risks: list[dict[str, Any]] = field(default_factory=list)
    shortfalls: dict[tuple[str, ...], float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    #: one row per unmet requirement, each naming its register entry (``risk``)
    shortfall_rows: list[ShortfallRow] = field(default_factory=list)
    #: least-cost additions to today's team that remove every removable risk
    mitigation_package: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``plan.json`` document (solver slacks left out; ``shortfalls`` are
        the plan's shortfall rows)."""
        data = asdict(self)
        data.pop("shortfalls")
        data["shortfalls"] = data.pop("shortfall_rows")
        data["model"] = data.pop("model_size")
        if data["mitigation_package"] is None:
            data.pop("mitigation_package")
        data["status"] = str(self.status)
        return data

    @classmethod
    def from_json(cls, data: Any, source: str = "plan.json") -> Plan:
        """The plan of a ``plan.json`` document (as :meth:`to_dict` writes it).

        Raises :class:`PlanError` naming ``source`` when ``data`` is not one: not
        an object, a required key missing, an unknown status, or a section of
        the wrong type.  The solver's own slacks are not in ``plan.json``, so
        ``shortfalls`` (the slacks) is empty; the shortfall rows are read.
        """
        if not isinstance(data, dict):
            raise PlanError(f"{source}: not a plan.json file (expected a JSON object)")
        missing = [k for k in REQUIRED_KEYS if k not in data]
        if missing:
            raise PlanError(f"{source}: not a plan.json file (no {', '.join(missing)})")
        try:
            status = Status(data["status"])
        except ValueError:
            raise PlanError(
                f"{source}: status: {data['status']!r} is not one of "
                + ", ".join(s.value for s in Status)
            ) from None
        for key in ROW_KEYS:
            if not isinstance(data.get(key, []), list):
                raise PlanError(f"{source}: {key}: expected a list of rows")
        for key in ("cost", "objective", "model"):
            if not isinstance(data.get(key, {}), dict):
                raise PlanError(f"{source}: {key}: expected an object")
        package = data.get("mitigation_package")
        return cls(
            scenario=str(data.get("scenario", "")),
            mode=str(data["mode"]),
            strict=bool(data.get("strict", False)),
            status=status,
            solve_seconds=float(data.get("solve_seconds") or 0.0),
            objective=dict(data.get("objective", {})),
            cost=dict(data["cost"]),
            **{key: list(data.get(key, [])) for key in ROW_KEYS if key != "shortfalls"},
            shortfall_rows=list(data.get("shortfalls", [])),
            model_size=dict(data.get("model", {})),
            mitigation_package=dict(package) if isinstance(package, dict) else None,
        )


class PlanError(ValueError):
    """A document that is not a plan.json (the message names the file)."""


#: keys ``skillmix report --plan`` needs
REQUIRED_KEYS = ("mode", "status", "cost", "demand", "allocation", "utilisation", "risks")
#: sections of rows
ROW_KEYS = (
    "demand", "allocation", "signoff", "duty", "supervision", "coordination",
    "utilisation", "risks", "shortfalls",
)  # fmt: skip


def used_hours(row: dict[str, Any]) -> float:
    """Hours a week of one utilisation row that count against capacity (C1): tasks,
    sign-off, duty and supervision given and received."""
    return (
        row["task_hours"]
        + row["signoff_hours"]
        + row["duty_hours"]
        + row["supervision_given_hours"]
        + row["supervision_received_hours"]
    )


def _who(team: Team, agent_id: str) -> tuple[str, str | None]:
    agent = team.by_id[agent_id]
    return agent.role, agent.staff


def plan_rows(
    scenario: Scenario,
    team: Team,
    demand: list[DemandRow],
    allocation: list[tuple[str, str, str, float]],
    signoff: dict[tuple[str, str], float],
    duty: dict[str, float],
    supervision: dict[tuple[str, str], int],
    coordination: dict[tuple[str, str], int],
    slacks: dict[tuple[str, ...], float],
) -> dict[str, list[dict[str, Any]]]:
    """Turn solver values into rounded PLAN.md rows."""
    demand_out = [
        {
            "task": d.task,
            "segment": d.segment,
            "tier": d.tier,
            "stage": d.stage,
            "hours_per_week": r2(d.hours),
        }
        for d in demand
    ]
    by_cell: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for task, seg, agent_id, hours in allocation:
        by_cell[(task, seg)].append((agent_id, hours))
    # cells of (task, segment): agent ids, raw hours, rounded cents
    cells: list[tuple[DemandRow, list[str], list[float], list[int], bool]] = []
    for d in demand:
        cell = by_cell.get((d.task, d.segment), [])
        if not cell:
            continue
        short = slacks.get(("coverage", d.task, d.segment), 0.0)
        target = cents(d.hours - short) if short > EPS else cents(d.hours)
        rounded = largest_remainder([h for _, h in cell], target)
        cells.append(
            (
                d,
                [a for a, _ in cell],
                [h for _, h in cell],
                [cents_exact(x) for x in rounded],
                short > EPS,
            )
        )
    _respect_capacity(team, cells, signoff, duty, supervision)
    alloc_out: list[dict[str, Any]] = []
    for d, agents, _, rounded_cents, _ in cells:
        for agent_id, c in zip(agents, rounded_cents, strict=True):
            if c <= 0:
                continue
            role, staff = _who(team, agent_id)
            alloc_out.append(
                {
                    "task": d.task,
                    "segment": d.segment,
                    "role": role,
                    "staff": staff,
                    "hours_per_week": c / 100 + 0.0,
                }
            )

    signoff_out: list[dict[str, Any]] = []
    delegated: dict[str, float] = defaultdict(float)
    for row in alloc_out:
        if not scenario.roles[row["role"]].registered:
            delegated[row["task"]] += row["hours_per_week"]
    for task_id, task_def in scenario.tasks.items():
        parts = [(a, h) for (t, a), h in signoff.items() if t == task_id]
        if not parts:
            continue
        total = sum(h for _, h in parts)
        target = cents(total)
        if slacks.get(("signoff", task_id), 0.0) <= EPS:
            # keep a met requirement met after rounding the delegated hours
            target = max(
                target, math.ceil(task_def.signoff_share * delegated[task_id] * 100 - 1e-6)
            )
        for (agent_id, _), hours in zip(
            parts, largest_remainder([h for _, h in parts], target), strict=True
        ):
            if hours > 0:
                role, staff = _who(team, agent_id)
                signoff_out.append(
                    {"task": task_id, "role": role, "staff": staff, "hours_per_week": r2(hours)}
                )

    duty_out: list[dict[str, Any]] = []
    if duty:
        parts = list(duty.items())
        total = sum(h for _, h in parts)
        for (agent_id, _), hours in zip(
            parts, largest_remainder([h for _, h in parts], cents(total)), strict=True
        ):
            if hours > 0:
                role, staff = _who(team, agent_id)
                duty_out.append({"role": role, "staff": staff, "hours_per_week": r2(hours)})

    sup_out: list[dict[str, Any]] = []
    for (sup_id, sub_id), persons in supervision.items():
        sup, sub = team.by_id[sup_id], team.by_id[sub_id]
        sup_out.append(
            {
                "supervisor_role": sup.role,
                "supervisor": sup.staff,
                "supervisee_role": sub.role,
                "supervisee": sub.staff,
                "persons": persons,
                "hours_per_week": r2(persons * sub.needs_supervision),
            }
        )

    coord_out: list[dict[str, Any]] = []
    seg_pos = {s.id: i for i, s in enumerate(scenario.cohort)}
    agent_pos = {a.id: i for i, a in enumerate(team.agents)}
    for (seg_id, agent_id), people in sorted(
        coordination.items(), key=lambda kv: (seg_pos[kv[0][0]], agent_pos[kv[0][1]])
    ):
        role, staff = _who(team, agent_id)
        coord_out.append({"segment": seg_id, "role": role, "staff": staff, "people": people})

    return {
        "demand": demand_out,
        "allocation": alloc_out,
        "signoff": signoff_out,
        "duty": duty_out,
        "supervision": sup_out,
        "coordination": coord_out,
        "utilisation": utilisation_rows(
            scenario, team, alloc_out, signoff_out, duty_out, sup_out, coord_out
        ),
    }


def utilisation_rows(
    scenario: Scenario,
    team: Team,
    alloc: list[dict],
    signoff: list[dict],
    duty: list[dict],
    supervision: list[dict],
    coordination: list[dict],
) -> list[dict[str, Any]]:
    """Per role (FTE mode) or person (staff mode): hours by kind, caseload points."""

    def who(row: dict, role_key: str = "role", staff_key: str = "staff") -> str:
        return row[staff_key] if row[staff_key] is not None else row[role_key]

    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in alloc:
        s = sums[who(row)]
        s["task_hours"] += row["hours_per_week"]
        if scenario.tasks[row["task"]].continuity:
            s["continuity_hours"] += row["hours_per_week"]
    for row in signoff:
        sums[who(row)]["signoff_hours"] += row["hours_per_week"]
    for row in duty:
        sums[who(row)]["duty_hours"] += row["hours_per_week"]
    for row in supervision:
        sums[who(row, "supervisor_role", "supervisor")]["supervision_given_hours"] += row[
            "hours_per_week"
        ]
        sums[who(row, "supervisee_role", "supervisee")]["supervision_received_hours"] += row[
            "hours_per_week"
        ]
    for row in coordination:
        weight = scenario.tiers[row["segment"].split("/", 1)[0]].caseload_weight
        sums[who(row)]["caseload_points"] += row["people"] * weight
    out = []
    for agent in team.agents:
        if agent.fte <= 0:
            continue
        s = sums[agent.id]
        used = (
            s["task_hours"]
            + s["signoff_hours"]
            + s["duty_hours"]
            + s["supervision_given_hours"]
            + s["supervision_received_hours"]
        )
        out.append(
            {
                "role": agent.role,
                "staff": agent.staff,
                "fte": agent.fte,
                "headcount": agent.headcount,
                "available_hours": r2(agent.available),
                "task_hours": r2(s["task_hours"]),
                "signoff_hours": r2(s["signoff_hours"]),
                "duty_hours": r2(s["duty_hours"]),
                "supervision_given_hours": r2(s["supervision_given_hours"]),
                "supervision_received_hours": r2(s["supervision_received_hours"]),
                "continuity_hours": r2(s["continuity_hours"]),
                "caseload_points": r2(s["caseload_points"]),
                "caseload_capacity": r2(agent.caseload_points),
                "utilisation": round(used / agent.available, 4) if agent.available > 0 else 0.0,
                "utilisation_target": agent.utilisation_target,
                "target_hours": r2(agent.capacity),
                "utilisation_of_target": (
                    round(used / agent.capacity, 4) if agent.capacity > 0 else 0.0
                ),
            }
        )
    return out
