"""A thin, deterministic wrapper around OR-Tools' linear solver with HiGHS.

The hours model and the coordination model are linear programs with a few
integer variables; HiGHS (bundled in OR-Tools) proves them optimal in
milliseconds where CP-SAT struggles (see ``docs/benchmarks.md``).  Only this
subpackage imports ``ortools``.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from optimiser.model.quiet import quiet_stdout
from optimiser.status import Status

INF = math.inf

#: an LP value this close to a whole number counts as whole (see LinearModel.solve)
INTEGRALITY_TOL = 1e-7



@dataclass(frozen=True)
class HighsOptions:
    """HiGHS options of one model, typed; :meth:`text` is what reaches HiGHS.

    OR-Tools' HiGHS interface ignores ``MPSolverParameters`` and ``SetNumThreads``
    but passes a ``name=value`` text to HiGHS (the call returns False all the
    same; an unknown option name makes the solve fail, which shows it is
    applied).  Defaults: a proven optimum (gap 1e-9, not HiGHS' 1e-4) and one
    thread (on these small MILPs worker threads cost more than they bring:
    18 ms -> 9.5 ms measured).  ``skillmix solve --workers/--seed`` set
    ``threads`` and ``random_seed`` (:meth:`optimiser.solve.SolveParams.highs`);
    HiGHS keeps the thread count of a thread's first solve
    (:func:`scheduler_threads`), so ``--workers`` holds for a whole command.
    ``output_flag=false`` is always set: it silences the banner HiGHS prints on
    every solve.
    """

    mip_rel_gap: float = 1e-9
    threads: int = 1
    random_seed: int = 0
    presolve: bool = True
    mip_feasibility_tolerance: float | None = None
    mip_heuristic_effort: float | None = None

    def text(self) -> str:
        """The options as HiGHS reads them, one ``name=value`` a line."""
        lines = [f"mip_rel_gap={self.mip_rel_gap!r}"]
        if self.mip_feasibility_tolerance is not None:
            lines.append(f"mip_feasibility_tolerance={self.mip_feasibility_tolerance!r}")
        if not self.presolve:
            lines.append("presolve=off")
        if self.mip_heuristic_effort is not None:
            lines.append(f"mip_heuristic_effort={self.mip_heuristic_effort!r}")
        lines.append(f"threads={self.threads}")
        if self.random_seed:
            lines.append(f"random_seed={self.random_seed}")
        lines.append("output_flag=false")
        return "\n".join(lines)


_STATUS = {
    pywraplp.Solver.OPTIMAL: Status.OPTIMAL,
    pywraplp.Solver.FEASIBLE: Status.FEASIBLE,
    pywraplp.Solver.INFEASIBLE: Status.INFEASIBLE,
}


@dataclass(frozen=True)
class Term:
    """One ``coefficient x variable`` term of a linear row."""

    var: pywraplp.Variable
    coef: float


#: HiGHS fixes its thread pool the first time a thread solves (one scheduler per
#: calling thread; a later model asking for another ``threads`` fails with
#: "global scheduler has already been initialized"): the count in use, by thread
_SCHEDULER = threading.local()


def scheduler_threads(wanted: int) -> int:
    """The HiGHS ``threads`` a solve on this thread can use: the first one asked for."""
    fixed = getattr(_SCHEDULER, "threads", None)
    if fixed is None:
        _SCHEDULER.threads = fixed = wanted
    return int(fixed)


class LinearModel:
    """A HiGHS model built row by row with named constraints.

    Parameters
    ----------
    name
        Model name (shown in exported files only).
    highs
        HiGHS options (:class:`HighsOptions`).
    """

    def __init__(self, name: str, highs: HighsOptions | None = None) -> None:
        solver = pywraplp.Solver.CreateSolver("HIGHS")
        if solver is None:  # pragma: no cover - OR-Tools always bundles HiGHS
            raise RuntimeError("OR-Tools was built without HiGHS")
        solver.SuppressOutput()
        self.solver = solver
        self.highs = highs or HighsOptions()
        self.set_highs(self.highs)
        self.name = name
        self._params = pywraplp.MPSolverParameters()
        self._integers: list[pywraplp.Variable] = []

    def set_highs(self, highs: HighsOptions) -> None:
        """Solve with these HiGHS options from now on."""
        self.highs = highs
        self._applied = highs
        self.solver.SetSolverSpecificParametersAsString(highs.text())

    def relax(self, variables: Iterable[pywraplp.Variable]) -> None:
        """Make ``variables`` continuous for every later solve."""
        relaxed = set()
        for var in variables:
            var.SetInteger(False)
            relaxed.add(var.index())
        self._integers = [var for var in self._integers if var.index() not in relaxed]

    def num(self, lb: float, ub: float, name: str) -> pywraplp.Variable:
        """A continuous variable."""
        return self.solver.NumVar(lb, ub, name)

    def integer(self, lb: float, ub: float, name: str) -> pywraplp.Variable:
        """An integer variable."""
        var = self.solver.IntVar(lb, ub, name)
        self._integers.append(var)
        return var

    def row(
        self, lb: float, ub: float, terms: Iterable[tuple[pywraplp.Variable, float]], name: str
    ) -> pywraplp.Constraint:
        """Add ``lb <= sum(coef * var) <= ub`` under a stable name."""
        ct = self.solver.Constraint(lb, ub, name)
        for var, coef in terms:
            if coef:
                ct.SetCoefficient(var, ct.GetCoefficient(var) + coef)
        return ct

    def minimise(self, terms: Iterable[tuple[pywraplp.Variable, float]]) -> None:
        """Replace the objective by ``min sum(coef * var)``."""
        obj = self.solver.Objective()
        obj.Clear()
        for var, coef in terms:
            if coef:
                obj.SetCoefficient(var, obj.GetCoefficient(var) + coef)
        obj.SetMinimization()

    def solve(self, time_limit: float | None = None) -> Status:
        """Solve; returns the status (HiGHS is deterministic for a given model).

        A model with integer variables is first solved as its LP relaxation: when
        that optimum is integral it is the MILP optimum (the relaxation's bound is
        met), and HiGHS' branch and bound is skipped.  The supervision and
        coordination counts are transportation-like and usually come out whole,
        so this saves most MILP overhead (about 9 ms -> 1.6 ms per solve here).
        """
        if time_limit is not None:
            self.solver.SetTimeLimit(max(1, int(time_limit * 1000)))
        if self._integers:
            # the variables stay relaxed after an integral LP answer, so that its
            # values can be read; they are made integer again only for a MILP run
            for var in self._integers:
                var.SetInteger(False)
            code = self._run()
            if code == pywraplp.Solver.INFEASIBLE:
                return Status.INFEASIBLE
            if code == pywraplp.Solver.OPTIMAL and all(
                abs(v.solution_value() - round(v.solution_value())) <= INTEGRALITY_TOL
                for v in self._integers
            ):
                return Status.OPTIMAL
            for var in self._integers:
                var.SetInteger(True)
        return _STATUS.get(self._run(), Status.UNKNOWN)

    def solve_relaxation(self, time_limit: float | None = None) -> Status:
        """Solve the LP relaxation only (integer variables stay relaxed until the
        next :meth:`solve`); its optimum bounds the MILP's."""
        if time_limit is not None:
            self.solver.SetTimeLimit(max(1, int(time_limit * 1000)))
        for var in self._integers:
            var.SetInteger(False)
        return _STATUS.get(self._run(), Status.UNKNOWN)

    def _run(self) -> int:
        threads = scheduler_threads(self.highs.threads)
        if threads != self._applied.threads:  # this thread's HiGHS pool is fixed
            self._applied = dataclasses.replace(self.highs, threads=threads)
            self.solver.SetSolverSpecificParametersAsString(self._applied.text())
        with quiet_stdout():
            return int(self.solver.Solve(self._params))

    def objective_value(self) -> float:
        """Objective value of the last solve."""
        return float(self.solver.Objective().Value())

    @property
    def num_variables(self) -> int:
        """Number of variables."""
        return int(self.solver.NumVariables())

    @property
    def num_constraints(self) -> int:
        """Number of constraints."""
        return int(self.solver.NumConstraints())
