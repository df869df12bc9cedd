"""Who does what: the delegation matrix, registered-only work, sign-off points, coverage."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimiser.report.context import (
    EPS,
    Context,
    hours,
)
from optimiser.report.model import Chart, Column, Section, Table


def who_does_what_section(c: Context) -> Section:
    s = c.s
    roles = c.roles_present
    holders = {r: {comp for a in c.agents if a.role == r for comp in a.competencies} for r in roles}
    matrix_rows = []
    for task_id, task in s.tasks.items():
        need = sum(h for (t, _), h in c.demand.items() if t == task_id)
        if need <= 0:
            continue
        row: dict[str, Any] = {"task": task.title, "registered_for": ", ".join(task.registered_for)}
        for r in roles:
            h = c.by_task_role.get((task_id, r), 0.0)
            if h > EPS:
                row[r] = hours(h)
            elif task.competence in holders[r]:
                row[r] = "can"
            else:
                row[r] = "—"
        matrix_rows.append(row)
    matrix = Table(
        "delegation",
        "Delegation matrix: planned hours a week by task and role",
        [
            Column("task", "Task"),
            Column("registered_for", "Registered only in tiers"),
            *[
                Column(r, c.role_title(r) + (" (registered)" if s.roles[r].registered else ""))
                for r in roles
            ],
        ],
        matrix_rows,
        "'can': the role holds the competence but the plan gives it none of this task; "
        "'—': the role does not hold the competence"
        + (
            " (in staff mode: no one of that role holds it on the plan date)"
            if c.staff_mode
            else ""
        )
        + ". Non-registered roles never do a task for a tier where it is registered-only.",
    )
    # registered-only work
    reg_rows = []
    for task_id, task in s.tasks.items():
        for tier in task.registered_for:
            keys = [
                (t, seg) for (t, seg) in c.demand if t == task_id and c.segment_tier[seg] == tier
            ]
            need = sum(c.demand[k] for k in keys)
            if need <= 0:
                continue
            done = sum(c.done.get(k, 0.0) for k in keys)
            by_role: dict[str, float] = defaultdict(float)
            for row in c.p["allocation"]:
                if row["task"] == task_id and c.segment_tier[row["segment"]] == tier:
                    by_role[row["role"]] += row["hours_per_week"]
            reg_rows.append(
                {
                    "task": task.title,
                    "tier": c.tier_title(tier),
                    "demand": round(need, 2),
                    "covered": round(done, 2),
                    "short": round(max(0.0, need - done), 2),
                    "by": "; ".join(
                        f"{c.role_title(r)} {hours(h)} h" for r, h in by_role.items() if h > EPS
                    ),
                }
            )
    registered = Table(
        "registered-only",
        "Registered-only work",
        [
            Column("task", "Task"),
            Column("tier", "Tier"),
            Column("demand", "Demand h/wk", "hours"),
            Column("covered", "Planned h/wk", "hours"),
            Column("short", "Short h/wk", "hours"),
            Column("by", "Done by (registered roles)"),
        ],
        reg_rows,
        "Work that only a registered professional (NMC, HCPC, SWE, GMC) may do for these tiers.",
    )
    return Section(
        "who-does-what",
        "Who does what",
        [
            "Which role does which task, the work reserved for registered professionals, and "
            "the points where delegated work is clinically signed off.",
        ],
        [],
        [matrix, registered, _signoff_table(c), _coverage_chart(c)],
    )


def _signoff_table(c: Context) -> Table:
    s = c.s
    rows = []
    for task_id, task in s.tasks.items():
        if task.signoff_share <= 0:
            continue
        delegated = sum(
            h for (t, r), h in c.by_task_role.items() if t == task_id and not s.roles[r].registered
        )
        given_by: dict[str, float] = defaultdict(float)
        for row in c.p["signoff"]:
            if row["task"] == task_id:
                given_by[c.label(row["role"], row["staff"])] += row["hours_per_week"]
        given = sum(given_by.values())
        required = task.signoff_share * delegated
        rows.append(
            {
                "task": task.title,
                "share": task.signoff_share,
                "delegated": round(delegated, 2),
                "required": round(required, 2),
                "given": round(given, 2),
                "met": given + EPS >= required,
                "by": "; ".join(f"{k} {hours(v)} h" for k, v in given_by.items()),
            }
        )
    return Table(
        "signoff",
        "Clinical sign-off points",
        [
            Column("task", "Task"),
            Column("share", "Sign-off share", "pct"),
            Column("delegated", "Delegated h/wk (non-registered)", "hours"),
            Column("required", "Sign-off needed h/wk", "hours"),
            Column("given", "Sign-off planned h/wk", "hours"),
            Column("met", "Met", "bool"),
            Column("by", "Signed off by"),
        ],
        rows,
        "When a non-registered role does a task, a registered holder of its competence spends "
        "the sign-off share of those hours on clinical sign-off.",
    )


def _coverage_chart(c: Context) -> Chart:
    s = c.s
    tiers = list(s.tiers)
    rows, values, labels = [], [], []
    for task_id, task in s.tasks.items():
        row_values: list[float | None] = []
        row_labels: list[str] = []
        any_demand = False
        for tier in tiers:
            keys = [k for k in c.demand if k[0] == task_id and c.segment_tier[k[1]] == tier]
            need = sum(c.demand[k] for k in keys)
            if need <= 0:
                row_values.append(None)
                row_labels.append("")
                continue
            any_demand = True
            share = min(1.0, sum(c.done.get(k, 0.0) for k in keys) / need)
            row_values.append(share)
            mark = "*" if tier in task.registered_for else ""
            row_labels.append(f"{share * 100:.0f}%{mark}")
        if any_demand:
            rows.append(task.title)
            values.append(row_values)
            labels.append(row_labels)
    return Chart(
        "chart-coverage",
        "heatmap",
        "Coverage of demand by task and tier",
        {
            "rows": rows,
            "columns": [c.tier_title(t) for t in tiers],
            "values": values,
            "labels": labels,
        },
        "Share of each task's weekly demand that the plan covers, by tier; * registered-only. "
        "Blank: the tier does not need the task.",
    )
