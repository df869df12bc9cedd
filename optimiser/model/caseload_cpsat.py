"""CP-SAT on the plain pair model: the second prover of a small caseload stage.

The grouped HiGHS model (:mod:`optimiser.caseload.model`) proves tier-weighted
teams in a fraction of a second, but with per-person weights its per-coordinator
knapsacks can leave a stage a point short or unproved (a 200 x 10 team with a
weighting scheme: keep 131 / 132 after 11 s).  CP-SAT on one boolean per eligible
person-coordinator pair, with the weights as integers, proves such stages in a
second or two; :func:`solve_stage` is called for a stage HiGHS left unproved on a
small team.  Plain data in, plain data out: this module knows nothing of people
files or scenarios.

The placement and keep stages of such teams go first to the coordinator
profiles (:mod:`optimiser.model.caseload_profiles`), then to the class model
(:mod:`optimiser.model.caseload_classes`) if unproved, or to break a proved
placement's ties by keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    """``proved``: the value is the stage's optimum; ``assignment`` the best found.

    ``kept``: the class model's placement also maximises keeps among the best
    placements: the keeps of its answer (with ``proved``, the keep stage's
    optimum at this placement)."""

    proved: bool
    value: int
    bound: int
    assignment: list[int | None]
    kept: int | None = None


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
    # imported here: CP-SAT's Python layer loads pandas (0.13 s of a caseload
    # command's start), and most caseload commands never need it
    from ortools.sat.python import cp_model

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
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    return solver
