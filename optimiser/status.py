"""The outcome of a solve, as every layer reports it (plan.json ``status``).

A :class:`enum.StrEnum`, so a status is its own JSON and CSV text (``optimal``)
and compares equal to it; defined here, below the models, so that reading a
``plan.json`` (:meth:`optimiser.plan.Plan.from_json`) loads no solver.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"
