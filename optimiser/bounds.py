"""Upper bounds on each role's FTE for sizing: plain arithmetic, no solver.

``size`` chooses every role's FTE within ``sizing.min_fte`` / ``max_fte``.  A
role without a ``max_fte`` needs *some* bound for the MILP; it must never
bind at an optimum, or the sizing would not be the least reachable risk.
:func:`useful_max_fte` bounds the FTE beyond which a role can add nothing:

* hours: every task hour, sign-off hour and duty hour the role may do, the
  supervision it could give to every person it may supervise and the
  supervision its own people receive (C1), and, for a role with protected
  continuity, enough FTE that all its non-continuity work fits (C6);
* caseload points of every person it may care-coordinate (C7);
* persons enough to supervise every person it may supervise (C5 caps);

iterated to a fixed point, because how many people a role may have to
supervise depends on the other roles' bounds.  More FTE than that only adds
cost (and people needing supervision), so an optimum never exceeds it; a
margin of :data:`MARGIN_FTE` keeps the bound well clear.

This module imports no solver, so that the benchmark's plain HiGHS baseline
(a process that must never load OR-Tools) uses the very same bounds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from optimiser.demand import Team, build_team, demand_rows
from optimiser.scenario import Sizing

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

#: FTE added to the arithmetic bound so that it never binds by accident
MARGIN_FTE = 2.0
#: a bound no role ever needs (guards the fixed point against divergence)
CEILING_FTE = 10_000.0


def role_team(scenario: Scenario) -> Team:
    """Every role as an FTE-mode agent at 0 FTE (staff scenarios are sized by role)."""
    plain = scenario.model_copy(update={"staff": None, "establishment": {}})
    return build_team(plain, include_roles=frozenset(scenario.roles))


def useful_max_fte(scenario: Scenario, iterations: int = 100) -> dict[str, float]:
    """FTE per role beyond which more of the role cannot lower any shortfall (plus margin).

    Parameters
    ----------
    scenario
        A loaded scenario (FTE or staff mode; roles are what is sized).
    iterations
        Cap on the fixed-point rounds (supervision chains converge in a few).

    Returns
    -------
    dict[str, float]
        A safe ``max_fte`` for every role.
    """
    team = role_team(scenario)
    demand = demand_rows(scenario)
    task_hours: dict[str, float] = defaultdict(float)
    for row in demand:
        task_hours[row.task] += row.hours
    duty = scenario.policies.duty
    work: dict[str, float] = {}
    noncont: dict[str, float] = {}
    points: dict[str, float] = {}
    for agent in team.agents:
        hours = other = 0.0
        for row in demand:
            task = scenario.tasks[row.task]
            if task.competence in agent.competencies and (
                agent.registered or row.tier not in task.registered_for
            ):
                hours += row.hours
                if not task.continuity:
                    other += row.hours
        if agent.registered:
            for task_id, task in scenario.tasks.items():
                if task.signoff_share > 0 and task.competence in agent.competencies:
                    hours += task.signoff_share * task_hours[task_id]
                    other += task.signoff_share * task_hours[task_id]
            if duty is not None and duty.competence in agent.competencies:
                hours += duty.hours_per_week
                other += duty.hours_per_week
        work[agent.id], noncont[agent.id] = hours, other
        pts = 0.0
        if agent.caseload_capacity_per_fte > 0:
            for seg in scenario.cohort:
                if not scenario.tiers[seg.tier].coordination:
                    continue
                registered_only = seg.tier in scenario.policies.coordination_registered_for
                if agent.registered or not registered_only:
                    pts += seg.people * scenario.tiers[seg.tier].caseload_weight
        points[agent.id] = pts

    supervisees: dict[str, list[str]] = defaultdict(list)
    for sub in team.agents:
        if sub.needs_supervision <= 0:
            continue
        for sup in team.agents:
            if sup.role in sub.supervised_by and sup.max_supervisees > 0:
                supervisees[sup.id].append(sub.id)

    bound = {a.id: 0.0 for a in team.agents}
    for _ in range(iterations):
        changed = False
        for agent in team.agents:
            heads = {s: math.ceil(bound[s] - 1e-9) for s in supervisees[agent.id]}
            given = sum(heads[s] * team.by_id[s].needs_supervision for s in heads)
            persons = math.ceil(sum(heads.values()) / agent.max_supervisees) if heads else 0
            per_fte = agent.capacity_per_fte  # C1 fills up to the utilisation target
            need = agent.needs_supervision
            candidates = [float(persons)]
            if work[agent.id] + given > 0:
                if per_fte > need:
                    # C1: work + given + (fte + 1) x need <= fte x per_fte
                    candidates.append((work[agent.id] + given + need) / (per_fte - need))
                else:
                    candidates.append(CEILING_FTE)
            if agent.continuity_share > 0 and noncont[agent.id] > 0:
                room = (1.0 - agent.continuity_share) * agent.available_per_fte
                candidates.append(noncont[agent.id] / room if room > 0 else CEILING_FTE)
            if agent.caseload_capacity_per_fte > 0:
                candidates.append(points[agent.id] / agent.caseload_capacity_per_fte)
            new = min(CEILING_FTE, max(bound[agent.id], *candidates))
            if new > bound[agent.id] + 1e-9:
                bound[agent.id] = new
                changed = True
        if not changed:
            break
    return {role: min(CEILING_FTE, bound[role] + MARGIN_FTE) for role in scenario.roles}


def todays_fte(scenario: Scenario) -> dict[str, float]:
    """Today's FTE by role: the establishment, or the sum over named staff."""
    out = {role: 0.0 for role in scenario.roles}
    if scenario.staff is not None:
        for member in scenario.staff:
            out[member.role] = round(out[member.role] + member.fte, 6)
    else:
        for role, post in (scenario.establishment or {}).items():
            out[role] = post.fte
    return out


def with_todays_floor(scenario: Scenario) -> Scenario:
    """``scenario`` whose ``sizing.min_fte`` is at least today's FTE of every role.

    ``size`` starts from today's team by default: a mobilisation inherits its
    staff, so sizing only adds posts (``--clean-sheet`` skips this).
    """

    sizing = scenario.sizing or Sizing()
    today = todays_fte(scenario)
    min_fte = {
        role: max(sizing.min_fte.get(role, 0.0), today[role])
        for role in scenario.roles
        if max(sizing.min_fte.get(role, 0.0), today[role]) > 0
    }
    max_fte = {role: max(hi, min_fte.get(role, 0.0)) for role, hi in sizing.max_fte.items()}
    update = {"min_fte": min_fte, "max_fte": max_fte}
    return scenario.model_copy(update={"sizing": sizing.model_copy(update=update)})


def with_sizing_bounds(scenario: Scenario) -> Scenario:
    """``scenario`` with an explicit ``sizing.max_fte`` for every role.

    Bounds the user gave are kept; the others come from :func:`useful_max_fte`
    (never below the role's ``min_fte``).
    """

    sizing = scenario.sizing or Sizing()
    useful = useful_max_fte(scenario)
    max_fte = {}
    for role in scenario.roles:
        given = sizing.max_fte.get(role)
        lo = sizing.min_fte.get(role, 0.0)
        max_fte[role] = given if given is not None else max(lo, useful[role])
    return scenario.model_copy(update={"sizing": sizing.model_copy(update={"max_fte": max_fte})})
