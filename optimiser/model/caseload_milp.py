"""A small MILP wrapper for the caseload model: HiGHS through OR-Tools MathOpt.

Why not :class:`optimiser.model.lp.LinearModel` (pywraplp): the caseload
stages need a MIP start (each stage starts from the previous stage's
solution; ``pywraplp``'s ``SetHint`` crashes with HiGHS in OR-Tools 9.15), the
incumbent and bound when a time limit stops HiGHS (``pywraplp`` reports them as
"unknown"), and HiGHS options.  :mod:`optimiser.caseload` reaches OR-Tools
only through this module.

Building: a trust-scale model with per-person weights has 376,000 variables and
93,000 rows with 811,000 coefficients; MathOpt's Python API sets each bound and
coefficient by a separate call (7.3 s to build).  Rows and variable bounds are
therefore buffered and written in a few vectorised calls to the model's storage
(``Model._elemental``, the C++ store behind the public API: ``set_attrs`` with
NumPy arrays) when the model is first solved or counted; ``tests/test_caseload_milp.py``
checks that the result is the same model as one built through the public API.
"""

from __future__ import annotations

import builtins
import datetime
import enum
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.math_opt import callback_pb2, parameters_pb2, result_pb2, solution_pb2
from ortools.math_opt.core.python import solver as core_solver
from ortools.math_opt.elemental.python import enums
from ortools.math_opt.python import expressions, model_parameters, parameters, variables
from ortools.math_opt.python import model as mathopt_model
from ortools.math_opt.python import result as mathopt_result
from ortools.math_opt.solvers import highs_pb2
from pybind11_abseil.status import StatusNotOk

from optimiser.model.quiet import quiet_stdout
from optimiser.status import Status

Var = Any  # mathopt.Variable

#: HiGHS options of a large model's relaxation: interior point, then crossover to a
#: vertex (the stage relaxations of a trust-scale instance: 0.74 s against 7.4 s by
#: dual simplex, the same optimum; the vertex rounds as well as the simplex one)
RELAXATION_OPTIONS = {"solver": "ipm", "run_crossover": "on"}
#: a model of at most this many variables relaxes by dual simplex instead: faster
#: on team-sized models (placement relaxations: 600 x 25, 3,900 variables, 0.05 s
#: against 0.08 s by interior point), and its vertices started the stages better
#: (whole command in process, 600 x 25 teams: 60 with a weighting scheme 53.7 ->
#: 49.7 s, 30 with weights to a tenth 78.8 -> 68.8 s, the same values).  Above it
#: the size alone does not say (3,000 x 120 with a weighting scheme, 11,600
#: variables: 0.20 against 0.28 s; the tier trust, 13,600: 0.76 against 0.21 s)
SIMPLEX_MAX_VARIABLES = 10_000
SIMPLEX_OPTIONS = {"solver": "simplex"}


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
    #: a relaxation's row duals, by row number (the rows asked for)
    duals: dict[builtins.int, float] = field(default_factory=dict)

    @classmethod
    def unknown(cls) -> Solved:
        """No answer: the solver was not run, or found nothing in time."""
        return cls(Status.UNKNOWN, math.nan, math.nan, {})


class Milp:
    """A HiGHS MILP built row by row (one thread, deterministic).

    Rows, variables' bounds and integrality are buffered (module docstring): read
    and change bounds through :meth:`bounds` / :meth:`set_bounds`, not on the
    variables, and read ``model`` (the MathOpt model) only after a solve or a
    count (:attr:`num_variables`, :attr:`num_constraints`), which write them.

    Parameters
    ----------
    name
        Model name (messages only).
    """

    def __init__(self, name: str) -> None:
        self.model = mathopt_model.Model(name=name)
        self._store = self.model._elemental  # noqa: SLF001 (see the module docstring)
        self._integers: list[Var] = []
        self._integer_id_cache = np.zeros(0, dtype=np.int64)  # (see _integer_ids)
        self._integers_written = 0  # integer variables marked integer in the model
        #: solves that HiGHS failed (:meth:`_solve_proto`)
        self.errors = 0
        # buffered until _flush: variable bounds, rows (bounds, names, coefficients)
        self._var_ids: list[int] = []
        self._var_lb: list[float] = []
        self._var_ub: list[float] = []
        self._row_names: list[str] = []
        self._row_lb: list[float] = []
        self._row_ub: list[float] = []
        self._coef_row: list[int] = []
        self._coef_var: list[int] = []
        self._coef: list[float] = []
        self._row_ids: list[np.ndarray] = []  # the store's ids of flushed rows, by number
        self._flushed = 0  # rows written to the store

    def num(self, lb: float, ub: float, name: str) -> Var:
        """A continuous variable."""
        vid = self._store.add_element(enums.ElementType.VARIABLE, name)
        self._var_ids.append(vid)
        self._var_lb.append(lb)
        self._var_ub.append(ub)
        return variables.Variable(self._store, vid)

    def int(self, lb: float, ub: float, name: str) -> Var:  # noqa: A003
        """An integer variable (made integer when the buffer is written)."""
        var = self.num(lb, ub, name)
        self._integers.append(var)
        return var

    def row(
        self, lb: float, ub: float, terms: Iterable[tuple[Var, float]], name: str
    ) -> builtins.int:
        """Add ``lb <= sum(coef * var) <= ub`` under a stable name (a variable that
        appears twice gets the sum of its coefficients); returns the row's number
        (rows are numbered from 0 in the order added: ``solve(duals=...)``)."""
        merged: dict[builtins.int, float] = {}
        for var, coef in terms:
            if coef:
                merged[var.id] = merged.get(var.id, 0.0) + coef
        number = self._flushed + len(self._row_names)
        self._row_names.append(name)
        self._row_lb.append(lb)
        self._row_ub.append(ub)
        for vid, coef in merged.items():
            if coef:
                self._coef_row.append(number)
                self._coef_var.append(vid)
                self._coef.append(coef)
        return number

    def _flush(self) -> None:
        """Write the buffered variable bounds and rows into the model."""
        store = self._store
        if self._var_ids:
            ids = np.asarray(self._var_ids, dtype=np.int64).reshape(-1, 1)
            lower = np.asarray(self._var_lb, dtype=np.float64)
            upper = np.asarray(self._var_ub, dtype=np.float64)
            store.set_attrs(enums.DoubleAttr1.VARIABLE_LOWER_BOUND, ids, lower)
            store.set_attrs(enums.DoubleAttr1.VARIABLE_UPPER_BOUND, ids, upper)
            self._var_ids, self._var_lb, self._var_ub = [], [], []
        if self._integers_written < len(self._integers):
            new = self._integer_ids()[self._integers_written :].reshape(-1, 1)
            store.set_attrs(enums.BoolAttr1.VARIABLE_INTEGER, new,
                            np.ones(len(new), dtype=np.bool_))  # fmt: skip
            self._integers_written = len(self._integers)
        if self._row_names:
            first = self._flushed  # this batch's first row number
            rows = self._add_rows(self._row_names)
            self._row_ids.append(rows)
            self._flushed += len(rows)
            lower = np.asarray(self._row_lb, dtype=np.float64)
            upper = np.asarray(self._row_ub, dtype=np.float64)
            store.set_attrs(enums.DoubleAttr1.LINEAR_CONSTRAINT_LOWER_BOUND,
                            rows.reshape(-1, 1), lower)  # fmt: skip
            store.set_attrs(enums.DoubleAttr1.LINEAR_CONSTRAINT_UPPER_BOUND,
                            rows.reshape(-1, 1), upper)  # fmt: skip
            if self._coef:
                keys = np.stack(
                    [rows[np.asarray(self._coef_row, dtype=np.int64) - first],
                     np.asarray(self._coef_var, dtype=np.int64)],
                    axis=1,
                )  # fmt: skip
                store.set_attrs(enums.DoubleAttr2.LINEAR_CONSTRAINT_COEFFICIENT, keys,
                                np.asarray(self._coef, dtype=np.float64))  # fmt: skip
            self._row_names, self._row_lb, self._row_ub = [], [], []
            self._coef_row, self._coef_var, self._coef = [], [], []

    def _add_rows(self, names: list[str]) -> np.ndarray:
        """Row ids for ``names``, in order.  The store takes a fixed-width array and
        keeps its padding (``"ab"`` beside ``"abcd"`` became ``"ab\\x00\\x00"``), so
        names go in runs of one length."""
        ids = []
        start = 0
        while start < len(names):
            end = start + 1
            width = len(names[start])
            while end < len(names) and len(names[end]) == width:
                end += 1
            ids.append(self._store.add_named_elements(
                enums.ElementType.LINEAR_CONSTRAINT, np.asarray(names[start:end], dtype=np.str_)
            ))  # fmt: skip
            start = end
        return np.concatenate(ids).astype(np.int64)

    def objective(self, terms: Iterable[tuple[Var, float]], sense: Sense) -> None:
        """Replace the objective."""
        expr = expressions.fast_sum(coef * var for var, coef in terms if coef)
        if sense is Sense.MAX:
            self.model.maximize(expr)
        else:
            self.model.minimize(expr)

    def bounds(self, var: Var) -> tuple[float, float]:
        """A variable's (lower, upper) bounds."""
        self._flush()
        return float(var.lower_bound), float(var.upper_bound)

    def set_bounds(self, var: Var, lower: float | None = None, upper: float | None = None) -> None:
        """Set a variable's lower and/or upper bound (``None``: leave it)."""
        self._flush()
        if lower is not None:
            var.lower_bound = lower
        if upper is not None:
            var.upper_bound = upper

    @contextmanager
    def bounds_held(self, bounds: dict[Var, tuple[float | None, float | None]]) -> Iterator[None]:
        """Variables at these (lower, upper) bounds for the ``with`` block (``None``:
        that bound as it is), their own bounds back afterwards (also when it
        raises)."""
        self._flush()
        ids = np.fromiter((var.id for var in bounds), dtype=np.int64, count=len(bounds))
        keys = ids.reshape(-1, 1)
        lower_attr = enums.DoubleAttr1.VARIABLE_LOWER_BOUND
        upper_attr = enums.DoubleAttr1.VARIABLE_UPPER_BOUND
        # in one call each (one per variable: 0.1 s of a 600 x 25 team's stages)
        saved = self._store.get_attrs(lower_attr, keys), self._store.get_attrs(upper_attr, keys)
        held = np.asarray(list(bounds.values()), dtype=np.float64).reshape(-1, 2)
        # (None: that bound as it is)
        held = np.where(np.isnan(held), np.stack(saved, axis=1).reshape(-1, 2), held)
        self._store.set_attrs(lower_attr, keys, held[:, 0].copy())
        self._store.set_attrs(upper_attr, keys, held[:, 1].copy())
        try:
            yield
        finally:
            self._store.set_attrs(lower_attr, keys, saved[0])
            self._store.set_attrs(upper_attr, keys, saved[1])

    @property
    def num_variables(self) -> builtins.int:
        """Number of variables."""
        self._flush()
        return int(self.model.get_num_variables())

    @property
    def num_integers(self) -> builtins.int:
        """Number of integer variables."""
        return len(self._integers)

    def is_integer(self, var: Var) -> bool:
        """Whether ``var`` is integer in the model."""
        self._flush()
        return bool(var.integer)

    @property
    def integers(self) -> tuple[Var, ...]:
        """The integer variables, in the order made."""
        return tuple(self._integers)

    @property
    def num_constraints(self) -> builtins.int:
        """Number of rows."""
        self._flush()
        return int(self.model.get_num_linear_constraints())

    def solve(
        self,
        variables: Sequence[Var],
        time_limit: float | None = None,
        hint: dict[Var, float] | None = None,
        relax: bool = False,
        heuristics: float | None = None,
        duals: Sequence[builtins.int] = (),
        max_nodes: builtins.int | None = None,
    ) -> Solved:
        """Solve (or, with ``relax``, solve the LP relaxation); values of ``variables``.

        HiGHS is deterministic for a given model and start until the time limit binds.
        ``heuristics``: HiGHS ``mip_heuristic_effort`` (default HiGHS' own, 0.05).
        ``duals``: numbers of rows (from :meth:`row`) whose duals a relaxation
        returns in :attr:`Solved.duals` (MathOpt's sign convention).
        ``max_nodes``: HiGHS ``mip_max_nodes`` (a work limit: unlike the time
        limit, the same answer on every run).
        """
        self._flush()
        if relax:
            self._set_integer(False)
        try:
            params = parameters.SolveParameters(
                time_limit=None if time_limit is None else datetime.timedelta(seconds=time_limit),
                highs=highs_pb2.HighsOptionsProto(
                    double_options={
                        "mip_rel_gap": 0.0,
                        "mip_abs_gap": 1e-6,
                        **({} if heuristics is None else {"mip_heuristic_effort": heuristics}),
                    },
                    int_options={
                        "threads": 1,
                        **({} if max_nodes is None else {"mip_max_nodes": max_nodes}),
                    },
                    string_options=self._relaxation_options() if relax else {},
                ),
            )
            model_params = model_parameters.ModelSolveParameters()
            if hint:
                model_params = model_parameters.ModelSolveParameters(
                    solution_hints=[model_parameters.SolutionHint(variable_values=hint)]
                )
            with quiet_stdout():  # HiGHS' MIP solver prints a few messages itself
                proto = self._solve_proto(params, model_params)
        finally:
            if relax:
                self._set_integer(True)
        if proto is None:
            return Solved.unknown()
        reason = proto.termination.reason
        if reason == result_pb2.TERMINATION_REASON_INFEASIBLE:
            return Solved(Status.INFEASIBLE, math.nan, math.nan, {})
        bounds = proto.termination.objective_bounds  # (older solvers: in the stats)
        has = proto.termination.HasField("objective_bounds")
        bound = float(bounds.dual_bound if has else proto.solve_stats.best_dual_bound)
        primal = proto.solutions[0].primal_solution if proto.solutions else None
        if primal is None or primal.feasibility_status != solution_pb2.SOLUTION_STATUS_FEASIBLE:
            return Solved(Status.UNKNOWN, math.nan, bound, {})
        values = self._values(variables, primal.variable_values, rounded=not relax)
        optimal = reason == result_pb2.TERMINATION_REASON_OPTIMAL
        status = Status.OPTIMAL if optimal else Status.FEASIBLE
        row_duals: dict[builtins.int, float] = {}
        if duals and relax:
            # the duals through MathOpt's own parsing (only the bounding model's
            # relaxations ask for them)
            result = mathopt_result.parse_solve_result(proto, self.model, validate=False)
            if result.has_dual_feasible_solution():
                ids = np.concatenate(self._row_ids)
                rows = [self.model.get_linear_constraint(int(ids[n])) for n in duals]
                row_duals = dict(zip(duals, map(float, result.dual_values(rows)), strict=True))
        return Solved(status, float(primal.objective_value), bound, values, row_duals)

    def _relaxation_options(self) -> dict[str, str]:
        small = self.num_variables <= SIMPLEX_MAX_VARIABLES
        return SIMPLEX_OPTIONS if small else RELAXATION_OPTIONS

    def _solve_proto(
        self,
        params: parameters.SolveParameters,
        model_params: model_parameters.ModelSolveParameters,
    ) -> result_pb2.SolveResultProto | None:
        """``mathopt.solve`` up to HiGHS' answer, without parsing it whole: the
        parse builds Python objects for every value, basis status and dual (5 to
        6 solves of a 600 x 25 team: 0.1-0.15 s), where a stage reads the values
        of its variables only (:meth:`_values`)."""
        solve_params = params.to_proto()
        began = time.monotonic()
        for attempt in range(2):
            if attempt and params.time_limit is not None:  # the retry: the time left
                left = params.time_limit.total_seconds() - (time.monotonic() - began)
                if left < 0.05:
                    break
                solve_params.time_limit.FromTimedelta(datetime.timedelta(seconds=left))
            try:
                return core_solver.solve(
                    self.model.export_model(),
                    parameters.SolverType.HIGHS.value,
                    parameters_pb2.SolverInitializerProto(),  # (no init arguments)
                    solve_params,
                    model_params.to_proto(),
                    None,
                    callback_pb2.CallbackRegistrationProto(),  # (no callback)
                    None,
                    None,
                )
            except StatusNotOk:
                # HiGHS failed: an internal error of its presolve (a 14-person team
                # with weights 0.7, 1.0 and 1.3 plus 1e-4 noise, the spread stage;
                # without presolve it solved).  Once more without presolve, then
                # no answer, as when the clock stops it before one.  (MathOpt's own
                # conversion of the error fails in OR-Tools 9.15.)
                self.errors += 1
                solve_params.highs.string_options["presolve"] = "off"
        return None

    def _values(self, variables: Sequence[Var], vector: Any, rounded: bool) -> dict[Var, float]:
        """The values of ``variables`` in a solution's ``variable_values`` (a sparse
        vector: ids in increasing order, the missing ones zero); ``rounded``:
        integer variables rounded (HiGHS returns them within its tolerance, a
        proved 567 as 566.9999999999962, and callers compare them with whole
        bounds)."""
        ids = np.asarray(vector.ids, dtype=np.int64)
        found = np.asarray(vector.values, dtype=np.float64)
        wanted = np.fromiter((var.id for var in variables), dtype=np.int64, count=len(variables))
        at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        out = np.zeros(len(wanted))
        if len(ids):
            hit = ids[at] == wanted
            out[hit] = found[at[hit]]
        if rounded:
            integer = np.isin(wanted, self._integer_ids())
            out[integer] = np.round(out[integer])
        return dict(zip(variables, out.tolist(), strict=True))

    def _integer_ids(self) -> np.ndarray:
        if len(self._integer_id_cache) != len(self._integers):
            self._integer_id_cache = np.fromiter(
                (var.id for var in self._integers), dtype=np.int64, count=len(self._integers)
            )
        return self._integer_id_cache

    def _set_integer(self, integer: bool) -> None:
        """Every integer variable integer (or, for a relaxation, continuous) in one
        call to the store (one call per variable: 0.2 s of 6 teams' solves)."""
        ids = self._integer_ids().reshape(-1, 1)
        if len(ids):
            self._store.set_attrs(enums.BoolAttr1.VARIABLE_INTEGER, ids,
                                  np.full(len(ids), integer, dtype=np.bool_))  # fmt: skip
