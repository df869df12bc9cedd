"""The quarterly task-and-risk review: delivered work against what the scenario requires.

Everything is computed on whole columns (pandas), so a year of activity for a
trust (about a million rows) reviews in seconds. Findings (PLAN.md, ``review``):

* ``completion``: per task x tier (and per task x tier x stage), the required
  occurrences (people of the tier in the task's stages x frequency x weeks)
  against the activity rows delivered;
* ``role_blur``: rows done by someone who did not hold the task's competence on
  that date (:func:`optimiser.demand.competence_intervals`, the one sign-off
  validity rule), or by an unregistered person in a tier of the task's
  ``registered_for``;
* ``unsigned_delegation``: rows by an unregistered person for a task with
  ``signoff_share > 0`` and no sign-off by a registered person holding the
  task's competence (on the sign-off date) within 14 days;
* ``supervision``: per person whose role needs supervision, required
  (needs x weeks) against received hours;
* ``acuity``: per tier, the scenario's share of people against the share of
  distinct people seen; ``drift`` beyond 5 points;
* ``kpis``: contact completion, overdue physical health checks by tier.

Findings become workforce risks in the register style (score, red flag,
title, the rows behind each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from optimiser import penalties
from optimiser.categories import risk_entry
from optimiser.demand import competence_intervals, task_applies
from optimiser.review.reading import ActivityError, RowProblem, Table
from optimiser.scenario import Scenario

SIGNOFF_DAYS = 14
DRIFT_POINTS = 0.05
#: completion below this share of the requirement is a finding
COMPLETION_FINDING = 0.9
#: activity rows named behind a risk (the rest are in review.csv)
ROWS_PER_RISK = 50


@dataclass
class Period:
    start: date
    end: date

    @property
    def weeks(self) -> float:
        return ((self.end - self.start).days + 1) / 7

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "weeks": round(self.weeks, 4),
        }


def _holdings(scenario: Scenario) -> pd.DataFrame:
    """staff, competency, valid from, valid until (exclusive), registered."""
    rows = []
    for m in scenario.staff or []:
        registered = scenario.roles[m.role].registered
        for comp, (start, until) in competence_intervals(
            scenario, m.role, dict(m.signoffs)
        ).items():
            rows.append((m.id, comp, start, until, registered))
    frame = pd.DataFrame(rows, columns=["staff", "competence", "start", "until", "registered"])
    # dates as day numbers: date.min / date.max stay comparable without overflow
    frame["start"] = frame["start"].map(date.toordinal)
    frame["until"] = frame["until"].map(date.toordinal)
    return frame


def _days(series: pd.Series) -> pd.Series:
    """Day numbers (``date.toordinal``) of a datetime column, NaT as -1."""
    out = (series - pd.Timestamp("1970-01-01")).dt.days + date(1970, 1, 1).toordinal()
    return out.fillna(-1).astype("int64")


def _held(frame: pd.DataFrame, who: str, day: str, holdings: pd.DataFrame) -> pd.Series:
    """Whether ``frame[who]`` held the row's competence on the day number ``frame[day]``."""
    probe = frame[[who, "competence", day]].reset_index()
    probe.columns = ["index", "staff", "competence", "day"]
    merged = probe.merge(holdings, on=["staff", "competence"], how="left")
    ok = (merged["start"] <= merged["day"]) & (merged["day"] < merged["until"])
    return ok.groupby(merged["index"]).any().reindex(frame.index, fill_value=False)


def review(
    scenario: Scenario,
    activity: Table,
    supervision: Table | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """``review.json`` of an activity extract (and supervision log) against ``scenario``."""
    if scenario.staff is None:
        raise ValueError("the review needs a staff-mode scenario (named staff)")
    frame = activity.frame
    dates = frame["date"]
    if frame.empty and (start is None or end is None):
        raise ValueError("the activity file has no readable row and no --from/--to period")
    period = Period(
        start or dates.min().date(),
        end or dates.max().date(),
    )
    if period.start > period.end:  # --from after --to, or past the activity's dates
        if start is not None and end is not None:
            message = f"--from {start} is after --to {end}: no period to review"
        else:
            given = "--from" if start is not None else "--to"
            message = (f"{given} gives the period {period.start} to {period.end}, which is "
                       "empty: the activity's dates lie on the other side of it")  # fmt: skip
        raise ActivityError([message])
    inside = (dates >= pd.Timestamp(period.start)) & (dates <= pd.Timestamp(period.end))
    outside = frame.loc[~inside]
    frame = frame.loc[inside].copy()
    frame["competence"] = frame["task"].map({t: v.competence for t, v in scenario.tasks.items()})
    role_of = {m.id: m.role for m in scenario.staff or []}
    frame["role"] = frame["staff"].map(role_of)
    frame["registered"] = frame["role"].map({r: v.registered for r, v in scenario.roles.items()})
    frame["day"] = _days(frame["date"])
    holdings = _holdings(scenario)

    out: dict[str, Any] = {
        "scenario": scenario.name,
        "period": period.as_dict(),
        "activity_rows": int(len(activity.frame) + activity.problem_count),
        "reviewed_rows": int(len(frame)),
        "unreadable_rows": activity.problem_count,
        "problems": [str(p) for p in activity.problems],
        "outside_period": {
            "count": int(len(outside)),
            "rows": [int(r) for r in outside["row"].head(200)],
        },
    }
    out["completion"], out["completion_by_stage"] = _completion(scenario, frame, period)
    blur = _role_blur(scenario, frame, holdings)
    unsigned = _unsigned(scenario, frame, holdings)
    out["role_blur"] = blur
    out["unsigned_delegation"] = unsigned
    out["supervision"] = _supervision(scenario, supervision, period)
    if supervision is not None:
        out["supervision_problems"] = [str(p) for p in supervision.problems]
        out["supervision_unreadable_rows"] = supervision.problem_count
        dates = supervision.frame["date"]
        within = (dates >= pd.Timestamp(period.start)) & (dates <= pd.Timestamp(period.end))
        out["supervision_outside_period"] = int((~within).sum())
    out["acuity"] = _acuity(scenario, frame)
    out["kpis"] = _kpis(scenario, out["completion"])
    out["kpis"]["days_escalation_to_decision"] = _escalations(frame)
    out["risks"] = review_risks(scenario, out)
    return out


def _required(scenario: Scenario, period: Period) -> pd.DataFrame:
    rows = []
    for task_id, task in scenario.tasks.items():
        for seg in scenario.cohort:
            if seg.people <= 0 or not task_applies(task, seg):
                continue
            rate = task.frequency[seg.tier].rate
            rows.append((task_id, seg.tier, seg.stage, seg.people * rate * period.weeks))
    return pd.DataFrame(rows, columns=["task", "tier", "stage", "required"])


def _completion(
    scenario: Scenario, frame: pd.DataFrame, period: Period
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    need = _required(scenario, period)
    delivered = frame.groupby(["task", "tier", "stage"]).size().rename("delivered").reset_index()
    by_stage = need.merge(delivered, on=["task", "tier", "stage"], how="outer").fillna(
        {"required": 0.0, "delivered": 0}
    )
    by_tier = by_stage.groupby(["task", "tier"], as_index=False)[["required", "delivered"]].sum()

    def rows(table: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
        out = []
        for rec in table.sort_values(keys).to_dict("records"):
            required = float(rec["required"])
            item = {k: rec[k] for k in keys}
            item.update(
                {
                    "required": round(required, 2),
                    "delivered": int(rec["delivered"]),
                    "rate": round(rec["delivered"] / required, 4) if required > 0 else None,
                }
            )
            out.append(item)
        return out

    return rows(by_tier, ["task", "tier"]), rows(by_stage, ["task", "tier", "stage"])


def _row_list(frame: pd.DataFrame, reason: pd.Series) -> list[dict[str, Any]]:
    out = []
    for rec, why in zip(frame.to_dict("records"), reason, strict=True):
        out.append(
            {
                "row": int(rec["row"]),
                "date": rec["date"].date().isoformat(),
                "person": rec["person"],
                "tier": rec["tier"],
                "task": rec["task"],
                "staff": rec["staff"],
                "role": rec["role"],
                "reason": why,
            }
        )
    return out


def _role_blur(
    scenario: Scenario, frame: pd.DataFrame, holdings: pd.DataFrame
) -> list[dict[str, Any]]:
    held = _held(frame, "staff", "day", holdings)
    pairs = {(t, tier) for t, v in scenario.tasks.items() for tier in v.registered_for}
    reg_only = pd.Series(
        [(t, tier) in pairs for t, tier in zip(frame["task"], frame["tier"], strict=True)],
        index=frame.index,
        dtype=bool,
    )
    unregistered = reg_only & ~frame["registered"].astype(bool)
    blur = ~held | unregistered
    hits = frame.loc[blur]
    reasons = pd.Series("", index=hits.index)
    reasons[~held[blur]] = "did not hold " + hits["competence"] + " on the day"
    both = ~held[blur] & unregistered[blur]
    reasons[both] = reasons[both] + "; "
    reasons[unregistered[blur]] = (
        reasons[unregistered[blur]] + "unregistered, in a registered-only tier"
    )
    return _row_list(hits, reasons)


def _unsigned(
    scenario: Scenario, frame: pd.DataFrame, holdings: pd.DataFrame
) -> list[dict[str, Any]]:
    share = frame["task"].map({t: v.signoff_share for t, v in scenario.tasks.items()})
    delegated = (share > 0) & ~frame["registered"].astype(bool)
    rows = frame.loc[delegated].copy()
    if rows.empty:
        return []
    registered = {m.id for m in scenario.staff or [] if scenario.roles[m.role].registered}
    rows["signed_day"] = _days(rows["signed_off_date"])
    signer_held = _held(rows, "signed_off_by", "signed_day", holdings)
    gap = rows["signed_day"] - rows["day"]
    ok = (
        (rows["signed_off_by"] != "")
        & rows["signed_off_by"].isin(registered)
        & signer_held
        & (gap >= 0)
        & (gap <= SIGNOFF_DAYS)
    )
    hits = rows.loc[~ok]
    why = pd.Series(f"no sign-off within {SIGNOFF_DAYS} days", index=hits.index)
    late = (hits["signed_off_by"] != "") & ~(gap[~ok].between(0, SIGNOFF_DAYS))
    why[late] = "signed off " + gap[~ok][late].astype(str) + " days after"
    bad_signer = (hits["signed_off_by"] != "") & ~late
    why[bad_signer] = (
        "signed off by " + hits["signed_off_by"][bad_signer]
        + ", not a registered holder of " + hits["competence"][bad_signer]
    )  # fmt: skip
    return _row_list(hits, why)


def _supervision(
    scenario: Scenario, supervision: Table | None, period: Period
) -> list[dict[str, Any]]:
    received: dict[str, float] = {}
    supervisors: dict[str, list[str]] = {}
    if supervision is not None and not supervision.frame.empty:
        log = supervision.frame
        mask = (log["date"] >= pd.Timestamp(period.start)) & (
            log["date"] <= pd.Timestamp(period.end)
        )
        log = log.loc[mask]
        received = log.groupby("supervisee")["hours"].sum().to_dict()
        supervisors = {
            k: sorted(set(v)) for k, v in log.groupby("supervisee")["supervisor"].agg(list).items()
        }
    out = []
    for m in scenario.staff or []:
        sup = scenario.roles[m.role].supervision
        if sup is None or sup.needs_hours_per_week <= 0:
            continue
        required = sup.needs_hours_per_week * period.weeks
        got = float(received.get(m.id, 0.0))
        out.append(
            {
                "staff": m.id,
                "role": m.role,
                "required_hours": round(required, 2),
                "received_hours": round(got, 2),
                "supervisors": supervisors.get(m.id, []),
                "below": bool(got < required - 1e-9),
            }
        )
    return out


def _acuity(scenario: Scenario, frame: pd.DataFrame) -> list[dict[str, Any]]:
    planned = {t: 0 for t in scenario.tiers}
    for seg in scenario.cohort:
        planned[seg.tier] += seg.people
    seen = frame.groupby("tier")["person"].nunique().to_dict()
    total_planned = sum(planned.values()) or 1
    total_seen = sum(seen.values()) or 1
    out = []
    for tier in scenario.tiers:
        share_planned = planned[tier] / total_planned
        share_seen = seen.get(tier, 0) / total_seen
        out.append(
            {
                "tier": tier,
                "people": planned[tier],
                "seen": int(seen.get(tier, 0)),
                "planned_share": round(share_planned, 4),
                "seen_share": round(share_seen, 4),
                "drift": bool(abs(share_seen - share_planned) > DRIFT_POINTS),
            }
        )
    return out


def _escalations(frame: pd.DataFrame) -> dict[str, Any]:
    """Days from an escalation to the clinical decision, by tier, for the rows of
    the extract that have both dates (``escalation_date``, ``decision_date``)."""
    both = frame.dropna(subset=["escalation_date", "decision_date"])
    if both.empty:
        return {}
    days = (both["decision_date"] - both["escalation_date"]).dt.days
    out = {}
    for tier, values in days.groupby(both["tier"]):
        out[str(tier)] = {
            "escalations": int(len(values)),
            "median_days": float(values.median()),
            "p90_days": float(values.quantile(0.9)),
            "max_days": int(values.max()),
        }
    return out


def _kpis(scenario: Scenario, completion: list[dict[str, Any]]) -> dict[str, Any]:
    required = sum(c["required"] for c in completion)
    delivered = sum(c["delivered"] for c in completion)
    physical = {t for t, v in scenario.tasks.items() if v.competence == "physical_health"}
    overdue: dict[str, float] = {}
    for c in completion:
        if c["task"] in physical:
            overdue[c["tier"]] = round(
                overdue.get(c["tier"], 0.0) + max(0.0, c["required"] - c["delivered"]), 2
            )
    return {
        "contact_completion": round(delivered / required, 4) if required else None,
        "overdue_physical_health_checks": overdue,
    }


def _risk(
    n: int,
    category: str,
    consequence: int,
    short: float,
    need: float,
    unit: str,
    title: str,
    rows: list[int],
    **where: Any,
) -> dict[str, Any]:
    likelihood = penalties.likelihood(short, need)
    return risk_entry(
        f"V{n}",
        category,
        consequence,
        likelihood,
        consequence * likelihood >= 15,
        title,
        task=where.get("task"),
        tier=where.get("tier"),
        role=where.get("role"),
        staff=where.get("staff"),
        shortfall=round(short, 2),
        unit=unit,
        requirement=round(need, 2),
        extra={"rows": rows[:ROWS_PER_RISK], "row_count": len(rows)},
    )


def review_risks(scenario: Scenario, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Review findings as workforce risks, one per task (role blur, unsigned
    delegation, completion), per person (supervision) and per tier (acuity)."""
    risks: list[dict[str, Any]] = []
    tiers = scenario.tiers

    def add(*args: Any, **kwargs: Any) -> None:
        risks.append(_risk(len(risks) + 1, *args, **kwargs))

    delivered_by_task: dict[str, int] = {}
    for c in doc["completion"]:
        delivered_by_task[c["task"]] = delivered_by_task.get(c["task"], 0) + c["delivered"]
    for category, findings, words in (
        ("role_blur", doc["role_blur"], "done outside the competence or registration it needs"),
        ("unsigned_delegation", doc["unsigned_delegation"], "delegated without timely sign-off"),
    ):
        by_task: dict[str, list[dict[str, Any]]] = {}
        for f in findings:
            by_task.setdefault(f["task"], []).append(f)
        for task_id, items in by_task.items():
            task = scenario.tasks[task_id]
            worst = max(tiers[f["tier"]].severity for f in items)
            add(
                category,
                penalties.coverage_consequence(worst, task.criticality),
                len(items),
                max(delivered_by_task.get(task_id, len(items)), len(items)),
                "occurrences",
                f"{len(items)} occurrence(s) of {task.title.lower()} were {words}.",
                [f["row"] for f in items],
                task=task_id,
            )
    for s in doc["supervision"]:
        if s["below"]:
            add(
                "supervision_lapse",
                penalties.supervision_consequence(scenario.roles[s["role"]].registered),
                s["required_hours"] - s["received_hours"],
                s["required_hours"],
                "hours",
                f"{s['staff']} received {s['received_hours']:g} of the {s['required_hours']:g} "
                "hours of supervision their role needs in the period.",
                [],
                role=s["role"],
                staff=s["staff"],
            )
    for c in doc["completion"]:
        rate = c["rate"]
        if rate is None or rate >= COMPLETION_FINDING:
            continue
        task = scenario.tasks[c["task"]]
        if c["tier"] not in task.registered_for:
            continue
        add(
            "review_frequency",
            penalties.coverage_consequence(tiers[c["tier"]].severity, task.criticality),
            c["required"] - c["delivered"],
            c["required"],
            "occurrences",
            f"{task.title} for the {c['tier']} tier was delivered {c['delivered']} times of "
            f"{c['required']:g} required ({100 * rate:.0f}%).",
            [],
            task=c["task"],
            tier=c["tier"],
        )
    for a in doc["acuity"]:
        if a["drift"]:
            gap = abs(a["seen_share"] - a["planned_share"])
            add(
                "acuity_drift",
                tiers[a["tier"]].severity,
                round(100 * gap, 2),
                100.0,
                "points",
                f"The {a['tier']} tier is {100 * a['seen_share']:.0f}% of the people seen against "
                f"{100 * a['planned_share']:.0f}% planned: the skill mix may no longer match "
                "the cohort's acuity.",
                [],
                tier=a["tier"],
            )
    risks.sort(key=lambda r: (-r["score"], int(r["id"][1:])))
    for n, risk in enumerate(risks, start=1):
        risk["id"] = f"V{n}"
    return risks


def review_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``review.csv``: every finding, one row each (kind, row, date, person, ...)."""
    out = []
    for kind in ("role_blur", "unsigned_delegation"):
        for f in doc[kind]:
            out.append({"finding": kind, **f})
    for s in doc["supervision"]:
        if s["below"]:
            out.append(
                {
                    "finding": "supervision_lapse",
                    "staff": s["staff"],
                    "role": s["role"],
                    "reason": f"received {s['received_hours']:g} of {s['required_hours']:g} h",
                }
            )
    for c in doc["completion"]:
        if c["rate"] is not None and c["rate"] < 1:
            out.append(
                {
                    "finding": "completion",
                    "task": c["task"],
                    "tier": c["tier"],
                    "reason": f"delivered {c['delivered']} of {c['required']:g} required",
                }
            )
    for a in doc["acuity"]:
        if a["drift"]:
            out.append(
                {
                    "finding": "acuity_drift",
                    "tier": a["tier"],
                    "reason": f"seen {a['seen_share']:.1%} vs planned {a['planned_share']:.1%}",
                }
            )
    return out


REVIEW_COLUMNS = ["finding", "row", "date", "person", "tier", "task", "staff", "role", "reason"]

__all__ = ["REVIEW_COLUMNS", "Period", "RowProblem", "review", "review_risks", "review_rows"]
