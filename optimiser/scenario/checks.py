"""Checks across sections of a validated scenario: references, sums, duplicates.

Each finding is a :class:`Problem` at the key path of the offending value.
Errors make loading fail; warnings are suspicious but legal and are kept on
the scenario.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import Scenario
from .problems import Key, LocTree, Problem

_LISTED = 12


def unknown(kind: str, value: str, known: Iterable[str]) -> str:
    """Message for a reference to an id that does not exist.

    Parameters
    ----------
    kind
        What was referred to ("role", "competency", "tier").
    value
        The id given.
    known
        The ids that exist.

    Returns
    -------
    str
        E.g. ``"unknown competency 'risk_assesment' (did you mean
        'risk_assessment'? known: engagement, …)"``.
    """
    names = list(known)
    hint = ""
    close = difflib.get_close_matches(value, names, n=1)
    if close:
        hint = f"did you mean '{close[0]}'? "
    if not names:
        listed = f"no {kind} is defined"
    else:
        listed = "known: " + ", ".join(names[:_LISTED]) + (", ..." if len(names) > _LISTED else "")
    return f"unknown {kind} '{value}' ({hint}{listed})"


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass
class _Findings:
    tree: LocTree
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: tuple[Key, ...], message: str) -> None:
        self.errors.append(self.tree.problem(path, message))

    def warn(self, path: tuple[Key, ...], message: str) -> None:
        self.warnings.append(self.tree.problem(path, message))

    def refs(
        self, kind: str, known: dict[str, Any], items: Iterable[tuple[tuple[Key, ...], str]]
    ) -> None:
        for path, value in items:
            if value not in known:
                self.error(path, unknown(kind, value, known))


def check_mode(data: dict[str, Any], tree: LocTree) -> list[Problem]:
    """Exactly one of ``establishment`` and ``staff`` must be given.

    Parameters
    ----------
    data
        The merged document (before validation).
    tree
        Its locations.

    Returns
    -------
    list of Problem
        Empty when exactly one is given.
    """
    has_establishment = data.get("establishment") is not None
    has_staff = data.get("staff") is not None
    if has_establishment and has_staff:
        message = "give exactly one of establishment (FTE mode) or staff (staff mode), not both"
        return [tree.problem(("staff",), message)]
    if not has_establishment and not has_staff:
        message = "one of establishment (FTE mode) or staff (staff mode) is required"
        return [tree.problem((), message)]
    return []


def check_scenario(
    scenario: Scenario,
    tree: LocTree,
    *,
    headroom_given: bool = True,
    csv_columns: tuple[LocTree, list[str]] | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """Check references between sections and multi-field rules.

    Parameters
    ----------
    scenario
        A scenario whose fields have validated.
    tree
        Locations of the merged document.
    headroom_given
        Whether the file set ``headroom`` (a warning otherwise).
    csv_columns
        When staff came from a CSV file: the location of its header and its
        competency column names, checked once instead of per row.

    Returns
    -------
    tuple of (list of Problem, list of Problem)
        Errors and warnings.
    """
    f = _Findings(tree)
    s = scenario
    roles, comps, tiers = s.roles, s.competencies, s.tiers

    # Roles
    if s.establishment is not None:
        f.refs("role", roles, ((("establishment", r), r) for r in s.establishment))
    for i, member in enumerate(s.staff or []):
        f.refs("role", roles, [(("staff", i, "role"), member.role)])
    for r, role in roles.items():
        f.refs(
            "competency",
            comps,
            ((("roles", r, "competencies", j), c) for j, c in enumerate(role.competencies)),
        )
        if role.supervision is not None:
            f.refs(
                "role",
                roles,
                (
                    (("roles", r, "supervision", "supervised_by", j), other)
                    for j, other in enumerate(role.supervision.supervised_by)
                ),
            )
    if s.sizing is not None:
        for bound in ("min_fte", "max_fte"):
            f.refs("role", roles, ((("sizing", bound, r), r) for r in getattr(s.sizing, bound)))
        for r, low in s.sizing.min_fte.items():
            high = s.sizing.max_fte.get(r)
            if high is not None and low > high:
                f.error(
                    ("sizing", "min_fte", r),
                    f"min_fte {_fmt(low)} is greater than max_fte {_fmt(high)}",
                )

    # Competencies
    for t, task in s.tasks.items():
        f.refs("competency", comps, [(("tasks", t, "competence"), task.competence)])
    if s.policies.duty is not None:
        duty_competence = s.policies.duty.competence
        f.refs("competency", comps, [(("policies", "duty", "competence"), duty_competence)])
    if csv_columns is not None:
        header, columns = csv_columns
        for column in columns:
            if column not in comps:
                f.errors.append(
                    Problem(
                        header.loc.file,
                        "staff",
                        header.loc.line,
                        f"column '{column}': " + unknown("competency", column, comps),
                    )
                )
    else:
        for i, member in enumerate(s.staff or []):
            f.refs("competency", comps, ((("staff", i, "signoffs", c), c) for c in member.signoffs))

    # Tiers
    for t, task in s.tasks.items():
        f.refs("tier", tiers, ((("tasks", t, "frequency", k), k) for k in task.frequency))
        f.refs(
            "tier",
            tiers,
            ((("tasks", t, "registered_for", j), k) for j, k in enumerate(task.registered_for)),
        )
    for i, segment in enumerate(s.cohort):
        f.refs("tier", tiers, [(("cohort", i, "tier"), segment.tier)])
    f.refs(
        "tier",
        tiers,
        (
            (("policies", "coordination_registered_for", j), k)
            for j, k in enumerate(s.policies.coordination_registered_for)
        ),
    )
    if s.volatility is not None:
        for k, row in s.volatility.transitions.items():
            f.refs("tier", tiers, [(("volatility", "transitions", k), k)])
            f.refs("tier", tiers, ((("volatility", "transitions", k, k2), k2) for k2 in row))
            total = sum(row.values())
            if total > 1 + 1e-9:
                f.error(
                    ("volatility", "transitions", k),
                    f"transition probabilities from '{k}' sum to {_fmt(total)}; must be at most 1",
                )

    # Duplicates
    first_segment: dict[str, int] = {}
    for i, segment in enumerate(s.cohort):
        if segment.id in first_segment:
            f.error(
                ("cohort", i),
                f"duplicate segment {segment.id} (first at cohort[{first_segment[segment.id]}])",
            )
        else:
            first_segment[segment.id] = i
    if s.staff is not None and not s.staff:
        f.warn(("staff",), "the team has nobody in it: every task is a shortfall")
    first_staff: dict[str, int] = {}
    for i, member in enumerate(s.staff or []):
        if member.id in first_staff:
            f.error(
                ("staff", i, "id"),
                f"duplicate staff id '{member.id}' (first at staff[{first_staff[member.id]}])",
            )
        else:
            first_staff[member.id] = i

    # Headroom
    _check_headroom(f, s, headroom_given)

    # Establishment
    for r, post in (s.establishment or {}).items():
        if post.fte > 0 and post.headcount == 0:
            f.error(("establishment", r, "headcount"), "must be at least 1 when fte is above 0")
        elif post.fte == 0 and post.headcount > 0:
            f.error(
                ("establishment", r, "headcount"),
                f"must be 0 when fte is 0 (got {post.headcount} people with no contracted hours)",
            )
        elif post.fte > post.headcount:
            f.warn(
                ("establishment", r),
                f"fte {_fmt(post.fte)} is more than full time for a headcount of {post.headcount}",
            )
    if s.establishment is not None:
        for r in roles:
            if r not in s.establishment:
                f.warn(("roles", r), f"role '{r}' has no establishment entry; treated as 0 FTE")

    # Suspicious policies and unheld competences
    duty = s.policies.duty
    if duty is not None and not duty.registered:
        f.warn(
            ("policies", "duty", "registered"),
            "is false, but duty cover is still given by registered roles only (C2)",
        )
    held = {c for role in roles.values() for c in role.competencies}
    for member in s.staff or []:
        held.update(member.signoffs)
    for t, task in s.tasks.items():
        if task.competence in comps and task.competence not in held:
            f.warn(
                ("tasks", t, "competence"),
                f"no role holds competency '{task.competence}'; "
                "all of this task's demand will be a competence gap",
            )
    return f.errors, f.warnings


def _check_headroom(f: _Findings, s: Scenario, headroom_given: bool) -> None:
    if not headroom_given:
        f.warn(("headroom",), "not given: all contracted time is treated as available")
    top = s.headroom.total
    if top >= 1:
        f.error(("headroom",), f"shares sum to {_fmt(top)}; must be less than 1")
    for r, role in s.roles.items():
        if role.headroom is None:
            continue
        effective = s.headroom_share(r)
        if effective >= 1:
            f.error(
                ("roles", r, "headroom"),
                f"effective headroom for role '{r}' (top-level shares overridden by the "
                f"role's) sums to {_fmt(effective)}; must be less than 1",
            )
