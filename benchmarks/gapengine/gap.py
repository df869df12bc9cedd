"""The generalized assignment (GAP) engine.

Give each of ``n`` jobs to one of ``m`` agents so that every agent's weighted
load stays within its capacity, at least cost (or most profit).  Pairs can be
forbidden; optionally a job may stay unassigned at a penalty.  ``caseload``
(people to care coordinators) and ``benchmarks/gap.py`` both use it.

Constraints (names as in the HiGHS model): ``gap_assign_j`` (job j to exactly
one agent, or to the unassigned pseudo-agent), ``gap_capacity_i``
(sum_j w_ij x_ij <= b_i).

How it solves (a portfolio; details in ``docs/benchmarks.md``, "GAP engine"):

1. Pairs that are forbidden or whose weight exceeds the agent's capacity are
   dropped; a job left with no agent makes the instance infeasible.
2. The LP relaxation (HiGHS) gives a lower bound and reduced costs.
3. **Kernel.** CP-SAT solves the restriction to the pairs whose LP reduced
   cost is small (widened until it is feasible): a strong first incumbent.
4. **Weighting local search** (:mod:`gap_local`, compiled with numba):
   shift, swap and ejection-chain / cyclic-exchange moves (up to five jobs)
   on cost plus weighted capacity excess, the weights adapting at each local
   optimum.  A burst after the kernel, then ``local_rounds`` local optima
   after every LNS step.  Those go to **path relinking** (Glover; for the GAP,
   Yagiura, Ibaraki and Glover 2006): an elite set keeps the best distinct
   solutions the local search met; each relink walks from one elite solution
   towards another, a job at a time, stops ``relink_span`` of the way and runs
   ``relink_rounds`` local optima from there.  When the elite set's best has
   not improved for ``elite_stale`` offers, all but the best are dropped and
   the set is rebuilt.  After an LNS step improved the incumbent, the local
   search restarts from it instead.
5. **LNS.** Repeatedly free a sub-problem and re-solve it with CP-SAT (one
   worker, deterministic time limit), keeping improvements.  Three
   neighbourhoods, picked at random in proportion to their success so far:
   all jobs of ``k`` random agents; all jobs of ``k`` *related* agents (agents
   among the LP-cheapest of each other's jobs); ``~lns_jobs`` random jobs over
   every agent (with residual capacities).  ``k`` grows while the search stalls.
6. **HiGHS branch and cut** on the full model proves optimality.  With two
   or more workers it runs from the start in a child process with
   ``highspy`` (:mod:`gap_highs`; a newer HiGHS than the one OR-Tools bundles,
   and the two cannot share a process), its improving solutions passed to the
   search, alongside steps 2-5, whose thread has its nice value raised by
   ``search_niceness`` (Linux: per thread) so that on a busy machine HiGHS
   gets the larger CPU share.  If at ``pause_after`` of the time limit the
   gap between the incumbent and HiGHS's reported bound still exceeds
   ``pause_gap``, HiGHS cannot be expected to prove optimality in time: its
   child is suspended and its core runs a second path-relinking search (own
   seed and elite set) until the end, when HiGHS resumes to report its bound.
   Without ``highspy``, or if the child fails,
   HiGHS 1.12 runs through MathOpt in a thread instead (then the search backs
   off: once ``backoff_after`` LNS steps in a row brought nothing, it sleeps
   ``backoff_ratio`` times as long as each step takes).  With one worker
   HiGHS runs after steps 2-5 (unless they already proved optimality).

Determinism: steps 1-5 are limited by work (iterations, CP-SAT deterministic
time) and seeded, so they are reproducible; the wall clock only stops them
early as a safety net.  HiGHS is deterministic until its time limit binds.
So a result is reproducible whenever HiGHS finishes within the limit (every
proved instance), and otherwise whenever the LNS incumbent is at least as
good as HiGHS's when time runs out.  Pausing HiGHS for a second search is a
wall-clock decision, taken only in runs that end on the time limit: those
results can differ from run to run (``docs/benchmarks.md`` gives the spread).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from gapengine import gap_highs
from gapengine.gap_io import RawGap, instance_names, read_gap_file
from gapengine.gap_local import LocalSearch
from gapengine.gap_solvers import (
    CpInterrupt,
    MipResult,
    solve_cpsat,
    solve_lp,
    solve_mip,
)
from optimiser.model.lp import Status

__all__ = [
    "GapInstance",
    "GapParams",
    "GapResult",
    "Status",
    "check_assignment",
    "load_instances",
    "solve_gap",
]

Sense = Literal["min", "max"]

# Seconds a HiGHS child takes to start (Python, NumPy, highspy, the model)
# before its own clock runs: its time limit is shortened by this much.
CHILD_STARTUP = 0.6
# Seconds kept at the end of the time limit to stop HiGHS and collect results.
WRAP_UP = 1.0
# Seconds before the limit at which a HiGHS child that has not answered is given up.
FINAL_MARGIN = 0.1


def _frozen_array(values: object, dtype: type, name: str, ndim: int) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    if arr.ndim != ndim:
        raise ValueError(f"GapInstance.{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if dtype is float and not np.all(np.isfinite(arr)):
        raise ValueError(f"GapInstance.{name}: values must be finite")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class GapInstance:
    """A generalized assignment problem.

    Parameters
    ----------
    costs
        ``m x n``: cost (``sense="min"``) or profit (``"max"``) of giving job j to agent i.
    weights
        ``m x n``: capacity that job j uses on agent i (non-negative).
    capacities
        ``m``: capacity of each agent (non-negative).
    allowed
        Optional ``m x n`` boolean mask; ``False`` forbids the pair.
    sense
        ``"min"`` or ``"max"``.
    name
        Shown in messages only.
    """

    costs: np.ndarray
    weights: np.ndarray
    capacities: np.ndarray
    allowed: np.ndarray | None = None
    sense: Sense = "min"
    name: str = ""

    def __post_init__(self) -> None:
        costs = _frozen_array(self.costs, float, "costs", 2)
        weights = _frozen_array(self.weights, float, "weights", 2)
        capacities = _frozen_array(self.capacities, float, "capacities", 1)
        m, n = costs.shape
        if weights.shape != (m, n):
            raise ValueError(f"GapInstance.weights: shape {weights.shape}, costs are {(m, n)}")
        if capacities.shape != (m,):
            raise ValueError(f"GapInstance.capacities: expected {m} values, got {capacities.shape}")
        if (weights < 0).any() or (capacities < 0).any():
            raise ValueError("GapInstance: weights and capacities must be non-negative")
        if self.sense not in ("min", "max"):
            raise ValueError(f"GapInstance.sense: expected 'min' or 'max', got {self.sense!r}")
        object.__setattr__(self, "costs", costs)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "capacities", capacities)
        if self.allowed is not None:
            allowed = np.array(self.allowed, dtype=bool)
            if allowed.shape != (m, n):
                raise ValueError(f"GapInstance.allowed: shape {allowed.shape}, expected {(m, n)}")
            allowed.setflags(write=False)
            object.__setattr__(self, "allowed", allowed)

    @property
    def m(self) -> int:
        """Number of agents."""
        return int(self.costs.shape[0])

    @property
    def n(self) -> int:
        """Number of jobs."""
        return int(self.costs.shape[1])

    @classmethod
    def from_raw(cls, raw: RawGap, sense: Sense = "min", name: str = "") -> GapInstance:
        """Wrap a parsed benchmark problem."""
        return cls(raw.costs, raw.weights, raw.capacities, sense=sense, name=name)


@dataclass(frozen=True)
class GapResult:
    """Outcome of :func:`solve_gap`.

    ``assignment[j]`` is the agent of job j, or -1 if it is unassigned (only
    when allowed) or if no solution was found.  ``objective`` is in the
    instance's sense and includes unassigned penalties (``nan`` without a
    solution); ``bound`` is the proven lower (min) or upper (max) bound.
    """

    assignment: list[int]
    objective: float
    bound: float
    status: Status
    seconds: float
    stats: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class GapParams:
    """Tuning of the portfolio (defaults measured on the OR-Library sets)."""

    kernel_widths: tuple[float, ...] = (3.0, 10.0, math.inf)
    kernel_dtime: float = 1.5
    lns_jobs: int = 30
    lns_dtime: float = 0.2
    lns_iterations_per_second: float = 25.0
    stall_per_agent: float = 3.0
    skips_per_grow: int = 200
    highs_share_sequential: float = 0.5
    local_iterations: int = 3000
    local_rounds: int = 1000
    elite_size: int = 10
    relink_rounds: int = 100
    relink_span: tuple[float, float] = (0.1, 0.4)
    elite_stale: int = 100
    pause_after: float = 0.25
    pause_gap: float = 0.004
    search_niceness: int = 2
    backoff_after: int = 30
    backoff_ratio: float = 1.0
    highs_process: bool = True


@dataclass
class _Prepared:
    """The internal minimisation problem (maybe with an 'unassigned' agent)."""

    costs: np.ndarray
    weights: np.ndarray
    capacities: np.ndarray
    allowed: np.ndarray
    capacitated: np.ndarray
    sign: float
    unassigned_agent: int | None
    integral_costs: bool
    int_costs: np.ndarray | None  # scaled integer data for CP-SAT, if exact scaling exists
    int_weights: np.ndarray | None
    int_capacities: np.ndarray | None


def _integer_scale(values: np.ndarray, max_power: int = 6) -> int | None:
    """Smallest 10**k (k <= max_power) that makes every value an integer, if any."""
    for k in range(max_power + 1):
        scaled = values * 10**k
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            if np.abs(scaled).max(initial=0.0) > 2**52:
                return None
            return 10**k
    return None


def _prepare(
    inst: GapInstance, allow_unassigned: bool, unassigned_penalty: float | None
) -> _Prepared:
    sign = 1.0 if inst.sense == "min" else -1.0
    costs = sign * inst.costs
    weights = inst.weights.copy()
    capacities = inst.capacities.copy()
    allowed = np.ones(costs.shape, dtype=bool) if inst.allowed is None else inst.allowed.copy()
    allowed &= weights <= capacities[:, None]
    capacitated = np.ones(inst.m, dtype=bool)
    unassigned_agent = None
    if allow_unassigned:
        if unassigned_penalty is None:
            # Lexicographic: one more job placed always beats any cost difference.
            spread = float(costs[allowed].max(initial=0.0) - costs[allowed].min(initial=0.0))
            penalty = spread * inst.n + 1.0
        else:
            penalty = float(unassigned_penalty)
        costs = np.vstack([costs, np.full((1, inst.n), penalty)])
        weights = np.vstack([weights, np.zeros((1, inst.n))])
        capacities = np.append(capacities, 0.0)
        allowed = np.vstack([allowed, np.ones((1, inst.n), dtype=bool)])
        capacitated = np.append(capacitated, False)
        unassigned_agent = inst.m
    cost_scale = _integer_scale(costs)
    weight_scale = _integer_scale(np.concatenate([weights.ravel(), capacities]))
    int_costs = int_weights = int_capacities = None
    if cost_scale is not None and weight_scale is not None:
        int_costs = np.round(costs * cost_scale).astype(np.int64)
        int_weights = np.round(weights * weight_scale).astype(np.int64)
        int_capacities = np.round(capacities * weight_scale).astype(np.int64)
    return _Prepared(
        costs=costs,
        weights=weights,
        capacities=capacities,
        allowed=allowed,
        capacitated=capacitated,
        sign=sign,
        unassigned_agent=unassigned_agent,
        integral_costs=cost_scale == 1,
        int_costs=int_costs,
        int_weights=int_weights,
        int_capacities=int_capacities,
    )


def _cost(p: _Prepared, assignment: np.ndarray) -> float:
    return float(p.costs[assignment, np.arange(len(assignment))].sum())


def _feasible(p: _Prepared, assignment: np.ndarray) -> bool:
    jobs = np.arange(len(assignment))
    if (assignment < 0).any() or not p.allowed[assignment, jobs].all():
        return False
    load = np.zeros(len(p.capacities))
    np.add.at(load, assignment, p.weights[assignment, jobs])
    ok = load <= p.capacities * (1 + 1e-9) + 1e-9
    return bool(np.all(ok | ~p.capacitated))


class _Incumbent:
    """The best solution so far (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.assignment: np.ndarray | None = None
        self.cost = math.inf

    def offer(self, p: _Prepared, assignment: np.ndarray) -> bool:
        if not _feasible(p, assignment):
            return False
        cost = _cost(p, assignment)
        with self.lock:
            if cost >= self.cost - 1e-9:
                return False
            self.assignment, self.cost = assignment.copy(), cost
        return True


def _round_bound(p: _Prepared, bound: float) -> float:
    if p.integral_costs and math.isfinite(bound):
        return float(math.ceil(bound - 1e-6))
    return bound


class _Elite:
    """The best distinct local-search solutions met (for path relinking)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.costs: list[float] = []
        self.members: list[np.ndarray] = []
        self.stale = 0  # offers since the best member last improved

    def add(self, cost: float, assignment: np.ndarray) -> bool:
        self.stale += 1
        if self.size <= 0 or any(np.array_equal(assignment, a) for a in self.members):
            return False
        if not self.costs or cost < min(self.costs) - 1e-9:
            self.stale = 0
        if len(self.members) < self.size:
            self.costs.append(cost)
            self.members.append(assignment.copy())
            return True
        worst = int(np.argmax(self.costs))
        if cost >= self.costs[worst]:
            return False
        self.costs[worst], self.members[worst] = cost, assignment.copy()
        return True

    def keep_best(self) -> None:
        """Drop all but the best member (the set has converged: rebuild it)."""
        best = int(np.argmin(self.costs))
        self.costs, self.members = [self.costs[best]], [self.members[best]]
        self.stale = 0


class _Search:
    """Steps 3-4: kernel, then agent LNS; stops on work limits, a proof or ``stop``."""

    def __init__(
        self,
        p: _Prepared,
        reduced: np.ndarray,
        params: GapParams,
        seed: int,
        deadline: float,
        incumbent: _Incumbent,
        lower: float,
        stop: threading.Event,
        interrupt: CpInterrupt | None = None,
    ) -> None:
        self.p = p
        self.reduced = reduced
        self.params = params
        self.seed = seed
        self.deadline = deadline
        self.incumbent = incumbent
        self.lower = lower
        self.stop = stop
        self.iterations = 0
        self.subproblems_proved = 0
        self.interrupt = CpInterrupt() if interrupt is None else interrupt
        self.kernel_cost = math.inf
        self.proved = False
        self.kernel_width = math.nan
        self.local_iterations = 0
        self.local_improvements = 0
        self.backoff_seconds = 0.0
        self.backoff = False  # set when HiGHS runs alongside (it then gets the spare CPU)
        finite = np.where(p.allowed, reduced, np.inf)
        top = min(4, finite.shape[0])
        order = np.argsort(finite, axis=0, kind="stable")[:top]
        self.cheap = np.zeros(finite.shape)
        self.cheap[order, np.arange(finite.shape[1])[None, :]] = 1.0
        self.cheap *= p.allowed
        self.ls = LocalSearch(p.costs, p.weights, p.capacities, p.allowed, p.capacitated)
        self.elite = _Elite(params.elite_size)
        self.relinks = 0
        self.elite_restarts = 0
        self.relink_improvements = 0

    def _halt(self) -> bool:
        return (
            self.stop.is_set()
            or time.monotonic() >= self.deadline
            or self.incumbent.cost <= self.lower + 1e-9
            or self.proved
        )

    def _sub(
        self,
        allowed: np.ndarray,
        agents: np.ndarray,
        jobs: np.ndarray,
        hint: np.ndarray | None,
        dtime: float,
        seed: int,
        capacities: np.ndarray | None = None,
    ) -> tuple[dict[int, int] | None, bool]:
        p = self.p
        assert p.int_costs is not None and p.int_weights is not None
        assert p.int_capacities is not None
        return solve_cpsat(
            p.int_costs, p.int_weights,
            p.int_capacities if capacities is None else capacities,
            allowed, p.capacitated, agents, jobs, hint, dtime, seed, self.interrupt,
        )  # fmt: skip

    def kernel(self) -> None:
        p = self.p
        m, n = p.costs.shape
        agents, jobs = np.arange(m), np.arange(n)
        for width in self.params.kernel_widths:
            if self._halt():
                return
            mask = p.allowed & (self.reduced <= width)
            if not mask.any(axis=0).all():
                continue
            chosen, _ = self._sub(mask, agents, jobs, None, self.params.kernel_dtime, self.seed)
            if chosen is not None:
                assignment = np.array([chosen[j] for j in range(n)], dtype=np.int64)
                self.incumbent.offer(p, assignment)
                self.kernel_cost = self.incumbent.cost
                self.kernel_width = width
                return

    def run(self, iterations: int) -> None:
        """Kernel, then up to ``iterations`` LNS steps (each followed by local search)."""
        self.kernel()
        self.lns(iterations)

    def local(self, rounds: int, rng: np.random.Generator, restart: bool = True) -> None:
        """Weighting local search (:mod:`gap_local`) for ``rounds`` local optima.

        From the incumbent if ``restart``, else from where the last call ended.
        """
        p = self.p
        current = self.incumbent.assignment
        if current is None or rounds <= 0 or self._halt():
            return
        before = self.ls.rounds
        if self.params.elite_stale > 0 and self.elite.stale >= self.params.elite_stale:
            self.elite.keep_best()
            self.elite_restarts += 1
        relink = not restart and len(self.elite.members) >= 2 and self.params.relink_rounds > 0
        if relink:
            chunks = [self.params.relink_rounds] * max(1, rounds // self.params.relink_rounds)
        else:
            chunks = [rounds]
        for chunk in chunks:
            if relink:
                start: np.ndarray | None = self._path_point(rng)
                self.relinks += 1
            else:
                start = current if restart or self.ls.rounds == 0 else None
            found, cost = self.ls.run(
                start, chunk, int(rng.integers(1 << 30)), self.incumbent.cost, self._halt,
                own=True,
            )  # fmt: skip
            if found is not None:
                self.elite.add(cost, found)
                if self.incumbent.offer(p, found):
                    self.local_improvements += 1
                    self.relink_improvements += relink
            if self._halt():
                break
        self.local_iterations += self.ls.rounds - before

    def _path_point(self, rng: np.random.Generator) -> np.ndarray:
        """A point on the path between two elite solutions (path relinking).

        From one elite solution, jobs move one at a time to their agent in
        another, each time the move that adds least to cost plus weighted
        excess (the local search's weights); the walk stops part way.
        """
        first, second = rng.choice(len(self.elite.members), size=2, replace=False)
        start, guide = self.elite.members[first], self.elite.members[second]
        lo, hi = self.params.relink_span
        steps = int(round(rng.uniform(lo, hi) * int((start != guide).sum())))
        return self.ls.toward(start, guide, steps)

    def _related_agents(self, current: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` agents between which jobs could move cheaply (by LP reduced cost)."""
        m = self.p.costs.shape[0]
        onehot = np.zeros((m, len(current)))
        onehot[current, np.arange(len(current))] = 1.0
        h = onehot @ self.cheap.T  # h[A, B]: jobs on A with B among their cheap agents
        rel = h + h.T
        chosen = [int(rng.integers(m))]
        score = rel[chosen[0]].copy()
        for _ in range(k - 1):
            weight = score + 0.1
            weight[chosen] = 0.0
            nxt = int(rng.choice(m, p=weight / weight.sum()))
            chosen.append(nxt)
            score += rel[nxt]
        return np.sort(np.array(chosen))

    def lns(self, iterations: int) -> None:
        p = self.p
        m, n = p.costs.shape
        if self.incumbent.assignment is None or m < 2:
            return
        assert p.int_capacities is not None and p.int_weights is not None
        rng = np.random.default_rng(self.seed)
        k_min = int(np.clip(round(self.params.lns_jobs * m / max(n, 1)), 2, m))
        k = k_min
        stall, stall_limit = 0, max(4, int(self.params.stall_per_agent * m))
        # Sub-problems (agents, their jobs) already solved to optimality without
        # gain: solving them again cannot help until one of their jobs moves.
        settled: set[tuple[bytes, bytes]] = set()
        skips = 0
        it = 0
        kinds = ("agents", "related", "jobs")
        tries = np.ones(len(kinds))
        wins = np.ones(len(kinds))
        jobs_all = np.arange(n)
        self.local(self.params.local_iterations, rng)
        step_seconds = 0.0
        last_gain = 0
        while it < iterations:
            if self._halt():
                return
            if self.backoff and it - last_gain >= self.params.backoff_after:
                # Stalled: leave part of the CPU to HiGHS (woken early if HiGHS finishes).
                self.stop.wait(self.params.backoff_ratio * step_seconds)
                self.backoff_seconds += self.params.backoff_ratio * step_seconds
                if self._halt():
                    return
            step_start = time.monotonic()
            current = self.incumbent.assignment
            assert current is not None
            kind = int(rng.choice(len(kinds), p=(wins / tries) / (wins / tries).sum()))
            capacities = p.int_capacities
            if kinds[kind] == "jobs" and m > 2:
                size = min(n, int(round(self.params.lns_jobs * k / k_min)))
                jobs = np.sort(rng.choice(n, size=size, replace=False))
                agents = np.arange(m)
                fixed = np.ones(n, dtype=bool)
                fixed[jobs] = False
                used = np.zeros(m, dtype=np.int64)
                np.add.at(used, current[fixed], p.int_weights[current[fixed], jobs_all[fixed]])
                capacities = p.int_capacities - used
            else:
                if kinds[kind] == "related":
                    agents = self._related_agents(current, k, rng)
                else:
                    agents = np.sort(rng.choice(m, size=k, replace=False))
                jobs = np.nonzero(np.isin(current, agents))[0]
            key = (agents.tobytes(), jobs.tobytes())
            if len(jobs) == 0 or key in settled:
                if k == m:
                    return  # every agent at once: nothing left to try
                skips += 1
                if skips >= self.params.skips_per_grow:
                    skips, stall, k = 0, 0, min(k + 1, m)
                continue
            skips = 0
            it += 1
            self.iterations = it
            dtime = self.params.lns_dtime * (k / k_min)
            chosen, optimal = self._sub(
                p.allowed, agents, jobs, current, dtime, int(rng.integers(1 << 30)), capacities
            )
            self.subproblems_proved += optimal
            if optimal and k == m and kinds[kind] != "jobs":
                self.proved = True  # the sub-problem was the whole problem
            improved = False
            if chosen is not None:
                candidate = current.copy()
                for j, i in chosen.items():
                    candidate[j] = i
                improved = self.incumbent.offer(p, candidate)
            tries[kind] += 1
            if improved:
                wins[kind] += 1
                stall, k = 0, k_min
                last_gain = it
            else:
                if optimal:
                    settled.add(key)
                stall += 1
                if stall >= stall_limit:
                    stall, k = 0, min(k + 1, m)
            # Local search between LNS steps: it continues its own walk, or
            # restarts from the incumbent when the LNS step improved it.
            before = self.incumbent.cost
            self.local(self.params.local_rounds, rng, restart=improved)
            if self.incumbent.cost < before:
                last_gain = it
            step_seconds = time.monotonic() - step_start


def _in_thread(target: Callable[[], None], niceness: int) -> threading.Thread:
    """Start ``target`` in a thread whose scheduling priority is lowered by ``niceness``.

    On Linux the nice value is per thread: when the machine is busy, HiGHS
    (which proves optimality) then gets the larger share of the CPU.  Elsewhere
    the priority stays.
    """

    def run() -> None:
        if niceness > 0 and hasattr(os, "setpriority"):
            try:
                tid = threading.get_native_id()
                prio = os.getpriority(os.PRIO_PROCESS, tid)
                os.setpriority(os.PRIO_PROCESS, tid, prio + niceness)
            except OSError:
                pass
        target()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


def _search_in_thread(search: _Search, iterations: int, niceness: int) -> None:
    """Kernel then LNS in a thread (see :func:`_in_thread`); returns when it ends."""
    _in_thread(lambda: search.run(iterations), niceness).join()


def _search_beside_child(
    search: _Search, iterations: int, highs: _HighsRun, pause_at: float
) -> None:
    """Kernel then LNS beside the HiGHS child; a second search if HiGHS looks hopeless.

    At ``pause_at`` (if the search still runs), when the gap between the
    incumbent and HiGHS's last reported bound exceeds ``pause_gap`` (relative),
    HiGHS will not prove optimality within the limit: the child is suspended and
    its core runs a second path-relinking search (its own local search, seed
    and elite set, which it builds afresh from the incumbent) until the end.
    The child then goes on just long enough to report its bound.
    """
    params = search.params
    first = _in_thread(lambda: search.run(iterations), params.search_niceness)
    first.join(max(pause_at - time.monotonic(), 0.0))
    if not first.is_alive() or params.pause_gap <= 0:
        first.join()
        return
    cost = search.incumbent.cost  # (no incumbent yet: HiGHS may be the one to find it)
    hopeless = math.isfinite(cost) and cost - highs.child.bound > params.pause_gap * max(
        abs(cost), 1.0
    )
    if not hopeless or not highs.child.pause():
        first.join()
        return
    highs.stats["highs_paused_at"] = time.monotonic() - highs.start
    first_done = threading.Event()  # the second search ends with the first
    second = _Search(
        search.p, search.reduced, params, search.seed + 1, search.deadline,
        search.incumbent, search.lower, first_done, search.interrupt,
    )  # fmt: skip
    rng = np.random.default_rng(search.seed + 1)

    def relink() -> None:
        while not second._halt():
            if search.incumbent.assignment is None:
                first_done.wait(0.05)  # nothing to start from yet
                continue
            second.local(params.local_rounds, rng, restart=False)

    other = _in_thread(relink, 0)
    first.join()
    first_done.set()
    other.join()
    highs.child.resume()
    search.relinks += second.relinks
    search.relink_improvements += second.relink_improvements
    search.local_improvements += second.local_improvements
    search.local_iterations += second.local_iterations
    search.elite_restarts += second.elite_restarts


class _HighsRun:
    """HiGHS (``highspy``) in a child process, started before anything else.

    Its improving solutions go to the incumbent (so the search works from
    them).  When HiGHS proves optimality or infeasibility, ``stop`` is set and
    CP-SAT interrupted.  If the child fails, the ``fallback`` thread (HiGHS through
    MathOpt), once armed, runs instead.
    """

    def __init__(
        self,
        p: _Prepared,
        incumbent: _Incumbent,
        stop: threading.Event,
        interrupt: CpInterrupt,
        deadline: float,
        seed: int,
    ) -> None:
        self.start = time.monotonic()
        self.stats: dict[str, float] = {}
        self._stop, self._interrupt = stop, interrupt
        self._lock = threading.Lock()
        self._failed = False
        self._fallback: threading.Thread | None = None

        def take(found: np.ndarray) -> None:
            incumbent.offer(p, found)

        self.child = gap_highs.HighsChild(
            p.costs, p.weights, p.capacities, p.allowed, p.capacitated,
            max(deadline - self.start - CHILD_STARTUP, 0.1), seed,
            on_solution=take, on_done=self._on_done,
        )  # fmt: skip

    def _on_done(self, status: str) -> None:
        if status == "failed":
            with self._lock:
                self._failed = True
                if self._fallback is not None:
                    self._fallback.start()
            return
        self.stats["highs_seconds"] = time.monotonic() - self.start
        if status in ("optimal", "infeasible"):
            self._stop.set()
            self._interrupt.fire()

    def arm_fallback(self, thread: threading.Thread) -> None:
        """Run ``thread`` if (or as soon as) the child fails."""
        with self._lock:
            self._fallback = thread
            if self._failed:
                thread.start()

    def finish(self, proved: bool, deadline: float, end: float) -> MipResult | None:
        """Stop HiGHS if ``proved`` or at ``deadline``; its result (``None`` if it failed).

        A HiGHS that has not answered by ``end`` is given up: its last reported
        bound stands (its solutions already reached the incumbent).
        """
        if proved:
            self.child.stop()
        elif not self.child.wait(deadline - time.monotonic()):
            self.child.stop()  # time is up: HiGHS reports its bound at its next interrupt check
        mip = self.child.result(grace=max(end - time.monotonic(), 0.05))
        if mip is None and self.child.abandoned:
            self.stats["highs_abandoned"] = 1.0
            mip = MipResult(None, math.inf, self.child.bound, False, False)
        with self._lock:
            fallback = self._fallback
        if fallback is not None and fallback.ident is not None:
            fallback.join()
        self.stats.update(self.child.stats)
        return mip


def solve_gap(
    inst: GapInstance,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    allow_unassigned: bool = False,
    unassigned_penalty: float | None = None,
    params: GapParams | None = None,
) -> GapResult:
    """Solve a generalized assignment problem.

    Parameters
    ----------
    inst
        The instance.
    time_limit
        Wall-clock budget in seconds (a safety net: the search also has work limits).
    workers
        ``1``: everything in sequence.  ``>= 2``: HiGHS branch and cut in a child
        process (or a thread) while the search runs (each uses one core).
    seed
        Seeds the LNS and CP-SAT.
    allow_unassigned
        Let jobs stay unassigned (``assignment[j] == -1``) at ``unassigned_penalty``
        each (added to a min objective, subtracted from a max one).
    unassigned_penalty
        Default: large enough that placing one more job always wins.
    params
        Portfolio tuning; defaults suit the OR-Library benchmark sets.

    Returns
    -------
    GapResult
    """
    start = time.monotonic()
    # Keep a little time to collect the results (HiGHS's last bound) within the limit.
    deadline = start + max(time_limit - min(WRAP_UP, 0.05 * time_limit), 0.0)
    end = start + max(time_limit - min(FINAL_MARGIN, 0.01 * time_limit), 0.0)  # HiGHS or not
    params = params or GapParams()
    p = _prepare(inst, allow_unassigned, unassigned_penalty)
    n = inst.n
    stats: dict[str, float] = {}

    def finish(
        assignment: np.ndarray | None, cost: float, bound: float, status: Status
    ) -> GapResult:
        seconds = time.monotonic() - start
        if assignment is None:
            return GapResult([-1] * n, math.nan, p.sign * bound, status, seconds, stats)
        out = [-1 if int(a) == p.unassigned_agent else int(a) for a in assignment]
        return GapResult(out, p.sign * cost, p.sign * bound, status, seconds, stats)

    if n == 0:
        return finish(np.zeros(0, dtype=np.int64), 0.0, 0.0, Status.OPTIMAL)
    if not p.allowed.any(axis=0).all():
        return finish(None, math.inf, math.inf, Status.INFEASIBLE)

    incumbent = _Incumbent()
    stop = threading.Event()
    interrupt = CpInterrupt()
    highs: _HighsRun | None = None
    if workers >= 2 and params.highs_process and gap_highs.available():
        # First, so that HiGHS's clock runs while the LP and the kernel are solved here.
        highs = _HighsRun(p, incumbent, stop, interrupt, deadline, seed)

    lp = solve_lp(p.costs, p.weights, p.capacities, p.allowed, p.capacitated)
    stats["lp_seconds"] = time.monotonic() - start
    if not lp.feasible:
        if highs is not None:
            highs.finish(True, deadline, end)
        return finish(None, math.inf, math.inf, Status.INFEASIBLE)
    lower = _round_bound(p, lp.bound)
    stats["lp_bound"] = p.sign * lp.bound

    search = _Search(p, lp.reduced_costs, params, seed, deadline, incumbent, lower, stop, interrupt)
    use_search = p.int_costs is not None
    iterations = int(params.lns_iterations_per_second * max(time_limit, 0.0))
    mip: MipResult | None = None

    def run_highs(cutoff: float | None) -> None:
        nonlocal mip
        remaining = deadline - time.monotonic()
        mip = solve_mip(
            p.costs, p.weights, p.capacities, p.allowed, p.capacitated,
            remaining, cutoff=cutoff, seed=seed,
        )  # fmt: skip
        stats["highs_seconds"] = time.monotonic() - start
        if mip.proved or mip.infeasible:
            stop.set()
            search.interrupt.fire()

    if highs is not None:
        fallback = threading.Thread(target=run_highs, args=(None,), daemon=True)
        highs.arm_fallback(fallback)
        if use_search:
            # No back-off here: HiGHS has its own process, and the search thread's
            # nice value already gives HiGHS the larger share on a busy machine.
            pause_at = start + params.pause_after * max(time_limit, 0.0)
            _search_beside_child(search, iterations, highs, pause_at)
        proved = search.proved or incumbent.cost <= lower + 1e-9
        child_mip = highs.finish(proved, deadline, end)
        if child_mip is not None:
            mip = child_mip
        stats.update(highs.stats)
    elif workers >= 2:
        thread = threading.Thread(target=run_highs, args=(None,), daemon=True)
        thread.start()
        if use_search:
            search.backoff = params.backoff_ratio > 0
            _search_in_thread(search, iterations, params.search_niceness)
        thread.join()
    else:
        if use_search:
            share = 1.0 - params.highs_share_sequential
            search.deadline = start + share * max(time_limit, 0.0)
            search.run(int(iterations * share))
        if incumbent.cost > lower + 1e-9 and not search.proved:
            run_highs(None)
    stats["kernel_cost"] = p.sign * search.kernel_cost
    stats["kernel_width"] = search.kernel_width
    stats["lns_cost"] = p.sign * incumbent.cost
    stats["lns_iterations"] = search.iterations
    stats["lns_subproblems_proved"] = search.subproblems_proved
    stats["local_iterations"] = search.local_iterations
    stats["local_improvements"] = search.local_improvements
    stats["relinks"] = search.relinks
    stats["elite_restarts"] = search.elite_restarts
    stats["relink_improvements"] = search.relink_improvements
    stats["backoff_seconds"] = search.backoff_seconds

    bound = lower
    proved = incumbent.assignment is not None and (incumbent.cost <= lower + 1e-9 or search.proved)
    if mip is not None:
        if mip.assignment is not None:
            if mip.proved:
                # HiGHS's optimum replaces an equal LNS incumbent: its path is deterministic.
                incumbent.assignment, incumbent.cost = None, math.inf
            incumbent.offer(p, mip.assignment)
        if mip.proved:
            proved = True
        elif math.isfinite(mip.bound):
            bound = max(bound, _round_bound(p, mip.bound))
    if incumbent.assignment is None:
        if mip is not None and mip.infeasible:
            return finish(None, math.inf, math.inf, Status.INFEASIBLE)
        return finish(None, math.inf, bound, Status.UNKNOWN)
    if proved or incumbent.cost <= bound + 1e-9:
        return finish(incumbent.assignment, incumbent.cost, incumbent.cost, Status.OPTIMAL)
    return finish(incumbent.assignment, incumbent.cost, bound, Status.FEASIBLE)


def check_assignment(inst: GapInstance, assignment: list[int]) -> list[str]:
    """Problems with ``assignment`` (empty if it respects every constraint).

    Unassigned jobs (-1) are reported; callers that allow them filter those out.
    """
    problems = []
    load = np.zeros(inst.m)
    for j, i in enumerate(assignment):
        if i == -1:
            problems.append(f"job {j} is unassigned")
            continue
        if not 0 <= i < inst.m:
            problems.append(f"job {j}: agent {i} does not exist")
            continue
        if inst.allowed is not None and not inst.allowed[i, j]:
            problems.append(f"job {j}: pair with agent {i} is forbidden")
        load[i] += inst.weights[i, j]
    for i in range(inst.m):
        if load[i] > inst.capacities[i] + 1e-9:
            problems.append(f"agent {i}: load {load[i]:g} exceeds capacity {inst.capacities[i]:g}")
    return problems


def load_instances(path: str | Path, sense: Sense = "min") -> list[tuple[str, str, GapInstance]]:
    """``(set, instance, GapInstance)`` for every problem of a benchmark file."""
    raws = read_gap_file(path)
    set_name, names = instance_names(path, raws)
    return [
        (set_name, name, GapInstance.from_raw(raw, sense=sense, name=name))
        for name, raw in zip(names, raws, strict=True)
    ]
