"""Hypothesis strategies: small valid FTE-mode scenarios as plain dicts.

``scenarios()`` draws a scenario mapping in the file format of SCENARIO.md
(2-4 roles, 1-3 tiers, 1-4 segments, 2-5 tasks; random registration,
competencies, caseload capacity, continuity share, supervision, duty and
registered-only tiers). Numbers come from short lists of "round" values so
that solves stay small, deterministic and easy to read when a property fails.
``load_dict`` writes one to YAML and loads it with ``load_scenario``.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from optimiser.scenario import Scenario, load_scenario

COMPETENCIES = ("engagement", "medication", "risk", "therapy")
ROLE_IDS = ("nurse", "support", "psych", "ot")
TIER_IDS = ("red", "amber", "green")
STAGES = ("all", "crisis", "recovery")

ftes = st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0, 1.3, 2.0, 2.5, 3.0])
costs = st.sampled_from([25000.0, 33000.0, 48000.0, 60000.0, 90000.0])


def _subset(draw: st.DrawFn, items: list[str] | tuple[str, ...], min_size: int = 0) -> list[str]:
    return draw(st.lists(st.sampled_from(list(items)), min_size=min_size, unique=True))


@st.composite
def roles(draw: st.DrawFn, ids: list[str], comps: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rid in ids:
        role: dict[str, Any] = {
            "title": rid.capitalize(),
            "registered": draw(st.booleans()),
            "annual_cost": draw(costs),
            "competencies": _subset(draw, comps),
            "caseload_capacity": draw(st.sampled_from([0.0, 0.0, 10.0, 25.0, 40.0])),
            "protected_continuity_share": draw(st.sampled_from([0.0, 0.0, 0.3, 0.5])),
        }
        if draw(st.booleans()):
            role["supervision"] = {
                "needs_hours_per_week": draw(st.sampled_from([0.0, 0.5, 1.0, 1.5])),
                "supervised_by": _subset(draw, ids),
                "max_supervisees": draw(st.integers(0, 4)),
            }
        if draw(st.integers(0, 4)) == 0:
            role["headroom"] = {"sickness": draw(st.sampled_from([0.0, 0.05, 0.1]))}
        out[rid] = role
    return out


@st.composite
def establishment(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rid in ids:
        fte = draw(ftes)
        if fte > 0 and draw(st.booleans()):
            # explicit headcount: the default ceil(fte) or one more part-timer
            out[rid] = {"fte": fte, "headcount": math.ceil(fte) + draw(st.integers(0, 1))}
        else:
            out[rid] = fte
    return out


@st.composite
def frequency(draw: st.DrawFn) -> dict[str, float]:
    if draw(st.booleans()):
        return {"per_week": draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))}
    return {"every_weeks": draw(st.sampled_from([2.0, 4.0, 12.0]))}


@st.composite
def tasks(draw: st.DrawFn, tiers: list[str], comps: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(draw(st.integers(2, 5))):
        listed = _subset(draw, tiers, min_size=1)
        task: dict[str, Any] = {
            "competence": draw(st.sampled_from(comps)),
            "hours": draw(st.sampled_from([0.5, 1.0, 1.5, 2.0])),
            "frequency": {t: draw(frequency()) for t in listed},
            "registered_for": _subset(draw, listed),
            "continuity": draw(st.booleans()),
            "signoff_share": draw(st.sampled_from([0.0, 0.0, 0.1, 0.25])),
            "criticality": draw(st.integers(1, 5)),
        }
        if draw(st.integers(0, 3)) == 0:
            task["stages"] = _subset(draw, STAGES, min_size=1)
        out[f"task{i}"] = task
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid FTE-mode scenario mapping (loads without ScenarioError)."""
    comps = list(COMPETENCIES[: draw(st.integers(2, len(COMPETENCIES)))])
    tier_ids = list(TIER_IDS[: draw(st.integers(1, 3))])
    role_ids = list(ROLE_IDS[: draw(st.integers(2, 4))])
    tiers = {
        t: {
            "severity": draw(st.integers(1, 5)),
            "caseload_weight": draw(st.sampled_from([0.5, 1.0, 1.5, 2.0])),
        }
        for t in tier_ids
    }
    cells = draw(
        st.lists(
            st.tuples(st.sampled_from(tier_ids), st.sampled_from(STAGES)),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    cohort = [{"tier": t, "stage": s, "people": draw(st.integers(0, 20))} for t, s in cells]
    policies: dict[str, Any] = {"coordination_registered_for": _subset(draw, tier_ids)}
    if draw(st.booleans()):
        policies["duty"] = {
            "hours_per_week": draw(st.sampled_from([0.0, 5.0, 10.0, 20.0])),
            "competence": draw(st.sampled_from(comps)),
            "registered": True,
        }
    return {
        "name": "hypothesis",
        "plan_date": "2027-04-01",
        "hours_per_fte": draw(st.sampled_from([37.5, 40.0])),
        "headroom": {"annual_leave": draw(st.sampled_from([0.0, 0.1, 0.2]))},
        "competencies": {c: {"title": c.capitalize()} for c in comps},
        "roles": draw(roles(role_ids, comps)),
        "establishment": draw(establishment(role_ids)),
        "tiers": tiers,
        "cohort": cohort,
        "tasks": draw(tasks(tier_ids, comps)),
        "policies": policies,
    }


def to_yaml(data: dict[str, Any]) -> str:
    """The scenario as YAML text (keys in insertion order)."""
    return yaml.safe_dump(data, sort_keys=False)


def load_dict(data: dict[str, Any]) -> Scenario:
    """Write ``data`` to a temporary YAML file and load it with ``load_scenario``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(to_yaml(data), encoding="utf-8")
        return load_scenario(path)


def fte_of(data: dict[str, Any], role_id: str) -> float:
    """A role's FTE in a scenario mapping (bare number or ``{fte: ...}``)."""
    post = data["establishment"][role_id]
    return float(post["fte"] if isinstance(post, dict) else post)


def with_more_fte(data: dict[str, Any], role_id: str, extra: float) -> tuple[dict, dict]:
    """The same scenario before and after adding ``extra`` FTE to a role, with the
    role's headcount pinned to the same value in both (so that only the FTE moves,
    not the number of persons who need supervision)."""
    before, after = copy.deepcopy(data), copy.deepcopy(data)
    post = data["establishment"][role_id]
    fte = fte_of(data, role_id)
    new = round(fte + extra, 6)
    headcount = max(post.get("headcount", 0) if isinstance(post, dict) else 0, math.ceil(new))
    before["establishment"][role_id] = {"fte": fte, "headcount": headcount}
    after["establishment"][role_id] = {"fte": new, "headcount": headcount}
    return before, after


def with_roles_reordered(data: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """The same scenario with ``roles`` and ``establishment`` written in ``order``."""
    out = copy.deepcopy(data)
    out["roles"] = {r: out["roles"][r] for r in order}
    out["establishment"] = {r: out["establishment"][r] for r in order}
    return out
