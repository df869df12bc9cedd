"""The large neighbourhood search of a caseload stage too big for branch and
bound: sets of coordinators (linked pairs in a small team, each locality with
the coordinators elsewhere that hold its people, or chunks) whose people are
re-solved together, exactly, while the whole improves lexicographically.  The
sub-problems are solved by the caller (``resolve``: the staged solve of
:mod:`optimiser.caseload.solve` on the neighbourhood's people and coordinators)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from optimiser.caseload.evaluation import evaluate, loads
from optimiser.caseload.heuristic import LocalSearch
from optimiser.caseload.instance import CaseloadInstance, Coordinator

if TYPE_CHECKING:
    from optimiser.caseload.solve import CaseloadResult

__all__ = ["PAIR_MAX_COORDINATORS", "linked_pairs", "neighbourhoods", "search_neighbourhoods"]

#: solves a neighbourhood: (its instance, seconds, its fair-share targets or None,
#: its people's current coordinators as indices into it) -> the result
Resolve = Callable[
    [CaseloadInstance, "float | None", "list[float] | None", "list[int | None]"], "CaseloadResult"
]

#: Passes of the LNS over its neighbourhoods (a work limit; its sub-problems'
#: seconds are wall-clock limits, so results are reproducible when none binds).
LNS_PASSES = 3
#: seconds one neighbourhood may take: a hard sub-MILP (many distinct weights) must
#: not eat the stage's whole time share while other neighbourhoods wait
LNS_SUB_SECONDS = 2.0
#: Coordinators from other localities added to a locality's neighbourhood.
LNS_EXTRA = 12
#: teams with at most this many coordinators also get pair neighbourhoods (two
#: coordinators, their people and the unplaced people they could take): with
#: two-decimal weights a placement optimum is a near-exact packing, and keeping
#: people means re-packing two coordinators at once, which the moves of
#: :class:`LocalSearch` cannot and a locality's neighbourhood (most of a small
#: team) is too big to solve for
PAIR_MAX_COORDINATORS = 30
#: seconds one pair neighbourhood may take
PAIR_SUB_SECONDS = 0.5
#: pairs per pass, per coordinator of the team (the most linked first): 184 of a
#: 600 x 25 team's 300 pairs are linked, up to 90 s a pass, and the locality
#: neighbourhoods after them must get their turn (at 2 per coordinator a 200 x 10
#: team with two-decimal weights kept 121 where all its 45 pairs kept 138; at 4,
#: 138, and the same as all pairs on a 300 x 12 and a 600 x 25 team)
PAIRS_PER_COORDINATOR = 4
#: Neighbourhood size when coordinators have no localities.
LNS_CHUNK = 30


def neighbourhoods(
    instance: CaseloadInstance, people: list[int | None], with_pairs: bool = True
) -> list[tuple[list[int], float]]:
    """Coordinator sets whose people are re-assigned together, each with the
    seconds its sub-problem may take: in a small team (``with_pairs``) first the
    most linked pairs (:func:`_pairs`, at most :data:`PAIRS_PER_COORDINATOR` per
    coordinator); then each locality with the coordinators elsewhere that hold
    its people or whose people belong to it; without localities, consecutive
    chunks of coordinators.  A set listed twice is solved once."""
    coords = instance.coordinators
    pairs: list[list[int]] = []
    if with_pairs and len(coords) <= PAIR_MAX_COORDINATORS:
        pairs = linked_pairs(instance, people)[: int(PAIRS_PER_COORDINATOR * len(coords))]
    hoods = [(pair, PAIR_SUB_SECONDS) for pair in pairs]
    seen = {tuple(pair) for pair in pairs}
    for hood in _wider(instance, people):
        if tuple(hood) not in seen:
            seen.add(tuple(hood))
            hoods.append((hood, LNS_SUB_SECONDS))
    return hoods


def _wider(instance: CaseloadInstance, people: list[int | None]) -> list[list[int]]:
    """The neighbourhoods of localities (or chunks) of :func:`_neighbourhoods`."""
    coords = instance.coordinators
    localities = sorted({c.locality for c in coords if c.locality is not None})
    if len(localities) <= 1:
        n = len(coords)
        return [list(range(i, min(i + LNS_CHUNK, n))) for i in range(0, n, LNS_CHUNK)]
    index = instance.coordinator_index
    hoods = []
    for locality in localities:
        inside = [k for k, c in enumerate(coords) if c.locality == locality]
        links: dict[int, int] = defaultdict(int)
        for i, k in enumerate(people):
            if k is None or coords[k].locality == locality:
                continue
            person = instance.people[i]
            current = index.get(person.current) if person.current is not None else None
            belongs = person.locality == locality
            if belongs or (current is not None and coords[current].locality == locality):
                links[k] += 1
        extra = sorted(links, key=lambda k: (-links[k], k))[:LNS_EXTRA]
        hoods.append(sorted(inside + extra))
    # pairs: each locality with the one it exchanges most people with
    traffic: dict[tuple[str, str], int] = defaultdict(int)
    for i, k in enumerate(people):
        home = instance.people[i].locality
        there = None if k is None else coords[k].locality
        if home is not None and there is not None and there != home:
            pair = (home, there) if home < there else (there, home)
            traffic[pair] += 1
    pairs = set()
    for locality in localities:
        partners = [(n, p) for p, n in traffic.items() if locality in p]
        if partners:
            pairs.add(max(partners)[1])
    for a, b in sorted(pairs):
        hoods.append([k for k, c in enumerate(coords) if c.locality in (a, b)])
    return hoods


def linked_pairs(instance: CaseloadInstance, people: list[int | None]) -> list[list[int]]:
    """Pairs of coordinators linked by someone who could gain from re-packing
    the two: held by one while their current coordinator is the other, or held
    by one outside their own locality while the other is in it.  Most links
    first (then coordinator order): the moves most likely to pay."""
    coords = instance.coordinators
    index = instance.coordinator_index
    links: dict[tuple[int, int], int] = defaultdict(int)
    for i, k in enumerate(people):
        if k is None:
            continue
        person = instance.people[i]
        current = index.get(person.current) if person.current is not None else None
        if current is not None and current != k:
            links[min(k, current), max(k, current)] += 1
        home = person.locality
        if home is not None and coords[k].locality != home:
            for other, c in enumerate(coords):
                if c.locality == home:
                    links[min(k, other), max(k, other)] += 1
    return [list(pair) for pair in sorted(links, key=lambda p: (-links[p], p))]


def _id(coords: tuple[Coordinator, ...], k: int | None) -> str | None:
    return None if k is None else coords[k].id


def _local(local: dict[int, int], k: int | None) -> int | None:
    return None if k is None else local[k]


def _key(
    instance: CaseloadInstance, assignment: list[str | None], targets: list[float] | None
) -> tuple[float, ...]:
    o = evaluate(instance, assignment)
    if targets is None:
        return (o.placed, o.kept, o.local)
    load = loads(instance, assignment)
    spread = sum(
        max(0.0, load[c.id] - t) for c, t in zip(instance.coordinators, targets, strict=True)
    )
    return (o.placed, o.kept, o.local, -round(spread, 9))


def search_neighbourhoods(
    instance: CaseloadInstance,
    search: LocalSearch,
    people: list[int | None],
    deadline: float | None,
    balance: list[float] | None,
    goal: tuple[float, ...] | None,
    stats: dict[str, float],
    resolve: Resolve,
) -> list[int | None]:
    """Re-solve neighbourhoods exactly while the whole improves (lexicographically:
    placed, kept, local, and with ``balance`` targets the spread above them), until
    ``goal`` (a bound on the leading priorities) is met, the passes are done or
    ``deadline`` passes.  ``resolve(sub, seconds, targets, start)`` solves a
    neighbourhood's people and coordinators from their current assignment
    ``start`` (coordinator indices in the neighbourhood), with its share of the
    fair-share ``targets`` when balancing."""
    people = list(people)
    coords = instance.coordinators

    def reached() -> bool:
        if goal is None:
            return False
        ids = [None if k is None else coords[k].id for k in people]
        return _key(instance, ids, None)[: len(goal)] >= goal

    for _ in range(LNS_PASSES):
        better = False
        # pairs for the maximising stages only: their links are keeps and
        # localities, not loads (with them the balancing of a 600 x 25 team with
        # two-decimal weights took 14.2 s against 11.7 s, for the same spread)
        for hood, seconds in neighbourhoods(instance, people, with_pairs=balance is None):
            if reached() or (deadline is not None and time.monotonic() >= deadline):
                return people
            inside = set(hood)
            members = [
                i
                for i, k in enumerate(people)
                if (k in inside) or (k is None and inside & search.eligible_set[i])
            ]
            if not members:
                continue
            sub = CaseloadInstance(
                coordinators=tuple(coords[k] for k in hood),
                people=tuple(instance.people[i] for i in members),
                name=f"{instance.name} (neighbourhood)",
            )
            before = [_id(coords, people[i]) for i in members]
            sub_targets = None if balance is None else [balance[k] for k in hood]
            limit = seconds
            if deadline is not None:
                limit = min(limit, max(0.05, deadline - time.monotonic()))
            local = {k: n for n, k in enumerate(hood)}
            start = [_local(local, people[i]) for i in members]
            result = resolve(sub, limit, sub_targets, start)
            stats["lns_subproblems"] = stats.get("lns_subproblems", 0) + 1
            stats["lns_seconds"] = stats.get("lns_seconds", 0) + result.seconds
            after = list(result.assignment)
            if _key(sub, after, sub_targets) > _key(sub, before, sub_targets):
                index = instance.coordinator_index
                for i, cid in zip(members, after, strict=True):
                    people[i] = None if cid is None else index[cid]
                better = True
                stats["lns_improvements"] = stats.get("lns_improvements", 0) + 1
        if not better:
            break
    return people
