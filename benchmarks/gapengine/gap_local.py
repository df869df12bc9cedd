"""Weighting local search for the GAP (compiled with numba).

A breakout / weighting local search in the line of Yagiura, Ibaraki and
Glover's work on the GAP: the search walks through infeasible assignments too,
scoring each by its cost plus ``wt_i`` times the capacity excess of every
agent ``i``.  It descends (first improvement, scanning from a random job) with
three neighbourhoods, tried in this order:

* **shift**: one job to another agent;
* **swap**: two jobs of different agents trade places;
* **ejection chain** of length two: job j1 moves from A to B and pushes a job
  j2 of B on to a third agent C (for each j2, the two best C are kept, so
  that C differs from A; all chains are scanned in O(n^2 + nm)).

At a local optimum the weights change: if the penalised value is no better
than the best feasible cost so far, every weight shrinks by ``dec`` (explore
cheaper, infeasible assignments); otherwise the overloaded agents' weights
grow, in proportion to their excess, by up to ``inc`` (push back towards
feasibility).  Every feasible assignment met while scanning is checked against
the best.

:meth:`LocalSearch.toward` walks part of the way from one assignment to
another with the same penalised cost (path relinking, in :mod:`gap`).

The search is limited by a number of rounds (local optima) and seeded, so a
call is reproducible; it runs in chunks between which a wall-clock deadline or
a stop callback is checked.  The compiled core releases the GIL, so it runs
beside other threads (HiGHS, CP-SAT).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["LocalSearch"]

EPS = 1e-9


@njit(cache=True, nogil=True)
def _pen(load, b, wt):
    s = 0.0
    for i in range(load.shape[0]):
        e = load[i] - b[i]
        if e > 0.0:
            s += wt[i] * e
    return s


@njit(cache=True, nogil=True)
def _record(a, best_a, j1, i1, j2, i2):
    for j in range(a.shape[0]):
        best_a[j] = a[j]
    if j1 >= 0:
        best_a[j1] = i1
    if j2 >= 0:
        best_a[j2] = i2


@njit(cache=True, nogil=True)
def _pdelta(wt_i, load_i, b_i, new_load):
    """Change of agent i's weighted excess when its load becomes ``new_load``."""
    e0 = load_i - b_i
    e1 = new_load - b_i
    return wt_i * ((e1 if e1 > 0.0 else 0.0) - (e0 if e0 > 0.0 else 0.0))


@njit(cache=True, nogil=True)
def _deep_chain(c, w, b, allowed, a, load, wt, depth):  # noqa: C901, PLR0912
    """Best improving ejection chain or cycle of up to ``depth + 1`` jobs, if any.

    A label (l, k) is a chain r -> a[k0], k0 -> a[k1], ..., whose last ejected
    job is k (found by a layered shortest-path search, one label per job and
    level, agents distinct along a path).  It closes either by sending k to an
    agent off the path or back to the root's agent (a cyclic exchange).
    Returns (jobs, targets, count): move ``jobs[t]`` to ``targets[t]``.
    """
    m, n = c.shape
    dist = np.full((depth, n), np.inf)
    pred = np.full((depth, n), -1, np.int64)
    root = np.full((depth, n), -1, np.int64)
    onpath = np.zeros((depth, n, m), np.bool_)
    s = np.empty(n)
    for r in range(n):
        A = a[r]
        s[r] = -c[A, r] + _pdelta(wt[A], load[A], b[A], load[A] - w[A, r])
    best = -EPS
    best_l = -1
    best_k = -1
    best_end = -1
    for lv in range(depth):
        for k in range(n):
            B = a[k]
            base = -c[B, k]
            for j in range(n):
                if j == k or not allowed[B, j]:
                    continue
                if lv == 0:
                    if a[j] == B:
                        continue
                    v0 = s[j]
                else:
                    v0 = dist[lv - 1, j]
                    if v0 == np.inf or onpath[lv - 1, j, B]:
                        continue
                d = v0 + base + c[B, j] + _pdelta(wt[B], load[B], b[B], load[B] + w[B, j] - w[B, k])
                if d < dist[lv, k]:
                    dist[lv, k] = d
                    pred[lv, k] = j
        for k in range(n):
            if dist[lv, k] == np.inf:
                continue
            j = pred[lv, k]
            if lv == 0:
                root[lv, k] = j
                onpath[lv, k, a[j]] = True
            else:
                root[lv, k] = root[lv - 1, j]
                for i in range(m):
                    onpath[lv, k, i] = onpath[lv - 1, j, i]
            onpath[lv, k, a[k]] = True
            r = root[lv, k]
            A = a[r]
            # close by a cycle: k takes r's place on A (lv == 0 would be a swap)
            if lv >= 1 and allowed[A, k]:
                v = (
                    dist[lv, k]
                    - _pdelta(wt[A], load[A], b[A], load[A] - w[A, r])
                    + c[A, k]
                    + _pdelta(wt[A], load[A], b[A], load[A] - w[A, r] + w[A, k])
                )
                if v < best:
                    best, best_l, best_k, best_end = v, lv, k, A
            # close by a shift of k to an agent off the path
            for D in range(m):
                if onpath[lv, k, D] or not allowed[D, k]:
                    continue
                v = dist[lv, k] + c[D, k] + _pdelta(wt[D], load[D], b[D], load[D] + w[D, k])
                if v < best:
                    best, best_l, best_k, best_end = v, lv, k, D
    jobs = np.empty(depth + 1, np.int64)
    targets = np.empty(depth + 1, np.int64)
    if best_l < 0:
        return jobs, targets, 0
    count = best_l + 2
    k = best_k
    jobs[count - 1] = k
    targets[count - 1] = best_end
    for lv in range(best_l, -1, -1):
        j = pred[lv, k]
        jobs[lv] = j
        targets[lv] = a[k]
        k = j
    return jobs, targets, count


@njit(cache=True, nogil=True)
def _toward(c, w, b, wt, a, guide, steps):
    """Move ``steps`` jobs of ``a`` (in place) to their agent in ``guide``.

    Each time the move that adds least to cost plus weighted excess (the first
    such job in index order on ties): a walk along the relinking path.
    """
    m, n = c.shape
    load = np.zeros(m)
    for j in range(n):
        load[a[j]] += w[a[j], j]
    todo = np.empty(n, np.int64)
    count = 0
    for j in range(n):
        if a[j] != guide[j]:
            todo[count] = j
            count += 1
    for _ in range(min(steps, count)):
        best = np.inf
        pick = 0
        for k in range(count):
            j = todo[k]
            src = a[j]
            dst = guide[j]
            delta = (
                c[dst, j] - c[src, j]
                + _pdelta(wt[src], load[src], b[src], load[src] - w[src, j])
                + _pdelta(wt[dst], load[dst], b[dst], load[dst] + w[dst, j])
            )
            if delta < best:
                best = delta
                pick = k
        j = todo[pick]
        load[a[j]] -= w[a[j], j]
        load[guide[j]] += w[guide[j], j]
        a[j] = guide[j]
        for k in range(pick, count - 1):
            todo[k] = todo[k + 1]
        count -= 1


@njit(cache=True, nogil=True)
def _run(  # noqa: C901, PLR0912, PLR0915 (one compiled loop: splitting it costs speed)
    c, w, b, allowed, a, load, wt, rounds, best_a, best_cost, ref_cost, inc, dec, seed, chains,
    depth,
):
    """``rounds`` descents and weight updates; changes ``a``, ``load``, ``wt``, ``best_a``."""
    m, n = c.shape
    np.random.seed(seed)
    ex = np.zeros(m)
    order = np.empty(n, np.int64)
    start = np.zeros(m + 1, np.int64)
    c1 = np.empty(n, np.int64)
    s1 = np.empty(n)
    c2 = np.empty(n, np.int64)
    s2 = np.empty(n)
    cost = 0.0
    for j in range(n):
        cost += c[a[j], j]
    moves = 0
    for _ in range(rounds):
        # ---- descend to a local optimum of cost + sum wt * excess
        while True:
            tot = 0.0
            for i in range(m):
                e = load[i] - b[i]
                ex[i] = e if e > 0.0 else 0.0
                tot += ex[i]
            improved = False
            off = np.random.randint(0, n)
            # shifts
            for jj in range(n):
                j = (jj + off) % n
                A = a[j]
                eA = load[A] - w[A, j] - b[A]
                exA = eA if eA > 0.0 else 0.0
                dA = wt[A] * (exA - ex[A])
                for i in range(m):
                    if i == A or not allowed[i, j]:
                        continue
                    eI = load[i] + w[i, j] - b[i]
                    exI = eI if eI > 0.0 else 0.0
                    dc = c[i, j] - c[A, j]
                    if tot - ex[A] - ex[i] + exA + exI <= EPS and cost + dc < best_cost - EPS:
                        best_cost = cost + dc
                        _record(a, best_a, j, i, -1, -1)
                    if dc + dA + wt[i] * (exI - ex[i]) < -EPS:
                        load[A] -= w[A, j]
                        load[i] += w[i, j]
                        cost += dc
                        a[j] = i
                        improved = True
                        break
                if improved:
                    break
            if improved:
                moves += 1
                continue
            # swaps
            for jj in range(n):
                j = (jj + off) % n
                A = a[j]
                for k in range(n):
                    B = a[k]
                    if B == A:
                        continue
                    if not allowed[B, j] or not allowed[A, k]:
                        continue
                    eA = load[A] - w[A, j] + w[A, k] - b[A]
                    exA = eA if eA > 0.0 else 0.0
                    eB = load[B] - w[B, k] + w[B, j] - b[B]
                    exB = eB if eB > 0.0 else 0.0
                    dc = c[B, j] + c[A, k] - c[A, j] - c[B, k]
                    if tot - ex[A] - ex[B] + exA + exB <= EPS and cost + dc < best_cost - EPS:
                        best_cost = cost + dc
                        _record(a, best_a, j, B, k, A)
                    if dc + wt[A] * (exA - ex[A]) + wt[B] * (exB - ex[B]) < -EPS:
                        load[A] += w[A, k] - w[A, j]
                        load[B] += w[B, j] - w[B, k]
                        cost += dc
                        a[j] = B
                        a[k] = A
                        improved = True
                        break
                if improved:
                    break
            if improved:
                moves += 1
                continue
            if chains:
                # ejection chains: j1 A->B, j2 B->C with C not in {A, B}
                for i in range(m + 1):
                    start[i] = 0
                for j in range(n):
                    start[a[j] + 1] += 1
                for i in range(m):
                    start[i + 1] += start[i]
                fill = start[:m].copy()
                for j in range(n):
                    order[fill[a[j]]] = j
                    fill[a[j]] += 1
                for j2 in range(n):
                    B = a[j2]
                    s1[j2] = np.inf
                    s2[j2] = np.inf
                    c1[j2] = -1
                    c2[j2] = -1
                    for C in range(m):
                        if C == B or not allowed[C, j2]:
                            continue
                        eC = load[C] + w[C, j2] - b[C]
                        exC = eC if eC > 0.0 else 0.0
                        sc = c[C, j2] - c[B, j2] + wt[C] * (exC - ex[C])
                        if sc < s1[j2]:
                            s2[j2], c2[j2] = s1[j2], c1[j2]
                            s1[j2], c1[j2] = sc, C
                        elif sc < s2[j2]:
                            s2[j2], c2[j2] = sc, C
                for jj in range(n):
                    j1 = (jj + off) % n
                    A = a[j1]
                    eA = load[A] - w[A, j1] - b[A]
                    exA = eA if eA > 0.0 else 0.0
                    dA = -c[A, j1] + wt[A] * (exA - ex[A])
                    for B in range(m):
                        if B == A or not allowed[B, j1]:
                            continue
                        base = dA + c[B, j1]
                        lb = load[B] + w[B, j1] - b[B]
                        for p in range(start[B], start[B + 1]):
                            j2 = order[p]
                            if c1[j2] == A:
                                C = c2[j2]
                                sc = s2[j2]
                            else:
                                C = c1[j2]
                                sc = s1[j2]
                            if C < 0:
                                continue
                            eB = lb - w[B, j2]
                            exB = eB if eB > 0.0 else 0.0
                            if base + sc + wt[B] * (exB - ex[B]) < -EPS:
                                load[A] -= w[A, j1]
                                load[B] += w[B, j1] - w[B, j2]
                                load[C] += w[C, j2]
                                cost += c[B, j1] - c[A, j1] + c[C, j2] - c[B, j2]
                                a[j1] = B
                                a[j2] = C
                                improved = True
                                break
                        if improved:
                            break
                    if improved:
                        break
            if not improved and depth > 1:
                jobs, targets, count = _deep_chain(c, w, b, allowed, a, load, wt, depth)
                for t in range(count):
                    j = jobs[t]
                    src = a[j]
                    dst = targets[t]
                    load[src] -= w[src, j]
                    load[dst] += w[dst, j]
                    cost += c[dst, j] - c[src, j]
                    a[j] = dst
                improved = count > 0
            if improved:
                moves += 1
                tot = 0.0
                for i in range(m):
                    e = load[i] - b[i]
                    tot += e if e > 0.0 else 0.0
                if tot <= EPS and cost < best_cost - EPS:
                    best_cost = cost
                    _record(a, best_a, -1, -1, -1, -1)
                continue
            break
        # ---- weights
        if cost + _pen(load, b, wt) > min(best_cost, ref_cost) - EPS:
            for i in range(m):
                wt[i] = max(1e-6, (1.0 - dec) * wt[i])
        else:
            mx = 0.0
            for i in range(m):
                if load[i] - b[i] > mx:
                    mx = load[i] - b[i]
            if mx > 0.0:
                for i in range(m):
                    e = load[i] - b[i]
                    if e > 0.0:
                        wt[i] *= 1.0 + inc * e / mx
    return best_cost, moves


@dataclass
class LocalSearch:
    """Weighting local search on one instance; the weights persist between calls.

    ``costs``, ``weights`` (m x n), ``capacities`` (m), ``allowed`` (m x n) and
    ``capacitated`` (m) are the engine's minimisation form; agents that are not
    capacitated have no capacity row (the "unassigned" pseudo-agent).
    """

    costs: np.ndarray
    weights: np.ndarray
    capacities: np.ndarray
    allowed: np.ndarray
    capacitated: np.ndarray
    inc: float = 0.2
    dec: float = 0.1
    chains: bool = True
    depth: int = 4

    def __post_init__(self) -> None:
        allowed = np.ascontiguousarray(self.allowed, dtype=np.bool_)
        self._c = np.ascontiguousarray(np.where(allowed, self.costs, 0.0), dtype=np.float64)
        self._w = np.ascontiguousarray(np.where(allowed, self.weights, 0.0), dtype=np.float64)
        self._b = np.where(self.capacitated, self.capacities, np.inf).astype(np.float64)
        self._allowed = allowed
        largest = np.where(allowed, np.abs(self._c), 0.0).max(axis=1, initial=0.0)
        self._wt = np.maximum(largest, 1.0)
        self.rounds = 0
        self._a = np.zeros(self._c.shape[1], dtype=np.int64)
        self._load = np.zeros(self._c.shape[0])

    def toward(self, start: np.ndarray, guide: np.ndarray, steps: int) -> np.ndarray:
        """``start`` with ``steps`` of its jobs moved to their agent in ``guide``.

        Path relinking's walk: each step takes the move that adds least to cost
        plus the current weighted excess.  ``start`` is not changed.
        """
        a = np.ascontiguousarray(start, dtype=np.int64).copy()
        guide = np.ascontiguousarray(guide, dtype=np.int64)
        _toward(self._c, self._w, self._b, self._wt, a, guide, int(steps))
        return a

    def run(
        self,
        start: np.ndarray | None,
        rounds: int,
        seed: int,
        best_cost: float = np.inf,
        stop: Callable[[], bool] | None = None,
        chunk: int = 25,
        own: bool = False,
    ) -> tuple[np.ndarray | None, float]:
        """Search from ``start`` (feasible or not; ``None``: where the last call ended).

        Returns the best feasible assignment found that costs less than
        ``best_cost`` (``None`` if there is none) and its cost.  With ``own``
        it returns the best feasible assignment this call met, whatever its
        cost (``best_cost`` still steers the weights).
        """
        m, n = self._c.shape
        if start is None:
            a, load = self._a, self._load
        else:
            a = np.ascontiguousarray(start, dtype=np.int64).copy()
            load = np.zeros(m)
            np.add.at(load, a, self._w[a, np.arange(n)])
            self._a, self._load = a, load
        best_a = a.copy()
        bound = float(best_cost)
        best = np.inf if own else bound
        done = 0
        while done < rounds:
            step = min(chunk, rounds - done)
            best, _ = _run(
                self._c, self._w, self._b, self._allowed, a, load, self._wt, step,
                best_a, best, bound, self.inc, self.dec, (seed * 1000003 + done) % (2**31),
                self.chains, self.depth,
            )  # fmt: skip
            done += step
            if stop is not None and stop():
                break
        self.rounds += done
        if best < (np.inf if own else bound - EPS):
            return best_a, float(best)
        return None, bound


def warm_up() -> None:
    """Compile the core now (cached on disk by numba after the first time)."""
    ls = LocalSearch(
        np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones((2, 2)), np.array([1.0, 1.0]),
        np.ones((2, 2), dtype=bool), np.ones(2, dtype=bool),
    )  # fmt: skip
    ls.run(np.array([0, 0]), 2, 0)
