"""The oversight spine (supervision, duty) and continuity protection (C6, C7)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimiser.report.context import (
    EPS,
    Context,
    hours,
)
from optimiser.report.model import Column, Section, Table


def oversight_section(c: Context) -> Section:
    s, p = c.s, c.p
    pairs = Table(
        "supervision-pairs",
        "Supervision pairs",
        [
            Column("supervisor", "Supervisor"),
            Column("supervisee", "Supervisee"),
            Column("persons", "Persons", "int"),
            Column("hours", "Hours a week", "hours"),
        ],
        [
            {
                "supervisor": c.label(r["supervisor_role"], r["supervisor"]),
                "supervisee": c.label(r["supervisee_role"], r["supervisee"]),
                "persons": r["persons"],
                "hours": r["hours_per_week"],
            }
            for r in p["supervision"]
        ],
        "In FTE mode, the number of persons of the supervisee role each supervising role takes.",
    )
    # capacity by supervising role
    given: dict[str, int] = defaultdict(int)
    given_hours: dict[str, float] = defaultdict(float)
    received: dict[str, int] = defaultdict(int)
    for r in p["supervision"]:
        given[r["supervisor_role"]] += r["persons"]
        given_hours[r["supervisor_role"]] += r["hours_per_week"]
        received[r["supervisee_role"]] += r["persons"]
    cap_rows = []
    for role_id in c.roles_present:
        sup = s.roles[role_id].supervision
        heads = sum(a.headcount for a in c.agents if a.role == role_id)
        cap = (sup.max_supervisees if sup else 0) * heads
        if cap == 0 and given[role_id] == 0:
            continue
        cap_rows.append(
            {
                "role": c.role_title(role_id),
                "people": heads,
                "max_each": sup.max_supervisees if sup else 0,
                "capacity": cap,
                "used": given[role_id],
                "spare": cap - given[role_id],
                "hours": round(given_hours[role_id], 2),
            }
        )
    capacity = Table(
        "supervision-capacity",
        "Supervision capacity of supervising roles",
        [
            Column("role", "Supervising role"),
            Column("people", "People", "int"),
            Column("max_each", "Supervisees each (max)", "int"),
            Column("capacity", "Capacity (supervisees)", "int"),
            Column("used", "Supervisees planned", "int"),
            Column("spare", "Spare places", "int"),
            Column("hours", "Hours given a week", "hours"),
        ],
        cap_rows,
    )
    need_rows = []
    for role_id in c.roles_present:
        sup = s.roles[role_id].supervision
        if sup is None or sup.needs_hours_per_week <= 0:
            continue
        heads = sum(a.headcount for a in c.agents if a.role == role_id)
        got = received[role_id]
        need_rows.append(
            {
                "role": c.role_title(role_id),
                "people": heads,
                "needs": sup.needs_hours_per_week,
                "by": ", ".join(c.role_title(x) for x in sup.supervised_by),
                "supervised": got,
                "unsupervised": max(0, heads - got),
                "share": got / heads if heads else 1.0,
            }
        )
    needs = Table(
        "supervision-needs",
        "Supervision received by role",
        [
            Column("role", "Role"),
            Column("people", "People", "int"),
            Column("needs", "Needs h/wk per person", "hours"),
            Column("by", "May be supervised by"),
            Column("supervised", "Supervised", "int"),
            Column("unsupervised", "Not supervised", "int"),
            Column("share", "Supervised share", "pct"),
        ],
        need_rows,
    )
    items: list[Any] = [pairs, capacity, needs]
    duty = s.policies.duty
    if duty is not None:
        given_duty: dict[str, float] = defaultdict(float)
        for r in p["duty"]:
            given_duty[c.label(r["role"], r["staff"])] += r["hours_per_week"]
        total = sum(given_duty.values())
        rows = [{"who": k, "hours": round(v, 2)} for k, v in given_duty.items()]
        rows.append({"who": "Total planned", "hours": round(total, 2)})
        rows.append({"who": "Required", "hours": duty.hours_per_week})
        items.append(
            Table(
                "duty",
                "Duty clinician cover",
                [Column("who", "Who"), Column("hours", "Hours a week", "hours")],
                rows,
                f"Rapid access to clinical advice: {hours(duty.hours_per_week)} h a week from a "
                f"{'registered ' if duty.registered else ''}holder of "
                f"'{s.competencies[duty.competence].title}'"
                + (
                    f"; short by {hours(duty.hours_per_week - total)} h."
                    if total + EPS < duty.hours_per_week
                    else "; fully covered."
                ),
            )
        )
    signoff_total = sum(r["hours_per_week"] for r in p["signoff"])
    return Section(
        "oversight",
        "Oversight spine",
        [
            "Who supervises whom and with what capacity, who holds duty, and who clinically "
            "signs off delegated work.",
            f"Clinical sign-off: {hours(signoff_total)} hours a week planned in total (see the "
            "sign-off points under 'Who does what').",
        ],
        [],
        items,
    )


def continuity_section(c: Context) -> Section:
    s, p = c.s, c.p
    erosion = {
        (r["role"], r["staff"]): r["shortfall"]
        for r in p["risks"]
        if r["category"] == "continuity_erosion"
    }
    rows = []
    for u in p["utilisation"]:
        share = s.roles[u["role"]].protected_continuity_share
        if share <= 0:
            continue
        non = u["task_hours"] - u["continuity_hours"] + u["signoff_hours"] + u["duty_hours"]
        limit = (1 - share) * u["available_hours"]
        rows.append(
            {
                "who": c.label(u["role"], u["staff"]),
                "share": share,
                "available": u["available_hours"],
                "protected": round(share * u["available_hours"], 2),
                "continuity": u["continuity_hours"],
                "other": round(non, 2),
                "limit": round(limit, 2),
                "eroded": erosion.get((u["role"], u["staff"]), 0.0),
            }
        )
    protection = Table(
        "continuity",
        "Protected continuity time",
        [
            Column("who", "Person" if c.staff_mode else "Role"),
            Column("share", "Protected share", "pct"),
            Column("available", "Available h/wk", "hours"),
            Column("protected", "Protected h/wk", "hours"),
            Column("continuity", "Continuity work planned h/wk", "hours"),
            Column("other", "Other work h/wk", "hours"),
            Column("limit", "Limit on other work h/wk", "hours"),
            Column("eroded", "Eroded h/wk", "hours"),
        ],
        rows,
        "Other work (non-continuity tasks, sign-off and duty) must stay within "
        "(1 - protected share) × available hours; any excess erodes continuity and is a risk.",
    )
    # care coordination
    coord_rows = []
    tiers = list(s.tiers)
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in p["coordination"]:
        per[c.who(r)][c.segment_tier[r["segment"]]] += r["people"]
    for u in p["utilisation"]:
        if u["caseload_capacity"] <= 0:
            continue
        key = c.who(u)
        row = {
            "who": c.label(u["role"], u["staff"]),
            "points": u["caseload_points"],
            "capacity": u["caseload_capacity"],
            "load": u["caseload_points"] / u["caseload_capacity"] if u["caseload_capacity"] else 0,
        }
        for t in tiers:
            row[f"tier:{t}"] = per[key].get(t, 0)
        row["people"] = sum(per[key].values())
        coord_rows.append(row)
    coordination = Table(
        "coordination",
        "Care coordination caseloads",
        [
            Column("who", "Coordinator" if c.staff_mode else "Coordinating role"),
            *[Column(f"tier:{t}", f"{t} people", "int") for t in tiers],
            Column("people", "People", "int"),
            Column("points", "Caseload points", "number"),
            Column("capacity", "Capacity (points)", "number"),
            Column("load", "Load", "pct"),
        ],
        coord_rows,
        "Tiers "
        + (", ".join(s.policies.coordination_registered_for) or "none")
        + " need a registered care coordinator.",
    )
    uncoordinated = [r for r in p["risks"] if r["category"] == "caseload_over_capacity"]
    paragraphs = [
        "Continuity of care relies on protected time for planned engagement and on stable "
        "care coordination caseloads within capacity.",
    ]
    if uncoordinated:
        paragraphs.append(
            "People without a care coordinator in this plan: "
            + "; ".join(f"{r['segment']}: {r['shortfall']:g}" for r in uncoordinated)
            + "."
        )
    else:
        paragraphs.append("Every person on the caseload has a care coordinator in this plan.")
    return Section(
        "continuity", "Continuity protection", paragraphs, [], [protection, coordination]
    )
