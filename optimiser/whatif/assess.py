"""``assess(scenario, params) -> Plan``: the plan with its re-optimised register.

The second stage of the pipeline (:mod:`optimiser.pipeline`), after
:func:`optimiser.solve.solve` has planned the team and derived its register:

1. costed mitigations for every shortfall entry (:mod:`optimiser.whatif.mitigations`),
   when ``params.mitigations``;
2. in staff mode, ``signoff_expiry`` entries for sign-offs lapsing within 90
   days (:mod:`optimiser.whatif.expiry`), when ``params.expiry_risks``,
   numbered after the entries of the plan.

What-if commands that report a register (sizing's recommendation, resilience,
compare) call this; ``skillmix solve`` adds the mitigation package on top.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from optimiser.demand import build_team
from optimiser.plan import Plan
from optimiser.progress import Progress
from optimiser.solve import SolveParams, solve
from optimiser.status import Status
from optimiser.whatif.expiry import expiry_risks
from optimiser.whatif.mitigations import mitigate

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


def assess(scenario: Scenario, params: SolveParams | None = None) -> Plan:
    """Plan ``scenario`` and complete its register: mitigations, then sign-off expiry."""
    params = params or SolveParams()
    started = time.perf_counter()
    plan = solve(scenario, params)
    if plan.status is Status.INFEASIBLE and params.strict:
        return plan  # the register is the minimal conflicts: nothing to re-plan
    team = build_team(scenario)
    entries = [r for r in plan.risks if r.get("keys")]
    if params.mitigations and entries:
        with Progress(params.progress).task("Mitigations", len(entries)) as advance:
            mitigate(scenario, team, entries, plan.shortfalls, params, advance)
    if team.mode == "staff" and params.expiry_risks:
        base_penalty = float(plan.objective.get("risk_penalty") or 0.0)
        plan.risks += expiry_risks(
            scenario, team, plan.shortfalls, base_penalty, params, start=len(plan.risks) + 1
        )
    plan.solve_seconds = round(time.perf_counter() - started, 3)
    return plan
