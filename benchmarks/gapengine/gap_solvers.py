"""Solver calls of the GAP engine: HiGHS (LP, MIP) through MathOpt, CP-SAT sub-models.

Every function takes the engine's internal minimisation form: integer-or-float
``costs`` and ``weights`` (m x n), ``capacities`` (m), a boolean ``allowed``
mask (m x n) and, optionally, ``uncapacitated`` agents whose capacity row is
left out (the "unassigned" pseudo-agent).  Assignments are NumPy arrays giving
the agent of every job.
"""

from __future__ import annotations

import datetime
import math
import threading
from dataclasses import dataclass

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers import highs_pb2
from ortools.sat.python import cp_model

__all__ = ["CpInterrupt", "LpResult", "MipResult", "solve_cpsat", "solve_lp", "solve_mip"]


@dataclass(frozen=True)
class LpResult:
    """LP relaxation: bound, reduced costs (m x n, +inf where not allowed), x values."""

    feasible: bool
    bound: float
    reduced_costs: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class MipResult:
    """A MIP solve: ``proved`` means optimal or (with a cutoff) nothing better exists."""

    assignment: np.ndarray | None
    objective: float
    bound: float
    proved: bool
    infeasible: bool


class CpInterrupt:
    """Lets another thread stop the CP-SAT solve in progress (and any later one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._solver: cp_model.CpSolver | None = None
        self.fired = False

    def attach(self, solver: cp_model.CpSolver | None) -> None:
        with self._lock:
            self._solver = solver

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._solver is not None:
                self._solver.stop_search()


@dataclass
class _Highs:
    model: mathopt.Model
    x: dict[tuple[int, int], mathopt.Variable]


def _build_highs(
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    allowed: np.ndarray,
    capacitated: np.ndarray,
    integer: bool,
) -> _Highs:
    m, n = costs.shape
    model = mathopt.Model(name="gap")
    pairs = [(int(i), int(j)) for i, j in zip(*np.nonzero(allowed), strict=True)]
    if integer:
        x = {p: model.add_binary_variable(name=f"x_{p[0]}_{p[1]}") for p in pairs}
    else:
        x = {p: model.add_variable(lb=0.0, ub=1.0, name=f"x_{p[0]}_{p[1]}") for p in pairs}
    by_job: list[list[mathopt.Variable]] = [[] for _ in range(n)]
    by_agent: list[list[tuple[float, mathopt.Variable]]] = [[] for _ in range(m)]
    for (i, j), var in x.items():
        by_job[j].append(var)
        by_agent[i].append((float(weights[i, j]), var))
    for j in range(n):  # gap_assign_j: every job to exactly one agent
        model.add_linear_constraint(mathopt.fast_sum(by_job[j]) == 1.0, name=f"gap_assign_{j}")
    for i in range(m):  # gap_capacity_i: weighted load within capacity
        if capacitated[i] and by_agent[i]:
            expr = mathopt.fast_sum(coef * var for coef, var in by_agent[i])
            model.add_linear_constraint(expr <= float(capacities[i]), name=f"gap_capacity_{i}")
    model.minimize(mathopt.fast_sum(float(costs[i, j]) * var for (i, j), var in x.items()))
    return _Highs(model, x)


def solve_lp(
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    allowed: np.ndarray,
    capacitated: np.ndarray,
) -> LpResult:
    """Solve the LP relaxation with HiGHS (deterministic, no limit needed at these sizes)."""
    h = _build_highs(costs, weights, capacities, allowed, capacitated, integer=False)
    result = mathopt.solve(h.model, mathopt.SolverType.HIGHS)
    m, n = costs.shape
    reduced = np.full((m, n), np.inf)
    values = np.zeros((m, n))
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return LpResult(False, math.inf, reduced, values)
    rc = result.reduced_costs()
    xv = result.variable_values()
    for (i, j), var in h.x.items():
        reduced[i, j] = rc[var]
        values[i, j] = xv[var]
    return LpResult(True, float(result.objective_value()), reduced, values)


def solve_mip(
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    allowed: np.ndarray,
    capacitated: np.ndarray,
    time_limit: float,
    cutoff: float | None = None,
    seed: int = 0,
) -> MipResult:
    """Branch and cut with HiGHS (one thread; deterministic until the time limit binds).

    ``cutoff`` asks only for solutions of cost at most ``cutoff``; then
    "infeasible" means that no such solution exists (``proved`` is set).
    """
    h = _build_highs(costs, weights, capacities, allowed, capacitated, integer=True)
    double_options = {"mip_rel_gap": 0.0, "mip_abs_gap": 1e-6}
    if cutoff is not None:
        double_options["objective_bound"] = float(cutoff)
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=max(time_limit, 0.01)),
        random_seed=seed,
        highs=highs_pb2.HighsOptionsProto(
            double_options=double_options, int_options={"threads": 1}
        ),
    )
    result = mathopt.solve(h.model, mathopt.SolverType.HIGHS, params=params)
    reason = result.termination.reason
    infeasible = reason == mathopt.TerminationReason.INFEASIBLE
    bound = float(result.termination.objective_bounds.dual_bound)
    if not result.has_primal_feasible_solution():
        proved = infeasible
        return MipResult(None, math.inf, math.inf if infeasible else bound, proved, infeasible)
    xv = result.variable_values()
    m, n = costs.shape
    assignment = np.full(n, -1, dtype=np.int64)
    for (i, j), var in h.x.items():
        if xv[var] > 0.5:
            assignment[j] = i
    objective = float(costs[assignment, np.arange(n)].sum())
    proved = reason == mathopt.TerminationReason.OPTIMAL
    return MipResult(assignment, objective, objective if proved else bound, proved, False)


def solve_cpsat(
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    allowed: np.ndarray,
    capacitated: np.ndarray,
    agents: np.ndarray,
    jobs: np.ndarray,
    hint: np.ndarray | None,
    deterministic_time: float,
    seed: int,
    interrupt: CpInterrupt | None = None,
) -> tuple[dict[int, int] | None, bool]:
    """Solve the sub-GAP of ``jobs`` over ``agents`` with CP-SAT, one worker.

    All arrays must be integral (the caller scales them). Capacities are the
    residual capacities of ``agents`` for these jobs. Returns the agent of
    each job (or ``None`` if no solution was found) and whether it is optimal.
    One worker and a deterministic time limit make the call reproducible.
    """
    model = cp_model.CpModel()
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in agents:
        for j in jobs:
            if allowed[i, j]:
                y[int(i), int(j)] = model.new_bool_var(f"y_{i}_{j}")
    for j in jobs:
        options = [y[int(i), int(j)] for i in agents if (int(i), int(j)) in y]
        if not options:
            return None, False
        model.add_exactly_one(options)
    for i in agents:
        if capacitated[i]:
            terms = [(int(weights[i, j]), y[int(i), int(j)]) for j in jobs if (int(i), int(j)) in y]
            if terms:
                model.add(sum(c * v for c, v in terms) <= int(capacities[i]))
    model.minimize(sum(int(costs[i, j]) * v for (i, j), v in y.items()))
    if hint is not None:
        for (i, j), v in y.items():
            model.add_hint(v, bool(hint[j] == i))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = deterministic_time
    if interrupt is not None:
        if interrupt.fired:
            return None, False
        interrupt.attach(solver)
    try:
        status = solver.solve(model)
    finally:
        if interrupt is not None:
            interrupt.attach(None)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    chosen = {j: i for (i, j), v in y.items() if solver.boolean_value(v)}
    return chosen, status == cp_model.OPTIMAL
