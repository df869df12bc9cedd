"""The governance loop: review delivered work against the plan, and sample it for audit.

``skillmix review`` (:func:`review`), ``skillmix sample`` (:mod:`.sample`) and
``skillmix synth-activity`` (:mod:`.synthetic`); PLAN.md, ``review`` and
``sample``.
"""

from optimiser.review.findings import REVIEW_COLUMNS, Period, review, review_risks, review_rows
from optimiser.review.reading import ActivityError, RowProblem, read_activity, read_supervision

__all__ = [
    "REVIEW_COLUMNS",
    "ActivityError",
    "Period",
    "RowProblem",
    "read_activity",
    "read_supervision",
    "review",
    "review_risks",
    "review_rows",
]
