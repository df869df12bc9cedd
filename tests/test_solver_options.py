"""Solver options: built in one place (``SolveParams.highs``) and reaching HiGHS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from optimiser.demand import build_team, demand_rows
from optimiser.model.coordination import CoordinationModel
from optimiser.model.hours import HoursModel, ModelOptions
from optimiser.model.lp import HighsOptions, LinearModel
from optimiser.model.sizing import FALLBACK_HIGHS, SIZING_HIGHS
from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams, solve_values

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "cmht-north.yaml"


def test_default_options_text() -> None:
    assert HighsOptions().text() == "mip_rel_gap=1e-09\nthreads=1\noutput_flag=false"


def test_sizing_options_text() -> None:
    assert SIZING_HIGHS.text() == (
        "mip_rel_gap=1e-09\nmip_feasibility_tolerance=1e-07\npresolve=off\n"
        "mip_heuristic_effort=0.01\nthreads=1\noutput_flag=false"
    )
    assert "presolve" not in FALLBACK_HIGHS.text()


def test_workers_and_seed_become_threads_and_random_seed() -> None:
    text = SolveParams(workers=3, seed=5).highs().text()
    assert "threads=3" in text.splitlines()
    assert "random_seed=5" in text.splitlines()


def test_params_reach_both_models() -> None:
    scenario = load_scenario(EXAMPLE)
    team = build_team(scenario)
    highs = SolveParams(workers=2, seed=9).highs()
    hours = HoursModel(scenario, team, demand_rows(scenario), ModelOptions(highs=highs))
    coordination = CoordinationModel(scenario, team, highs=highs)
    assert hours.lp.highs == highs
    assert coordination.lp.highs == highs


def test_an_unknown_option_fails_the_solve() -> None:
    # what shows that the option text is applied at all (OR-Tools returns False either way)
    lp = LinearModel("probe")
    x = lp.num(0, 1, "x")
    lp.minimise([(x, 1.0)])
    lp.solver.SetSolverSpecificParametersAsString("no_such_option=1")
    assert lp.solve().value != "optimal"
    lp.set_highs(HighsOptions())
    assert lp.solve().value == "optimal"


def test_a_thread_keeps_the_thread_count_of_its_first_solve() -> None:
    # HiGHS refuses another ``threads`` once a thread has solved; the model then
    # uses the thread's count instead of failing
    scenario = load_scenario(EXAMPLE)
    values = [solve_values(scenario, SolveParams(workers=w)) for w in (1, 2, 1)]
    assert [v.status.value for v in values] == ["optimal"] * 3
    assert len({round(v.penalty, 6) for v in values}) == 1


def test_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        SolveParams(seed=-1)
    result = CliRunner().invoke(main, ["solve", str(EXAMPLE), "--seed", "-1"])
    assert result.exit_code == 2


def test_solve_with_workers_and_seed_is_a_checked_optimum(tmp_path: Path) -> None:
    plans = []
    for extra in ([], ["--workers", "2", "--seed", "7"]):
        out = tmp_path / ("a" if not extra else "b")
        args = ["solve", str(EXAMPLE), "-o", str(out), "--no-mitigations", "--check", *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.stderr  # the independent checker passed
        plans.append(json.loads((out / "plan.json").read_text()))
    # another seed may pick another optimum, never a worse one
    assert plans[0]["objective"] == plans[1]["objective"]
