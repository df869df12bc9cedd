"""A valid stage bound for a huge model, from the bounding model's duals.

A trust-scale model with hundreds of distinct weights is too big for its own
relaxation within a stage's time, so its keep and locality bounds come from
the *bounding model* (weights rounded down: :func:`optimiser.caseload.solve._bounding_model`).
Rounding weights down loosens the bound (distinct trust, locality: 9,463
against the exact model's own relaxation, 9,381).  This module turns the
bounding relaxation's duals into a bound on the exact problem by Lagrangian
relaxation, which holds for *any* non-negative multipliers:

Dualise the capacity rows (``y_k``), the keep-fit rows (``z_k``), the
locality-fit rows (``v_l``) and the earlier stages' floors (``mu_s``; the
stage's own objective counts 1).  What is left decomposes by person: each
person takes the coordinator of highest reduced value, or none::

    value(i, k) = mu_place p_i + (mu_keep - z_k) keep(i, k)
                  + (mu_local - v_l(i)) local(i, k) - y_k w_i

    bound = sum_i max(0, max_k value(i, k)) + sum_k y_k C_k + sum_k z_k most_k
            + sum_l v_l most_l - sum_s mu_s floor_s

where ``most_k`` / ``most_l`` are the fit rows' right-hand sides with the true
weights.  The variables' upper bounds (``N <= floor(C / w)``, the arcs' caps)
are not dualised: when none of them binds, the optimal duals of a relaxation
give back its value (``tests/test_caseload_lagrange.py``; the trust-scale
bounding relaxations reproduce to 1e-9), otherwise the bound is looser than
the relaxation, and the caller keeps the smaller of the two.  On the true
weights, which are heavier than the rounded ones, it is lower: a tighter
bound that is still valid (distinct trust: locality 9,463 -> 9,400, keep 7,776 -> 7,763).
Subgradient steps from these duals did not lower it further (tried: every
step size raised it), so there are none.

Pure NumPy: no solver.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimiser.caseload.heuristic import LocalSearch
from optimiser.caseload.instance import POINTS_EPS
from optimiser.caseload.model import most_that_fit
from optimiser.model.caseload_cpsat import STAGES


@dataclass(frozen=True)
class Multipliers:
    """Non-negative multipliers: ``capacity[k]``, ``keep_fit[k]`` (per
    coordinator), ``local_fit[locality]`` and ``stage[name]`` (the rows defining
    placed, kept and local; the stage maximised has 1)."""

    capacity: np.ndarray
    keep_fit: np.ndarray
    local_fit: dict[str, float]
    stage: dict[str, float]

    @classmethod
    def from_duals(cls, duals: dict[tuple[str, Any], float], coordinators: int) -> Multipliers:
        """From a relaxation's row duals keyed as :attr:`CompactModel.rows
        <optimiser.caseload.model.CompactModel>`.  Their absolute values: any
        non-negative multipliers give a valid bound, whatever the solver's sign
        convention; the optimal duals give the relaxation's own value."""
        size = {key: abs(value) for key, value in duals.items()}
        return cls(
            capacity=np.asarray([size.get(("capacity", k), 0.0) for k in range(coordinators)]),
            keep_fit=np.asarray([size.get(("keep_fit", k), 0.0) for k in range(coordinators)]),
            local_fit={loc: v for (kind, loc), v in size.items() if kind == "local_fit"},
            stage={name: v for (kind, name), v in size.items() if kind == "stage"},
        )


class Pairs:
    """The eligible person-coordinator pairs of an instance as arrays (built once
    per command: 3.7 million pairs at 10,000 x 400)."""

    def __init__(self, search: LocalSearch) -> None:
        eligible = search.eligible
        sizes = np.fromiter((len(e) for e in eligible), dtype=np.int64, count=len(eligible))
        self.person = np.repeat(np.arange(len(eligible), dtype=np.int32), sizes)
        self.coordinator = np.fromiter(
            (k for e in eligible for k in e), dtype=np.int32, count=int(sizes.sum())
        )
        # where each person's pairs begin (people with none have no segment)
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[sizes > 0]
        self.weight = np.asarray(search.weight, dtype=np.float64)
        self.priority = np.asarray(search.priority, dtype=np.float64)
        current = np.asarray([-1 if k is None else k for k in search.current], dtype=np.int64)
        self.keep = current[self.person] == self.coordinator
        names = sorted({loc for loc in search.locality if loc is not None})
        code = {loc: n for n, loc in enumerate(names)}
        self.localities = names
        person_loc = np.asarray(
            [-1 if loc is None else code[loc] for loc in search.locality], dtype=np.int64
        )
        coord_loc = np.asarray(
            [code.get(loc, -2) if loc is not None else -2 for loc in search.coord_locality],
            dtype=np.int64,
        )
        self.person_locality = person_loc
        self.local = (person_loc[self.person] == coord_loc[self.coordinator]) & (
            person_loc[self.person] >= 0
        )
        # as the model's rows and the local search: loads up to C + POINTS_EPS
        self.capacity = np.asarray(search.capacity, dtype=np.float64) + POINTS_EPS
        # the fit rows' right-hand sides with the true weights
        kept: dict[int, list[float]] = defaultdict(list)
        for i, k in enumerate(search.current):
            if k is not None:
                kept[k].append(search.weight[i])
        self.most_kept = np.asarray(
            [most_that_fit(kept[k], c) if kept[k] else 0 for k, c in enumerate(search.capacity)],
            dtype=np.float64,
        )
        room: dict[str, float] = defaultdict(float)
        for loc, c in zip(search.coord_locality, search.capacity, strict=True):
            if loc is not None:
                room[loc] += c
        homes: dict[str, list[float]] = defaultdict(list)
        for loc, w in zip(search.locality, search.weight, strict=True):
            if loc is not None:
                homes[loc].append(w)
        self.most_local = np.asarray(
            [most_that_fit(homes[loc], room[loc]) for loc in names], dtype=np.float64
        )


def lagrangian_bound(pairs: Pairs, stage: str, floors: dict[str, float], m: Multipliers) -> float:
    """The Lagrangian bound on ``stage`` with the earlier stages at least ``floors``."""
    # the stage itself counts 1, a floored stage its multiplier; a later stage
    # (no floor yet) nothing: its multiplier could only loosen the bound
    mu = {s: 1.0 if s == stage else m.stage.get(s, 0.0) if s in floors else 0.0 for s in STAGES}
    local_fit = np.asarray([m.local_fit.get(loc, 0.0) for loc in pairs.localities])
    penalty = np.append(local_fit, 0.0)  # index -1: people with no locality
    who, where = pairs.person, pairs.coordinator
    value = mu["place"] * pairs.priority[who] - m.capacity[where] * pairs.weight[who]
    value += np.where(pairs.keep, mu["keep"] - m.keep_fit[where], 0.0)
    value += np.where(pairs.local, mu["locality"] - penalty[pairs.person_locality[who]], 0.0)
    best = np.maximum.reduceat(value, pairs.starts) if len(value) else np.zeros(0)
    total = float(np.clip(best, 0.0, None).sum())
    total += float(m.capacity @ pairs.capacity)
    total += float(m.keep_fit @ pairs.most_kept) + float(local_fit @ pairs.most_local)
    total -= sum(mu[s] * floors[s] for s in floors if s != stage)
    return total
