"""``compare``: plan a base scenario and its variants side by side.

Each scenario is planned with :func:`optimiser.solve.solve` (no mitigations:
they do not change cost, risks or utilisation) and summarised as cost, risk
penalty and score, risk score by category, red flags and utilisation by
role.  ``comparison.json`` holds the summaries and each variant's difference
from the base; ``comparison.csv`` one row per measure, one column per
scenario.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimiser.categories import SHORTFALL_CATEGORIES
from optimiser.plan import r2, used_hours
from optimiser.solve import SolveParams
from optimiser.whatif.assess import assess
from optimiser.whatif.executor import SerialExecutor

if TYPE_CHECKING:
    from optimiser.plan import Plan
    from optimiser.scenario import Scenario
    from optimiser.whatif.executor import Executor

CATEGORIES = (*SHORTFALL_CATEGORIES, "signoff_expiry")


def plan_summary(plan: Plan) -> dict[str, Any]:
    """Cost, risks by category, red flags and utilisation of one plan."""
    by_category: dict[str, dict[str, float]] = {c: {"risks": 0, "score": 0} for c in CATEGORIES}
    for risk in plan.risks:
        entry = by_category.setdefault(risk["category"], {"risks": 0, "score": 0})
        entry["risks"] += 1
        entry["score"] += risk["score"]
    roles: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in plan.utilisation:
        agg = roles[row["role"]]
        agg["fte"] += row["fte"]
        agg["headcount"] += row["headcount"]
        agg["available_hours"] += row["available_hours"]
        agg["used_hours"] += used_hours(row)
        agg["caseload_points"] += row["caseload_points"]
        agg["caseload_capacity"] += row["caseload_capacity"]
    utilisation = {
        role: {
            "fte": round(agg["fte"], 6),
            "headcount": int(agg["headcount"]),
            "available_hours": r2(agg["available_hours"]),
            "used_hours": r2(agg["used_hours"]),
            "utilisation": round(agg["used_hours"] / agg["available_hours"], 4)
            if agg["available_hours"]
            else 0.0,
            "caseload_points": r2(agg["caseload_points"]),
            "caseload_capacity": r2(agg["caseload_capacity"]),
        }
        for role, agg in roles.items()
    }
    return {
        "name": plan.scenario,
        "mode": plan.mode,
        "status": plan.status,
        "annual_cost": plan.cost["annual_total"],
        "cost_by_role": plan.cost["by_role"],
        "risk_penalty": plan.objective.get("risk_penalty"),
        "risk_score": sum(r["score"] for r in plan.risks),
        "risks": len(plan.risks),
        "red_flags": sum(1 for r in plan.risks if r["red_flag"]),
        "risk_score_by_category": {c: v["score"] for c, v in by_category.items()},
        "risks_by_category": {c: v["risks"] for c, v in by_category.items()},
        "utilisation": utilisation,
    }


def compare_one(_shared: None, scenario: Scenario) -> dict[str, Any]:
    """Plan one scenario and summarise it (runs on any executor)."""
    return plan_summary(assess(scenario, SolveParams(mitigations=False)))


def labels(paths: list[str]) -> list[str]:
    """Column labels: file stems, made unique."""

    out: list[str] = []
    for path in paths:
        label = Path(path).stem
        n = 2
        while label in out:
            label = f"{Path(path).stem}-{n}"
            n += 1
        out.append(label)
    return out


def compare(
    scenarios: list[Scenario], paths: list[str], executor: Executor | None = None
) -> dict[str, Any]:
    """The ``comparison.json`` document; the first scenario is the base.

    Parameters
    ----------
    scenarios
        Loaded scenarios, base first.
    paths
        Their files (for labels).
    executor
        Where the plans run (default: this process).
    """

    executor = executor or SerialExecutor()
    summaries = executor.map(compare_one, None, scenarios, description="Planning scenarios")
    names = labels(paths)
    for summary, label, path in zip(summaries, names, paths, strict=True):
        summary["label"] = label
        summary["file"] = str(path)
    base = summaries[0]
    differences = []
    for s in summaries[1:]:
        differences.append(
            {
                "label": s["label"],
                "annual_cost": r2(s["annual_cost"] - base["annual_cost"]),
                "risk_penalty": r2((s["risk_penalty"] or 0) - (base["risk_penalty"] or 0)),
                "risk_score": s["risk_score"] - base["risk_score"],
                "red_flags": s["red_flags"] - base["red_flags"],
                "risk_score_by_category": {
                    c: s["risk_score_by_category"].get(c, 0)
                    - base["risk_score_by_category"].get(c, 0)
                    for c in base["risk_score_by_category"]
                },
            }
        )
    return {"base": names[0], "scenarios": summaries, "differences": differences}


def comparison_rows(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """``comparison.csv``: one row per measure, one column per scenario."""
    summaries = doc["scenarios"]
    names = [s["label"] for s in summaries]
    categories = list(summaries[0]["risk_score_by_category"])
    for s in summaries[1:]:
        categories += [c for c in s["risk_score_by_category"] if c not in categories]
    roles: list[str] = []
    for s in summaries:
        roles += [r for r in s["utilisation"] if r not in roles]

    def row(measure: str, values: list[Any]) -> dict[str, Any]:
        return {"measure": measure, **dict(zip(names, values, strict=True))}

    rows = [
        row("name", [s["name"] for s in summaries]),
        row("status", [s["status"] for s in summaries]),
        row("annual_cost", [s["annual_cost"] for s in summaries]),
        row("risk_penalty", [s["risk_penalty"] for s in summaries]),
        row("risk_score", [s["risk_score"] for s in summaries]),
        row("risks", [s["risks"] for s in summaries]),
        row("red_flags", [s["red_flags"] for s in summaries]),
    ]
    rows += [
        row(f"risk_score:{c}", [s["risk_score_by_category"].get(c, 0) for s in summaries])
        for c in categories
    ]
    for role in roles:
        rows.append(
            row(f"fte:{role}", [s["utilisation"].get(role, {}).get("fte", 0) for s in summaries])
        )
        rows.append(
            row(
                f"utilisation:{role}",
                [s["utilisation"].get(role, {}).get("utilisation", "") for s in summaries],
            )
        )
    return rows, ["measure", *names]
