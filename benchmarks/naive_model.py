"""The plain ("naive") formulation of the FTE-mode model, as solver-neutral arrays.

This is the benchmark's reference formulation of SCENARIO.md C1-C8 with the
objective of ``optimiser/penalties.py``, written the obvious way:

* one continuous ``x[task, segment, role]`` for every demand row and every
  role eligible for it (no aggregation of segments into demand groups);
* one shortfall variable per soft requirement (coverage per task and segment,
  sign-off per task, duty, supervision per supervisee role, continuity per
  role, coordination per segment);
* ``z[task, role]``, ``d[role]``, integer ``p[supervisor, supervisee]`` and
  integer ``y[segment, role]``;
* care coordination (C7) in the *same* model as the hours (no decomposition).

It imports no solver and nothing from ``optimiser.model`` / ``optimiser.solve``
-- only the scenario data helpers of :mod:`optimiser.demand` and the weights
of :mod:`optimiser.penalties` -- so that :mod:`benchmarks.baseline_highs` can
hand it to ``highspy`` in a process that never loads OR-Tools, and
:mod:`benchmarks.generate` can count its variables.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from optimiser import penalties
from optimiser.demand import Agent, Team, build_team, demand_rows

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

INF = math.inf


@dataclass
class NaiveModel:
    """Columns and rows (CSR) of the plain MILP, with both objective vectors.

    ``penalty`` is the level-1 objective (weighted shortfall), ``cost`` the
    level-2 objective (top-of-licence cost); ``integer`` flags ``p`` and ``y``.
    ``counts`` gives the number of columns of each kind.
    """

    col_lower: list[float] = field(default_factory=list)
    col_upper: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_start: list[int] = field(default_factory=lambda: [0])
    row_index: list[int] = field(default_factory=list)
    row_value: list[float] = field(default_factory=list)

    # -- building ------------------------------------------------------------
    def col(
        self,
        kind: str,
        lower: float,
        upper: float,
        penalty: float = 0.0,
        cost: float = 0.0,
        integer: bool = False,
    ) -> int:
        """Add a column; returns its index."""
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.penalty.append(penalty)
        self.cost.append(cost)
        self.integer.append(integer)
        self.kind.append(kind)
        return len(self.col_lower) - 1

    def row(self, lower: float, upper: float, terms: list[tuple[int, float]]) -> int:
        """Add ``lower <= sum(value * col) <= upper`` (duplicate columns are summed)."""
        merged: dict[int, float] = {}
        for index, value in terms:
            merged[index] = merged.get(index, 0.0) + value
        for index, value in merged.items():
            if value:
                self.row_index.append(index)
                self.row_value.append(value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self.row_start.append(len(self.row_index))
        return len(self.row_lower) - 1

    # -- sizes -----------------------------------------------------------------
    @property
    def num_cols(self) -> int:
        """Number of columns (decision variables)."""
        return len(self.col_lower)

    @property
    def num_rows(self) -> int:
        """Number of rows (constraints)."""
        return len(self.row_lower)

    @property
    def num_nonzeros(self) -> int:
        """Number of matrix coefficients."""
        return len(self.row_index)

    @property
    def counts(self) -> dict[str, int]:
        """Columns by kind (``x``, ``y``, ``p``, ``z``, ``d``, ``slack``)."""
        out: dict[str, int] = {k: 0 for k in ("x", "y", "p", "z", "d", "slack")}
        for k in self.kind:
            out[k] += 1
        return out

    def value(self, objective: list[float], solution: list[float]) -> float:
        """``objective . solution``."""
        return float(sum(c * v for c, v in zip(objective, solution, strict=True) if c))


def build_naive(scenario: Scenario, team: Team | None = None) -> NaiveModel:
    """The plain MILP of an FTE-mode (or staff-mode) scenario.

    Mirrors the constraint families of ``optimiser/model/hours.py`` and
    ``optimiser/model/coordination.py`` one for one (same bounds, same
    weights, same cost coefficients), but per demand row instead of per
    demand group and with C7 in the same model.
    """
    team = team if team is not None else build_team(scenario)
    m = NaiveModel()
    agents = [a for a in team.agents if a.fte > 0]
    load: dict[str, list[tuple[int, float]]] = defaultdict(list)
    non_continuity: dict[str, list[tuple[int, float]]] = defaultdict(list)
    delegated: dict[str, list[int]] = defaultdict(list)

    def eligible(competence: str, registered_only: bool) -> list[Agent]:
        return [
            a
            for a in agents
            if competence in a.competencies and (a.registered or not registered_only)
        ]

    eligible_cache: dict[tuple[str, bool], list[Agent]] = {}

    # C3 coverage: one row per (task, segment)
    for row in demand_rows(scenario):
        task = scenario.tasks[row.task]
        registered_only = row.tier in task.registered_for
        key = (task.competence, registered_only)
        if key not in eligible_cache:
            eligible_cache[key] = eligible(*key)
        severity = scenario.tiers[row.tier].severity
        weight = penalties.weight(penalties.coverage_consequence(severity, task.criticality))
        terms: list[tuple[int, float]] = []
        for agent in eligible_cache[key]:
            j = m.col("x", 0.0, row.hours, cost=agent.cost_per_hour)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            if not task.continuity:
                non_continuity[agent.id].append((j, 1.0))
            if not agent.registered:
                delegated[row.task].append(j)
        terms.append((m.col("slack", 0.0, row.hours, penalty=weight), 1.0))
        m.row(row.hours, row.hours, terms)

    # C4 clinical sign-off: one row per task with a sign-off share
    for task_id, task in scenario.tasks.items():
        if task.signoff_share <= 0 or not delegated[task_id]:
            continue
        terms = [(j, -task.signoff_share) for j in delegated[task_id]]
        for agent in eligible(task.competence, registered_only=True):
            j = m.col("z", 0.0, INF, cost=agent.cost_per_hour)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            non_continuity[agent.id].append((j, 1.0))
        weight = penalties.weight(task.criticality)
        terms.append((m.col("slack", 0.0, INF, penalty=weight), 1.0))
        m.row(0.0, INF, terms)

    # C8 duty cover
    duty = scenario.policies.duty
    if duty is not None and duty.hours_per_week > 0:
        terms = []
        for agent in eligible(duty.competence, registered_only=True):
            j = m.col("d", 0.0, duty.hours_per_week, cost=agent.cost_per_hour)
            terms.append((j, 1.0))
            load[agent.id].append((j, 1.0))
            non_continuity[agent.id].append((j, 1.0))
        weight = penalties.weight(penalties.CONSEQUENCE_DUTY)
        terms.append((m.col("slack", 0.0, duty.hours_per_week, penalty=weight), 1.0))
        m.row(duty.hours_per_week, INF, terms)

    # C5 supervision: persons supervised + unsupervised = headcount; supervisor caps
    cap_terms: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for sub in agents:
        if sub.needs_supervision <= 0:
            continue
        terms = []
        for sup in agents:
            if (
                sup.role not in sub.supervised_by
                or sup.max_supervisees <= 0
                or (sup.id == sub.id and sup.headcount < 2)
            ):
                continue
            j = m.col(
                "p",
                0.0,
                float(sub.headcount),
                cost=sub.needs_supervision * sup.cost_per_hour,
                integer=True,
            )
            terms.append((j, 1.0))
            cap_terms[sup.id].append((j, 1.0))
            load[sup.id].append((j, sub.needs_supervision))
            load[sub.id].append((j, sub.needs_supervision))
        weight = penalties.weight(penalties.supervision_consequence(sub.registered))
        terms.append((m.col("slack", 0.0, INF, penalty=weight), 1.0))
        m.row(float(sub.headcount), float(sub.headcount), terms)
    for sup_id, terms in cap_terms.items():
        sup = team.by_id[sup_id]
        m.row(-INF, float(sup.headcount * sup.max_supervisees), terms)

    # C1 capacity (hard)
    for agent in agents:
        if load.get(agent.id):
            m.row(-INF, agent.available, load[agent.id])

    # C6 protected continuity
    weight = penalties.weight(penalties.CONSEQUENCE_CONTINUITY)
    for agent in agents:
        share = agent.continuity_share
        if share <= 0 or not non_continuity.get(agent.id):
            continue
        erosion = m.col("slack", 0.0, INF, penalty=weight)
        m.row(-INF, (1.0 - share) * agent.available, non_continuity[agent.id] + [(erosion, -1.0)])

    # C7 care coordination, in the same model
    caseload: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for segment in scenario.cohort:
        if segment.people <= 0:
            continue
        tier = scenario.tiers[segment.tier]
        registered_only = segment.tier in scenario.policies.coordination_registered_for
        terms = []
        for agent in agents:
            if agent.caseload_capacity_per_fte <= 0 or not (
                agent.registered or not registered_only
            ):
                continue
            per_person = tier.caseload_weight * agent.annual_cost_per_fte
            j = m.col(
                "y",
                0.0,
                float(segment.people),
                cost=per_person / agent.caseload_capacity_per_fte,
                integer=True,
            )
            terms.append((j, 1.0))
            caseload[agent.id].append((j, tier.caseload_weight))
        weight = penalties.weight(tier.severity)
        terms.append((m.col("slack", 0.0, float(segment.people), penalty=weight), 1.0))
        m.row(float(segment.people), float(segment.people), terms)
    for agent_id, terms in caseload.items():
        m.row(-INF, team.by_id[agent_id].caseload_points + 1e-9, terms)
    return m
