"""Bad scenarios: every error names the file, the key path and (for YAML) the line."""

from __future__ import annotations

import copy
import json
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from optimiser.scenario import ScenarioError, load_scenario
from optimiser.scenario.models import (
    Competency,
    Duty,
    Frequency,
    Policies,
    Post,
    RedFlags,
    Role,
    Scenario,
    Segment,
    Sizing,
    StaffMember,
    Supervision,
    Task,
    Tier,
    Volatility,
)
from optimiser.scenario.problems import format_path

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "cmht-north.yaml"
EXAMPLE_TEXT = EXAMPLE.read_text()
RAW: dict[str, Any] = yaml.safe_load(EXAMPLE_TEXT)
BAD = Path(__file__).resolve().parent / "data" / "bad"


def load_error(path: Path | str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems, "a ScenarioError always carries problems"
    return info.value


def edit_example(tmp_path: Path, old: str, new: str, name: str = "edited.yaml") -> Path:
    assert EXAMPLE_TEXT.count(old) == 1, f"{old!r} must occur exactly once in the example"
    path = tmp_path / name
    path.write_text(EXAMPLE_TEXT.replace(old, new))
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# (old text, new text, key path, message fragment, text on the reported line)
EDITS = [
    pytest.param(
        "  ot: 1.0\n", "  occupational_therapist: 1.0\n",
        "establishment.occupational_therapist", "unknown role 'occupational_therapist'",
        "occupational_therapist: 1.0", id="unknown-role-establishment",
    ),
    pytest.param(
        "supervised_by: [team_leader], max", "supervised_by: [team_lead], max",
        "roles.social_worker.supervision.supervised_by[0]",
        "unknown role 'team_lead' (did you mean 'team_leader'?", "[team_lead]",
        id="unknown-role-supervised-by",
    ),
    pytest.param(
        "{tier: amber, stage: assessment,", "{tier: ambr, stage: assessment,",
        "cohort[2].tier", "unknown tier 'ambr' (did you mean 'amber'? known: green, amber, red)",
        "tier: ambr", id="unknown-tier-cohort",
    ),
    pytest.param(
        "frequency: {red: {per_week: 1}}", "frequency: {rd: {per_week: 1}}",
        "tasks.crisis_response.frequency.rd", "unknown tier 'rd'", "{rd: {per_week: 1}}",
        id="unknown-task-tier",
    ),
    pytest.param(
        "registered_for: [amber, red]", "registered_for: [amber, redd]",
        "tasks.risk_review.registered_for[1]", "unknown tier 'redd' (did you mean 'red'?",
        "[amber, redd]", id="unknown-registered-for-tier",
    ),
    pytest.param(
        "red:   {amber: 0.30}", "red:   {ambre: 0.30}",
        "volatility.transitions.red.ambre", "unknown tier 'ambre'", "{ambre: 0.30}",
        id="unknown-transition-tier",
    ),
    pytest.param(
        "competencies: [engagement, peer_support]", "competencies: [engagement, peer_suport]",
        "roles.peer_worker.competencies[1]",
        "unknown competency 'peer_suport' (did you mean 'peer_support'?", "peer_suport",
        id="unknown-competency-role",
    ),
    pytest.param(
        "competence: risk_assessment\n    hours: 1.5", "competence: risk_assesment\n    hours: 1.5",
        "tasks.risk_review.competence",
        "unknown competency 'risk_assesment' (did you mean 'risk_assessment'? known: engagement",
        "competence: risk_assesment", id="unknown-competency-task",
    ),
    pytest.param(
        "competence: risk_assessment, registered: true}",
        "competence: risk, registered: true}",
        "policies.duty.competence", "unknown competency 'risk'", "duty:",
        id="unknown-competency-duty",
    ),
    pytest.param(
        "max_fte: {consultant: 2.0, psychologist: 3.0}",
        "max_fte: {consultant: 2.0, psycologist: 3.0}",
        "sizing.max_fte.psycologist", "unknown role 'psycologist'", "max_fte:",
        id="unknown-role-sizing",
    ),
    pytest.param(
        "min_fte: {consultant: 0.4,", "min_fte: {consultant: 2.4,",
        "sizing.min_fte.consultant", "min_fte 2.4 is greater than max_fte 2", "min_fte:",
        id="min-above-max",
    ),
    pytest.param(
        "    frequency: {green: {every_weeks: 26}, amber: {every_weeks: 12}",
        "    frequncy: {green: {every_weeks: 26}, amber: {every_weeks: 12}",
        "tasks.risk_review.frequncy", "unknown key 'frequncy' (did you mean 'frequency'?)",
        "frequncy:", id="typo-task-key",
    ),
    pytest.param(
        "hours_per_fte: 37.5", "hours_per_ft: 37.5",
        "hours_per_ft", "unknown key 'hours_per_ft' (did you mean 'hours_per_fte'?)",
        "hours_per_ft:", id="typo-top-level-key",
    ),
    pytest.param(
        "people: 80}", "people: -80}",
        "cohort[3].people", "must be at least 0 (got -80)", "people: -80", id="negative-people",
    ),
    pytest.param(
        "annual_cost: 58000", "annual_cost: -58000",
        "roles.nurse.annual_cost", "must be at least 0 (got -58000)", "annual_cost: -58000",
        id="negative-cost",
    ),
    pytest.param(
        "  nurse: 6.0\n", "  nurse: -6.0\n",
        "establishment.nurse.fte", "must be at least 0 (got -6)", "nurse: -6.0",
        id="negative-fte-shorthand",
    ),
    pytest.param(
        "hours: 0.5", "hours: -0.5",
        "tasks.medication_support.hours", "must be greater than 0 (got -0.5)", "hours: -0.5",
        id="negative-hours",
    ),
    pytest.param(
        "severity: 5,", "severity: 6,",
        "tiers.red.severity", "must be at most 5 (got 6)", "severity: 6", id="severity-range",
    ),
    pytest.param(
        "protected_continuity_share: 0.6", "protected_continuity_share: 1.6",
        "roles.peer_worker.protected_continuity_share", "must be at most 1 (got 1.6)",
        "protected_continuity_share: 1.6", id="share-above-one",
    ),
    pytest.param(
        "amber: {every_weeks: 12}, red: {every_weeks: 4}}",
        "amber: {every_weeks: 12}, red: {every_weeks: 0}}",
        "tasks.risk_review.frequency.red.every_weeks", "must be greater than 0 (got 0)",
        "every_weeks: 0}", id="zero-frequency",
    ),
    pytest.param(
        "frequency: {red: {per_week: 1}}", "frequency: {red: {per_week: -1}}",
        "tasks.crisis_response.frequency.red.per_week", "must be greater than 0 (got -1)",
        "per_week: -1", id="negative-frequency",
    ),
    pytest.param(
        "frequency: {red: {per_week: 1}}", "frequency: {red: {per_week: 1, every_weeks: 1}}",
        "tasks.crisis_response.frequency.red", "give exactly one of per_week or every_weeks",
        "every_weeks: 1}", id="both-frequencies",
    ),
    pytest.param(
        "admin_travel: 0.05", "admin_travel: 0.85",
        "headroom", "shares sum to 1.055; must be less than 1", "headroom:",
        id="headroom-sum",
    ),
    pytest.param(
        "title: Community mental health nurse (Band 6)\n",
        "title: Community mental health nurse (Band 6)\n    headroom: {study: 0.8}\n",
        "roles.nurse.headroom", "effective headroom for role 'nurse'", "study: 0.8",
        id="role-headroom-sum",
    ),
    pytest.param(
        "{tier: green, stage: recovery,      people: 210}", "{tier: red, stage: crisis, people: 2}",
        "cohort[5]", "duplicate segment red/crisis (first at cohort[0])", "people: 2}",
        id="duplicate-segment",
    ),
    pytest.param(
        "peer_worker: {fte: 2.0, headcount: 3}", "peer_worker: {fte: 2.0, headcount: 0}",
        "establishment.peer_worker.headcount", "must be at least 1 when fte is above 0",
        "headcount: 0", id="zero-headcount",
    ),
    pytest.param(
        "{tier: amber, stage: recovery,      people: 60}", "{tier: amber, stage: '', people: 60}",
        "cohort[4].stage", "must not be empty (leave the key out for 'all')", "stage: ''",
        id="empty-stage",
    ),
    pytest.param(
        "{tier: amber, stage: recovery,      people: 60}", "{tier: amber, stage: a/b, people: 60}",
        "cohort[4].stage", "must not contain '/'", "stage: a/b", id="slash-in-stage",
    ),
    pytest.param(
        "plan_date: 2027-04-01", "plan_date: 2027-04-31",
        "plan_date", "'2027-04-31' is not a real date (day 31 is not 1..30 for April 2027)",
        "plan_date:",
        id="impossible-date",
    ),
    pytest.param(
        "registered: true\n    annual_cost: 150000",
        "registered: yes please\n    annual_cost: 150000",
        "roles.consultant.registered", "must be true or false (got 'yes please')",
        "registered: yes please", id="not-a-bool",
    ),
    pytest.param(
        "  fte_step: 0.1\n", "  fte_step: 0.1\n  fte_step: 0.2\n",
        "sizing.fte_step", "duplicate key 'fte_step' (first set at line", "fte_step: 0.2",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "key_path", "fragment", "on_line"), EDITS)
def test_bad_edit_of_the_example(
    tmp_path: Path, old: str, new: str, key_path: str, fragment: str, on_line: str
) -> None:
    path = edit_example(tmp_path, old, new)
    error = load_error(path)
    matching = [p for p in error.problems if p.path == key_path and fragment in p.message]
    assert matching, f"no problem at {key_path!r} saying {fragment!r} in:\n{error}"
    problem = matching[0]
    assert problem.file == str(path)
    assert problem.line == line_of(path, on_line)
    assert f"{path}:{problem.line}: {key_path}: " in str(error)


def test_all_problems_are_collected(tmp_path: Path) -> None:
    text = (
        EXAMPLE_TEXT.replace("people: 80}", "people: -80}")
        .replace("annual_cost: 58000", "annual_cost: -1")
        .replace("hours: 0.5", "hours: 0")
        .replace("caseload_weight: 1.0}", "caseload_weigth: 1.0}")
    )
    path = tmp_path / "many.yaml"
    path.write_text(text)
    error = load_error(path)
    paths = [p.path for p in error.problems]
    assert paths == [
        "roles.nurse.annual_cost",
        "tiers.amber.caseload_weight",
        "tiers.amber.caseload_weigth",
        "cohort[3].people",
        "tasks.medication_support.hours",
    ]
    assert len(str(error).splitlines()) == 5
    assert "tiers.amber.caseload_weight: is required but missing" in str(error)


def test_error_pickles_with_its_problems(tmp_path: Path) -> None:
    error = load_error(edit_example(tmp_path, "people: 80}", "people: -80}"))
    copy_ = pickle.loads(pickle.dumps(error))
    assert isinstance(copy_, ScenarioError)
    assert copy_.problems == error.problems
    assert str(copy_) == str(error)


def test_both_establishment_and_staff(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(EXAMPLE_TEXT + "\nstaff:\n  - {id: N01, role: nurse, fte: 1.0}\n")
    error = load_error(path)
    (problem,) = error.problems
    assert problem.path == "staff"
    assert problem.line == line_of(path, "staff:")
    assert "exactly one of establishment (FTE mode) or staff (staff mode), not both" in str(error)


def test_neither_establishment_nor_staff(tmp_path: Path) -> None:
    data = copy.deepcopy(RAW)
    del data["establishment"]
    path = tmp_path / "neither.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    error = load_error(path)
    assert str(error) == (
        f"{path}: one of establishment (FTE mode) or staff (staff mode) is required"
    )


def test_malformed_yaml_names_the_line() -> None:
    error = load_error(BAD / "malformed.yaml")
    (problem,) = error.problems
    assert (problem.file, problem.path, problem.line) == (str(BAD / "malformed.yaml"), "", 4)
    # our part: the file, the line, that it is a YAML syntax problem (PyYAML's words follow)
    assert problem.message.startswith("invalid YAML: ")


def test_malformed_example_edit_names_the_line(tmp_path: Path) -> None:
    path = edit_example(tmp_path, "  sickness: 0.045", "  sickness: 0.045: 1")
    error = load_error(path)
    assert str(error).startswith(f"{path}:{line_of(path, 'sickness')}: invalid YAML")


def test_malformed_json_names_the_line() -> None:
    error = load_error(BAD / "malformed.json")
    assert str(error).startswith(f"{BAD / 'malformed.json'}:4: invalid JSON")


def test_json_errors_have_paths_but_no_lines(tmp_path: Path) -> None:
    data = json.loads(json.dumps(RAW, default=str))
    data["cohort"][3]["people"] = -80
    path = tmp_path / "north.json"
    path.write_text(json.dumps(data))
    error = load_error(path)
    assert str(error) == f"{path}: cohort[3].people: must be at least 0 (got -80)"


def test_alias_bomb_fails_fast() -> None:
    start = time.perf_counter()
    error = load_error(BAD / "alias_bomb.yaml")
    assert time.perf_counter() - start < 1.0
    (problem,) = error.problems
    assert "expands to more than 100,000 YAML nodes" in problem.message
    assert problem.line is not None


def test_recursive_alias() -> None:
    error = load_error(BAD / "recursive_alias.yaml")
    assert "recursive YAML alias '*roles'" in str(error)


def test_python_tag_is_refused() -> None:
    error = load_error(BAD / "python_tag.yaml")
    assert error.problems[0].path == "name"
    assert error.problems[0].line == 2
    assert "YAML tag '!!python/object/apply:os.system' is not allowed" in str(error)


def test_not_a_mapping() -> None:
    error = load_error(BAD / "not_a_mapping.yaml")
    assert "a scenario must be a mapping of keys" in str(error)
    assert "got a list" in str(error)


def test_too_large_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (5 * 1024 * 1024))
    error = load_error(path)
    assert str(error) == f"{path}: file is larger than 5 MB; refusing to read it"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "[" * 20_000),  # PyYAML may stop it first, in its own words
        ("closed.yaml", "a: " + "[" * 60 + "]" * 60 + "\n"),  # valid YAML, our limit
        ("block.yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"),
        ("deep.json", "[" * 20_000),
        ("closed.json", "[" * 60 + "]" * 60),
    ],
)
def test_too_deep(tmp_path: Path, name: str, text: str) -> None:
    # our part: the file, one problem naming the nesting limit, exit 2 through the CLI;
    # not whatever the installed YAML/JSON library says about it
    path = tmp_path / name
    path.write_text(text)
    error = load_error(path)
    assert [p.message for p in error.problems] == ["nested more than 50 levels deep"]
    assert str(error).startswith(f"{path}")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "nested more than 50 levels deep" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.yaml", None, "file not found"),
        ("scenario.txt", "name: x\n", "unsupported file type '.txt'"),
        ("empty.yaml", "", "file is empty"),
        ("latin1.yaml", b"name: caf\xe9\n", "not valid UTF-8"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: Any, fragment: str) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    assert fragment in str(load_error(path))


# --- property: any invalid mutation is reported at its key path --------------------

MODEL_FIELDS = {
    name
    for model in (
        Scenario, Competency, Role, Supervision, Post, StaffMember, Tier, Segment, Task,
        Frequency, Policies, Duty, RedFlags, Volatility, Sizing,
    )
    for name in model.model_fields
}
UNCONSTRAINED = {("volatility", "seed")}

Path_ = tuple[str | int, ...]
Mutation = Callable[[dict[str, Any], st.DataObject], str]


def _walk(value: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_walk(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.extend(_walk(child, (*path, index)))
    return out


def _get(data: Any, path: Path_) -> Any:
    for key in path:
        data = data[key]
    return data


NUMBERS = [
    path
    for path, value in _walk(RAW)
    if isinstance(value, int | float) and not isinstance(value, bool) and path not in UNCONSTRAINED
]
# Mappings validated by a model (not id -> value maps, and not headroom, whose keys are free).
MODEL_MAPS = [
    path
    for path, value in _walk(RAW)
    if isinstance(value, dict)
    and (
        len(path) == 0
        or path in {("policies",), ("policies", "duty"), ("volatility",), ("sizing",)}
        or (len(path) == 2 and path[0] in {"competencies", "roles", "tiers", "tasks", "cohort"})
        or (len(path) == 3 and path[0] == "roles" and path[2] == "supervision")
        or (len(path) == 4 and path[2] == "frequency")
        or (len(path) == 2 and path[0] == "establishment")
    )
]
REFERENCES = [  # (path of a value or list item, kind of id it refers to)
    path
    for path, value in _walk(RAW)
    if isinstance(value, str)
    and (
        path[-1] in {"competence", "tier"}
        or (len(path) >= 2 and path[-2] in {"competencies", "supervised_by", "registered_for"})
        or path[:2] == ("policies", "coordination_registered_for")
    )
]
RENAMEABLE = [  # mappings whose keys are references to roles or tiers
    path
    for path, value in _walk(RAW)
    if isinstance(value, dict)
    and (
        path in {("establishment",), ("sizing", "min_fte"), ("sizing", "max_fte")}
        or path == ("volatility", "transitions")
        or path[:2] == ("volatility", "transitions")
        or (len(path) == 3 and path[0] == "tasks" and path[2] == "frequency")
    )
]
missing_ids = st.from_regex(r"[a-z]{1,8}", fullmatch=True).map(lambda s: f"no_such_{s}")
unknown_keys = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True).filter(
    lambda k: k not in MODEL_FIELDS and k != "extends"
)


def set_negative(data: dict[str, Any], draw: st.DataObject) -> str:
    path = draw.draw(st.sampled_from(NUMBERS), label="number")
    parent = _get(data, path[:-1])
    value = parent[path[-1]]
    parent[path[-1]] = -(value + 1)
    return format_path(path)


def insert_unknown_key(data: dict[str, Any], draw: st.DataObject) -> str:
    path = draw.draw(st.sampled_from(MODEL_MAPS), label="mapping")
    key = draw.draw(unknown_keys, label="key")
    _get(data, path)[key] = 1
    return format_path((*path, key))


def break_reference(data: dict[str, Any], draw: st.DataObject) -> str:
    path = draw.draw(st.sampled_from(REFERENCES), label="reference")
    _get(data, path[:-1])[path[-1]] = draw.draw(missing_ids, label="id")
    return format_path(path)


def rename_key(data: dict[str, Any], draw: st.DataObject) -> str:
    path = draw.draw(st.sampled_from(RENAMEABLE), label="mapping")
    mapping = _get(data, path)
    old = draw.draw(st.sampled_from(sorted(mapping)), label="old key")
    new = draw.draw(missing_ids, label="new key")
    mapping[new] = mapping.pop(old)
    return format_path((*path, new))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutations") / "mutated.yaml"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutate=st.sampled_from([set_negative, insert_unknown_key, break_reference, rename_key]),
    data=st.data(),
)
def test_invalid_mutation_is_reported_at_its_key(
    scratch: Path, mutate: Mutation, data: st.DataObject
) -> None:
    scenario = copy.deepcopy(RAW)
    key_path = mutate(scenario, data)
    scratch.write_text(yaml.safe_dump(scenario, sort_keys=False))
    with pytest.raises(ScenarioError) as info:
        load_scenario(scratch)
    message = str(info.value)
    assert f": {key_path}" in message, message
    assert all(p.line is not None for p in info.value.problems)
