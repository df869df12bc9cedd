"""The priorities of a caseload assignment and its hard rules, evaluated
directly on people and coordinators: no model, no solver.  The solve reports
its answer through them, and tests check it with them."""

from __future__ import annotations

from dataclasses import dataclass

from optimiser.caseload.instance import POINTS_EPS, CaseloadInstance, fair_targets, qualified

__all__ = ["Objectives", "check_assignment", "evaluate", "loads"]


@dataclass(frozen=True)
class Objectives:
    """The priorities evaluated on an assignment of individuals (``placed`` counts each
    placed person at their priority, the tier severity; see :class:`Person`)."""

    placed: int
    kept: int
    local: int
    peak: float
    spread: float


def loads(
    instance: CaseloadInstance, assignment: tuple[str | None, ...] | list[str | None]
) -> dict[str, float]:
    """Weighted caseload points per coordinator id."""
    out = {c.id: 0.0 for c in instance.coordinators}
    for person, coord in zip(instance.people, assignment, strict=True):
        if coord is not None:
            out[coord] += person.weight
    return out


def evaluate(
    instance: CaseloadInstance, assignment: tuple[str | None, ...] | list[str | None]
) -> Objectives:
    """The five priorities of an assignment (it need not be feasible)."""
    by_id = {c.id: c for c in instance.coordinators}
    placed = kept = local = 0
    for person, coord in zip(instance.people, assignment, strict=True):
        if coord is None:
            continue
        placed += person.priority
        kept += coord == person.current
        local += person.locality is not None and by_id[coord].locality == person.locality
    load = loads(instance, assignment)
    targets = fair_targets(instance, sum(load.values()))
    peak = max(
        (load[c.id] / c.capacity for c in instance.coordinators if c.capacity > 0), default=0.0
    )
    spread = sum(
        max(0.0, load[c.id] - t) for c, t in zip(instance.coordinators, targets, strict=True)
    )
    return Objectives(placed, kept, local, peak, spread)


def check_assignment(
    instance: CaseloadInstance, assignment: tuple[str | None, ...] | list[str | None]
) -> list[str]:
    """Problems with an assignment (empty when every hard rule holds): unknown
    coordinators, needs or registration not met, capacity exceeded."""
    by_id = {c.id: c for c in instance.coordinators}
    problems = []
    if len(assignment) != len(instance.people):
        return [f"{len(assignment)} assignments for {len(instance.people)} people"]
    for person, coord in zip(instance.people, assignment, strict=True):
        if coord is None:
            continue
        if coord not in by_id:
            problems.append(f"{person.id}: {coord} is not a care coordinator")
        elif not qualified(person, by_id[coord]):
            problems.append(f"{person.id}: {coord} lacks a need or registration")
    for cid, load in loads(instance, [a if a in by_id else None for a in assignment]).items():
        if load > by_id[cid].capacity + POINTS_EPS:
            problems.append(f"{cid}: load {load:g} exceeds capacity {by_id[cid].capacity:g}")
    return problems
