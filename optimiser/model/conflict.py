"""Strict mode: a minimal set of requirements that cannot hold together.

A deletion filter over the soft requirements (each a shortfall variable held
at zero or freed), run on the disaggregated hours model and on the
coordination model.  Chunks are dropped first (halving), then single
requirements, so the result is irreducible: freeing any one requirement in it
makes the rest feasible.  HiGHS answers each feasibility question exactly on
continuous hours, which the integer-only CP-SAT could not without scaling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from optimiser.demand import DemandRow, Team
from optimiser.model.coordination import CoordinationModel
from optimiser.model.hours import HoursModel, Key, ModelOptions

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


def deletion_filter(requirements: list[Key], infeasible: Callable[[set[Key]], bool]) -> list[Key]:
    """Shrink an infeasible set of requirements to an irreducible one.

    Parameters
    ----------
    requirements
        Requirements that cannot all hold (``infeasible(set(requirements))``).
    infeasible
        Oracle: whether a set of enforced requirements is infeasible.
    """
    core = list(requirements)
    chunk = max(1, len(core) // 2)
    while True:
        i = 0
        while i < len(core):
            trial = core[:i] + core[i + chunk :]
            if infeasible(set(trial)):
                core = trial
            else:
                i += chunk
        if chunk == 1:
            return core
        chunk = max(1, chunk // 2)


def minimal_conflicts(
    scenario: Scenario, team: Team, demand: list[DemandRow], time_limit: float | None = None
) -> list[list[Key]]:
    """Irreducible infeasible requirement sets, one per model (hours, coordination)
    that cannot meet all its requirements.  The two models share no constraint, so
    each conflict stands on its own."""
    conflicts: list[list[Key]] = []
    hours = HoursModel(scenario, team, demand, ModelOptions(strict=True, aggregate=False))
    keys = [s.key for s in hours.slacks]
    if not hours.feasible_with(set(keys), time_limit):
        conflicts.append(deletion_filter(keys, lambda ks: not hours.feasible_with(ks, time_limit)))
    coordination = CoordinationModel(scenario, team, strict=True)
    keys = [key for key, _, _ in coordination.slacks]
    if not coordination.feasible_with(set(keys), time_limit):
        conflicts.append(
            deletion_filter(keys, lambda ks: not coordination.feasible_with(ks, time_limit))
        )
    return conflicts
