"""The Lagrangian stage bound of a huge model (optimiser/caseload/lagrange.py).

Hand arithmetic on a tiny team; the optimal duals of the model's own relaxation
give back that relaxation's value (every dualised row accounted for); any
non-negative multipliers bound the proved optimum; and in the staged solve the
bound of a model forced onto the bounding path holds and is no looser than the
bounding model's own.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import optimiser.caseload.solve as solve_module
from optimiser.caseload import CaseloadParams, solve_caseload
from optimiser.caseload.heuristic import LocalSearch
from optimiser.caseload.instance import CaseloadInstance, Coordinator, Person, eligible
from optimiser.caseload.lagrange import Multipliers, Pairs
from optimiser.caseload.lagrange import lagrangian_bound as bound
from optimiser.caseload.model import build
from optimiser.caseload.synthetic import synthetic_instance
from optimiser.model.caseload_milp import Sense
from optimiser.status import Status

COMPS = frozenset({"care_coordination"})


def _person(pid: str, weight: float, current: str | None, locality: str, priority: int = 1):  # noqa: ANN202
    return Person(pid, "amber", weight, "all", frozenset(), locality, current, False, priority)


def _pairs(instance: CaseloadInstance) -> Pairs:
    people = instance.people
    coords = instance.coordinators
    return Pairs(LocalSearch(instance, [[k for k, c in enumerate(coords) if eligible(p, c)]
                                        for p in people]))  # fmt: skip


def _tiny() -> CaseloadInstance:
    # A (capacity 2, north), B (capacity 1, south); p1 (1 point, current A, north),
    # p2 (1.5, current A, south), p3 (1, no current, south)
    coords = (
        Coordinator("A", "nurse", 2.0, True, COMPS, "north"),
        Coordinator("B", "nurse", 1.0, True, COMPS, "south"),
    )
    people = (
        _person("p1", 1.0, "A", "north"),
        _person("p2", 1.5, "A", "south"),
        _person("p3", 1.0, None, "south"),
    )
    return CaseloadInstance(coordinators=coords, people=people, name="tiny")


def test_the_bound_by_hand() -> None:
    pairs = _pairs(_tiny())
    # p2 (1.5) does not fit B (1): pairs p1-A, p1-B, p2-A, p3-A, p3-B
    assert pairs.person.tolist() == [0, 0, 1, 2, 2]
    assert pairs.keep.tolist() == [True, False, True, False, False]
    assert pairs.local.tolist() == [True, False, False, False, True]
    # locality stage, placement floor 3, keep floor 1; y = (0.5, 0.25), mu_place 0.1,
    # mu_keep 0.2, no fit multipliers:
    #   p1-A 0.1 + 0.2 + 1 - 0.5 = 0.8   p1-B 0.1 - 0.25 = -0.15  -> 0.8
    #   p2-A 0.1 + 0.2 - 0.75 = -0.45                              -> 0
    #   p3-A 0.1 - 0.5 = -0.4            p3-B 0.1 + 1 - 0.25 = 0.85 -> 0.85
    #   + 0.5 * 2 + 0.25 * 1 - 0.1 * 3 - 0.2 * 1 = 0.75              -> 2.4
    m = Multipliers(np.array([0.5, 0.25]), np.zeros(2), {}, {"place": 0.1, "keep": 0.2})
    assert bound(pairs, "locality", {"place": 3, "keep": 1}, m) == pytest.approx(2.4)
    # with no multipliers: everyone at their best pair, 1 + 0 + 1
    zero = Multipliers(np.zeros(2), np.zeros(2), {}, {})
    assert bound(pairs, "locality", {"place": 3, "keep": 1}, zero) == pytest.approx(2.0)
    # a keep-fit multiplier of 1 at A on a 1-person right-hand side: p1-A loses it
    # (0.8 - 1 < 0.8 elsewhere? p1-B -0.15: p1 drops to 0) and 1 x most (A keeps
    # p1 and p2: 1 + 1.5 > 2, so most = 1) comes back: 2.4 - 0.8 + 1 = 2.6
    fit = Multipliers(np.array([0.5, 0.25]), np.array([1.0, 0.0]), {},
                      {"place": 0.1, "keep": 0.2})  # fmt: skip
    assert pairs.most_kept.tolist() == [1.0, 0.0]
    assert bound(pairs, "locality", {"place": 3, "keep": 1}, fit) == pytest.approx(2.6)


@pytest.mark.parametrize("stage", ["keep", "locality"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_relaxations_own_duals_give_its_value(stage: str, seed: int) -> None:
    """Every row the bound dualises is accounted for: at the relaxation's optimal
    duals the bound is the relaxation's value (strong duality)."""
    instance = synthetic_instance(150, 8, 2, seed=seed, weights="distinct", severity=True)
    model = build(instance)
    placed = solve_caseload(instance, CaseloadParams(time_limit=20, balance=False))
    values = {s.stage: s.value for s in placed.stages}
    floors = {"place": values["place"]} if stage == "keep" else {
        "place": values["place"], "keep": values["keep"]}  # fmt: skip
    objective = {"place": model.placed, "keep": model.kept, "locality": model.local}
    for name, value in floors.items():
        model.lp.set_bounds(objective[name], lower=value)
    model.lp.objective([(objective[stage], 1.0)], Sense.MAX)
    rows = list(model.rows.items())
    solved = model.lp.solve([objective[stage]], relax=True, duals=[n for _, n in rows])
    assert solved.status is Status.OPTIMAL and len(solved.duals) == len(rows)
    m = Multipliers.from_duals({key: solved.duals[n] for key, n in rows},
                               len(instance.coordinators))  # fmt: skip
    assert bound(_pairs(instance), stage, floors, m) == pytest.approx(solved.objective, abs=1e-6)
    # and it bounds the proved optimum
    assert solved.objective >= values[stage] - 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_any_multipliers_bound_the_optimum(seed: int) -> None:
    rng = random.Random(seed)
    instance = synthetic_instance(60, 5, 2, seed=seed, weights="scheme", severity=True)
    result = solve_caseload(instance, CaseloadParams(balance=False))
    assert result.status is Status.OPTIMAL
    values = {s.stage: s.value for s in result.stages}
    pairs = _pairs(instance)
    k = len(instance.coordinators)
    for _ in range(20):
        m = Multipliers(
            np.array([rng.choice([0.0, rng.uniform(0, 3)]) for _ in range(k)]),
            np.array([rng.choice([0.0, rng.uniform(0, 2)]) for _ in range(k)]),
            {loc: rng.uniform(0, 2) for loc in pairs.localities if rng.random() < 0.5},
            {"place": rng.uniform(0, 2), "keep": rng.uniform(0, 2)},
        )
        assert bound(pairs, "keep", {"place": values["place"]}, m) >= values["keep"] - 1e-9
        floors = {"place": values["place"], "keep": values["keep"]}
        assert bound(pairs, "locality", floors, m) >= values["locality"] - 1e-9


def test_a_model_on_the_bounding_path_gets_a_bound_that_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 150 x 8 team with distinct weights forced onto the trust-scale path
    (bounds from the bounding model): each stage's bound is at most the bounding
    relaxation's and at least the optimum the exact path proves."""
    instance = synthetic_instance(150, 8, 2, seed=0, weights="distinct", severity=True)
    exact = solve_caseload(instance, CaseloadParams(time_limit=60, balance=False))
    proved = {s.stage: s.value for s in exact.stages if s.status is Status.OPTIMAL}
    assert {"place", "keep", "locality"} <= set(proved)
    monkeypatch.setattr(solve_module, "BOUNDING_INTEGERS", 0)
    monkeypatch.setattr(solve_module, "MILP_MAX_INTEGERS", 0)
    huge = solve_caseload(instance, CaseloadParams(time_limit=8, balance=False))
    assert "bounding_types" in huge.stats
    earlier = True  # the earlier stages reached the same values: the same floors
    for stage in ("place", "keep", "locality"):
        row = next(s for s in huge.stages if s.stage == stage)
        if stage != "place":
            lagrangian = huge.stats[f"{stage}_lagrangian"]
            assert lagrangian <= huge.stats[f"{stage}_bounding_lp"] + 1e-6
            assert row.value <= row.bound <= lagrangian + 1e-6
            if earlier:
                assert row.bound >= proved[stage]
        earlier = earlier and row.value == proved[stage]
