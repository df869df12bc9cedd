"""A small MILP wrapper for the caseload model: HiGHS through OR-Tools MathOpt.

Why not :class:`optimiser.model.lp.LinearModel` (pywraplp): the caseload
stages need a MIP start (each stage starts from the previous stage's
solution; ``pywraplp``'s ``SetHint`` crashes with HiGHS in OR-Tools 9.15), the
incumbent and bound when a time limit stops HiGHS (``pywraplp`` reports them as
"unknown"), and HiGHS options.  :mod:`optimiser.caseload` reaches OR-Tools
only through this module.
"""

from __future__ import annotations

import builtins
import datetime
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers import highs_pb2

from optimiser.model.lp import Status

Var = Any  # mathopt.Variable

#: HiGHS options of a relaxation: interior point, then crossover to a vertex (the
#: stage relaxations of a trust-scale instance: 0.74 s against 7.4 s by dual simplex,
#: the same optimum; the vertex rounds as well as the simplex one)
RELAXATION_OPTIONS = {"solver": "ipm", "run_crossover": "on"}


class Sense(enum.Enum):
    """Objective sense."""

    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class Solved:
    """Outcome of one solve: status, objective value, proven bound, variable values."""

    status: Status
    objective: float
    bound: float
    values: dict[Var, float]


class Milp:
    """A HiGHS MILP built row by row (one thread, deterministic).

    Parameters
    ----------
    name
        Model name (messages only).
    """

    def __init__(self, name: str) -> None:
        self.model = mathopt.Model(name=name)
        self._integers: list[Var] = []

    def num(self, lb: float, ub: float, name: str) -> Var:
        """A continuous variable."""
        return self.model.add_variable(lb=lb, ub=ub, name=name)

    def int(self, lb: float, ub: float, name: str) -> Var:  # noqa: A003
        """An integer variable."""
        var = self.model.add_integer_variable(lb=lb, ub=ub, name=name)
        self._integers.append(var)
        return var

    def row(self, lb: float, ub: float, terms: Iterable[tuple[Var, float]], name: str) -> Any:
        """Add ``lb <= sum(coef * var) <= ub`` under a stable name."""
        expr = mathopt.fast_sum(coef * var for var, coef in terms if coef)
        return self.model.add_linear_constraint(lb=lb, ub=ub, expr=expr, name=name)

    def objective(self, terms: Iterable[tuple[Var, float]], sense: Sense) -> None:
        """Replace the objective."""
        expr = mathopt.fast_sum(coef * var for var, coef in terms if coef)
        if sense is Sense.MAX:
            self.model.maximize(expr)
        else:
            self.model.minimize(expr)

    @staticmethod
    def bounds(var: Var) -> tuple[float, float]:
        """A variable's (lower, upper) bounds."""
        return float(var.lower_bound), float(var.upper_bound)

    @staticmethod
    def set_bounds(var: Var, lower: float | None = None, upper: float | None = None) -> None:
        """Set a variable's lower and/or upper bound (``None``: leave it)."""
        if lower is not None:
            var.lower_bound = lower
        if upper is not None:
            var.upper_bound = upper

    @property
    def num_variables(self) -> builtins.int:
        """Number of variables."""
        return int(self.model.get_num_variables())

    @property
    def num_constraints(self) -> builtins.int:
        """Number of rows."""
        return int(self.model.get_num_linear_constraints())

    def solve(
        self,
        variables: Sequence[Var],
        time_limit: float | None = None,
        hint: dict[Var, float] | None = None,
        relax: bool = False,
        heuristics: float | None = None,
    ) -> Solved:
        """Solve (or, with ``relax``, solve the LP relaxation); values of ``variables``.

        HiGHS is deterministic for a given model and start until the time limit binds.
        ``heuristics``: HiGHS ``mip_heuristic_effort`` (default HiGHS' own, 0.05).
        """
        if relax:
            for var in self._integers:
                var.integer = False
        try:
            params = mathopt.SolveParameters(
                time_limit=None if time_limit is None else datetime.timedelta(seconds=time_limit),
                highs=highs_pb2.HighsOptionsProto(
                    double_options={
                        "mip_rel_gap": 0.0,
                        "mip_abs_gap": 1e-6,
                        **({} if heuristics is None else {"mip_heuristic_effort": heuristics}),
                    },
                    int_options={"threads": 1},
                    string_options=RELAXATION_OPTIONS if relax else {},
                ),
            )
            model_params = None
            if hint:
                model_params = mathopt.ModelSolveParameters(
                    solution_hints=[mathopt.SolutionHint(variable_values=hint)]
                )
            result = mathopt.solve(
                self.model, mathopt.SolverType.HIGHS, params=params, model_params=model_params
            )
        finally:
            if relax:
                for var in self._integers:
                    var.integer = True
        reason = result.termination.reason
        if reason == mathopt.TerminationReason.INFEASIBLE:
            return Solved(Status.INFEASIBLE, math.nan, math.nan, {})
        bound = float(result.termination.objective_bounds.dual_bound)
        if not result.has_primal_feasible_solution():
            return Solved(Status.UNKNOWN, math.nan, bound, {})
        values = dict(zip(variables, result.variable_values(list(variables)), strict=True))
        status = Status.OPTIMAL if reason == mathopt.TerminationReason.OPTIMAL else Status.FEASIBLE
        return Solved(status, float(result.objective_value()), bound, values)
