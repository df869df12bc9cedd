"""The generalized assignment engine: parser, hand-solved tiny instances, gap1 optima.

Data: ``tests/data/gap/gap1.txt``, ``d10100`` (one problem of ``gapd.txt``) and
``known_optima.csv`` are copies of the
OR-Library files in ``shared/benchmarks/gap/`` (the tests read only the copies).
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import pytest
from gapengine.gap import (
    GapInstance,
    Status,
    check_assignment,
    load_instances,
    solve_gap,
)
from gapengine.gap_io import instance_names, parse_gap_text, read_gap_file

DATA = Path(__file__).parent / "data" / "gap"


def known_optima() -> dict[tuple[str, str], float]:
    with (DATA / "known_optima.csv").open(newline="") as fh:
        return {(r["instance"], r["sense"]): float(r["objective"]) for r in csv.DictReader(fh)}


# --------------------------------------------------------------------------- parser


def test_parser_reads_the_five_gap1_problems() -> None:
    problems = read_gap_file(DATA / "gap1.txt")
    assert len(problems) == 5
    first = problems[0]
    assert (first.m, first.n) == (5, 15)
    assert first.costs[0, :5].tolist() == [17, 21, 22, 18, 24]
    assert first.weights.shape == (5, 15)
    assert first.capacities.shape == (5,)
    assert all(p.m == 5 and p.n == 15 for p in problems)
    set_name, names = instance_names(DATA / "gap1.txt", problems)
    assert set_name == "gap1"
    assert names == ["c515-1", "c515-2", "c515-3", "c515-4", "c515-5"]


def test_parser_single_instance_format_and_errors() -> None:
    # type E layout: no problem count; m=2, n=1, costs, weights, capacities
    (raw,) = parse_gap_text("2 1  5 7  3 4  10 10")
    assert raw.costs.tolist() == [[5], [7]]
    assert raw.weights.tolist() == [[3], [4]]
    assert raw.capacities.tolist() == [10, 10]
    with pytest.raises(ValueError, match="needs 6 numbers"):
        parse_gap_text("1 2 1 5 7 3 4 10", where="broken.txt")
    with pytest.raises(ValueError, match="integers"):
        parse_gap_text("1 2 x")


# --------------------------------------------------------------------------- tiny instances


def test_capacity_forces_the_second_choice() -> None:
    # Both jobs are cheapest on agent 0 (1 + 1) but agent 0 holds weight 5 and
    # each job weighs 3, so one job goes to agent 1: optimum 1 + 4 = 5 (job 1,
    # cheaper to move: 4 - 1 < 6 - 1).
    inst = GapInstance(costs=[[1, 1], [6, 4]], weights=[[3, 3], [3, 3]], capacities=[5, 10])
    result = solve_gap(inst, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.assignment == [0, 1]
    assert result.objective == 5
    assert result.bound == 5
    # The just-relaxed case: room for both on agent 0 -> 1 + 1 = 2.
    roomy = GapInstance(costs=[[1, 1], [6, 4]], weights=[[3, 3], [3, 3]], capacities=[6, 10])
    assert solve_gap(roomy, time_limit=10).objective == 2


def test_forbidden_pairs_are_respected() -> None:
    # Job 0 may not go to agent 0 (its cheap option): it costs 9 on agent 1.
    allowed = [[False, True], [True, True]]
    inst = GapInstance(
        costs=[[1, 1], [9, 5]], weights=[[1, 1], [1, 1]], capacities=[5, 5], allowed=allowed
    )
    result = solve_gap(inst, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.assignment == [1, 0]
    assert result.objective == 10
    assert check_assignment(inst, result.assignment) == []


def test_infeasible_when_jobs_do_not_fit() -> None:
    # Two jobs of weight 3, one agent of capacity 5.
    inst = GapInstance(costs=[[1, 1]], weights=[[3, 3]], capacities=[5])
    result = solve_gap(inst, time_limit=10)
    assert result.status is Status.INFEASIBLE
    assert result.assignment == [-1, -1]
    assert math.isnan(result.objective)
    # A job that fits no allowed agent at all is caught before any solve.
    lone = GapInstance(costs=[[1]], weights=[[6]], capacities=[5])
    assert solve_gap(lone, time_limit=10).status is Status.INFEASIBLE


def test_unassigned_allowed_with_penalty() -> None:
    # Agent 0 takes one of the two jobs (weight 3 each, capacity 5). The other
    # stays unassigned at penalty 10 (cheaper than nothing else: no other agent).
    inst = GapInstance(costs=[[2, 4]], weights=[[3, 3]], capacities=[5])
    result = solve_gap(inst, time_limit=10, allow_unassigned=True, unassigned_penalty=10)
    assert result.status is Status.OPTIMAL
    assert result.assignment == [0, -1]  # keep the cheaper job: 2 + 10 = 12 < 4 + 10
    assert result.objective == 12
    # A penalty below a job's cost leaves that job out even with room for it.
    cheap = solve_gap(
        GapInstance(costs=[[2, 40]], weights=[[1, 1]], capacities=[5]),
        time_limit=10,
        allow_unassigned=True,
        unassigned_penalty=10,
    )
    assert cheap.assignment == [0, -1]
    assert cheap.objective == 12


def test_unassigned_default_penalty_places_as_many_as_possible() -> None:
    # One agent of capacity 2. Profit alone says "job 0" (100, weight 2); the
    # default penalty puts placing more jobs first: jobs 1 and 2 (weight 1 each).
    inst = GapInstance(costs=[[100, 1, 1]], weights=[[2, 1, 1]], capacities=[2], sense="max")
    result = solve_gap(inst, time_limit=10, allow_unassigned=True)
    assert result.status is Status.OPTIMAL
    assert result.assignment == [-1, 0, 0]
    # With a small explicit penalty, profit wins again: 100 - 2 * 5.
    result = solve_gap(inst, time_limit=10, allow_unassigned=True, unassigned_penalty=5)
    assert result.assignment == [0, -1, -1]
    assert result.objective == 90


def test_max_sense_takes_the_profit() -> None:
    inst = GapInstance(
        costs=[[5, 1], [1, 5]], weights=[[1, 1], [1, 1]], capacities=[1, 1], sense="max"
    )
    result = solve_gap(inst, time_limit=10)
    assert result.assignment == [0, 1]
    assert result.objective == 10
    assert result.bound == 10


def test_fractional_data_is_solved_exactly() -> None:
    # Weighted caseload points: capacity 2.5, jobs 1.5 and 1.25 cannot share
    # agent 0. Job 0 there costs 0.5 + 1.0 (job 1 on agent 1) = 1.5; job 1 there
    # costs 0.25 + 1.0 = 1.25, the optimum.
    inst = GapInstance(
        costs=[[0.5, 0.25], [1.0, 1.0]], weights=[[1.5, 1.25], [1.0, 1.0]], capacities=[2.5, 5]
    )
    result = solve_gap(inst, time_limit=10)
    assert result.status is Status.OPTIMAL
    assert result.assignment == [1, 0]
    assert result.objective == pytest.approx(1.25)


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="weights"):
        GapInstance(costs=[[1, 2]], weights=[[1]], capacities=[3])
    with pytest.raises(ValueError, match="capacities"):
        GapInstance(costs=[[1, 2]], weights=[[1, 1]], capacities=[3, 4])
    with pytest.raises(ValueError, match="sense"):
        GapInstance(costs=[[1]], weights=[[1]], capacities=[3], sense="most")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- gap1 optima


@pytest.mark.parametrize("sense", ["min", "max"])
def test_gap1_reaches_known_optima(sense: str) -> None:
    optima = known_optima()
    for _, name, inst in load_instances(DATA / "gap1.txt", sense=sense):  # type: ignore[arg-type]
        result = solve_gap(inst, time_limit=10)
        assert result.status is Status.OPTIMAL, name
        assert result.objective == optima[name, sense], name
        assert result.bound == result.objective
        assert check_assignment(inst, result.assignment) == []
        cost = sum(inst.costs[i, j] for j, i in enumerate(result.assignment))
        assert cost == result.objective


@pytest.mark.parametrize("workers", [1, 2])
def test_same_answer_twice(workers: int) -> None:
    _, _, inst = load_instances(DATA / "gap1.txt")[2]
    first = solve_gap(inst, time_limit=10, workers=workers, seed=3)
    second = solve_gap(inst, time_limit=10, workers=workers, seed=3)
    assert first.assignment == second.assignment
    assert (first.objective, first.bound, first.status) == (
        second.objective,
        second.bound,
        second.status,
    )


@pytest.mark.parametrize("highs_process", [True, False])
def test_highs_in_a_child_process_or_in_a_thread(highs_process: bool) -> None:
    from gapengine.gap import GapParams

    # One job per agent fits (weights 2 on capacity 3); the optimum pairs the
    # cheap diagonal: 1 + 1 + 1.  Both ways of running HiGHS must prove it.
    inst = GapInstance(
        costs=[[1, 9, 9], [9, 1, 9], [9, 9, 1]], weights=[[2] * 3] * 3, capacities=[3, 3, 3]
    )
    params = GapParams(highs_process=highs_process)
    result = solve_gap(inst, time_limit=10, workers=2, params=params)
    assert (result.status, result.objective, result.assignment) == (Status.OPTIMAL, 3.0, [0, 1, 2])


def test_a_failing_highs_child_falls_back_to_mathopt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gapengine import gap_highs

    broken = tmp_path / "worker.py"
    broken.write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(gap_highs, "WORKER", broken)
    optima = known_optima()
    _, name, inst = load_instances(DATA / "gap1.txt")[0]
    result = solve_gap(inst, time_limit=10, workers=2)
    assert result.status is Status.OPTIMAL
    assert result.objective == optima[name, "min"]


def test_highs_child_reports_infeasible() -> None:
    from gapengine.gap_highs import HighsChild

    # Two jobs of weight 2 and two agents of capacity 3 fit; a third does not
    # (the pre-check passes: each job fits somewhere on its own).
    costs = np.ones((2, 3))
    child = HighsChild(
        costs, np.full((2, 3), 2.0), np.array([3.0, 3.0]), np.ones((2, 3), dtype=bool),
        np.ones(2, dtype=bool), 10.0, 0, on_solution=lambda _: None,
    )  # fmt: skip
    result = child.result(grace=20.0)
    assert result is not None and result.infeasible and result.assignment is None


def test_random_instances_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        m, n = 3, 6
        costs = rng.integers(1, 20, size=(m, n))
        weights = rng.integers(1, 10, size=(m, n))
        capacities = rng.integers(8, 20, size=m)
        inst = GapInstance(costs, weights, capacities)
        best = math.inf
        for code in range(m**n):
            a = [(code // m**j) % m for j in range(n)]
            load = np.zeros(m)
            for j, i in enumerate(a):
                load[i] += weights[i, j]
            if (load <= capacities).all():
                best = min(best, sum(costs[i, j] for j, i in enumerate(a)))
        result = solve_gap(inst, time_limit=10, workers=1)
        if math.isinf(best):
            assert result.status is Status.INFEASIBLE
        else:
            assert result.status is Status.OPTIMAL
            assert result.objective == best


# --------------------------------------------------------------------------- local search


def test_local_search_repairs_and_is_reproducible() -> None:
    from gapengine.gap_local import LocalSearch

    _, _, inst = load_instances(DATA / "gap1.txt")[0]
    m, n = inst.m, inst.n
    allowed = np.ones((m, n), dtype=bool)
    start = np.argmin(inst.costs, axis=0)  # cheapest agent per job: overloads agents
    load = np.zeros(m)
    np.add.at(load, start, inst.weights[start, np.arange(n)])
    assert (load > inst.capacities).any()  # the start is infeasible
    runs = []
    for _ in range(2):
        ls = LocalSearch(inst.costs, inst.weights, inst.capacities, allowed, np.ones(m, dtype=bool))
        found, cost = ls.run(start, 300, seed=1)
        assert found is not None and ls.rounds == 300
        assert check_assignment(inst, found.tolist()) == []
        assert cost == sum(inst.costs[i, j] for j, i in enumerate(found))
        runs.append(found.tolist())
    assert runs[0] == runs[1]
    assert cost <= known_optima()["c515-1", "min"] * 1.02


def test_local_search_keeps_forbidden_pairs_and_uncapacitated_agents() -> None:
    from gapengine.gap_local import LocalSearch

    # Job 0 may only go to agent 1; agent 2 has no capacity row (an "unassigned"
    # pseudo-agent at a high cost): the search must place both jobs on 0 and 1.
    costs = np.array([[1.0, 1.0], [5.0, 3.0], [50.0, 50.0]])
    weights = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    allowed = np.array([[False, True], [True, True], [True, True]])
    ls = LocalSearch(
        costs, weights, np.array([1.0, 1.0, 0.0]), allowed, np.array([True, True, False])
    )
    found, cost = ls.run(np.array([2, 2]), 50, seed=0)
    assert found is not None and found.tolist() == [1, 0] and cost == 6.0


def test_local_search_finds_a_cyclic_exchange() -> None:
    from gapengine.gap_local import LocalSearch

    # Three full agents, one job each; every job is cheapest on the next agent
    # and every single shift or swap overloads someone: only the 3-cycle helps.
    costs = np.array([[5.0, 9.0, 1.0], [1.0, 5.0, 9.0], [9.0, 1.0, 5.0]])
    weights = np.ones((3, 3))
    ls = LocalSearch(
        costs, weights, np.ones(3), np.ones((3, 3), dtype=bool), np.ones(3, dtype=bool),
        chains=False, depth=2,
    )  # fmt: skip
    found, cost = ls.run(np.array([0, 1, 2]), 5, seed=0, best_cost=15.0)
    assert found is not None and found.tolist() == [1, 2, 0] and cost == 3.0


def test_local_search_own_mode_reports_the_calls_best() -> None:
    from gapengine.gap_local import LocalSearch

    _, _, inst = load_instances(DATA / "gap1.txt")[0]
    m, n = inst.m, inst.n
    allowed = np.ones((m, n), dtype=bool)
    start = np.argmin(inst.costs, axis=0)
    # A bound below the LP bound: nothing beats it, so only ``own`` reports a solution.
    impossible = float(inst.costs.min(axis=0).sum()) - 1.0
    plain = LocalSearch(inst.costs, inst.weights, inst.capacities, allowed, np.ones(m, dtype=bool))
    assert plain.run(start, 100, seed=2, best_cost=impossible) == (None, impossible)
    own = LocalSearch(inst.costs, inst.weights, inst.capacities, allowed, np.ones(m, dtype=bool))
    found, cost = own.run(start, 100, seed=2, best_cost=impossible, own=True)
    assert found is not None and check_assignment(inst, found.tolist()) == []
    assert cost == sum(inst.costs[i, j] for j, i in enumerate(found)) > impossible
    # The walk itself does not depend on ``own``: both ended in the same place.
    assert own._a.tolist() == plain._a.tolist()


def test_elite_set_keeps_the_best_distinct_solutions() -> None:
    from gapengine.gap import _Elite

    elite = _Elite(2)
    a, b, c = np.array([0, 1]), np.array([1, 0]), np.array([1, 1])
    assert elite.add(10.0, a) and elite.add(12.0, b)
    assert not elite.add(10.0, a.copy())  # already in
    assert not elite.add(13.0, c)  # worse than the worst
    assert elite.add(11.0, c)  # replaces b, the worst
    assert sorted(elite.costs) == [10.0, 11.0]
    assert elite.stale == 4  # four offers since the best (10) came in
    elite.keep_best()
    assert elite.costs == [10.0] and elite.members[0].tolist() == [0, 1] and elite.stale == 0


def test_path_point_lies_between_two_elite_solutions() -> None:
    from gapengine.gap import GapParams, _Incumbent, _prepare, _Search

    _, _, inst = load_instances(DATA / "gap1.txt")[0]
    p = _prepare(inst, False, None)
    params = GapParams(relink_span=(0.25, 0.5))
    search = _Search(
        p, np.zeros(p.costs.shape), params, 0, math.inf, _Incumbent(), -math.inf,
        __import__("threading").Event(),
    )  # fmt: skip
    rng = np.random.default_rng(0)
    first = np.zeros(inst.n, dtype=np.int64)
    second = np.arange(inst.n, dtype=np.int64) % inst.m
    search.elite.add(1.0, first)
    search.elite.add(2.0, second)
    differ = int((first != second).sum())
    for _ in range(20):
        point = search._path_point(rng)
        start, guide = (
            (first, second)
            if (point == first).sum() >= (point == second).sum()
            else (second, first)
        )
        moved = point != start
        assert (point[moved] == guide[moved]).all()  # every moved job took the guide's agent
        assert round(0.25 * differ) <= moved.sum() <= round(0.5 * differ)


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGSTOP"), reason="POSIX only")
def test_highs_child_can_be_paused_and_resumed() -> None:
    from gapengine import gap_highs

    if not gap_highs.available():
        pytest.skip("highspy is not installed")
    _, _, inst = load_instances(DATA / "gap1.txt")[0]
    m, n = inst.m, inst.n
    child = gap_highs.HighsChild(
        inst.costs, inst.weights, inst.capacities, np.ones((m, n), dtype=bool),
        np.ones(m, dtype=bool), 30.0, 0, on_solution=lambda _: None,
    )  # fmt: skip
    pid = child._proc.pid

    def state() -> str:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    assert child.pause()
    if Path(f"/proc/{pid}/stat").exists():
        for _ in range(200):  # the signal is delivered asynchronously
            if state() == "T":
                break
            time.sleep(0.01)
        assert state() == "T"  # stopped
    assert not child.wait(0.5)  # a suspended HiGHS reports nothing
    child.resume()
    result = child.result(grace=30.0)
    assert result is not None and result.proved
    assert result.objective == known_optima()["c515-1", "min"]


def test_a_hopeless_highs_is_paused_for_a_second_search() -> None:
    from gapengine import gap_highs
    from gapengine.gap import GapParams

    if not gap_highs.available() or not hasattr(__import__("signal"), "SIGSTOP"):
        pytest.skip("needs highspy and POSIX signals")
    # d10100 (OR-Library gapd): HiGHS cannot prove it within seconds.
    _, name, inst = load_instances(DATA / "d10100")[0]
    # Any gap counts as hopeless and the check comes early: HiGHS is paused,
    # resumed at the end, and still reports its bound.
    params = GapParams(pause_after=0.25, pause_gap=1e-12)
    result = solve_gap(inst, time_limit=6, workers=2, params=params)
    assert check_assignment(inst, result.assignment) == []
    assert 1.5 - 0.1 < result.stats.get("highs_paused_at", math.inf) < 3
    assert result.stats["relinks"] > 0
    assert result.seconds < 6 + 1
    optimum = known_optima()[name, "min"]
    assert result.bound <= optimum <= result.objective <= optimum * 1.02
    assert result.bound > result.stats["lp_bound"]  # HiGHS's bound came back


def test_highs_is_not_paused_while_its_gap_is_small() -> None:
    from gapengine.gap import GapParams

    _, _, inst = load_instances(DATA / "d10100")[0]
    # 50 %: never reached once HiGHS has reported a bound (every 0.5 s); the check
    # comes at 3 s so that a slow child start on a loaded machine has reported one
    params = GapParams(pause_after=0.75, pause_gap=0.5)
    result = solve_gap(inst, time_limit=4, workers=2, params=params)
    assert "highs_paused_at" not in result.stats
    assert check_assignment(inst, result.assignment) == []


def test_a_silent_highs_child_is_given_up_in_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gapengine import gap_highs

    # A worker that reports a bound once and then ignores every request.
    silent = tmp_path / "worker.py"
    silent.write_text(
        "import pickle, struct, sys, time\n"
        "sys.stdin.buffer.read(4)\n"
        "data = pickle.dumps(('bound', 6340.0))\n"
        "sys.stdout.buffer.write(struct.pack('>I', len(data)) + data)\n"
        "sys.stdout.buffer.flush()\n"
        "time.sleep(600)\n"
    )
    monkeypatch.setattr(gap_highs, "WORKER", silent)
    _, name, inst = load_instances(DATA / "d10100")[0]  # LP bound 6323.5, optimum 6347
    result = solve_gap(inst, time_limit=3, workers=2)
    assert result.seconds < 3.0
    assert result.stats.get("highs_abandoned") == 1.0
    assert result.bound == 6340.0  # the last reported bound stands
    assert check_assignment(inst, result.assignment) == []
    assert result.objective >= known_optima()[name, "min"]
