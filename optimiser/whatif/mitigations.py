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
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimiser.categories import CATEGORIES
from optimiser.demand import (
    Agent,
    DemandRow,
    Team,
    build_team,
    demand_rows,
    new_recruit,
    with_fte,
)
from optimiser.model.coordination import CoordinationModel
from optimiser.model.flex import Flex, FlexSearch
from optimiser.model.hours import HoursModel, ModelOptions, demand_group
from optimiser.plan import r2
from optimiser.risks import SOLVER_EPS
from optimiser.solve import SolveParams, solve_values

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

Key = tuple[str, ...]
MAX_OPTIONS = 3
#: add-FTE candidates re-planned per risk (cheapest lower bounds first)
MAX_VERIFIED_ROLES = 3
MAX_EXTRA_FTE = 10.0
MAX_SIGNOFF_TRIES = 3


def _step(scenario: Scenario) -> float:
    return scenario.sizing.fte_step if scenario.sizing else 0.1


def _max_extra(scenario: Scenario, role: str, fte: float) -> float:
    if scenario.sizing and role in scenario.sizing.max_fte:
        return max(0.0, scenario.sizing.max_fte[role] - fte)
    return MAX_EXTRA_FTE


def candidate_roles(scenario: Scenario, risk: dict[str, Any]) -> list[str]:
    """Roles whose extra FTE could remove the risk (:data:`CATEGORIES`), cheapest first."""
    roles = scenario.roles
    entry = CATEGORIES.get(risk["category"])
    out = entry.roles(scenario, risk) if entry else []
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
        self.scenario = self._scenario = scenario
        self._demand = demand
        self._hours: FlexSearch | None = None
        #: requirements (model keys) whose shortfall this role's new hours could reduce
        self.serves: frozenset[Key] = frozenset()
        self._coordination: FlexSearch | None = None

    def search(self, key: Key) -> FlexSearch:
        """The flex search of the model that holds requirement ``key``."""
        flex = Flex(self.agent_id, self.step, self.max_steps, person=self.person)
        if key[0] == "coordination":
            if self._coordination is None:
                coordination = CoordinationModel(self._scenario, self.team, flex=flex)
                self._coordination = coordination.flex_search()
            return self._coordination
        if self._hours is None:
            hours = HoursModel(self._scenario, self.team, self._demand, ModelOptions(flex=flex))
            self._hours = hours.flex_search()
            self.serves = _servable(self._scenario, hours, self.agent_id)
        return self._hours


def _servable(scenario: Scenario, model: HoursModel, agent_id: str) -> frozenset[Key]:
    """Model requirements whose shortfall new hours of ``agent_id`` could cut directly."""
    agent = model.team.by_id[agent_id]
    keys: set[Key] = {g.key for g in model.groups if any(a.id == agent_id for a in g.eligible)}
    for task_id, task in scenario.tasks.items():
        if agent.registered and task.competence in agent.competencies:
            keys.add(("signoff", task_id))
    duty = scenario.policies.duty
    if duty is not None and agent.registered and duty.competence in agent.competencies:
        keys.add(("duty",))
    # taking over others' non-continuity work, or supervising, also frees time
    keys.update(s.key for s in model.slacks if s.key[0] in ("continuity", "supervision"))
    return frozenset(keys)


class Targets:
    """The requirements a mitigation must clear to remove a register entry.

    A coverage shortfall is split over the segments of its demand group pro rata,
    so a segment is clear exactly when its whole group is: a coverage row's
    targets are its group's segments. Groups are computed once per scenario.
    """

    def __init__(self, scenario: Scenario, demand: list[DemandRow]) -> None:
        self.group_of: dict[Key, Any] = {}
        members: dict[Any, set[Key]] = {}
        for r in demand:
            key = ("coverage", r.task, r.segment)
            group = demand_group(scenario, r)[0]
            self.group_of[key] = group
            members.setdefault(group, set()).add(key)
        self.members = {g: frozenset(keys) for g, keys in members.items()}

    def of(self, keys: list[Key]) -> frozenset[Key]:
        """The targets of an entry covering the requirement ``keys``."""
        out: set[Key] = set()
        for key in keys:
            group = self.group_of.get(key) if key[0] == "coverage" else None
            out |= self.members[group] if group is not None else {key}
        return frozenset(out)


def representative(team: Team, key: Key) -> dict[str, Any]:
    """The task / tier / segment / role / staff of one requirement key."""
    kind = key[0]
    out: dict[str, Any] = {}
    if kind == "coverage":
        out = {"task": key[1], "segment": key[2], "tier": key[2].split("/", 1)[0]}
    elif kind == "signoff":
        out = {"task": key[1]}
    elif kind in ("supervision", "continuity"):
        agent = team.by_id[key[1]]
        out = {"role": agent.role, "staff": agent.staff}
    elif kind == "coordination":
        out = {"segment": key[1], "tier": key[1].split("/", 1)[0]}
    return out


def _parts(targets: frozenset[Key]) -> tuple[str, ...]:
    kinds = {k[0] for k in targets}
    if kinds == {"coordination"}:
        return ("coordination",)
    if "coordination" not in kinds:
        return ("hours",)
    return ("hours", "coordination")


def replan_clears(
    scenario: Scenario, team: Team, targets: frozenset[Key], params: SolveParams
) -> bool:
    """Whether re-planning ``team`` (the same solve as ``skillmix solve``) leaves every
    target requirement met."""
    values = solve_values(scenario, replace(params, strict=False), team, _parts(targets))
    return all(values.slacks.get(k, 0.0) <= SOLVER_EPS for k in targets)


class ModelKeys:
    """Requirement keys as the (aggregated) model names them: coverage segments by
    their demand group (built once per register from its demand rows)."""

    def __init__(self, scenario: Scenario, demand: list[DemandRow]) -> None:
        self.group = {
            ("coverage", r.task, r.segment): demand_group(scenario, r)[0] for r in demand
        }

    def keys(self, keys: frozenset[Key]) -> frozenset[Key]:
        """The model's keys of these plan keys."""
        return frozenset(self.group.get(key, key) for key in keys)

    def slacks(self, slacks: dict[Key, float]) -> dict[Key, float]:
        """Plan shortfalls (coverage per segment) summed to the model's keys."""
        out: dict[Key, float] = {}
        for key, value in slacks.items():
            key = self.group.get(key, key)
            out[key] = out.get(key, 0.0) + value
        return out


class Verifier:
    """Re-plans one role grown by ``n`` steps, in its flex model, with a cache."""

    def __init__(self, flex: RoleFlex, params: SolveParams) -> None:
        self.flex, self.params = flex, params
        self._cache: dict[tuple[str, int], dict[Key, float] | None] = {}

    def clears(self, targets: frozenset[Key], steps: int) -> bool:
        """Whether re-planning with ``steps`` more steps meets every target."""
        kind = "coordination" if next(iter(targets))[0] == "coordination" else "hours"
        if (kind, steps) not in self._cache:
            search = self.flex.search(next(iter(targets)))
            self._cache[(kind, steps)] = search.replan(steps, self.params.time_limit)
        slacks = self._cache[(kind, steps)]
        return slacks is not None and all(slacks.get(k, 0.0) <= SOLVER_EPS for k in targets)

    def _jump(self, targets: frozenset[Key], steps: int) -> int:
        """Steps still needed, estimated: new hours go first to shortfalls of higher
        weight that this role can serve, then to the targets; one step adds
        ``step x available`` hours (``step x caseload capacity`` points)."""
        agent = self.flex.team.by_id[self.flex.agent_id]
        kind = next(iter(targets))[0]
        slacks = self._cache.get(("coordination" if kind == "coordination" else "hours", steps))
        if not slacks:
            return 1
        if kind == "coordination":
            per_step = self.flex.step * agent.caseload_capacity_per_fte
            weight = min(t.caseload_weight for t in self.flex.scenario.tiers.values())
            need = weight * sum(slacks.get(k, 0.0) for k in targets)
        else:
            per_step = self.flex.step * agent.capacity_per_fte
            search = self.flex.search(next(iter(targets)))
            weights = {key: w for key, _, w in search.slacks}
            top = max(weights.get(k, 0.0) for k in targets)
            need = sum(self._hours_of(k, slacks.get(k, 0.0)) for k in targets) + sum(
                self._hours_of(k, slacks.get(k, 0.0))
                for k in self.flex.serves
                if k not in targets and weights.get(k, 0.0) >= top
            )
        if per_step <= 0:
            return 1
        return max(1, math.ceil(need / per_step - 1e-9))

    def seed(self, base: dict[Key, float]) -> None:
        """The current plan is the re-plan at 0 steps (both models)."""
        self._cache[("hours", 0)] = {k: v for k, v in base.items() if k[0] != "coordination"}
        self._cache[("coordination", 0)] = {k: v for k, v in base.items() if k[0] == "coordination"}

    def estimate(self, targets: frozenset[Key]) -> int:
        """Steps the targets need, estimated from the current plan (see ``_jump``)."""
        self.flex.search(next(iter(targets)))  # builds the model and ``serves``
        return self._jump(targets, 0)

    def _hours_of(self, key: Key, short: float) -> float:
        """A shortfall in hours (a person unsupervised: the supervision hours)."""
        if key[0] == "supervision":
            return short * self.flex.team.by_id[key[1]].needs_supervision
        return short

    def fewest(self, targets: frozenset[Key], lowest: int) -> int | None:
        """Fewest steps from ``lowest`` whose re-plan meets the targets, or None within
        the role's bound.  Jumps by the steps the remaining shortfall needs at least
        (doubling when a jump fails), then bisects."""
        highest = self.flex.max_steps
        if lowest > highest:
            return None
        if self.clears(targets, lowest):
            return lowest
        failed, stride = lowest, 1
        while True:
            n = min(failed + max(stride, self._jump(targets, failed)), highest)
            if self.clears(targets, n):
                break
            if n == highest:
                return None
            failed, stride = n, stride * 2
        while n - failed > 1:
            mid = (failed + n) // 2
            if self.clears(targets, mid):
                n = mid
            else:
                failed = mid
        return n


def _confirm_plain(
    scenario: Scenario,
    team: Team,
    verifier: Verifier,
    targets: frozenset[Key],
    steps: int,
    params: SolveParams,
) -> int | None:
    flex = verifier.flex
    agent = flex.team.by_id[flex.agent_id]
    for n in range(steps, min(steps + 3, flex.max_steps) + 1):
        fte = round(agent.fte + n * flex.step, 6)
        if flex.person:
            grown = Team.of(team.mode, [*team.agents, with_fte(agent, fte, 1)])
        else:
            grown = Team.of(
                team.mode, [with_fte(a, fte) if a.id == agent.id else a for a in flex.team.agents]
            )
        if replan_clears(scenario, grown, targets, params):
            return n
    return None


def lower_bound_steps(
    flex: RoleFlex, targets: frozenset[Key], base_slacks: dict[Key, float], params: SolveParams
) -> int | None:
    """Fewest steps with which the targets *can* be met, no other requirement worse in
    total (one MILP); a lower bound for :meth:`Verifier.fewest`."""
    if flex.max_steps <= 0:
        return None
    search = flex.search(next(iter(targets)))
    steps = search.min_steps(set(targets), base_slacks, params.time_limit)
    # the risk exists, so at least one step is needed (the relaxation may say 0)
    return None if steps is None else max(1, steps)


def _fte_option(scenario: Scenario, flex: RoleFlex, steps: int) -> dict[str, Any]:
    extra = round(steps * flex.step, 6)
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
    return "extend_scope", f"Extend {agent.staff}'s scope ({role.title}): sign off in {comp.title}"


def signoff_options(
    scenario: Scenario,
    team: Team,
    risk: dict[str, Any],
    targets: frozenset[Key],
    params: SolveParams,
) -> list[dict[str, Any]]:
    """Roles (FTE mode) or people (staff mode) who, signed off in the competency the
    risk's work needs, would clear it when the team is re-planned.

    Only competencies with a local sign-off rule (``signoff_valid_months``) can be
    signed off; others (prescribing, say) come with a profession's registration.
    In staff mode renewals of lapsed sign-offs and missing in-scope sign-offs
    come before extended scope.
    """
    task = scenario.tasks[risk["task"]]
    comp = scenario.competencies[task.competence]
    registered_only = risk["category"] == "clinical_oversight" or (
        risk["tier"] is not None and risk["tier"] in task.registered_for
    )

    def in_scope(a: Agent) -> bool:
        return task.competence in scenario.roles[a.role].competencies

    candidates = sorted(
        (
            a
            for a in team.agents
            if a.fte > 0
            and task.competence not in a.competencies
            and (a.registered or not registered_only)
            and (comp.signoff_valid_months is not None or in_scope(a))
        ),
        key=lambda a: (not in_scope(a), a.annual_cost_per_fte, a.id),
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
        if not replan_clears(scenario, grown, targets, params):
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


def _new_role_option(scenario: Scenario, risk: dict[str, Any]) -> dict[str, Any] | None:
    """A competence no role in the scenario holds: say which kind of post is missing."""
    task = scenario.tasks[risk["task"]]
    if any(task.competence in r.competencies for r in scenario.roles.values()):
        return None
    comp = scenario.competencies[task.competence]
    registered = risk["tier"] is not None and risk["tier"] in task.registered_for
    return {
        "action": "new_role",
        "role": None,
        "competency": task.competence,
        "annual_cost": None,
        "text": f"No role in this scenario holds {comp.title}: add a "
        f"{'registered ' if registered else ''}post that does (cost it in the scenario "
        f"and re-plan)",
    }


def mitigate(
    scenario: Scenario,
    team: Team,
    risks: list[dict[str, Any]],
    base_slacks: dict[Key, float],
    params: SolveParams,
    advance: Callable[[int], None] | None = None,
) -> None:
    """Fill ``risk["mitigations"]`` for every shortfall risk, cheapest first
    (``advance(1)`` after each, for a progress bar).

    Each add-FTE option is the fewest ``fte_step`` increments of one role after
    which re-planning (the same solve) leaves the risk's requirement met: a MILP
    gives a lower bound, re-plans confirm it.
    """
    demand = demand_rows(scenario)
    model_keys = ModelKeys(scenario, demand)
    base = model_keys.slacks(base_slacks)
    flexes: dict[str, RoleFlex] = {}
    verifiers: dict[str, Verifier] = {}
    done: dict[frozenset[Key], list[dict[str, Any]]] = {}
    target_sets = Targets(scenario, demand)
    for entry in risks:
        keys = [tuple(k) for k in entry.get("keys") or [entry["key"]]]
        plan_targets = target_sets.of(keys)
        # the rows of an entry share one cause, so its first row stands for all
        # in choosing candidate roles and sign-offs
        risk = {**entry, **representative(team, keys[0])}
        targets = model_keys.keys(plan_targets)
        if targets in done:
            entry["mitigations"] = [dict(o) for o in done[targets]]
            if advance is not None:
                advance(1)
            continue
        # a MILP lower bound per candidate; candidates are confirmed cheapest bound
        # first, and only while their bound can still beat the options kept
        bounds: list[tuple[float, str, int]] = []
        for role_id in candidate_roles(scenario, risk):
            if role_id not in flexes:
                flexes[role_id] = RoleFlex(scenario, team, demand, role_id)
                verifiers[role_id] = Verifier(flexes[role_id], params)
                verifiers[role_id].seed(base)
            lower = lower_bound_steps(flexes[role_id], targets, base, params)
            if lower is not None:
                cost = lower * flexes[role_id].step * scenario.roles[role_id].annual_cost
                bounds.append((cost, role_id, lower))
        bounds.sort()
        options: list[dict[str, Any]] = []
        for cost_bound, role_id, lower in bounds[:MAX_VERIFIED_ROLES]:
            if len(options) >= MAX_OPTIONS and cost_bound >= options[-1]["annual_cost"]:
                break
            steps = verifiers[role_id].fewest(targets, lower)
            if steps is not None and targets and next(iter(targets))[0] == "coordination":
                # the coordination model has many equal-cost ties: confirm with the
                # plain re-plan that ``solve`` runs, a step more at most thrice
                steps = _confirm_plain(
                    scenario, team, verifiers[role_id], plan_targets, steps, params
                )
            if steps is not None:
                options.append(_fte_option(scenario, flexes[role_id], steps))
                options.sort(key=lambda o: (o["annual_cost"], o["role"]))
                options = options[:MAX_OPTIONS]
        if risk["category"] == "competence_gap" or (
            team.mode == "staff" and CATEGORIES[risk["category"]].signoff_mitigation
        ):
            options += signoff_options(scenario, team, risk, plan_targets, params)
        if risk["category"] == "competence_gap":
            extra = _new_role_option(scenario, risk)
            if extra is not None:
                options.append(extra)
        done[targets] = options
        entry["mitigations"] = options
        if advance is not None:
            advance(1)
