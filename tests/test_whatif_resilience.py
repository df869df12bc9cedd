"""``resilience`` (single points of failure) and ``compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Tiny, base_scenario, role, task

from optimiser.scenario import load_scenario
from optimiser.whatif.compare import compare, comparison_rows
from optimiser.whatif.executor import SerialExecutor
from optimiser.whatif.resilience import Absence, absences, resilience, without

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
SURGE = ROOT / "scenarios" / "cmht-north-surge.yaml"
TEACHING = ROOT / "scenarios" / "tiny-teaching.yaml"


def one_registered_person() -> dict[str, Any]:
    """Staff mode: one nurse (the only registered person) and two support workers.

    1.0 FTE = 30 h.  Risk review (amber, registered only, criticality 5): 10 people
    x 0.5 x 1 h = 5 h, all the nurse's.  Without her no registered person holds
    risk assessment (a competence gap) and it is undone: consequence
    round(sqrt(3 x 5)) = 4, a single point of failure.  Either support worker away
    leaves 30 h for 10 h of contact: nothing opens.
    """
    data = base_scenario(
        roles={
            "nurse": role(True, 50000, ["engagement", "risk"]),
            "support": role(False, 30000, ["engagement"], caseload_capacity=0),
        },
        cohort=[{"tier": "amber", "people": 10}],
        tasks={
            "contact": task("engagement", 1.0, {"amber": 1}, continuity=True),
            "review": task("risk", 1.0, {"amber": 0.5}, registered_for=["amber"], criticality=5),
        },
        staff=[
            {"id": "N1", "role": "nurse", "fte": 1.0},
            {"id": "S1", "role": "support", "fte": 1.0},
            {"id": "S2", "role": "support", "fte": 1.0},
        ],
    )
    data.pop("establishment")
    return data


def test_the_only_registered_person_is_a_single_point_of_failure(tiny: Tiny) -> None:
    scenario = tiny.load(one_registered_person())
    doc = resilience(scenario, SerialExecutor())
    assert doc["baseline"] == {"risk_penalty": 0.0, "risk_score": 0, "risks": 0}
    assert [a["staff"] for a in doc["absences"]][0] == "N1"  # ranked first: most added risk
    first = doc["absences"][0]
    assert first["absent"] == "nurse" and first["added_risk_penalty"] > 0
    assert any(
        r["category"] == "competence_gap" and r["change"] == "new" for r in first["new_risks"]
    )
    for other in doc["absences"][1:]:
        assert other["new_risks"] == [] and other["added_risk_penalty"] == 0
    (spof,) = doc["single_points_of_failure"]
    assert spof["category"] == "single_point_of_failure"
    assert spof["staff"] == "N1" and spof["role"] == "nurse"
    assert spof["consequence"] == 4 and spof["score"] == 12
    assert spof["task"] == "review" and spof["shortfall"] == 5.0
    assert "N1" in spof["title"]


def test_fte_mode_absence_is_one_person_of_a_role() -> None:
    scenario = load_scenario(EXAMPLE)
    todo = absences(scenario)
    assert [a.role for a in todo] == list(scenario.establishment)
    peer = without(scenario, Absence("peer_worker"))
    assert peer.establishment["peer_worker"].fte == pytest.approx(2.0 - 2.0 / 3)
    assert peer.establishment["peer_worker"].headcount == 2
    consultant = without(scenario, Absence("consultant"))
    assert consultant.establishment["consultant"].fte == 0


def test_teaching_team_absences_are_ranked() -> None:
    doc = resilience(load_scenario(TEACHING), SerialExecutor())
    assert len(doc["absences"]) == 3
    added = [a["added_risk_penalty"] for a in doc["absences"]]
    assert added == sorted(added, reverse=True)
    assert {s["role"] for s in doc["single_points_of_failure"]} <= {
        "team_leader",
        "nurse",
        "support_worker",
    }


def test_compare_two_scenarios() -> None:
    paths = [str(EXAMPLE), str(SURGE)]
    doc = compare([load_scenario(p) for p in paths], paths, SerialExecutor())
    base, surge = doc["scenarios"]
    assert doc["base"] == "cmht-north"
    assert base["annual_cost"] == 991000.0 and surge["annual_cost"] == 1049000.0
    assert surge["risk_score"] > base["risk_score"]
    (diff,) = doc["differences"]
    assert diff["annual_cost"] == 58000.0
    assert diff["risk_score"] == surge["risk_score"] - base["risk_score"]
    assert sum(base["risk_score_by_category"].values()) == base["risk_score"]
    assert base["utilisation"]["nurse"]["fte"] == 6.0
    rows, columns = comparison_rows(doc)
    assert columns == ["measure", "cmht-north", "cmht-north-surge"]
    by = {r["measure"]: r for r in rows}
    assert by["annual_cost"]["cmht-north-surge"] == 1049000.0
    assert "risk_score:coverage_shortfall" in by and "utilisation:nurse" in by
