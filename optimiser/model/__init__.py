"""Optimisation models; the only subpackage that imports OR-Tools.

Engines: the hours model and the coordination model are HiGHS MILPs (an LP
with a handful of integer supervision / coordination counts).
"""

from optimiser.model.conflict import deletion_filter, minimal_conflicts
from optimiser.model.coordination import CoordinationModel, CoordinationSolution
from optimiser.model.flex import Flex, FlexSearch, FlexVars
from optimiser.model.hours import HoursModel, HoursSolution, Key, ModelOptions
from optimiser.model.lp import Status

__all__ = [
    "CoordinationModel",
    "CoordinationSolution",
    "Flex",
    "FlexSearch",
    "FlexVars",
    "HoursModel",
    "HoursSolution",
    "Key",
    "ModelOptions",
    "Status",
    "deletion_filter",
    "minimal_conflicts",
]
