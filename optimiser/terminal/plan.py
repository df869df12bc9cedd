"""Terminal summaries (rich tables) of plans and the competency grid."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from optimiser.plan import Plan, used_hours
from optimiser.terminal import console as terminal_console


def _amount(value: float, unit: str) -> str:
    if unit == "hours_per_week":
        return f"{value:g} h/wk"
    return f"{value:g} {'person' if value == 1 else 'people'}"


def print_summary(
    plan: Plan, directory: Path | None = None, console: Console | None = None
) -> None:
    """Status, cost, utilisation by role and risks by score."""
    console = console or terminal_console()
    risks = plan.risks
    red = sum(1 for r in risks if r["red_flag"])
    penalty = plan.objective.get("risk_penalty")
    console.print(
        f"[bold]{plan.scenario}[/bold] ({plan.mode} mode{', strict' if plan.strict else ''})"
    )
    console.print(
        f"status: [bold]{plan.status}[/bold]   annual cost: £{plan.cost['annual_total']:,.0f}   "
        f"risk penalty: {penalty if penalty is not None else '-'}   "
        f"risks: {len(risks)} ({red} red flag{'s' if red != 1 else ''})   "
        f"solved in {plan.solve_seconds:.2f} s"
    )
    if plan.utilisation:
        table = Table(title="Utilisation by role", title_justify="left")
        for col in (
            "role",
            "FTE",
            "available h/wk",
            "used h/wk",
            "utilisation",
            "target",
            "continuity h/wk",
            "caseload pts",
        ):
            table.add_column(col, justify="left" if col == "role" else "right")
        by_role: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for row in plan.utilisation:
            agg = by_role[row["role"]]
            agg["fte"] += row["fte"]
            agg["available"] += row["available_hours"]
            agg["target"] += row.get("target_hours", row["available_hours"])
            agg["used"] += used_hours(row)
            agg["continuity"] += row["continuity_hours"]
            agg["points"] += row["caseload_points"]
            agg["capacity"] += row["caseload_capacity"]
        for role, agg in by_role.items():
            use = agg["used"] / agg["available"] if agg["available"] else 0.0
            points = f"{agg['points']:g}/{agg['capacity']:g}" if agg["capacity"] else "-"
            table.add_row(
                role,
                f"{agg['fte']:g}",
                f"{agg['available']:.1f}",
                f"{agg['used']:.1f}",
                f"{use:.0%}",
                f"{agg['target'] / agg['available']:.0%}" if agg["available"] else "-",
                f"{agg['continuity']:.1f}",
                points,
            )
        console.print(table)
    if risks:
        table = Table(title="Workforce risks by score", title_justify="left")
        for col in ("id", "score", "flag", "category", "where", "shortfall", "best mitigation"):
            table.add_column(col, overflow="fold")
        for r in risks:
            short = "" if r["shortfall"] is None else _amount(r["shortfall"], r["unit"])
            where = " ".join(
                str(r[k])
                for k in ("task", "segment", "staff", "role")
                if r.get(k) and not (k == "role" and r.get("staff"))
            )
            mitigations = r.get("mitigations") or []
            table.add_row(
                r["id"],
                str(r["score"]),
                "RED" if r["red_flag"] else "",
                r["category"],
                where,
                short,
                mitigations[0]["text"] if mitigations else "-",
            )
        console.print(table)
    else:
        console.print("No workforce risks: every requirement is met.")
    if plan.shortfall_rows:
        console.print(
            f"{len(plan.shortfall_rows)} unmet requirement(s) in {len(risks)} register "
            "entr" + ("y" if len(risks) == 1 else "ies") + " (shortfalls.csv has every row)."
        )
    print_package(plan.mitigation_package, console)
    if directory is not None:
        console.print(
            f"wrote {directory}/plan.json, allocation.csv, risks.csv, shortfalls.csv, "
            "utilisation.csv"
        )


def print_package(package: dict[str, Any] | None, console: Console | None = None) -> None:
    """The mitigation package as a finance lead reads it: role, FTE, heads, cost, clears."""
    if not package or not package.get("additions"):
        return
    console = console or terminal_console()
    table = Table(
        title="Mitigation package: least-cost additions to today's team", title_justify="left"
    )
    for col in ("role", "add FTE", "new heads", "annual cost", "clears"):
        table.add_column(col, justify="left" if col in ("role", "clears") else "right")
    for row in package["additions"]:
        table.add_row(
            row["title"],
            f"+{row['fte']:g}",
            str(row["new_heads"]),
            f"£{row['annual_cost']:,.0f}",
            ", ".join(row["clears"]) or "(with the others)",
        )
    table.add_row("total", "", "", f"£{package['annual_cost']:,.0f}", "")
    console.print(table)
    left = package.get("unfixable") or []
    console.print(
        f"With the package, risk penalty left: {package.get('risk_penalty_left', 0):g}"
        + (f" (not removable: {', '.join(left)})" if left else " (every risk removed)")
    )


_SYMBOL = {
    "current": "[green]✓[/green]",
    "expiring": "[yellow]![/yellow]",
    "expired": "[red]✗[/red]",
    "none": "[red]-[/red]",
    "not_required": "·",
}


def print_competency_grid(scenario, cells, console: Console | None = None) -> None:  # type: ignore[no-untyped-def]
    """Person x competency grid: ✓ current, ! expiring, ✗ expired, - none, · no rule."""
    console = console or terminal_console()
    comps = [c for c in scenario.competencies if any(cell.competency == c for cell in cells)]
    table = Table(
        title=f"Competencies on {scenario.plan_date.isoformat()}  "
        "(✓ current, ! expiring within 90 days, ✗ expired, - none, · no sign-off rule)",
        title_justify="left",
    )
    table.add_column("staff")
    table.add_column("role")
    for comp in comps:
        table.add_column(comp, justify="center")
    by_person: dict[str, dict[str, str]] = defaultdict(dict)
    roles: dict[str, str] = {}
    for cell in cells:
        by_person[cell.staff][cell.competency] = cell.status
        roles[cell.staff] = cell.role
    for person, statuses in by_person.items():
        table.add_row(person, roles[person], *(_SYMBOL.get(statuses.get(c, ""), "") for c in comps))
    console.print(table)
    counts: dict[str, int] = defaultdict(int)
    for cell in cells:
        counts[cell.status] += 1
    console.print(
        "  ".join(
            f"{k}: {counts[k]}" for k in ("current", "expiring", "expired", "none", "not_required")
        )
    )
