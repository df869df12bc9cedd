"""The compact caseload model: groups, pools and per-coordinator counts (HiGHS MILP).

Formulation (names as the rows; ``docs/benchmarks.md``, "Caseload assignment"):

* a **type** is (tier, weight, needs, registered-only); ``E(t)`` the coordinators
  eligible for type t (qualified, and the weight fits the capacity);
* a **group** g is the people of one type with the same locality and the same
  current coordinator (kept only if eligible); ``n_g`` people;
* a group sends people along **arcs**: ``keep`` (to its current coordinator),
  ``local`` (into the pool of its locality and type), ``far`` (into the pool of
  its type); pools send them on to their coordinators;
* ``N[k, w]`` (integer): how many people of weight w coordinator k takes.

Rows: ``caseload_group_g`` (sum of g's arcs <= n_g), ``caseload_pool_*``
(pool in = pool out), ``caseload_class_k_w`` (arcs into k of weight w = N[k, w]),
``caseload_capacity_k`` (sum_w w N[k, w] <= capacity_k), and two families of
valid rows that tighten the LP: ``caseload_keep_fit_k`` (k keeps at most as many
of its own people as fit in its capacity) and ``caseload_local_fit_l`` (a
locality's coordinators take at most as many of its people as fit).  For branch
and bound on the whole model, ``caseload_unplaced_n`` counts the people of each
type and locality left unplaced as an integer ``U_t,l`` (``build(...,
unplaced_counts=True)``).

The ``N`` are integer, and with per-person weights the keep, local and pool
arcs too (``build(..., whole_arcs=True)``: it only speeds HiGHS' proofs;
every assignment has whole flows).  For fixed integer ``N`` the arcs form a network
flow with integer supplies and demands, whose vertices are integral; so a
solution's fractional arc flows can be rounded (:mod:`optimiser.caseload.rounding`)
to integers with the same ``N`` and no worse keep / locality counts.  The
stage objectives are integer variables (``P``, ``K``, ``L``, ``E``) tied to their
expressions, so HiGHS knows they are integral and prunes with ``floor(bound)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from optimiser.caseload.instance import POINTS_EPS, CaseloadInstance, Person, eligible, quantum
from optimiser.model.caseload_milp import Milp

TypeKey = tuple[str, float, frozenset[str], bool, int]
#: (type, locality): whose people left unplaced one count ``U_t,l`` counts
UnplacedKey = tuple[int, str | None]


def type_key(person: Person) -> TypeKey:
    """People of one type are interchangeable for the model."""
    return (person.tier, person.weight, person.needs, person.registered_only, person.priority)


@dataclass
class Group:
    """People of one type with the same locality and (eligible) current coordinator."""

    type: int
    locality: str | None
    current: int | None
    members: list[int] = field(default_factory=list)  # person indices, file order


@dataclass
class FlowArc:
    """One arc of the model: a variable, its bounds, its gains (keep, locality)."""

    tail: tuple[Any, ...]
    head: tuple[Any, ...]
    ub: int
    var: Any
    gain: tuple[int, int]
    kind: str  # keep | local | far | pool | unplaced
    group: int | None = None
    pool: tuple[Any, ...] | None = None
    coordinator: int | None = None


@dataclass
class CompactModel:
    """The HiGHS model and what is needed to read a solution back."""

    lp: Milp
    groups: list[Group]
    weights: list[float]  # by type
    classes: list[float]  # distinct weights
    eligible: list[list[int]]  # type -> coordinator indices
    arcs: list[FlowArc]
    counts: dict[tuple[int, int], Any]  # (coordinator, class) -> N var
    placed: Any  # integer objective variables
    kept: Any
    local: Any
    quantum: float | None
    # the spread stage's variables, once added
    spread: Any = None
    excess: dict[int, Any] = field(default_factory=dict)
    #: the balancing stage's excess variables count whole quanta (else points)
    excess_in_quanta: bool = False
    targets: list[float] = field(default_factory=list)
    #: the instance the model was built on, when it differs from the caller's
    #: (the bounding model's weights are rounded down)
    instance: CaseloadInstance | None = None
    #: (type, locality) -> the whole count of its people left unplaced
    #: (``build(..., unplaced_counts=True)``)
    unplaced: dict[UnplacedKey, Any] = field(default_factory=dict)
    #: the points of the people left unplaced, in quanta of the weights (integer;
    #: continuous, in points, if the weights have no quantum): ``sum_t,l (w_t / q)
    #: U_t,l``, at least what the coordinators' capacity cannot hold
    unplaced_points: Any = None
    #: row numbers of the rows a Lagrangian bound dualises
    #: (:mod:`optimiser.caseload.lagrange`): ("capacity", k), ("keep_fit", k),
    #: ("local_fit", locality) and ("stage", "place" | "keep" | "locality")
    rows: dict[tuple[str, Any], int] = field(default_factory=dict)

    def load_terms(self, k: int) -> list[tuple[Any, float]]:
        """Points of coordinator k as terms of the N variables."""
        return [(self.counts[key], w) for key, w in self.load_keys(k)]

    def load_keys(self, k: int) -> list[tuple[tuple[int, int], float]]:
        """Keys of coordinator k's N variables, with their weights."""
        return [
            ((k, c), self.classes[c]) for c in range(len(self.classes)) if (k, c) in self.counts
        ]


def _add_unplaced_points(
    lp: Milp,
    weights: list[float],
    unplaced: dict[UnplacedKey, Any],
    size: dict[UnplacedKey, int],
    capacities: list[float],
) -> Any:
    """The points of the people left unplaced, in quanta of their weights (integer
    ``Q``, row ``caseload_unplaced_points``: ``sum_t,l (w_t / q) U_t,l = Q``): at
    least the points of everybody who could be placed less the capacity of the
    coordinators who could take someone, each in whole quanta (their loads are,
    and a load may exceed its capacity by ``POINTS_EPS``, as in the capacity
    rows).  Without a quantum, ``Q`` is points and continuous.

    Implied by the capacity rows (the loads are the points placed), so it hardly
    moves the relaxation; but the capacity rows are per coordinator, and this one
    row over the whole counts ``U`` is a knapsack HiGHS derives cuts from.  With
    the placement floor (a severity-weighted, near-exact packing) the locality
    stage's proof rests on it: 600 x 25 teams 64, 82 and 33 with a weighting
    scheme, the stage alone (HiGHS 1.16, exported): 1.6 -> 0.45 s, 1.6 -> 0.63 s,
    2.4 -> 0.50 s."""
    scale = _points_scale(weights, unplaced)
    if scale is None:
        points = sum(weights[t] * size[t, loc] for t, loc in unplaced)
        short = points - sum(capacities) - POINTS_EPS * (1 + len(capacities))
        out = lp.num(max(0.0, short), math.inf, "Q")
    else:  # whole quanta
        quanta = sum(round(weights[t] * scale) * size[t, loc] for t, loc in unplaced)
        # (+ 1e-6 quanta: weights within quantum()'s tolerance of whole quanta,
        # many to a coordinator, may sum a little over their rounded quanta)
        room = sum(math.floor((c + POINTS_EPS) * scale + 1e-6) for c in capacities)
        out = lp.int(max(0, quanta - room), math.inf, "Q")
    terms = [(u, _in_quanta(weights[t], scale)) for (t, _), u in unplaced.items()]
    lp.row(0, 0, [*terms, (out, -1.0)], "caseload_unplaced_points")
    return out


def _points_scale(weights: list[float], unplaced: dict[UnplacedKey, Any]) -> float | None:
    """Quanta per point of the counted types' weights (``None``: no quantum)."""
    q = quantum(sorted({weights[t] for t, _ in unplaced}))
    return None if q is None else 1.0 / q


def _in_quanta(weight: float, scale: float | None) -> float:
    """A weight in whole quanta (as it is, in points, without a quantum)."""
    return weight if scale is None else float(round(weight * scale))


def unplaced_points_value(model: CompactModel, left: dict[UnplacedKey, int]) -> float:
    """``Q`` (:attr:`CompactModel.unplaced_points`) for these counts of people left
    unplaced."""
    scale = _points_scale(model.weights, model.unplaced)
    return sum(_in_quanta(model.weights[t], scale) * n for (t, _), n in left.items())


#: the most people of one weight a capacity can be said to hold (a quotient
#: above it, from a tiny weight, would overflow an integer: ``1e-320``)
MOST_PEOPLE = 10**9


def _most(capacity: float, weight: float) -> int:
    """How many people of ``weight`` fit within ``capacity``, at most
    :data:`MOST_PEOPLE`."""
    quotient = capacity / weight + POINTS_EPS
    return math.floor(quotient) if quotient < MOST_PEOPLE else MOST_PEOPLE


def most_that_fit(weights: list[float], capacity: float) -> int:
    """The largest number of items of these weights that fit within ``capacity``
    (lightest first is optimal when counting items)."""
    total, count = 0.0, 0
    for w in sorted(weights):
        if total + w > capacity + POINTS_EPS:
            break
        total += w
        count += 1
    return count


def _add_fit_rows(
    instance: CaseloadInstance,
    lp: Milp,
    groups: list[Group],
    weights: list[float],
    arcs: list[FlowArc],
    rows: dict[tuple[str, Any], int],
) -> None:
    """Valid rows that close most of the LP's gap (``caseload_keep_fit_k``,
    ``caseload_local_fit_l``): a coordinator keeps at most as many of their own
    people as fit in their capacity, and a locality's coordinators take at most
    as many of its people as fit in their capacity, counted lightest first.  The
    LP would otherwise keep "half a person" at every full coordinator."""
    coords = instance.coordinators
    keeps: dict[int, list[FlowArc]] = defaultdict(list)
    homes: dict[str, list[FlowArc]] = defaultdict(list)
    for a in arcs:
        if a.kind == "keep":
            assert a.coordinator is not None
            keeps[a.coordinator].append(a)
        if a.gain[1]:
            assert a.group is not None
            homes[groups[a.group].locality].append(a)  # type: ignore[index]
    for k, into in keeps.items():
        items = [weights[groups[a.group].type] for a in into for _ in groups[a.group].members]  # type: ignore[index]
        most = most_that_fit(items, coords[k].capacity)
        if most < len(items):
            rows["keep_fit", k] = lp.row(
                -math.inf, most, [(a.var, 1.0) for a in into], f"caseload_keep_fit_{k}"
            )
    capacity: dict[str, float] = defaultdict(float)
    for c in coords:
        if c.locality is not None:
            capacity[c.locality] += c.capacity
    for number, (locality, into) in enumerate(sorted(homes.items())):
        items = [weights[g.type] for g in groups if g.locality == locality for _ in g.members]
        most = most_that_fit(items, capacity[locality])
        if most < len(items):
            rows["local_fit", locality] = lp.row(
                -math.inf, most, [(a.var, 1.0) for a in into], f"caseload_local_fit_{number}"
            )


def unplaced_key(group: Group) -> UnplacedKey:
    """The unplaced count a group's people belong to: its type and locality."""
    return (group.type, group.locality)


def _add_unplaced_counts(
    lp: Milp, groups: list[Group], arcs: list[FlowArc]
) -> tuple[dict[UnplacedKey, Any], dict[UnplacedKey, int]]:
    """Whole counts of the people of each type and locality left unplaced (integer
    ``U_t,l``; rows ``caseload_unplaced_n``: the arcs out of those groups plus
    ``U_t,l`` equal their people); ``arcs`` the groups' arcs.  Returns the counts
    and the number of people each counts from.

    Implied by the group rows, so the relaxation does not move; but the arcs into
    the far pools are continuous, and ``U`` integer makes their sum over a type
    and locality whole: the placement floor of the later stages (severity-weighted,
    near an exact packing) then leaves few whole ways to choose who stays
    unplaced, and HiGHS branches on them (:func:`build`)."""
    leaving: dict[UnplacedKey, list[Any]] = defaultdict(list)
    size: dict[UnplacedKey, int] = defaultdict(int)
    for a in arcs:
        assert a.group is not None
        leaving[unplaced_key(groups[a.group])].append(a.var)
    for group in groups:
        size[unplaced_key(group)] += len(group.members)
    unplaced = {}
    ordered = sorted(leaving.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    for n, (key, out) in enumerate(ordered):
        unplaced[key] = lp.int(0, size[key], f"U_{n}")
        lp.row(size[key], size[key], [(v, 1.0) for v in out] + [(unplaced[key], 1.0)],
               f"caseload_unplaced_{n}")  # fmt: skip
    return unplaced, {key: size[key] for key in unplaced}


def build(
    instance: CaseloadInstance,
    whole_arcs: bool = False,
    unplaced_counts: bool = False,
    unplaced_points: bool = False,
) -> CompactModel:
    """The compact model of an instance (stage objectives not yet set).

    ``whole_arcs``: the keep and local arcs and the pools' arcs to coordinators
    are integer too (they carry whole people in any assignment, so no
    assignment is lost).  With per-person weights HiGHS then branches on who is
    kept, who is local and who goes where, and proves those stages far sooner
    (600 x 25 teams with a weighting scheme, keep and local arcs: 4.4 -> 0.8 s,
    2.6 -> 1.8 s; with distinct weights the locality stage 13.0 -> 2.8 s; the
    pools' arcs as well: the slowest of 30 teams 2.06 -> 1.47 s in process, the
    30 together 21.3 -> 20.5 s); with tier weights it only slowed a placement
    stage (0.1 -> 0.4 s), so the caller asks for it with per-person weights
    only.  The groups' arcs into the far pools stay continuous (integer: team 0
    1.8 -> 2.4 s).

    ``unplaced_counts``: the people of each type and locality left unplaced are
    an integer too (:func:`_add_unplaced_counts`), for branch and bound on the
    whole model (the caller asks for them on every whole model: one on the LNS
    path never goes to branch and bound, and its relaxations free them,
    :func:`unplaced_counts_free`).  600 x 25 teams with a weighting scheme, 70
    teams in process: per type, 82.2 -> 61.1 s, over 1.8 s 8 -> 3 (the
    locality stage's proof: team 34 6.9 -> 1.0 s); per type and locality, two
    more runs each, 63.1 -> 57.6 s (team 64 3.7 -> 1.9 s); tier weights, 20
    teams 3.5 -> 3.7 s.  Not for the sub-problems of a large neighbourhood
    search: with two-decimal weights they found less (600 x 25 team 0,
    locality 552 -> 550).

    ``unplaced_points`` (with ``unplaced_counts``): their points, in quanta of
    the weights, an integer too, at least what the coordinators' capacity cannot
    hold (:func:`_add_unplaced_points`).  The caller asks for it with per-person
    weights: 600 x 25 teams with a weighting scheme, 70 teams in process, with
    the class model's own row (:mod:`optimiser.model.caseload_classes`), 59.9
    -> 55.2 s, over 1.5 s 6 -> 2, slowest 3.55 -> 2.02 s; with tier weights it
    slowed placement (team 0 0.12-0.22 -> 0.33 s)."""
    coords = instance.coordinators
    types: dict[TypeKey, int] = {}
    first: list[Person] = []
    for person in instance.people:
        key = type_key(person)
        if key not in types:
            types[key] = len(types)
            first.append(person)
    weights = [p.weight for p in first]
    classes = sorted(set(weights))
    class_of = [classes.index(w) for w in weights]
    elig = [[k for k, c in enumerate(coords) if eligible(p, c)] for p in first]
    elig_sets = [set(e) for e in elig]
    index = instance.coordinator_index
    by_key: dict[tuple[int, str | None, int | None], Group] = {}
    for i, person in enumerate(instance.people):
        t = types[type_key(person)]
        current = index.get(person.current) if person.current is not None else None
        if current is not None and current not in elig_sets[t]:
            current = None
        group_key = (t, person.locality, current)
        if group_key not in by_key:
            by_key[group_key] = Group(t, person.locality, current)
        by_key[group_key].members.append(i)
    groups = list(by_key.values())
    in_locality: dict[str, set[int]] = defaultdict(set)
    for k, c in enumerate(coords):
        if c.locality is not None:
            in_locality[c.locality].add(k)

    lp = Milp("caseload")
    arc_var = lp.int if whole_arcs else lp.num
    arcs: list[FlowArc] = []
    counts: dict[tuple[int, int], Any] = {}
    into_class: dict[tuple[int, int], list[Any]] = defaultdict(list)

    def fits(k: int, t: int) -> int:
        return _most(coords[k].capacity, weights[t])

    def count_var(k: int, c: int) -> Any:
        if (k, c) not in counts:
            cap = _most(coords[k].capacity, classes[c])
            counts[(k, c)] = lp.int(0, cap, f"N_{k}_{c}")
        return counts[(k, c)]

    local_pools: dict[tuple[str, int], list[int]] = defaultdict(list)  # -> groups
    far_pools: dict[int, list[int]] = defaultdict(list)
    for g, group in enumerate(groups):
        n = len(group.members)
        t = group.type
        out = []
        if group.current is not None:
            k = group.current
            match = int(group.locality is not None and coords[k].locality == group.locality)
            var = arc_var(0, min(n, fits(k, t)), f"keep_{g}")
            arcs.append(
                FlowArc(("g", g), ("c", k, class_of[t]), n, var, (1, match), "keep", g, None, k)
            )
            into_class[(k, class_of[t])].append(var)
            count_var(k, class_of[t])
            out.append(var)
        if group.locality is not None and in_locality[group.locality] & elig_sets[t]:
            var = arc_var(0, n, f"local_{g}")
            local_pool: tuple[Any, ...] = ("l", group.locality, t)
            arcs.append(FlowArc(("g", g), local_pool, n, var, (0, 1), "local", g, local_pool))
            local_pools[(group.locality, t)].append(g)
            out.append(var)
        if elig[t]:
            var = lp.num(0, n, f"far_{g}")
            far_pool: tuple[Any, ...] = ("f", t)
            arcs.append(FlowArc(("g", g), far_pool, n, var, (0, 0), "far", g, far_pool))
            far_pools[t].append(g)
            out.append(var)
        if out:
            lp.row(-math.inf, n, [(v, 1.0) for v in out], f"caseload_group_{g}")
    if unplaced_points and not unplaced_counts:
        raise ValueError("the points of who is left out need the counts (unplaced_counts)")
    unplaced: dict[UnplacedKey, Any] = {}
    unplaced_size: dict[UnplacedKey, int] = {}
    if unplaced_counts:
        unplaced, unplaced_size = _add_unplaced_counts(lp, groups, arcs)
    pool_rows: dict[tuple[Any, ...], list[tuple[Any, float]]] = defaultdict(list)
    for a in arcs:
        if a.pool is not None:
            pool_rows[a.pool].append((a.var, -1.0))
    pools: list[tuple[tuple[Any, ...], list[int], int]] = [
        (("l", loc, t), sorted(in_locality[loc] & elig_sets[t]), t) for (loc, t) in local_pools
    ]
    pools += [(("f", t), elig[t], t) for t in far_pools]
    members: dict[tuple[Any, ...], list[int]] = {
        ("l", loc, t): gs for (loc, t), gs in local_pools.items()
    }
    members.update({("f", t): gs for t, gs in far_pools.items()})
    for number, (pool, ks, t) in enumerate(pools):
        size = sum(len(groups[g].members) for g in members[pool])
        for k in ks:
            var = arc_var(0, min(size, fits(k, t)), f"z_{number}_{k}")
            arcs.append(
                FlowArc(pool, ("c", k, class_of[t]), size, var, (0, 0), "pool", None, pool, k)
            )
            pool_rows[pool].append((var, 1.0))
            into_class[(k, class_of[t])].append(var)
            count_var(k, class_of[t])
        lp.row(0, 0, pool_rows[pool], f"caseload_pool_{number}")
    for (k, cl), var in counts.items():
        lp.row(0, 0, [(v, 1.0) for v in into_class[(k, cl)]] + [(var, -1.0)],
               f"caseload_class_{k}_{cl}")  # fmt: skip
    by_coordinator: dict[int, list[tuple[Any, float]]] = defaultdict(list)
    for (k, cl), var in counts.items():
        by_coordinator[k].append((var, classes[cl]))
    rows: dict[tuple[str, Any], int] = {}
    for k, coordinator in enumerate(coords):
        if by_coordinator[k]:
            rows["capacity", k] = lp.row(-math.inf, coordinator.capacity + POINTS_EPS,
                                         by_coordinator[k], f"caseload_capacity_{k}")  # fmt: skip
    _add_fit_rows(instance, lp, groups, weights, arcs, rows)
    left_points = None
    if unplaced and unplaced_points:  # (every coordinator with a count has a capacity row)
        capacities = [coords[k].capacity for k, terms in by_coordinator.items() if terms]
        left_points = _add_unplaced_points(lp, weights, unplaced, unplaced_size, capacities)
    people = len(instance.people)
    # placed people, each counted at its priority (tier severity): flow leaving a
    # group always ends at a coordinator, so the group arcs count who is placed
    top = sum(p.priority for p in instance.people)
    placed = lp.int(0, top, "P")
    rows["stage", "place"] = lp.row(
        0, 0,
        [(a.var, float(first[groups[a.group].type].priority)) for a in arcs if a.tail[0] == "g"]
        + [(placed, -1.0)],
        "caseload_placed",
    )  # fmt: skip
    kept = lp.int(0, people, "K")
    rows["stage", "keep"] = lp.row(
        0, math.inf, [(a.var, 1.0) for a in arcs if a.gain[0]] + [(kept, -1.0)], "caseload_kept"
    )
    local = lp.int(0, people, "L")
    rows["stage", "locality"] = lp.row(
        0, math.inf, [(a.var, 1.0) for a in arcs if a.gain[1]] + [(local, -1.0)], "caseload_local"
    )
    return CompactModel(
        lp, groups, weights, classes, elig, arcs, counts, placed, kept, local, quantum(classes),
        unplaced=unplaced, unplaced_points=left_points, rows=rows,
    )  # fmt: skip


@contextmanager
def unplaced_counts_free(model: CompactModel) -> Iterator[None]:
    """The unplaced counts (and their points ``Q``) without bounds for a
    relaxation: their rows then bind nothing and presolve drops them, so the
    relaxation and its vertex are the model's without them (the starts rounded
    from it are the same: with them, some teams' starts fell a point short and
    needed branch and bound)."""
    free = [*model.unplaced.values()]
    if model.unplaced_points is not None:
        free.append(model.unplaced_points)
    with model.lp.bounds_held(dict.fromkeys(free, (-math.inf, math.inf))):
        yield
