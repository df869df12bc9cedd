"""The report as plain data: sections of paragraphs, facts, tables and chart specs.

:mod:`optimiser.report.build` fills these from a scenario and its plan; the
renderers (:mod:`~optimiser.report.html`, :mod:`~optimiser.report.markdown`,
:mod:`~optimiser.report.xlsx`) only lay them out. Every string here is plain
user-visible text: renderers escape it for their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["text", "number", "int", "hours", "money", "pct", "bool", "date"]
ChartKind = Literal["stacked_bars", "heatmap", "risk_matrix", "status_grid"]


@dataclass(frozen=True)
class Column:
    """A table column: the row key, its header, and how to format it."""

    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass
class Table:
    """A table of rows (dicts keyed by :attr:`Column.key`)."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""


@dataclass
class Chart:
    """A chart spec; :mod:`optimiser.report.charts` draws it as inline SVG.

    ``data`` by kind:

    * ``stacked_bars``: ``bars`` (labels), ``series`` (labels), ``values``
      (one list per bar, one value per series), ``unit``, optional
      ``markers`` (one value per bar, e.g. available hours) and ``marker_label``;
    * ``heatmap``: ``rows``, ``columns``, ``values`` (share 0..1 or ``None``),
      ``labels`` (cell text);
    * ``risk_matrix``: ``cells`` mapping ``"likelihood,consequence"`` to risk ids;
    * ``status_grid``: ``rows``, ``columns``, ``values`` (status names or
      ``None``), ``legend`` (status → label).
    """

    id: str
    kind: ChartKind
    title: str
    data: dict[str, Any]
    note: str = ""


@dataclass
class Facts:
    """Headline figures: (label, value text) pairs."""

    id: str
    items: list[tuple[str, str]]


Item = Table | Chart | Facts


@dataclass
class Section:
    """A titled section: paragraphs, bullet points, then items in order."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Report:
    """The whole report."""

    title: str
    subtitle: str
    sections: list[Section]
    generated_by: str = "skillmix"

    def tables(self) -> list[Table]:
        """Every table, in section order."""
        return [i for s in self.sections for i in s.items if isinstance(i, Table)]

    def charts(self) -> list[Chart]:
        """Every chart, in section order."""
        return [i for s in self.sections for i in s.items if isinstance(i, Chart)]
