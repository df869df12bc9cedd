"""Costed mitigations, computed by re-optimising.

For a risk and a role that could remove it, the *flex* model lets that role's
FTE grow in ``sizing.fte_step`` steps (headcount following ``ceil(fte)``) and
finds the fewest steps that bring the risk's shortfall to zero while no other
requirement gets worse in total (a MILP on the same model).  The answer is then
checked by re-planning the team with the extra FTE.  Competence gaps also get
scope-extension options (train and sign off an existing role), each checked
by re-planning.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimiser.demand import Agent, Team, build_team, demand_rows
from optimiser.model import CoordinationModel, Flex, FlexSearch, HoursModel, ModelOptions
from optimiser.plan import r2

if TYPE_CHECKING:
    from optimiser.scenario import Scenario
    from optimiser.solve import SolveParams

Key = tuple[str, ...]
MAX_OPTIONS = 3
MAX_EXTRA_FTE = 10.0
VERIFY_BUMPS = 3
EPS = 1e-6


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


def _still_short(scenario: Scenario, team: Team, key: Key, params: SolveParams) -> bool:
    from optimiser.solve import solve_values

    values = solve_values(scenario, replace(params, strict=False), team)
    return values.slacks.get(key, 0.0) > EPS


class RoleFlex:
    """Flex models (hours and coordination) letting one role's FTE grow; built once."""

    def __init__(self, scenario: Scenario, role_id: str) -> None:
        self.role_id = role_id
        team = build_team(scenario, include_roles=frozenset({role_id}))
        agent: Agent = team.by_id[role_id]
        self.step = _step(scenario)
        self.max_steps = int(
            math.floor(_max_extra(scenario, role_id, agent.fte) / self.step + 1e-9)
        )
        self._scenario = scenario
        self._team = team
        self._hours: FlexSearch | None = None
        self._coordination: FlexSearch | None = None

    def search(self, key: Key) -> FlexSearch:
        """The flex search of the model that holds requirement ``key``."""
        flex = Flex(self.role_id, self.step, self.max_steps)
        if key[0] == "coordination":
            if self._coordination is None:
                model = CoordinationModel(self._scenario, self._team, flex=flex)
                self._coordination = model.flex_search()
            return self._coordination
        if self._hours is None:
            model = HoursModel(
                self._scenario,
                self._team,
                demand_rows(self._scenario),
                ModelOptions(aggregate=False, flex=flex),
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
    return {
        "action": "add_fte",
        "role": flex.role_id,
        "fte": extra,
        "annual_cost": cost,
        "text": f"Add {extra:g} FTE {role.title} (£{cost:,.0f} a year)",
    }


def extend_scope_options(
    scenario: Scenario, team: Team, risk: dict[str, Any], params: SolveParams
) -> list[dict[str, Any]]:
    """For a competence gap: existing roles that, signed off in the competence, remove it."""
    task = scenario.tasks[risk["task"]]
    reg = risk["tier"] in task.registered_for
    key: Key = tuple(risk["key"])
    comp = scenario.competencies[task.competence]
    options = []
    for agent in sorted(team.agents, key=lambda a: (a.annual_cost_per_fte, a.id)):
        if (
            agent.fte <= 0
            or task.competence in agent.competencies
            or (reg and not agent.registered)
        ):
            continue
        grown = Team.of(
            team.mode,
            [
                replace(a, competencies=a.competencies | {task.competence})
                if a.id == agent.id
                else a
                for a in team.agents
            ],
        )
        if _still_short(scenario, grown, key, params):
            continue
        role = scenario.roles[agent.role]
        who = agent.staff or f"{role.title} staff"
        options.append(
            {
                "action": "extend_scope",
                "role": agent.role,
                "staff": agent.staff,
                "competency": task.competence,
                "annual_cost": None,
                "text": f"Train and sign off {who} in {comp.title} (extended scope; training "
                f"cost not modelled)",
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
    if team.mode != "fte":
        return
    flexes: dict[str, RoleFlex] = {}
    for risk in risks:
        options: list[dict[str, Any]] = []
        for role_id in candidate_roles(scenario, risk):
            if role_id not in flexes:
                flexes[role_id] = RoleFlex(scenario, role_id)
            option = add_fte_option(scenario, risk, flexes[role_id], base_slacks, params)
            if option is not None:
                options.append(option)
        options.sort(key=lambda o: (o["annual_cost"], o["role"]))
        options = options[:MAX_OPTIONS]
        if risk["category"] == "competence_gap":
            options += extend_scope_options(scenario, team, risk, params)
        risk["mitigations"] = options
