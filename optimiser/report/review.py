"""The report's review section: delivered work against the plan (``report --activity``)."""

from __future__ import annotations

from typing import Any

from optimiser.report.model import Column, Section, Table


def review_section(doc: dict[str, Any]) -> Section:
    """Completion, findings as risks and supervision from a ``review.json`` document."""
    p = doc["period"]
    lapses = sum(1 for s in doc["supervision"] if s["below"])
    drift = [a["tier"] for a in doc["acuity"] if a["drift"]]
    completion = doc["kpis"]["contact_completion"]
    paragraphs = [
        f"Delivered work from {p['from']} to {p['to']} ({p['weeks']:g} weeks): "
        f"{doc['reviewed_rows']:,} activity rows reviewed, {doc['unreadable_rows']} unreadable, "
        f"{doc['outside_period']['count']} outside the period. Contact completion "
        + ("-" if completion is None else f"{completion:.0%}")
        + f"; role blur on {len(doc['role_blur'])} rows; unsigned delegation on "
        f"{len(doc['unsigned_delegation'])} rows; supervision below need for {lapses} of "
        f"{len(doc['supervision'])} people; acuity drift: {', '.join(drift) or 'none'}.",
    ]
    items = [
        Table(
            "review-risks",
            "Review findings as workforce risks",
            [
                Column("id", "Id"),
                Column("score", "Score", "int"),
                Column("category", "Category"),
                Column("title", "Finding"),
                Column("rows", "Activity rows"),
            ],
            [
                {
                    "id": r["id"],
                    "score": r["score"],
                    "category": r["category"].replace("_", " "),
                    "title": r["title"],
                    "rows": ", ".join(str(n) for n in r["rows"][:10])
                    + (" ..." if r["row_count"] > 10 else ""),
                }
                for r in doc["risks"]
            ],
            "Each finding names the activity rows behind it (review.csv lists them all).",
        ),
        Table(
            "review-completion",
            "Completion: delivered against required occurrences",
            [
                Column("task", "Task"),
                Column("tier", "Tier"),
                Column("required", "Required", "number"),
                Column("delivered", "Delivered", "int"),
                Column("rate", "Rate", "pct"),
            ],
            doc["completion"],
        ),
        Table(
            "review-supervision",
            "Supervision received against need",
            [
                Column("staff", "Person"),
                Column("role", "Role"),
                Column("required_hours", "Required h", "number"),
                Column("received_hours", "Received h", "number"),
                Column("below", "Below need", "bool"),
            ],
            doc["supervision"],
        ),
    ]
    if doc.get("audit"):
        a = doc["audit"]
        paragraphs.append(
            f"Case audit: {a['compliant']} of {a['audited']} sampled cases compliant "
            f"({a['rate']:.0%}, 95% interval {a['ci_low']:.0%} to {a['ci_high']:.0%})."
        )
    return Section("review", "Quarterly review of delivered work", paragraphs, [], items)
