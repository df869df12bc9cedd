"""The mitigation package: least-cost additions to today's team that remove every
removable risk (the same model as ``size``), and what each addition clears."""

from __future__ import annotations

from conftest import base_scenario, role, task

from optimiser.pipeline import plan
from optimiser.solve import SolveParams, solve


def short_team() -> dict:
    # 1.0 FTE = 30 h. nurse 1.0 FTE; contact 10 people x 3.6 x 1 h = 36 h -> 6 h short;
    # prescribing (10 x 0.5 x 1 h = 5 h) needs a competence nobody in any role holds:
    # no establishment removes it (unfixable). support (not registered) cannot do the
    # registered-only contact of the red tier.
    return base_scenario(
        roles={
            "nurse": role(True, 60000, ["engagement"]),
            "support": role(False, 30000, ["engagement"]),
        },
        establishment={"nurse": 1.0},
        tiers={"red": {"severity": 4, "caseload_weight": 1.0}},
        cohort=[{"tier": "red", "people": 10}],
        tasks={
            "contact": task("engagement", 1.0, {"red": 3.6}, registered_for=["red"]),
            "prescribe": task("prescribing", 1.0, {"red": 0.5}, criticality=5),
        },
        sizing={"fte_step": 0.1},
    )


def test_package_adds_the_cheapest_posts_and_leaves_only_the_unfixable(tiny) -> None:
    scenario = tiny.load(short_team())
    result = plan(scenario, SolveParams())
    package = result.mitigation_package
    assert package is not None
    by_category = {r["category"]: r for r in result.risks}
    gap, short = by_category["competence_gap"], by_category["review_frequency"]
    # 6 h of registered work: 0.2 FTE nurse (not support: registered-only), £12,000
    (addition,) = package["additions"]
    assert (addition["role"], addition["fte"], addition["annual_cost"]) == ("nurse", 0.2, 12000.0)
    assert addition["clears"] == [short["id"]]
    assert package["annual_cost"] == 12000.0
    assert package["unfixable"] == [gap["id"]] and package["clears"] == [short["id"]]
    assert short["package"] == ["nurse"] and gap["package"] == []
    # re-plan with the package: the penalty left is the unfixable part only
    data = short_team()
    data["establishment"] = {"nurse": 1.2}
    replanned = solve(tiny.load(data), SolveParams(mitigations=False))
    assert [r["category"] for r in replanned.risks] == ["competence_gap"]
    assert replanned.objective["risk_penalty"] == package["risk_penalty_left"]


def test_package_equals_what_size_recommends(tiny) -> None:
    from optimiser.whatif.sizing import size

    scenario = tiny.load(short_team())
    package = plan(scenario, SolveParams()).mitigation_package
    sized = size(scenario).data
    for addition in package["additions"]:
        change = next(c for c in sized["changes"] if c["role"] == addition["role"])
        assert change["change_fte"] == addition["fte"]
    assert sized["change_annual_cost"] == package["annual_cost"]


def test_no_risk_no_addition(tiny) -> None:
    data = short_team()
    del data["tasks"]["prescribe"]
    data["establishment"] = {"nurse": 1.2}
    package = plan(tiny.load(data), SolveParams()).mitigation_package
    assert package["additions"] == [] and package["annual_cost"] == 0.0


def test_grouping_two_shortfalls_with_one_cause_make_one_entry(tiny) -> None:
    # the red tier in two pathway stages, 5 people each: contact 5 x 3.6 x 1 h = 18 h a
    # stage, 36 h of registered work for 30 h of nurse time. The 6 h short falls on both
    # stages (pro rata, 3 h each): two shortfall rows, one cause (registered time with
    # engagement in the red tier), one register entry
    data = short_team()
    del data["tasks"]["prescribe"]
    data["cohort"] = [
        {"tier": "red", "stage": "crisis", "people": 5},
        {"tier": "red", "stage": "recovery", "people": 5},
    ]
    result = solve(tiny.load(data), SolveParams(mitigations=False)).to_dict()
    (entry,) = result["risks"]
    assert entry["category"] == "review_frequency" and entry["rows"] == 2
    assert entry["shortfall"] == 6.0 and entry["segment"] is None and entry["tier"] == "red"
    rows = result["shortfalls"]
    assert [(r["segment"], r["shortfall"], r["risk"]) for r in rows] == [
        ("red/crisis", 3.0, entry["id"]),
        ("red/recovery", 3.0, entry["id"]),
    ]
