"""Costed mitigations, computed by re-optimising.

For a risk and a role that could remove it, the *flex* model lets that role's
FTE grow in ``sizing.fte_step`` steps and finds the fewest steps that bring the
risk's shortfall to zero while no other requirement gets worse in total (a
MILP on the same model).  In FTE mode the role grows (headcount following
``max(headcount, ceil(fte))``, checked exactly); in staff mode the flex agent
is one new recruit of the role, up to 1.0 FTE.

Sign-off options: for competence gaps (and, in staff mode, any shortfall of
work needing a competence) an existing role or person signed off in the
competence is tried in the same model; renewals of lapsed sign-offs come first.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimiser.demand import Agent, DemandRow, Team, build_team, demand_rows, new_recruit
from optimiser.model import CoordinationModel, Flex, FlexSearch, HoursModel, ModelOptions
from optimiser.plan import r2

if TYPE_CHECKING:
    from optimiser.scenario import Scenario
    from optimiser.solve import SolveParams

Key = tuple[str, ...]
MAX_OPTIONS = 3
MAX_EXTRA_FTE = 10.0
VERIFY_BUMPS = 3
MAX_SIGNOFF_TRIES = 3
SIGNOFF_CATEGORIES = ("review_frequency", "coverage_shortfall", "clinical_oversight")


def _step(scenario: Scenario) -> float:
    return scenario.sizing.fte_step if scenario.sizing else 0.1


def _max_extra(scenario: Scenario, role: str, fte: float) -> float:
    if scenario.sizing and role in scenario.sizing.max_fte:
        return max(0.0, scenario.sizing.max_fte[role] - fte)
    return MAX_EXTRA_FTE


def candidate_roles(scenario: Scenario, risk: dict[str, Any]) -> list[str]:
    """Roles whose extra FTE could remove the risk, cheapest first."""
    roles = scenario.roles
    cat = risk["category"]
    if cat in ("competence_gap", "review_frequency", "coverage_shortfall"):
        task = scenario.tasks[risk["task"]]
        reg = risk["tier"] in task.registered_for
        out = [
            r
            for r, role in roles.items()
            if task.competence in role.competencies and (role.registered or not reg)
        ]
    elif cat == "clinical_oversight":
        comp = scenario.tasks[risk["task"]].competence
        out = [r for r, role in roles.items() if role.registered and comp in role.competencies]
    elif cat == "supervision_capacity":
        sup = roles[risk["role"]].supervision
        out = [
            r
            for r in (sup.supervised_by if sup else [])
            if roles[r].supervision and roles[r].supervision.max_supervisees > 0
        ]
    elif cat == "continuity_erosion":
        out = [risk["role"]]
    elif cat == "caseload_over_capacity":
        reg = risk["tier"] in scenario.policies.coordination_registered_for
        out = [
            r
            for r, role in roles.items()
            if role.caseload_capacity > 0 and (role.registered or not reg)
        ]
    elif cat == "duty_cover":
        duty = scenario.policies.duty
        out = [
            r
            for r, role in roles.items()
            if duty and role.registered and duty.competence in role.competencies
        ]
    else:
        out = []
    # only roles whose competencies hold without a sign-off apply in FTE mode
    return sorted(out, key=lambda r: (roles[r].annual_cost, list(roles).index(r)))


class RoleFlex:
    """Flex models (hours and coordination) letting one role grow; built once, reused."""

    def __init__(
        self, scenario: Scenario, team: Team, demand: list[DemandRow], role_id: str
    ) -> None:
        self.role_id = role_id
        self.step = _step(scenario)
        if team.mode == "staff":
            recruit = new_recruit(scenario, role_id)
            self.team = Team.of(team.mode, [*team.agents, recruit])
            self.agent_id = recruit.id
            self.max_steps = int(math.floor(1.0 / self.step + 1e-9))
            self.person = True
        else:
            self.team = build_team(scenario, include_roles=frozenset({role_id}))
            self.agent_id = role_id
            fte = self.team.by_id[role_id].fte
            self.max_steps = int(math.floor(_max_extra(scenario, role_id, fte) / self.step + 1e-9))
            self.person = False
        self._scenario = scenario
        self._demand = demand
        self._hours: FlexSearch | None = None
        self._coordination: FlexSearch | None = None

    def search(self, key: Key) -> FlexSearch:
        """The flex search of the model that holds requirement ``key``."""
        flex = Flex(self.agent_id, self.step, self.max_steps, person=self.person)
        if key[0] == "coordination":
            if self._coordination is None:
                model = CoordinationModel(self._scenario, self.team, flex=flex)
                self._coordination = model.flex_search()
            return self._coordination
        if self._hours is None:
            model = HoursModel(
                self._scenario, self.team, self._demand, ModelOptions(aggregate=False, flex=flex)
            )
            self._hours = model.flex_search()
        return self._hours


def add_fte_option(
    scenario: Scenario,
    risk: dict[str, Any],
    flex: RoleFlex,
    base_slacks: dict[Key, float],
    params: SolveParams,
) -> dict[str, Any] | None:
    """Smallest extra FTE of a role that removes ``risk`` (None if none within bounds)."""
    if flex.max_steps <= 0:
        return None
    key: Key = tuple(risk["key"])
    search = flex.search(key)
    steps = search.min_steps({key}, base_slacks, params.time_limit)
    if steps is None or steps == 0:
        return None
    for n in range(steps, min(steps + VERIFY_BUMPS, flex.max_steps) + 1):
        if (n == steps and search.exact) or search.holds({key}, base_slacks, n, params.time_limit):
            break
    else:
        return None
    extra = round(n * flex.step, 6)
    role = scenario.roles[flex.role_id]
    cost = r2(extra * role.annual_cost)
    verb = "Recruit" if flex.person else "Add"
    return {
        "action": "add_fte",
        "role": flex.role_id,
        "fte": extra,
        "annual_cost": cost,
        "text": f"{verb} {extra:g} FTE {role.title} (£{cost:,.0f} a year)",
    }


def _signoff_words(scenario: Scenario, agent: Agent, competency: str) -> tuple[str, str]:
    """(kind, text) of signing off ``agent`` in ``competency``."""
    comp = scenario.competencies[competency]
    role = scenario.roles[agent.role]
    if agent.staff is None:
        return "extend_scope", (
            f"Train and sign off {role.title} staff in {comp.title} (training cost not modelled)"
        )
    member = next(m for m in scenario.staff or [] if m.id == agent.staff)
    signed = member.signoffs.get(competency)
    if competency in role.competencies and signed is not None:
        return "renew_signoff", (
            f"Renew {agent.staff}'s sign-off in {comp.title} (signed {signed.isoformat()}, lapsed)"
        )
    if competency in role.competencies:
        return "signoff", f"Sign off {agent.staff} ({role.title}) in {comp.title}"
    return "extend_scope", (
        f"Extend {agent.staff}'s scope ({role.title}): sign off in {comp.title}"
    )


def signoff_options(
    scenario: Scenario,
    team: Team,
    demand: list[DemandRow],
    risk: dict[str, Any],
    base_slacks: dict[Key, float],
    params: SolveParams,
) -> list[dict[str, Any]]:
    """Roles (FTE mode) or people (staff mode) who, signed off in the competency the
    risk's work needs, would remove it with no other requirement getting worse."""
    task = scenario.tasks[risk["task"]]
    registered_only = risk["category"] == "clinical_oversight" or (
        risk["tier"] is not None and risk["tier"] in task.registered_for
    )
    key: Key = tuple(risk["key"])

    def rank(a: Agent) -> tuple:
        in_scope = task.competence in scenario.roles[a.role].competencies
        return (not in_scope, a.annual_cost_per_fte, a.id)

    candidates = sorted(
        (
            a
            for a in team.agents
            if a.fte > 0
            and task.competence not in a.competencies
            and (a.registered or not registered_only)
        ),
        key=rank,
    )
    options: list[dict[str, Any]] = []
    for agent in candidates[:MAX_SIGNOFF_TRIES]:
        grown = Team.of(
            team.mode,
            [
                replace(a, competencies=a.competencies | {task.competence})
                if a.id == agent.id
                else a
                for a in team.agents
            ],
        )
        model = HoursModel(scenario, grown, demand, ModelOptions(aggregate=False))
        if not model.flex_search().removable({key}, base_slacks, params.time_limit):
            continue
        action, text = _signoff_words(scenario, agent, task.competence)
        options.append(
            {
                "action": action,
                "role": agent.role,
                "staff": agent.staff,
                "competency": task.competence,
                "annual_cost": None,
                "text": text,
            }
        )
        if len(options) >= MAX_OPTIONS:
            break
    return options


def mitigate(
    scenario: Scenario,
    team: Team,
    risks: list[dict[str, Any]],
    base_slacks: dict[Key, float],
    params: SolveParams,
) -> None:
    """Fill ``risk["mitigations"]`` for every shortfall risk, cheapest first."""
    demand = demand_rows(scenario)
    flexes: dict[str, RoleFlex] = {}
    for risk in risks:
        options: list[dict[str, Any]] = []
        for role_id in candidate_roles(scenario, risk):
            if role_id not in flexes:
                flexes[role_id] = RoleFlex(scenario, team, demand, role_id)
            option = add_fte_option(scenario, risk, flexes[role_id], base_slacks, params)
            if option is not None:
                options.append(option)
        options.sort(key=lambda o: (o["annual_cost"], o["role"]))
        options = options[:MAX_OPTIONS]
        if risk["category"] == "competence_gap" or (
            team.mode == "staff" and risk["category"] in SIGNOFF_CATEGORIES
        ):
            options += signoff_options(scenario, team, demand, risk, base_slacks, params)
        risk["mitigations"] = options
