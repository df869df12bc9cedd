"""The placement stage on coordinator profiles: a bound, and packings that meet it.

For placing people, coordinators who may take exactly the same people (the same
*profile*: registration and competencies, as the people's eligible sets see
them) differ only in capacity.  Merging each profile's coordinators into one
bin of their summed capacity relaxes the problem, and it is small: a 600 x 25
team has 5 or 6 profiles.  The relaxation (HiGHS, on classes of interchangeable
people as in :mod:`optimiser.model.caseload_classes`):

* ``x[c, b]`` (integer): people of class c in profile b, within the profile's
  summed capacity (``profiles_capacity_b``); ``left[c]`` those placed nowhere,
  whose points are at least what no profile can hold (``profiles_left``, as
  ``classes_left``);
* ``kept[c, k] <= `` the class's people whose current coordinator is k, within
  k's own capacity (``profiles_own_k``) and among those its profile takes
  (``profiles_kept_c_b``);
* placement x (people + 1) + keeps: lexicographic.

Its placement bounds the stage.  Its people are then packed profile by profile:
the kept ones at their coordinator, then each coordinator in turn filled with
the subset of those left whose points come closest to its room (a subset-sum
over whole quanta, as a bitset), in other seeded orders when someone is left
over.  A room left unfilled where someone is kept may be one no subset of the
others adds up to: the lightest kept person there then joins the others, and
the profile is packed again.  A second packing goes without the keeps first.
The caller polishes both and keeps the better.

With two-decimal weights a packing almost always meets the bound: on the
600 x 25 teams tried (seeds 0-5) it did on every one, in 0.1-0.6 s, where
HiGHS on the class model stayed at 1,646 of team 0's 1,649 after 13 s.

Plain data in (:class:`PairProblem`), plain data out.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optimiser.model.caseload_cpsat import PairProblem
from optimiser.model.caseload_milp import Milp, Sense
from optimiser.status import Status

ClassKey = tuple[tuple[int, ...], int, int]  # eligible coordinators, weight, priority
#: orders tried to pack a profile's people when one leaves someone over
PACK_ATTEMPTS = 20
#: rounds of freeing kept people where a packing leaves a coordinator's room unfilled
UNKEEP_ROUNDS = 10


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
    the clock stopped it); ``packings``: assignments (feasible: who does not fit
    is left out), the relaxation's kept people at their coordinators first, then
    without them."""

    bound: int
    packings: list[list[int | None]]


def place_by_profiles(problem: PairProblem, time_limit: float) -> Packing | None:
    """The placement (severity-weighted), ties broken by keeps, on profiles;
    ``None`` when HiGHS finds nothing in ``time_limit``."""
    bins = profiles(problem)
    bin_of = {k: b for b, ks in enumerate(bins) for k in ks}
    room = [sum(problem.capacity[k] for k in ks) for ks in bins]
    classes: dict[ClassKey, list[int]] = defaultdict(list)
    for i, ks in enumerate(problem.eligible):
        if ks:
            classes[(tuple(ks), problem.weight[i], problem.priority[i])].append(i)
    keys = list(classes)
    lp = Milp("caseload_profiles")
    x: dict[tuple[int, int], Any] = {}
    kept: dict[tuple[int, int], Any] = {}
    loads: dict[int, list[tuple[Any, float]]] = defaultdict(list)
    own: dict[int, list[tuple[Any, float]]] = defaultdict(list)  # kept load per coordinator
    left: list[tuple[Any, float]] = []
    for c, (ks, weight, _) in enumerate(keys):
        members = classes[keys[c]]
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
            if here:  # kept people are among those the profile takes
                lp.row(-math.inf, 0, [*here, (x[c, b], -1.0)], f"profiles_kept_{c}_{b}")
        out = lp.int(0, size, f"left_{c}")
        lp.row(size, size, [*terms, (out, 1.0)], f"profiles_size_{c}")
        left.append((out, float(weight)))
    for b, terms in sorted(loads.items()):
        lp.row(-math.inf, room[b], terms, f"profiles_capacity_{b}")
    for k, terms in sorted(own.items()):
        lp.row(-math.inf, problem.capacity[k], terms, f"profiles_own_{k}")
    # who is left out holds at least the points no profile can take (implied by
    # the capacity rows; HiGHS derives knapsack cuts from it, as classes_left)
    points = sum(keys[c][1] * len(classes[keys[c]]) for c in range(len(keys)))
    lp.row(points - sum(room[b] for b in loads), math.inf, left, "profiles_left")
    # placement x (people + 1) + keeps: lexicographic
    scale = float(len(problem.eligible) + 1)
    lp.objective([(v, keys[c][2] * scale) for (c, _), v in x.items()]
                 + [(v, 1.0) for v in kept.values()], Sense.MAX)  # fmt: skip
    solved = lp.solve([*x.values(), *kept.values()], time_limit)
    if solved.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return None
    counts = {key: round(solved.values[v]) for key, v in x.items()}
    keeps = {key: round(solved.values[v]) for key, v in kept.items()}
    packings = [_unpack(problem, bins, classes, keys, counts, keeps)]
    if keeps:  # the kept people first may leave someone over: also without them
        packings.append(_unpack(problem, bins, classes, keys, counts, {}))
    # (keeps are < scale: the placement is at most the bound / scale)
    bound = math.floor(solved.bound / scale + 1e-6) if math.isfinite(solved.bound) else 10**9
    return Packing(bound=bound, packings=packings)


def _unpack(
    problem: PairProblem,
    bins: list[list[int]],
    classes: dict[ClassKey, list[int]],
    keys: list[ClassKey],
    counts: dict[tuple[int, int], int],
    keeps: dict[tuple[int, int], int],
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
        for i, at in _pack_profile(problem, bins[b], people, assignment, room).items():
            assignment[i] = at
    return assignment


def _pack_profile(
    problem: PairProblem,
    coordinators: list[int],
    people: list[int],
    assignment: list[int | None],
    room: list[int],
) -> dict[int, int | None]:
    """The profile's ``people`` packed into the room its kept people (in
    ``assignment``) leave.  Where someone is left over, some coordinator's room
    is not filled: the kept people there may leave rooms no subset of the others
    adds up to, so the lightest of them joins the others (and may still be kept
    there), up to :data:`UNKEEP_ROUNDS` times.  Returns the best round's changes
    (placed priority, then keeps): who goes where, the freed kept people who are
    left over ``None``."""
    weight, priority, current = problem.weight, problem.priority, problem.current
    kept_at = {k: [i for i, at in enumerate(assignment) if at == k] for k in coordinators}
    spare = {k: room[k] for k in coordinators}
    people = list(people)
    freed: list[int] = []
    best: dict[int, int | None] = {}
    best_key = (-1, -1)
    for round_ in range(UNKEEP_ROUNDS + 1):
        packed = _pack(people, coordinators, weight, priority, spare)
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
            i = min(kept_at[k], key=lambda i: (weight[i], i))
            kept_at[k].remove(i)
            spare[k] += weight[i]
            people.append(i)
            freed.append(i)
    return best


def _pack(
    people: list[int],
    coordinators: list[int],
    weight: Sequence[int],
    priority: Sequence[int],
    room: dict[int, int],
) -> dict[int, int]:
    """``people`` at ``coordinators`` within their ``room``: each coordinator in
    turn gets the subset of those left whose points come closest to its room.
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
        for k in order:
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
