"""The competency dashboard (staff mode): who is signed off for what, until when.

Statuses, judged on ``plan_date``:

- ``current``: a sign-off valid on the day that does not lapse within 90 days;
- ``expiring``: valid on the day but lapses within 90 days
  (``expires <= plan_date + 90 days``; ``expires`` is the first day it is no
  longer valid, ``signed_off + signoff_valid_months`` months);
- ``expired``: signed off, but lapsed on or before the day (or dated after it:
  not yet valid, shown as ``none`` with its date);
- ``none``: needed by the role's scope and never signed off;
- ``not_required``: the competency has no sign-off rule (held with the role).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from optimiser.demand import add_months

if TYPE_CHECKING:
    from optimiser.scenario import Scenario

EXPIRY_WINDOW_DAYS = 90
STATUSES = ("current", "expiring", "expired", "none", "not_required")


@dataclass(frozen=True)
class CompetencyStatus:
    """One person x competency cell of the dashboard."""

    staff: str
    role: str
    competency: str
    status: str
    signed_off: date | None
    expires: date | None

    def row(self) -> dict[str, str]:
        """The ``competencies.csv`` row."""
        return {
            "staff": self.staff,
            "role": self.role,
            "competency": self.competency,
            "status": self.status,
            "signed_off": self.signed_off.isoformat() if self.signed_off else "",
            "expires": self.expires.isoformat() if self.expires else "",
        }


def status_of(signed: date | None, valid_months: int | None, on: date) -> tuple[str, date | None]:
    """Status and expiry date of one sign-off (or none) judged on ``on``."""
    if valid_months is None:
        return "not_required", None
    if signed is None:
        return "none", None
    expires = add_months(signed, valid_months)
    if signed > on:
        return "none", expires
    if expires <= on:
        return "expired", expires
    if expires <= on + timedelta(days=EXPIRY_WINDOW_DAYS):
        return "expiring", expires
    return "current", expires


def dashboard(scenario: Scenario) -> list[CompetencyStatus]:
    """Every person x competency that the role's scope needs or a sign-off names.

    Order: people in file order, then competencies in the order of
    ``competencies``.
    """
    if scenario.staff is None:
        raise ValueError("the competency dashboard needs a staff-mode scenario (staff:)")
    cells: list[CompetencyStatus] = []
    for member in scenario.staff:
        scope = set(scenario.roles[member.role].competencies)
        for comp_id, comp in scenario.competencies.items():
            signed = member.signoffs.get(comp_id)
            if comp_id not in scope and signed is None:
                continue
            status, expires = status_of(signed, comp.signoff_valid_months, scenario.plan_date)
            cells.append(CompetencyStatus(member.id, member.role, comp_id, status, signed, expires))
    return cells


def expiring_signoffs(scenario: Scenario) -> list[CompetencyStatus]:
    """The sign-offs that lapse within the window (candidates for ``signoff_expiry``)."""
    return [c for c in dashboard(scenario) if c.status == "expiring"]
