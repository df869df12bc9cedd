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
from optimiser.model.hours import HoursModel, ModelOptions
from optimiser.model.lp import INF, HighsOptions, LinearModel, Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


#: HiGHS options of every sizing solve: a proven optimum (OR-Tools does not pass
#: its own gap on to HiGHS, which would stop at 1e-4, up to a hundred pounds off
#: on a million), no presolve (a few hundred columns: its restarts cost more than
#: they save) and little time on primal heuristics
SIZING_HIGHS = HighsOptions(
    mip_feasibility_tolerance=1e-7, presolve=False, mip_heuristic_effort=0.01
)
#: a retry when a solve ends in a solver error (HiGHS flags an "optimal" point
#: with a 1e-6 row violation as an error; presolve avoids it)
FALLBACK_HIGHS = HighsOptions(mip_feasibility_tolerance=1e-7)
#: per-step cost perturbation (GBP a year) of role i: ``TIE_BREAK * sqrt(2 + i)``
TIE_BREAK = 1e-3
#: relative and absolute slack on the level-1 penalty when minimising cost
PENALTY_RTOL = 1e-7
PENALTY_ATOL = 1e-5


@dataclass(frozen=True)
class SizingBounds:
    """FTE steps allowed per role."""

    step: float
    min_steps: dict[str, int]
    max_steps: dict[str, int]


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
        self.lp = LinearModel("sizing", SIZING_HIGHS)
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

    def relax_coordination(self) -> None:
        """Make the care-coordination counts ``y[segment, role]`` continuous (the
        relaxation sizing solves first; see :mod:`optimiser.whatif.sizing`)."""
        self.lp.relax(self.coordination.y.values())

    def solve(
        self, time_limit: float | None = None, try_zero: bool = True
    ) -> tuple[Status, float, float]:
        """Level 1 (least penalty), then level 2 (least cost); returns status, penalty, cost.

        With ``try_zero``, first the least cost with every shortfall at 0: when
        that is feasible it is the lexicographic optimum (level 1 is 0).  The
        level-2 objective carries :data:`TIE_BREAK` (see the module docstring);
        the cost returned is the true one.  A solve that ends in a solver error
        is retried once with :data:`FALLBACK_HIGHS`.
        """
        lp = self.lp
        objective = [
            (var, cost + TIE_BREAK * math.sqrt(2 + i))
            for i, (var, cost) in enumerate(self.cost_terms)
        ]

        def run() -> Status:
            status = lp.solve(time_limit)
            if status is Status.UNKNOWN and time_limit is None:
                lp.set_highs(FALLBACK_HIGHS)
                status = lp.solve(time_limit)
                lp.set_highs(SIZING_HIGHS)
            return status

        if try_zero:
            # most teams can be sized risk-free: try penalty 0 first (every shortfall
            # fixed at 0, least cost); only if that is infeasible is level 1 needed
            slacks = [var for var, _ in self.penalty_terms()]
            saved = [(var.lb(), var.ub()) for var in slacks]
            for var in slacks:
                var.SetBounds(0.0, 0.0)
            lp.minimise(objective)
            status = run()
            if status in (Status.OPTIMAL, Status.FEASIBLE):
                return status, 0.0, self._cost()
            for var, (lo, hi) in zip(slacks, saved, strict=True):
                var.SetBounds(lo, hi)

        lp.minimise(self.penalty_terms())
        status = run()
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            return status, math.nan, math.nan
        best = lp.objective_value()
        cap = lp.row(
            -INF,
            best + PENALTY_RTOL * max(1.0, abs(best)) + PENALTY_ATOL,
            self.penalty_terms(),
            "lexicographic_penalty",
        )
        lp.minimise(objective)
        status2 = run()
        if status2 not in (Status.OPTIMAL, Status.FEASIBLE):
            # numerically stuck at the tolerance: widen it once, then give up on level 2
            cap.SetBounds(-INF, best + 1e-4 * max(1.0, abs(best)) + 1e-3)
            status2 = run()
            if status2 not in (Status.OPTIMAL, Status.FEASIBLE):  # pragma: no cover - defensive
                cap.SetBounds(-INF, INF)
                lp.minimise(self.penalty_terms())
                lp.solve(time_limit)
                status2 = Status.FEASIBLE
        final = Status.OPTIMAL if status is status2 is Status.OPTIMAL else Status.FEASIBLE
        penalty = sum(v.solution_value() * w for v, w in self.penalty_terms())
        return final, penalty, self._cost()

    def _cost(self) -> float:
        return sum(round(v.solution_value()) * c for v, c in self.cost_terms)

    def chosen(self) -> tuple[dict[str, float], dict[str, int]]:
        """The FTE (whole steps) and headcount ``ceil(fte)`` of every role at the solution."""
        step = self.bounds.step
        fte = {
            r: round(step * round(self.flexvars.k[r].solution_value()), 6)
            for r in self.scenario.roles
        }
        head = {r: math.ceil(f - 1e-9) for r, f in fte.items()}
        return fte, head
