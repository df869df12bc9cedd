"""A thin, deterministic wrapper around OR-Tools' linear solver with HiGHS.

The hours model and the coordination model are linear programs with a few
integer variables; HiGHS (bundled in OR-Tools) proves them optimal in
milliseconds where CP-SAT struggles (see ``docs/benchmarks.md``).  Only this
subpackage imports ``ortools``.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

INF = math.inf

#: an LP value this close to a whole number counts as whole (see LinearModel.solve)
INTEGRALITY_TOL = 1e-7

#: HiGHS options, one ``name=value`` a line (see LinearModel)
HIGHS_OPTIONS = "mip_rel_gap=1e-9\nthreads=1\noutput_flag=false"


class Status(enum.Enum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


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


_STDOUT_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Keep HiGHS' C-level prints (``output_flag=false`` stops the banner and logs,
    not a few internal messages of its MIP solver) off file descriptor 1.

    A lock serialises the redirect: two threads solving at once would otherwise
    restore each other's descriptors in the wrong order.
    """
    with _STDOUT_LOCK:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


class LinearModel:
    """A HiGHS model built row by row with named constraints.

    Parameters
    ----------
    name
        Model name (shown in exported files only).
    """

    def __init__(self, name: str) -> None:
        solver = pywraplp.Solver.CreateSolver("HIGHS")
        if solver is None:  # pragma: no cover - OR-Tools always bundles HiGHS
            raise RuntimeError("OR-Tools was built without HiGHS")
        solver.SuppressOutput()
        # OR-Tools' HiGHS interface ignores MPSolverParameters and SetNumThreads, but
        # passes this text to HiGHS (the call returns False all the same; an unknown
        # option name makes the solve fail, which shows it is applied).  A proven
        # optimum (gap 1e-9, not HiGHS' default 1e-4), and one thread: on these small
        # MILPs worker threads cost more than they bring (18 ms -> 9.5 ms measured);
        # output_flag=false also silences the banner HiGHS prints on every solve.
        solver.SetSolverSpecificParametersAsString(HIGHS_OPTIONS)
        self.solver = solver
        self.name = name
        self._params = pywraplp.MPSolverParameters()
        self._integers: list[pywraplp.Variable] = []

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
        with _quiet_stdout():
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
