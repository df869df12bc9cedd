"""The pair model (CP-SAT) and the class model (HiGHS) of small caseload stages, by hand."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest
from caseload_synthetic import synthetic_instance

import optimiser.caseload.solve as solve_module
from optimiser.caseload import CaseloadParams, solve_caseload
from optimiser.model.caseload_classes import solve_classes
from optimiser.model.caseload_cpsat import PairProblem, solve_stage
from optimiser.model.caseload_milp import Milp


def _three_people() -> PairProblem:
    # coordinator 0 holds 4 quanta, coordinator 1 holds 2; people weigh 3, 2, 2
    # (priorities 5, 1, 1); person 1 is currently with coordinator 0
    return PairProblem(
        eligible=[[0, 1], [0, 1], [0, 1]],
        weight=[3, 2, 2],
        capacity=[4, 2],
        priority=[5, 1, 1],
        current=[None, 0, None],
        local=[frozenset(), frozenset({0}), frozenset({1})],
    )


def test_placement_by_hand() -> None:
    # best: the heavy person (5) at 0 and one light one at 1: 6; all three cannot fit
    answer = solve_stage(_three_people(), "place", {}, [None, None, None], 5.0)
    assert answer is not None and answer.proved
    assert answer.value == 6
    assert answer.assignment[0] == 0


def test_keep_with_placement_held() -> None:
    # placement 6 forces person 0 to coordinator 0 (weight 3 of 4): person 1 cannot
    # stay with coordinator 0, so no keep is possible
    answer = solve_stage(_three_people(), "keep", {"place": 6}, [0, 1, None], 5.0)
    assert answer is not None and answer.proved and answer.value == 0
    # without the placement floor person 1 stays and keep is 1
    free = solve_stage(_three_people(), "keep", {}, [None, 0, None], 5.0)
    assert free is not None and free.value == 1




def _four_people() -> PairProblem:
    # coordinators hold 3 and 2 quanta; a, b weigh 2 (priority 5), c, d weigh 1
    # (priority 2); a and c are currently with coordinator 0, b with 1, d with nobody.
    # Two classes: {a, b} and {c, d} (same coordinators, weight and priority).
    return PairProblem(
        eligible=[[0, 1]] * 4,
        weight=[2, 2, 1, 1],
        capacity=[3, 2],
        priority=[5, 5, 2, 2],
        current=[0, 1, 0, None],
        local=[frozenset()] * 4,
    )


def test_classes_placement_and_keep_by_hand() -> None:
    # 6 quanta of people, 5 of room: one light person is left (placed 5 + 5 + 2 = 12;
    # leaving a heavy one gives 9)
    place = solve_classes(_four_people(), "place", {}, [None] * 4, 5.0)
    assert place is not None and place.proved and place.value == place.bound == 12
    assert sorted(k is None for k in place.assignment) == [False, False, False, True]
    assert place.assignment[0] is not None and place.assignment[1] is not None
    # placement breaks its ties by keeps: of the placements of 12, the one that
    # keeps most (3, as the keep stage below proves), named so
    assert place.kept == 3 and place.assignment == [0, 1, 0, None]
    # keep with placement 12 held: a stays at 0 (2 of 3), b at 1 (2 of 2), c fills
    # 0's last quantum and stays too: 3 kept, d (nobody's) is the one left
    keep = solve_classes(_four_people(), "keep", {"place": 12}, place.assignment, 5.0)
    assert keep is not None and keep.proved and keep.value == keep.bound == 3
    assert keep.assignment == [0, 1, 0, None]
    # the pair model agrees on both optima
    pair = solve_stage(_four_people(), "keep", {"place": 12}, place.assignment, 5.0)
    assert pair is not None and pair.value == 3


def test_class_model_counts_who_is_left_out_and_their_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # _four_people: 6 quanta of people, 5 of room, so at least 1 quantum is left
    # out; the start from nobody placed has both classes wholly left out
    rows: dict[str, tuple[float, float, dict[str, float]]] = {}
    starts: list[dict[str, float]] = []
    real = Milp.solve

    def spy(self, variables, time_limit=None, hint=None, relax=False, heuristics=None,  # type: ignore[no-untyped-def]
            duals=(), max_nodes=None):  # fmt: skip
        assert self.num_variables > 0  # (writes the buffered rows)
        for row in self.model.linear_constraints():
            terms = {t.variable.name: t.coefficient for t in row.terms()}
            rows[row.name] = (row.lower_bound, row.upper_bound, terms)
        starts.append({v.name: x for v, x in (hint or {}).items()})
        return real(self, variables, time_limit, hint, relax, heuristics, duals, max_nodes)

    monkeypatch.setattr(Milp, "solve", spy)
    place = solve_classes(_four_people(), "place", {}, [None] * 4, 5.0)
    assert place is not None and place.value == 12
    lower, upper, terms = rows["classes_left"]
    assert (lower, upper) == (1.0, float("inf"))
    assert sorted(terms.values()) == [1.0, 2.0]  # the classes' weights in quanta
    assert rows["classes_size_0"][:2] == (2.0, 2.0)  # placed + left = the class
    assert {starts[0][name] for name in terms} == {2.0}  # two of each left out
    # from a start with a and b placed and c at 0: nobody of {a, b} left, d of {c, d}
    solve_classes(_four_people(), "place", {}, [0, 1, 0, None], 5.0)
    left = {terms[name]: starts[1][name] for name in terms}
    assert left == {2.0: 0.0, 1.0: 1.0}
    # the keep stage is the same model from the placement's answer, its placement
    # not held by a row (the objective puts it first)
    rows.clear()
    solve_classes(_four_people(), "keep", {"place": 12}, place.assignment, 5.0)
    assert "classes_left" in rows and "classes_floor_place" not in rows
    assert {starts[2][name] for name in terms} == {0.0, 1.0}  # d left out: the start


def test_the_class_keep_stage_bounds_keeps_at_the_proved_placement() -> None:
    # _four_people, people + 1 = 5: the optimum is placement 12 with 3 keeps, 12 x 5
    # + 3 = 63.  At the proved placement 12, keeps <= 63 - 60 = 3 (proved).  Told the
    # placement is 10 (below the optimum: the answer places 12, more than held),
    # its bound on keeps is 63 - 50 = 13 (loose but valid: keeps at placement >= 10)
    # and it proves nothing; told 13 (above what anyone can place), the answer
    # places less than held: no answer (-1 keeps) and a bound of 63 - 65 < 0
    keep = solve_classes(_four_people(), "keep", {"place": 12}, [None] * 4, 5.0)
    assert keep is not None and (keep.proved, keep.value, keep.bound) == (True, 3, 3)
    low = solve_classes(_four_people(), "keep", {"place": 10}, [None] * 4, 5.0)
    assert low is not None and (low.proved, low.value, low.bound) == (False, 3, 13)
    high = solve_classes(_four_people(), "keep", {"place": 13}, [None] * 4, 5.0)
    assert high is not None and (high.proved, high.value, high.bound) == (False, -1, -2)


def test_class_placement_is_lexicographic_placement_then_keeps() -> None:
    # one coordinator of 2 quanta: the heavy person (priority 3) or the two light
    # ones who are its own (priority 1 each, 2 keeps); placement first: the heavy
    # one, 0 keeps (placement + keeps as the objective would take the light ones)
    problem = PairProblem(
        eligible=[[0]] * 3, weight=[2, 1, 1], capacity=[2], priority=[3, 1, 1],
        current=[None, 0, 0], local=[frozenset()] * 3,
    )  # fmt: skip
    answer = solve_classes(problem, "place", {}, [None] * 3, 5.0)
    assert answer is not None and answer.proved
    assert (answer.value, answer.bound, answer.kept) == (3, 3, 0)
    assert answer.assignment == [0, None, None]


def test_the_class_models_placement_proves_the_keep_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a small weighted team whose keep stage the relaxation does not prove: the
    # class model's placement (placement, then keeps) proves it, with no second
    # class solve; unproved, the keep stage is solved again (brute force agrees)
    import random

    from test_caseload import _brute_force, _weighted_instance

    instance = _weighted_instance(random.Random(12))
    best, _ = _brute_force(instance)
    real = solve_module.solve_classes
    for proved in (True, False):
        calls: list[str] = []

        def spy(problem, stage, floors, hint, time_limit, max_nodes=None,  # type: ignore[no-untyped-def]
                calls=calls, proved=proved):  # fmt: skip
            answer = real(problem, stage, floors, hint, time_limit, max_nodes)
            calls.append(stage)
            return answer if proved or answer is None else replace(answer, proved=False)

        monkeypatch.setattr(solve_module, "solve_classes", spy)
        result = solve_caseload(instance, CaseloadParams())
        objectives = result.objectives()
        assert (objectives.placed, objectives.kept, objectives.local) == best
        assert [s.status.value for s in result.stages][:2] == ["optimal"] * 2
        assert calls == (["place"] if proved else ["place", "keep"])


def test_weighted_teams_prove_every_stage_with_the_class_model() -> None:
    # a weighting scheme (few values) on 200 x 10 and hundreds of distinct weights
    # on 400 x 10: every stage proved (HiGHS alone left keep a point short on both)
    for people, coordinators, weights in ((200, 10, "scheme"), (400, 10, "distinct")):
        instance = synthetic_instance(people, coordinators, 1, weights=weights, severity=True)
        result = solve_caseload(instance, CaseloadParams(time_limit=60))
        assert [s.status.value for s in result.stages] == ["optimal"] * 4, weights

def test_bounding_model_rounds_weights_down_and_bounds_the_exact_optimum() -> None:
    from optimiser.caseload.evaluation import check_assignment
    from optimiser.caseload.heuristic import LocalSearch
    from optimiser.caseload.instance import eligible
    from optimiser.caseload.lagrange import Pairs
    from optimiser.caseload.solve import BOUNDING_WEIGHTS, Stage, _bounding_bound, _bounding_model

    instance = synthetic_instance(120, 8, 1, weights="distinct", severity=True)
    exact = solve_caseload(instance, CaseloadParams(time_limit=30))
    place = next(s for s in exact.stages if s.stage == "place")
    assert place.value == place.bound  # proved: the bound below must not cut it
    bounding = _bounding_model(instance)
    assert len(set(bounding.weights)) <= BOUNDING_WEIGHTS
    true = sorted(p.weight for p in instance.people)
    down = sorted(p.weight for p in _people_of(bounding, instance))
    assert all(d <= t + 1e-9 for d, t in zip(down, true, strict=True))
    coords = instance.coordinators
    eligible_of = [[k for k, c in enumerate(coords) if eligible(p, c)] for p in instance.people]
    pairs = Pairs(LocalSearch(instance, eligible_of))
    stats: dict[str, float] = {}
    assert _bounding_bound(bounding, pairs, Stage.PLACE, {}, 30.0, stats)[0] >= place.value
    assert stats["place_lagrangian"] <= stats["place_bounding_lp"] + 1e-6
    # asked for a start, the same relaxation's vertex, named and eligible by the
    # true weights (capacities are the caller's to repair)
    search = LocalSearch(instance, eligible_of)
    bound, people = _bounding_bound(bounding, pairs, Stage.PLACE, {}, 30.0, {}, search)
    assert bound >= place.value and people is not None
    assert len(people) == len(instance.people)
    assert all(k is None or k in search.eligible_set[i] for i, k in enumerate(people))
    assert sum(instance.people[i].priority for i, k in enumerate(people) if k is not None) >= (
        place.value - len(coords) * 3
    )  # rounding the vertex loses at most a person or so per coordinator
    repaired = search.run(people)
    assert check_assignment(instance, [None if k is None else coords[k].id for k in repaired]) == []


def _people_of(bounding, instance):  # type: ignore[no-untyped-def]
    """The bounding model's people, in file order (weights as the model sees them)."""
    weight_of = {}
    for group in bounding.groups:
        for i in group.members:
            weight_of[i] = bounding.weights[group.type]
    return [type("P", (), {"weight": weight_of[i]}) for i in range(len(instance.people))]


def test_a_stage_highs_proves_goes_to_no_second_prover(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS reports a proved locality optimum of 567 as 566.9999999999962 on the
    weighted 600 x 25 team; that is proved (it was once sent on to CP-SAT: 1.3 s)."""
    calls: list[str] = []

    def counting(problem, stage, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(stage)
        return solve_stage(problem, stage, *args, **kwargs)

    monkeypatch.setattr(solve_module, "solve_stage", counting)
    whole: list[bool] = []
    milp_solve = Milp.solve

    def checking(self, variables, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        solved = milp_solve(self, variables, *args, **kwargs)
        if not kwargs.get("relax"):  # integer variables come back whole
            whole.extend(solved.values[v] == round(solved.values[v])
                         for v in self._integers if v in solved.values)  # fmt: skip
        return solved

    monkeypatch.setattr(Milp, "solve", checking)
    instance = synthetic_instance(600, 25, 2, weights="scheme", severity=True)
    result = solve_caseload(instance, CaseloadParams(time_limit=60))
    assert [s.status.value for s in result.stages] == ["optimal"] * 4
    assert [s.value for s in result.stages][:3] == [1619, 485, 567]
    assert calls == []
    assert whole and all(whole)


def _best_by_enumeration(problem: PairProblem) -> tuple[int, int]:
    """(placement, keeps at it) over every assignment: no solver."""
    n, best = len(problem.weight), (-1, -1)
    choices = [[None, *problem.eligible[i]] for i in range(n)]
    for assignment in itertools.product(*choices):
        load = [0] * len(problem.capacity)
        for i, k in enumerate(assignment):
            if k is not None:
                load[k] += problem.weight[i]
        if any(load[k] > problem.capacity[k] for k in range(len(load))):
            continue
        placed = sum(problem.priority[i] for i, k in enumerate(assignment) if k is not None)
        kept = sum(1 for i, k in enumerate(assignment) if k is not None and k == problem.current[i])
        best = max(best, (placed, kept))
    return best


def test_class_keep_stage_matches_enumeration_on_random_teams() -> None:
    # random teams of up to 6 people and 3 coordinators: the class model's
    # placement, then its keep stage at that placement (not held as a row),
    # against every assignment; the keep stage's bound is never below its value
    rng = random.Random(7)
    for _ in range(40):
        people, coordinators = rng.randint(2, 6), rng.randint(1, 3)
        problem = PairProblem(
            eligible=[sorted(rng.sample(range(coordinators), rng.randint(1, coordinators)))
                      for _ in range(people)],
            weight=[rng.randint(1, 4) for _ in range(people)],
            capacity=[rng.randint(2, 7) for _ in range(coordinators)],
            priority=[rng.choice([1, 2, 5]) for _ in range(people)],
            current=[rng.choice([None, *range(coordinators)]) for _ in range(people)],
            local=[frozenset()] * people,
        )  # fmt: skip
        placed, kept = _best_by_enumeration(problem)
        place = solve_classes(problem, "place", {}, [None] * people, 5.0)
        assert place is not None and place.proved and place.value == placed
        keep = solve_classes(problem, "keep", {"place": placed}, [None] * people, 5.0)
        assert keep is not None and keep.proved, problem
        assert keep.value == keep.bound == kept, problem
