"""Search for the fewest FTE steps of one agent that remove a shortfall.

Shared by the hours and coordination models: their ``k`` variable counts
``fte_step`` increments of one agent (``Flex``); a single "no worse" row keeps
every other requirement's weighted shortfall within its value in the base
plan, so a mitigation never just moves the risk elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optimiser.model.lp import INF, LinearModel, Status

Key = tuple[str, ...]


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
    """

    def __init__(
        self,
        lp: LinearModel,
        slacks: list[tuple[Key, Any, float]],
        k: Any = None,
        head: Any = None,
        headcount: Callable[[int], int] | None = None,
    ) -> None:
        self.lp = lp
        self.slacks = slacks
        self.k = k
        self.head = head
        self.headcount = headcount
        self.row = lp.row(-INF, INF, [(v, w) for _, v, w in slacks], "flex_no_worse")
        self._k_bounds = (k.lb(), k.ub()) if k is not None else None
        self._head_bounds = (head.lb(), head.ub()) if head is not None else None
        #: whether the last ``min_steps`` answer already used the exact headcount rule
        self.exact = False

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
        """Fewest steps (None when no number within the bound removes the targets)."""
        self._restore()
        self._setup(targets, base)
        self.lp.minimise([(self.k, 1.0)])
        if self.lp.solve(time_limit) not in (Status.OPTIMAL, Status.FEASIBLE):
            return None
        steps = int(round(self.k.solution_value()))
        self.exact = (
            self.head is None
            or self.headcount is None
            or int(round(self.head.solution_value())) == self.headcount(steps)
        )
        return steps

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
