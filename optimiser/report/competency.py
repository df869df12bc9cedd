"""Staff mode: the competency grid and the sign-offs needing action."""

from __future__ import annotations

from optimiser.competencies import dashboard
from optimiser.report.context import (
    Context,
)
from optimiser.report.model import Chart, Column, Section, Table


def competency_section(c: Context) -> Section | None:

    if not c.staff_mode or c.s.staff is None:
        return None
    cells = dashboard(c.s)
    comps = [x for x in c.s.competencies if any(cell.competency == x for cell in cells)]
    people = [m.id for m in c.s.staff]
    status = {(cell.staff, cell.competency): cell for cell in cells}
    values = [[status[(p, x)].status if (p, x) in status else None for x in comps] for p in people]
    role_of = {m.id: m.role for m in c.s.staff}
    grid = Chart(
        "chart-competencies",
        "status_grid",
        "Competency grid: sign-off status on the plan date",
        {
            "rows": [f"{p} ({c.role_title(role_of[p])})" for p in people],
            "columns": [c.s.competencies[x].title for x in comps],
            "values": values,
            "legend": {
                "current": "current",
                "expiring": "expiring within 90 days",
                "expired": "expired",
                "none": "needed, not signed off",
                "not_required": "held with the role (no sign-off rule)",
            },
        },
        "Blank: outside the person's scope and never signed off.",
    )
    attention = Table(
        "signoff-attention",
        "Sign-offs needing action",
        [
            Column("staff", "Person"),
            Column("role", "Role"),
            Column("competency", "Competency"),
            Column("status", "Status"),
            Column("signed_off", "Signed off", "date"),
            Column("expires", "Expires", "date"),
        ],
        [
            {
                "staff": cell.staff,
                "role": c.role_title(cell.role),
                "competency": c.s.competencies[cell.competency].title,
                "status": cell.status,
                "signed_off": cell.signed_off.isoformat() if cell.signed_off else "",
                "expires": cell.expires.isoformat() if cell.expires else "",
            }
            for cell in cells
            if cell.status in ("expiring", "expired", "none")
        ],
    )
    return Section(
        "competencies",
        "Competencies (named staff)",
        [
            "Who holds which competency on the plan date, from the local sign-off records. "
            "A competency with a sign-off rule is held only with a current sign-off.",
        ],
        [],
        [grid, attention],
    )
