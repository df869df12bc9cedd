"""Caseload assignment: named people to named care coordinators (``skillmix caseload``).

Data flows one way: PEOPLE.csv + staff-mode scenario -> :class:`CaseloadInstance`
(:func:`read_people`) -> :func:`solve_caseload` -> :class:`CaseloadResult` ->
rows, risks and files (:mod:`optimiser.caseload.report`)::

    from optimiser.caseload import read_people, solve_caseload

    people = read_people("people.csv", scenario)
    result = solve_caseload(people.instance)
"""

from optimiser.caseload.evaluation import Objectives, check_assignment, evaluate
from optimiser.caseload.instance import (
    CaseloadInstance,
    Coordinator,
    Person,
    eligible,
    qualified,
)
from optimiser.caseload.people import PeopleError, PeopleFile, PeopleProblem, read_people
from optimiser.caseload.solve import (
    FULL,
    NO_ELIGIBLE,
    STAGES,
    CaseloadParams,
    CaseloadResult,
    StageResult,
    Unplaced,
    solve_caseload,
)

__all__ = [
    "FULL",
    "NO_ELIGIBLE",
    "STAGES",
    "CaseloadInstance",
    "CaseloadParams",
    "CaseloadResult",
    "Coordinator",
    "Objectives",
    "PeopleError",
    "PeopleFile",
    "PeopleProblem",
    "Person",
    "StageResult",
    "Unplaced",
    "check_assignment",
    "eligible",
    "evaluate",
    "qualified",
    "read_people",
    "solve_caseload",
]
