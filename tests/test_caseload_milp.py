"""The caseload MILP wrapper: buffered rows make the same model as MathOpt's public API."""

from __future__ import annotations

import math
from typing import Any

import pytest
from ortools.math_opt.python import mathopt
from pybind11_abseil.status import Status as AbslStatus
from pybind11_abseil.status import StatusCode, StatusNotOk

from optimiser.model import caseload_milp
from optimiser.model.caseload_milp import Milp, Sense
from optimiser.model.lp import Status


def _ours() -> tuple[Milp, list]:
    lp = Milp("t")
    x = lp.num(0, 4, "x")
    y = lp.num(-math.inf, math.inf, "y")
    n = lp.int(0, 3, "n")
    z = lp.num(1, 2, "z")
    lp.row(-math.inf, 5, [(x, 1.0), (n, 2.0)], "a")
    lp.row(0, 0, [(x, 1.0), (y, -1.0), (x, 0.5), (z, 0.0)], "bb")  # x twice, z zero
    lp.row(1, math.inf, [(n, 1.0), (z, 1.0)], "c")
    lp.row(-1, 1, [(y, 1.0), (y, -1.0)], "row_d")  # cancels out: an empty row
    return lp, [x, y, n, z]


def _public() -> mathopt.Model:
    model = mathopt.Model(name="t")
    x = model.add_variable(lb=0, ub=4, name="x")
    y = model.add_variable(name="y")
    n = model.add_integer_variable(lb=0, ub=3, name="n")
    z = model.add_variable(lb=1, ub=2, name="z")
    model.add_linear_constraint(expr=x + 2 * n, ub=5, name="a")
    model.add_linear_constraint(expr=1.5 * x - y, lb=0, ub=0, name="bb")
    model.add_linear_constraint(expr=n + z, lb=1, name="c")
    model.add_linear_constraint(lb=-1, ub=1, name="row_d")
    return model


def test_buffered_rows_build_the_same_model_as_the_public_api() -> None:
    # names of different lengths: the store once padded the shorter ones with NULs
    lp, _ = _ours()
    assert lp.num_variables == 4 and lp.num_constraints == 4
    assert lp.model.export_model() == _public().export_model()
    assert [c.name for c in lp.model.linear_constraints()] == ["a", "bb", "c", "row_d"]


def test_bounds_read_and_set_see_the_buffered_values() -> None:
    lp, (x, y, n, _) = _ours()
    assert lp.bounds(x) == (0.0, 4.0)
    assert lp.bounds(y) == (-math.inf, math.inf)
    lp.set_bounds(n, lower=1)
    assert lp.bounds(n) == (1.0, 3.0)
    later = lp.num(0, 7, "later")  # a variable added after the first flush
    assert lp.bounds(later) == (0.0, 7.0)


def test_solve_after_buffering() -> None:
    # max x + n: x + 2n <= 5, x <= 4, n integer <= 3 -> n = 1 and x = 3 (or n = 0,
    # x = 4: both 4); with the tie broken by n (weight 0.1) n = 1, x = 3.
    lp, (x, _, n, _) = _ours()
    lp.objective([(x, 1.0), (n, 1.1)], Sense.MAX)
    solved = lp.solve([x, n])
    assert solved.status is Status.OPTIMAL
    assert solved.values[n] == 1 and solved.values[x] == 3
    assert math.isclose(solved.objective, 4.1)


def test_row_numbers_and_duals_across_flushes() -> None:
    # max x + y: x <= 1 (row 0), solved; then x + y <= 1.5 (row 1) added: the
    # optimum 1.5 is held by row 1 alone (dual 1); row 0 prices nothing (dual 0:
    # x and y are worth the same, so y takes whatever x leaves)
    lp = Milp("t")
    x = lp.num(0, 10, "x")
    y = lp.num(0, 10, "y")
    assert lp.row(-math.inf, 1, [(x, 1.0)], "first") == 0
    lp.objective([(x, 1.0), (y, 1.0)], Sense.MAX)
    assert lp.solve([x, y], relax=True).status is Status.OPTIMAL  # flushes row 0
    assert lp.row(-math.inf, 1.5, [(x, 1.0), (y, 1.0)], "second_row") == 1
    solved = lp.solve([x, y], relax=True, duals=[1, 0])
    assert math.isclose(solved.objective, 1.5)
    assert set(solved.duals) == {0, 1}
    assert math.isclose(abs(solved.duals[1]), 1.0)
    assert math.isclose(solved.duals[0], 0.0, abs_tol=1e-9)
    assert [c.name for c in lp.model.linear_constraints()] == ["first", "second_row"]


def test_bounds_held_only_inside_the_block_even_when_it_raises() -> None:
    lp = Milp("held")
    x = lp.num(0, 5, "x")
    y = lp.int(1, 3, "y")
    with lp.bounds_held({x: (2, 2), y: (-math.inf, math.inf)}):
        assert lp.bounds(x) == (2, 2) and lp.bounds(y) == (-math.inf, math.inf)
    assert lp.bounds(x) == (0, 5) and lp.bounds(y) == (1, 3)
    try:
        with lp.bounds_held({x: (4, 4)}):
            raise RuntimeError("solver failed")
    except RuntimeError:
        pass
    assert lp.bounds(x) == (0, 5)
    with lp.bounds_held({x: (None, 3), y: (2, None)}):  # None: that bound as it is
        assert lp.bounds(x) == (0, 3) and lp.bounds(y) == (2, 3)
    assert lp.bounds(x) == (0, 5) and lp.bounds(y) == (1, 3)


def _knapsack() -> tuple[Milp, list]:
    # max 5a + 4b + 3c + 0.5 s: 2a + 3b + c + s <= 4.5, a, b, c in 0..1, s in [0, 1]
    lp = Milp("k")
    a, b, c = (lp.int(0, 1, name) for name in "abc")
    s = lp.num(0, 1, "s")
    lp.row(-math.inf, 4.5, [(a, 2.0), (b, 3.0), (c, 1.0), (s, 1.0)], "cap")
    lp.objective([(a, 5.0), (b, 4.0), (c, 3.0), (s, 0.5)], Sense.MAX)
    return lp, [a, b, c, s]


def test_solve_reads_what_mathopt_reads() -> None:
    # the values, objective, bound and status solve() reads from HiGHS' answer
    # directly are those of mathopt.solve's parse: branch and bound (optimum
    # a = c = 1, s = 1: 8.5; bound 8.5), the relaxation (a = 1, b = 0.5, c = 1:
    # 10), and a start (b = 1, c = 1: 7.5) that branch and bound improves on
    lp, xs = _knapsack()
    a, b, c, s = xs
    for relax, hint in ((False, None), (True, None), (False, {a: 0.0, b: 1.0, c: 1.0, s: 0.0})):
        ours = lp.solve(xs, relax=relax, hint=hint)
        if relax:
            for var in lp.integers:
                var.integer = False
        theirs = mathopt.solve(lp.model, mathopt.SolverType.HIGHS)
        for var in lp.integers:
            var.integer = True
        assert ours.status is Status.OPTIMAL
        assert math.isclose(ours.objective, theirs.objective_value())
        assert math.isclose(ours.bound, theirs.termination.objective_bounds.dual_bound)
        assert ours.values == pytest.approx(dict(zip(xs, theirs.variable_values(xs), strict=True)))
    assert lp.solve(xs).values == {a: 1.0, b: 0.0, c: 1.0, s: 1.0}
    assert lp.solve(xs, relax=True).values == pytest.approx({a: 1.0, b: 0.5, c: 1.0, s: 0.0})
    assert all(var.integer for var in lp.integers)  # the relaxation put them back


def test_relaxations_by_simplex_when_small_by_interior_point_when_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the knapsack's relaxation has one optimum (a = 1, b = 0.5, c = 1: 10): both
    # engines reach it; which one runs depends on the model's size only
    seen: list[dict[str, str]] = []
    real = Milp._solve_proto

    def spy(self: Milp, params: Any, model_params: Any) -> Any:
        seen.append(dict(params.highs.string_options))
        return real(self, params, model_params)

    monkeypatch.setattr(Milp, "_solve_proto", spy)
    default = caseload_milp.SIMPLEX_MAX_VARIABLES
    for most, engine in ((default, "simplex"), (4, "simplex"), (3, "ipm")):  # (4 variables)
        monkeypatch.setattr(caseload_milp, "SIMPLEX_MAX_VARIABLES", most)
        lp, xs = _knapsack()  # 4 variables
        solved = lp.solve(xs, relax=True)
        assert seen[-1]["solver"] == engine
        assert solved.objective == pytest.approx(10.0)
        assert solved.values == pytest.approx(dict(zip(xs, [1.0, 0.5, 1.0, 0.0], strict=True)))
        lp.solve(xs)  # branch and bound: HiGHS' own choice
        assert "solver" not in seen[-1]


def test_solve_reports_infeasible_and_unsolved() -> None:
    lp, xs = _knapsack()
    lp.row(5, math.inf, [(xs[0], 2.0), (xs[1], 3.0)], "too_much")  # 2a + 3b >= 5 > 4.5
    assert lp.solve(xs).status is Status.INFEASIBLE
    assert lp.solve(xs, relax=True).status is Status.INFEASIBLE


def test_a_highs_failure_is_retried_without_presolve_then_no_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # HiGHS' internal error (StatusNotOk from OR-Tools) crashed the command: now
    # the solve runs once more without presolve, and if that fails too it has no
    # answer (status UNKNOWN), as when the clock stops it before one
    lp, xs = _knapsack()
    real = caseload_milp.core_solver.solve
    calls: list[str] = []

    def failing(times: int):  # type: ignore[no-untyped-def]
        def solve(*args):  # type: ignore[no-untyped-def]
            calls.append(args[3].highs.string_options.get("presolve", "default"))
            if len(calls) <= times:
                raise StatusNotOk(AbslStatus(StatusCode.INTERNAL, "HighsStatus: kError"))
            return real(*args)

        return solve

    monkeypatch.setattr(caseload_milp.core_solver, "solve", failing(1))
    solved = lp.solve(xs)
    assert calls == ["default", "off"] and lp.errors == 1
    assert solved.status is Status.OPTIMAL and math.isclose(solved.objective, 8.5)
    calls.clear()
    monkeypatch.setattr(caseload_milp.core_solver, "solve", failing(2))
    solved = lp.solve(xs)
    assert calls == ["default", "off"] and lp.errors == 3
    assert solved.status is Status.UNKNOWN and solved.values == {}
