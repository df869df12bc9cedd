"""Build the report (plain data) from a scenario, its plan and optional what-if results.

Everything is derived from the scenario and the rows of the plan (``plan.json``):
no solver is called here. Sections answer what commissioners and CQC look
for: the operating model, who does what, the oversight spine, continuity,
the risk register, resilience and sizing, KPIs and the assumptions register.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from optimiser.report.competency import competency_section
from optimiser.report.context import Context, WhatIf
from optimiser.report.delegation import who_does_what_section
from optimiser.report.evidence import assumptions_section, kpi_section
from optimiser.report.model import Report
from optimiser.report.operating import operating_model_section, summary_section
from optimiser.report.oversight import continuity_section, oversight_section
from optimiser.report.register import risk_section, whatif_section
from optimiser.report.review import review_section

if TYPE_CHECKING:
    from optimiser.plan import Plan
    from optimiser.scenario import Scenario

__all__ = ["WhatIf", "build_report"]


def build_report(
    scenario: Scenario,
    plan: Plan,
    whatif: WhatIf | None = None,
    review: dict[str, Any] | None = None,
) -> Report:
    """The report of ``plan`` for ``scenario`` as plain data.

    Parameters
    ----------
    scenario
        The loaded scenario the plan was made for.
    plan
        Its plan (:meth:`optimiser.plan.Plan.from_json` reads a ``plan.json``).
    whatif
        Resilience and sizing results to include, where run.
    review
        A ``review.json`` document (``report --activity``): adds the review section.

    Returns
    -------
    Report
        Sections in order: summary, operating model, who does what, oversight
        spine, continuity, competencies (staff mode), risk register,
        resilience and sizing, KPIs, assumptions register.
    """
    data = plan.to_dict()
    c = Context(scenario, data)
    sections = [
        summary_section(c),
        operating_model_section(c),
        who_does_what_section(c),
        oversight_section(c),
        continuity_section(c),
    ]
    competency = competency_section(c)
    if competency is not None:
        sections.append(competency)
    sections += [
        risk_section(c),
        whatif_section(c, whatif or WhatIf()),
    ]
    if review is not None:
        sections.append(review_section(review))
    sections += [
        kpi_section(c),
        assumptions_section(c),
    ]
    return Report(
        title=scenario.name,
        subtitle=(
            f"Skill-mix rationale and workforce risk register, plan date "
            f"{scenario.plan_date.isoformat()}"
        ),
        sections=sections,
    )
