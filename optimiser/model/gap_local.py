"""A vectorised tabu search for the GAP (shift and swap moves, adaptive penalties).

In the spirit of Yagiura, Ibaraki and Glover's tabu search / ejection chains:
the search walks through infeasible assignments too, scoring each by its cost
plus ``alpha_i`` times the capacity excess of every agent ``i``; the weights
``alpha`` grow on agents that stay overloaded and shrink on the others
(strategic oscillation around the feasibility border).  Each iteration
evaluates every shift (one job to another agent, ``m x n`` moves) and every
swap (two jobs of different agents trade places, ``n x n`` moves) with NumPy
and makes the best move that is not tabu (a job may not return to an agent it
left for a few iterations) unless it yields a new best feasible solution.
After a long stall the search restarts from the best solution with a random
kick.

Only NumPy; limited by an iteration count and a seeded generator, so a call is
reproducible (the ``stop`` callback is only a wall-clock safety net).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["tabu_search"]


def tabu_search(
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    allowed: np.ndarray,
    capacitated: np.ndarray,
    start: np.ndarray,
    iterations: int,
    rng: np.random.Generator,
    stop: Callable[[], bool] | None = None,
    best_cost: float = np.inf,
    swaps: bool = True,
    tenure: tuple[float, float] = (0.05, 0.125),
    alpha_up: float = 1.1,
    alpha_down: float = 0.98,
    stall: float = 4.0,
    kick: float = 0.05,
) -> tuple[np.ndarray | None, float, int]:
    """Improve ``start`` (feasible or not); returns (best feasible, its cost, iterations).

    The best feasible assignment is ``None`` if none better than ``best_cost``
    was met.
    """
    m, n = costs.shape
    c = np.where(allowed, costs, 0.0)
    w = np.where(allowed, weights, 0.0)
    b = np.where(capacitated, capacities, np.inf)
    big = np.inf
    jobs = np.arange(n)
    a = start.astype(np.int64).copy()
    load = np.zeros(m)
    np.add.at(load, a, w[a, jobs])
    scale_c = float(np.abs(c[allowed]).mean()) if allowed.any() else 1.0
    scale_w = float(w[allowed].mean()) if allowed.any() else 1.0
    alpha0 = max(scale_c, 1e-9) / max(scale_w, 1e-9)
    alpha = np.full(m, alpha0)
    tabu = np.zeros((m, n), dtype=np.int64)  # job j may not enter agent i before tabu[i, j]
    tenure_lo, tenure_hi = max(2, int(tenure[0] * n)), max(3, int(tenure[1] * n))
    best: np.ndarray | None = None
    cur_cost = float(c[a, jobs].sum())
    stall_limit = max(200, int(stall * n))
    since_best = 0
    forbid = ~allowed
    it = 0
    for it in range(1, iterations + 1):
        if stop is not None and (it & 31) == 0 and stop():
            break
        excess = np.maximum(load - b, 0.0)
        # ---- shifts: job j from a_j to agent i
        ca = c[a, jobs]
        wa = w[a, jobs]
        out_load = load[a] - wa  # load of a_j without j
        d_out = alpha[a] * (np.maximum(out_load - b[a], 0.0) - excess[a])  # (n,)
        new_in = load[:, None] + w  # (m, n)
        d_in = alpha[:, None] * (np.maximum(new_in - b[:, None], 0.0) - excess[:, None])
        shift_pen = d_in + d_out[None, :]
        shift_cost = c - ca[None, :]
        shift_score = shift_cost + shift_pen
        shift_score[forbid] = big
        shift_score[a, jobs] = big
        total_excess = float(excess.sum())
        # aspiration: a shift that gives a feasible solution better than the best
        shift_tabu = tabu > it
        # excess after shift: total - excess[a_j] - excess[i] + new values
        ex_out = np.maximum(out_load - b[a], 0.0)
        ex_in = np.maximum(new_in - b[:, None], 0.0)
        ex_after = total_excess - excess[a][None, :] + ex_out[None, :] - excess[:, None] + ex_in
        aspire = (ex_after <= 1e-9) & (cur_cost + shift_cost < best_cost - 1e-9)
        shift_ok = np.where(shift_tabu & ~aspire, big, shift_score)
        k = int(np.argmin(shift_ok))
        best_move = float(shift_ok.flat[k])
        move = ("shift", k // n, k % n)
        # ---- swaps: j (on A=a_j) and k (on B=a_k) trade agents
        if swaps and n <= 400:
            wk = w[a, :]  # wk[k, j] = w[a_k, j]
            ck = c[a, :]
            base = out_load  # load[a_j] - w[a_j, j]
            na = base[:, None] + wk  # new load of A=a_j: + w[a_j, k] = wk[j, k]
            exa = np.maximum(na - b[a][:, None], 0.0)
            q = alpha[a][:, None] * (exa - excess[a][:, None])
            pen = q + q.T
            dcost = ck + ck.T - ca[:, None] - ca[None, :]
            score = dcost + pen
            valid = (a[:, None] != a[None, :]) & allowed[a, :] & allowed[a, :].T
            tb = tabu[a, :] > it  # tb[k, j]: j may not enter a_k
            is_tabu = tb | tb.T
            ex_sw = total_excess - excess[a][:, None] - excess[a][None, :] + exa + exa.T
            asp = (ex_sw <= 1e-9) & (cur_cost + dcost < best_cost - 1e-9)
            score = np.where(valid & (~is_tabu | asp), score, big)
            s = int(np.argmin(score))
            if float(score.flat[s]) < best_move:
                best_move = float(score.flat[s])
                move = ("swap", s // n, s % n)
        if not np.isfinite(best_move):
            # everything tabu: relax
            tabu.fill(0)
            continue
        tenure_now = int(rng.integers(tenure_lo, tenure_hi + 1))
        if move[0] == "shift":
            _, i, j = move
            src = a[j]
            load[src] -= w[src, j]
            load[i] += w[i, j]
            cur_cost += c[i, j] - c[src, j]
            tabu[src, j] = it + tenure_now
            a[j] = i
        else:
            _, j, k2 = move
            aj, ak = a[j], a[k2]
            load[aj] += w[aj, k2] - w[aj, j]
            load[ak] += w[ak, j] - w[ak, k2]
            cur_cost += c[ak, j] + c[aj, k2] - c[aj, j] - c[ak, k2]
            tabu[aj, j] = it + tenure_now
            tabu[ak, k2] = it + tenure_now
            a[j], a[k2] = ak, aj
        over = load > b + 1e-9
        if not over.any():
            cost = float(c[a, jobs].sum())
            cur_cost = cost
            if cost < best_cost - 1e-9:
                best_cost = cost
                best = a.copy()
                since_best = 0
        # adaptive penalty: overloaded agents get dearer, the others cheaper
        alpha = np.where(over, alpha * alpha_up, np.maximum(alpha * alpha_down, alpha0 * 0.05))
        since_best += 1
        if since_best >= stall_limit and best is not None:
            since_best = 0
            a = best.copy()
            kicked = rng.choice(n, size=max(2, int(kick * n)), replace=False)
            for j in kicked:
                options = np.nonzero(allowed[:, j])[0]
                a[j] = int(rng.choice(options))
            load = np.zeros(m)
            np.add.at(load, a, w[a, jobs])
            cur_cost = float(c[a, jobs].sum())
            alpha = np.full(m, alpha0)
            tabu.fill(0)
    return best, best_cost, it
