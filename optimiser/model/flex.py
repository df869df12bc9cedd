"""Search for the fewest FTE steps of one agent that remove a shortfall.

Shared by the hours and coordination models: their ``k`` variable counts
``fte_step`` increments of one agent (``Flex``); a single "no worse" row keeps
every other requirement's weighted shortfall within its value in the base
plan, so a mitigation never just moves the risk elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimiser.model.lp import INF, LinearModel, Status

if TYPE_CHECKING:
    from optimiser.demand import Team

Key = tuple[str, ...]


@dataclass(frozen=True)
class Flex:
    """Let one agent's FTE grow in steps (mitigations) or be chosen (sizing).

    ``fte = agent.fte + step * k`` with ``min_steps <= k <= max_steps``; the
    headcount follows ``max(agent.headcount, ceil(fte))``.  ``person``: a single
    new person (staff mode), who never supervises themselves.
    """

    agent: str
    step: float
    max_steps: int
    person: bool = False
    min_steps: int = 0


class FlexVars:
    """Step and headcount variables of the flexible agents, on one model."""

    def __init__(self, lp: LinearModel, team: Team, flexes: tuple[Flex, ...]) -> None:
        self.flex: dict[str, Flex] = {}
        self.k: dict[str, Any] = {}
        self.head: dict[str, Any] = {}
        for f in flexes:
            agent = team.by_id[f.agent]
            k = lp.integer(f.min_steps, f.max_steps, f"flex_steps_{f.agent}")
            max_head = agent.headcount + math.ceil(f.step * f.max_steps) + 1
            head = lp.integer(agent.headcount, max_head, f"flex_headcount_{f.agent}")
            # headcount = max(headcount0, ceil(fte)): H - step*k >= fte0, and H stays
            # below fte + 1 when the headcount was the default ceil(fte)
            default = agent.headcount <= math.ceil(agent.fte - 1e-9)
            # (1e-3, not 1e-6: HiGHS' MIP feasibility tolerance is 1e-6)
            ub = agent.fte + 1 - 1e-3 if default else INF
            lp.row(agent.fte, ub, [(head, 1.0), (k, -f.step)], f"flex_headcount_{f.agent}")
            self.flex[f.agent] = f
            self.k[f.agent] = k
            self.head[f.agent] = head

    def __contains__(self, agent_id: str) -> bool:
        return agent_id in self.flex

    def is_person(self, agent_id: str) -> bool:
        """Whether the flexible agent is one new person."""
        return agent_id in self.flex and self.flex[agent_id].person


class FlexSearch:
    """Fewest steps of a flex agent that zero target shortfalls.

    Parameters
    ----------
    lp
        The model (with its flex variable ``k``).
    slacks
        ``(key, var, weight)`` of every soft requirement.
    k, head
        The step count and (hours model) headcount variables.
    headcount
        Headcount for a given step count (``max(h0, ceil(fte))``), to check an
        answer with the headcount rule applied exactly.
    cost_terms
        The model's level-2 objective, for :meth:`replan`.
    """

    def __init__(
        self,
        lp: LinearModel,
        slacks: list[tuple[Key, Any, float]],
        k: Any = None,
        head: Any = None,
        headcount: Callable[[int], int] | None = None,
        cost_terms: list[tuple[Any, float]] | None = None,
    ) -> None:
        self.lp = lp
        self.slacks = slacks
        self.k = k
        self.head = head
        self.headcount = headcount
        self.cost_terms = cost_terms or []
        self.row = lp.row(-INF, INF, [(v, w) for _, v, w in slacks], "flex_no_worse")
        self.lexi = lp.row(-INF, INF, [(v, w) for _, v, w in slacks], "flex_lexicographic")
        self._k_bounds = (k.lb(), k.ub()) if k is not None else None
        self._head_bounds = (head.lb(), head.ub()) if head is not None else None

    def _setup(self, targets: set[Key], base: dict[Key, float]) -> None:
        others = sum(w * base.get(key, 0.0) for key, _, w in self.slacks if key not in targets)
        self.row.SetBounds(-INF, others + 1e-6 * max(1.0, others))
        for key, var, _ in self.slacks:
            var.SetBounds(0.0, 0.0 if key in targets else INF)

    def _restore(self) -> None:
        if self.k is not None and self._k_bounds is not None:
            self.k.SetBounds(*self._k_bounds)
        if self.head is not None and self._head_bounds is not None:
            self.head.SetBounds(*self._head_bounds)

    def min_steps(
        self, targets: set[Key], base: dict[Key, float], time_limit: float | None = None
    ) -> int | None:
        """A lower bound on the steps that remove the targets with no other
        requirement worse in total: the LP relaxation's optimum, rounded up (None
        when even the relaxation cannot remove them within the bound)."""
        self._restore()
        self._setup(targets, base)
        self.lp.minimise([(self.k, 1.0)])
        if self.lp.solve_relaxation(time_limit) is not Status.OPTIMAL:
            return None
        return max(0, math.ceil(self.k.solution_value() - 1e-6))

    def replan(self, steps: int, time_limit: float | None = None) -> dict[Key, float] | None:
        """Re-plan with exactly ``steps`` steps (headcount by the rule), as ``solve``
        does: least penalty, then least cost at that penalty.  Returns every
        requirement's shortfall (None if the solver gave no answer)."""
        self.row.SetBounds(-INF, INF)
        self.lexi.SetBounds(-INF, INF)
        for _, var, _ in self.slacks:
            var.SetBounds(0.0, INF)
        self.k.SetBounds(steps, steps)
        if self.head is not None and self.headcount is not None:
            h = self.headcount(steps)
            self.head.SetBounds(h, h)
        out = None
        self.lp.minimise([(v, w) for _, v, w in self.slacks])
        if self.lp.solve(time_limit) in (Status.OPTIMAL, Status.FEASIBLE):
            best = self.lp.objective_value()
            self.lexi.SetBounds(-INF, best + 1e-7 * max(1.0, abs(best)) + 1e-7)
            self.lp.minimise(self.cost_terms)
            if self.lp.solve(time_limit) in (Status.OPTIMAL, Status.FEASIBLE):
                out = {key: var.solution_value() for key, var, _ in self.slacks}
        self.lexi.SetBounds(-INF, INF)
        self._restore()
        return out

    def removable(
        self, targets: set[Key], base: dict[Key, float], time_limit: float | None = None
    ) -> bool:
        """Whether the model as built (no flex) can zero the targets, others no worse."""
        self._setup(targets, base)
        self.lp.minimise([])
        return self.lp.solve(time_limit) is not Status.INFEASIBLE

    def holds(
        self, targets: set[Key], base: dict[Key, float], steps: int, time_limit: float | None = None
    ) -> bool:
        """Whether exactly ``steps`` steps (headcount by the rule) remove the targets."""
        self._setup(targets, base)
        self.k.SetBounds(steps, steps)
        if self.head is not None and self.headcount is not None:
            h = self.headcount(steps)
            self.head.SetBounds(h, h)
        self.lp.minimise([])
        ok = self.lp.solve(time_limit) is not Status.INFEASIBLE
        self._restore()
        return ok
