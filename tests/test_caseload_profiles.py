"""The placement on coordinator profiles (optimiser/model/caseload_profiles.py):
hand arithmetic for the profiles, the subset-sum, the bound and the packings, and
the 600 x 25 team with two-decimal weights it places optimally."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from caseload_synthetic import synthetic_instance

import optimiser.caseload.solve as solve_module
from optimiser.caseload import CaseloadParams, solve_caseload
from optimiser.caseload.instance import CaseloadInstance, Coordinator, Person
from optimiser.model.caseload_cpsat import PairProblem
from optimiser.model.caseload_milp import Milp
from optimiser.model.caseload_profiles import (
    _best_subset,
    _closest_subset,
    locate_by_profiles,
    place_by_profiles,
    profiles,
)
from optimiser.status import Status


def _problem(
    weight: list[int],
    capacity: list[int],
    eligible: list[list[int]] | None = None,
    priority: list[int] | None = None,
    current: list[int | None] | None = None,
) -> PairProblem:
    n = len(weight)
    every = list(range(len(capacity)))
    return PairProblem(
        eligible=eligible or [every] * n,
        weight=weight,
        capacity=capacity,
        priority=priority or [1] * n,
        current=current or [None] * n,
        local=[frozenset()] * n,
    )


def _placed(problem: PairProblem, assignment: list[int | None]) -> int:
    return sum(problem.priority[i] for i, k in enumerate(assignment) if k is not None)


def _within_capacity(problem: PairProblem, assignment: list[int | None]) -> bool:
    load = [0] * len(problem.capacity)
    for i, k in enumerate(assignment):
        if k is not None:
            assert k in problem.eligible[i]
            load[k] += problem.weight[i]
    return all(load[k] <= problem.capacity[k] for k in range(len(load)))


def test_profiles_group_coordinators_who_may_take_the_same_people() -> None:
    # person 0 only with A (0); the others with A, B, C: A is a profile of its
    # own, B and C one together; D (3) whom nobody may have is in none
    problem = _problem([1, 1, 1], [5, 5, 5, 5], eligible=[[0], [0, 1, 2], [0, 1, 2]])
    assert profiles(problem) == [[0], [1, 2]]


def test_closest_subset_by_hand() -> None:
    weights = [5, 4, 3]
    # room 7: 4 + 3 = 7 exactly (5 alone leaves 2)
    assert sorted(_closest_subset([0, 1, 2], weights, 7)) == [1, 2]
    # room 6: 5 (or 3 alone) is the closest: 5
    assert _closest_subset([0, 1, 2], weights, 6) == [0]
    assert _closest_subset([0, 1, 2], weights, 2) == []
    assert _closest_subset([0, 1, 2], weights, 12) == [2, 1, 0]


def test_a_profile_packed_exactly() -> None:
    # two coordinators of 7 (one profile, 14 together); weights 6, 4, 4, 3, 3.
    # The relaxation: at most 4 people (4 + 4 + 3 + 3 = 14); the packing fills
    # each coordinator exactly (4 + 3 and 4 + 3), so 4 is proved.
    problem = _problem([6, 4, 4, 3, 3], [7, 7])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 4
    best = max(_placed(problem, a) for a in packing.packings)
    assert best == 4
    assert all(_within_capacity(problem, a) for a in packing.packings)


def test_a_profile_that_cannot_be_packed_keeps_its_bound() -> None:
    # two coordinators of 7; weights 5, 5, 4: together 14 fits the profile (bound
    # 3), but any two of them exceed 7, so one person each: the packing places 2,
    # which is the optimum; the bound stays 3 (a relaxation, not a proof)
    problem = _problem([5, 5, 4], [7, 7])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 3
    assert max(_placed(problem, a) for a in packing.packings) == 2
    assert all(_within_capacity(problem, a) for a in packing.packings)


def test_severity_first() -> None:
    # one coordinator of 6: the red person (5 points, severity 3) against two
    # green ones (3 + 3, severity 1 each): severity 3 beats 2
    problem = _problem([5, 3, 3], [6], priority=[3, 1, 1])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 3
    assert packing.packings[0] == [0, None, None]


def test_kept_people_first_then_without_them() -> None:
    # coordinators A (0) and B (1) of 6 each, one profile; weights 4, 4, 2, 2.
    # Person 0's current coordinator is A and person 1's is B.  Everyone fits
    # (4 + 2 at each); the relaxation keeps both (its bound on keeps: 2), and
    # the first packing has them at their coordinators; the second the same
    # without preferring a coordinator's own people, the third packs without
    # keeps (preferring them: both kept all the same).
    problem = _problem([4, 4, 2, 2], [6, 6], current=[0, 1, None, None])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 4 and packing.keeps == 2
    assert len(packing.packings) == 3
    first = packing.packings[0]
    assert first[0] == 0 and first[1] == 1 and _placed(problem, first) == 4
    assert packing.packings[2][:2] == [0, 1]
    assert all(_within_capacity(problem, a) for a in packing.packings)


def test_a_kept_person_whose_room_nobody_fills_joins_the_others() -> None:
    # A (0) holds 8, B (1) holds 3; weights 3, 4, 2, 2; person 3 (2 points) is
    # B's.  Kept at B, B's last point fits nobody, and A takes at most 7 of the
    # other 9 (4 + 3): someone is left over.  Freed, person 3 goes with the
    # others: A takes 4 + 2 + 2 = 8 and B 3, and everyone is placed.
    problem = _problem([3, 4, 2, 2], [8, 3], current=[None, None, None, 1])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 4
    first = packing.packings[0]
    assert _placed(problem, first) == 4 and _within_capacity(problem, first)
    assert first == [1, 0, 0, 0]


def _score(problem: PairProblem, assignment: list[int | None]) -> tuple[int, int]:
    """(placed priority, kept)."""
    placed = [i for i, k in enumerate(assignment) if k is not None]
    kept = sum(1 for i in placed if problem.current[i] == assignment[i])
    return sum(problem.priority[i] for i in placed), kept


def test_kept_people_are_reserved_before_any_profile_takes_others() -> None:
    # A (0) holds 2, B (1) holds 1; person 0 (B's) may have A or B, person 1
    # too, person 2 only A: A and B are two profiles.  The relaxation keeps
    # person 0 at B; taking the profiles in turn, A's share of person 0's class
    # took person 0 first (no keep).  Kept people are now set aside first.
    problem = _problem([1, 1, 1], [2, 1], eligible=[[0, 1], [0, 1], [0]], current=[1, None, None])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 3
    assert packing.packings[0] == [1, 0, 0]
    assert _score(problem, packing.packings[0]) == (3, 1)


def test_freeing_kept_people_never_leaves_a_worse_packing() -> None:
    # A review's case: freeing kept people round after round ended with the last
    # round's packing (placed 7, kept 0) where an earlier one was better; the
    # best round is kept now, and the optimum here is (8, 2)
    problem = _problem(
        [7, 6, 6, 2, 3, 3],
        [5, 8, 8],
        eligible=[[0, 1, 2], [0, 1, 2], [1, 2], [0, 1, 2], [1, 2], [0, 1, 2]],
        priority=[3, 2, 2, 1, 3, 1],
        current=[None, 2, None, 2, 2, 1],
    )
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound >= 8
    assert max(_score(problem, a) for a in packing.packings) >= (8, 1)
    assert all(_within_capacity(problem, a) for a in packing.packings)


def _random_problem(
    rng: random.Random, coordinators: int, people: int, weight: int, room: int
) -> PairProblem:
    """2 to ``coordinators`` coordinators of ``room`` to 9 quanta, 3 to ``people``
    people of 1 to ``weight``, random eligible sets, priorities 1-3 and current
    coordinators (or none)."""
    m, n = rng.randint(2, coordinators), rng.randint(3, people)
    eligible = [sorted(rng.sample(range(m), rng.randint(1, m))) for _ in range(n)]
    return _problem(
        [rng.randint(1, weight) for _ in range(n)],
        [rng.randint(room, 9) for _ in range(m)],
        eligible=eligible,
        priority=[rng.randint(1, 3) for _ in range(n)],
        current=[rng.choice([None, *e]) for e in eligible],
    )


def _brute_placement(problem: PairProblem) -> int:
    best = 0
    n = len(problem.eligible)

    def walk(i: int, load: list[int], placed: int) -> None:
        nonlocal best
        if i == n:
            best = max(best, placed)
            return
        walk(i + 1, load, placed)
        for k in problem.eligible[i]:
            if load[k] + problem.weight[i] <= problem.capacity[k]:
                load[k] += problem.weight[i]
                walk(i + 1, load, placed + problem.priority[i])
                load[k] -= problem.weight[i]

    walk(0, [0] * len(problem.capacity), 0)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_random_teams_against_brute_force(seed: int) -> None:
    # the bound is never below the optimum, every packing is feasible, and a
    # packing that meets the bound is the optimum
    problem = _random_problem(random.Random(seed), coordinators=4, people=7, weight=6, room=0)
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None
    optimum = _brute_placement(problem)
    assert packing.bound >= optimum
    assert all(_within_capacity(problem, a) for a in packing.packings)
    best = max(_placed(problem, a) for a in packing.packings)
    assert best <= optimum
    if best >= packing.bound:
        assert best == optimum == packing.bound


def test_only_eligible_coordinators() -> None:
    # person 0 may only have A (capacity 3, weight 3); person 1 anyone (weight
    # 3); B has 3: both placed, person 0 at A
    problem = _problem([3, 3], [3, 3], eligible=[[0], [0, 1]])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and packing.bound == 2
    assert packing.packings[0] == [0, 1]


@pytest.mark.parametrize("seed", [0])
def test_the_two_decimal_team_is_placed_optimally(seed: int) -> None:
    # the 600 x 25 team with two-decimal weights: HiGHS on the class model
    # stayed at 1,646 of 1,649 after 13 s; the profiles' bound is 1,649 and a
    # packing meets it
    instance = synthetic_instance(600, 25, 2, seed=seed, weights="distinct", severity=True)
    result = solve_caseload(instance, CaseloadParams(time_limit=8, balance=False))
    place = next(s for s in result.stages if s.stage == "place")
    assert (place.value, place.bound, place.status) == (1649, 1649, Status.OPTIMAL)
    assert result.stats["place_profiles_seconds"] > 0


def test_a_scheme_team_is_packed_first_and_its_ties_broken_on_classes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # per-person weights on a small team: the placement goes to the profiles
    # first, whatever the weights' grain; scheme team 0's packings meet the
    # placement bound but not the profiles' keeps at it, so the class model
    # breaks the ties (and proves the keep stage with it).  Each of these steps
    # is a heuristic with a work limit (nodes) besides its share of the clock:
    # where it stops must not depend on how busy the machine is; the tie-break
    # stops after the root node
    calls: list[tuple[str, int | None]] = []
    solve = Milp.solve

    def recorded(self: Milp, *args: Any, **kwargs: Any) -> Any:
        calls.append((self.model.name, kwargs.get("max_nodes")))
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(Milp, "solve", recorded)
    instance = synthetic_instance(600, 25, 2, seed=0, weights="scheme", severity=True)
    result = solve_caseload(instance, CaseloadParams(time_limit=30, balance=False))
    names = list(result.stats)  # (in the order the solve recorded them)
    assert names.index("place_profiles_seconds") < names.index("place_classes_seconds")
    assert "locality_profiles_seconds" in result.stats
    assert all(s.status is Status.OPTIMAL for s in result.stages)
    steps = [(name, nodes) for name, nodes in calls if name != "caseload"]
    assert steps[:2] == [
        ("caseload_profiles", solve_module.PROFILE_NODES),
        ("caseload_classes", solve_module.PROFILE_CLASS_NODES),
    ]
    assert ("caseload_profiles", solve_module.LOCATE_NODES) in steps
    assert all(nodes is not None for _, nodes in steps)


def test_tier_weights_go_without_profiles_or_classes() -> None:
    # no per-person weights: the grouped model alone (its relaxations prove the
    # tier-weighted teams' stages); neither the profiles nor the class model run
    instance = synthetic_instance(600, 25, 2, seed=0, weights="tier", severity=True)
    result = solve_caseload(instance, CaseloadParams(time_limit=30, balance=False))
    assert not [k for k in result.stats if "profiles" in k or "classes" in k]
    assert all(s.status is Status.OPTIMAL for s in result.stages)


def test_no_packing_where_capacities_hold_too_many_quanta(monkeypatch: pytest.MonkeyPatch) -> None:
    # the subset sums grow with the quanta a coordinator holds: above the cap
    # the placement goes without the profiles (here the cap is lowered)
    instance = synthetic_instance(600, 25, 2, seed=0, weights="distinct", severity=True)
    monkeypatch.setattr(solve_module, "PROFILE_MAX_QUANTA", 100)
    result = solve_caseload(instance, CaseloadParams(time_limit=4, balance=False))
    assert "place_profiles_seconds" not in result.stats
    assert "locality_profiles_seconds" not in result.stats


def test_best_subset_fills_first_then_keeps() -> None:
    # room 5 of weights 3, 3, 2: 3 + 2 either way; item 1 is worth 1 -> [1, 2].
    # Room 6: 3 + 3 fills it, worth 1, ahead of any 5-point subset worth more
    weights = [3, 3, 2]
    assert sorted(_best_subset([0, 1, 2], weights, 5, [0, 1, 0])) == [1, 2]
    assert sorted(_best_subset([0, 1, 2], weights, 5, [0, 0, 5])) in ([0, 2], [1, 2])
    assert sorted(_best_subset([0, 1, 2], weights, 6, [0, 1, 9])) == [0, 1]
    assert _best_subset([0, 1, 2], weights, 1, [1, 1, 1]) == []


def test_a_room_takes_its_own_person_before_another() -> None:
    # one profile, A (0) and B (1) of 5 each; weights 3, 3, 2, 2; person 1's
    # coordinator is A, and nobody's B.  The relaxation keeps person 1 at A and
    # every packing has it there, with everyone placed (3 + 2 at each)
    problem = _problem([3, 3, 2, 2], [5, 5], current=[None, 0, None, None])
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None and (packing.bound, packing.keeps) == (4, 1)
    for assignment in packing.packings:
        assert assignment[1] == 0 and _placed(problem, assignment) == 4


def _localised(problem: PairProblem, homes: list[int | None], where: list[int]) -> PairProblem:
    """``problem`` with people's localities ``homes`` and coordinators' ``where``."""
    local = [frozenset(k for k, at in enumerate(where) if at == home) for home in homes]
    return PairProblem(problem.eligible, problem.weight, problem.capacity, problem.priority,
                       problem.current, local)  # fmt: skip


def test_the_locality_stage_by_hand() -> None:
    # A (0) in locality 0 and B (1) in locality 1, 4 points each, one profile;
    # four people of 2 points, two of each locality, all currently nobody's:
    # everyone fits in their own locality (bound 4), and the packing does it
    base = _problem([2, 2, 2, 2], [4, 4])
    problem = _localised(base, [0, 1, 0, 1], [0, 1])
    packing = locate_by_profiles(problem, placement=4, keeps=0, time_limit=5.0)
    assert packing is not None and packing.bound == 4
    assert packing.packings[0] == [0, 1, 0, 1]


def test_the_locality_stage_holds_the_keeps() -> None:
    # as above, but person 0 (locality 0) is kept at B: with the keep held, B
    # takes one of persons 1 and 3 (locality 1) beside it, and A person 2 and
    # the other: 2 people in their own locality
    base = _problem([2, 2, 2, 2], [4, 4], current=[1, None, None, None])
    problem = _localised(base, [0, 1, 0, 1], [0, 1])
    free = locate_by_profiles(problem, placement=4, keeps=0, time_limit=5.0)
    held = locate_by_profiles(problem, placement=4, keeps=1, time_limit=5.0)
    assert free is not None and held is not None
    assert (free.bound, held.bound) == (4, 2)
    assert held.packings[0][0] == 1 and _placed(problem, held.packings[0]) == 4


def _scores(problem: PairProblem, a: tuple[int | None, ...] | list[int | None]) -> tuple[int, ...]:
    placed = _placed(problem, list(a))
    kept = sum(1 for i, k in enumerate(a) if k is not None and problem.current[i] == k)
    local = sum(1 for i, k in enumerate(a) if k is not None and k in problem.local[i])
    return placed, kept, local


def _brute_stages(problem: PairProblem) -> tuple[int, int, int]:
    """Placement, then keeps, then locality: the lexicographic optimum."""
    options = [[None, *e] for e in problem.eligible]
    best = (-1, -1, -1)
    for a in itertools.product(*options):
        load = [0] * len(problem.capacity)
        for i, k in enumerate(a):
            if k is not None:
                load[k] += problem.weight[i]
        if all(load[k] <= problem.capacity[k] for k in range(len(load))):
            best = max(best, _scores(problem, a))
    return best


@pytest.mark.parametrize("seed", range(60))
def test_random_teams_keeps_and_locality_against_brute_force(seed: int) -> None:
    # the keeps bound at the optimal placement and the locality bound with the
    # optimal placement and keeps held are never below the optima; a packing
    # that meets the earlier stages never beats them, and meeting the bound is
    # the optimum
    rng = random.Random(1000 + seed)
    base = _random_problem(rng, coordinators=3, people=6, weight=5, room=2)
    homes = [rng.choice([None, 0, 1]) for _ in base.eligible]
    problem = _localised(base, homes, [rng.randint(0, 1) for _ in base.capacity])
    placement, keeps, local = _brute_stages(problem)
    packing = place_by_profiles(problem, 5.0)
    assert packing is not None
    if packing.bound == placement:
        assert packing.keeps >= keeps
    located = locate_by_profiles(problem, placement, keeps, 5.0)
    assert located is not None and located.bound >= local
    for a in located.packings:
        assert _within_capacity(problem, a)
        scores = _scores(problem, a)
        if scores[0] >= placement and scores[1] >= keeps:
            assert scores[2] <= local
            if scores[2] >= located.bound:
                assert scores[2] == local == located.bound


def test_a_two_decimal_team_keeps_and_localities_proved_by_profiles(
    relaxation_engine: str,
) -> None:
    # the 600 x 25 team 5 with two-decimal weights: placement is proved by its
    # relaxation; from the interior-point vertex (the relaxations of large
    # models) the keep stage starts a keep short, and the profiles' bound on
    # keeps at that placement (482) is met by a packing; from the simplex vertex
    # (small models, as this one) a rounded start meets the relaxation's bound
    # itself.  The locality stage's bound on profiles split by locality (565) is
    # met either way
    instance = synthetic_instance(600, 25, 2, seed=5, weights="distinct", severity=True)
    result = solve_caseload(instance, CaseloadParams(time_limit=20, balance=False))
    stages = {s.stage: s for s in result.stages}
    assert (stages["keep"].value, stages["keep"].status) == (482, Status.OPTIMAL)
    assert (stages["locality"].value, stages["locality"].status) == (565, Status.OPTIMAL)
    if relaxation_engine == "ipm":
        assert result.stats["keep_profiles_keeps"] == 482
    assert result.stats["locality_profiles_bound"] == 565


def test_a_keeps_bound_at_a_higher_placement_does_not_bound_the_keep_stage() -> None:
    # found by review: the profiles' placement bound is 22 (with at most 1 keep
    # there), but the placement proved is 21, where 3 people can be kept (CP-SAT
    # proves both); the bound of 1 keep must not be taken for placement 21
    def coordinator(k: int, capacity: int, competencies: str, locality: str) -> Coordinator:
        return Coordinator(f"c{k}", "r", float(capacity), True, frozenset(competencies), locality)

    def person(i: int, tier: str, weight: int, needs: str, locality: str,
               current: str | None) -> Person:  # fmt: skip
        return Person(f"p{i}", tier, float(weight), needs=frozenset(needs), locality=locality,
                      current=current, priority={"a": 1, "b": 2, "c": 3}[tier])  # fmt: skip

    coordinators = (
        coordinator(0, 3, "y", "L1"), coordinator(1, 5, "xy", "L0"), coordinator(2, 3, "xy", "L1"),
        coordinator(3, 2, "x", "L1"), coordinator(4, 5, "x", "L1"), coordinator(5, 3, "y", "L0"),
        coordinator(6, 7, "xy", "L0"), coordinator(7, 3, "", "L1"), coordinator(8, 3, "", "L0"),
        coordinator(9, 5, "y", "L0"),
    )  # fmt: skip
    people = (
        person(0, "a", 4, "", "L0", "c0"), person(1, "a", 4, "", "L1", None),
        person(2, "b", 4, "x", "L1", None), person(4, "a", 4, "y", "L0", None),
        person(5, "a", 3, "y", "L1", "c9"), person(7, "a", 2, "", "L0", "c6"),
        person(8, "c", 2, "x", "L0", "c4"), person(9, "c", 4, "", "L0", "c5"),
        person(10, "a", 2, "", "L1", None), person(11, "c", 2, "", "L1", "c3"),
        person(12, "c", 2, "y", "L0", "c0"), person(13, "b", 3, "", "L0", "c9"),
    )  # fmt: skip
    result = solve_caseload(CaseloadInstance(coordinators, people),
                            CaseloadParams(time_limit=10, balance=False))  # fmt: skip
    stages = {s.stage: s for s in result.stages}
    assert (stages["place"].value, stages["place"].status) == (21, Status.OPTIMAL)
    assert (stages["keep"].value, stages["keep"].status) == (3, Status.OPTIMAL)


def test_a_weighted_teams_locality_stage_goes_to_branch_and_bound_without_rins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a 200 x 10 team with weights to a tenth, capacity 10 % short: its locality
    # stage is left open by the profiles and goes to branch and bound, without
    # the relaxation induced neighbourhood first (it sent HiGHS a longer way on
    # such teams); the other stages keep it
    stages: list[str] = []
    rins = solve_module._rins

    def recorded(lp: Any, stage: Any, *args: Any, **kwargs: Any) -> Any:
        stages.append(stage.value)
        return rins(lp, stage, *args, **kwargs)

    monkeypatch.setattr(solve_module, "_rins", recorded)
    instance = synthetic_instance(200, 10, 2, seed=0, weights="tenths", severity=True,
                                  tightness=1.1)  # fmt: skip
    result = solve_caseload(instance, CaseloadParams(time_limit=30, balance=False))
    assert "locality_profiles_seconds" in result.stats and "locality_highs" in result.stats
    assert "locality" not in stages
    assert all(s.status is Status.OPTIMAL for s in result.stages)
