"""The Lagrangian stage bound of a huge model (optimiser/caseload/lagrange.py).

Hand arithmetic on a tiny team; the optimal duals of the model's own relaxation
give back that relaxation's value (every dualised row accounted for); any
non-negative multipliers bound the proved optimum; and in the staged solve the
bound of a model forced onto the bounding path holds and is no looser than the
bounding model's own.
"""

from __future__ import annotations

import functools
import math
import random

import numpy as np
import pytest
from caseload_synthetic import synthetic_instance

import optimiser.caseload.solve as solve_module
from optimiser.caseload import CaseloadParams, solve_caseload
from optimiser.caseload.heuristic import LocalSearch
from optimiser.caseload.instance import CaseloadInstance, Coordinator, Person, eligible
from optimiser.caseload.lagrange import Multipliers, Pairs
from optimiser.caseload.lagrange import lagrangian_bound as bound
from optimiser.caseload.model import build
from optimiser.model.caseload_milp import Milp, Sense
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


DUAL_CASES = [
    # (people, coordinators, localities, seed, weights), stage, rows whose duals
    # are non-zero there (so that each kind of dualised row is checked)
    ((120, 8, 3, 5, "distinct"), "place", {"capacity", "stage"}),
    ((120, 8, 3, 5, "distinct"), "keep", {"keep_fit", "stage"}),
    ((100, 6, 3, 5, "distinct"), "locality", {"capacity", "keep_fit", "local_fit", "stage"}),
    ((120, 8, 3, 1, "scheme"), "locality", {"capacity", "keep_fit", "local_fit", "stage"}),
]


@pytest.mark.parametrize(("shape", "stage", "kinds"), DUAL_CASES)
def test_the_relaxations_own_duals_give_its_value(
    shape: tuple[int, int, int, int, str], stage: str, kinds: set[str]
) -> None:
    """Every row the bound dualises is accounted for: at the relaxation's optimal
    duals the bound is the relaxation's value (strong duality; these relaxations
    have no binding variable cap, which the bound does not dualise)."""
    people, coordinators, localities, seed, weights = shape
    instance = synthetic_instance(people, coordinators, localities, seed=seed, weights=weights,
                                  severity=True)  # fmt: skip
    model = build(instance)
    values = _optimum(shape)
    order = ["place", "keep", "locality"]
    floors = {s: values[s] for s in order[: order.index(stage)]}
    objective = {"place": model.placed, "keep": model.kept, "locality": model.local}
    for name, value in floors.items():
        model.lp.set_bounds(objective[name], lower=value)
    model.lp.objective([(objective[stage], 1.0)], Sense.MAX)
    rows = list(model.rows.items())
    solved = model.lp.solve([objective[stage]], relax=True, duals=[n for _, n in rows])
    assert solved.status is Status.OPTIMAL and len(solved.duals) == len(rows)
    duals = {key: solved.duals[n] for key, n in rows}
    assert kinds <= {kind for (kind, _), d in duals.items() if abs(d) > 1e-7}
    m = Multipliers.from_duals(duals, len(instance.coordinators))
    assert bound(_pairs(instance), stage, floors, m) == pytest.approx(solved.objective, abs=1e-6)
    # and it bounds the proved optimum
    assert solved.objective >= values[stage] - 1e-9


@functools.cache
def _optimum(shape: tuple[int, int, int, int, str]) -> dict[str, float]:
    people, coordinators, localities, seed, weights = shape
    instance = synthetic_instance(people, coordinators, localities, seed=seed, weights=weights,
                                  severity=True)  # fmt: skip
    result = solve_caseload(instance, CaseloadParams(time_limit=20, balance=False))
    return {s.stage: s.value for s in result.stages}


def _best_multipliers(pairs: Pairs, stage: str, floors: dict[str, float]) -> Multipliers:
    """The multipliers that make the bound lowest: the Lagrangian dual as an LP
    (min sum u_i + constants, u_i >= each of i's pair values, u_i >= 0), written
    here from the formula, not from the product's model."""
    k = len(pairs.capacity)
    lp = Milp("lagrangian_dual")
    y = [lp.num(0, math.inf, f"y_{c}") for c in range(k)]
    z = [lp.num(0, math.inf, f"z_{c}") for c in range(k)]
    v = [lp.num(0, math.inf, f"v_{n}") for n in range(len(pairs.localities))]
    mu = {s: lp.num(0, math.inf, f"mu_{s}") for s in floors}
    u = [lp.num(0, math.inf, f"u_{i}") for i in range(len(pairs.weight))]
    for j, (i, c) in enumerate(zip(pairs.person.tolist(), pairs.coordinator.tolist(), strict=True)):
        gain = {"place": float(pairs.priority[i]), "keep": float(pairs.keep[j]),
                "locality": float(pairs.local[j])}  # fmt: skip
        terms = [(u[i], 1.0), (y[c], float(pairs.weight[i]))]
        terms += [(mu[s], -gain[s]) for s in floors]
        if pairs.keep[j]:
            terms.append((z[c], 1.0))
        if pairs.local[j]:
            terms.append((v[int(pairs.person_locality[i])], 1.0))
        lp.row(gain[stage], math.inf, terms, f"pair_{j}")  # u_i >= value(i, c)
    lp.objective(
        [(a, 1.0) for a in u]
        + [(y[c], float(pairs.capacity[c])) for c in range(k)]
        + [(z[c], float(pairs.most_kept[c])) for c in range(k)]
        + [(v[n], float(pairs.most_local[n])) for n in range(len(v))]
        + [(mu[s], -floors[s]) for s in floors],
        Sense.MIN,
    )
    solved = lp.solve([*y, *z, *v, *mu.values()], relax=True)
    assert solved.status is Status.OPTIMAL
    return Multipliers(
        np.asarray([solved.values[a] for a in y]),
        np.asarray([solved.values[a] for a in z]),
        {loc: solved.values[v[n]] for n, loc in enumerate(pairs.localities)},
        {s: solved.values[mu[s]] for s in mu},
    )


@pytest.mark.parametrize("seed", range(6))
def test_any_multipliers_bound_the_optimum(seed: int) -> None:
    """Random multipliers, and the ones that make the bound lowest (where an
    off-by-one in a fit row's right-hand side would show), all bound the proved
    optimum."""
    rng = random.Random(seed)
    instance = synthetic_instance(60, 5, 2, seed=seed, weights="scheme", severity=True)
    result = solve_caseload(instance, CaseloadParams(balance=False))
    assert result.status is Status.OPTIMAL
    values = {s.stage: s.value for s in result.stages}
    pairs = _pairs(instance)
    k = len(instance.coordinators)
    cases = [("place", {}), ("keep", {"place": values["place"]}),
             ("locality", {"place": values["place"], "keep": values["keep"]})]  # fmt: skip
    for stage, floors in cases:
        lowest = bound(pairs, stage, floors, _best_multipliers(pairs, stage, floors))
        assert values[stage] - 1e-6 <= lowest
        for _ in range(10):
            m = Multipliers(
                np.array([rng.choice([0.0, rng.uniform(0, 3)]) for _ in range(k)]),
                np.array([rng.choice([0.0, rng.uniform(0, 2)]) for _ in range(k)]),
                {loc: rng.uniform(0, 2) for loc in pairs.localities if rng.random() < 0.5},
                {"place": rng.uniform(0, 2), "keep": rng.uniform(0, 2)},
            )
            assert bound(pairs, stage, floors, m) >= lowest - 1e-6


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
    assert earlier  # so the lower check above ran for every stage
