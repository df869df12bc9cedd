"""The typed plan boundary: ``Plan.from_json`` reads back what ``Plan.to_dict`` writes."""

from __future__ import annotations

import json

import pytest
from test_report_support import solved

from optimiser.plan import Plan, PlanError
from optimiser.status import Status


def test_round_trip_of_the_example_with_its_package() -> None:
    _, plan = solved("under-resourced")
    doc = json.loads(json.dumps(plan.to_dict()))
    back = Plan.from_json(doc)
    assert back.status is Status(doc["status"])
    assert json.loads(json.dumps(back.to_dict())) == doc


def test_status_is_the_enum_and_its_own_json_text() -> None:
    _, plan = solved("cmht-north")
    assert plan.status is Status.OPTIMAL
    assert plan.to_dict()["status"] == "optimal"
    assert json.dumps(plan.status) == '"optimal"'


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ([], "expected a JSON object"),
        ({"scenario": "x"}, "(no mode, status, cost, demand, allocation, utilisation, risks)"),
        ({"mode": "fte", "status": "great", "cost": {}, "demand": [], "allocation": [],
          "utilisation": [], "risks": []}, "status: 'great' is not one of optimal"),
        ({"mode": "fte", "status": "optimal", "cost": {}, "demand": {}, "allocation": [],
          "utilisation": [], "risks": []}, "demand: expected a list of rows"),
        ({"mode": "fte", "status": "optimal", "cost": [], "demand": [], "allocation": [],
          "utilisation": [], "risks": []}, "cost: expected an object"),
    ],
)  # fmt: skip
def test_what_is_not_a_plan_is_named(doc: object, words: str) -> None:
    with pytest.raises(PlanError) as err:
        Plan.from_json(doc, "team/plan.json")
    assert str(err.value).startswith("team/plan.json: ")
    assert words in str(err.value)
