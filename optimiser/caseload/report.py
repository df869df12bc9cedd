"""What ``skillmix caseload`` writes and prints: rows, risks, files, a rich summary.

Files (PLAN.md): ``caseload.csv`` (one row per person, file order: the fixed
columns ``person,coordinator,previous_coordinator,changed,tier,points`` then
``stage,locality,coordinator_locality,needs,reason``), and beside it
``caseload-coordinators.csv`` (one row per coordinator), ``caseload-risks.csv``
(the risk columns of ``risks.csv``) and ``caseload.json`` (all of it, with the
solver's stages).  The names avoid ``solve``'s files in the same folder.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from optimiser import penalties
from optimiser.caseload.instance import CaseloadInstance, Person, qualified
from optimiser.caseload.people import PeopleFile
from optimiser.caseload.solve import FULL, NO_ELIGIBLE, CaseloadResult
from optimiser.categories import risk_entry
from optimiser.output import RISK_COLUMNS, csv_text, json_text, risk_rows

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

CASELOAD_COLUMNS = [
    "person",
    "coordinator",
    "previous_coordinator",
    "changed",
    "tier",
    "points",
    "stage",
    "locality",
    "coordinator_locality",
    "needs",
    "reason",
]
HANDOVER_COLUMNS = ["person", "from", "to", "reason", "detail"]
COORDINATOR_COLUMNS = [
    "coordinator",
    "role",
    "locality",
    "capacity",
    "points",
    "utilisation",
    "people",
    "kept",
    "new",
    "handed_over",
]


def _plain(value: float) -> float | str:
    """A number as CSV writes it, without an exponent (1e-06 -> 0.000001)."""
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else value


def _r2(value: float) -> float:
    return math.floor(value * 100 + 0.5 + 1e-9) / 100 + 0.0


#: why someone leaves their coordinator: kind -> the short words of handover.csv
MOVE_KINDS = {
    "left_the_team": "left the team",
    "not_a_coordinator": "not a coordinator",
    "not_registered": "needs a registered coordinator",
    "lapsed_signoff": "lapsed sign-off",
    "lacks_competency": "lacks a needed competency",
    "full": "full",
    "not_proven": "moved (stage not proven optimal)",
}


def previous_coordinator(person: Person) -> str | None:
    """The coordinator PEOPLE.csv names, whether or not they can keep the person."""
    return person.current if person.current is not None else person.previous


def move_kinds(result: CaseloadResult) -> dict[str, tuple[str, str]]:
    """Why each person who had a coordinator has another one (or none) now:
    person id -> (kind, words: why they left); kinds as :data:`MOVE_KINDS`."""
    instance = result.instance
    by_id = {c.id: c for c in instance.coordinators}
    load = result.loads()
    out: dict[str, tuple[str, str]] = {}
    for person, coord in zip(instance.people, result.assignment, strict=True):
        prev = previous_coordinator(person)
        if prev is None or coord == prev:
            continue
        c = by_id.get(prev)
        if person.previous is not None and prev not in instance.other_staff:
            out[person.id] = ("left_the_team", f"{prev} has left the team")
        elif c is None:
            out[person.id] = ("not_a_coordinator", f"{prev} does not care-coordinate")
        elif person.registered_only and not c.registered:
            out[person.id] = (
                "not_registered",
                f"{prev} is not registered and tier {person.tier} needs a registered "
                "coordinator",
            )
        elif not person.needs <= c.competencies:
            missing = person.needs - c.competencies
            lacking = ", ".join(sorted(missing))
            if missing <= c.lapsed:  # renewing the sign-off would have kept them
                out[person.id] = (
                    "lapsed_signoff",
                    f"{prev} does not hold {lacking} on the plan date (sign-off lapsed)",
                )
            else:  # never signed off, or outside the role's scope
                out[person.id] = ("lacks_competency", f"{prev} does not hold {lacking}")
        elif load[prev] + person.weight > c.capacity + 1e-9:
            out[person.id] = (
                "full",
                f"{prev} is full ({load[prev]:g} of {c.capacity:g} points)",
            )
        else:  # only when a stage was not proven optimal
            out[person.id] = (
                "not_proven",
                f"{prev} has room ({load[prev]:g} of {c.capacity:g} points)",
            )
    return out


def move_reasons(result: CaseloadResult) -> dict[str, str]:
    """Why each person placed with someone new left their previous coordinator."""
    return {
        pid: f"moved: {words}"
        for pid, (_, words) in move_kinds(result).items()
        if result.reasons.get(pid) is None
    }


def handover_rows(result: CaseloadResult) -> list[dict[str, Any]]:
    """``handover.csv``: every person who changes coordinator, for a team leader to
    work through: ``person,from,to,reason`` (``to`` empty when nobody can take them)."""
    kinds = move_kinds(result)
    rows = []
    for person, coord in zip(result.instance.people, result.assignment, strict=True):
        if person.id not in kinds:
            continue
        kind, words = kinds[person.id]
        unplaced = result.reasons.get(person.id)
        rows.append(
            {
                "person": person.id,
                "from": previous_coordinator(person),
                "to": coord,
                "reason": MOVE_KINDS[kind] + (f"; unplaced: {unplaced}" if unplaced else ""),
                # (nobody takes the unplaced: why they left, not that they moved)
                "detail": words if unplaced else f"moved: {words}",
            }
        )
    return rows


def caseload_rows(result: CaseloadResult) -> list[dict[str, Any]]:
    """One row per person, in file order.

    ``changed`` is ``true`` when the person had a coordinator and now has
    another one or none; a person new to the caseload (no previous
    coordinator) is not ``changed``.  ``reason`` says why someone is unplaced
    or why they left their previous coordinator.
    """
    where = {c.id: c.locality for c in result.instance.coordinators}
    moves = move_reasons(result)
    rows = []
    for person, coord in zip(result.instance.people, result.assignment, strict=True):
        prev = previous_coordinator(person)
        changed = prev is not None and coord != prev
        why = result.reasons.get(person.id) or moves.get(person.id)
        rows.append(
            {
                "person": person.id,
                "coordinator": coord,
                "previous_coordinator": prev,
                "changed": "true" if changed else "false",
                "tier": person.tier,
                "points": _plain(person.weight),
                "stage": person.stage,
                "locality": person.locality,
                "coordinator_locality": where.get(coord) if coord else None,
                "needs": ";".join(sorted(person.needs)) or None,
                "reason": str(why) if why else None,
            }
        )
    return rows


def coordinator_rows(result: CaseloadResult) -> list[dict[str, Any]]:
    """One row per coordinator (file order): load, utilisation, kept, new and handed over."""
    instance = result.instance
    people: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    new: Counter[str] = Counter()
    handed: Counter[str] = Counter()
    for person, coord in zip(instance.people, result.assignment, strict=True):
        if coord is not None:
            people[coord] += 1
            if coord == person.current:
                kept[coord] += 1
            else:
                new[coord] += 1
        if person.current is not None and coord != person.current:
            handed[person.current] += 1
    load = result.loads()
    return [
        {
            "coordinator": c.id,
            "role": c.role,
            "locality": c.locality,
            "capacity": _r2(c.capacity),
            "points": _r2(load[c.id]),
            "utilisation": _r2(load[c.id] / c.capacity) if c.capacity > 0 else None,
            "people": people[c.id],
            "kept": kept[c.id],
            "new": new[c.id],
            "handed_over": handed[c.id],
        }
        for c in instance.coordinators
    ]


def summary(result: CaseloadResult) -> dict[str, Any]:
    """Headline counts: people, placed, kept, changed, locality matches, unplaced by reason."""
    instance = result.instance
    o = result.objectives()
    with_current = sum(1 for p in instance.people if previous_coordinator(p) is not None)
    with_locality = sum(1 for p in instance.people if p.locality is not None)
    changed = sum(
        1
        for p, c in zip(instance.people, result.assignment, strict=True)
        if previous_coordinator(p) is not None and c != previous_coordinator(p)
    )
    reasons = Counter(u.kind for u in result.reasons.values())
    placed = sum(1 for c in result.assignment if c is not None)
    moved = Counter(kind for kind, _ in move_kinds(result).values())
    return {
        "people": len(instance.people),
        "coordinators": len(instance.coordinators),
        "placed": placed,
        "placed_severity": o.placed,
        "unplaced": len(instance.people) - placed,
        "moved_by_reason": {MOVE_KINDS[k]: moved[k] for k in MOVE_KINDS if moved[k]},
        "unplaced_no_eligible": reasons.get(NO_ELIGIBLE, 0),
        "unplaced_all_full": reasons.get(FULL, 0),
        "with_current_coordinator": with_current,
        "kept": o.kept,
        "changed": changed,
        "with_locality": with_locality,
        "locality_matches": o.local,
        "points_placed": _r2(sum(result.loads().values())),
        "capacity": _r2(sum(c.capacity for c in instance.coordinators)),
        "highest_utilisation": _r2(o.peak),
        "points_above_fair_share": _r2(o.spread),
    }


# -- risks ---------------------------------------------------------------------------


def _fte_step(scenario: Scenario) -> float:
    return scenario.sizing.fte_step if scenario.sizing is not None else 0.1


def _new_post_options(
    scenario: Scenario, needs: frozenset[str], registered: bool, points: float
) -> list[dict[str, Any]]:
    """Coordinating roles whose scope covers ``needs`` (and registration), cheapest
    first, with the FTE that carries ``points`` more caseload points."""
    step = _fte_step(scenario)
    options = []
    for role_id, role in scenario.roles.items():
        if role.caseload_capacity <= 0 or (registered and not role.registered):
            continue
        if not needs <= set(role.competencies):
            continue
        fte = math.ceil(points / role.caseload_capacity / step - 1e-9) * step
        fte = round(max(fte, step), 6)
        cost = round(fte * role.annual_cost, 2)
        signoffs = sorted(
            n for n in needs if scenario.competencies[n].signoff_valid_months is not None
        )
        signed = f", signed off in {', '.join(signoffs)}" if signoffs else ""
        options.append(
            {
                "action": "add_fte",
                "role": role_id,
                "fte": fte,
                "annual_cost": cost,
                "text": (
                    f"add {fte:g} FTE {role.title or role_id}{signed} "
                    f"(£{cost:,.0f} a year) for {points:g} caseload points"
                ),
            }
        )
    options.sort(key=lambda m: (m["annual_cost"], m["role"]))
    return options[:2]


def _signoff_options(
    scenario: Scenario, instance: CaseloadInstance, needs: frozenset[str], registered: bool
) -> list[dict[str, Any]]:
    """Coordinators who lack only competencies that a local sign-off confers."""
    options: list[dict[str, Any]] = []
    for c in instance.coordinators:
        if registered and not c.registered:
            continue
        missing = sorted(needs - c.competencies)
        if not missing:
            continue
        if all(scenario.competencies[n].signoff_valid_months is not None for n in missing):
            options.append(
                {
                    "action": "signoff",
                    "role": c.role,
                    "staff": c.id,
                    "competencies": missing,
                    "annual_cost": 0.0,
                    "text": f"sign off {c.id} ({c.role}) in {', '.join(missing)}",
                }
            )
    options.sort(key=lambda m: (len(m["competencies"]), str(m["staff"])))
    return options[:2]


def caseload_risks(scenario: Scenario, result: CaseloadResult) -> list[dict[str, Any]]:
    """The unplaced as workforce risks, one per (reason, tier, needs), highest score first.

    Category ``competence_gap`` when no coordinator is qualified (needs or
    registration), ``caseload_over_capacity`` when every qualified coordinator
    is full.  Consequence is the tier's severity; likelihood the unplaced share
    of the tier's people (as for C7 in ``solve``); shortfall in people.
    """
    instance = result.instance
    tier_people = Counter(p.tier for p in instance.people)
    groups: dict[tuple[str, str, frozenset[str]], list[int]] = defaultdict(list)
    for i, person in enumerate(instance.people):
        why = result.reasons.get(person.id)
        if why is not None:
            groups[(why.kind, person.tier, person.needs)].append(i)
    flags = scenario.policies.red_flags
    min_score = flags.min_score if flags is not None else None
    risks: list[dict[str, Any]] = []
    for (kind, tier, needs), members in groups.items():
        people = [instance.people[i] for i in members]
        first = people[0]
        count = len(people)
        points = sum(p.weight for p in people)
        title_tier = scenario.tiers[tier].title or tier
        ids = ", ".join(p.id for p in people[:20]) + (" ..." if count > 20 else "")
        noun = "person" if count == 1 else "people"
        what = f" needing {', '.join(sorted(needs))}" if needs else ""
        detail_why = result.reasons[first.id].detail
        if kind == NO_ELIGIBLE:
            category = "competence_gap"
            title = (
                f"{count} {noun} in the {tier} tier ({title_tier}){what} cannot be given a "
                f"care coordinator: {detail_why}."
            )
            mitigations = _signoff_options(scenario, instance, needs, first.registered_only)
        else:
            category = "caseload_over_capacity"
            qualified_n = sum(1 for c in instance.coordinators if qualified(first, c))
            title = (
                f"{count} {noun} in the {tier} tier ({title_tier}){what} cannot be given a "
                f"care coordinator: all {qualified_n} who could take them are full."
            )
            mitigations = []
        mitigations += _new_post_options(scenario, needs, first.registered_only, points)
        consequence = scenario.tiers[tier].severity
        likelihood = penalties.likelihood(count, tier_people[tier])
        score = consequence * likelihood
        risks.append(
            risk_entry(
                "",
                category,
                consequence,
                likelihood,
                bool(min_score is not None and score >= min_score),
                title,
                detail=f"{detail_why}; {points:g} caseload points; people: {ids}",
                tier=tier,
                shortfall=count,
                unit="people",
                requirement=tier_people[tier],
                extra={"people": [p.id for p in people]},
                mitigations=mitigations,
            )
        )
    risks.sort(
        key=lambda r: (-int(r["score"]), -int(r["shortfall"]), str(r["tier"]), str(r["title"]))
    )
    for n, r in enumerate(risks, start=1):
        r["id"] = f"R{n}"
    return risks


# -- files ---------------------------------------------------------------------------


def caseload_document(
    scenario: Scenario,
    people: PeopleFile,
    result: CaseloadResult,
    people_path: str,
) -> dict[str, Any]:
    """Everything ``caseload.json`` holds."""
    return {
        "scenario": scenario.name,
        "people_file": people_path,
        "status": result.status.value,
        "solve_seconds": round(result.seconds, 2),
        "summary": summary(result),
        "stages": [
            {
                "stage": s.stage,
                "value": s.value,
                # no bound proved (a huge model's relaxation out of time): null, so
                # that the file stays standard JSON
                "bound": s.bound if math.isfinite(s.bound) else None,
                "status": s.status.value,
                "seconds": round(s.seconds, 2),
            }
            for s in result.stages
        ],
        "warnings": people.warnings,
        "not_coordinated": people.not_coordinated,
        "coordinators": coordinator_rows(result),
        "risks": caseload_risks(scenario, result),
        "unplaced": [
            {"person": pid, "reason": why.kind, "detail": why.detail}
            for pid, why in result.reasons.items()
        ],
        "moved": [{"person": pid, "reason": why} for pid, why in move_reasons(result).items()],
    }


def caseload_files(doc: dict[str, Any], result: CaseloadResult) -> dict[str, str]:
    """The files of ``caseload`` as name -> text."""
    return {
        "caseload.csv": csv_text(caseload_rows(result), CASELOAD_COLUMNS),
        "caseload-coordinators.csv": csv_text(doc["coordinators"], COORDINATOR_COLUMNS),
        "caseload-risks.csv": csv_text(risk_rows(doc["risks"]), RISK_COLUMNS),
        "caseload.json": json_text(doc),
        "handover.csv": csv_text(handover_rows(result), HANDOVER_COLUMNS),
    }
