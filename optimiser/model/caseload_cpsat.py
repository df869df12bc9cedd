"""CP-SAT on the plain pair model: the second prover of a small caseload stage.

The grouped HiGHS model (:mod:`optimiser.caseload.model`) proves tier-weighted
teams in a fraction of a second, but with per-person weights its per-coordinator
knapsacks can leave a stage a point short or unproved (a 200 x 10 team with a
weighting scheme: keep 131 / 132 after 11 s).  CP-SAT on one boolean per eligible
person-coordinator pair, with the weights as integers, proves such stages in a
second or two; :func:`solve_stage` is called for a stage HiGHS left unproved on a
small team.  Plain data in, plain data out: this module knows nothing of people
files or scenarios.

For the placement and keep stages people with the same eligible coordinators,
weight and priority are interchangeable: :func:`solve_classes` counts them per
coordinator (integers per class and coordinator, no symmetric booleans) and
proves the placement of a 600 x 25 team with a weighting scheme (42 classes) in
0.15-0.5 s, where the pair model needs 10-14 s and HiGHS on the grouped model
does not prove it in 12 s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

#: stages as the pair model counts them
STAGES = ("place", "keep", "locality")


@dataclass(frozen=True)
class PairProblem:
    """People and coordinators as integers.

    ``eligible[i]``: coordinator indices person i may have; ``weight[i]`` and
    ``capacity[k]`` in whole quanta; ``priority[i]`` what placing i counts;
    ``current[i]``: i's current coordinator (eligible) or ``None``;
    ``local[i]``: the coordinators in i's locality.
    """

    eligible: Sequence[Sequence[int]]
    weight: Sequence[int]
    capacity: Sequence[int]
    priority: Sequence[int]
    current: Sequence[int | None]
    local: Sequence[frozenset[int]]

    @property
    def pairs(self) -> int:
        return sum(len(e) for e in self.eligible)


@dataclass(frozen=True)
class StageAnswer:
    """``proved``: the value is the stage's optimum; ``assignment`` the best found."""

    proved: bool
    value: int
    bound: int
    assignment: list[int | None]


def solve_stage(
    problem: PairProblem,
    stage: str,
    floors: dict[str, int],
    hint: Sequence[int | None],
    time_limit: float,
    seed: int = 0,
) -> StageAnswer | None:
    """Maximise ``stage`` with every earlier stage at least its ``floors`` value.

    One worker and a fixed seed: the same answer for the same input until the
    time limit binds.  ``None`` when CP-SAT finds no solution in time.
    """
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, ks in enumerate(problem.eligible):
        for k in ks:
            x[i, k] = model.new_bool_var(f"x_{i}_{k}")
        if ks:
            model.add_at_most_one(x[i, k] for k in ks)
    by_coordinator: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for (i, k), var in x.items():
        by_coordinator.setdefault(k, []).append((i, var))
    for k, members in by_coordinator.items():
        model.add(sum(problem.weight[i] * v for i, v in members) <= problem.capacity[k])
    counts = {
        "place": sum(problem.priority[i] * v for (i, _), v in x.items()),
        "keep": sum(v for (i, k), v in x.items() if problem.current[i] == k),
        "locality": sum(v for (i, k), v in x.items() if k in problem.local[i]),
    }
    for name, floor in floors.items():
        model.add(counts[name] >= floor)
    model.maximize(counts[stage])
    for (i, k), var in x.items():
        model.add_hint(var, hint[i] == k)
    solver = _solver(time_limit, seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    assignment: list[int | None] = [None] * len(problem.eligible)
    for (i, k), var in x.items():
        if solver.value(var):
            assignment[i] = k
    return StageAnswer(
        proved=status == cp_model.OPTIMAL,
        value=round(solver.objective_value),
        bound=int(solver.best_objective_bound + 1e-6),
        assignment=assignment,
    )


def _solver(time_limit: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    return solver


def solve_classes(
    problem: PairProblem,
    stage: str,
    floors: dict[str, int],
    hint: Sequence[int | None],
    time_limit: float,
    seed: int = 0,
) -> StageAnswer | None:
    """The placement or keep stage on classes of interchangeable people:
    ``N[c, k]`` people of class c (same eligible coordinators, weight and priority)
    at coordinator k, ``K[c, k] <= N[c, k]`` of them kept (at most the class's
    people whose current coordinator k is).

    Exact for both stages: which person of a class goes where changes neither what
    is placed nor, once the kept ones go first, what is kept.  People are named
    coordinator by coordinator: first those whose current coordinator it is, then
    those of its locality, then the rest (file order within each).  ``floors``:
    ``{"place": value}`` for the keep stage.  One worker, fixed seed; ``None`` when
    CP-SAT finds no solution in time.
    """
    classes: dict[tuple[tuple[int, ...], int, int], list[int]] = defaultdict(list)
    for i, ks in enumerate(problem.eligible):
        if ks:
            classes[(tuple(ks), problem.weight[i], problem.priority[i])].append(i)
    keys = list(classes)
    index = {key: c for c, key in enumerate(keys)}
    of_class = {i: index[key] for key, members in classes.items() for i in members}
    model = cp_model.CpModel()
    n: dict[tuple[int, int], cp_model.IntVar] = {}
    kept: dict[tuple[int, int], cp_model.IntVar] = {}
    loads: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    at_current: dict[tuple[int, int], int] = defaultdict(int)
    for i, c in of_class.items():
        k = problem.current[i]
        if k is not None and k in keys[c][0]:
            at_current[c, k] += 1
    for c, (ks, weight, _) in enumerate(keys):
        size = len(classes[keys[c]])
        for k in ks:
            most = min(size, problem.capacity[k] // weight) if weight > 0 else size
            n[c, k] = model.new_int_var(0, most, f"n_{c}_{k}")
            loads[k].append((weight, n[c, k]))
            if at_current[c, k]:
                kept[c, k] = model.new_int_var(0, min(most, at_current[c, k]), f"k_{c}_{k}")
                model.add(kept[c, k] <= n[c, k])
        model.add(sum(n[c, k] for k in ks) <= size)
    for k, terms in loads.items():
        model.add(sum(w * v for w, v in terms) <= problem.capacity[k])
    counts = {
        "place": sum(keys[c][2] * v for (c, _), v in n.items()),
        "keep": sum(kept.values()),
    }
    for name, floor in floors.items():
        model.add(counts[name] >= floor)
    model.maximize(counts[stage])
    placed_at: dict[tuple[int, int], int] = defaultdict(int)
    kept_at: dict[tuple[int, int], int] = defaultdict(int)
    for i, k in enumerate(hint):
        if k is not None and i in of_class:
            placed_at[of_class[i], k] += 1
            kept_at[of_class[i], k] += problem.current[i] == k
    for key, var in n.items():
        model.add_hint(var, placed_at.get(key, 0))
    for key, var in kept.items():
        model.add_hint(var, kept_at.get(key, 0))
    solver = _solver(time_limit, seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    assignment: list[int | None] = [None] * len(problem.eligible)
    for c, key in enumerate(keys):
        members = classes[key]
        slots = {k: solver.value(n[c, k]) for k in key[0]}
        # name people: their current coordinator, then their locality, then anyone
        for fits in (
            lambda i, k: problem.current[i] == k,
            lambda i, k: k in problem.local[i],
            lambda i, k: True,
        ):
            for i in members:
                if assignment[i] is not None:
                    continue
                for k in key[0]:
                    if slots[k] > 0 and fits(i, k):
                        assignment[i] = k
                        slots[k] -= 1
                        break
    return StageAnswer(
        proved=status == cp_model.OPTIMAL,
        value=round(solver.objective_value),
        bound=int(solver.best_objective_bound + 1e-6),
        assignment=assignment,
    )
