"""Strict mode: soft constraints become hard. A feasible strict scenario gives a
plan with no risks; an infeasible one gives status "infeasible" and
``infeasible_requirements`` risks naming a minimal set of requirements that
cannot hold together: dropping any one of them from the scenario makes it
feasible (checked here by construction, re-solving each reduced scenario).
"""

from __future__ import annotations

import copy
from typing import Any

from conftest import base_scenario, role, task, total

TIERS = {
    "amber": {"severity": 3, "caseload_weight": 1.0},
    "red": {"severity": 5, "caseload_weight": 2.0},
}


def drop_requirement(data: dict[str, Any], key: list[str]) -> dict[str, Any]:
    """The scenario without one soft requirement (as named by a risk's ``key``)."""
    out = copy.deepcopy(data)
    kind = key[0]
    if kind == "coverage":
        _, task_id, segment = key
        tier = segment.split("/", 1)[0]
        del out["tasks"][task_id]["frequency"][tier]
        if not out["tasks"][task_id]["frequency"]:
            del out["tasks"][task_id]
    elif kind == "duty":
        del out["policies"]["duty"]
    elif kind == "signoff":
        out["tasks"][key[1]]["signoff_share"] = 0.0
    elif kind == "supervision":
        out["roles"][key[1]]["supervision"]["needs_hours_per_week"] = 0.0
    elif kind == "continuity":
        out["roles"][key[1]]["protected_continuity_share"] = 0.0
    elif kind == "coordination":
        # only used where the segment has no task demand
        out["cohort"] = [
            s for s in out["cohort"] if f"{s['tier']}/{s.get('stage', 'all')}" != key[1]
        ]
    else:  # pragma: no cover
        raise AssertionError(f"unknown requirement {key}")
    return out


def overloaded(nurse_fte: float = 1.0) -> dict[str, Any]:
    # nurse 30 h. duty 20 h + a 15 h + c 5 h = 40 h > 30.
    #   {duty, a}: 35 > 30 infeasible; {duty, c}: 25 ok; {a, c}: 20 ok
    # -> the only minimal conflict is {duty, a}; c is not part of it.
    # b (support only, 5 h) is always feasible.
    return base_scenario(
        roles={
            "nurse": role(True, 60000, ["engagement", "risk"]),
            "support": role(False, 30000, ["medication"]),
        },
        establishment={"nurse": nurse_fte, "support": 1.0},
        cohort=[{"tier": "amber", "people": 5}],
        tasks={
            "a": task("engagement", 1.0, {"amber": 3}),
            "b": task("medication", 1.0, {"amber": 1}),
            "c": task("engagement", 1.0, {"amber": 1}),
        },
        policies={"duty": {"hours_per_week": 20.0, "competence": "risk"}},
    )


def test_feasible_strict_has_no_risks(tiny):
    # nurse 1.4 FTE = 42 h >= 40 h; support 5 h of b
    plan = tiny.solve(overloaded(1.4), strict=True)
    assert plan["strict"] is True
    assert plan["status"] == "optimal"
    assert plan["risks"] == []
    assert plan["objective"]["risk_penalty"] == 0
    assert total(plan, "duty") == 20.0
    assert total(plan, "allocation", task="a") == 15.0


def test_strict_matches_soft_when_soft_has_no_risks(tiny):
    soft = tiny.solve(overloaded(1.4))
    strict = tiny.solve(overloaded(1.4), strict=True)
    for section in ("allocation", "duty", "signoff", "supervision", "coordination"):
        assert soft[section] == strict[section]


def test_infeasible_strict_reports_the_minimal_conflict(tiny):
    data = overloaded()
    plan = tiny.solve(data, strict=True)
    assert plan["status"] == "infeasible"
    assert {r["category"] for r in plan["risks"]} == {"infeasible_requirements"}
    keys = {tuple(r["key"]) for r in plan["risks"]}
    assert keys == {("duty",), ("coverage", "a", "amber/all")}
    # minimal by construction: dropping any one requirement makes the rest feasible
    for key in keys:
        assert tiny.solve(drop_requirement(data, list(key)), strict=True)["status"] == "optimal"
    # and the left-out requirement c is rightly left out: dropping it does not help
    assert (
        tiny.solve(drop_requirement(data, ["coverage", "c", "amber/all"]), strict=True)["status"]
        == "infeasible"
    )


def test_infeasible_strict_the_same_scenario_soft_has_risks(tiny):
    # soft: duty (1000/h) and a, c (100/h) -> duty 20, 10 h of a/c, 10 h short
    plan = tiny.solve(overloaded())
    assert plan["status"] == "optimal"
    assert total(plan, "duty") == 20.0
    assert sum(r["shortfall"] for r in plan["risks"]) == 10.0


def two_conflicts() -> dict[str, Any]:
    # hours: the {duty, a} conflict above; coordination: red 6 people x 2 = 12 points
    # for a registered coordinator, nurse cap 11 -> red/all cannot be fully coordinated
    data = overloaded()
    data["tiers"] = TIERS
    data["roles"]["nurse"]["caseload_capacity"] = 11
    data["roles"]["support"]["caseload_capacity"] = 0
    data["cohort"].append({"tier": "red", "people": 6})
    data["policies"]["coordination_registered_for"] = ["red"]
    return data


def test_one_conflict_per_model(tiny):
    data = two_conflicts()
    plan = tiny.solve(data, strict=True)
    assert plan["status"] == "infeasible"
    groups: dict[Any, set] = {}
    for r in plan["risks"]:
        groups.setdefault(r.get("conflict"), set()).add(tuple(r["key"]))
    assert sorted(groups.values(), key=len) == [
        {("coordination", "red/all")},
        {("duty",), ("coverage", "a", "amber/all")},
    ]
    # dropping the coordination requirement leaves exactly the hours conflict
    fewer = tiny.solve(drop_requirement(data, ["coordination", "red/all"]), strict=True)
    assert fewer["status"] == "infeasible"
    assert {tuple(r["key"]) for r in fewer["risks"]} == {("duty",), ("coverage", "a", "amber/all")}


def test_strict_supervision_and_signoff_conflict(tiny):
    # nurse 0.1 FTE = 3 h. support: 2 persons need 1 h each from the nurse (cap 2).
    # meds 20 h: if the nurse does n h and support 20 - n, sign-off is 0.1 (20 - n):
    # n + 0.1 (20 - n) + 2 <= 3 has no n >= 0. Drop any one of the three and it fits:
    # no coverage -> support does nothing, 2 h supervision; no sign-off -> 2 h;
    # no supervision -> 2 h sign-off.
    data = base_scenario(
        roles={
            "nurse": role(True, 60000, ["medication"], supervision={"max_supervisees": 2}),
            "support": role(
                False,
                30000,
                ["medication"],
                supervision={"needs_hours_per_week": 1.0, "supervised_by": ["nurse"]},
            ),
        },
        establishment={"nurse": 0.1, "support": 2.0},
        cohort=[{"tier": "amber", "people": 20}],
        tasks={"meds": task("medication", 1.0, {"amber": 1}, signoff_share=0.1)},
    )
    plan = tiny.solve(data, strict=True)
    assert plan["status"] == "infeasible"
    keys = {tuple(r["key"]) for r in plan["risks"]}
    assert keys == {
        ("coverage", "meds", "amber/all"),
        ("signoff", "meds"),
        ("supervision", "support"),
    }
    for key in keys:
        assert tiny.solve(drop_requirement(data, list(key)), strict=True)["status"] == "optimal"
