"""The placement, keep and locality stages on coordinator profiles: bounds, and
packings that meet them.

For placing people, coordinators who may take exactly the same people (the same
*profile*: registration and competencies, as the people's eligible sets see
them) differ only in capacity.  Merging each profile's coordinators into one
bin of their summed capacity relaxes the problem, and it is small: a 600 x 25
team has 5 or 6 profiles.  The relaxation (HiGHS, on classes of interchangeable
people as in :mod:`optimiser.model.caseload_classes`):

* ``x[c, b]`` (integer): people of class c in bin b, within the bin's summed
  capacity (``profiles_capacity_b``); ``left[c]`` those placed nowhere, whose
  points are at least what no bin can hold (``profiles_left``, as
  ``classes_left``);
* ``kept[c, k] <= `` the class's people whose current coordinator is k, within
  k's own capacity (``profiles_own_k``) and among those its bin takes
  (``profiles_kept_c_b``);
* :func:`place_by_profiles`: placement x (people + 1) + keeps, lexicographic.
  Its placement bounds the stage, and what is left of its bound at that
  placement bounds the keeps there (:attr:`Packing.keeps`);
* :func:`locate_by_profiles`: the bins split by locality too (coordinators of
  one profile and one locality), classes also by the person's locality, the
  earlier stages held (``profiles_floor_place``, ``profiles_floor_keep``);
  people in their own locality, which bounds the locality stage.

Its people are then packed bin by bin: the kept ones at their coordinator, then
each coordinator in turn filled with the subset of those left whose points come
closest to its room (a subset-sum over whole quanta, as a bitset), and among
those the one with the most of its own people (a knapsack, :func:`_best_subset`),
in other seeded orders when someone is left over.  A room left unfilled where
someone is kept may be one no subset of the others adds up to: the lightest kept
person there (or all of them, the other try) then joins the others, and the bin
is packed again.  Other packings go without preferring a coordinator's own
people, and without the keeps first.  The caller polishes them and keeps the
best; one that meets a bound proves its stage.

With two-decimal weights a packing almost always meets the placement bound: on
the 600 x 25 teams tried (seeds 0-5) it did on every one, in 0.1-0.6 s, where
HiGHS on the class model stayed at 1,646 of team 0's 1,649 after 13 s; the keeps
bound on 21 of 30 teams (seeds 0-29).

Plain data in (:class:`PairProblem`), plain data out.
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimiser.model.caseload_cpsat import PairProblem
from optimiser.model.caseload_milp import Milp, Sense, Solved
from optimiser.status import Status

# eligible coordinators, weight, priority, locality (-1: not split by it)
ClassKey = tuple[tuple[int, ...], int, int, int]
#: orders tried to pack a profile's people when one leaves someone over
PACK_ATTEMPTS = 20
#: rounds of freeing kept people where a packing leaves a coordinator's room unfilled
UNKEEP_ROUNDS = 10
#: what a coordinator's own person counts in its subset (taking someone whose
#: coordinator is still to come counts -1): more than anyone's room holds people
KEEP_VALUE = 1_000_000


def profiles(problem: PairProblem) -> list[list[int]]:
    """Coordinators grouped by the eligible sets they belong to (each group in
    index order; groups in order of their first coordinator).  Coordinators whom
    nobody may have form no profile."""
    sets = sorted({tuple(e) for e in problem.eligible if e})
    members = [set(s) for s in sets]
    groups: dict[tuple[bool, ...], list[int]] = {}
    for k in range(len(problem.capacity)):
        key = tuple(k in m for m in members)
        if any(key):
            groups.setdefault(key, []).append(k)
    return list(groups.values())


@dataclass(frozen=True)
class Packing:
    """``bound``: on the placement (the relaxation's optimum, or HiGHS' bound when
    the clock stopped it); ``keeps``: on the keeps of any assignment that places
    ``bound`` (the relaxation breaks its ties by keeps); ``packings``:
    assignments (feasible: who does not fit is left out), the relaxation's kept
    people at their coordinators first, then without them."""

    bound: int
    keeps: int
    packings: list[list[int | None]]


def place_by_profiles(
    problem: PairProblem, time_limit: float, max_nodes: int | None = None
) -> Packing | None:
    """The placement (severity-weighted), ties broken by keeps, on profiles;
    ``None`` when HiGHS finds nothing in ``time_limit`` (or ``max_nodes``
    branch-and-bound nodes: a work limit, the same on every run)."""
    relaxation = _Relaxation(problem, profiles(problem), by_locality=False)
    lp = relaxation.lp
    # placement x (people + 1) + keeps: lexicographic
    scale = float(len(problem.eligible) + 1)
    lp.objective([(v, c * scale) for v, c in relaxation.placement]
                 + [(v, 1.0) for v in relaxation.kept.values()], Sense.MAX)  # fmt: skip
    solved = relaxation.solve(time_limit, max_nodes)
    if solved is None:
        return None
    packings = relaxation.packings(solved)
    # (keeps are < scale: the placement is at most the bound / scale)
    if not math.isfinite(solved.bound):
        return Packing(bound=10**9, keeps=10**9, packings=packings)
    # placement x scale + keeps <= the relaxation's bound, whole on the left: at
    # most `total` (a tolerance upward only loosens it), so placement <= total //
    # scale, and at that placement keeps <= the rest (the same rounding for both:
    # a bound a hair below a multiple of scale gave keeps -1 otherwise)
    total = math.floor(solved.bound + 1e-4)
    bound, keeps = divmod(total, round(scale))
    return Packing(bound=bound, keeps=keeps, packings=packings)


def locate_by_profiles(
    problem: PairProblem,
    placement: int,
    keeps: int,
    time_limit: float,
    max_nodes: int | None = None,
) -> Packing | None:
    """The locality stage (people in their own locality) with at least
    ``placement`` and ``keeps``, on profiles split by locality (coordinators of
    one profile and one locality merged: people placed in such a bin are in
    their locality or not, whichever coordinator of it they go to).  The
    packing's ``bound`` is on the locality stage; ``keeps`` is not used.
    ``None`` when HiGHS finds nothing in ``time_limit`` (or ``max_nodes``)."""
    locality = _localities(problem)
    bins: list[list[int]] = []
    for ks in profiles(problem):
        split: dict[int, list[int]] = defaultdict(list)
        for k in ks:
            split[locality.get(k, -1)].append(k)
        bins += [split[n] for n in sorted(split, key=lambda n: split[n][0])]
    relaxation = _Relaxation(problem, bins, by_locality=True)
    lp = relaxation.lp
    lp.row(placement, math.inf, relaxation.placement, "profiles_floor_place")
    lp.row(keeps, math.inf, [(v, 1.0) for v in relaxation.kept.values()], "profiles_floor_keep")
    lp.objective(relaxation.local, Sense.MAX)
    solved = relaxation.solve(time_limit, max_nodes)
    if solved is None:
        return None
    bound = math.floor(solved.bound + 1e-6) if math.isfinite(solved.bound) else 10**9
    # (packed without the kept people first, they fell 16-53 keeps short of the
    # floor on 600 x 25 teams: not packed)
    return Packing(bound=bound, keeps=10**9, packings=relaxation.packings(solved, False))


def _localities(problem: PairProblem) -> dict[int, int]:
    """Each coordinator's locality, as the first coordinator in it (from the
    people's local sets; a coordinator in nobody's has none: absent)."""
    locality: dict[int, int] = {}
    for ks in {ks for ks in problem.local if ks}:
        first = min(ks)
        for k in ks:
            locality[k] = first
    return locality


class _Relaxation:
    """The profiles' relaxation on ``bins`` (groups of coordinators who may take
    the same people), its variables and rows (module docstring); the caller
    sets the objective (and floors).  ``by_locality``: classes also by the
    person's locality (``local``: who is placed in it)."""

    def __init__(self, problem: PairProblem, bins: list[list[int]], by_locality: bool) -> None:
        self.problem, self.bins = problem, bins
        bin_of = {k: b for b, ks in enumerate(bins) for k in ks}
        room = [sum(problem.capacity[k] for k in ks) for ks in bins]
        classes: dict[ClassKey, list[int]] = defaultdict(list)
        for i, ks in enumerate(problem.eligible):
            if ks:
                home = min(problem.local[i], default=-1) if by_locality else -1
                classes[(tuple(ks), problem.weight[i], problem.priority[i], home)].append(i)
        self.classes, self.keys = classes, list(classes)
        lp = self.lp = Milp("caseload_profiles")
        x: dict[tuple[int, int], Any] = {}
        kept: dict[tuple[int, int], Any] = {}
        loads: dict[int, list[tuple[Any, float]]] = defaultdict(list)
        own: dict[int, list[tuple[Any, float]]] = defaultdict(list)  # kept load per coordinator
        left: list[tuple[Any, float]] = []
        for c, (ks, weight, _, _) in enumerate(self.keys):
            members = classes[self.keys[c]]
            size = len(members)
            terms = []
            at_current: dict[int, int] = defaultdict(int)
            for i in members:
                if problem.current[i] is not None:
                    at_current[problem.current[i]] += 1  # type: ignore[index]
            for b in sorted({bin_of[k] for k in ks}):
                x[c, b] = lp.int(0, min(size, room[b] // weight), f"x_{c}_{b}")
                loads[b].append((x[c, b], float(weight)))
                terms.append((x[c, b], 1.0))
                here = []
                for k in bins[b]:
                    if at_current.get(k):
                        most = min(at_current[k], problem.capacity[k] // weight)
                        kept[c, k] = lp.int(0, most, f"kept_{c}_{k}")
                        own[k].append((kept[c, k], float(weight)))
                        here.append((kept[c, k], 1.0))
                if here:  # kept people are among those the bin takes
                    lp.row(-math.inf, 0, [*here, (x[c, b], -1.0)], f"profiles_kept_{c}_{b}")
            out = lp.int(0, size, f"left_{c}")
            lp.row(size, size, [*terms, (out, 1.0)], f"profiles_size_{c}")
            left.append((out, float(weight)))
        for b, terms in sorted(loads.items()):
            lp.row(-math.inf, room[b], terms, f"profiles_capacity_{b}")
        for k, terms in sorted(own.items()):
            lp.row(-math.inf, problem.capacity[k], terms, f"profiles_own_{k}")
        # who is left out holds at least the points no bin can take (implied by
        # the capacity rows; HiGHS derives knapsack cuts from it, as classes_left)
        points = sum(key[1] * len(classes[key]) for key in self.keys)
        lp.row(points - sum(room[b] for b in loads), math.inf, left, "profiles_left")
        self.x, self.kept = x, kept
        self.placement = [(v, float(self.keys[c][2])) for (c, _), v in x.items()]
        local = problem.local
        self.local = [(v, 1.0) for (c, b), v in x.items()
                      if bins[b][0] in local[classes[self.keys[c]][0]]]  # fmt: skip

    def solve(self, time_limit: float, max_nodes: int | None = None) -> Solved | None:
        solved = self.lp.solve([*self.x.values(), *self.kept.values()], time_limit,
                               max_nodes=max_nodes)  # fmt: skip
        return solved if solved.status in (Status.OPTIMAL, Status.FEASIBLE) else None

    def packings(self, solved: Solved, unkept: bool = True) -> list[list[int | None]]:
        """The kept people first, each room filled preferring its own people,
        and without that preference (each packing is best on some teams: 600 x
        25 two-decimal teams 0-29, after the polish); the kept people first may
        leave someone over: also without them (``unkept``)."""
        counts = {key: round(solved.values[v]) for key, v in self.x.items()}
        keeps = {key: round(solved.values[v]) for key, v in self.kept.items()}
        args = (self.problem, self.bins, self.classes, self.keys, counts)
        packings = [_unpack(*args, keeps, True)]
        if keeps:
            packings.append(_unpack(*args, keeps, False))
            if unkept:
                packings.append(_unpack(*args, {}, True))
        return packings


def _unpack(
    problem: PairProblem,
    bins: list[list[int]],
    classes: dict[ClassKey, list[int]],
    keys: list[ClassKey],
    counts: dict[tuple[int, int], int],
    keeps: dict[tuple[int, int], int],
    prefer_own: bool,
) -> list[int | None]:
    """People for the profiles' counts: the kept ones at their current
    coordinator (all of them first, so that no other profile takes them), the
    rest of each profile packed into its coordinators."""
    assignment: list[int | None] = [None] * len(problem.eligible)
    room = list(problem.capacity)
    free = {c: list(classes[key]) for c, key in enumerate(keys)}
    left = dict(counts)  # people each class still sends to each profile
    for (c, k), n in sorted(keeps.items()):
        mine = [i for i in free[c] if problem.current[i] == k][:n]
        for i in mine:
            assignment[i] = k
            room[k] -= problem.weight[i]
        taken = set(mine)
        free[c] = [i for i in free[c] if i not in taken]
        b = next(b for b, ks in enumerate(bins) if k in ks)
        left[c, b] -= len(mine)
    rest: dict[int, list[int]] = defaultdict(list)  # profile -> people to pack
    for (c, b), count in sorted(left.items()):
        if count <= 0:
            continue
        # those whose current coordinator is in the profile first (the polish
        # may keep them), then file order
        inside = set(bins[b])
        ordered = sorted(free[c], key=lambda i: (problem.current[i] not in inside, i))
        rest[b] += ordered[:count]
        taken = set(ordered[:count])
        free[c] = [i for i in free[c] if i not in taken]
    for b, people in sorted(rest.items()):
        # the kept people freed one at a time, and where that did not place
        # everyone, all of a coordinator's at once (600 x 25 two-decimal teams
        # 10-29: each way reached the relaxation's keeps on some teams where the
        # other fell short, by up to 5)
        pack = functools.partial(_pack_profile, problem, bins[b], people, assignment, room)
        changes, best, freed = pack(False, prefer_own)
        if freed and prefer_own:
            other, key, _ = pack(True, prefer_own)
            if key > best:
                changes = other
        for i, at in changes.items():
            assignment[i] = at
    return assignment


def _pack_profile(
    problem: PairProblem,
    coordinators: list[int],
    people: list[int],
    assignment: list[int | None],
    room: list[int],
    free_all: bool,
    prefer_own: bool,
) -> tuple[dict[int, int | None], tuple[int, int], bool]:
    """The profile's ``people`` packed into the room its kept people (in
    ``assignment``) leave.  Where someone is left over, some coordinator's room
    is not filled: the kept people there may leave rooms no subset of the others
    adds up to, so the lightest of them (``free_all``: all of them) joins the
    others (and may still be kept there: the packing prefers a coordinator's own
    people), up to :data:`UNKEEP_ROUNDS` times.  Returns the best round's changes
    (placed priority, then keeps: the key, also returned): who goes where, the
    freed kept people who are left over ``None``; and whether anyone was freed."""
    weight, priority, current = problem.weight, problem.priority, problem.current
    kept_at = {k: [i for i, at in enumerate(assignment) if at == k] for k in coordinators}
    spare = {k: room[k] for k in coordinators}
    people = list(people)
    freed: list[int] = []
    best: dict[int, int | None] = {}
    best_key = (-1, -1)
    for round_ in range(UNKEEP_ROUNDS + 1):
        packed = _pack(people, coordinators, weight, priority, spare,
                       current if prefer_own else ())  # fmt: skip
        changes: dict[int, int | None] = {i: None for i in freed}
        changes.update(packed)
        at = {i: k for k in coordinators for i in kept_at[k]}
        at.update({i: k for i, k in packed.items()})
        key = (sum(priority[i] for i in at), sum(1 for i, k in at.items() if current[i] == k))
        if key > best_key:
            best, best_key = changes, key
        if len(packed) == len(people) or round_ == UNKEEP_ROUNDS:
            break
        used: dict[int, int] = defaultdict(int)
        for i, k in packed.items():
            used[k] += weight[i]
        gaps = [k for k in coordinators if spare[k] > used[k] and kept_at[k]]
        if not gaps:
            break
        for k in gaps:
            lightest = min(kept_at[k], key=lambda i: (weight[i], i))
            going = list(kept_at[k]) if free_all else [lightest]
            for i in going:
                kept_at[k].remove(i)
                spare[k] += weight[i]
                people.append(i)
                freed.append(i)
    return best, best_key, bool(freed)


def _pack(
    people: list[int],
    coordinators: list[int],
    weight: Sequence[int],
    priority: Sequence[int],
    room: dict[int, int],
    current: Sequence[int | None] = (),
) -> dict[int, int]:
    """``people`` at ``coordinators`` within their ``room``: each coordinator in
    turn gets the subset of those left whose points come closest to its room,
    and among those (with ``current``), the one that keeps the most of its own
    people and takes the fewest of those whose coordinator is still to come.
    The largest room first, the heaviest people first; when someone is left
    over, again in other orders (seeded: the same every time), and the packing
    that leaves the least priority (then points) over is kept."""
    rng = random.Random(len(people))
    best: dict[int, int] = {}
    best_over = (math.inf, math.inf)
    order = sorted(coordinators, key=lambda k: (-room[k], k))
    items = sorted(people, key=lambda i: (-weight[i], i))
    for attempt in range(PACK_ATTEMPTS):
        if attempt:
            rng.shuffle(order)
            rng.shuffle(items)
        at: dict[int, int] = {}
        rest = items
        to_come = set(order)
        for k in order:
            to_come.discard(k)
            # keeping counts above taking someone else's: a coordinator's room
            # holds fewer than KEEP_VALUE people
            value = [KEEP_VALUE if current[i] == k else -(current[i] in to_come)
                     for i in rest] if current else []  # fmt: skip
            if any(value):
                picked = _best_subset(rest, weight, room[k], value)
            else:
                picked = _closest_subset(rest, weight, room[k])
            for i in picked:
                at[i] = k
            taken = set(picked)
            rest = [i for i in rest if i not in taken]
        over = (sum(priority[i] for i in rest), sum(weight[i] for i in rest))
        if over < best_over:
            best, best_over = at, over
        if not rest:
            break
    return best


def _best_subset(items: list[int], weight: Sequence[int], room: int, value: list[int]) -> list[int]:
    """Of the subsets of ``items`` whose total weight is the largest within
    ``room`` (whole quanta), one of the highest total ``value`` (``value[n]``:
    item n's): a knapsack over every total up to ``room`` (NumPy, one array
    operation per item)."""
    if room <= 0 or not items:
        return []
    unreached = np.iinfo(np.int64).min // 2
    best = np.full(room + 1, unreached, dtype=np.int64)
    best[0] = 0
    took: list[np.ndarray | None] = []
    for n, i in enumerate(items):
        w = weight[i]
        if not 0 < w <= room:
            took.append(None)
            continue
        with_it = best[:-w] + value[n]
        gains = with_it > best[w:]
        best[w:] = np.where(gains, with_it, best[w:])
        took.append(gains)
    total = int(np.flatnonzero(best > unreached // 2)[-1])
    picked = []
    for n in range(len(items) - 1, -1, -1):
        gains, w = took[n], weight[items[n]]
        if gains is not None and total >= w and gains[total - w]:
            picked.append(items[n])
            total -= w
    return picked


def _closest_subset(items: list[int], weight: Sequence[int], room: int) -> list[int]:
    """The subset of ``items`` whose total weight is the largest within ``room``
    (whole quanta): a subset-sum over a bitset of reachable totals."""
    if room <= 0 or not items:
        return []
    full = (1 << (room + 1)) - 1
    reach = 1
    before = []
    for i in items:
        before.append(reach)
        reach = (reach | (reach << weight[i])) & full
    total = reach.bit_length() - 1
    picked = []
    for n in range(len(items) - 1, -1, -1):
        if (before[n] >> total) & 1:
            continue  # reachable without this item
        picked.append(items[n])
        total -= weight[items[n]]
    return picked
