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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optimiser import penalties
from optimiser.demand import DemandRow, Team
from optimiser.plan import Plan, r2

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

Key = tuple[str, ...]
SOLVER_EPS = 1e-4  # hours or people; far below the 0.01 rounding of the plan

#: Categories whose shortfall an independent check matches against plan rows.
SHORTFALL_CATEGORIES = (
    "competence_gap",
    "review_frequency",
    "coverage_shortfall",
    "clinical_oversight",
    "supervision_capacity",
    "continuity_erosion",
    "caseload_over_capacity",
    "duty_cover",
)


@dataclass
class Shortfall:
    """One soft requirement left short, re-derived from plan rows."""

    key: Key
    category: str
    amount: float
    requirement: float
    unit: str
    consequence: int
    task: str | None = None
    tier: str | None = None
    segment: str | None = None
    role: str | None = None
    staff: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _who(row: dict, role_key: str = "role", staff_key: str = "staff") -> str:
    return row[staff_key] if row.get(staff_key) is not None else row[role_key]


def coverage_category(scenario: Scenario, team: Team, task_id: str, tier: str) -> str:
    """competence_gap / review_frequency / coverage_shortfall for a task and tier (C3)."""
    task = scenario.tasks[task_id]
    registered_only = tier in task.registered_for
    if not team.holders(task.competence, registered_only):
        return "competence_gap"
    return "review_frequency" if registered_only else "coverage_shortfall"


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


# -- wording ---------------------------------------------------------------------


def _segment_words(scenario: Scenario, segment: str | None, tier: str | None) -> str:
    if tier is None:
        return ""
    title = scenario.tiers[tier].title
    stage = segment.split("/", 1)[1] if segment else "all"
    return f"{tier} tier ({title})" + ("" if stage == "all" else f", {stage} stage")


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")  # person -> persons (a count of heads)


def describe(scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    """Plain-English title and detail of a shortfall."""
    amount = r2(s.amount)
    pct = 100 * s.amount / s.requirement if s.requirement else 100.0
    if s.task is not None:
        task = scenario.tasks[s.task]
        task_title = task.title
        comp = scenario.competencies[task.competence].title
    where = _segment_words(scenario, s.segment, s.tier)
    if s.category == "competence_gap":
        registered = " registered" if s.tier in task.registered_for else ""
        title = (
            f"No{registered} member of the team holds '{comp}', so {task_title.lower()} "
            f"for people in the {where} cannot be done: {amount:g} hours a week."
        )
        detail = (
            f"Demand {r2(s.requirement):g} h/week; the task needs competence "
            f"'{task.competence}'{' from a registered professional' if registered else ''}."
        )
    elif s.category == "review_frequency":
        title = (
            f"Registered staff cannot keep {task_title.lower()} at the planned frequency "
            f"for people in the {where}: {amount:g} hours a week ({pct:.0f}%) go undone."
        )
        detail = (
            f"Registered-only work: demand {r2(s.requirement):g} h/week, "
            f"{r2(s.requirement - s.amount):g} h/week planned."
        )
    elif s.category == "coverage_shortfall":
        title = (
            f"{task_title} for people in the {where} falls {amount:g} hours a week "
            f"({pct:.0f}%) short of the planned frequency."
        )
        detail = (
            f"Demand {r2(s.requirement):g} h/week, {r2(s.requirement - s.amount):g} h/week planned."
        )
    elif s.category == "clinical_oversight":
        title = (
            f"Work delegated to non-registered staff on {task_title.lower()} lacks "
            f"{amount:g} hours a week of registered clinical sign-off."
        )
        detail = (
            f"Sign-off needed {r2(s.requirement):g} h/week "
            f"({task.signoff_share:g} of the delegated hours)."
        )
    elif s.category == "supervision_capacity":
        role = scenario.roles[s.role].title if s.role else ""
        who = (
            f"{s.staff} ({role})" if s.staff else f"{_plural(amount, 'person')} in the role {role}"
        )
        hours = s.extra.get("needs_hours_per_week", 0)
        title = (
            f"{who} cannot be given the required {hours:g} hours a week of supervision "
            f"within supervisors' caps and time."
        )
        detail = f"{amount:g} of {s.requirement:g} persons unsupervised."
    elif s.category == "continuity_erosion":
        role = scenario.roles[s.role].title if s.role else ""
        who = f"{s.staff} ({role})" if s.staff else role
        title = f"{who} loses {amount:g} hours a week of protected continuity time to other work."
        detail = f"Protected continuity time {r2(s.requirement):g} h/week."
    elif s.category == "caseload_over_capacity":
        people = "1 person" if amount == 1 else f"{amount:g} people"
        title = f"{people} in the {where} cannot be given a care coordinator within caseload caps."
        detail = f"{amount:g} of {s.requirement:g} people uncoordinated."
    else:  # duty_cover
        title = (
            f"Duty clinician cover is {amount:g} hours a week short of the "
            f"{r2(s.requirement):g} hours required."
        )
        detail = "Rapid access to clinical advice is not available for the whole week."
    return title, detail


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


COVERAGE = ("competence_gap", "review_frequency", "coverage_shortfall")


def cause(scenario: Scenario, s: Shortfall) -> tuple[Any, ...]:
    """What leaves a shortfall short: the register groups rows with one cause.

    Coverage rows of a tier share a cause when they need the same competence
    with the same registration (the scarce resource is registered, or any,
    time with that competence); sign-off rows when they need registered
    holders of the same competence; supervision and continuity rows by role
    (the supervisors, or the role's own time); caseload rows by tier and
    whether a registered coordinator is needed; duty is one.
    """
    cat = s.category
    if cat in COVERAGE:
        task = scenario.tasks[s.task]  # type: ignore[index]
        return (cat, task.competence, s.tier in task.registered_for, s.tier)
    if cat == "clinical_oversight":
        return (cat, scenario.tasks[s.task].competence)  # type: ignore[index]
    if cat in ("supervision_capacity", "continuity_erosion"):
        return (cat, s.role)
    if cat == "caseload_over_capacity":
        return (cat, s.tier, s.tier in scenario.policies.coordination_registered_for)
    return (cat,)


def _same(values: list[Any]) -> Any:
    """The value all rows share, else ``None``."""
    return values[0] if len(set(values)) == 1 else None


def _group_words(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    """Title and detail of a register entry that groups several rows."""
    first = rows[0]
    total = r2(sum(r.amount for r in rows))
    need = sum(r.requirement for r in rows)
    pct = 100 * total / need if need else 100.0
    tasks = list(dict.fromkeys(r.task for r in rows if r.task))
    segments = list(dict.fromkeys(r.segment for r in rows if r.segment))
    cat = first.category
    if cat in COVERAGE:
        task = scenario.tasks[first.task]  # type: ignore[index]
        comp = scenario.competencies[task.competence].title
        where = f"{first.tier} tier ({scenario.tiers[first.tier].title})"  # type: ignore[index]
        n_tasks = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}"
        n_segs = f"{len(segments)} pathway stage{'s' if len(segments) != 1 else ''}"
        if cat == "competence_gap":
            registered = " registered" if first.tier in task.registered_for else ""
            title = (
                f"No{registered} member of the team holds '{comp}': {total:g} hours a week of "
                f"work for people in the {where} cannot be done ({n_tasks}, {n_segs})."
            )
        elif cat == "review_frequency":
            title = (
                f"Registered work for people in the {where} falls {total:g} hours a week "
                f"({pct:.0f}%) short across {n_tasks} and {n_segs}: not enough registered "
                f"time with '{comp}'."
            )
        else:
            title = (
                f"Work for people in the {where} falls {total:g} hours a week ({pct:.0f}%) short "
                f"across {n_tasks} and {n_segs}: not enough time with '{comp}'."
            )
        detail = "Tasks: " + ", ".join(scenario.tasks[t].title for t in tasks) + "."
    elif cat == "clinical_oversight":
        comp = scenario.competencies[scenario.tasks[first.task].competence].title  # type: ignore[index]
        title = (
            f"Delegated work on {len(tasks)} tasks lacks {total:g} hours a week of registered "
            f"clinical sign-off: not enough registered time with '{comp}'."
        )
        detail = "Tasks: " + ", ".join(scenario.tasks[t].title for t in tasks) + "."
    elif cat == "supervision_capacity":
        role = scenario.roles[first.role].title if first.role else ""  # type: ignore[index]
        title = (
            f"{total:g} {role} staff cannot be given their supervision within supervisors' "
            "caps and time."
        )
        detail = "Unsupervised: " + ", ".join(r.staff or r.role or "" for r in rows) + "."
    elif cat == "continuity_erosion":
        role = scenario.roles[first.role].title if first.role else ""  # type: ignore[index]
        title = (
            f"{len(rows)} {role} staff lose {total:g} hours a week of protected continuity time "
            "to other work."
        )
        detail = "Affected: " + ", ".join(r.staff or r.role or "" for r in rows) + "."
    else:  # caseload_over_capacity
        where = f"{first.tier} tier ({scenario.tiers[first.tier].title})"  # type: ignore[index]
        title = (
            f"{total:g} people in the {where} cannot be given a care coordinator within "
            f"caseload caps ({len(segments)} pathway stages)."
        )
        detail = "Segments: " + ", ".join(segments) + "."
    return title, detail


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
        groups.setdefault(cause(scenario, s), []).append(s)
    risks: list[dict[str, Any]] = []
    members: list[list[Shortfall]] = []
    for rows in groups.values():
        amount = sum(r.amount for r in rows)
        requirement = sum(r.requirement for r in rows)
        consequence = max(r.consequence for r in rows)
        likelihood = penalties.likelihood(amount, requirement)
        score = consequence * likelihood
        first = rows[0]
        if len(rows) == 1:
            title, detail = describe(scenario, first)
        else:
            title, detail = _group_words(scenario, rows)
        combined = Shortfall(
            first.key, first.category, amount, requirement, first.unit, consequence,
            task=first.task, tier=first.tier, segment=first.segment,
        )  # fmt: skip
        red = any(is_red_flag(scenario, r, r.consequence * likelihood) for r in rows)
        risks.append(
            {
                "category": first.category,
                "consequence": consequence,
                "likelihood": likelihood,
                "score": score,
                "red_flag": red or is_red_flag(scenario, combined, score),
                "title": title,
                "detail": detail,
                "task": _same([r.task for r in rows]),
                "tier": _same([r.tier for r in rows]),
                "segment": _same([r.segment for r in rows]),
                "role": _same([r.role for r in rows]),
                "staff": _same([r.staff for r in rows]),
                "shortfall": r2(amount),
                "unit": first.unit,
                "requirement": r2(requirement),
                "rows": len(rows),
                "key": list(first.key),
                "keys": [list(r.key) for r in rows],
                "mitigations": [],
            }
        )
        members.append(rows)
    order = sorted(range(len(risks)), key=lambda i: (-risks[i]["score"], i))
    risks = [{"id": f"R{n}", **risks[i]} for n, i in enumerate(order, start=1)]
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
        {
            "id": f"R{start}",
            "category": "skill_mix_dilution",
            "consequence": consequence,
            "likelihood": likelihood,
            "score": score,
            "red_flag": min_score_flag(scenario, score),
            "title": f"Only {100 * registered / total:.0f}% of the team's FTE is registered, "
            f"below the {100 * share:.0f}% floor: {add:.2f} more registered FTE are needed.",
            "detail": f"Registered {registered:g} of {total:g} FTE; "
            f"policies.registered_share_min {share:g}.",
            "task": None,
            "tier": None,
            "segment": None,
            "role": None,
            "staff": None,
            "shortfall": r2(add * scenario.hours_per_fte),
            "unit": "hours_per_week",
            "shortfall_fte": r2(add),
            "requirement": r2(share * total * scenario.hours_per_fte),
            "key": ["skill_mix"],
            "mitigations": mitigations,
        }
    ]


def key_consequence(scenario: Scenario, team: Team, key: Key) -> int:
    if key[0] == "coverage":
        seg = next(s for s in scenario.cohort if s.id == key[2])
        return penalties.coverage_consequence(
            scenario.tiers[seg.tier].severity, scenario.tasks[key[1]].criticality
        )
    return _requirement_consequence(scenario, team, key, None)


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
            consequence = _requirement_consequence(scenario, team, key, d)
            by_agent = key[0] in ("supervision", "continuity")
            risks.append(
                {
                    "id": f"R{len(risks) + 1}",
                    "category": "infeasible_requirements",
                    "consequence": consequence,
                    "likelihood": 5,
                    "score": consequence * 5,
                    "red_flag": True,
                    "title": f"Under strict rules the team cannot meet {name} together with the "
                    f"other {len(conflict) - 1} requirement(s) of conflict {c}.",
                    "detail": f"Conflict {c} ({len(conflict)} requirements that cannot all hold; "
                    f"relaxing any one of them lets the others hold): " + "; ".join(names) + ".",
                    "task": key[1] if key[0] in ("coverage", "signoff") else None,
                    "tier": d.tier
                    if d
                    else (key[1].split("/", 1)[0] if key[0] == "coordination" else None),
                    "segment": d.segment if d else (key[1] if key[0] == "coordination" else None),
                    "role": team.by_id[key[1]].role if by_agent else None,
                    "staff": team.by_id[key[1]].staff if by_agent else None,
                    "shortfall": None,
                    "unit": None,
                    "conflict": c,
                    "key": list(key),
                    "mitigations": [],
                }
            )
    return _renumber(sorted(risks, key=lambda r: (-r["score"], r["conflict"])))


def _renumber(risks: list[dict[str, Any]], start: int = 1) -> list[dict[str, Any]]:
    """Ids R1, R2, ... in list order (the id first in each dict)."""
    out = []
    for n, risk in enumerate(risks, start=start):
        rest = {k: v for k, v in risk.items() if k != "id"}
        out.append({"id": f"R{n}", **rest})
    return out


def _requirement_consequence(scenario: Scenario, team: Team, key: Key, d: DemandRow | None) -> int:
    kind = key[0]
    if d is not None:
        return penalties.coverage_consequence(
            scenario.tiers[d.tier].severity, scenario.tasks[d.task].criticality
        )
    if kind == "signoff":
        return scenario.tasks[key[1]].criticality
    if kind == "supervision":
        return penalties.supervision_consequence(team.by_id[key[1]].registered)
    if kind == "continuity":
        return penalties.CONSEQUENCE_CONTINUITY
    if kind == "coordination":
        return scenario.tiers[key[1].split("/", 1)[0]].severity
    return penalties.CONSEQUENCE_DUTY


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
