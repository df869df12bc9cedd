"""Consequence scores, likelihood scores and objective weights.

Pure arithmetic shared by the model (objective weights), the risk register
(5x5 scoring) and the benchmark baseline, so that every engine optimises the
same thing.  The numbers are documented in ``docs/formulation.md``.
"""

from __future__ import annotations

import math

#: Weight of one unit (hour or person) of shortfall at each consequence level.
#: One unit at consequence ``c`` outweighs ten units at ``c - 1``.
LEVEL_WEIGHT: dict[int, float] = {1: 1.0, 2: 10.0, 3: 100.0, 4: 1000.0, 5: 10000.0}

#: Fixed consequence scores of the team-wide requirements.
CONSEQUENCE_CONTINUITY = 2
CONSEQUENCE_DUTY = 4
CONSEQUENCE_SKILL_MIX = 3
CONSEQUENCE_SUPERVISION_REGISTERED = 3
CONSEQUENCE_SUPERVISION_UNREGISTERED = 4


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves away from zero (``2.5 -> 3``)."""
    return int(math.floor(value + 0.5))


def coverage_consequence(severity: int, criticality: int) -> int:
    """Consequence of a task not done for someone in a tier.

    The geometric mean of the tier's severity and the task's criticality,
    rounded half up: a red-tier (5) risk review (5) scores 5, a green-tier (2)
    peer session (2) scores 2, a red-tier planned contact (5, 3) scores 4.
    """
    return max(1, min(5, round_half_up(math.sqrt(severity * criticality))))


def supervision_consequence(registered: bool) -> int:
    """Consequence of a person going unsupervised (higher for unregistered staff)."""
    return (
        CONSEQUENCE_SUPERVISION_REGISTERED if registered else CONSEQUENCE_SUPERVISION_UNREGISTERED
    )


def weight(consequence: int) -> float:
    """Objective weight of one hour (or person) of shortfall at a consequence level."""
    return LEVEL_WEIGHT[consequence]


def likelihood(shortfall: float, requirement: float) -> int:
    """Likelihood score (1..5) of harm from an unmet share of a requirement.

    The share of the requirement left unmet: at least half is 5 (almost
    certain), a quarter 4, a tenth 3, a fiftieth 2, less 1.
    """
    if requirement <= 0:
        return 5 if shortfall > 0 else 1
    share = shortfall / requirement
    if share >= 0.5:
        return 5
    if share >= 0.25:
        return 4
    if share >= 0.10:
        return 3
    if share >= 0.02:
        return 2
    return 1
