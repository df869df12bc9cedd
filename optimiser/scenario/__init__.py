"""Scenario files: the pydantic models of the format, loading and checking.

Knows nothing of OR-Tools. The only entry point most callers need is
:func:`load_scenario`::

    from optimiser.scenario import load_scenario, ScenarioError

    scenario = load_scenario("scenarios/cmht-north.yaml")
"""

from .loader import load_scenario
from .models import (
    Competency,
    Duty,
    Frequency,
    Headroom,
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
from .problems import Problem, ScenarioError

__all__ = [
    "Competency",
    "Duty",
    "Frequency",
    "Headroom",
    "Policies",
    "Post",
    "Problem",
    "RedFlags",
    "Role",
    "Scenario",
    "ScenarioError",
    "Segment",
    "Sizing",
    "StaffMember",
    "Supervision",
    "Task",
    "Tier",
    "Volatility",
    "load_scenario",
]
