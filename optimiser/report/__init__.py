"""Bid-ready evidence: the skill-mix report as HTML, Markdown or Excel.

Rendering from plain data, in two steps::

    from optimiser.report import build_report, render

    report = build_report(scenario, plan)            # plain data (sections, tables, charts)
    html = render(report, "html")                   # str; "md" -> str; "xlsx" -> bytes

:func:`make_report` does both.  The report runs no solver: resilience and
sizing for it are run by :func:`optimiser.pipeline.run_whatif` and passed in
as a :class:`WhatIf`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from optimiser.io import write_bytes
from optimiser.report.build import WhatIf, build_report
from optimiser.report.html import render_html
from optimiser.report.markdown import render_markdown
from optimiser.report.model import Chart, Column, Facts, Report, Section, Table
from optimiser.report.xlsx import render_xlsx

if TYPE_CHECKING:
    from optimiser.plan import Plan
    from optimiser.scenario import Scenario

Format = Literal["html", "md", "xlsx"]
FORMATS: tuple[str, ...] = ("html", "md", "xlsx")
SUFFIX = {"html": ".html", "md": ".md", "xlsx": ".xlsx"}


def render(report: Report, fmt: Format = "html") -> str | bytes:
    """Render ``report``: HTML or Markdown text, or ``.xlsx`` bytes."""
    if fmt == "html":
        return render_html(report)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")


def write_report(
    path: str | Path, content: str | bytes, inputs: Iterable[str | Path] = ()
) -> Path:
    """Write a rendered report to ``path`` atomically (whole or not at all), never
    over one of ``inputs``."""
    return write_bytes(path, content, inputs)


def make_report(
    scenario: Scenario,
    plan: Plan,
    fmt: Format = "html",
    whatif: WhatIf | None = None,
) -> str | bytes:
    """Build and render the report of ``plan`` in one call."""
    return render(build_report(scenario, plan, whatif), fmt)


__all__ = [
    "FORMATS",
    "SUFFIX",
    "Chart",
    "Column",
    "Facts",
    "Report",
    "Section",
    "Table",
    "WhatIf",
    "build_report",
    "make_report",
    "render",
    "render_html",
    "render_markdown",
    "render_xlsx",
    "write_report",
]
