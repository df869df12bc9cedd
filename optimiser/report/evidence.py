"""KPIs to evidence the model, and the assumptions register."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimiser.competencies import dashboard
from optimiser.report.context import (
    Context,
    hours,
    pct,
    plural,
)
from optimiser.report.model import Column, Section, Table


def kpi_section(c: Context) -> Section:
    s, p = c.s, c.p
    rows: list[dict[str, Any]] = []

    def kpi(name: str, planned: str, evidence: str, target: str) -> None:
        rows.append({"kpi": name, "planned": planned, "target": target, "evidence": evidence})

    # contacts a week by tier
    need_occ: dict[str, float] = defaultdict(float)
    done_occ: dict[str, float] = defaultdict(float)
    cont_need: dict[str, float] = defaultdict(float)
    cont_done: dict[str, float] = defaultdict(float)
    for (task_id, seg), h in c.demand.items():
        task = s.tasks[task_id]
        tier = c.segment_tier[seg]
        need_occ[tier] += h / task.hours
        done_occ[tier] += c.done.get((task_id, seg), 0.0) / task.hours
        if task.continuity:
            cont_need[tier] += h / task.hours
            cont_done[tier] += c.done.get((task_id, seg), 0.0) / task.hours
    for tier in s.tiers:
        if need_occ[tier] <= 0:
            continue
        people = sum(seg.people for seg in s.cohort if seg.tier == tier)
        kpi(
            f"Planned contacts a week, {c.tier_title(tier)}",
            f"{done_occ[tier]:.1f} of {need_occ[tier]:.1f} needed "
            f"({pct(done_occ[tier] / need_occ[tier])}); "
            f"{done_occ[tier] / people if people else 0:.2f} "
            f"per person"
            + (
                f"; continuity contacts {cont_done[tier]:.1f} of {cont_need[tier]:.1f}"
                if cont_need[tier] > 0
                else ""
            ),
            "Contacts recorded per week against the care plan, by tier (EPR activity data).",
            "100% of planned contacts",
        )
    total_need, total_done = sum(need_occ.values()), sum(done_occ.values())
    kpi(
        "Contact completion",
        f"{pct(total_done / total_need if total_need else 1.0)} of needed contacts planned",
        "Completed contacts ÷ scheduled contacts, monthly.",
        "≥ 95%",
    )
    # decision waiting time: assessment capacity and duty
    assessment = [
        (t, task) for t, task in s.tasks.items() if task.stages and "assessment" in task.stages
    ]
    if assessment:
        parts = []
        for t, task in assessment:
            need = sum(h for (tt, _), h in c.demand.items() if tt == t)
            done = sum(h for (tt, _), h in c.done.items() if tt == t)
            parts.append(
                f"{task.title}: {done / task.hours:.1f} of {need / task.hours:.1f} a week "
                f"({pct(done / need if need else 1.0)})"
            )
        kpi(
            "Decision waiting time (referral to assessment decision)",
            "; ".join(parts),
            "Days from referral to the decision after assessment; median and 90th percentile.",
            "Within the commissioned standard (e.g. 4 weeks)",
        )
    else:
        kpi(
            "Decision waiting time (referral to assessment decision)",
            "no assessment-stage task in the scenario",
            "Days from referral to the decision after assessment; median and 90th percentile.",
            "Within the commissioned standard (e.g. 4 weeks)",
        )
    if s.policies.duty is not None:
        duty_total = sum(r["hours_per_week"] for r in p["duty"])
        kpi(
            "Duty cover (rapid access to clinical advice)",
            f"{hours(duty_total)} of {hours(s.policies.duty.hours_per_week)} h a week",
            "Duty rota filled; urgent calls answered by the duty clinician the same day.",
            "100% of duty hours filled",
        )
    # supervision frequency
    received: dict[str, int] = defaultdict(int)
    for r in p["supervision"]:
        received[r["supervisee_role"]] += r["persons"]
    for role_id in c.roles_present:
        sup = s.roles[role_id].supervision
        if sup is None or sup.needs_hours_per_week <= 0:
            continue
        heads = sum(a.headcount for a in c.agents if a.role == role_id)
        got = received[role_id]
        four_weekly = sup.needs_hours_per_week * 4
        kpi(
            f"Supervision frequency, {c.role_title(role_id)}",
            f"{hours(sup.needs_hours_per_week)} h a week per person "
            f"({hours(four_weekly)} h every 4 weeks); {got} of {plural(heads, 'person', 'people')} "
            f"supervised "
            f"({pct(got / heads if heads else 1.0)})",
            "Supervision sessions recorded per person per month.",
            "100% of staff supervised as planned",
        )
    # review intervals / overdue checks
    for task_id, task in s.tasks.items():
        if task.criticality < 4:
            continue
        need = sum(h for (t, _), h in c.demand.items() if t == task_id)
        if need <= 0:
            continue
        done = sum(h for (t, _), h in c.done.items() if t == task_id)
        segments = [seg for seg in s.cohort if (task_id, seg.id) in c.demand]
        people_needing = sum(seg.people for seg in segments)
        # a segment's people overdue if its shortfall fell on whole people
        overdue = round(
            sum(
                seg.people
                * max(0.0, 1 - c.done.get((task_id, seg.id), 0.0) / c.demand[(task_id, seg.id)])
                for seg in segments
            )
        )
        kpi(
            f"Overdue {task.title.lower()}",
            f"{pct(done / need)} of the demand at the planned intervals; about {overdue} of "
            f"{plural(people_needing, 'person', 'people')} would be overdue at any time if each "
            f"segment's shortfall fell on whole people",
            "People whose last review is older than their tier's interval (EPR report), monthly.",
            "0 overdue",
        )
    # caseload per coordinator
    coordinating = [u for u in p["utilisation"] if u["caseload_capacity"] > 0]
    if coordinating:
        points = sum(u["caseload_points"] for u in coordinating)
        cap = sum(u["caseload_capacity"] for u in coordinating)
        fte = sum(u["fte"] for u in coordinating)
        kpi(
            "Care coordination caseload",
            f"{points / fte if fte else 0:.1f} weighted points per coordinating FTE "
            f"({pct(points / cap if cap else 0)} of capacity)",
            "Weighted caseload per care coordinator from the caseload register, monthly.",
            "≤ capacity for every coordinator",
        )
    # sign-off
    delegated = sum(
        h
        for (t, r), h in c.by_task_role.items()
        if not s.roles[r].registered and s.tasks[t].signoff_share > 0
    )
    if delegated > 0:
        signoff = sum(r["hours_per_week"] for r in p["signoff"])
        kpi(
            "Clinical sign-off of delegated work",
            f"{hours(signoff)} h a week for {hours(delegated)} h of delegated work",
            "Audit of delegated interventions with a documented registered sign-off.",
            "100% of delegated work signed off",
        )
    if c.staff_mode:

        cells = [x for x in dashboard(s) if x.status != "not_required"]
        current = sum(1 for x in cells if x.status in ("current", "expiring"))
        expiring = sum(1 for x in cells if x.status == "expiring")
        kpi(
            "Competency sign-offs current",
            f"{current} of {len(cells)} ({pct(current / len(cells) if cells else 1.0)}); "
            f"{expiring} lapse within 90 days",
            "Local sign-off register, monthly.",
            "100% current; renewals booked before expiry",
        )
    util = [u for u in p["utilisation"] if u["available_hours"] > 0]
    if util:
        used = sum(u["utilisation"] * u["available_hours"] for u in util)
        avail = sum(u["available_hours"] for u in util)
        kpi(
            "Team utilisation",
            f"{pct(used / avail)} of available hours planned",
            "Job-planning / e-rostering data against available hours, quarterly.",
            "≤ 85-90% to keep slack for demand surges",
        )
    table = Table(
        "kpis",
        "KPI set",
        [
            Column("kpi", "KPI"),
            Column("planned", "Planned by this model"),
            Column("target", "Target"),
            Column("evidence", "How to evidence it"),
        ],
        rows,
        "Planned values are derived from the plan; the evidence column says what to measure "
        "once the model is running.",
    )
    return Section(
        "kpis",
        "KPIs to evidence the model",
        ["Measures a commissioner or CQC can track to see the model working as planned."],
        [],
        [table],
    )


def assumptions_section(c: Context) -> Section:
    s = c.s
    sources = s.sources()
    rows = [
        {"key": path.removesuffix(".source") if path != "source" else "(scenario)", "source": text}
        for path, text in sources
    ]
    parameters = Table(
        "parameters",
        "Planning parameters",
        [Column("parameter", "Parameter"), Column("value", "Value")],
        [
            {"parameter": "Plan date", "value": s.plan_date.isoformat()},
            {"parameter": "Contracted hours per FTE a week", "value": f"{s.hours_per_fte:g}"},
            *[
                {"parameter": f"Headroom: {k.replace('_', ' ')}", "value": pct(v)}
                for k, v in s.headroom.shares.items()
            ],
            {"parameter": "Headroom total", "value": pct(s.headroom.total)},
            {
                "parameter": "Roles with their own headroom",
                "value": ", ".join(r for r, role in s.roles.items() if role.headroom) or "none",
            },
        ],
    )
    register = Table(
        "assumptions",
        "Assumptions register (every source note)",
        [Column("key", "Applies to"), Column("source", "Source")],
        rows,
        "Every `source` note of the scenario, in file order. Figures without a note are "
        "local planning assumptions.",
    )
    return Section(
        "assumptions",
        "Assumptions register",
        [
            f"{len(rows)} source note{'s' if len(rows) != 1 else ''} in the scenario."
            if rows
            else "The scenario carries no source notes: every figure is a local planning "
            "assumption. Add `source:` to any entry to record its provenance."
        ],
        [],
        [parameters, register],
    )
