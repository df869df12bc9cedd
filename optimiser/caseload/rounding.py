"""Make a fractional network flow integral without losing value (cycle rounding).

A flow on a network whose node balances and arc bounds are integers can be
made integral by pushing flow around cycles of fractional arcs: every node that
touches a fractional arc touches at least two, so such cycles always exist, and
each push makes at least one more arc integral.  Of the two directions round a
cycle we push the one whose change of the (lexicographic) arc costs is not
negative, so the objectives never get worse; when the flow was already optimal
both directions are neutral.  Pure Python, no solver.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

#: A flow within this of an integer counts as that integer.
SNAP = 1e-6


@dataclass
class Arc:
    """A directed arc ``tail -> head`` with integer bounds, a flow and a gain vector
    (maximised lexicographically)."""

    tail: Hashable
    head: Hashable
    lb: int
    ub: int
    flow: float
    gain: tuple[int, ...] = ()
    load: tuple[Hashable, float] | None = None  # (resource, use per unit of flow)


def _snap(value: float) -> float:
    nearest = round(value)
    return float(nearest) if abs(value - nearest) <= SNAP else value


def _fractional(value: float) -> bool:
    return value != math.floor(value)


def round_flow(arcs: Sequence[Arc], capacity: Mapping[Hashable, float] | None = None) -> list[int]:
    """An integral flow with the same node balances, within the bounds, and gains
    lexicographically at least those of ``arcs``' flow.

    Parameters
    ----------
    arcs
        The network; node balances of the given flow must be integers (up to
        solver noise) and bounds integers.
    capacity
        Optional side resources (arcs' ``load``): of the two ways round a cycle
        the one that takes no resource above its capacity (or above its use
        so far, if it already is) is preferred to a better gain.  The result
        may still exceed a capacity when both ways would.

    Returns
    -------
    list[int]
        The integral flow of each arc.

    Raises
    ------
    ValueError
        If the fractional arcs do not form cycles (the balances were not integral).
    """
    flow = [min(max(_snap(a.flow), a.lb), a.ub) for a in arcs]
    incident: dict[Hashable, set[int]] = {}
    for i, a in enumerate(arcs):
        if _fractional(flow[i]):
            incident.setdefault(a.tail, set()).add(i)
            incident.setdefault(a.head, set()).add(i)
    width = max((len(a.gain) for a in arcs), default=0)
    used: dict[Hashable, float] = {}
    for i, a in enumerate(arcs):
        if a.load is not None:
            used[a.load[0]] = used.get(a.load[0], 0.0) + a.load[1] * flow[i]

    def drop(i: int) -> None:
        for node in (arcs[i].tail, arcs[i].head):
            edges = incident.get(node)
            if edges is not None:
                edges.discard(i)
                if not edges:
                    del incident[node]

    while incident:
        start = next(iter(incident))
        path_nodes = [start]
        path_arcs: list[int] = []
        position = {start: 0}
        node, came = start, -1
        cycle: list[tuple[int, Hashable]] | None = None
        while cycle is None:
            options = [i for i in sorted(incident.get(node, ())) if i != came]
            if not options:
                raise ValueError("fractional flow with a non-integral node balance")
            i = options[0]
            other = arcs[i].head if arcs[i].tail == node else arcs[i].tail
            if other in position:
                at = position[other]
                cycle = list(zip(path_arcs[at:] + [i], path_nodes[at:], strict=True))
            else:
                position[other] = len(path_nodes)
                path_nodes.append(other)
                path_arcs.append(i)
                node, came = other, i
        # sign +1: the walk uses the arc forwards (from its tail)
        signs = [(i, 1 if arcs[i].tail == frm else -1) for i, frm in cycle]
        change = [sum(s * (arcs[i].gain[d] if d < len(arcs[i].gain) else 0) for i, s in signs)
                  for d in range(width)]  # fmt: skip
        forward, backward = signs, [(i, -s) for i, s in signs]
        ways = [forward, backward] if tuple(change) >= (0,) * width else [backward, forward]
        if capacity is not None:
            overs = [_over(arcs, flow, way, used, capacity) for way in ways]
            if overs[1] < overs[0]:
                ways.reverse()
        signs = ways[0]
        step = _step(flow, signs)
        if capacity is not None:
            for i, s in signs:
                if arcs[i].load is not None:
                    key, use = arcs[i].load  # type: ignore[misc]
                    used[key] += s * step * use
        for i, s in signs:
            flow[i] = _snap(flow[i] + s * step)
            if not _fractional(flow[i]):
                drop(i)
    return [int(f) for f in flow]


def _step(flow: list[float], signs: list[tuple[int, int]]) -> float:
    """How far the cycle can go this way before an arc reaches an integer."""
    return min(
        (math.ceil(flow[i]) - flow[i]) if s > 0 else (flow[i] - math.floor(flow[i]))
        for i, s in signs
    )


def _over(
    arcs: Sequence[Arc],
    flow: list[float],
    signs: list[tuple[int, int]],
    used: dict[Hashable, float],
    capacity: Mapping[Hashable, float],
) -> float:
    """Largest rise above capacity (or above the use so far, when already above)
    that pushing this way would cause."""
    step = _step(flow, signs)
    change: dict[Hashable, float] = {}
    for i, s in signs:
        if arcs[i].load is not None:
            key, use = arcs[i].load  # type: ignore[misc]
            change[key] = change.get(key, 0.0) + s * step * use
    worst = 0.0
    for key, delta in change.items():
        if delta <= 1e-12:
            continue
        limit = max(capacity.get(key, math.inf), used[key])
        worst = max(worst, used[key] + delta - limit)
    return worst
