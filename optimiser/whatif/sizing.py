"""``size``: the establishment of least risk, then least cost (PLAN.md ``sizing.json``).

The definition is the joint sizing MILP of :mod:`optimiser.model.sizing`
(every role's FTE a decision in ``fte_step`` steps, headcount ``ceil(fte)``):
level 1 the least risk penalty any establishment within the bounds reaches
(under a budget: within the budget), level 2 the least annual cost at that
penalty.  This module decides what to solve and checks every answer by
solving the recommended establishment with :func:`optimiser.solve.solve_values`;
the model, its solver options and its lexicographic solve live in
:mod:`optimiser.model.sizing` (no solver object is touched here).

How it is solved, exactly but faster than the plain MILP:

1. **Bounds.** Roles without ``sizing.max_fte`` get the arithmetic bound of
   :func:`optimiser.bounds.useful_max_fte`, beyond which more of a
   role cannot lower any shortfall, so the bound never cuts an optimum off.
2. **Relax, then verify.** The care-coordination counts ``y[segment, role]``
   are made continuous and the lexicographic pair is solved on that
   relaxation.  Its optimum is a lower bound on the exact one at every
   level; the establishment it picks is then solved exactly (integer people
   per coordinator).  If that reaches the relaxation's penalty, the
   establishment is optimal for the exact model too (its cost is the lower
   bound).  Otherwise the exact model is solved from scratch.
3. **Solver options** (:data:`optimiser.model.sizing.SIZING_HIGHS`): a proven
   optimum (``mip_rel_gap`` 1e-9), no presolve, little primal heuristic time.
4. **No objective integrality.** Level 2 costs whole steps of whole-pound
   salaries, so HiGHS detects an integral objective and cuts off any node
   that cannot beat the incumbent by a whole step.  With an incumbent a few
   millionths below its true value (integers within tolerance) that cut-off
   wrongly prunes the optimum (seen on HiGHS 1.12 and 1.15 without presolve:
   66,000 "optimal" where 65,000 is feasible).  The level-2 objective
   therefore adds ``TIE_BREAK x sqrt(2 + i)`` pounds per step of role ``i``
   (irrational ratios: no integral scale exists); the reported cost is the
   true one.  Establishments whose costs differ by less than the perturbation
   (pennies on a team) count as ties.

A role supervises its own people only when it has two or more of them: the
hours model's ``self_supervision_<who>`` rows for a flexible role
(:func:`optimiser.model.hours.add_supervision`), as ``solve`` forbids a lone
person supervising themselves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optimiser.bounds import todays_fte, with_sizing_bounds, with_todays_floor
from optimiser.categories import CATEGORIES
from optimiser.model.lp import Status
from optimiser.model.sizing import SizingModel
from optimiser.plan import r2
from optimiser.scenario import Post
from optimiser.solve import SolveParams, solve_values
from optimiser.whatif.assess import assess
from optimiser.whatif.cohorts import default_seed, percentile_cohort
from optimiser.whatif.executor import SerialExecutor

if TYPE_CHECKING:
    from optimiser.model.sizing import SizingModel
    from optimiser.plan import Plan
    from optimiser.scenario import Scenario
    from optimiser.whatif.executor import Executor

Key = tuple[str, ...]

#: a penalty below this is solver noise (no shortfall rounds to a hundredth of a unit)
NOISE = 1e-4
#: how far the exact re-solve of an establishment may exceed the relaxation's penalty
VERIFY_ATOL = 1e-4


@dataclass
class SizingOutcome:
    """The recommended establishment and how it was found.

    ``slacks`` are the exact model's shortfalls at the recommended
    establishment (what its plan leaves undone).
    """

    status: Status
    penalty: float
    cost: float
    fte: dict[str, float]
    headcount: dict[str, int]
    slacks: dict[Key, float]
    step: float
    min_steps: dict[str, int]
    max_steps: dict[str, int]
    budget: float | None = None
    method: str = "relaxation verified"
    seconds: float = 0.0

    def steps(self, role: str) -> int:
        """The chosen number of ``fte_step`` steps of a role."""
        return int(round(self.fte.get(role, 0.0) / self.step))


@dataclass
class SizingReport:
    """Everything ``size`` writes: ``sizing.json`` and the recommended plan."""

    outcome: SizingOutcome
    data: dict[str, Any]
    plan: Plan | None
    scenario: Scenario
    extra: dict[str, Any] = field(default_factory=dict)


# -- the model ---------------------------------------------------------------------------


def build_model(scenario: Scenario, budget: float | None = None) -> SizingModel:
    """The sizing MILP of ``scenario`` (bounds made explicit)."""
    return SizingModel(with_sizing_bounds(scenario), budget)


def establishment_scenario(
    scenario: Scenario, fte: dict[str, float], headcount: dict[str, int] | None = None
) -> Scenario:
    """``scenario`` in FTE mode with this establishment (headcount default ``ceil(fte)``)."""

    posts = {
        role: Post(
            fte=fte.get(role, 0.0),
            headcount=(headcount or {}).get(role, math.ceil(fte.get(role, 0.0) - 1e-9)),
        )
        for role in scenario.roles
    }
    return scenario.model_copy(update={"establishment": posts, "staff": None})


def _verify(scenario: Scenario, fte: dict[str, float], head: dict[str, int]) -> Any:
    return solve_values(establishment_scenario(scenario, fte, head), SolveParams(mitigations=False))


def size_establishment(
    scenario: Scenario, budget: float | None = None, time_limit: float | None = None
) -> SizingOutcome:
    """The least-risk, then least-cost establishment of ``scenario`` (see module docstring).

    Parameters
    ----------
    scenario
        A loaded scenario (FTE or staff mode; roles are sized).
    budget
        Annual cost the establishment may not exceed.
    time_limit
        Seconds per solver call (``None``: prove optimality).
    """
    started = time.perf_counter()
    model = build_model(scenario, budget)
    bounds = model.bounds
    model.relax_coordination()
    status, penalty, cost = model.solve(time_limit)

    def outcome(
        status: Status, penalty: float, cost: float, fte, head, slacks, method
    ) -> SizingOutcome:
        return SizingOutcome(
            status=status,
            penalty=0.0 if abs(penalty) < NOISE else penalty,
            cost=cost,
            fte=fte,
            headcount=head,
            slacks=slacks,
            step=bounds.step,
            min_steps=dict(bounds.min_steps),
            max_steps=dict(bounds.max_steps),
            budget=budget,
            method=method,
            seconds=time.perf_counter() - started,
        )

    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return outcome(status, math.nan, math.nan, {}, {}, {}, "relaxation")
    fte, head = model.chosen()
    values = _verify(scenario, fte, head)
    if status is Status.OPTIMAL and values.penalty <= penalty + VERIFY_ATOL * max(1.0, penalty):
        return outcome(
            status, values.penalty, cost, fte, head, values.slacks, "relaxation verified"
        )

    exact = build_model(scenario, budget)
    status, penalty, cost = exact.solve(time_limit)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):  # pragma: no cover - relaxation feasible
        return outcome(status, math.nan, math.nan, {}, {}, {}, "exact")
    fte, head = exact.chosen()
    values = _verify(scenario, fte, head)
    if values.penalty > penalty + VERIFY_ATOL * max(1.0, penalty):  # pragma: no cover
        status = Status.FEASIBLE
    return outcome(status, values.penalty, cost, fte, head, values.slacks, "exact")


# -- costs and establishments -------------------------------------------------------------


def current_establishment(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Today's FTE and headcount by role (staff mode: summed over people)."""
    fte = todays_fte(scenario)
    out: dict[str, dict[str, float]] = {r: {"fte": fte[r], "headcount": 0} for r in scenario.roles}
    if scenario.staff is not None:
        for member in scenario.staff:
            out[member.role]["headcount"] += 1
    else:
        for role, post in (scenario.establishment or {}).items():
            out[role]["headcount"] = post.headcount
    return out


def annual_cost(scenario: Scenario, fte: dict[str, float]) -> float:
    """Annual cost of an establishment."""
    return r2(sum(scenario.roles[r].annual_cost * f for r, f in fte.items()))


def cheapest_cost(scenario: Scenario) -> float:
    """Cost of the smallest establishment the bounds allow (every role at its ``min_fte``)."""
    sizing = scenario.sizing
    step = sizing.fte_step if sizing else 0.1
    total = 0.0
    for role_id, role in scenario.roles.items():
        lo = sizing.min_fte.get(role_id, 0.0) if sizing else 0.0
        total += role.annual_cost * step * math.ceil(lo / step - 1e-9)
    return r2(total)


# -- why a risk cannot be sized away ------------------------------------------------------


def _titles(scenario: Scenario, roles: list[str]) -> str:
    names = [scenario.roles[r].title for r in roles]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _role_list_reason(
    scenario: Scenario,
    outcome: SizingOutcome,
    roles: list[str],
    what: str,
    none_text: str,
) -> tuple[str, str]:
    """(reason code, plain-English why) for a requirement that ``roles`` could meet."""
    if not roles:
        return "no_role", none_text
    open_roles = [r for r in roles if outcome.max_steps.get(r, 0) > 0]
    if not open_roles:
        return (
            "max_fte",
            f"only the {_titles(scenario, roles)} role{'s' if len(roles) > 1 else ''} may {what}, "
            f"and sizing.max_fte allows none of {'them' if len(roles) > 1 else 'it'}",
        )
    at_max = [r for r in open_roles if outcome.steps(r) >= outcome.max_steps[r]]
    if len(at_max) == len(open_roles):
        caps = ", ".join(
            f"{scenario.roles[r].title} {outcome.max_steps[r] * outcome.step:g} FTE" for r in at_max
        )
        return (
            "max_fte",
            f"every role that may {what} is already at its sizing.max_fte ({caps})",
        )
    if outcome.budget is not None:
        return (
            "budget",
            f"the budget of £{outcome.budget:,.0f} is spent on heavier risks first "
            f"(roles that may {what}: {_titles(scenario, open_roles)})",
        )
    return (
        "trade_off",
        f"more of the roles that may {what} ({_titles(scenario, open_roles)}) would open a "
        f"heavier risk elsewhere (each extra person needs supervision, within supervisors' "
        f"caps and the other bounds)",
    )


def why_unfixable(
    scenario: Scenario, outcome: SizingOutcome, risk: dict[str, Any]
) -> tuple[str, str]:
    """Why no establishment within the bounds (and budget) removes ``risk``
    (the roles that could, from :data:`optimiser.categories.CATEGORIES`)."""
    entry = CATEGORIES.get(risk["category"])
    if entry is None:
        return "other", "no establishment within the bounds removes it"
    what, none_text = entry.cannot(scenario, risk)
    return _role_list_reason(scenario, outcome, entry.roles(scenario, risk), what, none_text)


def unfixable_risks(scenario: Scenario, outcome: SizingOutcome, plan: Plan) -> list[dict[str, Any]]:
    """The risks left at the recommended establishment, each with why none can remove it."""
    out = []
    for risk in plan.risks:
        reason, why = why_unfixable(scenario, outcome, risk)
        out.append(
            {
                "risk": risk["id"],
                "category": risk["category"],
                "task": risk.get("task"),
                "tier": risk.get("tier"),
                "segment": risk.get("segment"),
                "role": risk.get("role"),
                "consequence": risk["consequence"],
                "score": risk["score"],
                "shortfall": risk["shortfall"],
                "unit": risk["unit"],
                "title": risk["title"],
                "reason": reason,
                "why": why[0].upper() + why[1:] + "." if why else "",
            }
        )
    return out


# -- frontier -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierTask:
    """Shared data of the frontier's budget points."""

    scenario: Scenario
    time_limit: float | None = None


def frontier_point(task: FrontierTask, budget: float) -> dict[str, Any]:
    """Size under one budget and score its plan (runs on any executor)."""
    outcome = size_establishment(task.scenario, budget, task.time_limit)
    if outcome.status not in ("optimal", "feasible"):
        return {"budget": r2(budget), "status": outcome.status}
    plan = assess(
        establishment_scenario(task.scenario, outcome.fte, outcome.headcount),
        SolveParams(mitigations=False),
    )
    return {
        "budget": r2(budget),
        "status": outcome.status,
        "annual_cost": r2(outcome.cost),
        "risk_penalty": r2(outcome.penalty),
        "risk_score": sum(r["score"] for r in plan.risks),
        "risks": len(plan.risks),
        "red_flags": sum(1 for r in plan.risks if r["red_flag"]),
        "establishment": {r: f for r, f in outcome.fte.items() if f > 0},
    }


def frontier(
    scenario: Scenario,
    top_cost: float,
    points: int,
    executor: Executor,
    time_limit: float | None = None,
) -> list[dict[str, Any]]:
    """The cost / risk Pareto frontier at ``points`` budgets from the cheapest
    establishment to ``top_cost`` (the least-risk cost); dominated points dropped."""
    low = cheapest_cost(scenario)
    high = max(low, top_cost)
    count = max(2, points)
    budgets = sorted({r2(low + (high - low) * i / (count - 1)) for i in range(count)})
    rows = executor.map(
        frontier_point, FrontierTask(scenario, time_limit), budgets, description="Frontier"
    )
    kept: list[dict[str, Any]] = []
    for row in rows:
        if row.get("status") not in ("optimal", "feasible"):
            continue
        if kept and row["annual_cost"] <= kept[-1]["annual_cost"] + 0.005:
            continue  # the same establishment as a smaller budget
        if kept and row["risk_penalty"] >= kept[-1]["risk_penalty"] - 1e-6:
            continue  # costs more, removes no risk: dominated
        kept.append(row)
    return kept


# -- the whole command ----------------------------------------------------------------------


def size(
    scenario: Scenario,
    budget: float | None = None,
    *,
    frontier_points: int = 0,
    percentile: float | None = None,
    samples: int = 1000,
    seed: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    clean_sheet: bool = False,
) -> SizingReport:
    """Size ``scenario`` and plan the recommended establishment (``skillmix size``).

    Parameters
    ----------
    scenario
        A loaded scenario.
    budget
        Annual budget (default: ``sizing.budget`` of the scenario, if any).
    frontier_points
        Budgets of the cost / risk frontier (0: no frontier).
    percentile
        Size for the ``percentile``-th percentile cohort of ``volatility``
        (``samples`` sampled cohorts, ``seed`` default ``volatility.seed``).
    executor
        Where the frontier's budget points run (default: this process).
    time_limit
        Seconds per solver call.
    clean_sheet
        Size a new service from nothing within the ``sizing`` bounds. By default
        today's team is kept: every role at least at today's FTE (the
        establishment, or the sum over named staff), so sizing only adds posts.
    """

    if budget is None and scenario.sizing is not None:
        budget = scenario.sizing.budget
    extra: dict[str, Any] = {}
    target = scenario
    if percentile is not None:

        seed = default_seed(scenario) if seed is None else seed
        target, people = percentile_cohort(scenario, percentile, samples, seed)
        extra["cohort"] = {
            "percentile": percentile,
            "samples": samples,
            "seed": seed,
            "people": people,
            "base_people": {s.id: s.people for s in scenario.cohort},
        }
    sized = target if clean_sheet else with_todays_floor(target)
    outcome = size_establishment(sized, budget, time_limit)
    current = current_establishment(scenario)
    current_cost = annual_cost(scenario, {r: v["fte"] for r, v in current.items()})
    data: dict[str, Any] = {
        "scenario": scenario.name,
        "mode": "clean_sheet" if clean_sheet else "keep_today",
        "status": outcome.status,
        "budget": budget,
        "annual_cost": None,
        "current_annual_cost": current_cost,
        "establishment": {},
        "current_establishment": current,
        "changes": [],
        "unfixable": [],
        "plan": None,
    }
    plan = None
    if outcome.status in ("optimal", "feasible"):
        recommended = establishment_scenario(target, outcome.fte, outcome.headcount)
        plan = assess(recommended, SolveParams())
        cost = annual_cost(scenario, outcome.fte)
        data.update(
            {
                "annual_cost": cost,
                "change_annual_cost": r2(cost - current_cost),
                "risk_penalty": r2(outcome.penalty),
                "risk_score": sum(r["score"] for r in plan.risks),
                "establishment": {
                    r: {"fte": outcome.fte[r], "headcount": outcome.headcount[r]}
                    for r in scenario.roles
                },
                "changes": [
                    {
                        "role": r,
                        "title": role.title,
                        "current_fte": current[r]["fte"],
                        "fte": outcome.fte[r],
                        "change_fte": round(outcome.fte[r] - current[r]["fte"], 6),
                        "current_headcount": current[r]["headcount"],
                        "headcount": outcome.headcount[r],
                        "change_annual_cost": r2(
                            role.annual_cost * (outcome.fte[r] - current[r]["fte"])
                        ),
                    }
                    for r, role in scenario.roles.items()
                ],
                "unfixable": unfixable_risks(target, outcome, plan),
                "plan": "plan.json",
            }
        )
    elif budget is not None:
        floor = "sizing.min_fte" if clean_sheet else "sizing.min_fte and today's FTE"
        data["message"] = (
            f"no establishment within the bounds costs at most £{budget:,.0f}: the smallest "
            f"the bounds allow (every role at its {floor}) costs "
            f"£{cheapest_cost(with_sizing_bounds(sized)):,.0f}"
        )
    data["bounds"] = {
        r: {
            "min_fte": round(outcome.min_steps[r] * outcome.step, 6),
            "max_fte": round(outcome.max_steps[r] * outcome.step, 6),
        }
        for r in scenario.roles
        if r in outcome.min_steps
    }
    data["fte_step"] = outcome.step
    data["method"] = outcome.method
    data["solve_seconds"] = round(outcome.seconds, 3)
    if frontier_points and outcome.status in ("optimal", "feasible"):
        # the top of the frontier is the unbudgeted least-risk cost
        top = outcome.cost
        if budget is not None:
            top = size_establishment(sized, None, time_limit).cost
        data["frontier"] = frontier(
            sized, top, frontier_points, executor or SerialExecutor(), time_limit
        )
    data.update(extra)
    return SizingReport(outcome, data, plan, target, extra)
