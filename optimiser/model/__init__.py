"""Optimisation models; the only subpackage that imports OR-Tools.

Engines: the hours model and the coordination model are HiGHS MILPs (an LP
with a handful of integer supervision / coordination counts).
"""

from optimiser.model.conflict import deletion_filter, minimal_conflicts
from optimiser.model.coordination import CoordinationModel, CoordinationSolution
from optimiser.model.flex import FlexSearch
from optimiser.model.hours import Flex, HoursModel, HoursSolution, Key, ModelOptions
from optimiser.model.lp import Status

__all__ = [
    "CoordinationModel",
    "CoordinationSolution",
    "Flex",
    "FlexSearch",
    "HoursModel",
    "HoursSolution",
    "Key",
    "ModelOptions",
    "Status",
    "deletion_filter",
    "minimal_conflicts",
]
