"""Assign people to care coordinators: an exact compact MILP, solved in stages.

Priorities (PLAN.md), each a stage that keeps the values of the ones before it:

1. ``place``    maximise the number of people placed;
2. ``keep``     maximise the number who keep their current coordinator;
3. ``locality`` maximise the number placed with a coordinator of their locality;
4. ``spread``   minimise the caseload points above fair share, summed over
                coordinators (fair share: capacity x placed points / total
                capacity, rounded up to the quantum of the tier weights).

The model (:mod:`optimiser.caseload.model`) is exact: people with the same
tier, needs, locality and current coordinator are interchangeable, and for
stages 1-3 coordinators differ, for a person, only in being their current
coordinator, in their locality, or neither (proof: ``docs/benchmarks.md``,
"Caseload assignment").

Each stage: the LP relaxation gives a bound (with the ``*_fit`` rows it is
usually tight); starts rounded from it and from the incumbent are repaired and
polished (:mod:`optimiser.caseload.heuristic`); a start that meets the bound is
optimal.  Otherwise small models (at most :data:`MILP_MAX_INTEGERS` integer
counts) go to HiGHS branch and bound with the start as a MIP start, large ones
to a large neighbourhood search that re-solves localities exactly.  With a
time limit each stage gets a share of the time left; a stage that runs out
keeps its best solution and its proven bound, and later stages keep that
value.  The steps within a stage that give it starts and bounds (the
profiles' relaxations, the class model, the relaxation induced neighbourhood)
stop at node limits, with their share of the clock only as a safety net, and
everything else is a work limit: results are reproducible whenever a stage's
own time limit does not bind (a busy machine makes a run slower, not different).
"""

from __future__ import annotations

import enum
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from optimiser.caseload.evaluation import Objectives, evaluate, loads
from optimiser.caseload.heuristic import KEPT, LOCAL, LocalSearch
from optimiser.caseload.instance import (
    POINTS_EPS,
    CaseloadInstance,
    fair_targets,
    qualified,
    quantum,
    why_unqualified,
)
from optimiser.caseload.lagrange import Multipliers, Pairs, lagrangian_bound
from optimiser.caseload.lns import PAIR_MAX_COORDINATORS, Resolve, search_neighbourhoods
from optimiser.caseload.mapping import to_people, to_values
from optimiser.caseload.model import CompactModel, build, unplaced_counts_free
from optimiser.model.caseload_classes import solve_classes
from optimiser.model.caseload_cpsat import PairProblem, solve_stage
from optimiser.model.caseload_milp import Milp, Sense, Solved
from optimiser.model.caseload_profiles import locate_by_profiles, place_by_profiles
from optimiser.progress import Advance, Progress
from optimiser.status import Status

__all__ = [
    "STAGES",
    "CaseloadParams",
    "CaseloadResult",
    "StageResult",
    "Unplaced",
    "solve_caseload",
]


class Stage(enum.Enum):
    """The lexicographic stages, highest priority first."""

    PLACE = "place"
    KEEP = "keep"
    LOCALITY = "locality"
    SPREAD = "spread"


STAGES = tuple(Stage)
_MAXIMISE = {Stage.PLACE, Stage.KEEP, Stage.LOCALITY}
#: Shares of the time limit (of what is left when a stage starts): placing and
#: keeping usually close at the LP bound; locality needs the most search.
_TIME_SHARE = {Stage.PLACE: 1.0, Stage.KEEP: 1.0, Stage.LOCALITY: 2.0, Stage.SPREAD: 1.0}
#: Shares of a huge model (bounds from the bounding model): its placement stage
#: solves two bounding relaxations (3 s and 8 s at 10,000 x 400 with distinct weights)
_HUGE_TIME_SHARE = {**_TIME_SHARE, Stage.PLACE: 2.0}
#: Shares of a small team (at most PAIR_MAX_COORDINATORS) whose model is too big
#: for branch and bound (per-person weights with many distinct values): its
#: placement and keep stages are the hard ones, and the ones that matter most
#: (at the 60 s default, two-decimal weights: a 131 x 10 team's placement 353
#: of a bound of 354 -> 354, proved; a 200 x 10 team kept 138 -> 149-150; three
#: 600 x 25 teams unchanged; with the old shares the 131 x 10 team's solve
#: ended at 16.7 s)
_SMALL_LNS_TIME_SHARE = {**_TIME_SHARE, Stage.PLACE: 3.0, Stage.KEEP: 3.0}
#: the stages whose starts :meth:`LocalSearch.exchange` improves, and the priority
_EXCHANGE = {Stage.KEEP: KEPT, Stage.LOCALITY: LOCAL}


@dataclass(frozen=True)
class CaseloadParams:
    """Options of :func:`solve_caseload`.

    Attributes
    ----------
    time_limit
        Wall-clock seconds for all stages together; ``None`` proves every stage.
    balance
        Run the load-balancing stage (``spread``).
    progress
        Show on stderr which stage is running and for how long (a trust-scale
        solve takes up to its time limit).
    """

    time_limit: float | None = None
    balance: bool = True
    progress: bool = False


NO_ELIGIBLE = "no eligible coordinator"
FULL = "all eligible full"


@dataclass(frozen=True)
class Unplaced:
    """Why someone has no coordinator: ``kind`` is :data:`NO_ELIGIBLE` (nobody
    holds their needs / registration) or :data:`FULL` (everyone who does is full)."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class StageResult:
    """One stage: the value reached and the proven bound (both in the stage's units)."""

    stage: str
    value: float
    bound: float
    status: Status
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap ``|bound - value| / max(|bound|, 1)`` (0 when proven)."""
        return abs(self.bound - self.value) / max(abs(self.bound), 1.0)


@dataclass(frozen=True)
class CaseloadResult:
    """An assignment and how it was found.

    Attributes
    ----------
    instance
        The problem solved.
    assignment
        Coordinator id of each person (``instance.people`` order), ``None`` if unplaced.
    reasons
        Person id -> why they could not be placed (unplaced people only).
    stages
        Value and bound of each stage solved.
    status
        ``OPTIMAL`` when every stage was proven, else ``FEASIBLE``.
    seconds
        Wall-clock time of the whole solve.
    stats
        Model sizes (groups, variables, rows).
    """

    instance: CaseloadInstance
    assignment: tuple[str | None, ...]
    reasons: dict[str, Unplaced]
    stages: tuple[StageResult, ...]
    status: Status
    seconds: float
    stats: dict[str, float] = field(default_factory=dict, compare=False)

    def objectives(self) -> Objectives:
        """The priorities evaluated on the assignment itself."""
        return evaluate(self.instance, self.assignment)

    def loads(self) -> dict[str, float]:
        """Points per coordinator id (every coordinator, file order)."""
        return loads(self.instance, self.assignment)


# -- solving ----------------------------------------------------------------------------


#: Compact models with at most this many integer counts ``N[k, w]`` go to HiGHS
#: branch and bound when no rounded start meets the LP bound; larger ones to the
#: LNS.  (With per-person weights the keep and local arcs are integer too: a
#: 600 x 25 team with a weighting scheme has about 200 counts and 700 integers;
#: the limit stays on the counts, the size that grows with coordinators x weights.)
#: 1,000 (was 400): models of 400-1,000 counts proved where the LNS left them
#: unproved, in process: 600 x 25 teams with one-decimal weights (about 490)
#: 9 of 9 (the LNS 4), team 0 40.8 -> 6.9 s; 200 x 8 two-decimal (about 750) 5
#: of 5 (3); 1,500 x 60 with a weighting scheme (470) 2 of 2, where the LNS
#: ended 2 and 4 severity points short of the optimum; 5,000 x 200 tier weights
#: (580) 2 of 2, the same values.  Above it the branch and bound lost ground on
#: the hardest teams (400 x 16 two-decimal team 0: locality 331 against the
#: LNS's 359), and the tier trust has 1,165.
MILP_MAX_INTEGERS = 1000
#: ... with a time limit under MILP_MIN_SECONDS, the limit is MILP_SHORT_INTEGERS
#: (a 600 x 25 team with weights to a tenth, 493 counts, at 5 s: branch and bound
#: 450 kept / 534 local against the LNS's 460 / 552; at 15 s it proved 460 / 554
#: in 7 s against the LNS's 460 / 553 unproved)
MILP_MIN_SECONDS = 15.0
MILP_SHORT_INTEGERS = 400
#: The relaxation induced neighbourhood's branch and bound (:func:`_rins`): at most
#: this many nodes (a work limit, so the same answer on every run; at 600 x 25 a
#: node takes 1-2.5 ms, 500 of them up to 1.2 s), and as a safety net at most
#: this many seconds (so that on a loaded machine the nodes still decide) and this
#: share of the stage's time left.  600 x 25 teams, in process: weights to a
#: tenth, the nine teams of seeds 1-9 18.8 -> 16.6 s (medians of 3; seven faster,
#: e.g. team 1 2.01 -> 1.26 s, team 5 1.74 -> 2.47 s); a weighting scheme, ten
#: teams 9.7 -> 8.9 s; tier weights the same.  Over 30 tenths teams 500 nodes
#: against none: 81.9 -> 79.6 s; 50 nodes lost (74.3 -> 75.3 s).
RINS_NODES = 500
RINS_SECONDS = 5.0
RINS_SHARE = 0.25
#: HiGHS ``mip_heuristic_effort`` of the exact placement stage
PLACE_HEURISTICS = 1.0
#: teams up to this many eligible person-coordinator pairs get CP-SAT as a second
#: prover of a stage HiGHS leaves unproved (:mod:`optimiser.model.caseload_cpsat`)
CPSAT_MAX_PAIRS = 20_000
#: CP-SAT's seconds for a stage when the solve has no time limit
CPSAT_SECONDS = 10.0
#: HiGHS' share of a small team's stage time when CP-SAT may follow (placement
#: needs HiGHS longest: 7.5 s on the weighted 600 x 25 team)
HIGHS_SHARE = {Stage.PLACE: 0.9, Stage.KEEP: 0.75, Stage.LOCALITY: 0.75}
#: with per-person weights a small team's placement and keep stages go to the
#: class model (:mod:`optimiser.model.caseload_classes`) when the coordinator
#: profiles' packings leave them unproved, with this share
CLASS_SHARE = 0.7
#: ... and at most this many branch-and-bound nodes (a work limit: the same answer
#: on every run, where its share of the clock is left for a loaded machine; a
#: 200-person team with two-decimal weights: 1,251 nodes in its 4.6 s, and the
#: stage was then proved by the grouped model in 0.3 s)
CLASS_NODES = 500
#: the profile packing (:mod:`optimiser.model.caseload_profiles`) of a
#: placement has this share of the time left (at most PROFILE_SECONDS) and at
#: most PROFILE_NODES nodes, the locality stage's LOCATE_NODES (its nodes are
#: slower: 1,963 and 260 in 5 s on that team); 600 x 25 teams with a weighting
#: scheme or tenths need one
PROFILE_SHARE = 0.5
PROFILE_SECONDS = 10.0
PROFILE_NODES = 500
LOCATE_NODES = 100
#: ... when no coordinator holds more quanta than this: the packing's subset sums
#: grow with them and have no clock (two-decimal weights: about 5,000)
PROFILE_MAX_QUANTA = 20_000
#: after a proved packing, the class model's nodes to break its ties by keeps
#: (its root: on 600 x 25 tenths teams it proves them there, in 0.5-3 s)
PROFILE_CLASS_NODES = 1
#: models with more integer counts than this (hundreds of distinct weights at trust
#: scale) get their stage bounds from a bounding model with weights rounded down
BOUNDING_INTEGERS = 20_000
#: grids tried for the bounding model, finest first, until it has at most
#: BOUNDING_WEIGHTS distinct weights
BOUNDING_GRIDS = (0.05, 0.1, 0.25, 0.5, 1.0)
BOUNDING_WEIGHTS = 100
#: seconds more kept in hand for a model above BOUNDING_INTEGERS
HUGE_MARGIN = 1.5
#: the balancing stage counts each coordinator's excess in whole quanta when no
#: capacity holds more quanta than this (quarter points: 150 at most in a team;
#: hundredths: thousands)
WHOLE_EXCESS_QUANTA = 1_000


def solve_caseload(
    instance: CaseloadInstance, params: CaseloadParams | None = None
) -> CaseloadResult:
    """Assign people to care coordinators by the priorities of PLAN.md.

    Parameters
    ----------
    instance
        People and coordinators.
    params
        Time limit and whether to balance load.

    Returns
    -------
    CaseloadResult
        The assignment (always feasible: placing nobody is feasible, and every
        stage starts from the previous one's solution), per-stage values and bounds.
    """
    params = params or CaseloadParams()
    total = len(_stages(params))
    bar = Progress(params.progress).task("Caseload: building the model", total, eta=False)
    with bar as advance:
        return _solve(instance, params, None, None, advance=advance)


#: what the progress bar says while a stage runs
_RUNNING = {
    Stage.PLACE: "Caseload: placing people",
    Stage.KEEP: "Caseload: keeping current coordinators",
    Stage.LOCALITY: "Caseload: placing people in their locality",
    Stage.SPREAD: "Caseload: balancing caseloads",
}


def _stages(params: CaseloadParams) -> list[Stage]:
    """The stages run: all, or without balancing."""
    return [s for s in STAGES if params.balance or s in _MAXIMISE]


def _solve(
    instance: CaseloadInstance,
    params: CaseloadParams,
    targets: list[float] | None,
    start_people: list[int | None] | None,
    from_stage: Stage | None = None,
    advance: Advance | None = None,
) -> CaseloadResult:
    """The staged solve.  LNS sub-problems pass ``targets`` (the whole problem's fair
    shares) and ``start_people`` (their current assignment, a MIP start); they go
    straight to branch and bound, from ``from_stage`` on (the stages before it keep
    the start's values: the whole problem has fixed them already).  ``advance``:
    the progress bar's, told when each stage starts and ends."""
    return _StagedSolve(instance, params, targets, start_people).run(from_stage, advance)


@dataclass
class _StageRun:
    """One stage's state while it runs: its objective variable ``var`` (and its
    tie-break ``after``, weighted 1 against ``scale`` per point of its own), the
    bound and status so far, and its relaxation."""

    stage: Stage
    number: int
    started: float
    deadline: float | None
    var: Any = None
    after: Any = None
    scale: float = 1.0
    bound: float = math.inf
    status: Status = Status.FEASIBLE
    relaxed: Solved = field(default_factory=Solved.unknown)


class _StagedSolve:
    """The stages of :func:`_solve` on one model: each stage bounds itself, gathers
    starts, then proves or improves the incumbent by the engines its team's size
    and weights call for (:meth:`_stage`); its value then holds in the stages
    that follow."""

    def __init__(
        self,
        instance: CaseloadInstance,
        params: CaseloadParams,
        targets: list[float] | None,
        start_people: list[int | None] | None,
    ) -> None:
        self.instance, self.targets = instance, targets
        self.nested = nested = start_people is not None
        self.start = start = time.monotonic()
        self.deadline = None
        if params.time_limit is not None:
            # keep a margin for rounding and naming people once the stages are done
            margin = 0.0 if nested else min(2.0, 0.05 * params.time_limit)
            self.deadline = start + params.time_limit - margin
        # per-person weights: people of one tier with different weights
        tier_weights: dict[str, set[float]] = defaultdict(set)
        for person in instance.people:
            tier_weights[person.tier].add(person.weight)
        weighted = any(len(w) > 1 for w in tier_weights.values())
        # the whole model's branch and bound also branches on who is left out (a model
        # on the LNS path never goes to branch and bound whole, and its relaxations
        # free these counts: they cost it nothing); sub-problems go without
        self.model = model = build(instance, whole_arcs=weighted, unplaced_counts=not nested,
                                   unplaced_points=weighted and not nested)  # fmt: skip
        self.lp = lp = model.lp
        self.stats: dict[str, float] = {
            "people": len(instance.people),
            "coordinators": len(instance.coordinators),
            "types": len(model.weights),
            "groups": len(model.groups),
            "counts": len(model.counts),  # N[k, w]: what MILP_MAX_INTEGERS limits
            "integer_variables": lp.num_integers,
            "variables": lp.num_variables,
            "rows": lp.num_constraints,
            "build_seconds": time.monotonic() - start,
        }
        self.stages = _stages(params)
        most = MILP_MAX_INTEGERS
        if params.time_limit is not None and params.time_limit < MILP_MIN_SECONDS:
            most = MILP_SHORT_INTEGERS  # a short limit: the LNS's quick gains are worth more
        self.exact = nested or len(model.counts) <= most
        self.results: list[StageResult] = []
        variables = [a.var for a in model.arcs] + list(model.counts.values())
        variables += [model.placed, model.kept, model.local, *model.unplaced.values()]
        if model.unplaced_points is not None:
            variables.append(model.unplaced_points)
        self.variables = variables
        type_of = [0] * len(instance.people)
        for group in model.groups:
            for i in group.members:
                type_of[i] = group.type
        self.search = search = LocalSearch(instance, [model.eligible[t] for t in type_of])
        self.pairs = _pair_problem(instance, search) if not nested else None
        # per-person weights on a small team: placement and locality go first to
        # coordinator profiles (:mod:`optimiser.model.caseload_profiles`), and the keep
        # stage too when the placement was proved without them; the class model then
        # proves what they leave open and breaks a proved placement's ties by keeps
        self.profiles = weighted and self.pairs is not None
        self.bounding: CompactModel | None = None
        self.exact_pairs: Pairs | None = None  # (with a bounding model)
        if not nested and len(model.counts) > BOUNDING_INTEGERS:
            self.bounding = _bounding_model(instance)
            self.stats["bounding_types"] = len(self.bounding.weights)
            self.exact_pairs = Pairs(search)  # its duals bound the exact model
            if self.deadline is not None:
                # a huge model's solver calls overrun their limits by a second or so
                self.deadline -= HUGE_MARGIN
        self.objective = {
            Stage.PLACE: model.placed, Stage.KEEP: model.kept, Stage.LOCALITY: model.local
        }
        # the incumbent; meets every fixed stage
        self.values: dict[Any, float] | None = None
        if start_people is not None:
            self.values = to_values(instance, model, start_people)
        self.last_lp = 0.0  # seconds the last relaxation took
        # (placement, a bound on the keep stage at it): the class model's when its
        # placement proved both, and the profiles' relaxation's (both break their
        # placement's ties by keeps)
        self.best_kept: list[tuple[int, int]] = []
        self.profiled = False  # the placement stage tried the profiles

    def run(self, from_stage: Stage | None, advance: Advance | None) -> CaseloadResult:
        """Every stage in turn (those before ``from_stage`` held at the start's
        values), then the assignment."""
        instance, model, lp = self.instance, self.model, self.lp
        for number, stage in enumerate(self.stages):
            if not model.counts:
                break  # nobody can be placed anywhere: nothing to decide
            held = from_stage is not None and number < STAGES.index(from_stage)
            if self.values is not None and held:
                var = self.objective[stage]
                lp.set_bounds(var, lower=round(self.values[var]))
                continue
            if advance is not None:
                advance(0, description=_RUNNING[stage])
            result = self._stage(number, stage)
            self.results.append(result)
            if advance is not None:
                advance(1)
        rounding_start = time.monotonic()
        indices: list[int | None] = [None] * len(instance.people)
        if self.values is not None:
            indices = to_people(instance, model, self.values)
        assignment = [None if k is None else instance.coordinators[k].id for k in indices]
        self.stats["rounding_seconds"] = time.monotonic() - rounding_start
        results = self.results
        proved = len(results) == len(self.stages) and all(
            r.status is Status.OPTIMAL for r in results
        )
        return CaseloadResult(
            instance=instance,
            assignment=tuple(assignment),
            reasons=_reasons(instance, assignment),
            stages=tuple(results),
            status=Status.OPTIMAL if proved or not model.counts else Status.FEASIBLE,
            seconds=time.monotonic() - self.start,
            stats=self.stats,
        )

    # -- one stage ------------------------------------------------------------------------

    def _stage(self, number: int, stage: Stage) -> StageResult:
        """Bound the stage and gather its starts, then the engines its team calls
        for, until it is proved or out of time; its value then holds."""
        started = time.monotonic()
        deadline = None
        if self.deadline is not None:
            shares = _time_shares(self.bounding is not None, self.exact,
                                  len(self.instance.coordinators))  # fmt: skip
            share = shares[stage] / sum(shares[s] for s in self.stages[number:])
            deadline = started + max(0.05, (self.deadline - started) * share)
        run = _StageRun(stage, number, started, deadline)
        if stage in _MAXIMISE:
            # the placement (keep) stage breaks its ties by keeps (locality): weight 1
            # against people + 1 per point of its own, which is lexicographic, so that
            # a vertex or an incumbent stopped by the clock keeps people where it can
            run.var = self.objective[stage]
            run.after = {Stage.PLACE: self.model.kept, Stage.KEEP: self.model.local}.get(stage)
            run.scale = 1.0 if run.after is None else len(self.instance.people) + 1.0
            tie = [(run.after, 1.0)] if run.after is not None else []
            self.lp.objective([(run.var, run.scale), *tie], Sense.MAX)
            if not self.nested:
                self._maximise_start(run)
        else:
            self._spread_start(run)
        if self.profiles:
            self._on_profiles(run)
        if run.status is not Status.OPTIMAL and self.exact:
            self._branch_and_bound(run)
        elif run.status is not Status.OPTIMAL:
            self._by_lns(run)
        return self._finish(run)

    def _left(self, run: _StageRun) -> float | None:
        """Seconds left of the stage's share (None: no limit)."""
        return None if run.deadline is None else max(0.05, run.deadline - time.monotonic())

    def _relax(self, run: _StageRun) -> Solved:
        """The stage's relaxation, unless the model is huge (its bounds come from the
        bounding model: the placement relaxation of hundreds of distinct weights ran
        out its whole share, 10-12 s, without a vertex) or the last one took more
        than half the time left (HiGHS does not stop inside presolve/crossover)."""
        if self.bounding is not None:
            return Solved.unknown()
        limit = self._left(run)
        if limit is not None and 2 * self.last_lp > limit:  # HiGHS may overrun its limit
            return Solved.unknown()
        began = time.monotonic()
        with unplaced_counts_free(self.model):
            solved = self.lp.solve(self.variables, limit, relax=True)
        self.last_lp = time.monotonic() - began
        return solved

    def _maximise_start(self, run: _StageRun) -> None:
        """A maximising stage's bound (the profiles' keeps at this placement, the
        relaxation or the bounding model) and its best start: the incumbent
        polished, the relaxation (or the bounding model's vertex) rounded and
        repaired, and for locality the incumbent rounded with its keeps."""
        instance, model, lp, search = self.instance, self.model, self.lp, self.search
        stage, var, after, values = run.stage, run.var, run.after, self.values
        stats = self.stats
        bound, vertex = math.inf, None
        for placement, most in self.best_kept if stage is Stage.KEEP else []:
            if round(lp.bounds(model.placed)[0]) == placement:  # (held at it)
                bound = min(bound, most)
        # no relaxation where the incumbent meets the bound already (the keep
        # stage after a placement that proved it: 0.3-0.4 s of a 600 x 25
        # two-decimal team)
        done = values is not None and values[var] >= bound
        relaxed = Solved.unknown() if done else self._relax(run)
        if relaxed.status is Status.OPTIMAL:
            # the next priority is >= 0, so this one <= objective / scale
            bound = min(bound, math.floor(relaxed.objective / run.scale + 1e-6))
        elif self.bounding is not None and not done:  # too big for its relaxation
            floors = {s: lp.bounds(self.objective[s])[0] for s in self.stages[: run.number]}
            # its vertex is a start for placement and keep; the locality
            # vertex's repair loses keeps (distinct trust: 7,759 -> 7,701, under
            # the floor of 7,757; many-for-one keep moves won 48 back for 73
            # locals), so it would only cost the stage its time
            starter = search if stage is not Stage.LOCALITY else None
            assert self.exact_pairs is not None
            relaxation, vertex = _bounding_bound(
                self.bounding, self.exact_pairs, stage, floors, self._left(run), stats, starter
            )
            bound = min(bound, relaxation)
        # starts: the incumbent polished, and the relaxation rounded and repaired
        starts = [] if values is None else [search.run(to_people(instance, model, values))]
        if relaxed.status is Status.OPTIMAL:
            starts.append(search.run(to_people(instance, model, relaxed.values)))
        else:  # no relaxation: the bounding model's vertex, repaired
            if vertex is not None:
                starts.append(search.run(vertex))
            if values is None:
                starts.append(search.run([None] * len(instance.people)))  # and greedy
        limit = self._left(run)
        in_time = self.bounding is None and (limit is None or self.last_lp < limit)
        if stage is Stage.LOCALITY and values is not None and in_time:
            rounded = _with_keeps(instance, model, self.variables, values, self._left(run))
            if rounded is not None:
                starts.append(search.run(rounded))
        if stage in _EXCHANGE:  # many-for-one moves (and keep trades)
            starts = [search.exchange(people, _EXCHANGE[stage]) for people in starts]
        for n, people in enumerate(starts):
            candidate = to_values(instance, model, people)
            stats[f"{stage.value}_start_{n}"] = candidate[var]
            stats[f"{stage.value}_start_{n}_placed"] = candidate[model.placed]
            stats[f"{stage.value}_start_{n}_kept"] = candidate[model.kept]
            meets = all(candidate[v] >= lp.bounds(v)[0] for v in self.objective.values())
            tied = after is not None and values is not None and candidate[var] == values[var]
            better = values is None or candidate[var] > values[var]
            if meets and (better or (tied and candidate[after] > values[after])):
                values = candidate  # the stage, then its tie-break, decides
        assert values is not None  # the first stage has no fixes to meet
        self.values = values
        stats[f"{stage.value}_start"] = values[var]
        stats[f"{stage.value}_lp_seconds"] = time.monotonic() - run.started
        run.bound, run.relaxed = bound, relaxed
        run.status = Status.OPTIMAL if values[var] >= bound else Status.FEASIBLE

    def _spread_start(self, run: _StageRun) -> None:
        """The balancing stage (points above fair share, in quanta of the weights):
        its variables, its bound, and on a small team the incumbent balanced by
        moves and trades."""
        instance, model, search = self.instance, self.model, self.search
        assert self.values is not None
        var, extra = _add_spread(instance, model, self.values, self.targets)
        run.var = var
        self.variables += list(extra)
        values = {**self.values, **extra}
        self.lp.objective([(var, 1.0)], Sense.MIN)
        bound = 0
        # a bound in whole quanta (and, exact, the neighbourhood for _rins)
        whole_quanta = model.quantum is not None or not self.exact
        if values[var] > 0 and not self.nested and whole_quanta:
            run.relaxed = self._relax(run)
            if run.relaxed.status is Status.OPTIMAL:
                bound = math.ceil(run.relaxed.objective - 1e-6)
        if values[var] > bound and not self.nested and self.pairs is not None:
            # a small team's incumbent balanced by moves and trades that keep
            # every earlier stage's count (milliseconds), taken only where it
            # meets the bound, else the search below starts where it did (600 x
            # 25 tenths team 2: 15 -> 8 quanta, the bound, and the stage 1.5 ->
            # 0.09 s; in process 30 tenths teams 63.2 -> 60.8 s, the others
            # and 30 scheme teams the same: "Eighteenth session")
            people = search.balance(to_people(instance, model, values), model.targets)
            balanced = _balanced_values(instance, model, people, model.targets)
            self.stats["spread_balanced"] = balanced[var]
            if balanced[var] <= bound:
                values = {**values, **balanced}
        self.values = values
        run.bound = bound
        run.status = Status.OPTIMAL if values[var] <= bound else Status.FEASIBLE

    def _on_profiles(self, run: _StageRun) -> None:
        """Per-person weights on a small team: placement on coordinator profiles,
        then on the class model if the packings left it unproved or short of the
        profiles' keeps; keep on the profiles' packings or the class model;
        locality on profiles split by locality."""
        instance, model, pairs, search = self.instance, self.model, self.pairs, self.search
        stage, var, stats = run.stage, run.var, self.stats
        # Two-decimal weights give hundreds of classes, which the class model
        # cannot pack (1,646 of 1,649 after 13 s on a 600 x 25 team) and the
        # profiles' subset sums can (1,649 proved in 0.6 s); with a weighting
        # scheme or tenths, going to the class model first was no faster (30
        # tenths teams' median 1.48-1.62 -> 1.08-1.09 s in process, scheme teams
        # the same; the same optima: docs/benchmarks.md, "Fifteenth session")
        # the profile packing proved the placement, but perhaps not its keeps
        ties_open = False
        if stage is Stage.PLACE and run.status is not Status.OPTIMAL and pairs is not None:
            assert self.values is not None
            self.values, run.bound, at = _place_by_profiles(
                instance, model, pairs, self.values, run.bound, self._left(run), stats, search
            )
            self.profiled = True
            if at is not None:  # (the keep stage uses it at that placement only)
                self.best_kept.append(at)
            if self.values[var] >= run.bound:
                run.status = Status.OPTIMAL
                # unless the packing keeps as many as the profiles allow at this
                # placement (600 x 25 two-decimal teams: 21 of 30), the class
                # model breaks its ties (the profiles' placement bound may be
                # above the proved placement: then theirs is no bound here)
                proved = round(self.values[var])
                kept = self.values[model.kept]
                ties_open = at is None or at[0] != proved or kept < at[1]
        placed_proved = bool(self.results) and self.results[0].status is Status.OPTIMAL
        again = stage is Stage.KEEP and not self.profiled  # (the same packings)
        if again and run.status is not Status.OPTIMAL and placed_proved:
            # a placement proved otherwise (its relaxation): the profiles' bound on
            # keeps at it, and their packings (600 x 25 two-decimal team 5: keep
            # proved in 0.5 s, where the class model and the search took 12 s)
            assert self.values is not None and pairs is not None
            self.values, _, at = _place_by_profiles(
                instance, model, pairs, self.values, math.inf, self._left(run), stats, search,
                "keep",
            )  # fmt: skip
            if at is not None and at[0] == round(self.lp.bounds(model.placed)[0]):
                run.bound = min(run.bound, at[1])
            if self.values[var] >= run.bound:
                run.status = Status.OPTIMAL
        classes = stage in (Stage.PLACE, Stage.KEEP)
        if (run.status is not Status.OPTIMAL or ties_open) and classes and pairs is not None:
            # placement and keep on classes of interchangeable people (the 600 x 25
            # team with a weighting scheme: placement proved in 0.2 s, keep in
            # 1.1 s; on the grouped model HiGHS proves neither in 12 s); after a
            # proved packing, only to break its ties by keeps, to the end of its root node
            share = self._left(run)
            limit = CPSAT_SECONDS if share is None else share * CLASS_SHARE
            nodes = PROFILE_CLASS_NODES if ties_open else CLASS_NODES
            self.values, run.bound, proved_kept = _prove_by_pairs(
                instance, model, pairs, stage, self.stages[: run.number], self.objective,
                self.values, run.bound, limit, stats, search, nodes,
            )  # fmt: skip
            if stage is Stage.PLACE and proved_kept is not None:
                self.best_kept.append(proved_kept)
            assert self.values is not None
            if self.values[var] >= run.bound:
                run.status = Status.OPTIMAL
        # per-person weights, locality: on coordinator profiles split by locality
        # (600 x 25 two-decimal team 3: proved in 1.5 s, against 15 s; tenths
        # teams faster at the median, slower where capacity is short, whose
        # packings fall keeps short of the floor: fifteenth session)
        if stage is Stage.LOCALITY and run.status is not Status.OPTIMAL:
            assert self.values is not None and pairs is not None
            self.values, run.bound = _locate_by_profiles(
                instance, model, pairs, self.values, run.bound, self._left(run), stats, search
            )
            if self.values[var] >= run.bound:
                run.status = Status.OPTIMAL

    def _branch_and_bound(self, run: _StageRun) -> None:
        """HiGHS on the model (after the relaxation induced neighbourhood), then on
        a small team CP-SAT on the pair model, should HiGHS not prove the stage."""
        instance, model, lp, pairs = self.instance, self.model, self.lp, self.pairs
        stage, var, after, stats = run.stage, run.var, run.after, self.stats
        values, bound, status = self.values, run.bound, run.status
        # placement: HiGHS' primal heuristics at full effort (a 600 x 25 team with
        # per-person weights: the optimum in 7.5 s, where the default stays a point
        # short); the later stages start from a good incumbent and keep the default
        effort = PLACE_HEURISTICS if stage is Stage.PLACE and not self.nested else None
        prove = pairs is not None and stage in _MAXIMISE
        limit = self._left(run)
        if prove and limit is not None:  # the rest for CP-SAT, should HiGHS not prove it
            limit *= HIGHS_SHARE[stage]
        solved = Solved.unknown()
        # the neighbourhood search, but not for a weighted small team's locality
        # stage: there it sent HiGHS a longer way where capacity is short (in
        # process, 60 tenths teams 140.1 -> 126.1 s in total, team 0 13.1 ->
        # 6.3 s, 26 12.1 -> 19.2 s; 12 short three-locality teams 134 -> 110
        # s; 40 scheme teams the same: "Seventeenth session")
        relaxed = run.relaxed
        rins = relaxed.status is Status.OPTIMAL and not (stage is Stage.LOCALITY and self.profiles)
        if rins and values is not None and _open(stage, values[var], bound):
            values = _rins(lp, stage, (var, after), self.variables, relaxed, values,
                           limit, stats)  # fmt: skip
            limit = self._left(run)  # (what the neighbourhood left)
            if prove and limit is not None:
                limit *= HIGHS_SHARE[stage]
        if values is None or _open(stage, values[var], bound):
            solved = lp.solve(self.variables, limit, values, heuristics=effort)
        if solved.status in (Status.OPTIMAL, Status.FEASIBLE):
            # HiGHS may drop the start (a tolerance) and stop at worse: keep ours
            found = solved.values[var]
            worse = values is not None and (
                found < values[var] - 1e-6 if stage in _MAXIMISE else found > values[var] + 1e-6
            )
            if values is not None and after is not None and abs(found - values[var]) <= 1e-6:
                worse = solved.values[after] < values[after] - 1e-6  # (its tie-break)
            if not worse:
                values, status = solved.values, solved.status
            stats[f"{stage.value}_highs"] = found
            if worse or not math.isfinite(solved.bound):
                pass  # no bound: stopped before its root relaxation, or it lost the start
            elif stage in _MAXIMISE:  # the tie-break is >= 0: stage <= bound / scale
                bound = min(bound, math.floor(solved.bound / run.scale + 1e-6))
            else:
                bound = max(bound, math.ceil(solved.bound - 1e-6))
        # HiGHS' values are floats (566.9999999999962 for a proved 567): round first
        if prove and pairs is not None and values is not None and round(values[var]) < bound:
            # CP-SAT on the pair model: on per-person weights it proves small
            # teams' stages where HiGHS stalls (200 x 10: keep in 2.3 s)
            values, bound, _ = _prove_by_pairs(
                instance, model, pairs, stage, self.stages[: run.number], self.objective,
                values, bound, self._left(run) or CPSAT_SECONDS, stats,
            )  # fmt: skip
        self.values, run.bound, run.status = values, bound, status

    def _by_lns(self, run: _StageRun) -> None:
        """The large neighbourhood search (a model too big for branch and bound),
        then on a small team CP-SAT on the pair model."""
        instance, model, pairs, search = self.instance, self.model, self.pairs, self.search
        stage, var = run.stage, run.var
        assert self.values is not None
        people = to_people(instance, model, self.values)
        balance = model.targets if stage is Stage.SPREAD else None
        goal = None
        if stage in _MAXIMISE:  # stop as soon as the stage meets its bound
            done = [round(self.values[self.objective[s]]) for s in self.stages[: run.number]]
            goal = (*done, run.bound)
        resolve = _resolver(balance is not None, stage)
        people = search_neighbourhoods(instance, search, people, run.deadline, balance, goal,
                                       self.stats, resolve)  # fmt: skip
        if stage in _EXCHANGE:
            people = search.exchange(people, _EXCHANGE[stage])
        if balance is not None:
            values = _balanced_values(instance, model, people, balance)
        else:
            values = to_values(instance, model, people)
        if pairs is not None and stage in _MAXIMISE and values[var] < run.bound:
            values, run.bound, _ = _prove_by_pairs(
                instance, model, pairs, stage, self.stages[: run.number], self.objective,
                values, run.bound, self._left(run) or CPSAT_SECONDS, self.stats,
            )  # fmt: skip
        self.values = values

    def _finish(self, run: _StageRun) -> StageResult:
        """The stage's result; its value holds in the stages that follow."""
        stage, model = run.stage, self.model
        assert self.values is not None
        found = round(self.values[run.var])
        status, bound = run.status, run.bound
        if stage in _MAXIMISE:
            status = Status.OPTIMAL if found >= bound else status
        else:
            status = Status.OPTIMAL if found <= bound else status
        if status is Status.OPTIMAL:
            bound = found
        scale = 1.0 if stage in _MAXIMISE else (model.quantum or 1.0)
        if stage in _MAXIMISE:
            self.lp.set_bounds(run.var, lower=found)
        else:
            self.lp.set_bounds(run.var, upper=found)
        return StageResult(
            stage.value,
            found * scale,
            bound * scale,
            Status.OPTIMAL if status is Status.OPTIMAL else Status.FEASIBLE,
            time.monotonic() - run.started,
        )


def _open(stage: Stage, value: float, bound: float) -> bool:
    """Whether a stage's incumbent ``value`` is short of its ``bound`` (the spread
    stage's value is in points, not whole, when the weights have no quantum)."""
    return round(value) < bound if stage in _MAXIMISE else value > bound + 1e-6


def _rins(
    lp: Milp,
    stage: Stage,
    objective: tuple[Any, Any],
    variables: list[Any],
    relaxed: Solved,
    values: dict[Any, float],
    limit: float | None,
    stats: dict[str, float],
) -> dict[Any, float]:
    """The incumbent ``values``, improved by branch and bound on its neighbourhood
    where the stage's relaxation agrees with it: the integer variables at the same
    value in both are held (relaxation induced neighbourhood search, Danna,
    Rothberg and Le Pape 2005).  HiGHS runs it itself, but only after its root
    cuts.  ``objective``: the stage's variable and its tie-break's (or None)."""
    held = {}
    for var in lp.integers:
        value = values.get(var)
        if value is not None and abs(relaxed.values.get(var, math.nan) - value) <= 1e-6:
            held[var] = (value, value)
    share = RINS_SECONDS if limit is None else min(RINS_SECONDS, RINS_SHARE * limit)
    began = time.monotonic()
    with lp.bounds_held(held):
        solved = lp.solve(variables, share, values, max_nodes=RINS_NODES)
    stats[f"{stage.value}_rins_seconds"] = time.monotonic() - began
    stats[f"{stage.value}_rins_held"] = len(held)
    if solved.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return values
    stats[f"{stage.value}_rins"] = solved.values[objective[0]]
    sign = 1.0 if stage in _MAXIMISE else -1.0
    key = [sign * _value(solved.values, v) for v in objective]
    now = [sign * _value(values, v) for v in objective]
    better = key[0] > now[0] + 1e-6 or (abs(key[0] - now[0]) <= 1e-6 and key[1] > now[1] + 1e-6)
    return solved.values if better else values


def _value(values: dict[Any, float], var: Any) -> float:
    return 0.0 if var is None else values[var]


def _time_shares(huge: bool, exact: bool, coordinators: int) -> dict[Stage, float]:
    """The stages' shares of the time left: a huge model's placement needs two
    bounding relaxations; a small team on the LNS path needs its time for
    placing and keeping (:data:`_SMALL_LNS_TIME_SHARE`)."""
    if huge:
        return _HUGE_TIME_SHARE
    if not exact and coordinators <= PAIR_MAX_COORDINATORS:
        return _SMALL_LNS_TIME_SHARE
    return _TIME_SHARE


# -- the bounding model of a huge one ----------------------------------------------------


def _bounding_model(instance: CaseloadInstance) -> CompactModel:
    """The model with every weight rounded down to a grid (a weight below the grid
    step kept): a relaxation (everyone fits where they fitted, and more), small
    enough for its LP to solve where the exact model's cannot, so its stage
    optima bound the exact ones."""
    weights = sorted({p.weight for p in instance.people})
    grid = BOUNDING_GRIDS[-1]
    for step in BOUNDING_GRIDS:
        rounded = {w if w < step else math.floor(w / step + 1e-9) * step for w in weights}
        if len(rounded) <= BOUNDING_WEIGHTS:
            grid = step
            break

    def down(w: float) -> float:
        return w if w < grid else round(math.floor(w / grid + 1e-9) * grid, 9)

    people = tuple(replace(p, weight=down(p.weight)) for p in instance.people)
    floored = replace(instance, people=people)
    model = build(floored)
    model.instance = floored
    return model


def _bounding_bound(
    bounding: CompactModel,
    pairs: Pairs,
    stage: Stage,
    floors: dict[Stage, float],
    time_limit: float | None,
    stats: dict[str, float],
    search: LocalSearch | None = None,
) -> tuple[float, list[int | None] | None]:
    """An upper bound on ``stage`` with the earlier stages at least ``floors``
    (``inf`` if the bounding relaxation does not solve in time): the bounding
    model's relaxation, or lower, the Lagrangian bound its duals give on the
    true weights (:mod:`optimiser.caseload.lagrange`; distinct trust, locality
    9,463 -> 9,400).

    With ``search``, also the relaxation's vertex as people (a start): rounded,
    and put back where their true weight is eligible (the caller repairs
    capacities; ``None`` without a vertex).  The bound's own LP: a second
    relaxation for a start took 9 s of the trust's placement stage."""
    objective = {Stage.PLACE: bounding.placed, Stage.KEEP: bounding.kept,
                 Stage.LOCALITY: bounding.local}  # fmt: skip
    for s, value in floors.items():
        bounding.lp.set_bounds(objective[s], lower=value)
    bounding.lp.objective([(objective[stage], 1.0)], Sense.MAX)
    rows = list(bounding.rows.items())
    variables = [objective[stage]]
    if search is not None:
        variables = [a.var for a in bounding.arcs] + list(bounding.counts.values())
        variables += [bounding.placed, bounding.kept, bounding.local]
    solved = bounding.lp.solve(variables, time_limit, relax=True, duals=[n for _, n in rows])
    if solved.status is not Status.OPTIMAL:
        return math.inf, None
    bound = math.floor(solved.objective + 1e-6)
    if len(solved.duals) == len(rows):
        duals = {key: solved.duals[n] for key, n in rows}
        multipliers = Multipliers.from_duals(duals, len(pairs.capacity))
        exact = lagrangian_bound(pairs, stage.value, {s.value: v for s, v in floors.items()},
                               multipliers)  # fmt: skip
        stats[f"{stage.value}_bounding_lp"] = solved.objective
        stats[f"{stage.value}_lagrangian"] = exact
        bound = min(bound, math.floor(exact + 1e-6))
    people = None
    if search is not None and bounding.instance is not None:
        rounded = to_people(bounding.instance, bounding, solved.values)
        people = [k if k is not None and k in search.eligible_set[i] else None
                  for i, k in enumerate(rounded)]  # fmt: skip
    return bound, people


# -- CP-SAT, the second prover of a small team's stage --------------------------------


def _pair_problem(instance: CaseloadInstance, search: LocalSearch) -> PairProblem | None:
    """The team as CP-SAT's pair model, when it is small and its weights are whole
    multiples of one quantum (so that loads are exact integers); else ``None``."""
    q = quantum(sorted({p.weight for p in instance.people}))
    if q is None or sum(len(e) for e in search.eligible) > CPSAT_MAX_PAIRS:
        return None
    coord_local = search.coord_locality
    return PairProblem(
        eligible=search.eligible,
        weight=[round(w / q) for w in search.weight],
        capacity=[math.floor((c + POINTS_EPS) / q) for c in search.capacity],
        priority=search.priority,
        current=search.current,
        local=[
            frozenset(k for k, there in enumerate(coord_local) if loc is not None and there == loc)
            for loc in search.locality
        ],
    )


def _prove_by_pairs(
    instance: CaseloadInstance,
    model: CompactModel,
    pairs: PairProblem,
    stage: Stage,
    before: list[Stage],
    objective: dict[Stage, Any],
    values: dict[Any, float],
    bound: float,
    time_limit: float,
    stats: dict[str, float],
    classes: LocalSearch | None = None,
    max_nodes: int | None = None,
) -> tuple[dict[Any, float], float, tuple[int, int] | None]:
    """A stage HiGHS left unproved, solved again by CP-SAT from the incumbent, the
    earlier stages held at their values: a better assignment and a tighter bound.

    ``classes`` (placement and keep): the class model instead, solved by HiGHS
    (:mod:`optimiser.model.caseload_classes`); its answer, whose people are named
    greedily, is polished by this local search.  Its placement breaks ties by
    keeps: proved, it gives the keep stage's optimum at that placement (the third
    value: the placement and that optimum; else ``None``), within ``max_nodes``
    branch-and-bound nodes as well as ``time_limit``."""
    floors = {s.value: round(model.lp.bounds(objective[s])[0]) for s in before}
    hint = to_people(instance, model, values)
    began = time.monotonic()
    if classes is not None and stage in (Stage.PLACE, Stage.KEEP):
        answer = solve_classes(pairs, stage.value, floors, hint, time_limit, max_nodes)
        if answer is not None:
            answer = replace(answer, assignment=classes.run(answer.assignment))
        stats[f"{stage.value}_classes_seconds"] = time.monotonic() - began
    else:
        answer = solve_stage(pairs, stage.value, floors, hint, time_limit)
        stats[f"{stage.value}_cpsat_seconds"] = time.monotonic() - began
    if answer is None:
        return values, bound, None
    found = to_values(instance, model, answer.assignment)
    var, kept = objective[stage], objective[Stage.KEEP]
    # (the class model's keep stage does not hold the placement: its answer may
    # place less)
    meets = all(round(found[objective[s]]) >= floors[s.value] for s in before)
    better = meets and round(found[var]) > round(values[var])
    if stage is Stage.PLACE and round(found[var]) == round(values[var]):
        better = found[kept] > values[kept]  # the same placement, more keeps
    if better:
        values = found
    best_kept = None
    if answer.proved and answer.kept is not None and round(values[var]) == answer.value:
        best_kept = (answer.value, answer.kept)
    return values, min(bound, answer.bound), best_kept


def _profile_limit(pairs: PairProblem, time_limit: float | None) -> float | None:
    """Seconds for a profile relaxation (:data:`PROFILE_SHARE` of ``time_limit``,
    at most :data:`PROFILE_SECONDS`); ``None`` where a capacity holds more than
    :data:`PROFILE_MAX_QUANTA` quanta (the packing's subset sums have no clock)."""
    if max(pairs.capacity, default=0) > PROFILE_MAX_QUANTA:
        return None
    return PROFILE_SECONDS if time_limit is None else min(PROFILE_SECONDS,
                                                          time_limit * PROFILE_SHARE)  # fmt: skip


def _place_by_profiles(
    instance: CaseloadInstance,
    model: CompactModel,
    pairs: PairProblem,
    values: dict[Any, float],
    bound: float,
    time_limit: float | None,
    stats: dict[str, float],
    search: LocalSearch,
    label: str = "place",
) -> tuple[dict[Any, float], float, tuple[int, int] | None]:
    """The placement packed on coordinator profiles
    (:mod:`optimiser.model.caseload_profiles`), each packing polished by the
    local search (who was left over inserted, keeps and localities where there
    is room): the incumbent if one places more (or as much, keeping more), the
    placement's bound (the smaller of ``bound`` and the profiles'), and the
    profiles' placement bound with their bound on the keeps at it (``None``
    without one: a bound on keeps only at that placement, which may be above
    the placement proved).  ``label``: the stage the stats are named after."""
    limit = _profile_limit(pairs, time_limit)
    if limit is None:
        return values, bound, None
    began = time.monotonic()
    packing = place_by_profiles(pairs, limit, PROFILE_NODES)
    stats[f"{label}_profiles_seconds"] = time.monotonic() - began
    if packing is None:
        return values, bound, None
    placed, kept = model.placed, model.kept
    for n, people in enumerate(packing.packings):
        found = to_values(instance, model, search.run(people))
        stats[f"{label}_profiles_{n}"] = found[placed]
        stats[f"{label}_profiles_{n}_kept"] = found[kept]
        better = round(found[placed]) > round(values[placed])
        if round(found[placed]) == round(values[placed]):
            better = found[kept] > values[kept]
        if better:
            values = found
    stats[f"{label}_profiles_keeps"] = packing.keeps
    return values, min(bound, packing.bound), (packing.bound, packing.keeps)


def _locate_by_profiles(
    instance: CaseloadInstance,
    model: CompactModel,
    pairs: PairProblem,
    values: dict[Any, float],
    bound: float,
    time_limit: float | None,
    stats: dict[str, float],
    search: LocalSearch,
) -> tuple[dict[Any, float], float]:
    """The locality stage on coordinator profiles split by locality, the
    placement and keeps held (:func:`optimiser.model.caseload_profiles.locate_by_profiles`),
    each packing polished: the incumbent if one that meets the earlier stages
    has more people in their locality, and the bound."""
    limit = _profile_limit(pairs, time_limit)
    if limit is None:
        return values, bound
    placed, kept, local = model.placed, model.kept, model.local
    floors = {v: round(model.lp.bounds(v)[0]) for v in (placed, kept)}
    began = time.monotonic()
    packing = locate_by_profiles(pairs, floors[placed], floors[kept], limit, LOCATE_NODES)
    stats["locality_profiles_seconds"] = time.monotonic() - began
    if packing is None:
        return values, bound
    for n, people in enumerate(packing.packings):
        found = to_values(instance, model, search.exchange(search.run(people), LOCAL))
        stats[f"locality_profiles_{n}"] = found[local]
        stats[f"locality_profiles_{n}_placed"] = found[placed]
        stats[f"locality_profiles_{n}_kept"] = found[kept]
        if all(found[v] >= floor for v, floor in floors.items()) and found[local] > values[local]:
            values = found
    stats["locality_profiles_bound"] = packing.bound
    return values, min(bound, packing.bound)


def _resolver(balancing: bool, stage: Stage) -> Resolve:
    """How the large neighbourhood search (:mod:`optimiser.caseload.lns`) solves a
    neighbourhood: :func:`_solve` on it from ``stage`` on, balancing or not."""

    def resolve(
        sub: CaseloadInstance,
        seconds: float | None,
        targets: list[float] | None,
        start: list[int | None],
    ) -> CaseloadResult:
        params = CaseloadParams(time_limit=seconds, balance=balancing)
        return _solve(sub, params, targets, start, stage)

    return resolve


def _with_keeps(
    instance: CaseloadInstance,
    model: CompactModel,
    variables: list[Any],
    values: dict[Any, float],
    time_limit: float | None,
) -> list[int | None] | None:
    """People from the locality stage's relaxation with the incumbent's keeps fixed.

    Rounding the free relaxation may round up keeps where their coordinator is
    full, and repairing that loses keeps the stage must not lose; with the keeps
    fixed, only people who move can exceed a capacity, and they can move again.
    """
    kept = {a.var: round(values[a.var]) for a in model.arcs if a.kind == "keep"}
    keeps = {var: (value, value) for var, value in kept.items()}
    with model.lp.bounds_held(keeps), unplaced_counts_free(model):
        solved = model.lp.solve(variables, time_limit, relax=True)
    if solved.status is not Status.OPTIMAL:
        return None
    return to_people(instance, model, solved.values)


def _add_spread(
    instance: CaseloadInstance,
    model: CompactModel,
    values: dict[Any, float],
    targets: list[float] | None,
) -> tuple[Any, dict[Any, float]]:
    """Rows and variables of the spread stage; returns its objective variable and
    the new variables' values in the solution ``values``."""
    lp = model.lp
    counts = {key: round(values[v]) for key, v in model.counts.items()}
    points = sum(model.classes[c] * n for (_, c), n in counts.items())
    if targets is None:
        targets = fair_targets(instance, points)
    model.targets = targets
    q = model.quantum or 1.0
    all_terms = [t for k in range(len(instance.coordinators)) for t in model.load_terms(k)]
    # the placed points stay as they are: fair shares are shares of them
    lp.row(points - 1e-6, points + 1e-6, all_terms, "caseload_points")
    var = lp.int(0, math.inf, "E") if model.quantum else lp.num(0, math.inf, "E")
    model.spread = var
    # each coordinator's excess in whole quanta when loads are coarse (a load is a
    # whole number of quanta and targets are rounded up to one): HiGHS then
    # branches and cuts on it (600 x 25 teams with a weighting scheme, balancing
    # 3.1 -> 2.0 s and 1.3 -> 1.05 s); on hundredths of a point it slowed them
    whole = model.quantum is not None and _whole_excess(instance, model.quantum, targets)
    model.excess_in_quanta = whole
    unit = q if whole else 1.0
    excess = []
    for k in range(len(instance.coordinators)):
        terms = model.load_terms(k)
        if terms:
            e = lp.int(0, math.inf, f"excess_{k}") if whole else lp.num(0, math.inf, f"excess_{k}")
            model.excess[k] = e
            lp.row(-math.inf, targets[k], [*terms, (e, -unit)], f"caseload_spread_{k}")
            excess.append((e, unit))
    lp.row(-math.inf, 0, [*excess, (var, -q)], "caseload_spread")
    return var, _spread_values(instance, model, values, targets)


def _whole_excess(instance: CaseloadInstance, quantum: float, targets: list[float]) -> bool:
    """Whether excess is counted in whole quanta: every target is a whole number
    of them (then so is every excess; an LNS sub-problem's weights may have a
    coarser quantum than the whole problem's targets) and no capacity holds more
    than :data:`WHOLE_EXCESS_QUANTA` of them."""
    if any(abs(t / quantum - round(t / quantum)) > 1e-9 for t in targets):
        return False
    most = max((c.capacity for c in instance.coordinators), default=0.0)
    return most / quantum <= WHOLE_EXCESS_QUANTA


def _balanced_values(
    instance: CaseloadInstance, model: CompactModel, people: list[int | None], targets: list[float]
) -> dict[Any, float]:
    """The model's values for an assignment of people in the spread stage: its
    counts and its spread variables."""
    values = to_values(instance, model, people)
    values.update(_spread_values(instance, model, values, targets))
    return values


def _spread_values(
    instance: CaseloadInstance, model: CompactModel, values: dict[Any, float], targets: list[float]
) -> dict[Any, float]:
    """Values of the spread stage's variables for the counts in ``values``."""
    q = model.quantum or 1.0
    out: dict[Any, float] = {}
    for k, e in model.excess.items():
        load = sum(w * round(values[model.counts[key]]) for key, w in model.load_keys(k))
        out[e] = max(0.0, load - targets[k])
    total = sum(out.values()) / q
    if model.excess_in_quanta:
        out = {e: round(v / q) for e, v in out.items()}
    out[model.spread] = math.ceil(total - 1e-9) if model.quantum else total
    return out


def _reasons(instance: CaseloadInstance, assignment: list[str | None]) -> dict[str, Unplaced]:
    coords = instance.coordinators
    reasons: dict[str, Unplaced] = {}
    for person, coord in zip(instance.people, assignment, strict=True):
        if coord is None:
            why = why_unqualified(person, coords)
            if why is None:
                n = sum(1 for c in coords if qualified(person, c))
                reasons[person.id] = Unplaced(
                    FULL, f"all {n} eligible coordinator{'s are' if n != 1 else ' is'} full"
                )
            else:
                reasons[person.id] = Unplaced(NO_ELIGIBLE, why)
    return reasons
