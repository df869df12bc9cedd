"""The risk register (5×5 matrix, costed mitigations) and resilience / sizing results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimiser.report.context import (
    RESILIENCE_HOWTO,
    SIZING_HOWTO,
    Context,
    WhatIf,
    money,
    plural,
)
from optimiser.report.model import Chart, Column, Section, Table


def risk_section(c: Context) -> Section:
    p = c.p
    risks = sorted(p["risks"], key=lambda r: (-r["score"], not r["red_flag"]))  # stable
    cells: dict[str, list[str]] = defaultdict(list)
    for r in risks:
        cells[f"{r['likelihood']},{r['consequence']}"].append(r["id"])
    matrix = Chart(
        "chart-risk-matrix",
        "risk_matrix",
        "Risk matrix (5 × 5: consequence × likelihood)",
        {"cells": dict(cells)},
        "Scores: 1-3 low (green), 4-6 moderate (yellow), 8-12 high (amber), 15-25 extreme (red).",
    )

    def where(r: dict[str, Any]) -> str:
        parts = []
        if r.get("task"):
            parts.append(c.task_title(r["task"]))
        if r.get("segment"):
            parts.append(r["segment"])
        elif r.get("tier"):
            parts.append(r["tier"])
        if r.get("staff"):
            parts.append(c.label(r.get("role"), r["staff"]))
        elif r.get("role"):
            parts.append(c.role_title(r["role"]))
        return "; ".join(parts)

    def amount(r: dict[str, Any]) -> str:
        if r.get("shortfall") is None:
            return ""
        if r.get("unit") == "hours_per_week":
            return f"{r['shortfall']:g} h/wk"
        if r.get("unit") == "people":
            return plural(r["shortfall"], "person", "people")
        return f"{r['shortfall']:g} {r.get('unit') or ''}".strip()

    register = Table(
        "risks",
        "Workforce risk register",
        [
            Column("id", "Id"),
            Column("score", "Score", "int"),
            Column("consequence", "Consequence", "int"),
            Column("likelihood", "Likelihood", "int"),
            Column("red_flag", "Red flag", "bool"),
            Column("category", "Category"),
            Column("title", "Risk"),
            Column("where", "Where"),
            Column("shortfall", "Shortfall"),
            Column("rows", "Rows", "int"),
            Column("package", "In the mitigation package"),
            Column("mitigations", "Costed mitigations"),
        ],
        [
            {
                "id": r["id"],
                "score": r["score"],
                "consequence": r["consequence"],
                "likelihood": r["likelihood"],
                "red_flag": r["red_flag"],
                "category": r["category"].replace("_", " "),
                "title": r["title"],
                "where": where(r),
                "shortfall": amount(r),
                "rows": r.get("rows", 1),
                "package": r.get("package_text", ""),
                "mitigations": "; ".join(m.get("text", "") for m in r.get("mitigations") or [])
                or "none found within the options tried",
            }
            for r in risks
        ],
        "Score = consequence × likelihood (NHS 5 × 5 matrix). Mitigations are computed by "
        "re-planning with each option, not canned text.",
    )
    options = Table(
        "mitigations",
        "Costed mitigation options",
        [
            Column("risk", "Risk"),
            Column("option", "Option"),
            Column("action", "Action"),
            Column("cost", "Annual cost", "money"),
        ],
        [
            {
                "risk": r["id"],
                "option": m.get("text", ""),
                "action": str(m.get("action", "")).replace("_", " "),
                "cost": m.get("annual_cost"),
            }
            for r in risks
            for m in r.get("mitigations") or []
        ],
        "Options are alternatives for each risk; costs of different risks' options do not add "
        "up when one option clears several risks.",
    )
    red = sum(1 for r in risks if r["red_flag"])
    by_category: dict[str, int] = defaultdict(int)
    for r in risks:
        by_category[r["category"]] += 1
    paragraphs = [
        f"{len(risks)} risk{'s' if len(risks) != 1 else ''}, {red} red flag"
        f"{'s' if red != 1 else ''}"
        + (
            ": " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in by_category.items()) + "."
            if risks
            else "."
        ),
    ]
    items: list[Chart | Table] = [matrix, register]
    package = p.get("mitigation_package") or {}
    if package.get("additions"):
        items.append(
            Table(
                "mitigation-package",
                "Mitigation package: least-cost additions to today's team",
                [
                    Column("role", "Role"),
                    Column("fte", "Add FTE", "number"),
                    Column("heads", "New heads", "int"),
                    Column("cost", "Annual cost", "money"),
                    Column("clears", "Register entries it clears"),
                ],
                [
                    {
                        "role": a["title"],
                        "fte": a["fte"],
                        "heads": a["new_heads"],
                        "cost": a["annual_cost"],
                        "clears": ", ".join(a["clears"]) or "(together with the others)",
                    }
                    for a in package["additions"]
                ]
                + [{"role": "Total", "cost": package["annual_cost"]}],
                "One coherent package, found by the same model as `skillmix size` (today's team "
                "kept): it removes every removable risk at least cost. Risk penalty left with it: "
                f"{package.get('risk_penalty_left', 0):g}"
                + (
                    f"; not removable: {', '.join(package['unfixable'])}."
                    if package.get("unfixable")
                    else "."
                ),
            )
        )
    items.append(options)
    rows = p.get("shortfalls") or []
    if rows:
        items.append(
            Table(
                "shortfall-rows",
                "Shortfall rows (drill-down: every unmet requirement)",
                [
                    Column("risk", "Entry"),
                    Column("category", "Category"),
                    Column("where", "Where"),
                    Column("shortfall", "Shortfall"),
                ],
                [
                    {
                        "risk": row["risk"],
                        "category": row["category"].replace("_", " "),
                        "where": where(row),
                        "shortfall": amount(row),
                    }
                    for row in rows
                ],
                "Each row is one requirement left short; the register entry named groups the "
                "rows with one cause.",
            )
        )
    return Section("risks", "Risk register", paragraphs, [], items)


def whatif_section(c: Context, whatif: WhatIf) -> Section:
    items: list[Any] = []
    paragraphs: list[str] = []
    res = whatif.resilience
    if res is not None:
        base = res.get("baseline", {})
        paragraphs.append(
            f"Resilience: the plan was re-made with each "
            f"{'person' if c.staff_mode else 'role losing one person'} away. Baseline risk "
            f"score {base.get('risk_score', 0)}; "
            f"{len(res.get('single_points_of_failure', []))} single point(s) of failure."
        )
        items.append(
            Table(
                "resilience",
                "Resilience: one person away",
                [
                    Column("absent", "Away"),
                    Column("added_penalty", "Added risk penalty", "number"),
                    Column("added_score", "Added risk score", "int"),
                    Column("new", "New or worse risks", "int"),
                    Column("worst", "Worst new risk"),
                ],
                [
                    {
                        "absent": c.label(a.get("absent"), a.get("staff"))
                        if a.get("staff")
                        else f"one {c.role_title(a.get('absent'))}",
                        "added_penalty": a.get("added_risk_penalty"),
                        "added_score": a.get("added_risk_score"),
                        "new": len(a.get("new_risks", [])),
                        "worst": max(
                            a.get("new_risks", []),
                            key=lambda r: (r["score"], r.get("shortfall") or 0),
                        )["title"]
                        if a.get("new_risks")
                        else "",
                    }
                    for a in res.get("absences", [])
                ],
            )
        )
        items.append(
            Table(
                "single-points-of-failure",
                "Single points of failure",
                [
                    Column("id", "Id"),
                    Column("score", "Score", "int"),
                    Column("title", "Risk"),
                    Column("mitigations", "Costed mitigations"),
                ],
                [
                    {
                        "id": r["id"],
                        "score": r["score"],
                        "title": r["title"],
                        "mitigations": "; ".join(
                            m.get("text", "") for m in r.get("mitigations") or []
                        ),
                    }
                    for r in res.get("single_points_of_failure", [])
                ],
            )
        )
    else:
        paragraphs.append("Resilience (single points of failure): " + RESILIENCE_HOWTO)
    size = whatif.sizing
    if size is not None:
        if size.get("annual_cost") is not None:
            paragraphs.append(
                f"Sizing: the lowest-cost establishment with the least reachable risk costs "
                f"{money(size['annual_cost'])} a year against "
                f"{money(size.get('current_annual_cost'))} "
                f"now ({'+' if size.get('change_annual_cost', 0) >= 0 else '-'}"
                f"{money(abs(size.get('change_annual_cost', 0)))}); its plan has risk score "
                f"{size.get('risk_score', 0)}."
            )
        else:
            paragraphs.append(
                f"Sizing: {size.get('message') or 'no establishment found'} "
                f"(status {size.get('status')})."
            )
        items.append(
            Table(
                "sizing",
                "Sizing: recommended establishment",
                [
                    Column("title", "Role"),
                    Column("current_fte", "Current FTE", "number"),
                    Column("fte", "Recommended FTE", "number"),
                    Column("change_fte", "Change FTE", "number"),
                    Column("headcount", "Recommended people", "int"),
                    Column("change_annual_cost", "Change in annual cost", "money"),
                ],
                [dict(ch) for ch in size.get("changes", [])],
            )
        )
        if size.get("unfixable"):
            items.append(
                Table(
                    "unfixable",
                    "Risks no establishment within the bounds removes",
                    [Column("category", "Category"), Column("title", "Risk"), Column("why", "Why")],
                    [
                        {
                            "category": u.get("category", ""),
                            "title": u.get("title", ""),
                            "why": u.get("why", u.get("reason", "")),
                        }
                        for u in size["unfixable"]
                    ],
                )
            )
    else:
        paragraphs.append("Sizing (recommended establishment): " + SIZING_HOWTO)
    return Section("resilience-sizing", "Resilience and sizing", paragraphs, [], items)
