"""PEOPLE.csv: the named people to assign, checked against a staff-mode scenario.

Columns ``id,tier,stage`` and optionally ``current_coordinator,locality,needs,weight``
(needs: competency ids separated by ``;``; weight: the person's own caseload
points).  Every problem names the file, the row (as a spreadsheet numbers it:
the header is row 1) and the column, and all problems are reported at once
(:class:`PeopleError`).  Suspicious but legal input (a current coordinator who
does not care-coordinate, a locality no coordinator works in, an unknown
stage) becomes a warning.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from optimiser.caseload.instance import CaseloadInstance, Person, scenario_coordinators
from optimiser.scenario.reading import decimal_number, read_text

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

REQUIRED_COLUMNS = ("id", "tier", "stage")
OPTIONAL_COLUMNS = ("current_coordinator", "locality", "needs", "weight")
#: Largest caseload points one person may count for (a typo guard).
MAX_WEIGHT = 1_000.0
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: Refuse files with more people than this (the file size limit also applies).
MAX_PEOPLE = 200_000


def _letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


@dataclass(frozen=True)
class PeopleProblem:
    """One thing wrong in PEOPLE.csv, and where.

    Attributes
    ----------
    file
        The file as named on the command line.
    row
        Spreadsheet row (header = 1), or ``None`` for whole-file problems.
    column
        Column name, or ``None``.
    message
        What is wrong and what was expected.
    letter
        Spreadsheet column letter, when the column exists in the file.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    letter: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'" + (f" ({self.letter})" if self.letter else ""))
        return ", ".join(where) + ": " + self.message


class PeopleError(Exception):
    """PEOPLE.csv could not be used; ``problems`` lists every problem found."""

    problems: list[PeopleProblem]

    def __init__(self, problems: list[PeopleProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[type[PeopleError], tuple[list[PeopleProblem]]]:
        return (type(self), (self.problems,))


@dataclass
class PeopleFile:
    """The checked people as a :class:`CaseloadInstance`, and warnings."""

    instance: CaseloadInstance
    warnings: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # person id -> spreadsheet row
    #: people of tiers with ``coordination: false``: they need no coordinator
    not_coordinated: list[str] = field(default_factory=list)


def _choices(values: list[str], limit: int = 12) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def read_people(path: str | Path, scenario: Scenario, display: str | None = None) -> PeopleFile:
    """Read and check PEOPLE.csv against a staff-mode scenario.

    Parameters
    ----------
    path
        The CSV file.
    scenario
        A loaded staff-mode scenario (tiers, competencies, staff).
    display
        How the file is named in problems (default: ``path`` as given).

    Returns
    -------
    PeopleFile

    Raises
    ------
    PeopleError
        With every problem found (file, row, column, what was expected).
    ValueError
        If the scenario is not in staff mode.
    """
    name = display if display is not None else str(path)
    coordinators, others = scenario_coordinators(scenario)
    text, read_problems = read_text(Path(path), name)
    if text is None:
        raise PeopleError([PeopleProblem(name, p.line, None, p.message) for p in read_problems])
    problems: list[PeopleProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise PeopleError(
                [
                    PeopleProblem(
                        name,
                        None,
                        None,
                        "file is empty; expected a header row "
                        "id,tier,stage[,current_coordinator,locality,needs,weight]",
                    )
                ]
            )
        header = [h.strip() for h in header]
        problems.extend(_check_header(header, name))
        if problems:
            raise PeopleError(problems)
        col = {h: i for i, h in enumerate(header)}
        records: list[tuple[int, list[str]]] = []
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    PeopleProblem(
                        name,
                        number,
                        None,
                        f"row has {len(row)} fields but the header has {len(header)}",
                    )  # fmt: skip
                )
                continue
            records.append((number, [cell.strip() for cell in row]))
            if len(records) > MAX_PEOPLE:
                problems.append(
                    PeopleProblem(name, number, None, f"more than {MAX_PEOPLE:,} people")
                )
                raise PeopleError(problems)
    except csv.Error as exc:
        problems.append(PeopleProblem(name, reader.line_num, None, f"invalid CSV: {exc}"))
        raise PeopleError(problems) from None

    def problem(row: int, column: str, message: str) -> None:
        problems.append(PeopleProblem(name, row, column, message, _letter(col[column])))

    tiers = list(scenario.tiers)
    competencies = list(scenario.competencies)
    staff_ids = {c.id for c in coordinators} | set(others)
    registered_tiers = set(scenario.policies.coordination_registered_for)
    stages_by_tier: dict[str, set[str]] = defaultdict(set)
    for seg in scenario.cohort:
        stages_by_tier[seg.tier].add(seg.stage)
    localities = {c.locality for c in coordinators if c.locality}
    seen: dict[str, int] = {}
    people: list[Person] = []
    rows: dict[str, int] = {}
    odd_stage: dict[tuple[str, str], list[str]] = defaultdict(list)
    non_coordinators: dict[str, list[str]] = defaultdict(list)
    odd_locality: dict[str, list[str]] = defaultdict(list)
    departed: dict[str, list[str]] = defaultdict(list)
    not_coordinated: list[str] = []
    for number, cells in records:

        def get(column: str, cells: list[str] = cells) -> str:
            return cells[col[column]] if column in col else ""

        ok = True
        pid = get("id")
        if not pid:
            problem(number, "id", "empty id; every person needs a (pseudonymised) id")
            ok = False
        elif pid in seen:
            problem(number, "id", f"duplicate id '{pid}' (first on row {seen[pid]})")
            ok = False
        else:
            seen[pid] = number
        tier = get("tier")
        if tier not in scenario.tiers:
            what = f"unknown tier '{tier}'" if tier else "empty tier"
            problem(number, "tier", f"{what}; expected one of: {_choices(tiers)}")
            ok = False
        stage = get("stage") or "all"
        needs: set[str] = set()
        for need in (n.strip() for n in get("needs").split(";")):
            if not need:
                continue
            if need not in scenario.competencies:
                problem(
                    number, "needs",
                    f"unknown competency '{need}'; expected competency ids separated by ';' "
                    f"from: {_choices(competencies)}",
                )  # fmt: skip
                ok = False
            needs.add(need)
        current = get("current_coordinator") or None
        previous = None
        if current is not None and current not in staff_ids:
            departed[current].append(pid)  # left the team: reassigned, with the reason
            previous, current = current, None
        weight = None
        text = get("weight")
        if text:
            weight = decimal_number(text)
            if weight is None:
                weight = math.nan
            if not (math.isfinite(weight) and 0 < weight <= MAX_WEIGHT):
                problem(
                    number, "weight",
                    f"must be a number above 0 and at most {MAX_WEIGHT:g} caseload points "
                    f"(got '{text}'); leave it blank for the tier's caseload_weight",
                )  # fmt: skip
                ok = False
        locality = get("locality") or None
        if not ok:
            continue
        if not scenario.tiers[tier].coordination:
            not_coordinated.append(pid)
            continue
        if tier in stages_by_tier and stage not in stages_by_tier[tier] and stage != "all":
            odd_stage[(tier, stage)].append(pid)
        if current is not None and current in others:
            non_coordinators[current].append(pid)
        if locality is not None and localities and locality not in localities:
            odd_locality[locality].append(pid)
        rows[pid] = number
        people.append(
            Person(
                id=pid,
                tier=tier,
                weight=weight if weight is not None else scenario.tiers[tier].caseload_weight,
                stage=stage,
                needs=frozenset(needs),
                locality=locality,
                current=current,
                registered_only=tier in registered_tiers,
                priority=scenario.tiers[tier].severity,
                previous=previous,
            )
        )
    if problems:
        raise PeopleError(problems)
    warnings = [
        f"{name}: column '{h}' is not used (columns read: {', '.join(KNOWN_COLUMNS)})"
        for h in header
        if h and h not in KNOWN_COLUMNS
    ]
    for (tier, stage), ids in odd_stage.items():
        warnings.append(
            f"{name}: {_count(ids)} in tier '{tier}' have stage '{stage}', which the scenario's "
            f"cohort does not list for that tier (first: {ids[0]}, row {rows[ids[0]]})"
        )
    for staff, ids in non_coordinators.items():
        member = next(m for m in scenario.staff or [] if m.id == staff)
        warnings.append(
            f"{name}: {staff} ({member.role}) is the current coordinator of {_count(ids)} "
            f"but the role does not care-coordinate (caseload_capacity 0); "
            f"they will be placed with someone else (first: {ids[0]}, row {rows[ids[0]]})"
        )
    for staff, ids in departed.items():
        warnings.append(
            f"{name}: current coordinator '{staff}' of {_count(ids)} is not in the team "
            f"(left?); they will be placed with someone else (first: {ids[0]}, "
            f"row {rows.get(ids[0], '?')})"
        )
    if not_coordinated:
        tiers_out = sorted({t for t, v in scenario.tiers.items() if not v.coordination})
        warnings.append(
            f"{name}: {_count(not_coordinated)} in tiers that need no care coordinator "
            f"({', '.join(tiers_out)}: coordination false) are left out of the assignment"
        )
    if not rows and not not_coordinated:
        warnings.append(f"{name}: no people (a header row only): nobody to assign")
    for locality, ids in odd_locality.items():
        warnings.append(
            f"{name}: no care coordinator works in locality '{locality}' "
            f"({_count(ids)}, first: {ids[0]}, row {rows[ids[0]]}); "
            f"coordinators' localities: {_choices(sorted(localities))}"
        )
    instance = CaseloadInstance(
        coordinators=tuple(coordinators),
        people=tuple(people),
        name=scenario.name,
        other_staff=others,
        tier_severity={t: v.severity for t, v in scenario.tiers.items()},
    )
    return PeopleFile(instance, warnings, rows, not_coordinated)


def _count(ids: list[str]) -> str:
    return f"{len(ids)} {'person' if len(ids) == 1 else 'people'}"


def _check_header(header: list[str], name: str) -> list[PeopleProblem]:
    problems = []
    seen: set[str] = set()
    for i, column in enumerate(header):
        if not column:
            problems.append(
                PeopleProblem(name, 1, None, f"column {_letter(i)} has no name in the header")
            )
        elif column in seen:
            problems.append(
                PeopleProblem(name, 1, column, "column appears twice in the header", _letter(i))
            )
        elif column not in KNOWN_COLUMNS:
            close = difflib.get_close_matches(column, KNOWN_COLUMNS, n=1, cutoff=0.75)
            if close:  # a typo would silently drop what the column says
                problems.append(
                    PeopleProblem(
                        name, 1, column, f"unknown column; did you mean '{close[0]}'?", _letter(i)
                    )
                )
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(
                PeopleProblem(
                    name,
                    1,
                    column,
                    f"missing column (required: {', '.join(REQUIRED_COLUMNS)}; "
                    f"optional: {', '.join(OPTIONAL_COLUMNS)})",
                )  # fmt: skip
            )
    return problems
