"""What ``skillmix review``, ``sample`` and ``synth-activity`` run (the CLI stays thin)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from optimiser.output import csv_text, json_text
from optimiser.pipeline import plan
from optimiser.review.findings import REVIEW_COLUMNS, review, review_rows
from optimiser.review.reading import (
    HEADER_WARNINGS,
    ActivityError,
    Table,
    read_activity,
    read_supervision,
)
from optimiser.review.sample import (
    SAMPLE_COLUMNS,
    audit_workbook,
    draw_sample,
    read_audit,
)
from optimiser.scenario import Scenario, Segment

#: rows' problems shown when none of an activity file's rows could be read
NOTHING_READ_SHOWN = 5


def run_review(
    scenario: Scenario,
    activity_path: str | Path,
    supervision_path: str | Path | None = None,
    start: date | None = None,
    end: date | None = None,
    audit_path: str | None = None,
    replan: bool = False,
) -> tuple[dict[str, Any], dict[str, str | bytes]]:
    """``review.json`` and the files to write (``review.json``, ``review.csv``)."""
    activity = read_activity(activity_path, scenario)
    if activity.frame.empty and (start is None or end is None):
        raise ActivityError(_nothing_read(activity_path, activity, "give --from and --to"))
    supervision = read_supervision(supervision_path, scenario) if supervision_path else None
    doc = review(scenario, activity, supervision, start, end)
    doc["activity_file"] = str(activity_path)
    if supervision_path:
        doc["supervision_file"] = str(supervision_path)
    if audit_path:
        doc["audit"] = read_audit(audit_path)
    if replan:
        doc["replan"] = replan_observed(scenario, doc)
    files: dict[str, str | bytes] = {
        "review.json": json_text(doc),
        "review.csv": csv_text(review_rows(doc), REVIEW_COLUMNS),
    }
    return doc, files


def observed_scenario(scenario: Scenario, doc: dict[str, Any]) -> Scenario:
    """``scenario`` with its people spread over the tiers as the review saw them:
    the same total, each tier's share the share of distinct people seen, split
    over the tier's segments as planned (tiers with no segment keep none)."""
    total = sum(seg.people for seg in scenario.cohort)
    share = {a["tier"]: a["seen_share"] for a in doc["acuity"]}
    by_tier: dict[str, list[Segment]] = {}
    for seg in scenario.cohort:
        by_tier.setdefault(seg.tier, []).append(seg)
    cohort = []
    for tier, segs in by_tier.items():
        planned = sum(s.people for s in segs)
        target = round(total * share.get(tier, 0.0))
        for seg in segs:
            part = seg.people / planned if planned else 1 / len(segs)
            cohort.append(seg.model_copy(update={"people": int(round(target * part))}))
    return scenario.model_copy(update={"cohort": cohort})


def replan_observed(scenario: Scenario, doc: dict[str, Any]) -> dict[str, Any]:
    """Re-plan with the observed tier mix: the change in risk and in the package."""

    before = plan(scenario)
    after = plan(observed_scenario(scenario, doc))

    def summary(p: Any) -> dict[str, Any]:
        package = p.mitigation_package or {}
        return {
            "risk_penalty": p.objective.get("risk_penalty"),
            "risks": len(p.risks),
            "red_flags": sum(1 for r in p.risks if r["red_flag"]),
            "risk_score": sum(r["score"] for r in p.risks),
            "package_annual_cost": package.get("annual_cost"),
            "package": [
                {"role": a["role"], "fte": a["fte"], "annual_cost": a["annual_cost"]}
                for a in package.get("additions", [])
            ],
        }

    a, b = summary(before), summary(after)
    return {
        "planned": a,
        "observed": b,
        "change": {
            "risk_penalty": round((b["risk_penalty"] or 0) - (a["risk_penalty"] or 0), 2),
            "risks": b["risks"] - a["risks"],
            "red_flags": b["red_flags"] - a["red_flags"],
            "package_annual_cost": round(
                (b["package_annual_cost"] or 0) - (a["package_annual_cost"] or 0), 2
            ),
        },
        "people_by_tier": {
            tier: sum(s.people for s in observed_scenario(scenario, doc).cohort if s.tier == tier)
            for tier in scenario.tiers
        },
    }


def run_sample(
    scenario: Scenario, activity_path: str | Path, size: int, seed: int = 0
) -> tuple[list[dict[str, Any]], dict[str, str | bytes], Table]:
    """The sampled cases and the files ``sample.csv`` and ``audit.xlsx``."""
    activity = read_activity(activity_path, scenario)
    if activity.frame.empty:
        raise ActivityError(_nothing_read(activity_path, activity, "nothing to sample"))
    tiers = activity.frame["tier"].nunique()
    if size < min(tiers, len(activity.frame)):
        # PLAN.md: N rows or fewer, and every tier present sampled: both cannot hold
        raise ActivityError([
            f"--size {size} is fewer than the {tiers} tiers in {activity_path}: every tier "
            f"is sampled, so give --size {tiers} or more"
        ])  # fmt: skip
    doc = review(scenario, activity)
    cases = draw_sample(scenario, activity.frame, doc, size, seed)
    files: dict[str, str | bytes] = {
        "sample.csv": csv_text(cases, SAMPLE_COLUMNS),
        "audit.xlsx": audit_workbook(cases),
    }
    return cases, files, activity


def _nothing_read(path: str | Path, activity: Table, then: str) -> list[str]:
    """The messages for an activity file with no readable row: why, and the
    first rows' problems."""
    why = f" ({activity.problem_count} unreadable)" if activity.problem_count else ""
    # the rows' problems first, the header's warnings after them
    ordered = sorted(activity.problems, key=lambda p: p.message.startswith(HEADER_WARNINGS))
    first = [str(p) for p in ordered[:NOTHING_READ_SHOWN]]
    return [f"{path}: no readable activity row{why}: {then}", *first]
