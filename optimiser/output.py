"""Plan files as text: JSON and CSV (written by :mod:`optimiser.io`).

CSV cells that a spreadsheet would read as a
formula (``= + - @``) are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from optimiser.io import write_files
from optimiser.plan import Plan

__all__ = ["csv_text", "json_text", "plan_files", "write_files"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

RISK_COLUMNS = [
    "id",
    "category",
    "consequence",
    "likelihood",
    "score",
    "red_flag",
    "title",
    "detail",
    "task",
    "tier",
    "segment",
    "role",
    "staff",
    "shortfall",
    "unit",
    "requirement",
    "rows",
    "mitigations",
]
ALLOCATION_COLUMNS = ["task", "segment", "role", "staff", "hours_per_week"]
SHORTFALL_COLUMNS = [
    "risk",
    "category",
    "task",
    "tier",
    "segment",
    "role",
    "staff",
    "shortfall",
    "unit",
    "requirement",
]
UTILISATION_COLUMNS = [
    "role",
    "staff",
    "fte",
    "headcount",
    "available_hours",
    "task_hours",
    "signoff_hours",
    "duty_hours",
    "supervision_given_hours",
    "supervision_received_hours",
    "continuity_hours",
    "caseload_points",
    "caseload_capacity",
    "utilisation",
    "utilisation_target",
    "target_hours",
    "utilisation_of_target",
]


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula; leave numbers alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text with the given columns (None as empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else safe_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def json_text(data: Any) -> str:
    """Stable, readable JSON."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def risk_rows(risks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Risks flattened for CSV: mitigations joined as text."""
    return [
        {**r, "mitigations": "; ".join(m["text"] for m in r.get("mitigations") or [])}
        for r in risks
    ]


def plan_files(plan: Plan) -> dict[str, str]:
    """The files of ``solve`` (PLAN.md) as name -> text."""
    data = plan.to_dict()
    return {
        "plan.json": json_text(data),
        "allocation.csv": csv_text(data["allocation"], ALLOCATION_COLUMNS),
        "risks.csv": csv_text(risk_rows(data["risks"]), RISK_COLUMNS),
        "utilisation.csv": csv_text(data["utilisation"], UTILISATION_COLUMNS),
        "shortfalls.csv": csv_text(data["shortfalls"], SHORTFALL_COLUMNS),
    }
