"""The task analysis as arithmetic: cohort x tasks -> hours, and the team as agents.

Everything here is plain data derived from a :class:`~optimiser.scenario.Scenario`;
nothing imports a solver.  ``who`` in the model is an :class:`Agent`: a role
in FTE mode (``headcount`` persons sharing ``fte``), a named person in staff
mode (``headcount`` 1).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimiser.scenario import Scenario, Segment, Task


@dataclass(frozen=True)
class DemandRow:
    """Hours a week of one task for one cohort segment."""

    task: str
    segment: str
    tier: str
    stage: str
    people: int
    hours: float


@dataclass(frozen=True)
class Agent:
    """A role (FTE mode) or a named person (staff mode) the model gives work to."""

    id: str
    role: str
    staff: str | None
    fte: float
    headcount: int
    available: float
    available_per_fte: float
    registered: bool
    competencies: frozenset[str]
    annual_cost_per_fte: float
    caseload_capacity_per_fte: float
    continuity_share: float
    needs_supervision: float
    supervised_by: tuple[str, ...]
    max_supervisees: int
    locality: str | None = None
    utilisation_target: float = 1.0

    @property
    def capacity(self) -> float:
        """Hours a week the plan may fill (C1): ``utilisation_target x available``."""
        return self.utilisation_target * self.available

    @property
    def capacity_per_fte(self) -> float:
        """C1 capacity of 1.0 FTE: ``utilisation_target x available_per_fte``."""
        return self.utilisation_target * self.available_per_fte

    @property
    def cost_per_hour(self) -> float:
        """Cost of one available hour a week of this agent's role (for the tie-break)."""
        if self.available_per_fte <= 0:
            return 0.0
        return self.annual_cost_per_fte / self.available_per_fte

    @property
    def caseload_points(self) -> float:
        """Weighted caseload points this agent can care-coordinate (C7 cap)."""
        return self.caseload_capacity_per_fte * self.fte

    @property
    def annual_cost(self) -> float:
        """Annual cost of this agent's FTE."""
        return self.annual_cost_per_fte * self.fte


@dataclass(frozen=True)
class Team:
    """The agents of a scenario, in a stable order, with lookups."""

    mode: str
    agents: tuple[Agent, ...]
    by_id: dict[str, Agent] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, mode: str, agents: list[Agent]) -> Team:
        """Build a team with its id lookup."""
        return cls(mode=mode, agents=tuple(agents), by_id={a.id: a for a in agents})

    def holders(self, competence: str, registered_only: bool = False) -> list[Agent]:
        """Agents with capacity who hold ``competence`` (registered ones if asked)."""
        return [
            a
            for a in self.agents
            if a.fte > 0 and competence in a.competencies and (a.registered or not registered_only)
        ]


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic: the same day ``months`` later, clamped to month end
    (and to the calendar's ends: a sign-off valid past 9999 never expires)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def signoff_valid(signed: date, valid_months: int, on: date) -> bool:
    """Whether a sign-off dated ``signed`` is valid on ``on`` (end exclusive)."""
    return signed <= on < add_months(signed, valid_months)


def task_applies(task: Task, segment: Segment) -> bool:
    """Whether a task is needed for a segment: tier listed, stage not excluded."""
    if segment.tier not in task.frequency:
        return False
    if task.stages is None:
        return True
    return segment.stage in task.stages


def demand_rows(scenario: Scenario) -> list[DemandRow]:
    """``people x per_week x hours`` for every task and segment that needs it.

    Rows with zero demand (no people, tier not listed, stage excluded) are left
    out.  Order: tasks in file order, then segments in cohort order.
    """
    rows: list[DemandRow] = []
    for task_id, task in scenario.tasks.items():
        for segment in scenario.cohort:
            if segment.people <= 0 or not task_applies(task, segment):
                continue
            hours = segment.people * task.frequency[segment.tier].rate * task.hours
            if hours > 0:
                rows.append(
                    DemandRow(
                        task_id, segment.id, segment.tier, segment.stage, segment.people, hours
                    )
                )
    return rows


def _role_agent(
    scenario: Scenario,
    role_id: str,
    agent_id: str,
    staff: str | None,
    fte: float,
    headcount: int,
    competencies: frozenset[str],
    locality: str | None = None,
) -> Agent:
    role = scenario.roles[role_id]
    sup = role.supervision
    per_fte = scenario.available_hours(role_id, 1.0)
    return Agent(
        id=agent_id,
        role=role_id,
        staff=staff,
        fte=fte,
        headcount=headcount,
        available=per_fte * fte,
        available_per_fte=per_fte,
        registered=role.registered,
        competencies=competencies,
        annual_cost_per_fte=role.annual_cost,
        caseload_capacity_per_fte=role.caseload_capacity,
        continuity_share=role.protected_continuity_share,
        needs_supervision=sup.needs_hours_per_week if sup else 0.0,
        supervised_by=tuple(sup.supervised_by) if sup else (),
        max_supervisees=sup.max_supervisees if sup else 0,
        locality=locality,
        utilisation_target=scenario.utilisation_target(role_id),
    )


def competence_intervals(
    scenario: Scenario, role_id: str, signoffs: dict[str, date]
) -> dict[str, tuple[date, date]]:
    """When a named person holds each competency: ``[from, until)`` (SCENARIO.md).

    The role's competencies without ``signoff_valid_months`` are held always
    (``date.min`` to ``date.max``); a sign-off dated d of a competency with
    ``signoff_valid_months`` m is valid from d until d + m months (exclusive);
    one without such a rule (extended scope) from d on. The one sign-off
    validity rule: :func:`person_competencies` and the review of delivered work
    both read it.
    """
    out: dict[str, tuple[date, date]] = {
        c: (date.min, date.max)
        for c in scenario.roles[role_id].competencies
        if scenario.competencies[c].signoff_valid_months is None
    }
    for comp, signed in signoffs.items():
        months = scenario.competencies[comp].signoff_valid_months
        if months is None:
            if comp not in out:
                out[comp] = (signed, date.max)
        else:
            out[comp] = (signed, add_months(signed, months))
    return out


def person_competencies(
    scenario: Scenario, role_id: str, signoffs: dict[str, date]
) -> frozenset[str]:
    """A named person's competencies on ``plan_date`` (SCENARIO.md, staff mode)."""
    on = scenario.plan_date
    return frozenset(
        c
        for c, (start, until) in competence_intervals(scenario, role_id, signoffs).items()
        if start <= on < until
    )


def build_team(scenario: Scenario, include_roles: frozenset[str] = frozenset()) -> Team:
    """The agents of a scenario.

    FTE mode: one agent per role with FTE > 0 (plus any role in
    ``include_roles``, even at 0 FTE, so that what-if models can grow it),
    in the order of ``roles``.  Staff mode: one agent per person, in file order.
    """
    if scenario.staff is not None:
        agents = [
            _role_agent(
                scenario,
                m.role,
                m.id,
                m.id,
                m.fte,
                1,
                person_competencies(scenario, m.role, dict(m.signoffs)),
                m.locality,
            )
            for m in scenario.staff
        ]
        return Team.of("staff", agents)
    establishment = scenario.establishment or {}
    agents = []
    for role_id, role in scenario.roles.items():
        post = establishment.get(role_id)
        fte = post.fte if post else 0.0
        headcount = post.headcount if post else 0
        if fte <= 0 and role_id not in include_roles:
            continue
        agents.append(
            _role_agent(
                scenario, role_id, role_id, None, fte, headcount, frozenset(role.competencies)
            )
        )
    return Team.of("fte", agents)


def with_fte(agent: Agent, fte: float, headcount: int | None = None) -> Agent:
    """The same agent at another FTE (headcount default: at least ``ceil(fte)``)."""
    if headcount is None:
        headcount = max(agent.headcount, math.ceil(fte - 1e-9))
    return replace(agent, fte=fte, headcount=headcount, available=agent.available_per_fte * fte)


def new_recruit(scenario: Scenario, role_id: str) -> Agent:
    """A vacancy of ``role_id`` at 0 FTE (staff-mode what-ifs): a new starter holds
    the role's whole scope, signed off on arrival."""
    role = scenario.roles[role_id]
    return _role_agent(
        scenario, role_id, f"new {role_id}", None, 0.0, 0, frozenset(role.competencies)
    )
