"""``signoff_expiry`` risks: staff sign-offs lapsing within 90 days, re-planned.

Each sign-off that lapses within 90 days of the plan date is taken away and the
team re-planned (the same solve as ``skillmix solve``); a lapse that raises the
least achievable risk penalty is a risk, with its renewal as the mitigation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimiser.categories import Key, risk_entry
from optimiser.categories import consequence as requirement_consequence
from optimiser.competencies import expiring_signoffs
from optimiser.demand import Team
from optimiser.plan import r2
from optimiser.risks import min_score_flag, requirement_name
from optimiser.solve import SolveParams, solve_values

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


def expiry_risks(
    scenario: Scenario,
    team: Team,
    base_slacks: dict[Key, float],
    base_penalty: float,
    params: SolveParams,
    start: int = 1,
) -> list[dict[str, Any]]:
    """``signoff_expiry``: sign-offs lapsing within 90 days whose lapse, re-planned,
    raises the least achievable risk penalty (a new or deeper shortfall).

    The shortfall reported is the net increase, per category, of what the
    re-planned team leaves undone (shifts between people of one category cancel).
    """
    risks: list[dict[str, Any]] = []
    for cell in expiring_signoffs(scenario):
        agent = team.by_id[cell.staff]
        if cell.competency not in agent.competencies:
            continue
        lapsed = Team.of(
            team.mode,
            [
                replace(a, competencies=a.competencies - {cell.competency})
                if a.id == agent.id
                else a
                for a in team.agents
            ],
        )
        values = solve_values(scenario, replace(params, strict=False), lapsed)
        if values.penalty <= base_penalty + 0.01:
            continue
        net: dict[str, float] = defaultdict(float)
        for k in set(values.slacks) | set(base_slacks):
            net[k[0]] += values.slacks.get(k, 0.0) - base_slacks.get(k, 0.0)
        worse = {
            k: v - base_slacks.get(k, 0.0)
            for k, v in values.slacks.items()
            if v - base_slacks.get(k, 0.0) > 0.005 and net[k[0]] > 0.005
        }
        if not worse:
            continue
        hours = sum(
            v
            for kind, v in net.items()
            if v > 0.005 and kind not in ("supervision", "coordination")
        )
        people = sum(
            v for kind, v in net.items() if v > 0.005 and kind in ("supervision", "coordination")
        )
        consequence = max(requirement_consequence(scenario, team, k) for k in worse)
        days = (cell.expires - scenario.plan_date).days if cell.expires else 0
        likelihood = 5 if days <= 30 else 4 if days <= 60 else 3
        comp = scenario.competencies[cell.competency].title
        what = "; ".join(requirement_name(scenario, team, k) for k in list(worse)[:3])
        amount = f"{hours:.2f} hours a week" if hours > 0 else f"{people:g} people"
        expires = cell.expires.isoformat() if cell.expires else "?"
        risks.append(
            risk_entry(
                f"R{start + len(risks)}",
                "signoff_expiry",
                consequence,
                likelihood,
                min_score_flag(scenario, consequence * likelihood),
                f"{cell.staff}'s sign-off in {comp} lapses on {expires}; without renewal "
                f"{amount} of work would go unmet.",
                detail=f"Re-planned with the lapse: {what}.",
                role=cell.role,
                staff=cell.staff,
                about={"competency": cell.competency, "expires": expires},
                shortfall=r2(hours if hours > 0 else people),
                unit="hours_per_week" if hours > 0 else "people",
                key=["signoff_expiry", cell.staff, cell.competency],
                mitigations=[
                    {
                        "action": "renew_signoff",
                        "role": cell.role,
                        "staff": cell.staff,
                        "competency": cell.competency,
                        "annual_cost": None,
                        "text": f"Renew {cell.staff}'s sign-off in {comp} before {expires}",
                    }
                ],
            )
        )
    return risks
