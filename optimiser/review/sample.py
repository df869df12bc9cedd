"""Case sampling for governance audit, and the audit checklist read back.

``skillmix sample`` draws a stratified, reproducible sample of activity rows:
every tier present in the activity is represented, and delegated work
(unregistered staff on a task with clinical sign-off), registered-only work
and flagged rows (role blur, unsigned delegation) are over-sampled, each case
with the reason it was drawn. The same seed gives the same sample.
``audit.xlsx`` is the checklist a reviewer fills in (was the task done by an
appropriate role, did oversight occur, notes); ``skillmix review --audit``
reads it back into audited compliance by role and by task, with a Wilson
95 % interval.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd

from optimiser.report.xlsx import xlsx_value
from optimiser.scenario import Scenario

SAMPLE_COLUMNS = ["case", "person", "tier", "task", "staff", "date", "reason"]
AUDIT_COLUMNS = [
    *SAMPLE_COLUMNS,
    "role",
    "appropriate_role",
    "oversight_occurred",
    "notes",
]
#: shares of the sample drawn first from each over-sampled stratum
FLAGGED_SHARE = 0.25
DELEGATED_SHARE = 0.2
REGISTERED_ONLY_SHARE = 0.2
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}


def draw_sample(
    scenario: Scenario, frame: pd.DataFrame, review_doc: dict[str, Any], size: int, seed: int = 0
) -> list[dict[str, Any]]:
    """``size`` activity rows (or all of them if fewer), each with its reason."""
    rng = np.random.default_rng(seed)
    if frame.empty or size <= 0:
        return []
    frame = frame.reset_index(drop=True)
    role_of = {m.id: m.role for m in scenario.staff or []}
    registered = frame["staff"].map(
        {m.id: scenario.roles[m.role].registered for m in scenario.staff or []}
    ).astype(bool)
    share = frame["task"].map({t: v.signoff_share for t, v in scenario.tasks.items()})
    pairs = {(t, tier) for t, v in scenario.tasks.items() for tier in v.registered_for}
    reg_only = pd.Series(
        [(t, tier) in pairs for t, tier in zip(frame["task"], frame["tier"], strict=True)]
    )
    flag_reason: dict[int, str] = {}
    for kind in ("role_blur", "unsigned_delegation"):
        for f in review_doc.get(kind, []):
            flag_reason.setdefault(int(f["row"]), kind.replace("_", " "))
    flagged = frame["row"].map(lambda r: r in flag_reason)
    strata = [
        ("flagged", flagged, FLAGGED_SHARE),
        ("delegated work", (share > 0) & ~registered, DELEGATED_SHARE),
        ("registered-only work", reg_only, REGISTERED_ONLY_SHARE),
    ]
    chosen: dict[int, str] = {}

    def take(mask: pd.Series, count: int, reason: Any) -> None:
        pool = np.flatnonzero(mask.to_numpy() & ~frame.index.isin(list(chosen)))
        if count <= 0 or len(pool) == 0:
            return
        for i in rng.choice(pool, size=min(count, len(pool)), replace=False):
            chosen[int(i)] = reason(int(i)) if callable(reason) else reason

    size = min(size, len(frame))
    # every tier present: one random case each first
    for tier in sorted(frame["tier"].unique()):
        take(frame["tier"] == tier, 1, f"tier {tier} (every tier is sampled)")
    for name, mask, part in strata:
        count = min(int(math.ceil(part * size)), size - len(chosen))
        if name == "flagged":
            take(mask, count, lambda i: f"flagged: {flag_reason[int(frame.at[i, 'row'])]}")
        else:
            take(mask, count, f"over-sampled: {name}")
    # the rest: stratified by tier, in proportion to the tier's rows
    left = size - len(chosen)
    if left > 0:
        counts = frame["tier"].value_counts()
        for tier, n in counts.sort_index().items():
            take(frame["tier"] == tier, round(left * n / len(frame)), f"random, tier {tier}")
        take(pd.Series(True, index=frame.index), size - len(chosen), "random")
    order = sorted(chosen, key=lambda i: (frame.at[i, "date"], int(frame.at[i, "row"])))
    out = []
    for n, i in enumerate(order, start=1):
        rec = frame.loc[i]
        out.append(
            {
                "case": f"A{n:04d}",
                "person": rec["person"],
                "tier": rec["tier"],
                "task": rec["task"],
                "staff": rec["staff"],
                "date": rec["date"].date().isoformat(),
                "reason": chosen[i],
                "role": role_of.get(rec["staff"]),
                "row": int(rec["row"]),
            }
        )
    return out


def audit_workbook(cases: list[dict[str, Any]]) -> bytes:
    """``audit.xlsx``: one row per sampled case, answer columns for the reviewer."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "audit"
    sheet.append(AUDIT_COLUMNS)
    for case in cases:
        sheet.append(
            [xlsx_value(case.get(c)) for c in SAMPLE_COLUMNS]
            + [xlsx_value(case.get("role")), "", "", ""]
        )
    answers = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    sheet.add_data_validation(answers)
    last = len(cases) + 1
    answers.add(f"I2:J{max(last, 2)}")
    notes = book.create_sheet("how to fill in")
    for line in (
        "One row per sampled case. For each, answer:",
        "appropriate_role: yes if the task was done by a role (and person) competent and, "
        "where required, registered to do it; no otherwise.",
        "oversight_occurred: yes if the supervision or clinical sign-off the work needed "
        "took place; no otherwise.",
        "Leave a cell blank if not audited. Read back with: skillmix review SCENARIO "
        "ACTIVITY.csv --audit audit.xlsx",
    ):
        notes.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


class AuditError(ValueError):
    """An audit workbook that cannot be read, with file, row and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_audit(path: str) -> dict[str, Any]:
    """Audited compliance from a filled-in ``audit.xlsx``: by role and by task, each
    with the audited count, compliant count, rate and Wilson 95 % interval. A case
    is compliant when both answers are yes; blank answers are not audited."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise AuditError([f"{path}: not a readable .xlsx workbook ({exc})"]) from None
    if "audit" not in book.sheetnames:
        raise AuditError([f"{path}: no sheet named 'audit'"])
    rows = list(book["audit"].iter_rows(values_only=True))
    if not rows:
        raise AuditError([f"{path}: sheet 'audit' is empty"])
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    missing = [c for c in ("case", "task", "role", "appropriate_role", "oversight_occurred")
               if c not in header]  # fmt: skip
    if missing:
        raise AuditError([f"{path}: sheet 'audit' lacks column(s) {', '.join(missing)}"])
    col = {h: i for i, h in enumerate(header)}
    problems: list[str] = []
    audited: list[tuple[str, str, bool]] = []
    for number, row in enumerate(rows[1:], start=2):
        answers = []
        for name in ("appropriate_role", "oversight_occurred"):
            cell = row[col[name]] if col[name] < len(row) else None
            text = "" if cell is None else str(cell).strip().lower()
            if text in YES:
                answers.append(True)
            elif text in NO:
                answers.append(False)
            elif text == "":
                answers.append(None)
            else:
                letter = chr(ord("A") + col[name])
                problems.append(
                    f"{path}: sheet 'audit', row {number}, column {letter} ({name}): "
                    f"'{cell}' is not yes or no"
                )
                answers.append(None)
        if None in answers:
            continue
        role = str(row[col["role"]] or "")
        task = str(row[col["task"]] or "")
        audited.append((role, task, all(answers)))
    if problems:
        raise AuditError(problems)

    def summarise(index: int) -> list[dict[str, Any]]:
        groups: dict[str, list[bool]] = {}
        for item in audited:
            groups.setdefault(item[index], []).append(item[2])
        out = []
        for key in sorted(groups):
            ok = sum(groups[key])
            n = len(groups[key])
            low, high = wilson(ok, n)
            out.append(
                {
                    "key": key,
                    "audited": n,
                    "compliant": ok,
                    "rate": round(ok / n, 4),
                    "ci_low": round(low, 4),
                    "ci_high": round(high, 4),
                }
            )
        return out

    total = sum(ok for _, _, ok in audited)
    low, high = wilson(total, len(audited))
    return {
        "audited": len(audited),
        "compliant": total,
        "rate": round(total / len(audited), 4) if audited else None,
        "ci_low": round(low, 4),
        "ci_high": round(high, 4),
        "by_role": summarise(0),
        "by_task": summarise(1),
    }
