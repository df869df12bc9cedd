"""Loading valid scenarios: the example, JSON, ``extends``, CSV staff, warnings."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from optimiser.scenario import Problem, Scenario, ScenarioError, load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "cmht-north.yaml"
RAW: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def raw() -> dict[str, Any]:
    return copy.deepcopy(RAW)


@pytest.fixture(scope="module")
def example() -> Scenario:
    return load_scenario(EXAMPLE)


# --- the example -----------------------------------------------------------------


def test_example_loads(example: Scenario) -> None:
    assert example.name == "North Locality CMHT - mobilisation plan"
    assert example.plan_date == date(2027, 4, 1)
    assert example.mode == "fte"
    assert len(example.roles) == 8
    assert len(example.cohort) == 6
    assert len(example.tasks) == 13
    assert example.file == EXAMPLE
    assert example.warnings == []


def test_example_available_hours(example: Scenario) -> None:
    # headroom 0.135 + 0.045 + 0.025 + 0.05 = 0.255
    assert example.headroom_share("nurse") == pytest.approx(0.255)
    assert example.available_hours("nurse", 6.0) == pytest.approx(6 * 37.5 * (1 - 0.255))


def test_example_details(example: Scenario) -> None:
    establishment = example.establishment
    assert establishment is not None
    # Shorthand "nurse: 6.0" means {fte: 6.0}; headcount defaults to ceil(fte).
    assert establishment["nurse"].fte == 6.0
    assert establishment["nurse"].headcount == 6
    assert establishment["consultant"].headcount == 1
    assert establishment["peer_worker"].headcount == 3
    assert [s.id for s in example.cohort][:2] == ["red/crisis", "red/stabilisation"]
    risk = example.tasks["risk_review"]
    assert risk.frequency["red"].rate == pytest.approx(1 / 4)
    assert example.tasks["crisis_response"].frequency["red"].rate == 1.0
    assert example.tasks["crisis_response"].stages == ["crisis"]
    assert risk.criticality == 5 and example.tasks["planned_contact"].criticality == 3
    assert example.competencies["risk_assessment"].signoff_valid_months == 12
    assert example.roles["nurse"].supervision is not None
    assert example.roles["nurse"].supervision.supervised_by == ["team_leader", "psychologist"]
    assert example.policies.duty is not None and example.policies.duty.registered
    assert example.volatility is not None and example.volatility.transitions["amber"]["red"] == 0.08
    assert example.sizing is not None and example.sizing.budget is None


def test_example_sources_in_file_order(example: Scenario) -> None:
    paths = [path for path, _ in example.sources()]
    assert paths == [
        "headroom.source",
        "roles.nurse.source",
        "roles.social_worker.source",
        "tasks.care_plan_review.source",
        "tasks.physical_health.source",
    ]
    assert example.sources()[0][1].startswith("Roster headroom")


def test_json_loads_the_same(tmp_path: Path, example: Scenario) -> None:
    path = tmp_path / "north.json"
    path.write_text(json.dumps(RAW, default=str, indent=2))
    loaded = load_scenario(str(path))
    assert loaded.model_dump() == example.model_dump()


def test_titles_default_to_ids(tmp_path: Path) -> None:
    data = raw()
    del data["competencies"]["engagement"]["title"]
    del data["roles"]["nurse"]["title"]
    scenario = load_scenario(write_yaml(tmp_path / "s.yaml", data))
    assert scenario.competencies["engagement"].title == "engagement"
    assert scenario.roles["nurse"].title == "nurse"


def test_role_headroom_overrides_component_by_component(tmp_path: Path) -> None:
    data = raw()
    data["roles"]["nurse"]["headroom"] = {"study": 0.1, "secondment": 0.05}
    scenario = load_scenario(write_yaml(tmp_path / "s.yaml", data))
    # 0.135 + 0.045 + 0.1 (study overridden) + 0.05 + 0.05 (new component)
    assert scenario.headroom_share("nurse") == pytest.approx(0.38)
    assert scenario.headroom_share("ot") == pytest.approx(0.255)


def test_loading_does_not_modify_the_file(tmp_path: Path) -> None:
    path = tmp_path / "north.yaml"
    shutil.copy(EXAMPLE, path)
    before = path.read_bytes()
    load_scenario(path)
    assert path.read_bytes() == before


# --- extends ---------------------------------------------------------------------


@pytest.fixture()
def base(tmp_path: Path) -> Path:
    path = tmp_path / "base.yaml"
    shutil.copy(EXAMPLE, path)
    return path


def test_extends_merges_maps(tmp_path: Path, base: Path) -> None:
    (tmp_path / "more-nurses.yaml").write_text(
        "extends: base.yaml\n"
        "name: More nurses\n"
        "establishment:\n"
        "  nurse: 8.0\n"
        "roles:\n"
        "  nurse: {annual_cost: 60000}\n"
    )
    scenario = load_scenario(tmp_path / "more-nurses.yaml")
    assert scenario.name == "More nurses"
    assert scenario.establishment is not None
    assert scenario.establishment["nurse"].fte == 8.0
    assert scenario.establishment["ot"].fte == 1.0  # untouched keys stay
    nurse = scenario.roles["nurse"]
    assert nurse.annual_cost == 60000
    assert nurse.caseload_capacity == 35  # merged key by key
    assert nurse.title == "Community mental health nurse (Band 6)"


def test_extends_replaces_lists_and_scalars(tmp_path: Path, base: Path) -> None:
    (tmp_path / "v.yaml").write_text(
        "extends: base.yaml\n"
        "hours_per_fte: 36\n"
        "roles: {support_worker: {competencies: [engagement]}}\n"
        "cohort:\n"
        "  - {tier: green, people: 10}\n"
    )
    scenario = load_scenario(tmp_path / "v.yaml")
    assert scenario.hours_per_fte == 36
    assert scenario.roles["support_worker"].competencies == ["engagement"]
    assert [s.id for s in scenario.cohort] == ["green/all"]


def test_extends_null_deletes(tmp_path: Path, base: Path) -> None:
    (tmp_path / "v.yaml").write_text(
        "extends: base.yaml\n"
        "volatility: null\n"
        "tasks: {peer_support: null}\n"
        "roles: {nurse: {supervision: null}}\n"
        "headroom: {study: null}\n"
    )
    scenario = load_scenario(tmp_path / "v.yaml")
    assert scenario.volatility is None
    assert "peer_support" not in scenario.tasks
    assert scenario.roles["nurse"].supervision is None
    assert "study" not in scenario.headroom.shares
    assert scenario.headroom_share("nurse") == pytest.approx(0.23)


def test_extends_chain_and_locations(tmp_path: Path, base: Path) -> None:
    (tmp_path / "middle.yaml").write_text("extends: base.yaml\nname: middle\nhours_per_fte: 36\n")
    sub = tmp_path / "variants"
    sub.mkdir()
    (sub / "top.yaml").write_text("extends: ../middle.yaml\nname: top\n")
    scenario = load_scenario(sub / "top.yaml")
    assert scenario.name == "top"
    assert scenario.hours_per_fte == 36
    assert len(scenario.roles) == 8
    assert scenario.file == sub / "top.yaml"

    # An error is reported in the file (and at the line) that last set the key.
    (sub / "bad.yaml").write_text("extends: ../middle.yaml\nname: bad\n\nhours_per_fte: -1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(sub / "bad.yaml")
    expected = f"{sub / 'bad.yaml'}:4: hours_per_fte: must be greater than 0"
    assert str(info.value).startswith(expected)


def test_extends_error_in_base_names_base_file(tmp_path: Path) -> None:
    data = raw()
    data["tiers"]["red"]["severity"] = 9
    write_yaml(tmp_path / "base.yaml", data)
    (tmp_path / "v.yaml").write_text("extends: base.yaml\nname: v\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "v.yaml")
    (problem,) = info.value.problems
    assert problem.file == str(tmp_path / "base.yaml")
    assert problem.path == "tiers.red.severity"
    assert problem.line is not None
    assert "must be at most 5" in problem.message


def test_extends_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: c.yaml\n")
    (tmp_path / "c.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "a.yaml")
    (problem,) = info.value.problems
    assert problem.path == "extends"
    assert problem.file == str(tmp_path / "c.yaml")
    assert problem.line == 1
    names = [str(tmp_path / n) for n in ("a.yaml", "b.yaml", "c.yaml", "a.yaml")]
    assert problem.message == "extends cycle: " + " -> ".join(names)


def test_extends_missing_file(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text("name: v\nextends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"v\.yaml:2: extends: cannot read 'nowhere.yaml'"):
        load_scenario(tmp_path / "v.yaml")


def test_extends_can_switch_to_staff_mode(tmp_path: Path, base: Path) -> None:
    (tmp_path / "staff.csv").write_text("id,role,fte\nn1,nurse,1.0\n")
    (tmp_path / "v.yaml").write_text("extends: base.yaml\nestablishment: null\nstaff: staff.csv\n")
    scenario = load_scenario(tmp_path / "v.yaml")
    assert scenario.mode == "staff"
    assert scenario.staff is not None and scenario.staff[0].id == "n1"


# --- staff mode ------------------------------------------------------------------


def staff_scenario(tmp_path: Path, staff: Any) -> Path:
    data = raw()
    del data["establishment"]
    data["staff"] = staff
    return write_yaml(tmp_path / "staffed.yaml", data)


def test_staff_csv(tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text(
        "id,role,fte,locality,risk_assessment,medication\n"
        "N01,nurse,1.0,north,2026-09-01,2026-09-01\n"
        "\n"
        "S01, support_worker ,0.8,,,2027-01-15\n"
    )
    scenario = load_scenario(staff_scenario(tmp_path, "team.csv"))
    assert scenario.mode == "staff"
    staff = scenario.staff
    assert staff is not None and [m.id for m in staff] == ["N01", "S01"]
    assert staff[0].locality == "north"
    assert staff[0].signoffs == {
        "risk_assessment": date(2026, 9, 1),
        "medication": date(2026, 9, 1),
    }
    assert staff[1].role == "support_worker"
    assert staff[1].fte == 0.8
    assert staff[1].locality is None
    assert staff[1].signoffs == {"medication": date(2027, 1, 15)}


def test_staff_csv_bad_date_names_file_row_and_column(tmp_path: Path) -> None:
    csv_path = tmp_path / "team.csv"
    csv_path.write_text(
        "id,role,fte,medication\n"
        "N01,nurse,1.0,2026-09-01\n"
        "S01,support_worker,0.8,2026-13-01\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(staff_scenario(tmp_path, "team.csv"))
    (problem,) = info.value.problems
    assert problem.file == str(csv_path)
    assert problem.line == 3
    assert problem.path == "staff[1].signoffs.medication"
    assert "column 'medication'" in problem.message
    assert "2026-13-01" in problem.message
    assert str(problem).startswith(f"{csv_path}:3: staff[1].signoffs.medication: column")


def test_staff_csv_date_in_other_digits_is_not_a_date(tmp_path: Path) -> None:
    # Arabic-Indic digits: once "not a real date (day 12 is not 1..30 ...)"
    (tmp_path / "team.csv").write_text(
        "id,role,fte,medication\nN01,nurse,1.0,\u0662\u0660\u0662\u0666-\u0661\u0661-\u0661\u0662\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="must be a date YYYY-MM-DD"):
        load_scenario(staff_scenario(tmp_path, "team.csv"))


def test_staff_csv_unknown_competency_column(tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text("id,role,fte,risk_assesment\nN01,nurse,1.0,2026-09-01\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(staff_scenario(tmp_path, "team.csv"))
    message = str(info.value)
    assert f"{tmp_path / 'team.csv'}:1: staff: column 'risk_assesment'" in message
    assert "unknown competency 'risk_assesment' (did you mean 'risk_assessment'?" in message


def test_staff_csv_bad_cells(tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text(
        "id,role,fte\nN01,nurse,lots\nN02,nurse,2.0\nN01,nurse,1\nN04,nurce,1\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(staff_scenario(tmp_path, "team.csv"))
    text = str(info.value)
    assert "team.csv:2: staff[0].fte: column 'fte': must be a number (got 'lots')" in text
    assert "team.csv:3: staff[1].fte: column 'fte': must be at most 1.5" in text


@pytest.mark.parametrize("cell", ["1_0", "nan", "inf", "\u0661"])
def test_staff_csv_fte_only_as_a_spreadsheet_writes_numbers(tmp_path: Path, cell: str) -> None:
    # Python's float() reads these (1_0 as 10); a planner's spreadsheet never writes them
    (tmp_path / "team.csv").write_text(f"id,role,fte\nN01,nurse,{cell}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(staff_scenario(tmp_path, "team.csv"))
    assert f"team.csv:2: staff[0].fte: column 'fte': must be a number (got '{cell}')" in str(
        info.value
    )


def test_staff_csv_missing_column(tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text("id,fte\nN01,1.0\n")
    with pytest.raises(ScenarioError, match=r"team\.csv:1: missing column 'role'"):
        load_scenario(staff_scenario(tmp_path, "team.csv"))


def test_staff_csv_missing_file(tmp_path: Path) -> None:
    path = staff_scenario(tmp_path, "nowhere.csv")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.path) == (str(path), "staff")
    assert problem.line is not None
    assert problem.message == "cannot read 'nowhere.csv': file not found"


def test_staff_yaml_list_checks(tmp_path: Path) -> None:
    staff = [
        {"id": "N01", "role": "nurse", "fte": 1.0, "signoffs": {"medication": "2026-09-01"}},
        {"id": "N01", "role": "nurse", "fte": 1.0, "signoffs": {"medicaton": "2026-09-01"}},
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(staff_scenario(tmp_path, staff))
    text = str(info.value)
    assert "staff[1].id: duplicate staff id 'N01' (first at staff[0])" in text
    assert "staff[1].signoffs.medicaton: unknown competency 'medicaton'" in text


# --- warnings --------------------------------------------------------------------


def test_warnings_for_suspicious_but_legal_input(tmp_path: Path) -> None:
    data = raw()
    del data["establishment"]["ot"]
    data["establishment"]["peer_worker"] = {"fte": 2.0, "headcount": 1}
    data["roles"]["peer_worker"]["competencies"] = ["engagement"]  # nobody holds peer_support
    data["policies"]["duty"]["registered"] = False
    del data["headroom"]
    scenario = load_scenario(write_yaml(tmp_path / "s.yaml", data))
    by_path = {w.path: w for w in scenario.warnings}
    assert set(by_path) == {
        "headroom",
        "roles.ot",
        "establishment.peer_worker",
        "policies.duty.registered",
        "tasks.peer_support.competence",
    }
    assert all(isinstance(w, Problem) for w in scenario.warnings)
    assert by_path["roles.ot"].line is not None
    assert "treated as 0 FTE" in by_path["roles.ot"].message
    assert "more than full time" in by_path["establishment.peer_worker"].message
    assert "competence gap" in by_path["tasks.peer_support.competence"].message
    assert scenario.headroom_share("nurse") == 0.0


def test_staff_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    message = r"staffed\.yaml:\d+: staff: cannot read 'team': not a regular file"
    with pytest.raises(ScenarioError, match=message):
        load_scenario(staff_scenario(tmp_path, "team"))


def test_a_team_with_nobody_in_it_is_warned_of(tmp_path: Path) -> None:
    scenario = load_scenario(staff_scenario(tmp_path, []))
    assert any("the team has nobody in it" in str(w) for w in scenario.warnings)


def test_a_value_just_over_its_limit_is_shown_in_full(tmp_path: Path) -> None:
    # 1.5000000001 was shown as "got 1.5" under "must be at most 1.5"
    (tmp_path / "team.csv").write_text("id,role,fte\nN01,nurse,1.5000000001\n")
    with pytest.raises(ScenarioError, match=r"must be at most 1\.5 \(got 1\.5000000001\)"):
        load_scenario(staff_scenario(tmp_path, "team.csv"))
