"""``skillmix caseload``: PEOPLE.csv checks (file, row, column; exit 2, no traceback),
the files written, risks for the unplaced, and the cmht-north example end to end."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from optimiser.caseload import PeopleError, read_people, solve_caseload
from optimiser.caseload.report import caseload_document, caseload_risks, caseload_rows
from optimiser.output import json_text
from optimiser.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "caseload" / "tiny-team.yaml"
NORTH = ROOT / "scenarios" / "cmht-north-staff.yaml"
NORTH_PEOPLE = ROOT / "scenarios" / "cmht-north-people.csv"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def people_csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- bad PEOPLE.csv: exit 2, the file, row and column named --------------------------------

BAD = {
    "missing_column": ("id,stage\nx1,recovery\n", "row 1", "column 'tier'", "missing column"),
    "unknown_tier": (
        "id,tier,stage\nx1,amber,recovery\nx2,purple,recovery\n",
        "row 3",
        "column 'tier' (B)",
        "unknown tier 'purple'",
    ),
    "unknown_need": (
        "id,tier,stage,needs\nx1,amber,recovery,medication;telepathy\n",
        "row 2",
        "column 'needs' (D)",
        "unknown competency 'telepathy'",
    ),
    "bad_weight": (
        "id,tier,stage,weight\nx1,amber,recovery,2\nx2,amber,recovery,-1\n",
        "row 3",
        "column 'weight' (D)",
        "must be a number above 0",
    ),
    "text_weight": (
        "id,tier,stage,weight\nx1,amber,recovery,heavy\n",
        "row 2",
        "column 'weight' (D)",
        "(got 'heavy')",
    ),
    # numbers Python's float() takes and a spreadsheet never writes
    "underscore_weight": (
        "id,tier,stage,weight\nx1,amber,recovery,1_000\n",
        "row 2",
        "column 'weight' (D)",
        "(got '1_000')",
    ),
    "arabic_digits_weight": (
        "id,tier,stage,weight\nx1,amber,recovery,\u0661\n",
        "row 2",
        "column 'weight' (D)",
        "must be a number above 0",
    ),
    "nan_weight": (
        "id,tier,stage,weight\nx1,amber,recovery,nan\n",
        "row 2",
        "column 'weight' (D)",
        "(got 'nan')",
    ),
    "duplicate_id": (
        "id,tier,stage\nx1,amber,recovery\nx2,green,recovery\nx1,red,crisis\n",
        "row 4",
        "column 'id' (A)",
        "duplicate id 'x1' (first on row 2)",
    ),
    "empty_id": ("id,tier,stage\n,amber,recovery\n", "row 2", "column 'id'", "empty id"),
    "short_row": ("id,tier,stage\nx1,amber\n", "row 2", "", "2 fields but the header has 3"),
    "typo_column": (
        "id,tier,stage,current_coordinater\nx1,amber,recovery,A1\n",
        "row 1",
        "column 'current_coordinater'",
        "did you mean 'current_coordinator'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_people_file_exits_2_naming_file_row_and_column(tmp_path: Path, case: str) -> None:
    text, row, column, message = BAD[case]
    path = people_csv(tmp_path, text)
    code, out, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 2, err
    assert "Traceback" not in out + err
    line = next(x for x in err.splitlines() if message in x)
    assert str(path) in line and row in line and column in line
    assert not (tmp_path / "out" / "caseload.csv").exists()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = people_csv(tmp_path, "id,tier,stage,needs\nx1,purple,a,\nx1,amber,a,telepathy\n")
    scenario = load_scenario(TINY)
    with pytest.raises(PeopleError) as info:
        read_people(path, scenario)
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 3, messages  # unknown tier, duplicate id, unknown need


@pytest.mark.parametrize(
    "raw, message",
    [(b"", "file is empty"), (b"id,tier,stage\n\xff\xfe,amber,a\n", "not valid UTF-8")],
)
def test_unreadable_people_file(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(raw)
    code, out, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 2 and message in err and "Traceback" not in out + err


def test_missing_people_file(tmp_path: Path) -> None:
    code, _, err = run("caseload", str(TINY), str(tmp_path / "nope.csv"))
    assert code == 2 and "file not found" in err


def test_fte_mode_scenario_is_refused(tmp_path: Path) -> None:
    path = people_csv(tmp_path, "id,tier,stage\nx1,amber,recovery\n")
    code, _, err = run("caseload", str(ROOT / "scenarios" / "cmht-north.yaml"), str(path))
    assert code == 2 and "needs named staff" in err


# -- warnings -----------------------------------------------------------------------------


def test_non_coordinator_as_current_is_a_warning_and_the_person_moves(tmp_path: Path) -> None:
    # T1 is a support worker (no caseload capacity); x1 must move, with a warning.
    path = people_csv(tmp_path, "id,tier,stage,current_coordinator\nx1,amber,recovery,T1\n")
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "T1 (support_worker) is the current coordinator of 1 person" in err
    rows = list(csv.DictReader((tmp_path / "out" / "caseload.csv").open()))
    assert rows[0]["coordinator"] != "T1" and rows[0]["changed"] == "true"


def test_unknown_locality_and_stage_are_warnings(tmp_path: Path) -> None:
    path = people_csv(tmp_path, "id,tier,stage,locality\nx1,amber,orbit,east\n")
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 0
    assert "no care coordinator works in locality 'east'" in err
    assert "stage 'orbit'" in err


def test_a_header_only_file_is_a_warning(tmp_path: Path) -> None:
    # no people: nothing to assign, said so (exit 0, the outputs written)
    path = people_csv(tmp_path, "id,tier,stage\n")
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "no people (a header row only)" in err
    assert list(csv.DictReader((tmp_path / "out" / "caseload.csv").open())) == []


# -- the tiny team: hand-checked assignment and risks -----------------------------------------


TINY_PEOPLE = """id,tier,stage,current_coordinator,locality,needs
r1,red,crisis,W1,south,
r2,red,crisis,,north,medication
a1,amber,recovery,A2,south,medication
a2,amber,recovery,S1,north,social_care_assessment
a3,amber,recovery,,north,medication;social_care_assessment
a4,amber,recovery,A1,north,prescribing
g1,green,recovery,W1,south,
"""


def test_tiny_team_assignment_and_risks(tmp_path: Path) -> None:
    # r1: red needs a registered coordinator, so W1 (assistant) cannot keep them.
    # r2, a1: medication is current only for A1 (A2's sign-off lapsed 2026-10-01).
    # a2 keeps S1 (Care Act); g1 keeps W1.
    # a3: nobody holds medication and Care Act assessment together -> risk.
    # a4: nobody holds prescribing -> risk.
    scenario = load_scenario(TINY)
    people = read_people(people_csv(tmp_path, TINY_PEOPLE), scenario)
    result = solve_caseload(people.instance)
    got = dict(zip((p.id for p in people.instance.people), result.assignment, strict=True))
    assert got["r2"] == "A1" and got["a1"] == "A1"
    assert got["a2"] == "S1" and got["g1"] == "W1"
    assert got["r1"] in ("A1", "A2", "S1")
    assert got["a3"] is None and got["a4"] is None
    reasons = {r["person"]: r["reason"] for r in caseload_rows(result)}
    assert reasons["r1"] == (
        "moved: W1 is not registered and tier red needs a registered coordinator"
    )
    assert reasons["a1"] == "moved: A2 does not hold medication on the plan date (sign-off lapsed)"
    assert reasons["a2"] is None and reasons["g1"] is None
    assert reasons["a4"] == "no eligible coordinator: no care coordinator holds prescribing"
    risks = caseload_risks(scenario, result)
    assert [r["category"] for r in risks] == ["competence_gap", "competence_gap"]
    by_need = {tuple(r["people"]): r for r in risks}
    a3 = by_need[("a3",)]
    assert "no care coordinator holds medication and social_care_assessment together" in a3["title"]
    texts = [m["text"] for m in a3["mitigations"]]
    assert "sign off S1 (social_worker) in medication" in texts
    a4 = by_need[("a4",)]
    assert a4["mitigations"] == []  # no coordinating role covers prescribing
    assert a4["consequence"] == 3 and a4["shortfall"] == 1 and a4["unit"] == "people"


def test_full_team_risk_has_costed_new_post(tmp_path: Path) -> None:
    # 30 ambers need 30 points; the team has 10 + 5 + 10 + 4 = 29: one is left.
    rows = ["id,tier,stage"] + [f"a{i:02d},amber,recovery" for i in range(30)]
    scenario = load_scenario(TINY)
    people = read_people(people_csv(tmp_path, "\n".join(rows) + "\n"), scenario)
    result = solve_caseload(people.instance)
    doc = caseload_document(scenario, people, result, "people.csv")
    assert doc["summary"]["placed"] == 29
    assert doc["summary"]["unplaced_all_full"] == 1
    (risk,) = doc["risks"]
    assert risk["category"] == "caseload_over_capacity"
    assert "all 4 who could take them are full" in risk["title"]
    best = risk["mitigations"][0]
    # 1 point: social worker 0.1 FTE (10 points per FTE) x 56,000 = 5,600, cheaper than
    # nurse 0.1 x 58,000 and assistant 0.3 (1 / 4 -> 0.25 -> 0.3 in steps of 0.1) x 36,000
    assert (best["role"], best["fte"], best["annual_cost"]) == ("social_worker", 0.1, 5600.0)
    assert [m["role"] for m in risk["mitigations"]] == ["social_worker", "nurse"]


def test_time_limit_counts_the_whole_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --time-limit 10: reading the files and the writing reserve for 400 people
    # (0.25 + 0.05 x 0.4 = 0.27 s) come off the solver's share
    import optimiser.caseload as caseload

    seen = []
    real = caseload.solve_caseload

    def spy(instance, params):  # type: ignore[no-untyped-def]
        seen.append(params.time_limit)
        return real(instance, params)

    monkeypatch.setattr(caseload, "solve_caseload", spy)
    code, _, err = run("caseload", str(NORTH), str(NORTH_PEOPLE), "-o", str(tmp_path / "o"),
                       "--time-limit", "10")  # fmt: skip
    assert code == 0, err
    (limit,) = seen
    people = sum(1 for _ in NORTH_PEOPLE.open()) - 1
    assert 10 - 0.25 - 0.05 * people / 1000 - 2.0 < limit < 10 - 0.25 - 0.05 * people / 1000

def test_unproved_bound_is_null_in_standard_json(tmp_path: Path) -> None:
    # a huge model whose relaxation misses its time has no bound (inf): caseload.json
    # must stay standard JSON (a browser's JSON.parse refuses Infinity)
    rows = ["id,tier,stage"] + [f"a{i:02d},amber,recovery" for i in range(3)]
    scenario = load_scenario(TINY)
    people = read_people(people_csv(tmp_path, "\n".join(rows) + "\n"), scenario)
    result = solve_caseload(people.instance)
    stages = tuple(replace(s, bound=math.inf) for s in result.stages)
    doc = caseload_document(scenario, people, replace(result, stages=stages), "people.csv")

    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    loaded = json.loads(json_text(doc), parse_constant=refuse)
    assert [s["bound"] for s in loaded["stages"]] == [None] * len(stages)
    assert [s["value"] for s in loaded["stages"]] == [s.value for s in result.stages]


# -- the example, end to end ---------------------------------------------------------------


def test_cmht_north_people_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "tmp"
    code, stdout, err = run("caseload", str(NORTH), str(NORTH_PEOPLE), "-o", str(out))
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "caseload-coordinators.csv",
        "caseload-risks.csv",
        "caseload.csv",
        "caseload.json",
        "handover.csv",
    ]
    text = (out / "caseload.csv").read_text()
    assert text.splitlines()[0].startswith(
        "person,coordinator,previous_coordinator,changed,tier,points"
    )
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == 400
    doc = json.loads((out / "caseload.json").read_text())
    assert doc["status"] == "optimal"
    assert all(s["status"] == "optimal" for s in doc["stages"])
    s = doc["summary"]
    assert s["placed"] + s["unplaced"] == 400
    assert s["unplaced_all_full"] == 0
    load = {r["coordinator"]: r for r in doc["coordinators"]}
    assert all(r["points"] <= r["capacity"] for r in load.values())
    assert "placed:" in stdout and "Caseload by coordinator" in stdout
    # no support worker or peer worker is anyone's coordinator
    assert {r["coordinator"] for r in rows if r["coordinator"]} <= set(load)
    # everyone who changed coordinator has a reason
    assert all(r["reason"] for r in rows if r["changed"] == "true")


def test_cmht_north_twice_gives_identical_files(tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        code, _, err = run("caseload", str(NORTH), str(NORTH_PEOPLE), "-o", str(tmp_path / name))
        assert code == 0, err
        texts.append((tmp_path / name / "caseload.csv").read_text())
    assert texts[0] == texts[1]


def test_formula_like_ids_are_neutralised(tmp_path: Path) -> None:
    path = people_csv(tmp_path, "id,tier,stage\n=HYPERLINK(1),amber,recovery\n")
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "'=HYPERLINK(1)" in (tmp_path / "out" / "caseload.csv").read_text()


def test_header_only_people_file(tmp_path: Path) -> None:
    path = people_csv(tmp_path, "id,tier,stage\n")
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "caseload.csv").read_text().count("\n") == 1


def test_team_without_coordinators(tmp_path: Path) -> None:
    scenario = tmp_path / "no-coordinators.yaml"
    scenario.write_text(
        f"extends: {TINY}\nstaff:\n  - {{id: T1, role: support_worker, fte: 1.0}}\n"
    )
    path = people_csv(tmp_path, "id,tier,stage\nx1,amber,recovery\n")
    code, _, err = run("caseload", str(scenario), str(path), "-o", str(tmp_path / "out"))
    assert code == 0, err
    doc = json.loads((tmp_path / "out" / "caseload.json").read_text())
    assert doc["unplaced"] == [
        {
            "person": "x1",
            "reason": "no eligible coordinator",
            "detail": "the team has no care coordinators",
        }
    ]
    assert doc["risks"][0]["mitigations"][0]["action"] == "add_fte"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv as _csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(_csv.DictReader(fh))


def test_departed_coordinator_is_reassigned_with_the_reason(tmp_path: Path) -> None:
    # ZZ9 has left the team: a warning, not an error; both people move, with the reason
    text = (
        "id,tier,stage,current_coordinator\n"
        "x1,amber,recovery,ZZ9\nx2,amber,recovery,ZZ9\nx3,amber,recovery,A1\n"
    )
    path = people_csv(tmp_path, text)
    out = tmp_path / "out"
    code, stdout, err = run("caseload", str(TINY), str(path), "-o", str(out))
    assert code == 0, err
    assert "current coordinator 'ZZ9' of 2 people is not in the team" in err
    rows = {r["person"]: r for r in _csv_rows(out / "caseload.csv")}
    assert rows["x1"]["previous_coordinator"] == "ZZ9" and rows["x1"]["changed"] == "true"
    assert rows["x1"]["coordinator"] not in ("", "ZZ9")
    assert rows["x3"]["coordinator"] == "A1" and rows["x3"]["changed"] == "false"
    handover = _csv_rows(out / "handover.csv")
    assert [(h["person"], h["from"], h["reason"]) for h in handover] == [
        ("x1", "ZZ9", "left the team"),
        ("x2", "ZZ9", "left the team"),
    ]
    assert all(h["to"] for h in handover)
    doc = json.loads((out / "caseload.json").read_text())
    assert doc["summary"]["moved_by_reason"] == {"left the team": 2}
    assert "left the team 2" in stdout


def test_non_coordinator_and_lapsed_signoff_are_named_in_the_handover(tmp_path: Path) -> None:
    # T1 does not care-coordinate; A2's medication sign-off has lapsed (x2 needs
    # medication); S1 (a social worker) never held medication: no lapse, a
    # competency the coordinator lacks; nobody holds prescribing: x4 leaves A1
    # and is placed nowhere, and the detail does not say "moved"
    text = (
        "id,tier,stage,current_coordinator,needs\n"
        "x1,amber,recovery,T1,\nx2,amber,recovery,A2,medication\n"
        "x3,amber,recovery,S1,medication\nx4,amber,recovery,A1,prescribing\n"
    )
    out = tmp_path / "out"
    code, _, err = run("caseload", str(TINY), str(people_csv(tmp_path, text)), "-o", str(out))
    assert code == 0, err
    handover = {h["person"]: h for h in _csv_rows(out / "handover.csv")}
    reasons = {pid: h["reason"] for pid, h in handover.items()}
    assert reasons == {
        "x1": "not a coordinator",
        "x2": "lapsed sign-off",
        "x3": "lacks a needed competency",
        "x4": "lacks a needed competency; unplaced: no eligible coordinator: "
        "no care coordinator holds prescribing",
    }
    assert handover["x2"]["detail"] == "moved: A2 does not hold medication on the plan date " \
        "(sign-off lapsed)"
    assert handover["x3"]["detail"] == "moved: S1 does not hold medication"
    assert handover["x4"]["detail"] == "A1 does not hold prescribing" and handover["x4"]["to"] == ""
    doc = json.loads((out / "caseload.json").read_text())
    assert doc["summary"]["moved_by_reason"] == {
        "not a coordinator": 1, "lapsed sign-off": 1, "lacks a needed competency": 2,
    }


def _weighted_people(red: int, amber: int, green: int) -> str:
    # everyone counts 1 point (the weight column), so only severity tells them apart
    lines = ["id,tier,stage,weight"]
    for tier, n, stage in (("red", red, "crisis"), ("amber", amber, "recovery"),
                           ("green", green, "recovery")):  # fmt: skip
        lines += [f"{tier}{i},{tier},{stage},1" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_short_capacity_leaves_the_lowest_severity_people_unplaced(tmp_path: Path) -> None:
    # capacity: A1 10 + A2 5 + S1 10 + W1 4 = 29 points; 10 red + 10 amber + 15 green
    # = 35 people x 1 point: 6 cannot be placed. Severity (red 5, amber 3, green 2)
    # weights placement: the 6 unplaced are green; every red and amber person is placed
    out = tmp_path / "out"
    path = people_csv(tmp_path, _weighted_people(10, 10, 15))
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(out))
    assert code == 0, err
    unplaced = [r["person"] for r in _csv_rows(out / "caseload.csv") if not r["coordinator"]]
    assert len(unplaced) == 6 and all(p.startswith("green") for p in unplaced)
    doc = json.loads((out / "caseload.json").read_text())
    assert doc["summary"]["placed"] == 29 and doc["summary"]["unplaced"] == 6


def test_just_enough_team_places_everybody(tmp_path: Path) -> None:
    # 10 + 10 + 9 = 29 people x 1 point = 29 points of capacity
    out = tmp_path / "out"
    path = people_csv(tmp_path, _weighted_people(10, 10, 9))
    code, _, err = run("caseload", str(TINY), str(path), "-o", str(out))
    assert code == 0, err
    assert all(r["coordinator"] for r in _csv_rows(out / "caseload.csv"))


def test_a_tiny_weight_is_placed(tmp_path: Path) -> None:
    # 1e-320 points: capacity / weight overflows a float (the model once failed
    # with OverflowError); such a person fits anywhere eligible
    text = "id,tier,stage,weight\nx1,amber,recovery,1e-320\nx2,amber,recovery,\n"
    out = tmp_path / "out"
    code, outs, err = run("caseload", str(TINY), str(people_csv(tmp_path, text)), "-o", str(out))
    assert code == 0, outs + err
    assert all(r["coordinator"] for r in _csv_rows(out / "caseload.csv"))
    # alone, 1e-9 points (within the tolerance of 0: its quantum was 0, a
    # ZeroDivisionError); written without an exponent
    text = "id,tier,stage,weight\nx1,amber,recovery,1e-9\n"
    code, outs, err = run("caseload", str(TINY), str(people_csv(tmp_path, text)), "-o", str(out))
    assert code == 0, outs + err
    [row] = _csv_rows(out / "caseload.csv")
    assert row["coordinator"] and row["points"] == "0.000000001"


def test_own_weights_replace_the_tier_weight(tmp_path: Path) -> None:
    # x1 counts 4 points (blank weight for x2: amber's 1.0): A1 and S1 hold 10 each
    text = "id,tier,stage,weight\nx1,amber,recovery,4\nx2,amber,recovery,\n"
    out = tmp_path / "out"
    code, _, err = run("caseload", str(TINY), str(people_csv(tmp_path, text)), "-o", str(out))
    assert code == 0, err
    points = {r["person"]: float(r["points"]) for r in _csv_rows(out / "caseload.csv")}
    assert points == {"x1": 4.0, "x2": 1.0}


# -- the progress bar: in a terminal only --------------------------------------------------


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True])
def test_progress_bar_only_in_a_terminal(tmp_path: Path, monkeypatch, terminal: bool) -> None:  # type: ignore[no-untyped-def]
    import optimiser.caseload as caseload

    asked: list[bool] = []
    solve = caseload.solve_caseload

    def recording(instance, params):  # type: ignore[no-untyped-def]
        asked.append(params.progress)
        return solve(instance, params)

    monkeypatch.setattr(caseload, "solve_caseload", recording)
    args = ["caseload", str(NORTH), str(NORTH_PEOPLE), "-o", str(tmp_path / "out")]
    if terminal:
        stderr = _Terminal()
        monkeypatch.setattr(sys, "stderr", stderr)
        with pytest.raises(SystemExit) as done:
            main.main(args, prog_name="skillmix")
        code, err = done.value.code, stderr.getvalue()
    else:
        code, _, err = run(*args)
    assert code == 0 and asked == [terminal]
    # the bar (on stderr) is drawn at least at its start and end, when all four
    # stages are done; a pipe or file sees none of it
    assert ("Caseload: building the model" in err) is terminal
    assert ("Caseload: balancing caseloads" in err and "4/4" in err) is terminal
    assert (tmp_path / "out" / "caseload.csv").exists()
