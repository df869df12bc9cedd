"""The workforce risk register: shortfalls of a plan as scored, costed risks.

Shortfalls are re-derived from the plan's rounded rows (exactly as an
independent checker would) and reported where the optimiser's own shortfall
variable is positive too, so rounding noise never becomes a risk.  Scoring
uses :mod:`optimiser.penalties`.  Nothing here re-optimises: costed mitigations
(:mod:`optimiser.whatif.mitigations`) and sign-off expiry
(:mod:`optimiser.whatif.expiry`) are later stages (:mod:`optimiser.whatif.assess`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from optimiser import penalties
from optimiser.categories import (
    CATEGORIES,
    Key,
    Shortfall,
    coverage_category,
    risk_entry,
)
from optimiser.categories import consequence as requirement_consequence
from optimiser.demand import DemandRow, Team
from optimiser.plan import Plan, r2

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

SOLVER_EPS = 1e-4  # hours or people; far below the 0.01 rounding of the plan

def _who(row: dict, role_key: str = "role", staff_key: str = "staff") -> str:
    return row[staff_key] if row.get(staff_key) is not None else row[role_key]


def derive_shortfalls(
    scenario: Scenario, team: Team, demand: list[DemandRow], plan: Plan
) -> dict[Key, Shortfall]:
    """Every requirement's shortfall as the plan rows show it (positive ones only)."""
    out: dict[Key, Shortfall] = {}
    alloc: dict[tuple[str, str], float] = defaultdict(float)
    delegated: dict[str, float] = defaultdict(float)
    noncont: dict[str, float] = defaultdict(float)
    for row in plan.allocation:
        alloc[(row["task"], row["segment"])] += row["hours_per_week"]
        if not scenario.roles[row["role"]].registered:
            delegated[row["task"]] += row["hours_per_week"]
        if not scenario.tasks[row["task"]].continuity:
            noncont[_who(row)] += row["hours_per_week"]
    for d in demand:
        amount = r2(d.hours) - alloc[(d.task, d.segment)]
        task = scenario.tasks[d.task]
        severity = scenario.tiers[d.tier].severity
        out[("coverage", d.task, d.segment)] = Shortfall(
            ("coverage", d.task, d.segment),
            coverage_category(scenario, team, d.task, d.tier),
            amount,
            d.hours,
            "hours_per_week",
            penalties.coverage_consequence(severity, task.criticality),
            task=d.task,
            tier=d.tier,
            segment=d.segment,
        )
    signed: dict[str, float] = defaultdict(float)
    for row in plan.signoff:
        signed[row["task"]] += row["hours_per_week"]
        noncont[_who(row)] += row["hours_per_week"]
    for task_id, task in scenario.tasks.items():
        need = task.signoff_share * delegated[task_id]
        if need > 0:
            out[("signoff", task_id)] = Shortfall(
                ("signoff", task_id),
                "clinical_oversight",
                need - signed[task_id],
                need,
                "hours_per_week",
                task.criticality,
                task=task_id,
            )
    duty_given = 0.0
    for row in plan.duty:
        duty_given += row["hours_per_week"]
        noncont[_who(row)] += row["hours_per_week"]
    duty = scenario.policies.duty
    if duty is not None and duty.hours_per_week > 0:
        out[("duty",)] = Shortfall(
            ("duty",),
            "duty_cover",
            duty.hours_per_week - duty_given,
            duty.hours_per_week,
            "hours_per_week",
            penalties.CONSEQUENCE_DUTY,
        )
    supervised: dict[str, int] = defaultdict(int)
    for row in plan.supervision:
        supervised[_who(row, "supervisee_role", "supervisee")] += row["persons"]
    for agent in team.agents:
        if agent.fte <= 0:
            continue
        if agent.needs_supervision > 0:
            out[("supervision", agent.id)] = Shortfall(
                ("supervision", agent.id),
                "supervision_capacity",
                agent.headcount - supervised[agent.id],
                agent.headcount,
                "people",
                penalties.supervision_consequence(agent.registered),
                role=agent.role,
                staff=agent.staff,
                extra={"needs_hours_per_week": agent.needs_supervision},
            )
        if agent.continuity_share > 0:
            limit = (1 - agent.continuity_share) * agent.available
            out[("continuity", agent.id)] = Shortfall(
                ("continuity", agent.id),
                "continuity_erosion",
                noncont[agent.id] - limit,
                agent.continuity_share * agent.available,
                "hours_per_week",
                penalties.CONSEQUENCE_CONTINUITY,
                role=agent.role,
                staff=agent.staff,
            )
    coordinated: dict[str, int] = defaultdict(int)
    for row in plan.coordination:
        coordinated[row["segment"]] += row["people"]
    for seg in scenario.cohort:
        if seg.people > 0 and scenario.tiers[seg.tier].coordination:
            out[("coordination", seg.id)] = Shortfall(
                ("coordination", seg.id),
                "caseload_over_capacity",
                seg.people - coordinated[seg.id],
                seg.people,
                "people",
                scenario.tiers[seg.tier].severity,
                tier=seg.tier,
                segment=seg.id,
            )
    return out


def min_score_flag(scenario: Scenario, score: int) -> bool:
    flags = scenario.policies.red_flags
    return bool(flags and flags.min_score is not None and score >= flags.min_score)


def is_red_flag(scenario: Scenario, s: Shortfall, score: int) -> bool:
    """Red flag thresholds (``policies.red_flags``; defaults per SCENARIO.md)."""
    flags = scenario.policies.red_flags
    hours = flags.registered_only_hours if flags else 8.0
    share = flags.registered_only_share if flags else 0.25
    min_score = flags.min_score if flags else None
    if min_score is not None and score >= min_score:
        return True
    registered_only = (
        s.key[0] == "coverage"
        and s.task is not None
        and s.tier is not None
        and s.tier in scenario.tasks[s.task].registered_for
    )
    if registered_only:
        return s.amount > hours or (s.requirement > 0 and s.amount / s.requirement > share)
    return False


def _same(values: list[Any]) -> Any:
    """The value all rows share, else ``None``."""
    return values[0] if len(set(values)) == 1 else None


def register(
    scenario: Scenario,
    team: Team,
    demand: list[DemandRow],
    plan: Plan,
    solver_slacks: dict[Key, float],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The risk register of a solved plan and its shortfall rows (PLAN.md).

    Every unmet requirement is one shortfall row; rows with one cause
    (:func:`cause`) form one register entry, sorted by score, then file order;
    ``skill_mix_dilution`` follows.  Pure: derived from the plan rows and the
    solver's slacks, no re-optimising (mitigations and sign-off expiry are
    stages after it, :mod:`optimiser.whatif.assess`).  Returns
    ``(risks, shortfall_rows)``.
    """
    derived = derive_shortfalls(scenario, team, demand, plan)
    found = [
        s
        for key, s in derived.items()
        if solver_slacks.get(key, 0.0) > SOLVER_EPS and r2(s.amount) > 0
    ]
    groups: dict[tuple[Any, ...], list[Shortfall]] = {}
    for s in found:
        groups.setdefault(CATEGORIES[s.category].cause(scenario, s), []).append(s)
    risks: list[dict[str, Any]] = []
    members: list[list[Shortfall]] = []
    for rows in groups.values():
        amount = sum(r.amount for r in rows)
        requirement = sum(r.requirement for r in rows)
        consequence = max(r.consequence for r in rows)
        likelihood = penalties.likelihood(amount, requirement)
        score = consequence * likelihood
        first = rows[0]
        entry = CATEGORIES[first.category]
        if len(rows) == 1:
            title, detail = entry.describe(scenario, first)
        else:
            title, detail = entry.describe_group(scenario, rows)
        combined = Shortfall(
            first.key, first.category, amount, requirement, first.unit, consequence,
            task=first.task, tier=first.tier, segment=first.segment,
        )  # fmt: skip
        red = any(is_red_flag(scenario, r, r.consequence * likelihood) for r in rows)
        risks.append(
            risk_entry(
                "",
                first.category,
                consequence,
                likelihood,
                red or is_red_flag(scenario, combined, score),
                title,
                detail=detail,
                task=_same([r.task for r in rows]),
                tier=_same([r.tier for r in rows]),
                segment=_same([r.segment for r in rows]),
                role=_same([r.role for r in rows]),
                staff=_same([r.staff for r in rows]),
                shortfall=r2(amount),
                unit=first.unit,
                requirement=r2(requirement),
                extra={"rows": len(rows)},
                key=list(first.key),
                keys=[list(r.key) for r in rows],
                mitigations=[],
            )
        )
        members.append(rows)
    order = sorted(range(len(risks)), key=lambda i: (-risks[i]["score"], i))
    risks = [{**risks[i], "id": f"R{n}"} for n, i in enumerate(order, start=1)]
    rows_out: list[dict[str, Any]] = []
    for risk, i in zip(risks, order, strict=True):
        for r in members[i]:
            rows_out.append(
                {
                    "category": r.category,
                    "task": r.task,
                    "tier": r.tier,
                    "segment": r.segment,
                    "role": r.role,
                    "staff": r.staff,
                    "shortfall": r2(r.amount),
                    "unit": r.unit,
                    "requirement": r2(r.requirement),
                    "risk": risk["id"],
                }
            )
    risks += skill_mix_risks(scenario, team, start=len(risks) + 1)
    return risks, rows_out


def skill_mix_risks(scenario: Scenario, team: Team, start: int = 1) -> list[dict[str, Any]]:
    """``skill_mix_dilution``: today's registered share of the team's FTE is below
    ``policies.registered_share_min``.

    The registered FTE to add (everyone else kept) to reach the floor is
    ``(share x T - R) / (1 - share)`` for registered FTE ``R`` of ``T`` in all
    (with a floor of 1: the unregistered FTE); the shortfall is reported as the
    contracted hours a week of that FTE (``hours_per_fte`` each), the unit the
    contract allows, and the FTE in the title and ``shortfall_fte``.
    """
    share = scenario.policies.registered_share_min
    total = sum(a.fte for a in team.agents)
    registered = sum(a.fte for a in team.agents if a.registered)
    if not share or total <= 0 or registered >= share * total - 1e-9:
        return []
    gap = share * total - registered
    add = gap / (1.0 - share) if share < 1 else total - registered
    likelihood = penalties.likelihood(gap, share * total)
    consequence = penalties.CONSEQUENCE_SKILL_MIX
    score = consequence * likelihood
    mitigations = []
    step = scenario.sizing.fte_step if scenario.sizing else 0.1
    candidates = [(r.annual_cost, rid) for rid, r in scenario.roles.items() if r.registered]
    if candidates and share < 1:
        cost, rid = min(candidates)
        fte = round(step * math.ceil(add / step - 1e-9), 6)
        title = scenario.roles[rid].title
        mitigations.append(
            {
                "action": "add_fte",
                "role": rid,
                "fte": fte,
                "annual_cost": r2(fte * cost),
                "text": f"Add {fte:g} FTE {title} (£{fte * cost:,.0f} a year)",
            }
        )
    return [
        risk_entry(
            f"R{start}",
            "skill_mix_dilution",
            consequence,
            likelihood,
            min_score_flag(scenario, score),
            f"Only {100 * registered / total:.0f}% of the team's FTE is registered, "
            f"below the {100 * share:.0f}% floor: {add:.2f} more registered FTE are needed.",
            detail=f"Registered {registered:g} of {total:g} FTE; "
            f"policies.registered_share_min {share:g}.",
            shortfall=r2(add * scenario.hours_per_fte),
            unit="hours_per_week",
            shortfall_fte=r2(add),
            requirement=r2(share * total * scenario.hours_per_fte),
            key=["skill_mix"],
            mitigations=mitigations,
        )
    ]


def conflict_risks(
    scenario: Scenario, team: Team, demand: list[DemandRow], conflicts: list[list[Key]]
) -> list[dict[str, Any]]:
    """``infeasible_requirements`` risks: one per requirement of each minimal conflict."""
    demand_by_key: dict[Key, DemandRow] = {("coverage", d.task, d.segment): d for d in demand}
    risks: list[dict[str, Any]] = []
    for c, conflict in enumerate(conflicts, start=1):
        names = [requirement_name(scenario, team, k) for k in conflict]
        for key, name in zip(conflict, names, strict=True):
            d = demand_by_key.get(key)
            consequence = requirement_consequence(scenario, team, key)
            by_agent = key[0] in ("supervision", "continuity")
            risks.append(
                risk_entry(
                    f"R{len(risks) + 1}",
                    "infeasible_requirements",
                    consequence,
                    5,
                    True,
                    f"Under strict rules the team cannot meet {name} together with the "
                    f"other {len(conflict) - 1} requirement(s) of conflict {c}.",
                    detail=f"Conflict {c} ({len(conflict)} requirements that cannot all hold; "
                    f"relaxing any one of them lets the others hold): " + "; ".join(names) + ".",
                    task=key[1] if key[0] in ("coverage", "signoff") else None,
                    tier=d.tier
                    if d
                    else (key[1].split("/", 1)[0] if key[0] == "coordination" else None),
                    segment=d.segment if d else (key[1] if key[0] == "coordination" else None),
                    role=team.by_id[key[1]].role if by_agent else None,
                    staff=team.by_id[key[1]].staff if by_agent else None,
                    shortfall=None,
                    unit=None,
                    extra={"conflict": c},
                    key=list(key),
                    mitigations=[],
                )
            )
    return _renumber(sorted(risks, key=lambda r: (-r["score"], r["conflict"])))


def _renumber(risks: list[dict[str, Any]], start: int = 1) -> list[dict[str, Any]]:
    """Ids R1, R2, ... in list order (the id first in each dict)."""
    out = []
    for n, risk in enumerate(risks, start=start):
        rest = {k: v for k, v in risk.items() if k != "id"}
        out.append({"id": f"R{n}", **rest})
    return out


def requirement_name(scenario: Scenario, team: Team, key: Key) -> str:
    """A requirement in words, for conflict reports."""
    kind = key[0]
    if kind == "coverage":
        return f"{scenario.tasks[key[1]].title} for segment {key[2]} (C3)"
    if kind == "signoff":
        return f"clinical sign-off of delegated {scenario.tasks[key[1]].title.lower()} (C4)"
    if kind in ("supervision", "continuity"):
        agent = team.by_id[key[1]]
        who = agent.staff or scenario.roles[agent.role].title
        if kind == "supervision":
            return f"supervision of {'every ' if agent.staff is None else ''}{who} (C5)"
        return f"protected continuity time of {who} (C6)"
    if kind == "coordination":
        return f"a care coordinator for everyone in {key[1]} (C7)"
    return "duty clinician cover (C8)"
