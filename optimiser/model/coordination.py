"""The care-coordination model (C7): whole people per coordinator.

Coordination takes no hours in C1, so it separates from the hours model: an
integer transportation problem of segments to coordinators under weighted
caseload caps, solved with HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimiser import penalties
from optimiser.demand import Agent, Team
from optimiser.model.flex import Flex, FlexSearch, FlexVars
from optimiser.model.hours import Key
from optimiser.model.lp import INF, HighsOptions, LinearModel, Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


@dataclass
class CoordinationSolution:
    """People coordinated per (segment, agent) and uncoordinated per segment."""

    status: Status
    penalty: float
    cost: float
    people: dict[tuple[str, str], int]
    slacks: dict[Key, float]
    flex_steps: int | None = None


class CoordinationModel:
    """Variables y[segment, who] (integers), uncoordinated people, caseload caps."""

    def __init__(
        self,
        scenario: Scenario,
        team: Team,
        strict: bool = False,
        flex: Flex | None = None,
        lp: LinearModel | None = None,
        flexvars: FlexVars | None = None,
        highs: HighsOptions | None = None,
    ) -> None:
        self.scenario = scenario
        self.team = team
        self.lp = lp if lp is not None else LinearModel("coordination", highs)
        self.y: dict[tuple[str, str], Any] = {}
        self.slacks: list[tuple[Key, Any, float]] = []
        self.strict = strict
        if flexvars is None:
            flexvars = FlexVars(self.lp, team, (flex,) if flex is not None else ())
        self.flexvars = flexvars
        self.k = flexvars.k.get(flex.agent) if flex is not None else None
        add_coordination(self)

    def _active(self, agent: Agent) -> bool:
        return agent.fte > 0 or agent.id in self.flexvars

    def coordinators(self, tier: str) -> list[Agent]:
        """Agents who may coordinate someone in ``tier`` (C7 eligibility)."""
        registered_only = tier in self.scenario.policies.coordination_registered_for
        return [
            a
            for a in self.team.agents
            if self._active(a)
            and a.caseload_capacity_per_fte > 0
            and (a.registered or not registered_only)
        ]

    def penalty_terms(self) -> list[tuple[Any, float]]:
        return [(var, w) for _, var, w in self.slacks]

    def cost_terms(self) -> list[tuple[Any, float]]:
        """Top-of-licence: cost per caseload point of the coordinator's role."""
        terms = []
        for (seg_id, agent_id), var in self.y.items():
            agent = self.team.by_id[agent_id]
            weight = self.scenario.tiers[seg_id.split("/", 1)[0]].caseload_weight
            terms.append(
                (var, weight * agent.annual_cost_per_fte / agent.caseload_capacity_per_fte)
            )
        return terms

    def solve(self, time_limit: float | None = None) -> CoordinationSolution:
        """Lexicographic: fewest weighted uncoordinated people, then least cost."""
        if not self.slacks:
            return CoordinationSolution(Status.OPTIMAL, 0.0, 0.0, {}, {})
        self.lp.minimise(self.penalty_terms())
        status = self.lp.solve(time_limit)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            return CoordinationSolution(status, 0.0, 0.0, {}, {})
        best = self.lp.objective_value()
        self.lp.row(
            -INF, best + 1e-7 * max(1.0, best) + 1e-6, self.penalty_terms(), "lexicographic_penalty"
        )
        self.lp.minimise(self.cost_terms())
        status2 = self.lp.solve(time_limit)
        if Status.FEASIBLE in (status, status2):
            status = Status.FEASIBLE
        people = {
            k: int(round(v.solution_value())) for k, v in self.y.items() if v.solution_value() > 0.5
        }
        slacks = {key: var.solution_value() for key, var, _ in self.slacks}
        penalty = sum(var.solution_value() * w for _, var, w in self.slacks)
        cost = sum(v.solution_value() * c for v, c in self.cost_terms())
        return CoordinationSolution(status, penalty, cost, people, slacks)

    def flex_search(self) -> FlexSearch:
        """A search for the fewest flex steps (headcount plays no part in C7)."""
        return FlexSearch(self.lp, self.slacks, self.k, cost_terms=self.cost_terms())

    def feasible_with(self, enforced: set[Key], time_limit: float | None = None) -> bool:
        """Whether the caps plus the ``enforced`` segments can all be coordinated."""
        for key, var, _ in self.slacks:
            var.SetBounds(0.0, 0.0 if key in enforced else INF)
        self.lp.minimise([])
        return self.lp.solve(time_limit) is not Status.INFEASIBLE


def add_coordination(m: CoordinationModel) -> None:
    """C7 ``coordination[segment]`` and ``caseload_cap[who]``."""
    cap_terms: dict[str, list[tuple[Any, float]]] = {}
    for segment in m.scenario.cohort:
        tier = m.scenario.tiers[segment.tier]
        if segment.people <= 0 or not tier.coordination:
            continue
        terms: list[tuple[Any, float]] = []
        for agent in m.coordinators(segment.tier):
            var = m.lp.integer(0, segment.people, f"y_{segment.id}_{agent.id}")
            m.y[(segment.id, agent.id)] = var
            terms.append((var, 1.0))
            cap_terms.setdefault(agent.id, []).append((var, tier.caseload_weight))
        weight = penalties.weight(tier.severity)
        short = m.lp.num(0.0, 0.0 if m.strict else segment.people, f"uncoordinated_{segment.id}")
        m.slacks.append((("coordination", segment.id), short, weight))
        terms.append((short, 1.0))
        m.lp.row(segment.people, segment.people, terms, f"coordination_{segment.id}")
    for agent_id, terms in cap_terms.items():
        agent = m.team.by_id[agent_id]
        row = list(terms)
        if agent_id in m.flexvars:
            step = m.flexvars.flex[agent_id].step
            row.append((m.flexvars.k[agent_id], -agent.caseload_capacity_per_fte * step))
        m.lp.row(-INF, agent.caseload_points + 1e-9, row, f"caseload_cap_{agent_id}")
