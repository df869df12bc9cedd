"""Terminal summaries (rich tables) of the what-if commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from optimiser.terminal import console as terminal_console


def _money(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.0f}"


def _signed_money(value: float) -> str:
    if abs(value) < 0.5:
        return "£0"
    return ("+" if value > 0 else "-") + f"£{abs(value):,.0f}"


def print_sizing(data: dict[str, Any], directory: Path, console: Console | None = None) -> None:
    """Recommended establishment: change from today by role, with cost."""
    console = console or terminal_console()
    console.print(f"[bold]{data['scenario']}[/bold]: sizing ({data['method']})")
    if data["status"] not in ("optimal", "feasible"):
        console.print(f"status: [bold]{data['status']}[/bold]. {data.get('message', '')}")
        console.print(f"wrote {directory}/sizing.json")
        return
    budget = f"   budget: {_money(data['budget'])}" if data.get("budget") is not None else ""
    console.print(
        f"status: [bold]{data['status']}[/bold]   "
        f"recommended: {_money(data['annual_cost'])} a year   "
        f"today: {_money(data['current_annual_cost'])}   change: "
        f"{_signed_money(data['change_annual_cost'])}{budget}   "
        f"risk penalty left: {data['risk_penalty']:g}"
    )
    if "cohort" in data:
        c = data["cohort"]
        console.print(
            f"sized for the {c['percentile']:g}th-percentile cohort of {c['samples']} samples "
            f"(seed {c['seed']})"
        )
    table = Table(title="Establishment: today -> recommended", title_justify="left")
    for col in ("role", "FTE today", "FTE", "change", "heads today", "heads", "cost change/yr"):
        table.add_column(col, justify="left" if col == "role" else "right")
    for ch in data["changes"]:
        if ch["current_fte"] == 0 and ch["fte"] == 0:
            continue
        delta = ch["change_fte"]
        table.add_row(
            ch["role"],
            f"{ch['current_fte']:g}",
            f"{ch['fte']:g}",
            "0" if abs(delta) < 1e-9 else f"{delta:+.1f}",
            str(ch["current_headcount"]),
            str(ch["headcount"]),
            _signed_money(ch["change_annual_cost"]),
        )
    table.add_row(
        "[bold]total[/bold]",
        "",
        "",
        "",
        "",
        "",
        f"[bold]{_signed_money(data['change_annual_cost'])}[/bold]",
    )
    console.print(table)
    if data["unfixable"]:
        t = Table(title="Risks no establishment within the bounds removes", title_justify="left")
        for col in ("risk", "category", "where", "shortfall", "why"):
            t.add_column(col, overflow="fold")
        for u in data["unfixable"]:
            where = " ".join(str(u[k]) for k in ("task", "segment", "role") if u.get(k))
            unit = "h/wk" if u["unit"] == "hours_per_week" else "people"
            t.add_row(u["risk"], u["category"], where, f"{u['shortfall']:g} {unit}", u["why"])
        console.print(t)
    else:
        console.print("The recommended establishment carries no workforce risk.")
    if data.get("frontier"):
        t = Table(title="Cost / risk frontier", title_justify="left")
        for col in ("budget", "annual cost", "risk penalty", "risk score", "risks", "red flags"):
            t.add_column(col, justify="right")
        for p in data["frontier"]:
            t.add_row(
                _money(p["budget"]),
                _money(p["annual_cost"]),
                f"{p['risk_penalty']:g}",
                str(p["risk_score"]),
                str(p["risks"]),
                str(p["red_flags"]),
            )
        console.print(t)
    console.print(
        f"wrote {directory}/sizing.json, plan.json, allocation.csv, risks.csv, utilisation.csv"
    )


def print_comparison(doc: dict[str, Any], directory: Path, console: Console | None = None) -> None:
    """Side by side: cost, risk score, red flags, scores by category."""
    console = console or terminal_console()
    summaries = doc["scenarios"]
    table = Table(title=f"Comparison (base: {doc['base']})", title_justify="left")
    table.add_column("measure")
    for s in summaries:
        table.add_column(s["label"], justify="right")
    table.add_row("status", *(s["status"] for s in summaries))
    table.add_row("annual cost", *(_money(s["annual_cost"]) for s in summaries))
    table.add_row("risk penalty", *(f"{s['risk_penalty']:g}" for s in summaries))
    table.add_row("risk score", *(str(s["risk_score"]) for s in summaries))
    table.add_row("risks", *(str(s["risks"]) for s in summaries))
    table.add_row("red flags", *(str(s["red_flags"]) for s in summaries))
    cats = [
        c
        for c in summaries[0]["risk_score_by_category"]
        if any(s["risk_score_by_category"].get(c) for s in summaries)
    ]
    for c in cats:
        table.add_row(
            f"  score: {c}", *(str(s["risk_score_by_category"].get(c, 0)) for s in summaries)
        )
    roles: list[str] = []
    for s in summaries:
        roles += [r for r in s["utilisation"] if r not in roles]
    for role in roles:
        table.add_row(
            f"  use: {role}",
            *(
                f"{s['utilisation'][role]['utilisation']:.0%}" if role in s["utilisation"] else "-"
                for s in summaries
            ),
        )
    console.print(table)
    console.print(f"wrote {directory}/comparison.json, comparison.csv")


def print_resilience(doc: dict[str, Any], directory: Path, console: Console | None = None) -> None:
    """Absences ranked by added risk; single points of failure."""
    console = console or terminal_console()
    b = doc["baseline"]
    console.print(
        f"[bold]{doc['scenario']}[/bold]: whole team risk penalty {b['risk_penalty']:g}, "
        f"risk score {b['risk_score']} ({len(doc['absences'])} absences tried on {doc['executor']})"
    )
    table = Table(title="Absences ranked by added risk", title_justify="left")
    for col in ("absent", "added penalty", "added score", "new / worse risks", "worst new risk"):
        table.add_column(col, overflow="fold")
    for row in doc["absences"]:
        who = f"{row['staff']} ({row['absent']})" if row["staff"] else row["absent"]
        new = row["new_risks"]
        worst = max(new, key=lambda r: (r["consequence"], r["score"]), default=None)
        table.add_row(
            who,
            f"{row['added_risk_penalty']:g}",
            f"{row['added_risk_score']:+d}",
            f"{sum(1 for r in new if r['change'] == 'new')} / "
            f"{sum(1 for r in new if r['change'] == 'worse')}",
            worst["title"] if worst else "-",
        )
    console.print(table)
    spofs = doc["single_points_of_failure"]
    if spofs:
        t = Table(title="Single points of failure", title_justify="left")
        for col in ("id", "score", "who", "title", "best mitigation"):
            t.add_column(col, overflow="fold")
        for s in spofs:
            who = s["staff"] or s["role"]
            mit = s["mitigations"][0]["text"] if s["mitigations"] else "-"
            t.add_row(s["id"], str(s["score"]), who, s["title"], mit)
        console.print(t)
    else:
        console.print("No single point of failure: no one absence opens a risk of consequence 4+.")
    console.print(f"wrote {directory}/resilience.json")


def print_simulation(doc: dict[str, Any], directory: Path, console: Console | None = None) -> None:
    """Probability and size of shortfalls per category and tier."""
    console = console or terminal_console()
    console.print(
        f"[bold]{doc['scenario']}[/bold]: {doc['samples']} sampled cohorts (seed {doc['seed']}) "
        f"re-planned on {doc['executor']} in {doc['seconds']:.1f} s"
    )
    for title, rows in (("By risk category", doc["categories"]), ("By tier (hours)", doc["tiers"])):
        table = Table(title=title, title_justify="left")
        for col in ("", "P(shortfall)", "P50", "P80", "P95", "unit"):
            table.add_column(col, justify="left" if col in ("", "unit") else "right")
        for name, s in rows.items():
            table.add_row(
                name,
                f"{s['p_shortfall']:.1%}",
                f"{s['p50']:g}",
                f"{s['p80']:g}",
                f"{s['p95']:g}",
                "h/wk" if s["unit"] == "hours_per_week" else "people",
            )
        console.print(table)
    console.print(f"wrote {directory}/simulation.json")
