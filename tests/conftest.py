"""Shared helpers for the model tests: tiny scenarios written to YAML, loaded and solved.

The ``tiny`` fixture builds a scenario dict from a skeleton whose arithmetic
is easy to do by hand:

* ``hours_per_fte: 40`` and one headroom component of 0.25, so 1.0 FTE is
  **30 h/week available** and 0.1 FTE is 3 h;
* competencies and tiers as given by the test, no sizing, no duty.

Scenarios go through YAML and :func:`optimiser.scenario.load_scenario`, so the
tests exercise the file format as users write it.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# benchmarks/ holds the GAP research engine (gapengine) that tests cross-check and
# the caseload benchmark's file writer (caseload_files)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from optimiser.check import check_plan  # noqa: E402  (fails loudly if it is missing)
from optimiser.model import caseload_milp  # noqa: E402
from optimiser.plan import Plan  # noqa: E402
from optimiser.scenario import Scenario, load_scenario
from optimiser.solve import SolveParams
from optimiser.whatif.assess import assess


def base_scenario(**overrides: Any) -> dict[str, Any]:
    """A tiny FTE-mode scenario skeleton (1.0 FTE = 30 h/week available).

    ``overrides`` replace top-level keys (``roles``, ``establishment``,
    ``tiers``, ``cohort``, ``tasks``, ``policies``, ...).
    """
    data: dict[str, Any] = {
        "name": "tiny",
        "plan_date": "2027-04-01",
        "hours_per_fte": 40.0,
        "headroom": {"annual_leave": 0.25},
        "competencies": {
            "engagement": {"title": "Engagement"},
            "medication": {"title": "Medication"},
            "risk": {"title": "Risk assessment"},
            "prescribing": {"title": "Prescribing"},
        },
        "roles": {},
        "establishment": {},
        "tiers": {"amber": {"severity": 3, "caseload_weight": 1.0}},
        "cohort": [],
        "tasks": {},
    }
    data.update(copy.deepcopy(overrides))
    return data


def role(
    registered: bool,
    annual_cost: float,
    competencies: list[str],
    *,
    caseload_capacity: float = 1000.0,
    **more: Any,
) -> dict[str, Any]:
    """A role dict. ``caseload_capacity`` defaults to 1000 points per FTE, so that
    care coordination (C7, which every segment needs) is met unless a test says
    otherwise; pass ``caseload_capacity=0`` for a role that does not coordinate."""
    out: dict[str, Any] = {
        "registered": registered,
        "annual_cost": annual_cost,
        "competencies": list(competencies),
        "caseload_capacity": caseload_capacity,
    }
    out.update(more)
    return out


def task(competence: str, hours: float, frequency: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A task dict; ``frequency`` maps tier -> per_week number (or a full mapping)."""
    freq = {tier: (f if isinstance(f, dict) else {"per_week": f}) for tier, f in frequency.items()}
    out: dict[str, Any] = {"competence": competence, "hours": hours, "frequency": freq}
    out.update(more)
    return out


class Tiny:
    """Write a scenario dict to YAML under ``tmp_path``, load it, solve it, read the plan."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self._n = 0

    def write(self, data: dict[str, Any] | str) -> Path:
        self._n += 1
        path = self.tmp_path / f"scenario_{self._n}.yaml"
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    def load(self, data: dict[str, Any] | str) -> Scenario:
        return load_scenario(self.write(data))

    def solve(
        self,
        data: dict[str, Any],
        *,
        strict: bool = False,
        mitigations: bool = False,
        check: bool = True,
    ) -> dict[str, Any]:
        """Solve and return ``plan.to_dict()`` (checked by the independent checker)."""
        plan = self.solve_plan(data, strict=strict, mitigations=mitigations)
        out = plan.to_dict()
        # plan.json must be plain JSON whatever else happens
        out = json.loads(json.dumps(out))
        if check:  # infeasible (strict) plans too: the checker knows what they must say
            problems = check_plan(data, out)
            assert problems == [], "independent checker:\n" + "\n".join(problems)
        return out

    def solve_plan(
        self, data: dict[str, Any], *, strict: bool = False, mitigations: bool = False
    ) -> Plan:
        return assess(self.load(data), SolveParams(strict=strict, mitigations=mitigations))


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    """Load and solve tiny hand-checkable scenarios (see :class:`Tiny`)."""
    return Tiny(tmp_path)


# -- reading plans ----------------------------------------------------------------


def _matches(row: dict[str, Any], match: dict[str, Any]) -> bool:
    return all(row.get(k) == v for k, v in match.items())


def rows(plan: dict[str, Any], section: str, **match: Any) -> list[dict[str, Any]]:
    """Rows of a plan section whose fields equal ``match``."""
    return [r for r in plan[section] if _matches(r, match)]


def total(plan: dict[str, Any], section: str, field: str = "hours_per_week", **match: Any) -> float:
    """Sum of ``field`` over the matching rows of a plan section."""
    return round(sum(r[field] for r in rows(plan, section, **match)), 6)


def risks(plan: dict[str, Any], category: str | None = None, **match: Any) -> list[dict[str, Any]]:
    """Risks of a plan (of one category, with matching fields)."""
    found = [r for r in plan["risks"] if category is None or r["category"] == category]
    return [r for r in found if _matches(r, match)]


def util(plan: dict[str, Any], role: str) -> dict[str, Any]:
    """The utilisation row of a role (FTE mode)."""
    (row,) = rows(plan, "utilisation", role=role)
    return row


@pytest.fixture
def plan_tools() -> dict[str, Callable[..., Any]]:
    """The plan readers as a fixture, for test modules that prefer not to import conftest."""
    return {"rows": rows, "total": total, "risks": risks, "util": util}


@pytest.fixture(params=["simplex", "ipm"])
def relaxation_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The caseload relaxations' engine, whatever the model's size: dual simplex
    (team-sized models by default) or interior point with crossover (large ones)."""
    most = 10**9 if request.param == "simplex" else 0
    monkeypatch.setattr(caseload_milp, "SIMPLEX_MAX_VARIABLES", most)
    return str(request.param)
