"""The hours model: who does which task hours, sign-off, duty and supervision.

Constraint families C1-C6 and C8 of SCENARIO.md, one builder per family
(``add_capacity``, ``add_coverage``, ...), each adding rows under a stable
name that ``docs/formulation.md`` cites.  Care coordination (C7) uses no hours
and is a separate model (:mod:`optimiser.model.coordination`).

Segments of one task whose work the same agents may do at the same objective
weight are aggregated into one *demand group* (exact: every constraint sums
over them alike); :func:`HoursModel.allocation` splits the group's hours back
over its segments pro rata.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optimiser import penalties
from optimiser.demand import Agent, DemandRow, Team
from optimiser.model.flex import Flex, FlexSearch, FlexVars
from optimiser.model.lp import INF, HighsOptions, LinearModel, Status

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

Key = tuple[str, ...]


@dataclass(frozen=True)
class ModelOptions:
    """How to build the hours model."""

    strict: bool = False
    aggregate: bool = True
    flex: Flex | None = None
    #: HiGHS options of the model's own LinearModel (not of a shared one)
    highs: HighsOptions = field(default_factory=HighsOptions)


@dataclass
class DemandGroup:
    """Segments of one task that the same agents serve at the same weight."""

    key: Key
    task: str
    rows: list[DemandRow]
    eligible: list[Agent]
    weight: float
    slack: Slack | None = None

    @property
    def hours(self) -> float:
        return sum(r.hours for r in self.rows)


@dataclass
class Slack:
    """The shortfall variable of one soft requirement."""

    key: Key
    var: Any
    weight: float


@dataclass
class HoursSolution:
    """Values of a solved hours model, per agent, pre-rounding."""

    status: Status
    penalty: float
    cost: float
    allocation: list[tuple[str, str, str, float]]  # task, segment, agent, hours
    signoff: dict[tuple[str, str], float]
    duty: dict[str, float]
    supervision: dict[tuple[str, str], int]  # (supervisor agent, supervisee agent) -> persons
    slacks: dict[Key, float]
    flex_steps: int | None = None
    num_variables: int = 0
    num_constraints: int = 0


@dataclass
class HoursModel:
    """Variables, constraints and objectives of the hours model."""

    scenario: Scenario
    team: Team
    demand: list[DemandRow]
    options: ModelOptions = field(default_factory=ModelOptions)
    #: share a model and flex variables with another model (sizing)
    lp: LinearModel = None  # type: ignore[assignment]  # made from options.highs
    flexvars: FlexVars = None  # type: ignore[assignment]  # made in build_variables

    def __post_init__(self) -> None:
        if self.lp is None:
            self.lp = LinearModel("hours", self.options.highs)
        self.slacks: list[Slack] = []
        self.x: dict[tuple[int, str], Any] = {}
        self.z: dict[tuple[str, str], Any] = {}
        self.d: dict[str, Any] = {}
        self.p: dict[tuple[str, str], Any] = {}
        self.load: dict[str, list[tuple[Any, float]]] = defaultdict(list)
        self.non_continuity: dict[str, list[tuple[Any, float]]] = defaultdict(list)
        self.build_variables()
        self.groups = self._groups()
        add_coverage(self)
        add_signoff(self)
        add_duty(self)
        add_supervision(self)
        add_capacity(self)
        add_continuity(self)

    # -- helpers -----------------------------------------------------------
    def _active(self, agent: Agent) -> bool:
        return agent.fte > 0 or agent.id in self.flexvars

    def _is_person_flex(self, agent: Agent) -> bool:
        return self.flexvars.is_person(agent.id)

    def _is_flex(self, agent: Agent) -> bool:
        return agent.id in self.flexvars

    def eligible(self, competence: str, registered_only: bool) -> list[Agent]:
        """Agents that may do work needing ``competence`` (C2)."""
        return [
            a
            for a in self.team.agents
            if self._active(a)
            and competence in a.competencies
            and (a.registered or not registered_only)
        ]

    def _slack(self, key: Key, ub: float, weight: float) -> Any:
        var = self.lp.num(0.0, 0.0 if self.options.strict else ub, "short_" + "_".join(key))
        self.slacks.append(Slack(key, var, weight))
        return var

    def _groups(self) -> list[DemandGroup]:
        groups: dict[Key, DemandGroup] = {}
        for row in self.demand:
            task = self.scenario.tasks[row.task]
            registered_only = row.tier in task.registered_for
            key, weight = demand_group(self.scenario, row)
            if not self.options.aggregate:
                key = ("coverage", row.task, row.segment)
            if key not in groups:
                groups[key] = DemandGroup(
                    key, row.task, [], self.eligible(task.competence, registered_only), weight
                )
            groups[key].rows.append(row)
        return list(groups.values())

    # -- variables ---------------------------------------------------------
    def build_variables(self) -> None:
        """Create the flex variables (other variables are made by their family)."""
        if self.flexvars is None:
            flexes = (self.options.flex,) if self.options.flex is not None else ()
            self.flexvars = FlexVars(self.lp, self.team, flexes)
        flex = self.options.flex
        self.k = self.flexvars.k.get(flex.agent) if flex is not None else None
        self.head = self.flexvars.head.get(flex.agent) if flex is not None else None

    def headcount_terms(self, agent: Agent) -> tuple[float, list[tuple[Any, float]]]:
        """Headcount of an agent as ``constant + terms`` (a variable for the flex agent)."""
        if self._is_flex(agent):
            return 0.0, [(self.flexvars.head[agent.id], 1.0)]
        return float(agent.headcount), []

    def capacity_terms(
        self, agent: Agent, share: float = 1.0
    ) -> tuple[float, list[tuple[Any, float]]]:
        """``share x available`` as ``constant + terms`` (grows with the flex steps)."""
        const = share * agent.available
        if self._is_flex(agent):
            step = self.flexvars.flex[agent.id].step
            return const, [(self.flexvars.k[agent.id], -share * agent.available_per_fte * step)]
        return const, []

    # -- objectives --------------------------------------------------------
    def penalty_terms(self) -> list[tuple[Any, float]]:
        """Level 1: weighted shortfall of every soft requirement."""
        return [(s.var, s.weight) for s in self.slacks]

    def cost_terms(self) -> list[tuple[Any, float]]:
        """Level 2: top-of-licence cost of every hour worked or given."""
        terms: list[tuple[Any, float]] = []
        for (_, agent_id), var in self.x.items():
            terms.append((var, self.team.by_id[agent_id].cost_per_hour))
        for (_, agent_id), var in self.z.items():
            terms.append((var, self.team.by_id[agent_id].cost_per_hour))
        for agent_id, var in self.d.items():
            terms.append((var, self.team.by_id[agent_id].cost_per_hour))
        for (sup_id, sub_id), var in self.p.items():
            hours = self.team.by_id[sub_id].needs_supervision
            terms.append((var, hours * self.team.by_id[sup_id].cost_per_hour))
        return terms

    # -- solving -----------------------------------------------------------
    def solve(self, time_limit: float | None = None) -> HoursSolution:
        """Lexicographic solve: least risk penalty, then least cost at that penalty."""
        self.lp.minimise(self.penalty_terms())
        status = self.lp.solve(time_limit)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            return self._empty(status)
        best = self.lp.objective_value()
        cap = self.lp.row(
            -INF,
            best + 1e-7 * max(1.0, abs(best)) + 1e-6,
            self.penalty_terms(),
            "lexicographic_penalty",
        )
        self.lp.minimise(self.cost_terms())
        status2 = self.lp.solve(time_limit)
        if status2 not in (
            Status.OPTIMAL,
            Status.FEASIBLE,
        ):  # pragma: no cover - level 1 is feasible
            cap.SetBounds(-INF, INF)
            self.lp.minimise(self.penalty_terms())
            status2 = self.lp.solve(time_limit)
        if status is Status.FEASIBLE or status2 is Status.FEASIBLE:
            status = Status.FEASIBLE
        if self.team.mode == "staff" and status2 in (Status.OPTIMAL, Status.FEASIBLE):
            self._level3(time_limit)
        return self._solution(status)

    def _level3(self, time_limit: float | None) -> None:
        """Level 3 (staff mode): spread load evenly among the people of a role."""
        cost = self.lp.objective_value()
        balance = add_balance(self)
        if balance:
            self.lp.row(
                -INF,
                cost + 1e-7 * max(1.0, abs(cost)) + 1e-6,
                self.cost_terms(),
                "lexicographic_cost",
            )
            self.lp.minimise(balance)
            if self.lp.solve(time_limit) not in (Status.OPTIMAL, Status.FEASIBLE):
                # numerically stuck: fall back to the level-2 optimum
                self.lp.minimise(self.cost_terms())
                self.lp.solve(time_limit)

    def flex_search(self) -> FlexSearch:
        """A search for the fewest flex steps (without ``options.flex``: a
        removability check only)."""
        flex = self.options.flex
        if flex is None:
            return FlexSearch(self.lp, [(s.key, s.var, s.weight) for s in self.slacks])
        agent = self.team.by_id[flex.agent]

        def headcount(steps: int) -> int:
            return max(agent.headcount, math.ceil(agent.fte + steps * flex.step - 1e-9))

        return FlexSearch(
            self.lp,
            [(s.key, s.var, s.weight) for s in self.slacks],
            self.k,
            self.head,
            headcount,
            self.cost_terms(),
        )

    def feasible_with(self, enforced: set[Key], time_limit: float | None = None) -> bool:
        """Whether the hard constraints plus the ``enforced`` requirements can hold."""
        for s in self.slacks:
            s.var.SetBounds(0.0, 0.0 if s.key in enforced else INF)
        self.lp.minimise([])
        return self.lp.solve(time_limit) is not Status.INFEASIBLE

    def _empty(self, status: Status) -> HoursSolution:
        return HoursSolution(
            status,
            0.0,
            0.0,
            [],
            {},
            {},
            {},
            {},
            num_variables=self.lp.num_variables,
            num_constraints=self.lp.num_constraints,
        )

    def segment_slacks(self) -> dict[Key, float]:
        """Shortfall of every requirement after a solve, coverage per (task, segment)
        (a demand group's shortfall split over its segments pro rata)."""
        slacks: dict[Key, float] = {}
        for group in self.groups:
            assert group.slack is not None  # set by add_coverage
            short = group.slack.var.solution_value()
            for row in group.rows:
                slacks[("coverage", row.task, row.segment)] = short * row.hours / group.hours
        for s in self.slacks:
            if s.key[0] != "coverage":
                slacks[s.key] = s.var.solution_value()
        return slacks

    def _solution(self, status: Status) -> HoursSolution:
        allocation: list[tuple[str, str, str, float]] = []
        for gi, group in enumerate(self.groups):
            total = group.hours
            for row in group.rows:
                share = row.hours / total
                for agent in group.eligible:
                    var = self.x.get((gi, agent.id))
                    if var is None:
                        continue
                    value = var.solution_value() * share
                    if value > 1e-9:
                        allocation.append((row.task, row.segment, agent.id, value))
        slacks = self.segment_slacks()
        penalty = sum(s.var.solution_value() * s.weight for s in self.slacks)
        cost = sum(v.solution_value() * c for v, c in self.cost_terms())
        return HoursSolution(
            status=status,
            penalty=penalty,
            cost=cost,
            allocation=sorted(allocation, key=_alloc_order(self)),
            signoff={k: v.solution_value() for k, v in self.z.items() if v.solution_value() > 1e-9},
            duty={k: v.solution_value() for k, v in self.d.items() if v.solution_value() > 1e-9},
            supervision={
                k: int(round(v.solution_value()))
                for k, v in self.p.items()
                if v.solution_value() > 0.5
            },
            slacks=slacks,
            flex_steps=int(round(self.k.solution_value())) if self.k is not None else None,
            num_variables=self.lp.num_variables,
            num_constraints=self.lp.num_constraints,
        )


def demand_group(scenario: Scenario, row: DemandRow) -> tuple[Key, float]:
    """The demand group of a demand row, and its weight per hour short.

    Segments of a task in one group are served by the same agents at the same
    weight, so the model may treat them as one (exact aggregation); a group's
    shortfall is split over its segments pro rata.
    """
    task = scenario.tasks[row.task]
    registered_only = row.tier in task.registered_for
    severity = scenario.tiers[row.tier].severity
    weight = penalties.weight(penalties.coverage_consequence(severity, task.criticality))
    return ("coverage", row.task, "reg" if registered_only else "any", f"{weight:g}"), weight


def _alloc_order(model: HoursModel):
    task_pos = {t: i for i, t in enumerate(model.scenario.tasks)}
    seg_pos = {s.id: i for i, s in enumerate(model.scenario.cohort)}
    agent_pos = {a.id: i for i, a in enumerate(model.team.agents)}
    return lambda r: (task_pos[r[0]], seg_pos[r[1]], agent_pos[r[2]])


# -- constraint families ---------------------------------------------------------


def add_coverage(m: HoursModel) -> None:
    """C3 ``coverage[task,group]``: sum_who x + shortfall = demand (C2: eligible only)."""
    for gi, group in enumerate(m.groups):
        demand = group.hours
        terms: list[tuple[Any, float]] = []
        for agent in group.eligible:
            var = m.lp.num(0.0, demand, f"x_{group.task}_{gi}_{agent.id}")
            m.x[(gi, agent.id)] = var
            terms.append((var, 1.0))
            m.load[agent.id].append((var, 1.0))
            if not m.scenario.tasks[group.task].continuity:
                m.non_continuity[agent.id].append((var, 1.0))
        short = m._slack(group.key, demand, group.weight)
        group.slack = m.slacks[-1]
        terms.append((short, 1.0))
        m.lp.row(demand, demand, terms, "coverage_" + "_".join(group.key[1:]))


def add_signoff(m: HoursModel) -> None:
    """C4 ``signoff[task]``: sum z + shortfall >= share x non-registered hours."""
    for task_id, task in m.scenario.tasks.items():
        if task.signoff_share <= 0:
            continue
        delegated = [
            (m.x[(gi, a.id)], -task.signoff_share)
            for gi, g in enumerate(m.groups)
            if g.task == task_id
            for a in g.eligible
            if not a.registered
        ]
        if not delegated:
            continue
        terms = list(delegated)
        for agent in m.eligible(task.competence, registered_only=True):
            var = m.lp.num(0.0, INF, f"z_{task_id}_{agent.id}")
            m.z[(task_id, agent.id)] = var
            terms.append((var, 1.0))
            m.load[agent.id].append((var, 1.0))
            m.non_continuity[agent.id].append((var, 1.0))
        weight = penalties.weight(task.criticality)
        terms.append((m._slack(("signoff", task_id), INF, weight), 1.0))
        m.lp.row(0.0, INF, terms, f"signoff_{task_id}")


def add_duty(m: HoursModel) -> None:
    """C8 ``duty``: sum d + shortfall >= duty hours (registered holders only, C2)."""
    duty = m.scenario.policies.duty
    if duty is None or duty.hours_per_week <= 0:
        return
    terms: list[tuple[Any, float]] = []
    for agent in m.eligible(duty.competence, registered_only=True):
        var = m.lp.num(0.0, duty.hours_per_week, f"d_{agent.id}")
        m.d[agent.id] = var
        terms.append((var, 1.0))
        m.load[agent.id].append((var, 1.0))
        m.non_continuity[agent.id].append((var, 1.0))
    weight = penalties.weight(penalties.CONSEQUENCE_DUTY)
    terms.append((m._slack(("duty",), duty.hours_per_week, weight), 1.0))
    m.lp.row(duty.hours_per_week, INF, terms, "duty")


def add_supervision(m: HoursModel) -> None:
    """C5 ``supervision[who]`` and ``supervisor_cap[who]``.

    Persons supervised + unsupervised = headcount; supervisees per supervisor
    <= max_supervisees x headcount; hours count on both sides (in C1).
    """
    cap_terms: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for sub in m.team.agents:
        if sub.needs_supervision <= 0 or not m._active(sub):
            continue
        const, head = m.headcount_terms(sub)
        terms: list[tuple[Any, float]] = [(v, -c) for v, c in head]
        for sup in m.team.agents:
            if (
                sup.role not in sub.supervised_by
                or sup.max_supervisees <= 0
                or not m._active(sup)
                or (
                    sup.id == sub.id
                    and (sup.headcount < 2 and not m._is_flex(sup) or m._is_person_flex(sup))
                )
            ):
                continue
            ub = sub.headcount if not m._is_flex(sub) else sub.headcount + 1000
            var = m.lp.integer(0, ub, f"p_{sup.id}_{sub.id}")
            m.p[(sup.id, sub.id)] = var
            if sup.id == sub.id and m._is_flex(sup):
                # a flexible role supervises its own people only with two or more of
                # them: p <= M b, 2 b <= H (b binary), row ``self_supervision_<who>``
                b = m.lp.integer(0, 1, f"self_supervision_{sup.id}")
                m.lp.row(-INF, 0.0, [(var, 1.0), (b, -float(ub))], f"self_supervision_{sup.id}")
                m.lp.row(
                    0.0,
                    INF,
                    [(m.flexvars.head[sup.id], 1.0), (b, -2.0)],
                    f"self_supervision_headcount_{sup.id}",
                )
            terms.append((var, 1.0))
            cap_terms[sup.id].append((var, 1.0))
            m.load[sup.id].append((var, sub.needs_supervision))
            m.load[sub.id].append((var, sub.needs_supervision))
        weight = penalties.weight(penalties.supervision_consequence(sub.registered))
        short = m._slack(("supervision", sub.id), INF, weight)
        terms.append((short, 1.0))
        m.lp.row(const, const, terms, f"supervision_{sub.id}")
    for sup_id, terms in cap_terms.items():
        sup = m.team.by_id[sup_id]
        const, head = m.headcount_terms(sup)
        row = list(terms) + [(v, -c * sup.max_supervisees) for v, c in head]
        m.lp.row(-INF, const * sup.max_supervisees, row, f"supervisor_cap_{sup_id}")


def add_capacity(m: HoursModel) -> None:
    """C1 ``capacity[who]`` (hard): all hours worked, given and received
    <= ``utilisation_target x available``."""
    for agent in m.team.agents:
        terms = m.load.get(agent.id)
        if not terms:
            continue
        const, flex = m.capacity_terms(agent, agent.utilisation_target)
        m.lp.row(-INF, const, list(terms) + flex, f"capacity_{agent.id}")


def add_continuity(m: HoursModel) -> None:
    """C6 ``continuity[who]``: non-continuity work - erosion <= (1 - s) x available."""
    for agent in m.team.agents:
        share = agent.continuity_share
        terms = m.non_continuity.get(agent.id)
        if share <= 0 or not terms:
            continue
        const, flex = m.capacity_terms(agent, 1.0 - share)
        weight = penalties.weight(penalties.CONSEQUENCE_CONTINUITY)
        erosion = m._slack(("continuity", agent.id), INF, weight)
        m.lp.row(-INF, const, list(terms) + flex + [(erosion, -1.0)], f"continuity_{agent.id}")


def add_balance(m: HoursModel) -> list[tuple[Any, float]]:
    """Staff mode, level 3 ``balance[who]``: utilisation of each person close to a
    common level for their role (L1 deviation), so load is spread evenly.

    Returns the objective terms (empty in FTE mode or for roles of one person).
    """
    if m.team.mode != "staff":
        return []
    by_role: dict[str, list[Agent]] = defaultdict(list)
    for agent in m.team.agents:
        if agent.available > 0:
            by_role[agent.role].append(agent)
    terms: list[tuple[Any, float]] = []
    for role, people in by_role.items():
        if len(people) < 2:
            continue
        level = m.lp.num(0.0, INF, f"balance_level_{role}")
        for agent in people:
            dev = m.lp.num(0.0, INF, f"balance_dev_{agent.id}")
            load = [(v, c / agent.available) for v, c in m.load.get(agent.id, [])]
            m.lp.row(-INF, 0.0, load + [(level, -1.0), (dev, -1.0)], f"balance_hi_{agent.id}")
            m.lp.row(0.0, INF, load + [(level, -1.0), (dev, 1.0)], f"balance_lo_{agent.id}")
            terms.append((dev, 1.0))
    return terms
