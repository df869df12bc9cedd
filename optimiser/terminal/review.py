"""The review in the terminal: headline numbers and the findings register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from optimiser.terminal import console as terminal_console


def print_review(doc: dict[str, Any], directory: Path | None = None) -> None:
    """Period, rows, completion, findings by kind and the review risks."""
    console = terminal_console()
    p = doc["period"]
    console.print(
        f"[bold]{doc['scenario']}[/bold]: review {p['from']} to {p['to']} ({p['weeks']:g} weeks)"
    )
    console.print(
        f"activity rows: {doc['reviewed_rows']} reviewed, {doc['unreadable_rows']} unreadable, "
        f"{doc['outside_period']['count']} outside the period   "
        f"contact completion: {_pct(doc['kpis']['contact_completion'])}"
    )
    lapses = sum(1 for s in doc["supervision"] if s["below"])
    drift = [a["tier"] for a in doc["acuity"] if a["drift"]]
    console.print(
        f"role blur: {len(doc['role_blur'])} rows   unsigned delegation: "
        f"{len(doc['unsigned_delegation'])} rows   supervision below need: {lapses} of "
        f"{len(doc['supervision'])} people   acuity drift: {', '.join(drift) or 'none'}"
    )
    if doc.get("audit"):
        a = doc["audit"]
        console.print(
            f"audited compliance: {a['compliant']} of {a['audited']} "
            f"({_pct(a['rate'])}, 95% CI {_pct(a['ci_low'])}-{_pct(a['ci_high'])})"
        )
    if doc["risks"]:
        table = Table(title="Review findings as workforce risks", title_justify="left")
        for col in ("id", "score", "category", "finding"):
            table.add_column(col, overflow="fold")
        for r in doc["risks"]:
            table.add_row(r["id"], str(r["score"]), r["category"], r["title"])
        console.print(table)
    if doc.get("replan"):
        c = doc["replan"]["change"]
        console.print(
            f"re-planned with the observed tier mix: risk penalty {c['risk_penalty']:+g}, "
            f"risks {c['risks']:+d}, red flags {c['red_flags']:+d}, mitigation package "
            f"£{c['package_annual_cost']:+,.0f} a year"
        )
    if directory is not None:
        console.print(f"wrote {directory}/review.json, review.csv")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
