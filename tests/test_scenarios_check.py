"""Every shipped scenario plans, and every plan passes the independent checker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from optimiser.check import check_plan, load_scenario_dict
from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams, solve

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("strict", [False, True], ids=["soft", "strict"])
def test_plan_passes_independent_checker(path: Path, strict: bool) -> None:
    plan = solve(load_scenario(path), SolveParams(strict=strict, mitigations=not strict))
    data = json.loads(json.dumps(plan.to_dict()))
    violations = check_plan(load_scenario_dict(path), data)
    assert violations == [], "\n".join(violations)
    if strict:
        assert data["status"] in ("optimal", "infeasible")
        assert (data["status"] == "infeasible") == bool(data["risks"])


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_risk_has_costed_mitigation_or_reason(path: Path) -> None:
    """Mitigations are concrete: an action, a role and, for added FTE, a cost."""
    plan = solve(load_scenario(path))
    for risk in plan.risks:
        for m in risk["mitigations"]:
            assert m["action"] in ("add_fte", "extend_scope", "signoff", "renew_signoff",
                                   "new_role")
            assert m["role"] in load_scenario(path).roles or m["action"] == "new_role"
            if m["action"] == "add_fte":
                role = load_scenario(path).roles[m["role"]]
                assert m["fte"] > 0
                assert m["annual_cost"] == pytest.approx(m["fte"] * role.annual_cost, abs=0.01)


def test_yaml_and_json_forms_plan_alike(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parent.parent / "scenarios" / "cmht-north.yaml"
    as_json = tmp_path / "same.json"
    as_json.write_text(json.dumps(yaml.safe_load(path.read_text()), default=str))
    a = solve(load_scenario(path), SolveParams(mitigations=False)).to_dict()
    b = solve(load_scenario(as_json), SolveParams(mitigations=False)).to_dict()
    for d in (a, b):
        d.pop("solve_seconds")
    assert a == b
