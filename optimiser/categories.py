"""The risk-category registry: everything a category means, in one entry.

A shortfall category (SCENARIO.md, "Risk register") is one :class:`Category`:
its slack family (the first element of the model's requirement key), its unit,
its constraint, how bad a shortfall is (consequence rule), what makes two
shortfalls one register entry (cause), its wording for one row and for an entry
of several, the roles whose extra FTE could remove it, and the words for why no
establishment can.  The register (:mod:`optimiser.risks`), the mitigations
(:mod:`optimiser.whatif.mitigations`), sizing's "why unfixable"
(:mod:`optimiser.whatif.sizing`) and the simulation's classification
(:mod:`optimiser.whatif.simulate`) all read :data:`CATEGORIES`; a new category
is one entry here (and its row derivation in :func:`optimiser.risks.derive_shortfalls`).

Categories outside the registry are not shortfalls of one requirement:
``skill_mix_dilution`` (the team's registered share), ``signoff_expiry`` (a
re-plan with a lapsed sign-off) and ``infeasible_requirements`` (strict mode).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from optimiser import penalties
from optimiser.demand import Team
from optimiser.plan import r2

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

Key = tuple[str, ...]
Risk = dict[str, Any]


class RiskEntry(TypedDict, total=False):
    """One register entry as :func:`risk_entry` builds it (keys in that order).

    Always present: ``id`` to ``title``, ``task`` to ``staff``, ``shortfall`` and
    ``unit``; the others where the register has them (``keys``/``rows``: plan
    entries grouping shortfall rows; ``shortfall_fte``: skill-mix dilution;
    ``competency``/``expires``: sign-off expiry; ``conflict``: strict mode; ...).
    """

    id: str
    category: str
    consequence: int
    likelihood: int
    score: int
    red_flag: bool
    title: str
    detail: str
    task: str | None
    tier: str | None
    segment: str | None
    role: str | None
    staff: str | None
    shortfall: float | None
    unit: str | None
    shortfall_fte: float
    requirement: float
    rows: Any
    key: list[Any]
    keys: list[list[Any]]
    mitigations: list[dict[str, Any]]


@dataclass
class Shortfall:
    """One soft requirement left short, re-derived from plan rows."""

    key: Key
    category: str
    amount: float
    requirement: float
    unit: str
    consequence: int
    task: str | None = None
    tier: str | None = None
    segment: str | None = None
    role: str | None = None
    staff: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Category:
    """One shortfall category.

    ``roles`` lists the roles whose extra FTE could remove a risk of the
    category (scenario file order); ``cannot`` gives, for sizing's why-unfixable,
    what those roles may do and the words when no role may do it at all.
    """

    name: str
    family: str
    unit: str
    constraint: str
    describe: Callable[[Scenario, Shortfall], tuple[str, str]]
    describe_group: Callable[[Scenario, list[Shortfall]], tuple[str, str]]
    cause: Callable[[Scenario, Shortfall], tuple[Any, ...]]
    roles: Callable[[Scenario, Risk], list[str]]
    cannot: Callable[[Scenario, Risk], tuple[str, str]]
    #: staff mode: signing off an existing person is a mitigation
    signoff_mitigation: bool = False


# -- consequence, by family -------------------------------------------------------------


def consequence(scenario: Scenario, team: Team, key: Key) -> int:
    """Consequence (1-5) of leaving requirement ``key`` short (SCENARIO.md scoring)."""
    kind = key[0]
    if kind == "coverage":
        tier = next(s.tier for s in scenario.cohort if s.id == key[2])
        return penalties.coverage_consequence(
            scenario.tiers[tier].severity, scenario.tasks[key[1]].criticality
        )
    if kind == "signoff":
        return scenario.tasks[key[1]].criticality
    if kind == "supervision":
        return penalties.supervision_consequence(team.by_id[key[1]].registered)
    if kind == "continuity":
        return penalties.CONSEQUENCE_CONTINUITY
    if kind == "coordination":
        return scenario.tiers[key[1].split("/", 1)[0]].severity
    return penalties.CONSEQUENCE_DUTY


def coverage_category(scenario: Scenario, team: Team, task_id: str, tier: str) -> str:
    """competence_gap / review_frequency / coverage_shortfall for a task and tier (C3)."""
    task = scenario.tasks[task_id]
    registered_only = tier in task.registered_for
    if not team.holders(task.competence, registered_only):
        return "competence_gap"
    return "review_frequency" if registered_only else "coverage_shortfall"


def classify(scenario: Scenario, team: Team, key: Key) -> tuple[str, str | None]:
    """Category and tier of one requirement key of the model."""
    kind = key[0]
    if kind == "coverage":
        tier = key[2].split("/", 1)[0]
        return coverage_category(scenario, team, key[1], tier), tier
    if kind == "coordination":
        return "caseload_over_capacity", key[1].split("/", 1)[0]
    return BY_FAMILY.get(kind, kind), None


# -- wording helpers ---------------------------------------------------------------------


def segment_words(scenario: Scenario, segment: str | None, tier: str | None) -> str:
    """'<tier> tier (<title>)[, <stage> stage]'."""
    if tier is None:
        return ""
    title = scenario.tiers[tier].title
    stage = segment.split("/", 1)[1] if segment else "all"
    return f"{tier} tier ({title})" + ("" if stage == "all" else f", {stage} stage")


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")  # person -> persons (a count of heads)


def _pct(s: Shortfall) -> float:
    return 100 * s.amount / s.requirement if s.requirement else 100.0


def _task_words(scenario: Scenario, s: Shortfall) -> tuple[Any, str, str]:
    task = scenario.tasks[s.task]  # type: ignore[index]
    return task, task.title, scenario.competencies[task.competence].title


def _group_totals(rows: list[Shortfall]) -> tuple[float, float, list[str], list[str]]:
    total = r2(sum(r.amount for r in rows))
    need = sum(r.requirement for r in rows)
    pct = 100 * total / need if need else 100.0
    tasks = list(dict.fromkeys(r.task for r in rows if r.task))
    segments = list(dict.fromkeys(r.segment for r in rows if r.segment))
    return total, pct, tasks, segments


def _tier_words(scenario: Scenario, s: Shortfall) -> str:
    return f"{s.tier} tier ({scenario.tiers[s.tier].title})"  # type: ignore[index]


def _counts(tasks: list[str], segments: list[str]) -> tuple[str, str]:
    n_tasks = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    n_segs = f"{len(segments)} pathway stage{'s' if len(segments) != 1 else ''}"
    return n_tasks, n_segs


def _task_list(scenario: Scenario, tasks: list[str]) -> str:
    return "Tasks: " + ", ".join(scenario.tasks[t].title for t in tasks) + "."


# -- coverage (C3): competence_gap, review_frequency, coverage_shortfall ------------------


def _coverage_cause(scenario: Scenario, s: Shortfall) -> tuple[Any, ...]:
    task = scenario.tasks[s.task]  # type: ignore[index]
    return (s.category, task.competence, s.tier in task.registered_for, s.tier)


def _coverage_roles(scenario: Scenario, risk: Risk) -> list[str]:
    task = scenario.tasks[risk["task"]]
    registered_only = risk.get("tier") in task.registered_for
    return [
        r
        for r, role in scenario.roles.items()
        if task.competence in role.competencies and (role.registered or not registered_only)
    ]


def _coverage_cannot(scenario: Scenario, risk: Risk) -> tuple[str, str]:
    task = scenario.tasks[risk["task"]]
    registered_only = risk.get("tier") in task.registered_for
    comp = scenario.competencies[task.competence].title
    who = "registered role" if registered_only else "role"
    return (
        f"do {task.title.lower()}",
        f"no {who} in the scenario holds '{comp}' ({task.competence}), so no "
        f"establishment can do {task.title.lower()}"
        + (" for this tier" if registered_only else ""),
    )


@dataclass(frozen=True)
class CoverageWords:
    """Wording of one coverage category: ``str.format`` templates over the fields of
    :func:`_coverage_fields` (a row) and :func:`_coverage_group_fields` (an entry)."""

    title: str
    detail: str
    group_title: str

    def row(self, scenario: Scenario, s: Shortfall) -> tuple[str, str]:
        fields = _coverage_fields(scenario, s)
        return self.title.format(**fields), self.detail.format(**fields)

    def group(self, scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
        fields = _coverage_group_fields(scenario, rows)
        return self.group_title.format(**fields), _task_list(scenario, fields["tasks"])


def _coverage_fields(scenario: Scenario, s: Shortfall) -> dict[str, Any]:
    task, task_title, comp = _task_words(scenario, s)
    registered = s.tier in task.registered_for
    return {
        "task_title": task_title,
        "task_lower": task_title.lower(),
        "comp": comp,
        "competence": task.competence,
        "where": segment_words(scenario, s.segment, s.tier),
        "registered": " registered" if registered else "",
        "from_registered": " from a registered professional" if registered else "",
        "amount": r2(s.amount),
        "pct": _pct(s),
        "requirement": r2(s.requirement),
        "planned": r2(s.requirement - s.amount),
    }


def _coverage_group_fields(scenario: Scenario, rows: list[Shortfall]) -> dict[str, Any]:
    first = rows[0]
    total, pct, tasks, segments = _group_totals(rows)
    task, _, comp = _task_words(scenario, first)
    n_tasks, n_segs = _counts(tasks, segments)
    return {
        "registered": " registered" if first.tier in task.registered_for else "",
        "comp": comp,
        "total": total,
        "pct": pct,
        "tier_where": _tier_words(scenario, first),
        "n_tasks": n_tasks,
        "n_segs": n_segs,
        "tasks": tasks,
    }


COMPETENCE_GAP = CoverageWords(
    "No{registered} member of the team holds '{comp}', so {task_lower} for people in the "
    "{where} cannot be done: {amount:g} hours a week.",
    "Demand {requirement:g} h/week; the task needs competence '{competence}'{from_registered}.",
    "No{registered} member of the team holds '{comp}': {total:g} hours a week of work for "
    "people in the {tier_where} cannot be done ({n_tasks}, {n_segs}).",
)
REVIEW_FREQUENCY = CoverageWords(
    "Registered staff cannot keep {task_lower} at the planned frequency for people in the "
    "{where}: {amount:g} hours a week ({pct:.0f}%) go undone.",
    "Registered-only work: demand {requirement:g} h/week, {planned:g} h/week planned.",
    "Registered work for people in the {tier_where} falls {total:g} hours a week ({pct:.0f}%) "
    "short across {n_tasks} and {n_segs}: not enough registered time with '{comp}'.",
)
COVERAGE_SHORTFALL = CoverageWords(
    "{task_title} for people in the {where} falls {amount:g} hours a week ({pct:.0f}%) short "
    "of the planned frequency.",
    "Demand {requirement:g} h/week, {planned:g} h/week planned.",
    "Work for people in the {tier_where} falls {total:g} hours a week ({pct:.0f}%) short "
    "across {n_tasks} and {n_segs}: not enough time with '{comp}'.",
)


# -- sign-off (C4): clinical_oversight ----------------------------------------------------


def _oversight(scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    task, task_title, _ = _task_words(scenario, s)
    title = (
        f"Work delegated to non-registered staff on {task_title.lower()} lacks "
        f"{r2(s.amount):g} hours a week of registered clinical sign-off."
    )
    detail = (
        f"Sign-off needed {r2(s.requirement):g} h/week "
        f"({task.signoff_share:g} of the delegated hours)."
    )
    return title, detail


def _oversight_group(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    total, _, tasks, _ = _group_totals(rows)
    _, _, comp = _task_words(scenario, rows[0])
    title = (
        f"Delegated work on {len(tasks)} tasks lacks {total:g} hours a week of registered "
        f"clinical sign-off: not enough registered time with '{comp}'."
    )
    return title, _task_list(scenario, tasks)


def _oversight_roles(scenario: Scenario, risk: Risk) -> list[str]:
    comp = scenario.tasks[risk["task"]].competence
    roles = scenario.roles
    return [r for r, role in roles.items() if role.registered and comp in role.competencies]


def _oversight_cannot(scenario: Scenario, risk: Risk) -> tuple[str, str]:
    task = scenario.tasks[risk["task"]]
    return (
        f"sign off delegated {task.title.lower()}",
        f"no registered role holds '{scenario.competencies[task.competence].title}' to sign "
        f"off delegated {task.title.lower()}",
    )


# -- supervision (C5): supervision_capacity -----------------------------------------------


def _supervision(scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    amount = r2(s.amount)
    role = scenario.roles[s.role].title if s.role else ""
    who = f"{s.staff} ({role})" if s.staff else f"{_plural(amount, 'person')} in the role {role}"
    hours = s.extra.get("needs_hours_per_week", 0)
    title = (
        f"{who} cannot be given the required {hours:g} hours a week of supervision "
        f"within supervisors' caps and time."
    )
    return title, f"{amount:g} of {s.requirement:g} persons unsupervised."


def _supervision_group(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    first = rows[0]
    total, _, _, _ = _group_totals(rows)
    role = scenario.roles[first.role].title if first.role else ""
    title = (
        f"{total:g} {role} staff cannot be given their supervision within supervisors' "
        "caps and time."
    )
    return title, "Unsupervised: " + ", ".join(r.staff or r.role or "" for r in rows) + "."


def _supervisors(scenario: Scenario, risk: Risk) -> list[str]:
    roles = scenario.roles
    sup = roles[risk["role"]].supervision
    return [
        r
        for r in (sup.supervised_by if sup else [])
        if (s := roles[r].supervision) is not None and s.max_supervisees > 0
    ]


def _supervision_cannot(scenario: Scenario, risk: Risk) -> tuple[str, str]:
    role = scenario.roles[risk["role"]]
    sup = role.supervision
    return (
        f"supervise the {role.title} role",
        f"no role may supervise the {role.title} role (none of supervised_by "
        f"{list(sup.supervised_by) if sup else []} has max_supervisees > 0)",
    )


# -- continuity (C6): continuity_erosion --------------------------------------------------


def _continuity(scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    role = scenario.roles[s.role].title if s.role else ""
    who = f"{s.staff} ({role})" if s.staff else role
    title = f"{who} loses {r2(s.amount):g} hours a week of protected continuity time to other work."
    return title, f"Protected continuity time {r2(s.requirement):g} h/week."


def _continuity_group(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    first = rows[0]
    total, _, _, _ = _group_totals(rows)
    role = scenario.roles[first.role].title if first.role else ""
    title = (
        f"{len(rows)} {role} staff lose {total:g} hours a week of protected continuity time "
        "to other work."
    )
    return title, "Affected: " + ", ".join(r.staff or r.role or "" for r in rows) + "."


def _by_role(_scenario: Scenario, s: Shortfall) -> tuple[Any, ...]:
    return (s.category, s.role)


# -- coordination (C7): caseload_over_capacity --------------------------------------------


def _caseload(scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    amount = r2(s.amount)
    where = segment_words(scenario, s.segment, s.tier)
    people = "1 person" if amount == 1 else f"{amount:g} people"
    title = f"{people} in the {where} cannot be given a care coordinator within caseload caps."
    return title, f"{amount:g} of {s.requirement:g} people uncoordinated."


def _caseload_group(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    first = rows[0]
    total, _, _, segments = _group_totals(rows)
    title = (
        f"{total:g} people in the {_tier_words(scenario, first)} cannot be given a care "
        f"coordinator within caseload caps ({len(segments)} pathway stages)."
    )
    return title, "Segments: " + ", ".join(segments) + "."


def _caseload_cause(scenario: Scenario, s: Shortfall) -> tuple[Any, ...]:
    return (s.category, s.tier, s.tier in scenario.policies.coordination_registered_for)


def _coordinators(scenario: Scenario, risk: Risk) -> list[str]:
    registered_only = risk.get("tier") in scenario.policies.coordination_registered_for
    return [
        r
        for r, role in scenario.roles.items()
        if role.caseload_capacity > 0 and (role.registered or not registered_only)
    ]


def _caseload_cannot(scenario: Scenario, risk: Risk) -> tuple[str, str]:
    registered_only = risk.get("tier") in scenario.policies.coordination_registered_for
    who = "registered role" if registered_only else "role"
    return (
        "care-coordinate people in this tier",
        f"no {who} has a caseload_capacity, so nobody may care-coordinate people in this tier",
    )


# -- duty (C8): duty_cover -----------------------------------------------------------------


def _duty(_scenario: Scenario, s: Shortfall) -> tuple[str, str]:
    title = (
        f"Duty clinician cover is {r2(s.amount):g} hours a week short of the "
        f"{r2(s.requirement):g} hours required."
    )
    return title, "Rapid access to clinical advice is not available for the whole week."


def _duty_roles(scenario: Scenario, _risk: Risk) -> list[str]:
    duty = scenario.policies.duty
    return [
        r
        for r, role in scenario.roles.items()
        if duty and role.registered and duty.competence in role.competencies
    ]


def _duty_cannot(scenario: Scenario, _risk: Risk) -> tuple[str, str]:
    duty = scenario.policies.duty
    comp = duty.competence if duty else ""
    return (
        "cover duty",
        f"no registered role holds '{scenario.competencies[comp].title if comp else comp}' "
        f"to cover duty",
    )


def _one_cause(_scenario: Scenario, s: Shortfall) -> tuple[Any, ...]:
    return (s.category,)


def _one_row(scenario: Scenario, rows: list[Shortfall]) -> tuple[str, str]:
    return _duty(scenario, rows[0])


# -- the registry ----------------------------------------------------------------------------

HOURS, PEOPLE = "hours_per_week", "people"

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "competence_gap", "coverage", HOURS, "C3", COMPETENCE_GAP.row, COMPETENCE_GAP.group,
            _coverage_cause, _coverage_roles, _coverage_cannot,
        ),
        Category(
            "review_frequency", "coverage", HOURS, "C3", REVIEW_FREQUENCY.row,
            REVIEW_FREQUENCY.group, _coverage_cause, _coverage_roles, _coverage_cannot,
            signoff_mitigation=True,
        ),
        Category(
            "coverage_shortfall", "coverage", HOURS, "C3", COVERAGE_SHORTFALL.row,
            COVERAGE_SHORTFALL.group, _coverage_cause, _coverage_roles, _coverage_cannot,
            signoff_mitigation=True,
        ),
        Category(
            "clinical_oversight", "signoff", HOURS, "C4", _oversight, _oversight_group,
            lambda scenario, s: (s.category, scenario.tasks[s.task].competence),
            _oversight_roles, _oversight_cannot, signoff_mitigation=True,
        ),
        Category(
            "supervision_capacity", "supervision", PEOPLE, "C5", _supervision,
            _supervision_group, _by_role, _supervisors, _supervision_cannot,
        ),
        Category(
            "continuity_erosion", "continuity", HOURS, "C6", _continuity, _continuity_group,
            _by_role, lambda _scenario, risk: [risk["role"]],
            lambda _scenario, _risk: ("protect its own continuity time", ""),
        ),
        Category(
            "caseload_over_capacity", "coordination", PEOPLE, "C7", _caseload, _caseload_group,
            _caseload_cause, _coordinators, _caseload_cannot,
        ),
        Category(
            "duty_cover", "duty", HOURS, "C8", _duty, _one_row, _one_cause, _duty_roles,
            _duty_cannot,
        ),
    )
}  # fmt: skip

#: categories whose shortfall an independent check matches against plan rows
SHORTFALL_CATEGORIES: tuple[str, ...] = tuple(CATEGORIES)
#: the coverage family's categories
COVERAGE: tuple[str, ...] = tuple(c.name for c in CATEGORIES.values() if c.family == "coverage")
#: slack family -> category, for the families with one category
BY_FAMILY: dict[str, str] = {
    c.family: c.name for c in CATEGORIES.values() if c.family != "coverage"
}


def unit_of(category: str) -> str:
    """The unit a category's shortfall is counted in."""
    entry = CATEGORIES.get(category)
    return entry.unit if entry else HOURS


# -- register entries ----------------------------------------------------------------------


def risk_entry(
    id: str,
    category: str,
    consequence: int,
    likelihood: int,
    red_flag: bool,
    title: str,
    *,
    shortfall: float | None,
    unit: str | None,
    detail: str | None = None,
    task: str | None = None,
    tier: str | None = None,
    segment: str | None = None,
    role: str | None = None,
    staff: str | None = None,
    about: dict[str, Any] | None = None,
    shortfall_fte: float | None = None,
    requirement: float | None = None,
    extra: dict[str, Any] | None = None,
    key: list[Any] | None = None,
    keys: list[list[Any]] | None = None,
    mitigations: list[dict[str, Any]] | None = None,
) -> Risk:
    """One risk of a register (plan, resilience, review, caseload) as PLAN.md writes it.

    Every register builds its entries here, so the keys always come in one order:
    id, category, consequence, likelihood, score (= consequence x likelihood),
    red_flag, title, detail, task, tier, segment, role, staff, ``about`` (e.g. the
    competency and expiry of a sign-off), shortfall, unit, shortfall_fte,
    requirement, ``extra`` (register-specific), key, keys, mitigations.  Optional
    keys given as ``None`` are left out.
    """
    out: Risk = {
        "id": id,
        "category": category,
        "consequence": consequence,
        "likelihood": likelihood,
        "score": consequence * likelihood,
        "red_flag": red_flag,
        "title": title,
    }
    if detail is not None:
        out["detail"] = detail
    out.update(task=task, tier=tier, segment=segment, role=role, staff=staff)
    out.update(about or {})
    out.update(shortfall=shortfall, unit=unit)
    for name, value in (("shortfall_fte", shortfall_fte), ("requirement", requirement)):
        if value is not None:
            out[name] = value
    out.update(extra or {})
    for name, value in (("key", key), ("keys", keys), ("mitigations", mitigations)):
        if value is not None:
            out[name] = value
    return out
