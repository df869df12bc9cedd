"""The caseload assignment in the terminal: headline numbers, unplaced people
with reasons, the per-coordinator load table and the risks."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from optimiser.terminal import console as terminal_console


def print_caseload(
    doc: dict[str, Any], directory: Any = None, console: Console | None = None
) -> None:
    """Headline numbers, unplaced people with reasons, the per-coordinator load table
    and the risks."""
    console = console or terminal_console()
    s = doc["summary"]
    console.print(f"[bold]{doc['scenario']}[/bold]: caseload assignment ({doc['status']}, "
                  f"{doc['solve_seconds']:.2f} s)")  # fmt: skip
    console.print(
        f"placed: [bold]{s['placed']}[/bold] of {s['people']}   "
        f"kept their coordinator: {s['kept']} of {s['with_current_coordinator']} "
        f"({s['changed']} changed)   in their locality: {s['locality_matches']} of "
        f"{s['with_locality']}   points: {s['points_placed']:g} of {s['capacity']:g}   "
        f"highest utilisation: {s['highest_utilisation']:.0%}"
    )
    if s["unplaced"]:
        console.print(
            f"[red]unplaced: {s['unplaced']}[/red] ({s['unplaced_no_eligible']} no eligible "
            f"coordinator, {s['unplaced_all_full']} all eligible full)"
        )
        for u in doc["unplaced"][:10]:
            console.print(f"  {u['person']}: {u['reason']}: {u['detail']}")
        if len(doc["unplaced"]) > 10:
            console.print(f"  ... and {len(doc['unplaced']) - 10} more (caseload.csv)")
    if s.get("moved_by_reason"):
        console.print(
            "changed coordinator, by reason: "
            + ", ".join(f"{k} {n}" for k, n in s["moved_by_reason"].items())
            + " (handover.csv lists them)"
        )
    if doc.get("not_coordinated"):
        console.print(
            f"not assigned (their tier needs no care coordinator): {len(doc['not_coordinated'])}"
        )
    if doc["moved"]:
        console.print(f"moved to a new coordinator: {len(doc['moved'])}")
        for m in doc["moved"][:10]:
            console.print(f"  {m['person']}: {m['reason']}")
        if len(doc["moved"]) > 10:
            console.print(f"  ... and {len(doc['moved']) - 10} more (caseload.csv)")
    gaps = [st for st in doc["stages"] if st["status"] != "optimal"]
    for st in gaps:
        console.print(
            f"[yellow]{st['stage']}: {st['value']:g}, proven bound {st['bound']:g} "
            f"(time limit)[/yellow]"
        )
    table = Table(title="Caseload by coordinator", title_justify="left")
    for col in ("coordinator", "role", "locality", "points", "capacity", "use", "people",
                "kept", "new", "handed over"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("coordinator", "role", "locality") else "right"
        )
    for row in doc["coordinators"]:
        use = row["utilisation"]
        table.add_row(
            row["coordinator"],
            row["role"],
            row["locality"] or "",
            f"{row['points']:g}",
            f"{row['capacity']:g}",
            "" if use is None else f"{use:.0%}",
            str(row["people"]),
            str(row["kept"]),
            str(row["new"]),
            str(row["handed_over"]),
        )
    console.print(table)
    if doc["risks"]:
        risks = Table(title="Caseload risks", title_justify="left")
        for col in ("id", "score", "category", "tier", "people", "best mitigation"):
            risks.add_column(col, overflow="fold")
        for r in doc["risks"]:
            best = r["mitigations"][0]["text"] if r["mitigations"] else "-"
            risks.add_row(r["id"], str(r["score"]), r["category"], r["tier"],
                          str(r["shortfall"]), best)  # fmt: skip
        console.print(risks)
    if directory is not None:
        console.print(
            f"wrote {directory}/caseload.csv, caseload-coordinators.csv, caseload-risks.csv, "
            f"caseload.json, handover.csv"
        )
