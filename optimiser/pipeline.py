"""What ``skillmix solve`` runs: the plan, then its mitigation package.

Stages, one way: :func:`optimiser.solve.solve` plans the team and derives the
register, :func:`optimiser.whatif.assess.assess` adds the costed mitigations
and sign-off expiry; :func:`mitigation_package` then sizes the least-cost additions to
today's team that remove every removable risk (the same model and bounds as
``skillmix size`` without ``--clean-sheet``), re-plans with them to see what
is left, and re-plans without each addition in turn to say which register
entries it clears. The CLI, the report and the web app call :func:`plan`;
:func:`run_whatif` runs resilience and sizing for ``skillmix report``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from optimiser.bounds import todays_fte, with_todays_floor
from optimiser.demand import Team, build_team, new_recruit, with_fte
from optimiser.plan import Plan, r2
from optimiser.progress import Progress
from optimiser.report import WhatIf
from optimiser.risks import SOLVER_EPS
from optimiser.scenario import Scenario
from optimiser.solve import SolveParams, solve_values
from optimiser.status import Status
from optimiser.whatif.assess import assess
from optimiser.whatif.resilience import resilience as run_resilience
from optimiser.whatif.sizing import establishment_scenario, size_establishment
from optimiser.whatif.sizing import size as run_size

Key = tuple[str, ...]


def plan(scenario: Scenario, params: SolveParams | None = None) -> Plan:
    """Plan ``scenario``; with mitigations on, add the mitigation package."""
    params = params or SolveParams()
    result = assess(scenario, params)
    if params.mitigations and result.status is not Status.INFEASIBLE and not params.strict:
        result.mitigation_package = mitigation_package(scenario, result, params)
    return result


def _team_with(
    scenario: Scenario, additions: dict[str, float], heads: dict[str, int]
) -> Team:
    """Today's team plus ``additions`` (FTE by role): FTE mode grows the posts
    with the sizing model's headcounts, ``ceil(fte)``, as ``size`` recommends;
    staff mode adds one new recruit per role (holding the role's whole scope)."""
    if scenario.staff is None:
        today = todays_fte(scenario)
        fte = {r: round(today[r] + additions.get(r, 0.0), 6) for r in scenario.roles}
        head = {r: max(heads.get(r, 0), math.ceil(fte[r] - 1e-9)) for r in scenario.roles}
        return build_team(establishment_scenario(scenario, fte, head))
    team = build_team(scenario)
    recruits = [with_fte(new_recruit(scenario, r), f) for r, f in additions.items() if f > 0]
    return Team.of(team.mode, [*team.agents, *recruits])


def _open_entries(
    scenario: Scenario, plan_: Plan, team: Team, params: SolveParams
) -> tuple[set[str], float]:
    """Register entries with a requirement still short when ``team`` re-plans, and
    the risk penalty left."""
    values = solve_values(scenario, replace(params, strict=False), team)
    short = {k for k, v in values.slacks.items() if v > SOLVER_EPS}
    open_ids = set()
    for risk in plan_.risks:
        keys = {tuple(k) for k in risk.get("keys") or []}
        if keys & short:
            open_ids.add(risk["id"])
    return open_ids, values.penalty


def mitigation_package(scenario: Scenario, plan_: Plan, params: SolveParams) -> dict[str, Any]:
    """The least-cost additions to today's team that remove every removable risk.

    Returns the ``mitigation_package`` of ``plan.json``: the additions by role
    (FTE, new heads, annual cost, the register entries each clears), their
    total cost, the risk penalty left and the entries no addition removes.
    """
    entries = [r for r in plan_.risks if r.get("keys")]
    if not entries:
        return {
            "status": "optimal",
            "additions": [],
            "annual_cost": 0.0,
            "risk_penalty_left": 0.0,
            "clears": [],
            "unfixable": [],
        }
    with Progress(params.progress).task("Mitigation package: sizing", 1) as advance:
        outcome = size_establishment(with_todays_floor(scenario), None, params.time_limit)
        advance(1)
    if outcome.status not in ("optimal", "feasible"):
        return {"status": outcome.status, "additions": [], "annual_cost": None}
    today = todays_fte(scenario)
    additions = {
        r: round(outcome.fte[r] - today[r], 6)
        for r in scenario.roles
        if outcome.fte[r] - today[r] > 1e-9
    }
    heads = outcome.headcount
    left, penalty = _open_entries(
        scenario, plan_, _team_with(scenario, additions, heads), params
    )
    cleared = [r["id"] for r in entries if r["id"] not in left]
    rows = []
    bar = Progress(params.progress).task(
        "Mitigation package: what each addition clears", len(additions)
    )
    with bar as advance:
        for role_id in additions:
            # the entries that come back when this addition is left out are the ones it clears
            without = {r: f for r, f in additions.items() if r != role_id}
            heads_without = {**heads, role_id: math.ceil(today[role_id] - 1e-9)}
            reopened, _ = _open_entries(
                scenario, plan_, _team_with(scenario, without, heads_without), params
            )
            role = scenario.roles[role_id]
            rows.append(
                {
                    "role": role_id,
                    "title": role.title,
                    "fte": additions[role_id],
                    "current_fte": today[role_id],
                    "new_heads": max(0, heads[role_id] - _heads_today(scenario, role_id)),
                    "annual_cost": r2(additions[role_id] * role.annual_cost),
                    "clears": [rid for rid in cleared if rid in reopened],
                }
            )
            advance(1)
    by_entry: dict[str, list[str]] = {}
    for row in rows:
        for rid in row["clears"]:
            by_entry.setdefault(rid, []).append(row["role"])
    for risk in entries:
        risk["package"] = by_entry.get(risk["id"], [])
        if risk["id"] in cleared and risk["package"]:
            words = ", ".join(
                f"{additions[r]:g} FTE {scenario.roles[r].title}" for r in risk["package"]
            )
            risk["package_text"] = f"Cleared by the mitigation package: {words}."
        elif risk["id"] in cleared:
            risk["package_text"] = "Cleared by the mitigation package as a whole."
        else:
            risk["package_text"] = "Not removed by any establishment within the sizing bounds."
    return {
        "status": outcome.status,
        "additions": rows,
        "annual_cost": r2(sum(row["annual_cost"] for row in rows)),
        "risk_penalty_left": r2(penalty),
        "clears": cleared,
        "unfixable": [r["id"] for r in entries if r["id"] in left],
    }


def _heads_today(scenario: Scenario, role_id: str) -> int:
    if scenario.staff is not None:
        return sum(1 for m in scenario.staff if m.role == role_id)
    post = (scenario.establishment or {}).get(role_id)
    return post.headcount if post else 0


def run_whatif(
    scenario: Scenario,
    *,
    resilience: bool = False,
    sizing: bool = False,
    executor: Any = None,
) -> WhatIf:
    """Run resilience and/or sizing with :mod:`optimiser.whatif` for the report.

    Parameters
    ----------
    scenario
        A loaded scenario.
    resilience, sizing
        Which to run.
    executor
        A :mod:`optimiser.whatif.executor` executor for the resilience
        re-plans (default: this process).
    """
    res = size = None
    if resilience:
        res = run_resilience(scenario, executor)
    if sizing:
        size = run_size(scenario).data
    return WhatIf(resilience=res, sizing=size)
