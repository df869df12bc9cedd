"""Reading the activity extract and the supervision log (pandas, vectorised).

ACTIVITY.csv (PLAN.md): ``date,person,tier,stage,task,staff,hours`` and
optionally ``signed_off_by,signed_off_date``; SUPERVISION.csv:
``date,supervisee,supervisor,hours``. Every row that cannot be read (unknown
task, staff, tier; a bad date; negative or non-numeric hours) is reported with
file, row and column, and left out; the review of the rest still runs.
Nothing is dropped silently: rows dated outside the review period are counted
and listed, not mixed in.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimiser.scenario import Scenario

ACTIVITY_COLUMNS = ("date", "person", "tier", "stage", "task", "staff", "hours")
ACTIVITY_OPTIONAL = ("signed_off_by", "signed_off_date", "escalation_date", "decision_date")
SUPERVISION_COLUMNS = ("date", "supervisee", "supervisor", "hours")
#: most row problems listed one by one (the rest are counted)
MAX_LISTED = 200
#: the most hours one supervision session may take (an activity row's task may
#: take longer: a scenario allows up to 1,000 hours an occurrence)
MAX_SESSION_HOURS = 24.0
#: how the header's warnings begin (the rows are still read)
HEADER_WARNINGS = ("unknown column", "a column with no name")
#: the largest activity or supervision file read (an NHS trust's quarter is tens of MB)
MAX_BYTES = 500_000_000


class ActivityError(ValueError):
    """A file that cannot be reviewed at all (missing, not CSV, missing columns)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class RowProblem:
    """One unreadable row: file, spreadsheet row (header = 1), column, what is wrong."""

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column '{self.column}': {self.message}"


@dataclass
class Table:
    """The readable rows of one file (``row`` = spreadsheet row) and the problems."""

    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0


def _read(
    path: Path, display: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """The file's rows as text (``row``: the spreadsheet row; blank rows counted
    and left out; the header is the first row that is not blank) and the
    problems of its header: a column of no known name, or values under no name.
    Header and rows come from one parse, so they always agree on the columns."""
    if not path.exists():
        raise ActivityError([f"{display}: file not found"])
    if not path.is_file():
        raise ActivityError([f"{display}: not a regular file"])
    if path.stat().st_size > MAX_BYTES:
        raise ActivityError([f"{display}: larger than {MAX_BYTES // 1_000_000} MB"])
    try:
        leading = 0  # blank lines before the header (pandas would take no columns)
        with path.open(encoding="utf-8-sig") as handle:
            for line in handle:
                if line.strip():
                    break
                leading += 1
        frame = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skipinitialspace=True,
            skip_blank_lines=False, encoding="utf-8-sig", skiprows=leading,
        )  # fmt: skip
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ActivityError([f"{display}: not a readable CSV file ({exc})"]) from None
    frame = frame.fillna("")
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    names = list(frame.iloc[0])
    row = leading + 1  # the header's spreadsheet row
    frame["row"] = range(row, row + len(frame))
    frame = frame.iloc[1:]
    frame = frame.loc[~(frame.drop(columns="row") == "").all(axis=1)]
    problems = []
    # columns with no name: a used range wider than the data (Excel); values under
    # one are left out, with a warning
    unnamed = [n for n, name in enumerate(names) if name == ""]
    for n in unnamed:
        if (frame[n] != "").any():
            problems.append(RowProblem(display, row, f"#{n + 1}",
                                       "a column with no name holds values (ignored)"))  # fmt: skip
    frame = frame.drop(columns=unnamed)
    names = [name for name in names if name != ""]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise ActivityError([f"{display}: row {row}: column(s) {', '.join(twice)} given twice"])
    frame.columns = [*names, "row"]
    missing = [c for c in required if c not in names]
    if missing:
        hints = []
        for name in missing:
            near = [n for n in names if n.lower() == name.lower()]
            near = near or difflib.get_close_matches(name, names, n=1)
            if near:
                hints.append(f"'{near[0]}' for '{name}'?")
        hint = f"; did you mean {', '.join(hints)}" if hints else ""
        raise ActivityError([
            f"{display}: missing column(s) {', '.join(missing)} "
            f"(needs {', '.join(required)}){hint}"
        ])  # fmt: skip
    for name in names:
        if name not in required and name not in optional:
            near = difflib.get_close_matches(name, [*required, *optional], n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else " (ignored)"
            problems.append(RowProblem(display, row, name, f"unknown column '{name}'{hint}"))
    return frame.reset_index(drop=True), problems


def _dates(text: pd.Series) -> pd.Series:
    """Dates written YYYY-MM-DD, as the other files take them (``pd.to_datetime``
    alone also takes 2027-4-1); anything else ``NaT``."""
    written = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}", flags=re.ASCII).fillna(False)
    parsed = pd.to_datetime(text.where(written, ""), format="%Y-%m-%d", errors="coerce")
    return parsed


class _Checker:
    """Collects row problems column by column, vectorised."""

    def __init__(self, frame: pd.DataFrame, display: str) -> None:
        self.frame = frame
        self.display = display
        self.bad = pd.Series(False, index=frame.index)
        self.problems: list[RowProblem] = []
        self.count = 0

    def flag(self, mask: pd.Series, column: str, message: str) -> None:
        mask = mask & ~self.bad  # one problem per row is enough to leave it out
        hits = self.frame.loc[mask]
        self.count += len(hits)
        room = MAX_LISTED - len(self.problems)
        for _, row in hits.head(max(room, 0)).iterrows():
            self.problems.append(
                RowProblem(self.display, int(row["row"]), column, message.format(**row))
            )
        self.bad |= mask

    def dates(self, column: str) -> pd.Series:
        parsed = _dates(self.frame[column])
        self.flag(parsed.isna(), column, "'{" + column + "}' is not a date YYYY-MM-DD")
        return parsed

    def hours(self, column: str = "hours", most: float = math.inf) -> pd.Series:
        value = pd.to_numeric(self.frame[column], errors="coerce")
        finite = value.abs() < math.inf  # (NaN compares false: not finite either)
        self.flag(~finite, column, "'{" + column + "}' is not a number of hours")
        self.flag(value < 0, column, "negative hours ({" + column + "})")
        if math.isfinite(most):
            self.flag(value > most, column,
                      "{" + column + "} hours in one row (at most " + f"{most:g})")  # fmt: skip
        return value

    def known(self, column: str, allowed: set[str], what: str) -> None:
        self.flag(~self.frame[column].isin(allowed), column, f"unknown {what} '{{{column}}}'")


def staff_ids(scenario: Scenario) -> set[str]:
    return {m.id for m in scenario.staff or []}


def read_activity(path: str | Path, scenario: Scenario) -> Table:
    """The readable activity rows with parsed ``date``, ``hours`` (and sign-off date)."""
    display = str(path)
    frame, header = _read(Path(path), display, ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
    check = _Checker(frame, display)
    check.problems += header
    frame["date"] = check.dates("date")
    frame["hours"] = check.hours()
    check.known("task", set(scenario.tasks), "task")
    check.known("tier", set(scenario.tiers), "tier")
    staff = staff_ids(scenario)
    check.known("staff", staff, "staff id")
    check.flag(frame["person"] == "", "person", "empty person id")
    if "signed_off_by" not in frame.columns:
        frame["signed_off_by"] = ""
    if "signed_off_date" not in frame.columns:
        frame["signed_off_date"] = ""
    signed = frame["signed_off_by"] != ""
    check.flag(signed & ~frame["signed_off_by"].isin(staff), "signed_off_by",
               "unknown staff id '{signed_off_by}'")  # fmt: skip
    when = _dates(frame["signed_off_date"])
    check.flag(
        (frame["signed_off_date"] != "") & when.isna(),
        "signed_off_date",
        "'{signed_off_date}' is not a date YYYY-MM-DD",
    )
    check.flag(signed & when.isna(), "signed_off_date", "a sign-off needs its date")
    frame["signed_off_date"] = when
    for column in ("escalation_date", "decision_date"):  # optional: the KPI needs both
        if column not in frame.columns:
            frame[column] = ""
        parsed = _dates(frame[column])
        check.flag(
            (frame[column] != "") & parsed.isna(),
            column,
            "'{" + column + "}' is not a date YYYY-MM-DD",
        )
        frame[column] = parsed
    frame.loc[frame["stage"] == "", "stage"] = "all"
    good = frame.loc[~check.bad].reset_index(drop=True)
    check.problems += _odd_stages(good, scenario, display)
    check.problems.sort(key=lambda p: (p.row, p.column))
    return Table(good, check.problems, check.count)


def _odd_stages(frame: pd.DataFrame, scenario: Scenario, display: str) -> list[RowProblem]:
    """A stage its tier's cohort does not have (a typo such as ``crisiss``): one
    problem per tier and stage, at its first row; the rows are still reviewed."""
    stages: dict[str, set[str]] = {}
    for segment in scenario.cohort:
        stages.setdefault(segment.tier, set()).add(segment.stage)
    odd = [
        (tier in stages and stage != "all" and stage not in stages[tier])
        for tier, stage in zip(frame["tier"], frame["stage"], strict=True)
    ]
    out = []
    for (tier, stage), rows in frame.loc[odd].groupby(["tier", "stage"])["row"]:
        known = ", ".join(sorted(stages[tier]))
        out.append(RowProblem(display, int(rows.min()), "stage",
                              f"stage '{stage}' is not one of tier {tier}'s ({known}): "
                              f"{len(rows)} row(s), reviewed as given"))  # fmt: skip
    return out


def read_supervision(path: str | Path, scenario: Scenario) -> Table:
    """The readable supervision log rows."""
    display = str(path)
    frame, header = _read(Path(path), display, SUPERVISION_COLUMNS)
    check = _Checker(frame, display)
    check.problems += header
    frame["date"] = check.dates("date")
    frame["hours"] = check.hours(most=MAX_SESSION_HOURS)
    staff = staff_ids(scenario)
    check.known("supervisee", staff, "staff id")
    check.known("supervisor", staff, "staff id")
    check.flag(frame["supervisor"] == frame["supervisee"], "supervisor",
               "'{supervisor}' supervises themselves")  # fmt: skip
    good = frame.loc[~check.bad].reset_index(drop=True)
    check.problems.sort(key=lambda p: (p.row, p.column))
    return Table(good, check.problems, check.count)
