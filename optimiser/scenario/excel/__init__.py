"""Scenarios as Excel workbooks: a template a planner fills in, and reading it back.

One sheet per section of the scenario format (SCENARIO.md). A workbook is
converted to the same raw mapping a YAML file gives, with the location of every
cell, and then goes through exactly the same validation as YAML
(:func:`optimiser.scenario.load_scenario` calls :func:`read_workbook` for
``.xlsx`` files). Problems name the sheet, row and column::

    team.xlsx:7: tasks.risk_review.hours: sheet 'tasks', row 7, column D (hours):
        must be greater than 0 (got 0)

Sheets (every one optional; a ``README`` sheet and any ``notes`` column are ignored):

==================  ==========================================================
``scenario``        key / value: name, plan_date, hours_per_fte, source
``headroom``        key / value: component → share (and ``source``)
``competencies``    one row per competency (``id`` …)
``roles``           one row per role; supervision as ``supervision_*`` columns
``role_headroom``   role, component, share[, source]: a role's headroom override
``establishment``   FTE mode: one row per role (``role``, ``fte``, ``headcount``)
``staff``           staff mode: one row per person; one column per competency
                    holding the sign-off date (as the staff CSV)
``tiers``           one row per tier
``cohort``          one row per segment
``tasks``           one row per task
``frequency``       task, tier, per_week | every_weeks
``policies``        key / value: duty.*, coordination_registered_for, red_flags.*
``volatility``      key / value: people_cv, seed, source
``transitions``     from_tier, to_tier, probability (per quarter)
``sizing``          key / value: fte_step, budget, source
``sizing_bounds``   role, min_fte, max_fte
==================  ==========================================================

Lists (a role's ``competencies``, ``supervised_by``, a task's ``stages`` …)
are written in one cell, separated by commas. Blank cells mean "not given"
(the format's default applies).
"""
from optimiser.scenario.excel.read import CellLoc, CellTree, read_workbook
from optimiser.scenario.excel.sheets import (
    NOTES_COLUMN,
    README_SHEET,
    SHEET_BY_NAME,
    SHEETS,
    Column,
    Sheet,
    fields_of,
)
from optimiser.scenario.excel.write import (
    fill_template,
    scenario_workbook,
    template_workbook,
    write_scenario_workbook,
)

__all__ = [
    "NOTES_COLUMN",
    "README_SHEET",
    "SHEETS",
    "SHEET_BY_NAME",
    "CellLoc",
    "CellTree",
    "Column",
    "Sheet",
    "fields_of",
    "fill_template",
    "read_workbook",
    "scenario_workbook",
    "template_workbook",
    "write_scenario_workbook",
]
