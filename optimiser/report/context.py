"""Shared pieces of the report builders: formatting, what-if results, plan lookups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimiser.demand import build_team

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

EPS = 0.005  # hours: below a rounded hundredth is nothing

_SIGNOFF, _DUTY, _SUP_GIVEN, _SUP_RECEIVED = (
    "Clinical sign-off",
    "Duty cover",
    "Supervision given",
    "Supervision received",
)

RESILIENCE_HOWTO = (
    "Not run for this report. To include it, run `skillmix report SCENARIO --resilience` "
    "(re-plans with each person, or one person of each role, away), or run "
    "`skillmix resilience SCENARIO -o DIR` and pass `--resilience-json DIR/resilience.json`."
)
SIZING_HOWTO = (
    "Not run for this report. To include it, run `skillmix report SCENARIO --sizing` "
    "(the lowest-cost establishment that carries the least reachable risk), or run "
    "`skillmix size SCENARIO -o DIR` and pass `--sizing-json DIR/sizing.json`."
)


@dataclass(frozen=True)
class WhatIf:
    """Results of what-if commands to include (their JSON documents), if run."""

    resilience: dict[str, Any] | None = None
    sizing: dict[str, Any] | None = None


def money(value: float | None) -> str:
    """``£991,000`` (whole pounds; ``-£14,400`` below zero)."""
    if value is None:
        return "—"
    return f"-£{-value:,.0f}" if value < -0.5 else f"£{abs(value):,.0f}"


def plural(count: float, one: str, many: str) -> str:
    """``1 person``, ``2 people``."""
    return f"{count:g} {one if count == 1 else many}"


def hours(value: float) -> str:
    """Hours a week to two decimals, trailing zeros dropped."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def pct(share: float | None) -> str:
    """A share as a whole percentage."""
    return "—" if share is None else f"{share * 100:.0f}%"


def interval(per_week: float | None, every_weeks: float | None) -> str:
    """How often a task recurs, in words."""
    if every_weeks is not None:
        return f"every {every_weeks:g} weeks" if every_weeks != 1 else "every week"
    assert per_week is not None
    return f"{per_week:g} a week"


class Context:
    """Lookups shared by the section builders (the scenario ``s``, the plan mapping ``p``)."""

    def __init__(self, scenario: Scenario, plan: dict[str, Any]) -> None:
        self.s = scenario
        self.p = plan
        self.staff_mode = plan["mode"] == "staff"
        self.team = build_team(scenario)
        self.agents = [a for a in self.team.agents if a.fte > 0]
        self.demand: dict[tuple[str, str], float] = defaultdict(float)
        for row in plan["demand"]:
            self.demand[(row["task"], row["segment"])] += row["hours_per_week"]
        self.done: dict[tuple[str, str], float] = defaultdict(float)
        self.by_task_role: dict[tuple[str, str], float] = defaultdict(float)
        self.by_agent_task: dict[tuple[str, str], float] = defaultdict(float)
        for row in plan["allocation"]:
            h = row["hours_per_week"]
            self.done[(row["task"], row["segment"])] += h
            self.by_task_role[(row["task"], row["role"])] += h
            self.by_agent_task[(self.who(row), row["task"])] += h
        self.segment_tier = {seg.id: seg.tier for seg in scenario.cohort}
        self.roles_present = [r for r in scenario.roles if any(a.role == r for a in self.agents)]

    def who(self, row: dict[str, Any], role_key: str = "role", staff_key: str = "staff") -> str:
        return row[staff_key] if row.get(staff_key) is not None else row[role_key]

    def role_title(self, role: str | None) -> str:
        if role is None:
            return ""
        r = self.s.roles.get(role)
        return r.title if r is not None else role

    def label(self, role: str | None, staff: str | None) -> str:
        if staff is not None:
            return f"{staff} ({self.role_title(role)})"
        return self.role_title(role)

    def agent_label(self, agent_id: str) -> str:
        agent = self.team.by_id.get(agent_id)
        if agent is None:
            return agent_id
        return self.label(agent.role, agent.staff)

    def task_title(self, task: str | None) -> str:
        if task is None:
            return ""
        t = self.s.tasks.get(task)
        return t.title if t is not None else task

    def tier_title(self, tier: str) -> str:
        t = self.s.tiers.get(tier)
        return f"{tier} ({t.title})" if t is not None and t.title != tier else tier
