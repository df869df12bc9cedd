"""``solve(scenario, params) -> Plan``: the plan of one team and its derived register.

The first stage of the pipeline (:mod:`optimiser.pipeline`): both models are
solved, their values rounded into the rows of PLAN.md, and the shortfall rows
and register entries derived from those rows (:func:`optimiser.risks.register`).
Nothing here re-optimises; the re-optimising stages (mitigations, sign-off
expiry, the mitigation package, sizing, resilience) live in
:mod:`optimiser.whatif` and call :func:`solve` or :func:`solve_values` on
changed scenarios or teams.  No solver object leaves this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from optimiser.demand import DemandRow, Team, build_team, demand_rows
from optimiser.model.conflict import minimal_conflicts
from optimiser.model.coordination import CoordinationModel, CoordinationSolution
from optimiser.model.hours import HoursModel, HoursSolution, ModelOptions
from optimiser.model.lp import HighsOptions
from optimiser.plan import Plan, plan_rows, r2
from optimiser.risks import conflict_risks, register
from optimiser.status import Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


@dataclass(frozen=True)
class SolveParams:
    """Options of one solve.

    Parameters
    ----------
    strict
        Make every soft constraint hard; an infeasible plan reports a minimal
        set of requirements that cannot hold together.
    time_limit
        Seconds per solver call (``None``: prove optimality).
    workers
        HiGHS ``threads`` of the plan's solves (default 1: on these small MILPs
        more threads cost more than they bring).
    seed
        HiGHS ``random_seed`` of the plan's solves (HiGHS is deterministic for a
        given seed; another seed may pick another of several equal optima).
    mitigations
        Compute costed mitigations for every risk by re-optimising.
    expiry_risks
        Staff mode: re-plan each sign-off lapsing within 90 days for
        ``signoff_expiry`` risks (what-if loops that re-plan many variants
        turn this off).
    progress
        Progress bars on stderr for the stages that can take more than a
        second (mitigations, the mitigation package).
    """

    strict: bool = False
    time_limit: float | None = None
    workers: int = 1
    seed: int = 0
    mitigations: bool = True
    expiry_risks: bool = True
    progress: bool = False

    def highs(self) -> HighsOptions:
        """The HiGHS options of these parameters (the one place they are made)."""
        return HighsOptions(threads=self.workers, random_seed=self.seed)

    def __post_init__(self) -> None:
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError("time_limit must be > 0")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")


@dataclass
class Values:
    """Solver values of both models for one team (before rounding)."""

    team: Team
    hours: HoursSolution
    coordination: CoordinationSolution

    @property
    def status(self) -> Status:
        statuses = {self.hours.status, self.coordination.status}
        for s in (Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE):
            if s in statuses:
                return s
        return Status.OPTIMAL

    @property
    def penalty(self) -> float:
        return self.hours.penalty + self.coordination.penalty

    @property
    def slacks(self) -> dict[tuple[str, ...], float]:
        return {**self.hours.slacks, **self.coordination.slacks}


def solve_values(
    scenario: Scenario,
    params: SolveParams,
    team: Team | None = None,
    parts: tuple[str, ...] = ("hours", "coordination"),
    demand: list[DemandRow] | None = None,
) -> Values:
    """Solve the hours and coordination models of ``scenario`` (no rounding, no risks).

    ``parts`` skips a model whose answer is not needed (what-ifs that touch only
    one of them); a skipped model reports an empty optimal solution.  ``demand``:
    the scenario's demand rows when the caller has them already.
    """
    team = team if team is not None else build_team(scenario)
    if "hours" in parts:
        demand = demand if demand is not None else demand_rows(scenario)
        options = ModelOptions(strict=params.strict, highs=params.highs())
        hours = HoursModel(scenario, team, demand, options).solve(params.time_limit)
    else:
        hours = HoursSolution(Status.OPTIMAL, 0.0, 0.0, [], {}, {}, {}, {})
    if "coordination" in parts:
        coordination = CoordinationModel(
            scenario, team, strict=params.strict, highs=params.highs()
        ).solve(params.time_limit)
    else:
        coordination = CoordinationSolution(Status.OPTIMAL, 0.0, 0.0, {}, {})
    return Values(team, hours, coordination)


def solve(scenario: Scenario, params: SolveParams | None = None) -> Plan:
    """Plan the team of ``scenario``: allocation, shortfall rows and register entries
    (without mitigations: :func:`optimiser.whatif.assess.assess` adds them).

    Parameters
    ----------
    scenario
        A loaded scenario.
    params
        Solve options; defaults to :class:`SolveParams()`.

    Returns
    -------
    Plan
        The rounded plan rows and the workforce risk register.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    demand = demand_rows(scenario)
    values = solve_values(scenario, params, demand=demand)
    team = values.team
    if values.status is Status.INFEASIBLE and params.strict:
        conflicts = minimal_conflicts(scenario, team, demand, params.time_limit)
        plan = _plan(scenario, params, values, demand, started, infeasible=True)
        plan.risks = conflict_risks(scenario, team, demand, conflicts)
        return plan
    plan = _plan(scenario, params, values, demand, started)
    plan.risks, plan.shortfall_rows = register(scenario, team, demand, plan, values.slacks)
    plan.solve_seconds = round(time.perf_counter() - started, 3)
    return plan


def _plan(
    scenario: Scenario,
    params: SolveParams,
    values: Values,
    demand,
    started: float,
    infeasible: bool = False,
) -> Plan:
    team = values.team
    if infeasible:
        rows = plan_rows(scenario, team, demand, [], {}, {}, {}, {}, {})
        rows["demand"] = rows["demand"]
        status = Status.INFEASIBLE
    else:
        h, c = values.hours, values.coordination
        rows = plan_rows(
            scenario,
            team,
            demand,
            h.allocation,
            h.signoff,
            h.duty,
            h.supervision,
            c.people,
            values.slacks,
        )
        status = values.status
    by_role: dict[str, float] = {}
    for agent in team.agents:
        by_role[agent.role] = by_role.get(agent.role, 0.0) + agent.annual_cost
    return Plan(
        scenario=scenario.name,
        mode=team.mode,
        strict=params.strict,
        status=status,
        solve_seconds=round(time.perf_counter() - started, 3),
        objective={  # None for an infeasible strict plan
            "risk_penalty": r2(values.penalty) if not infeasible else None,
            "cost_tiebreak": r2(values.hours.cost + values.coordination.cost)
            if not infeasible
            else None,
        },
        cost={
            "annual_total": r2(sum(by_role.values())),
            "by_role": {k: r2(v) for k, v in by_role.items()},
        },
        shortfalls=values.slacks,
        model_size={
            "hours_variables": values.hours.num_variables,
            "hours_constraints": values.hours.num_constraints,
        },
        **rows,
    )
