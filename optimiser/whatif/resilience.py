"""``resilience``: re-plan with each person away; single points of failure.

Absences: in staff mode each named person; in FTE mode one person of each
role (the role's FTE reduced by ``fte / headcount``, its headcount by one).
Each absence is re-planned with :func:`optimiser.solve.solve` (no
mitigations) and compared with the plan of the whole team:

* ``risk_penalty`` / ``risk_score`` of the absence plan, and what it adds;
* ``new_risks``: risks the whole team does not have (``change: "new"``) or
  has with a smaller shortfall (``change: "worse"``), when the absence raises
  the least achievable penalty at all (a mere reshuffle of equal penalty
  opens nothing).  ``signoff_expiry`` risks are left out on both sides: they
  are about renewals, not absences.

An absence that opens a **new** risk of consequence 4 or more makes that
person (or, in FTE mode, that role's one-person depth) a single point of
failure: a ``single_point_of_failure`` risk with the worst new risk's
details, likelihood 3 ("possible": anyone is away for leave, sickness or
study about a fifth of the year), and the costed mitigations that the
optimiser finds for that risk in the absence plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimiser.categories import risk_entry
from optimiser.plan import r2
from optimiser.solve import SolveParams, solve
from optimiser.whatif.assess import assess
from optimiser.whatif.executor import SerialExecutor

if TYPE_CHECKING:
    from optimiser.plan import Plan
    from optimiser.scenario import Scenario
    from optimiser.whatif.executor import Executor

#: consequence from which a new risk makes the absent person a single point of failure
SPOF_CONSEQUENCE = 4
#: likelihood of a single point of failure biting: "possible" (see module docstring)
SPOF_LIKELIHOOD = 3
EPS = 0.01


@dataclass(frozen=True)
class Absence:
    """One person away: a named person (staff mode) or one person of a role (FTE mode)."""

    role: str
    staff: str | None = None


def absences(scenario: Scenario) -> list[Absence]:
    """Every absence to try, in file order."""
    if scenario.staff is not None:
        return [Absence(m.role, m.id) for m in scenario.staff]
    return [
        Absence(role)
        for role in scenario.roles
        if (post := (scenario.establishment or {}).get(role)) is not None
        and post.fte > 0
        and post.headcount > 0
    ]


def without(scenario: Scenario, absence: Absence) -> Scenario:
    """``scenario`` with ``absence`` applied."""
    if absence.staff is not None:
        staff = [m for m in scenario.staff or [] if m.id != absence.staff]
        return scenario.model_copy(update={"staff": staff})
    establishment = dict(scenario.establishment or {})
    post = establishment[absence.role]
    fte = round(post.fte - post.fte / post.headcount, 6)
    establishment[absence.role] = post.model_copy(
        update={"fte": max(0.0, fte), "headcount": post.headcount - 1}
    )
    return scenario.model_copy(update={"establishment": establishment})


def _risks(plan: Plan) -> list[dict[str, Any]]:
    return [r for r in plan.risks if r["category"] != "signoff_expiry"]


def summary(plan: Plan) -> dict[str, Any]:
    """Penalty, score and risks of a plan (without ``signoff_expiry``)."""
    risks = _risks(plan)
    return {
        "status": plan.status,
        "risk_penalty": plan.objective.get("risk_penalty") or 0.0,
        "risk_score": sum(r["score"] for r in risks),
        "risks": risks,
    }


def plan_absence(scenario: Scenario, absence: Absence) -> dict[str, Any]:
    """Re-plan without one person (runs on any executor)."""
    return summary(
        solve(without(scenario, absence), SolveParams(mitigations=False, expiry_risks=False))
    )


def mitigate_absence(scenario: Scenario, absence: Absence) -> list[dict[str, Any]]:
    """The absence plan's risks with their costed mitigations (for single points of failure)."""
    return _risks(assess(without(scenario, absence), SolveParams(mitigations=True)))


def changed_risks(base: list[dict[str, Any]], absent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Risks of the absence plan that are new or worse than in the whole team's plan."""
    before = {tuple(r["key"]): r for r in base}
    out = []
    for risk in absent:
        old = before.get(tuple(risk["key"]))
        if old is None:
            out.append({**risk, "change": "new", "baseline_shortfall": None})
        elif (risk["shortfall"] or 0) > (old["shortfall"] or 0) + EPS:
            out.append({**risk, "change": "worse", "baseline_shortfall": old["shortfall"]})
    return out


def _who(scenario: Scenario, absence: Absence, headcount: int | None) -> str:
    title = scenario.roles[absence.role].title
    if absence.staff is not None:
        return f"{absence.staff} ({title})"
    only = " (the only one)" if headcount == 1 else ""
    return f"one {title}{only}"


def spof_risk(
    scenario: Scenario,
    absence: Absence,
    opened: list[dict[str, Any]],
    mitigations: list[dict[str, Any]],
    number: int,
) -> dict[str, Any]:
    """The ``single_point_of_failure`` risk of one absence."""
    worst = max(opened, key=lambda r: (r["consequence"], r["score"], r["shortfall"] or 0))
    post = (scenario.establishment or {}).get(absence.role)
    who = _who(scenario, absence, post.headcount if post is not None else None)
    consequence = worst["consequence"]
    more = len(opened) - 1
    title = (
        f"Single point of failure: without {who}, {worst['title'][0].lower()}{worst['title'][1:]}"
    )
    if more:
        title = title.rstrip(".") + f" (and {more} more new risk{'s' if more > 1 else ''})."
    return risk_entry(
        f"S{number}",
        "single_point_of_failure",
        consequence,
        SPOF_LIKELIHOOD,
        any(r["red_flag"] for r in opened),
        title,
        detail=f"Re-planned without {who}; new risks: "
        + "; ".join(f"{r['category']} ({r['title']})" for r in opened),
        task=worst.get("task"),
        tier=worst.get("tier"),
        segment=worst.get("segment"),
        role=absence.role,
        staff=absence.staff,
        shortfall=worst["shortfall"],
        unit=worst["unit"],
        extra={"absent": absence.role, "opens": [r["key"] for r in opened]},
        mitigations=mitigations,
    )


def resilience(scenario: Scenario, executor: Executor | None = None) -> dict[str, Any]:
    """The ``resilience.json`` document of ``scenario``.

    Parameters
    ----------
    scenario
        A loaded scenario.
    executor
        Where the absences are re-planned (default: this process).
    """

    executor = executor or SerialExecutor()
    started = time.perf_counter()
    base = summary(solve(scenario, SolveParams(mitigations=False, expiry_risks=False)))
    todo = absences(scenario)
    plans = executor.map(plan_absence, scenario, todo, description="Absences")
    rows = []
    for n, (absence, result) in enumerate(zip(todo, plans, strict=True)):
        added = r2(result["risk_penalty"] - base["risk_penalty"])
        new = changed_risks(base["risks"], result["risks"]) if added > EPS else []
        rows.append(
            {
                "absent": absence.role,
                "staff": absence.staff,
                "status": result["status"],
                "risk_penalty": result["risk_penalty"],
                "risk_score": result["risk_score"],
                "added_risk_penalty": added,
                "added_risk_score": result["risk_score"] - base["risk_score"],
                "new_risks": new,
                "_order": n,
                "_absence": absence,
            }
        )
    rows.sort(key=lambda r: (-r["added_risk_penalty"], -r["added_risk_score"], r["_order"]))
    spof_rows = [
        r
        for r in rows
        if any(
            x["change"] == "new" and x["consequence"] >= SPOF_CONSEQUENCE for x in r["new_risks"]
        )
    ]
    mitigated = executor.map(
        mitigate_absence, scenario, [r["_absence"] for r in spof_rows], description="Mitigations"
    )
    spofs = []
    for row, risks in zip(spof_rows, mitigated, strict=True):
        opened = [
            x
            for x in row["new_risks"]
            if x["change"] == "new" and x["consequence"] >= SPOF_CONSEQUENCE
        ]
        worst = max(opened, key=lambda r: (r["consequence"], r["score"], r["shortfall"] or 0))
        match = next((r for r in risks if r["key"] == worst["key"]), None)
        spofs.append(
            spof_risk(
                scenario,
                row["_absence"],
                opened,
                (match or {}).get("mitigations", []),
                len(spofs) + 1,
            )
        )
    for row in rows:
        row.pop("_order")
        row.pop("_absence")
    return {
        "scenario": scenario.name,
        "mode": "staff" if scenario.staff is not None else "fte",
        "baseline": {
            "risk_penalty": base["risk_penalty"],
            "risk_score": base["risk_score"],
            "risks": len(base["risks"]),
        },
        "absences": rows,
        "single_points_of_failure": spofs,
        "executor": executor.describe(),
        "seconds": round(time.perf_counter() - started, 3),
    }
