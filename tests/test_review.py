"""``review``, ``sample`` and ``synth-activity``: hand arithmetic on a tiny team.

tests/data/review/team.yaml, period 2027-04-01 to 2027-04-28 = 28 days = 4 weeks:

* required: risk review, red tier, 2 people x 1 a week x 4 weeks = 8;
  medication support, green tier, 4 people x 1/2 a week x 4 weeks = 8;
* activity.csv (row = spreadsheet row, header 1): review rows 2-6 (row 6 by S1,
  unregistered, in the registered-only red tier: role blur), delivered 5 of 8;
  meds rows 7-12 delivered 6 of 8: row 7 signed off by N1 10 days later (fine),
  row 8 15 days later, row 9 never, row 10 by S1 (not registered): unsigned
  delegation; row 11 on 2027-04-22 after S1's medication sign-off lapsed on
  2027-04-20: role blur; row 12 by N1 (registered: no sign-off needed);
  row 13 is dated outside the period; rows 14-16 are unreadable (bad date,
  unknown task, negative hours);
* supervision.csv: N1 needs 1 h x 4 weeks = 4 h and gets 2 + 2 (just met);
  S1 needs 0.5 h x 4 = 2 h and gets 1.5 (just missed).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main

DATA = Path(__file__).resolve().parent / "data" / "review"
TEAM = DATA / "team.yaml"
ACTIVITY = DATA / "activity.csv"
SUPERVISION = DATA / "supervision.csv"
PERIOD = ["--from", "2027-04-01", "--to", "2027-04-28"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("review")
    code, _, err = run(
        "review", str(TEAM), str(ACTIVITY), "--supervision", str(SUPERVISION), *PERIOD,
        "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert (out / "review.csv").exists()
    return json.loads((out / "review.json").read_text())


def test_period_and_unreadable_rows(doc: dict) -> None:
    assert doc["period"] == {"from": "2027-04-01", "to": "2027-04-28", "weeks": 4.0}
    assert doc["unreadable_rows"] == 3 and doc["reviewed_rows"] == 11
    assert doc["outside_period"] == {"count": 1, "rows": [13]}
    assert doc["problems"] == [
        f"{ACTIVITY}: row 14, column 'date': '2027-13-01' is not a date YYYY-MM-DD",
        f"{ACTIVITY}: row 15, column 'task': unknown task 'dance'",
        f"{ACTIVITY}: row 16, column 'hours': negative hours (-1)",
    ]


def test_completion_rate(doc: dict) -> None:
    assert doc["completion"] == [
        {"task": "meds", "tier": "green", "required": 8.0, "delivered": 6, "rate": 0.75},
        {"task": "review", "tier": "red", "required": 8.0, "delivered": 5, "rate": 0.625},
    ]


def test_role_blur_on_the_activity_date_and_registered_only_tier(doc: dict) -> None:
    assert [(r["row"], r["staff"], r["reason"]) for r in doc["role_blur"]] == [
        (6, "S1", "unregistered, in a registered-only tier"),
        (11, "S1", "did not hold medication on the day"),
    ]
    # row 7 (2027-04-10) was done by S1 while the sign-off held: no role blur


def test_unsigned_delegation_within_14_days(doc: dict) -> None:
    assert [(r["row"], r["reason"]) for r in doc["unsigned_delegation"]] == [
        (8, "signed off 15 days after"),
        (9, "no sign-off within 14 days"),
        (10, "signed off by S1, not a registered holder of medication"),
    ]


def test_supervision_just_met_and_just_missed(doc: dict) -> None:
    got = [(s["staff"], s["required_hours"], s["received_hours"], s["below"])
           for s in doc["supervision"]]  # fmt: skip
    assert got == [("N1", 4.0, 4.0, False), ("S1", 2.0, 1.5, True)]


def test_acuity_and_risks(doc: dict) -> None:
    assert [(a["tier"], a["seen"], a["drift"]) for a in doc["acuity"]] == [
        ("red", 2, False),
        ("green", 4, False),
    ]
    by_category: dict[str, list[dict]] = {}
    for r in doc["risks"]:
        by_category.setdefault(r["category"], []).append(r)
    assert sorted(by_category) == [
        "review_frequency", "role_blur", "supervision_lapse", "unsigned_delegation",
    ]  # fmt: skip
    (lapse,) = by_category["supervision_lapse"]
    assert (lapse["staff"], lapse["shortfall"]) == ("S1", 0.5)
    (short,) = by_category["review_frequency"]  # registered-only work below 90 %
    assert (short["task"], short["tier"], short["shortfall"]) == ("review", "red", 3.0)
    assert sorted(r for risk in by_category["role_blur"] for r in risk["rows"]) == [6, 11]


def test_acuity_drift_when_the_mix_moves(tmp_path: Path) -> None:
    # only red people seen: red 100 % of those seen against 33 % planned
    text = ACTIVITY.read_text().splitlines()
    path = tmp_path / "red.csv"
    path.write_text("\n".join([text[0]] + [t for t in text[1:6]]) + "\n")
    out = tmp_path / "out"
    code, _, err = run("review", str(TEAM), str(path), *PERIOD, "-o", str(out))
    assert code == 0, err
    doc = json.loads((out / "review.json").read_text())
    assert [(a["tier"], a["drift"]) for a in doc["acuity"]] == [("red", True), ("green", True)]
    assert any(r["category"] == "acuity_drift" for r in doc["risks"])


def test_missing_column_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,person,tier\n2027-04-01,x,red\n")
    code, _, err = run("review", str(TEAM), str(path), "-o", str(tmp_path / "out"))
    assert code == 2
    assert f"{path}: missing column(s) stage, task, staff, hours" in err
    assert "Traceback" not in err


def test_fte_mode_scenario_is_refused(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / "scenarios" / "cmht-north.yaml"
    code, _, err = run("review", str(example), str(ACTIVITY), "-o", str(tmp_path))
    assert code == 2 and "needs named staff" in err


def _sample(tmp_path: Path, seed: int, size: int = 6) -> list[dict[str, str]]:
    out = tmp_path / f"s{seed}-{size}"
    code, _, err = run(
        "sample", str(TEAM), str(ACTIVITY), "--size", str(size), "--seed", str(seed),
        "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    with (out / "sample.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_is_reproducible_stratified_and_flags_come_first(tmp_path: Path) -> None:
    first = _sample(tmp_path, 3)
    assert first == _sample(tmp_path, 3)  # same seed, same sample
    assert len(first) == 6
    assert {c["tier"] for c in first} == {"red", "green"}  # every tier present
    flagged = [c for c in first if c["reason"].startswith("flagged")]
    assert flagged  # role blur / unsigned delegation rows are over-sampled
    assert [c["case"] for c in first] == [f"A{n:04d}" for n in range(1, 7)]
    everything = _sample(tmp_path, 3, size=100)
    assert len(everything) == 12  # fewer rows than asked for: all the readable ones


def test_audit_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "s"
    code, _, err = run("sample", str(TEAM), str(ACTIVITY), "--size", "4", "-o", str(out))
    assert code == 0, err
    book = openpyxl.load_workbook(out / "audit.xlsx")
    sheet = book["audit"]
    header = [c.value for c in sheet[1]]
    role, appropriate, oversight = (header.index(h) + 1 for h in
                                    ("role", "appropriate_role", "oversight_occurred"))  # fmt: skip
    rows = list(range(2, sheet.max_row + 1))
    assert len(rows) == 4
    # answers: the first three compliant, the last not
    for n, r in enumerate(rows):
        sheet.cell(r, appropriate).value = "yes"
        sheet.cell(r, oversight).value = "yes" if n < 3 else "no"
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    code, _, err = run(
        "review", str(TEAM), str(ACTIVITY), *PERIOD, "--audit", str(filled),
        "-o", str(tmp_path / "r"),
    )  # fmt: skip
    assert code == 0, err
    audit = json.loads((tmp_path / "r" / "review.json").read_text())["audit"]
    assert (audit["audited"], audit["compliant"], audit["rate"]) == (4, 3, 0.75)
    # Wilson 95 % interval of 3/4: 0.3006 .. 0.9544
    assert (audit["ci_low"], audit["ci_high"]) == (0.3006, 0.9544)
    roles = {sheet.cell(r, role).value for r in rows}
    assert {b["key"] for b in audit["by_role"]} == roles


def test_audit_answers_other_than_yes_no_are_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "s"
    assert run("sample", str(TEAM), str(ACTIVITY), "--size", "2", "-o", str(out))[0] == 0
    book = openpyxl.load_workbook(out / "audit.xlsx")
    book["audit"].cell(2, 9).value = "maybe"
    book.save(tmp_path / "bad.xlsx")
    code, _, err = run("review", str(TEAM), str(ACTIVITY), "--audit", str(tmp_path / "bad.xlsx"))
    assert code == 2 and "row 2, column I (appropriate_role): 'maybe' is not yes or no" in err


def test_synthetic_quarter_reviews_cleanly(tmp_path: Path) -> None:
    staff = Path(__file__).resolve().parents[1] / "scenarios" / "cmht-north-staff.yaml"
    out = tmp_path / "synth"
    code, stdout, err = run("synth-activity", str(staff), "-o", str(out), "--seed", "1")
    assert code == 0, err
    again = tmp_path / "again"
    assert run("synth-activity", str(staff), "-o", str(again), "--seed", "1")[0] == 0
    assert (out / "activity.csv").read_bytes() == (again / "activity.csv").read_bytes()
    code, _, err = run(
        "review", str(staff), str(out / "activity.csv"), "--supervision",
        str(out / "supervision.csv"), "-o", str(tmp_path / "review"), "--replan",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads((tmp_path / "review" / "review.json").read_text())
    assert doc["unreadable_rows"] == 0 and doc["reviewed_rows"] > 1000
    assert 0.8 < doc["kpis"]["contact_completion"] < 1.2  # Poisson counts around the plan
    assert set(doc["replan"]) >= {"planned", "observed", "change"}


def test_report_has_a_review_section_with_activity(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    code, _, err = run(
        "report", str(TEAM), "--activity", str(ACTIVITY), "--supervision-log", str(SUPERVISION),
        "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    text = target.read_text()
    assert "## Quarterly review of delivered work" in text
    assert "supervision below need for" in text and "role blur on 2 rows" in text
    without = tmp_path / "plain.md"
    assert run("report", str(TEAM), "-o", str(without))[0] == 0
    assert "Quarterly review" not in without.read_text()


def test_days_from_escalation_to_decision(tmp_path: Path) -> None:
    # two escalations in the red tier, decided after 2 days and the same day: median 1
    path = tmp_path / "escalations.csv"
    path.write_text(
        "date,person,tier,stage,task,staff,hours,escalation_date,decision_date\n"
        "2027-04-01,r1,red,all,review,N1,1,2027-04-01,2027-04-03\n"
        "2027-04-02,r2,red,all,review,N1,1,2027-04-02,2027-04-02\n"
        "2027-04-03,r2,red,all,review,N1,1,,\n"
        "2027-04-04,r2,red,all,review,N1,1,2027-04-04,soon\n"
    )
    out = tmp_path / "out"
    code, _, err = run("review", str(TEAM), str(path), "-o", str(out))
    assert code == 0, err
    doc = json.loads((out / "review.json").read_text())
    red = doc["kpis"]["days_escalation_to_decision"]["red"]
    assert (red["escalations"], red["median_days"], red["max_days"]) == (2, 1.0, 2)
    assert doc["problems"] == [
        f"{path}: row 5, column 'decision_date': 'soon' is not a date YYYY-MM-DD"
    ]


# -- input the commands refuse, exit 2 (found by a bad-input sweep: exit 1 before) ------


@pytest.mark.parametrize("command", ["review", "sample"])
def test_activity_file_with_no_readable_row(tmp_path: Path, command: str) -> None:
    header = ACTIVITY.read_text().splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n")
    extra = ["--size", "5"] if command == "sample" else []
    code, out, err = run(command, str(TEAM), str(empty), *extra, "-o", str(tmp_path / "o"))
    assert code == 2, out + err
    assert f"{empty}: no readable activity row" in err
    assert not (tmp_path / "o").exists()


def test_review_from_after_to(tmp_path: Path) -> None:
    code, out, err = run(
        "review", str(TEAM), str(ACTIVITY), "--from", "2027-06-01", "--to", "2027-05-01",
        "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2, out + err
    assert "--from 2027-06-01 is after --to 2027-05-01" in err


def test_sample_with_control_characters_writes_the_workbook(tmp_path: Path) -> None:
    # a \x01 in a person id: openpyxl refuses it in a cell (IllegalCharacterError)
    lines = ACTIVITY.read_text().splitlines()
    dirty = tmp_path / "dirty.csv"
    rows = [line.replace(",", ",\x01", 1) for line in lines[1:]]
    dirty.write_text("\n".join([lines[0], *rows]) + "\n")
    out = tmp_path / "o"
    code, stdout, err = run("sample", str(TEAM), str(dirty), "--size", "3", "-o", str(out))
    assert code == 0, stdout + err
    assert openpyxl.load_workbook(out / "audit.xlsx")["audit"].max_row >= 2


@pytest.mark.parametrize("value", ["inf", "nan", "1e300"])
def test_time_limit_must_be_finite(tmp_path: Path, value: str) -> None:
    code, out, err = run("solve", str(TEAM), "--time-limit", value, "-o", str(tmp_path / "o"))
    assert code == 2, out + err
    assert "--time-limit" in err and "Traceback" not in out + err


def _review(tmp_path: Path, activity: Path, *extra: str) -> tuple[int, str, dict]:
    out = tmp_path / "o"
    code, stdout, err = run("review", str(TEAM), str(activity), *extra, *PERIOD, "-o", str(out))
    doc = json.loads((out / "review.json").read_text()) if code == 0 else {}
    return code, stdout + err, doc


def test_rows_keep_their_spreadsheet_numbers_after_a_blank_line(tmp_path: Path) -> None:
    # a blank line after the header: the spreadsheet's rows 3 onwards, as before
    lines = ACTIVITY.read_text().splitlines()
    shifted = tmp_path / "blank.csv"
    shifted.write_text("\n".join([lines[0], "", *lines[1:]]) + "\n")
    code, output, doc = _review(tmp_path, shifted)
    assert code == 0, output
    assert f"{shifted}: row 15, column 'date': '2027-13-01' is not a date YYYY-MM-DD" in (
        doc["problems"]
    )
    assert doc["reviewed_rows"] == 11 and doc["outside_period"]["rows"] == [14]


def test_misspelt_optional_column_is_named(tmp_path: Path) -> None:
    text = ACTIVITY.read_text().replace("signed_off_by", "signed_of_by", 1)
    path = tmp_path / "typo.csv"
    path.write_text(text)
    code, output, doc = _review(tmp_path, path)
    assert code == 0, output
    assert (
        f"{path}: row 1, column 'signed_of_by': unknown column 'signed_of_by' "
        "(did you mean 'signed_off_by'?)"
    ) in doc["problems"]
    assert "did you mean 'signed_off_by'" in output  # a warning on the terminal


def test_duplicate_column_is_refused(tmp_path: Path) -> None:
    lines = ACTIVITY.read_text().splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join(["date," + lines[0]] + ["2020-01-01," + x for x in lines[1:]]))
    code, output, _ = _review(tmp_path, path)
    assert code == 2 and f"{path}: row 1: column(s) date given twice" in output


@pytest.mark.parametrize("hours, message", [
    ("inf", "'inf' is not a number of hours"),
    ("1e309", "'1e309' is not a number of hours"),
    ("25", "25 hours in one row (at most 24)"),  # one session
])  # fmt: skip
def test_supervision_hours_must_be_finite_and_few(tmp_path: Path, hours: str, message: str) -> None:
    lines = SUPERVISION.read_text().splitlines()
    path = tmp_path / "sup.csv"
    path.write_text("\n".join([lines[0], lines[1].rsplit(",", 1)[0] + f",{hours}", *lines[2:]]))
    code, output, doc = _review(tmp_path, ACTIVITY, "--supervision", str(path))
    assert code == 0, output
    assert f"{path}: row 2, column 'hours': {message}" in doc["supervision_problems"]
    assert f"warning: {path}: row 2" in output
    assert "Infinity" not in (tmp_path / "o" / "review.json").read_text()


def _supervision_with(path: Path, row: str) -> Path:
    """The example supervision log with ``row`` first, written to ``path``."""
    lines = SUPERVISION.read_text().splitlines()
    path.write_text("\n".join([lines[0], row, *lines[1:]]))
    return path


def test_self_supervision_is_not_counted(tmp_path: Path) -> None:
    path = _supervision_with(tmp_path / "self.csv", "2027-04-05,N1,N1,3")
    code, output, doc = _review(tmp_path, ACTIVITY, "--supervision", str(path))
    assert code == 0, output
    assert f"{path}: row 2, column 'supervisor': 'N1' supervises themselves" in (
        doc["supervision_problems"]
    )


def test_supervision_outside_the_period_is_counted(tmp_path: Path) -> None:
    path = _supervision_with(tmp_path / "early.csv", "2026-01-05,N1,L1,1")
    code, output, doc = _review(tmp_path, ACTIVITY, "--supervision", str(path))
    assert code == 0, output
    assert doc["supervision_outside_period"] == 1
    assert "1 row(s) outside the period 2027-04-01 to 2027-04-28, not counted" in output


def test_activity_that_is_not_a_regular_file(tmp_path: Path) -> None:
    # /dev/zero was read until memory ran out
    code, output, _ = _review(tmp_path, Path("/dev/zero"))
    assert code == 2 and "/dev/zero: not a regular file" in output


def test_sample_smaller_than_the_tiers_is_refused(tmp_path: Path) -> None:
    # N rows or fewer, and every tier sampled: with fewer rows than tiers, not both
    tiers = len({line.split(",")[2] for line in ACTIVITY.read_text().splitlines()[1:]})
    assert tiers > 1
    code, out, err = run("sample", str(TEAM), str(ACTIVITY), "--size", "1", "-o", str(tmp_path))
    assert code == 2, out + err
    assert f"--size 1 is fewer than the {tiers} tiers" in err


def test_dates_only_as_yyyy_mm_dd_and_a_stray_date_is_warned_of(tmp_path: Path) -> None:
    lines = ACTIVITY.read_text().splitlines()
    first = lines[1].split(",", 1)[1]
    path = tmp_path / "dates.csv"
    path.write_text("\n".join([lines[0], "2027-4-2," + first, "2001-04-02," + first, *lines[2:]]))
    out = tmp_path / "o"
    code, stdout, err = run("review", str(TEAM), str(path), "-o", str(out))
    assert code == 0, stdout + err
    assert f"{path}: row 2, column 'date': '2027-4-2' is not a date YYYY-MM-DD" in err
    assert "warning: the period 2001-04-02 to" in err and "give --from and --to" in err


def test_a_stage_its_tier_does_not_have_is_warned_of(tmp_path: Path) -> None:
    lines = ACTIVITY.read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("stage")
    row = lines[1].split(",")
    row[at] = "crisiss"
    path = tmp_path / "stage.csv"
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    code, output, doc = _review(tmp_path, path)
    assert code == 0, output
    odd = [p for p in doc["problems"] if "'crisiss'" in p]
    assert len(odd) == 1 and odd[0].startswith(f"{path}: row 2, column 'stage': ")
    assert "1 row(s), reviewed as given" in odd[0]
    assert doc["reviewed_rows"] == 11  # still reviewed


def _activity_variant(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("shape", ["leading_blank", "trailing_empty_header", "quoted_header"])
def test_csv_shapes_excel_writes(tmp_path: Path, shape: str) -> None:
    # read before the header was read apart from the rows; refused for a while
    lines = ACTIVITY.read_text().splitlines()
    header, rows, first = lines[0], lines[1:], 2
    if shape == "leading_blank":
        header, first = "\n" + header, 3
    elif shape == "trailing_empty_header":
        header, rows = header + ",,", [r + ",," for r in rows]
    else:
        header = header.replace(",person,", ', "person",')
    path = _activity_variant(tmp_path, "shape.csv", header, rows)
    code, output, doc = _review(tmp_path, path)
    assert code == 0, output
    assert doc["reviewed_rows"] == 11
    expected = f"{path}: row {first + 12}, column 'date': '2027-13-01' is not a date YYYY-MM-DD"
    assert expected in doc["problems"]


@pytest.mark.parametrize("command", ["review", "sample"])
def test_header_and_rows_never_disagree_on_columns(tmp_path: Path, command: str) -> None:
    # a quoted header cell with a comma after a space: once a Length mismatch (exit 1)
    lines = ACTIVITY.read_text().splitlines()
    path = _activity_variant(tmp_path, "note.csv", lines[0] + ', "note,x"',
                             [r + ",a" for r in lines[1:]])  # fmt: skip
    extra = ["--size", "5"] if command == "sample" else []
    code, out, err = run(command, str(TEAM), str(path), *extra, *(
        PERIOD if command == "review" else []), "-o", str(tmp_path / "o"))  # fmt: skip
    assert code in (0, 2), out + err
    assert "Traceback" not in out + err and "internal error" not in err


def test_long_tasks_are_reviewed(tmp_path: Path) -> None:
    # a task may take up to 1,000 hours an occurrence: only supervision is capped
    lines = ACTIVITY.read_text().splitlines()
    at = lines[0].split(",").index("hours")
    cells = lines[1].split(",")
    cells[at] = "30"
    path = _activity_variant(tmp_path, "long.csv", lines[0], [",".join(cells), *lines[2:]])
    code, output, doc = _review(tmp_path, path)
    assert code == 0, output
    assert doc["reviewed_rows"] == 11 and not any("row 2," in p for p in doc["problems"])


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_an_empty_period_from_one_end_is_refused(tmp_path: Path, option: str) -> None:
    day = "2030-01-01" if option == "--from" else "2020-01-01"
    code, out, err = run("review", str(TEAM), str(ACTIVITY), option, day,
                         "-o", str(tmp_path / "o"))  # fmt: skip
    assert code == 2, out + err
    assert f"{option} gives the period" in err and "which is empty" in err


def test_a_missing_column_in_other_case_is_suggested(tmp_path: Path) -> None:
    lines = ACTIVITY.read_text().splitlines()
    path = _activity_variant(tmp_path, "case.csv", lines[0].replace("date", "Date", 1), lines[1:])
    code, output, _ = _review(tmp_path, path)
    assert code == 2 and "did you mean 'Date' for 'date'?" in output
