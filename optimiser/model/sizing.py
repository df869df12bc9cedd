"""The sizing model: choose every role's FTE (in ``fte_step`` steps) jointly.

One HiGHS MILP holds the hours model and the coordination model on a shared
set of flex variables (``k[role]`` steps, ``H[role] = ceil(step x k)``
persons).  Level 1 minimises the risk penalty any establishment within the
bounds can reach; level 2 the annual cost of the establishment at that
penalty.  Under a budget, the cost row bounds level 1 as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimiser.bounds import useful_max_fte
from optimiser.demand import DemandRow, Team, build_team, demand_rows
from optimiser.model.coordination import CoordinationModel
from optimiser.model.flex import Flex, FlexVars
from optimiser.model.hours import HoursModel, Key, ModelOptions
from optimiser.model.lp import INF, LinearModel, Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


@dataclass(frozen=True)
class SizingBounds:
    """FTE steps allowed per role."""

    step: float
    min_steps: dict[str, int]
    max_steps: dict[str, int]


@dataclass
class SizingResult:
    """Outcome of a sizing solve."""

    status: Status
    penalty: float
    cost: float
    fte: dict[str, float]
    headcount: dict[str, int]
    slacks: dict[Key, float]
    bounds: SizingBounds


def sizing_team(scenario: Scenario) -> Team:
    """Every role as an FTE-mode agent at 0 FTE (staff scenarios are sized by role too)."""
    plain = scenario.model_copy(update={"staff": None, "establishment": {}})
    team = build_team(plain, include_roles=frozenset(scenario.roles))
    return team


def sizing_bounds(scenario: Scenario, team: Team, demand: list[DemandRow]) -> SizingBounds:
    """Steps per role from ``sizing.min_fte`` / ``max_fte`` (or the hand bound)."""
    sizing = scenario.sizing
    step = sizing.fte_step if sizing else 0.1
    min_fte = sizing.min_fte if sizing else {}
    max_fte = sizing.max_fte if sizing else {}
    # a role without max_fte: the FTE beyond which it can add nothing (plain
    # arithmetic shared with the benchmark baseline, which must not load OR-Tools)

    useful = useful_max_fte(scenario) if any(r not in max_fte for r in scenario.roles) else {}
    min_steps, max_steps = {}, {}
    for role_id in scenario.roles:
        lo = min_fte.get(role_id, 0.0)
        hi = max_fte.get(role_id)
        if hi is None:
            hi = max(lo, useful[role_id])
        min_steps[role_id] = math.ceil(lo / step - 1e-9)
        max_steps[role_id] = max(min_steps[role_id], math.floor(hi / step + 1e-9))
    return SizingBounds(step, min_steps, max_steps)


def add_registered_share(m: SizingModel) -> None:
    """``registered_share[team]``: registered FTE >= ``registered_share_min`` x all FTE.

    With FTE = step x k[r]: sum over roles of (registered(r) - share) x k[r] >= 0.
    """
    share = m.scenario.policies.registered_share_min
    if not share:
        return
    terms = [
        (m.flexvars.k[r], (1.0 if role.registered else 0.0) - share)
        for r, role in m.scenario.roles.items()
    ]
    m.lp.row(-1e-9, INF, terms, "registered_share")


class SizingModel:
    """Hours and coordination on one model, every role's FTE a decision."""

    def __init__(self, scenario: Scenario, budget: float | None = None) -> None:
        self.scenario = scenario
        self.team = sizing_team(scenario)
        demand = demand_rows(scenario)
        self.bounds = sizing_bounds(scenario, self.team, demand)
        self.lp = LinearModel("sizing")
        flexes = tuple(
            Flex(r, self.bounds.step, self.bounds.max_steps[r], min_steps=self.bounds.min_steps[r])
            for r in scenario.roles
        )
        self.flexvars = FlexVars(self.lp, self.team, flexes)
        self.hours = HoursModel(
            scenario, self.team, demand, ModelOptions(), lp=self.lp, flexvars=self.flexvars
        )
        self.coordination = CoordinationModel(
            scenario, self.team, lp=self.lp, flexvars=self.flexvars
        )
        self.cost_terms = [
            (self.flexvars.k[r], self.bounds.step * role.annual_cost)
            for r, role in scenario.roles.items()
        ]
        if budget is not None:
            self.lp.row(-INF, budget + 1e-6, self.cost_terms, "budget")
        add_registered_share(self)

    def penalty_terms(self) -> list[tuple[Any, float]]:
        """Level 1: the risk penalty of hours and coordination together."""
        return self.hours.penalty_terms() + self.coordination.penalty_terms()

    def solve(self, time_limit: float | None = None) -> SizingResult:
        """Least reachable penalty, then least establishment cost."""
        self.lp.minimise(self.penalty_terms())
        status = self.lp.solve(time_limit)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            return SizingResult(status, 0.0, 0.0, {}, {}, {}, self.bounds)
        best = self.lp.objective_value()
        self.lp.row(
            -INF, best + 1e-7 * max(1.0, best) + 1e-6, self.penalty_terms(), "lexicographic_penalty"
        )
        self.lp.minimise(self.cost_terms)
        status2 = self.lp.solve(time_limit)
        if Status.FEASIBLE in (status, status2) or status2 is not Status.OPTIMAL:
            status = Status.FEASIBLE if status2 in (Status.OPTIMAL, Status.FEASIBLE) else status2
        fte = {
            r: round(self.bounds.step * round(self.flexvars.k[r].solution_value()), 6)
            for r in self.scenario.roles
        }
        head = {r: int(round(self.flexvars.head[r].solution_value())) for r in self.scenario.roles}
        slacks = self.hours.segment_slacks()
        slacks.update({key: var.solution_value() for key, var, _ in self.coordination.slacks})
        penalty = sum(v.solution_value() * w for v, w in self.penalty_terms())
        cost = sum(v.solution_value() * c for v, c in self.cost_terms)
        return SizingResult(status, penalty, cost, fte, head, slacks, self.bounds)
