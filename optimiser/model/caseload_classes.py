"""The placement and keep stages on classes of interchangeable people (HiGHS).

For placing people and keeping their coordinators, people with the same
eligible coordinators, weight and priority are interchangeable: which of them
goes where changes neither what is placed nor, once those whose current
coordinator it is go first, what is kept.  The class model counts them:

* ``n[c, k]`` (integer): people of class c at coordinator k, at most the class's
  size over all k (``classes_size_c``) and within k's capacity in quanta
  (``classes_capacity_k``);
* ``kept[c, k] <= n[c, k]`` (integer: whole people, and HiGHS proves the keep
  stage sooner, 600 x 25 team with a weighting scheme 1.2 -> 0.4 s): of them
  kept, at most the class's people whose current coordinator k is
  (``classes_kept_c_k``);
* ``left[c]`` (integer) people of class c placed nowhere
  (``classes_size_c`` is ``sum_k n[c, k] + left[c] = size``), and their points
  at least what the capacity of all coordinators cannot hold (``classes_left``:
  implied by the capacity rows, but one knapsack over a few whole counts, which
  HiGHS derives cuts from; a team's placement, severity-weighted and near an
  exact packing, proved in 0.1 s instead of 1.5 s, 600 x 25 team 41 with a
  weighting scheme);
* placement = sum of priority x ``n``; keep = sum of ``kept``; the objective is
  placement x (people + 1) + keep in both stages: lexicographic, placement first.
  A proved placement so also proves the keep stage's optimum at it
  (:attr:`StageAnswer.kept`), and the keep stage is the same model, its
  placement P (proved by then) not held by a row: an answer at P has the most
  keeps there, and keep <= bound - P x (people + 1).  With P held as a row
  (``placement >= P``) HiGHS took longer: 600 x 25 tenths team 24 keep stage
  1.21 -> 0.81 s, scheme team 0 whole solve 1.54 -> 1.23 s, the others the same
  (seventeenth session, ``docs/benchmarks.md``).

It has no locality, pools or groups, so it is far smaller than the grouped
model (:mod:`optimiser.caseload.model`): a 600 x 25 team with a weighting scheme
has 42 classes, and HiGHS proves its placement in 0.2 s and its keep in 1.1 s,
where on the grouped model it stayed at 1,617 / 1,619 and 476 / 485 after 12 s.
The answer names people coordinator by coordinator: first those whose current
coordinator it is, then those of its locality, then the rest (file order).
Plain data in (:class:`PairProblem`), plain data out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from optimiser.model.caseload_cpsat import PairProblem, StageAnswer
from optimiser.model.caseload_milp import Milp, Sense
from optimiser.status import Status

ClassKey = tuple[tuple[int, ...], int, int]  # eligible coordinators, weight, priority


def solve_classes(
    problem: PairProblem,
    stage: str,
    floors: dict[str, int],
    hint: Sequence[int | None],
    time_limit: float,
    max_nodes: int | None = None,
) -> StageAnswer | None:
    """Maximise ``stage``: ``place`` (ties broken by keeps), or ``keep`` at the
    placement proved before (``floors``, ``{"place": v}``; the answer's value is -1
    where it places less, and its bound holds at placement v or more); from the
    assignment ``hint`` (a MIP start).  HiGHS,
    one thread: the same answer for the same input until the time limit binds
    (``max_nodes``, a work limit, binds the same on every run).
    ``None`` when HiGHS finds no solution in time."""
    classes: dict[ClassKey, list[int]] = defaultdict(list)
    for i, ks in enumerate(problem.eligible):
        if ks:
            classes[(tuple(ks), problem.weight[i], problem.priority[i])].append(i)
    keys = list(classes)
    of_class = {i: c for c, key in enumerate(keys) for i in classes[key]}
    at_current: dict[tuple[int, int], int] = defaultdict(int)
    for i, c in of_class.items():
        k = problem.current[i]
        if k is not None and k in keys[c][0]:
            at_current[c, k] += 1
    lp = Milp("caseload_classes")
    n: dict[tuple[int, int], Any] = {}
    kept: dict[tuple[int, int], Any] = {}
    loads: dict[int, list[tuple[Any, float]]] = defaultdict(list)
    left: dict[int, Any] = {}
    # both stages count who is left out; the keep stage reads its answer at `placement`
    placing = stage == "place"
    placement = floors.get("place", 0)  # the keep stage's proved placement
    for c, (ks, weight, _) in enumerate(keys):
        size = len(classes[keys[c]])
        for k in ks:
            most = min(size, problem.capacity[k] // weight) if weight > 0 else size
            n[c, k] = lp.int(0, most, f"n_{c}_{k}")
            loads[k].append((n[c, k], float(weight)))
            if at_current[c, k]:
                kept[c, k] = lp.int(0, min(most, at_current[c, k]), f"kept_{c}_{k}")
                lp.row(-math.inf, 0, [(kept[c, k], 1.0), (n[c, k], -1.0)],
                       f"classes_kept_{c}_{k}")  # fmt: skip
        left[c] = lp.int(0, size, f"left_{c}")
        lp.row(size, size, [(n[c, k], 1.0) for k in ks] + [(left[c], 1.0)],
               f"classes_size_{c}")  # fmt: skip
    for k, terms in sorted(loads.items()):
        lp.row(-math.inf, problem.capacity[k], terms, f"classes_capacity_{k}")
    if left:
        points = sum(keys[c][1] * len(classes[keys[c]]) for c in left)
        capacity = sum(problem.capacity[k] for k in loads)
        lp.row(points - capacity, math.inf, [(left[c], float(keys[c][1])) for c in left],
               "classes_left")  # fmt: skip
    counts = {
        "place": [(v, float(keys[c][2])) for (c, _), v in n.items()],
        "keep": [(v, 1.0) for v in kept.values()],
    }
    # placement x (people + 1) + keeps (lexicographic: keeps <= people), in the
    # keep stage too, where the placement is proved already
    scale = float(len(problem.eligible) + 1)
    lp.objective([(v, c * scale) for v, c in counts["place"]] + counts["keep"], Sense.MAX)
    start: dict[Any, float] = {var: 0.0 for var in [*n.values(), *kept.values()]}
    start.update({left[c]: float(len(classes[keys[c]])) for c in left})
    for i, k in enumerate(hint):
        if k is not None and i in of_class and (of_class[i], k) in n:
            start[n[of_class[i], k]] += 1
            if of_class[i] in left:
                start[left[of_class[i]]] -= 1
            if problem.current[i] == k and (of_class[i], k) in kept:
                start[kept[of_class[i], k]] += 1
    # The tie-break by keeps in the placement slowed its proof (scheme team 0.3 ->
    # 4.6 s) until the placement had its row of who is left out (classes_left):
    # with it, placement and keep of 600 x 25 scheme teams together 0.15-0.7 s
    # (0.35-0.6 s in two stages), and the two-decimal teams 1 and 2 both in 0.6
    # and 1.0 s (placement alone 1.1 and 3.9 s)
    solved = lp.solve([*n.values(), *kept.values()], time_limit, start,
                      max_nodes=max_nodes)  # fmt: skip
    if solved.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return None
    assignment: list[int | None] = [None] * len(problem.eligible)
    for c, key in enumerate(keys):
        slots = {k: round(solved.values[n[c, k]]) for k in key[0]}
        # name people: their current coordinator, then their locality, then anyone
        for fits in (
            lambda i, k: problem.current[i] == k,
            lambda i, k: k in problem.local[i],
            lambda i, k: True,
        ):
            for i in classes[key]:
                if assignment[i] is not None:
                    continue
                for k in key[0]:
                    if slots[k] > 0 and fits(i, k):
                        assignment[i] = k
                        slots[k] -= 1
                        break
    placed = round(sum(solved.values[v] * c for v, c in counts["place"]))
    keeps = round(sum(solved.values[v] for v, _ in counts["keep"]))
    if placing:
        # (the keeps are < scale: the placement is at most the bound / scale)
        bound = math.floor(solved.bound / scale + 1e-6) if math.isfinite(solved.bound) else 10**9
        proved = solved.status is Status.OPTIMAL
        return StageAnswer(proved, placed, bound, assignment, kept=keeps)
    # the keep stage: placement x scale + keeps <= the bound, so at the proved
    # placement keeps <= bound - placement x scale (rounded as in the profiles'
    # :func:`~optimiser.model.caseload_profiles.place_by_profiles`); an answer
    # placing less than it is no answer to this stage (-1 keeps: no better)
    bound = 10**9
    if math.isfinite(solved.bound):
        bound = math.floor(solved.bound + 1e-4) - placement * round(scale)
    at = placed >= placement
    proved = solved.status is Status.OPTIMAL and placed == placement
    return StageAnswer(proved, keeps if at else -1, bound, assignment)
