"""Summary and operating model: team, caseload, task analysis, hours and utilisation."""

from __future__ import annotations

from typing import Any

from optimiser.report.context import (
    _DUTY,
    _SIGNOFF,
    _SUP_GIVEN,
    _SUP_RECEIVED,
    Context,
    hours,
    money,
    pct,
)
from optimiser.report.model import Chart, Column, Facts, Section, Table


def summary_section(c: Context) -> Section:
    s, p = c.s, c.p
    demand = sum(c.demand.values())
    done = sum(c.done.values())
    risks = p["risks"]
    red = [r for r in risks if r["red_flag"]]
    fte = sum(a.fte for a in c.agents)
    heads = sum(a.headcount for a in c.agents)
    people = sum(seg.people for seg in s.cohort)
    registered_only = [
        (task, seg)
        for (task, seg) in c.demand
        if c.segment_tier[seg] in s.tasks[task].registered_for
    ]
    reg_demand = sum(c.demand[k] for k in registered_only)
    reg_done = sum(c.done.get(k, 0.0) for k in registered_only)
    facts = Facts(
        "headline",
        [
            ("Plan status", p["status"]),
            ("Mode", "named staff" if c.staff_mode else "establishment (FTE)"),
            ("Establishment cost", f"{money(p['cost']['annual_total'])} a year"),
            ("Workforce", f"{fte:g} FTE, {heads} people"),
            ("Caseload", f"{people:,} people"),
            ("Weekly task demand", f"{hours(demand)} h"),
            ("Demand covered", pct(done / demand if demand else 1.0)),
            (
                "Workforce risks",
                f"{len(risks)} ({len(red)} red flag{'s' if len(red) != 1 else ''})",
            ),
        ],
    )
    bullets = [
        f"The team of {fte:g} FTE ({heads} people) costs {money(p['cost']['annual_total'])} a "
        f"year and carries a caseload of {people:,} people in {len(s.tiers)} risk tiers.",
        f"The plan covers {pct(done / demand if demand else 1.0)} of the {hours(demand)} hours a "
        f"week that the task analysis asks for; registered-only work is "
        f"{pct(reg_done / reg_demand if reg_demand else 1.0)} covered.",
    ]
    if risks:
        top = max(risks, key=lambda r: (r["score"], r["red_flag"]))
        bullets.append(
            f"{len(risks)} workforce risk{'s' if len(risks) != 1 else ''} remain"
            f"{'s' if len(risks) == 1 else ''}, {len(red)} of them red flags; the highest scoring "
            f"is {top['id']} (score {top['score']}): {top['title']}"
        )
    else:
        bullets.append("Every requirement is met: the plan carries no workforce risk.")
    if p["status"] not in ("optimal", "feasible"):
        bullets.append(
            f"The plan is {p['status']}: the figures below describe what could be planned."
        )
    return Section(
        "summary",
        "Summary",
        [
            f"Skill-mix plan for {s.name}, for {s.plan_date.isoformat()}. Hours are hours per "
            "week; money is GBP per year. Every figure is derived from the scenario file and "
            "the optimised plan; the assumptions behind it are listed in the assumptions register.",
        ],
        bullets,
        [facts],
    )


def operating_model_section(c: Context) -> Section:
    s, p = c.s, c.p
    util = {c.who(u): u for u in p["utilisation"]}
    team_rows = []
    for role_id in s.roles:
        agents = [a for a in c.agents if a.role == role_id]
        if not agents:
            continue
        role = s.roles[role_id]
        sup = role.supervision
        team_rows.append(
            {
                "role": role_id,
                "title": role.title,
                "registered": role.registered,
                "fte": round(sum(a.fte for a in agents), 4),
                "headcount": sum(a.headcount for a in agents),
                "available": round(sum(a.available for a in agents), 2),
                "annual_cost": round(sum(a.annual_cost for a in agents), 2),
                "caseload_capacity": round(sum(a.caseload_points for a in agents), 2),
                "continuity_share": role.protected_continuity_share,
                "supervision_needs": sup.needs_hours_per_week if sup else 0.0,
            }
        )
    team = Table(
        "team",
        "Team by role",
        [
            Column("role", "Role id"),
            Column("title", "Role"),
            Column("registered", "Registered", "bool"),
            Column("fte", "FTE", "number"),
            Column("headcount", "People", "int"),
            Column("available", "Available h/wk", "hours"),
            Column("annual_cost", "Annual cost", "money"),
            Column("caseload_capacity", "Caseload capacity (points)", "number"),
            Column("continuity_share", "Protected continuity", "pct"),
            Column("supervision_needs", "Supervision needed h/wk per person", "hours"),
        ],
        team_rows,
        "Available hours are contracted hours less headroom (leave, sickness, study, "
        f"admin and travel): {s.hours_per_fte:g} h per FTE less "
        f"{pct(s.headroom.total)} by default.",
    )
    items: list[Any] = [team, _hours_chart(c), _utilisation_chart(c, util)]
    people: list[Any] = []
    if c.staff_mode:
        people.append(
            Table(
                "people",
                "Named staff",
                [
                    Column("staff", "Person"),
                    Column("role", "Role"),
                    Column("fte", "FTE", "number"),
                    Column("locality", "Locality"),
                    Column("available", "Available h/wk", "hours"),
                    Column("competencies", "Competencies held on the plan date"),
                ],
                [
                    {
                        "staff": a.staff,
                        "role": c.role_title(a.role),
                        "fte": a.fte,
                        "locality": a.locality or "",
                        "available": round(a.available, 2),
                        "competencies": ", ".join(
                            s.competencies[x].title for x in s.competencies if x in a.competencies
                        ),
                    }
                    for a in c.agents
                ],
            )
        )
    # caseload
    stages = list(dict.fromkeys(seg.stage for seg in s.cohort))
    caseload_rows = []
    for tier_id, tier in s.tiers.items():
        segs = [seg for seg in s.cohort if seg.tier == tier_id]
        row: dict[str, Any] = {
            "tier": tier_id,
            "title": tier.title,
            "severity": tier.severity,
            "weight": tier.caseload_weight,
            "coordination": "yes" if tier.coordination else "no (treatment only)",
            "people": sum(seg.people for seg in segs),
            "points": round(sum(seg.people for seg in segs) * tier.caseload_weight, 2),
        }
        for stage in stages:
            row[f"stage:{stage}"] = sum(seg.people for seg in segs if seg.stage == stage)
        caseload_rows.append(row)
    items.append(
        Table(
            "caseload",
            "Caseload by risk tier and pathway stage (people)",
            [
                Column("tier", "Tier"),
                Column("title", "Title"),
                Column("severity", "Severity (1-5)", "int"),
                Column("weight", "Caseload weight", "number"),
                Column("coordination", "Needs a care coordinator"),
                *[Column(f"stage:{st}", st, "int") for st in stages],
                Column("people", "People", "int"),
                Column("points", "Caseload points", "number"),
            ],
            caseload_rows,
        )
    )
    # demand by task
    task_rows = []
    for task_id, task in s.tasks.items():
        need = sum(h for (t, _), h in c.demand.items() if t == task_id)
        done = sum(h for (t, _), h in c.done.items() if t == task_id)
        if need <= 0:
            continue
        task_rows.append(
            {
                "task": task_id,
                "title": task.title,
                "competence": s.competencies[task.competence].title,
                "hours_each": task.hours,
                "registered_for": ", ".join(task.registered_for),
                "criticality": task.criticality,
                "demand": round(need, 2),
                "covered": round(done, 2),
                "short": round(max(0.0, need - done), 2),
                "coverage": done / need if need else 1.0,
            }
        )
    items.append(
        Table(
            "demand",
            "Task analysis: weekly demand and what the plan covers",
            [
                Column("task", "Task id"),
                Column("title", "Task"),
                Column("competence", "Competence needed"),
                Column("hours_each", "Hours each", "hours"),
                Column("registered_for", "Registered-only tiers"),
                Column("criticality", "Criticality (1-5)", "int"),
                Column("demand", "Demand h/wk", "hours"),
                Column("covered", "Planned h/wk", "hours"),
                Column("short", "Short h/wk", "hours"),
                Column("coverage", "Covered", "pct"),
            ],
            task_rows,
            "Demand = people in each segment × occurrences a week × hours per occurrence.",
        )
    )
    items += people
    items.append(_utilisation_table(c))
    return Section(
        "operating-model",
        "Operating model",
        [
            "The establishment, the caseload it serves and the task analysis that turns the "
            "caseload into weekly work. Work is given to the lowest-cost role allowed to do it "
            "(top-of-licence working), so registered time is kept for work that needs it.",
        ],
        [],
        items,
    )


def _bars_of(c: Context) -> list[tuple[str, str]]:
    """(agent-or-role key, label) for the bars of role/person charts."""
    if c.staff_mode:
        return [(a.id, c.label(a.role, a.staff)) for a in c.agents]
    return [(r, c.role_title(r)) for r in c.roles_present]


def _hours_chart(c: Context) -> Chart:
    s, p = c.s, c.p
    bars = _bars_of(c)
    tasks = [t for t in s.tasks if any(c.by_task_role.get((t, r), 0) > 0 for r in s.roles)]
    series = [s.tasks[t].title for t in tasks] + [_SIGNOFF, _DUTY, _SUP_GIVEN, _SUP_RECEIVED]
    util = {c.who(u): u for u in p["utilisation"]}
    values = []
    markers = []
    for key, _ in bars:
        u = util.get(key, {})
        if c.staff_mode:
            row = [c.by_agent_task.get((key, t), 0.0) for t in tasks]
        else:
            row = [c.by_task_role.get((t, key), 0.0) for t in tasks]
        row += [
            u.get("signoff_hours", 0.0),
            u.get("duty_hours", 0.0),
            u.get("supervision_given_hours", 0.0),
            u.get("supervision_received_hours", 0.0),
        ]
        values.append([round(v, 2) for v in row])
        markers.append(u.get("available_hours", 0.0))
    return Chart(
        "chart-hours",
        "stacked_bars",
        f"Hours a week by {'person' if c.staff_mode else 'role'} and task",
        {
            "bars": [label for _, label in bars],
            "series": series,
            "values": values,
            "unit": "h/wk",
            "markers": markers,
            "marker_label": "available hours",
        },
        "Each bar is the planned week; the tick marks the hours available after headroom.",
    )


def _utilisation_chart(c: Context, util: dict[str, dict[str, Any]]) -> Chart:
    bars = _bars_of(c)
    values = []
    targets = []
    for key, _ in bars:
        u = util.get(key, {})
        used = sum(
            u.get(k, 0.0)
            for k in (
                "task_hours",
                "signoff_hours",
                "duty_hours",
                "supervision_given_hours",
                "supervision_received_hours",
            )
        )
        available = u.get("available_hours", 0.0)
        values.append([round(min(used, available) / available * 100, 1) if available else 0.0])
        targets.append(round(100.0 * u.get("utilisation_target", 1.0), 1))
    return Chart(
        "chart-utilisation",
        "stacked_bars",
        "Utilisation of available hours, against the utilisation target",
        {
            "bars": [label for _, label in bars],
            "series": ["Utilisation"],
            "values": values,
            "unit": "%",
            "markers": targets,
            "targets": targets,
            "marker_label": "utilisation target",
            "max": 100.0,
            "colour_by_value": True,
        },
        "Planned hours (tasks, sign-off, duty, supervision) as a share of available hours; "
        "the tick is the utilisation target (policies.utilisation_target, or the role's own), "
        "the share the plan may fill. Colours are against the target: a team planned at its "
        "target has only the slack the target leaves for demand above a weekly average.",
    )


def _utilisation_table(c: Context) -> Table:
    rows = []
    for u in c.p["utilisation"]:
        used = (
            u["task_hours"]
            + u["signoff_hours"]
            + u["duty_hours"]
            + u["supervision_given_hours"]
            + u["supervision_received_hours"]
        )
        rows.append(
            {
                "who": c.label(u["role"], u["staff"]),
                "fte": u["fte"],
                "available": u["available_hours"],
                "task": u["task_hours"],
                "signoff": u["signoff_hours"],
                "duty": u["duty_hours"],
                "sup_given": u["supervision_given_hours"],
                "sup_received": u["supervision_received_hours"],
                "used": round(used, 2),
                "utilisation": u["utilisation"],
                "target": u.get("utilisation_target", 1.0),
                "of_target": u.get("utilisation_of_target", u["utilisation"]),
            }
        )
    return Table(
        "utilisation",
        "Utilisation",
        [
            Column("who", "Person" if c.staff_mode else "Role"),
            Column("fte", "FTE", "number"),
            Column("available", "Available h/wk", "hours"),
            Column("task", "Task h/wk", "hours"),
            Column("signoff", "Sign-off h/wk", "hours"),
            Column("duty", "Duty h/wk", "hours"),
            Column("sup_given", "Supervision given h/wk", "hours"),
            Column("sup_received", "Supervision received h/wk", "hours"),
            Column("used", "Used h/wk", "hours"),
            Column("utilisation", "Utilisation", "pct"),
            Column("target", "Target", "pct"),
            Column("of_target", "Of target", "pct"),
        ],
        rows,
    )
