"""Between the compact model's counts and named people.

:func:`to_people` rounds a (possibly fractional) model solution to integers by
cycle rounding (:mod:`optimiser.caseload.rounding`) and names the people;
:func:`to_values` gives the model values of an assignment of people (a MIP
start).  Coordinators are indices into ``instance.coordinators`` here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from optimiser.caseload.instance import POINTS_EPS, CaseloadInstance
from optimiser.caseload.model import CompactModel, unplaced_key, unplaced_points_value
from optimiser.caseload.rounding import SNAP, Arc, round_flow

Assignment = list[int | None]


def to_people(
    instance: CaseloadInstance, model: CompactModel, values: dict[Any, float]
) -> Assignment:
    """Name the people of a model solution.

    Arc flows are rounded to integers first.  Each coordinator's count of a
    weight may round up or down when it is fractional (then its capacity may
    be exceeded: callers repair that); when the counts are integers they are
    kept and so are the loads.  Of the two ways round each cycle of fractional
    arcs, rounding takes the one that does not lower (placed, kept, local).
    Within a group, file order decides who keeps their coordinator, who goes
    to which pool and who stays unplaced.
    """
    network = [Arc(a.tail, a.head, 0, a.ub, values[a.var], (0, *a.gain)) for a in model.arcs]
    sent: dict[int, float] = defaultdict(float)
    for a in model.arcs:
        if a.group is not None:
            sent[a.group] += values[a.var]
    for g, group in enumerate(model.groups):
        size = len(group.members)
        network.append(Arc(("g", g), ("sink",), 0, size, max(0.0, size - sent[g]), (0, 0, 0)))
    for (k, c), var in model.counts.items():
        count = values[var]
        lo, hi = math.floor(count + SNAP), math.ceil(count - SNAP)
        network.append(Arc(("c", k, c), ("sink",), lo, hi, count, (1, 0, 0), (k, model.classes[c])))
    capacity: dict[Hashable, float] = {
        k: c.capacity + POINTS_EPS for k, c in enumerate(instance.coordinators)
    }
    flows = round_flow(network, capacity)
    assignment: Assignment = [None] * len(instance.people)
    queue = [list(group.members) for group in model.groups]
    pooled: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    slots: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    for a, f in zip(model.arcs, flows, strict=False):
        if f > 0 and a.kind == "keep":
            assert a.group is not None
            for i in queue[a.group][:f]:
                assignment[i] = a.coordinator
            queue[a.group] = queue[a.group][f:]
    for a, f in zip(model.arcs, flows, strict=False):
        if f <= 0:
            continue
        if a.kind in ("local", "far"):
            assert a.group is not None and a.pool is not None
            pooled[a.pool] += queue[a.group][:f]
            queue[a.group] = queue[a.group][f:]
        elif a.kind == "pool":
            assert a.pool is not None and a.coordinator is not None
            slots[a.pool][a.coordinator] = f
    for pool, chosen in pooled.items():
        _fill(instance, sorted(chosen), slots[pool], assignment)
    return assignment


def _fill(
    instance: CaseloadInstance, chosen: list[int], counts: dict[int, int], assignment: Assignment
) -> None:
    """Give the pooled people ``chosen`` the pool's coordinator slots: first to their
    current coordinator, then within their locality, then in file order."""
    coords = instance.coordinators
    index = instance.coordinator_index
    slots = dict(counts)
    rest = []
    for i in chosen:
        current = instance.people[i].current
        k = index.get(current) if current is not None else None
        if k is not None and slots.get(k, 0) > 0:
            assignment[i] = k
            slots[k] -= 1
        else:
            rest.append(i)
    by_locality: dict[str | None, list[int]] = defaultdict(list)
    for k in sorted(slots):
        by_locality[coords[k].locality].append(k)
    later = []
    for i in rest:
        locality = instance.people[i].locality
        options = [k for k in by_locality.get(locality, []) if slots[k] > 0] if locality else []
        if options:
            assignment[i] = options[0]
            slots[options[0]] -= 1
        else:
            later.append(i)
    ordered = [k for k in sorted(slots) for _ in range(slots[k])]
    if len(ordered) != len(later):
        raise AssertionError("caseload: pool slots and people differ (model bug)")
    for i, k in zip(later, ordered, strict=True):
        assignment[i] = k


def to_values(
    instance: CaseloadInstance, model: CompactModel, assignment: Assignment
) -> dict[Any, float]:
    """The model's variable values for an assignment of people (every model
    variable of the arcs, counts, P, K, L and the unplaced counts).

    The assignment must respect eligibility (people only with coordinators in
    their type's eligible list).
    """
    coords = instance.coordinators
    group_of: dict[int, int] = {}
    for g, group in enumerate(model.groups):
        for i in group.members:
            group_of[i] = g
    arcs_of: dict[tuple[int, str], Any] = {}
    pool_arc: dict[tuple[tuple[Any, ...], int], Any] = {}
    class_of_type = [model.classes.index(w) for w in model.weights]
    for a in model.arcs:
        if a.group is not None:
            arcs_of[(a.group, a.kind)] = a
        else:
            assert a.pool is not None and a.coordinator is not None
            pool_arc[(a.pool, a.coordinator)] = a
    values: dict[Any, float] = {a.var: 0.0 for a in model.arcs}
    values.update({v: 0.0 for v in model.counts.values()})
    placed = kept = local = 0
    for i, k in enumerate(assignment):
        if k is None:
            continue
        g = group_of[i]
        group = model.groups[g]
        values[model.counts[(k, class_of_type[group.type])]] += 1
        placed += instance.people[i].priority
        if group.current == k:
            arc = arcs_of[(g, "keep")]
            values[arc.var] += 1
            kept += 1
            local += arc.gain[1]
            continue
        same = group.locality is not None and coords[k].locality == group.locality
        kind = "local" if same else "far"
        arc = arcs_of[(g, kind)]
        values[arc.var] += 1
        values[pool_arc[(arc.pool, k)].var] += 1
        local += same
    values[model.placed] = placed
    values[model.kept] = kept
    values[model.local] = local
    if model.unplaced:  # the people of each type and locality left unplaced
        left = dict.fromkeys(model.unplaced, 0)
        for i, k in enumerate(assignment):
            key = unplaced_key(model.groups[group_of[i]])
            if k is None and key in left:
                left[key] += 1
        values.update({var: float(left[key]) for key, var in model.unplaced.items()})
        if model.unplaced_points is not None:
            values[model.unplaced_points] = unplaced_points_value(model, left)
    return values
