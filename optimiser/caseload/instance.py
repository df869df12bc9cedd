"""The caseload assignment problem as plain data: people, coordinators, eligibility.

A :class:`CaseloadInstance` is what the assignment model reads.  It is built
from a staff-mode scenario and a PEOPLE.csv (:func:`caseload_instance`), or
directly (benchmarks, tests).  Nothing here imports a solver.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from optimiser.competencies import dashboard
from optimiser.demand import build_team

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

#: Capacities and weights are compared with this tolerance (points).
POINTS_EPS = 1e-9


@dataclass(frozen=True)
class Coordinator:
    """A person who can care-coordinate.

    Attributes
    ----------
    id
        Staff id.
    role
        Role id.
    capacity
        Weighted caseload points: ``caseload_capacity x fte`` of the role.
    registered
        Whether the role holds professional registration.
    competencies
        Competencies held on ``plan_date`` (sign-offs judged on that day).
    locality
        Team or locality, if known.
    lapsed
        Competencies whose sign-off had lapsed by ``plan_date`` (for the
        reason someone leaves them: a lapsed sign-off, not a competency the
        coordinator never held).
    """

    id: str
    role: str
    capacity: float
    registered: bool
    competencies: frozenset[str]
    locality: str | None = None
    lapsed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Person:
    """Someone on the caseload who needs a care coordinator.

    Attributes
    ----------
    id
        Pseudonymised id.
    tier
        Risk tier id.
    weight
        Caseload points (the tier's ``caseload_weight``).
    stage
        Pathway stage (reported, not used by the model).
    needs
        Competencies their coordinator must hold.
    locality
        Where they live (matched against coordinators' localities).
    current
        Their current care coordinator's staff id, if any.
    registered_only
        Their tier is in ``policies.coordination_registered_for``.
    priority
        What placing them counts for in the first priority: their tier's
        ``severity`` (1 when built directly), so that when capacity is short the
        people least safe without a coordinator are placed first.
    previous
        The current coordinator named in PEOPLE.csv when that person cannot keep
        them (left the team, or does not care-coordinate); ``current`` is then
        ``None``.
    """

    id: str
    tier: str
    weight: float
    stage: str = "all"
    needs: frozenset[str] = frozenset()
    locality: str | None = None
    current: str | None = None
    registered_only: bool = False
    priority: int = 1
    previous: str | None = None


@dataclass(frozen=True)
class CaseloadInstance:
    """People and coordinators; ``people`` and ``coordinators`` keep file order.

    ``other_staff`` are staff ids that are not coordinators (a person's
    current coordinator may be one of them: that person must move).
    """

    coordinators: tuple[Coordinator, ...]
    people: tuple[Person, ...]
    name: str = ""
    other_staff: frozenset[str] = frozenset()
    tier_severity: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        ids = [c.id for c in self.coordinators]
        if len(set(ids)) != len(ids):
            raise ValueError("CaseloadInstance: coordinator ids must be unique")
        pids = [p.id for p in self.people]
        if len(set(pids)) != len(pids):
            raise ValueError("CaseloadInstance: person ids must be unique")
        for p in self.people:
            if p.weight <= 0:
                raise ValueError(f"CaseloadInstance: person {p.id} has weight {p.weight} <= 0")
        for c in self.coordinators:
            if c.capacity < 0:
                raise ValueError(f"CaseloadInstance: coordinator {c.id} has negative capacity")

    @functools.cached_property
    def coordinator_index(self) -> dict[str, int]:
        """Coordinator id -> position (made once: naming the people of a trust's
        solution asked for it 11,000 times; read it, never change it)."""
        return {c.id: k for k, c in enumerate(self.coordinators)}


def qualified(person: Person, coordinator: Coordinator) -> bool:
    """Whether ``coordinator`` may care-coordinate ``person`` (needs and registration),
    regardless of capacity."""
    if person.registered_only and not coordinator.registered:
        return False
    return person.needs <= coordinator.competencies


def eligible(person: Person, coordinator: Coordinator) -> bool:
    """Qualified, and the person alone fits within the coordinator's capacity."""
    return qualified(person, coordinator) and person.weight <= coordinator.capacity + POINTS_EPS


def why_unqualified(person: Person, coordinators: Iterable[Coordinator]) -> str | None:
    """Why no coordinator is qualified for ``person`` (``None`` if one is).

    Names the narrowest missing requirement: the needs no single coordinator
    holds together, or registration.
    """
    pool = list(coordinators)
    if any(qualified(person, c) for c in pool):
        return None
    if not pool:
        return "the team has no care coordinators"
    needs = sorted(person.needs)
    holders = [c for c in pool if person.needs <= c.competencies]
    if person.needs and not holders:
        missing = [n for n in needs if not any(n in c.competencies for c in pool)]
        if missing:
            return f"no care coordinator holds {_and(missing)}"
        return f"no care coordinator holds {_and(needs)} together"
    what = f" holding {_and(needs)}" if needs else ""
    return f"no registered care coordinator{what} (tier {person.tier} needs one)"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def scenario_coordinators(scenario: Scenario) -> tuple[list[Coordinator], frozenset[str]]:
    """The coordinators of a staff-mode scenario (file order) and the other staff ids.

    A coordinator is anyone whose role has ``caseload_capacity > 0``; capacity
    is ``caseload_capacity x fte``; competencies are those held on ``plan_date``
    (:func:`optimiser.demand.build_team`).
    """

    if scenario.staff is None:
        raise ValueError("caseload assignment needs a staff-mode scenario (named staff)")
    team = build_team(scenario)
    lapsed: dict[str, set[str]] = defaultdict(set)  # the competency dashboard's "expired"
    for cell in dashboard(scenario):
        if cell.status == "expired":
            lapsed[cell.staff].add(cell.competency)
    coordinators = []
    others = set()
    for agent in team.agents:
        if agent.caseload_capacity_per_fte > 0 and agent.caseload_points > 0:
            coordinators.append(
                Coordinator(
                    id=agent.id,
                    role=agent.role,
                    # (caseload_capacity x fte: 35 x 0.8 is 28.000000000000004;
                    # the model's numbers stay exact, and HiGHS' path with them)
                    capacity=round(agent.caseload_points, 9),
                    registered=agent.registered,
                    competencies=agent.competencies,
                    locality=agent.locality,
                    lapsed=frozenset(lapsed.get(agent.id, ())),
                )
            )
        else:
            others.add(agent.id)
    return coordinators, frozenset(others)


def quantum(weights: list[float]) -> float | None:
    """Largest q with every weight an integer multiple of q (``None`` if the weights
    are not simple fractions): loads are then multiples of q."""
    fractions = []
    for w in weights:
        f = Fraction(w).limit_denominator(1000)
        # (a weight below 1e-9 is within the tolerance of 0, but no multiple of it)
        if abs(float(f) - w) > 1e-9 or (f == 0) != (w == 0):
            return None
        fractions.append(f)
    if not fractions:
        return None
    denominator = math.lcm(*(f.denominator for f in fractions))
    numerator = math.gcd(*(int(f * denominator) for f in fractions))
    return numerator / denominator if numerator else None


def fair_targets(instance: CaseloadInstance, points: float) -> list[float]:
    """Each coordinator's fair share of ``points`` placed points (in proportion to
    capacity), rounded up to the quantum of the weights so that a load above it
    exceeds it by whole quanta."""
    capacity = sum(c.capacity for c in instance.coordinators)
    share = points / capacity if capacity > 0 else 0.0
    q = quantum(sorted({p.weight for p in instance.people}))
    out = []
    for c in instance.coordinators:
        target = share * c.capacity
        out.append(math.ceil(target / q - 1e-9) * q if q else target)
    return out
