"""The report as Markdown (GitHub-flavoured tables).

Charts become their data: the coverage heatmap and the competency grid as
tables, the risk matrix as a 5×5 table of risk ids, bar charts as the tables
they are drawn from. Every text is escaped: HTML-significant characters as
entities (a Markdown viewer may render inline HTML), table pipes and
Markdown emphasis characters with a backslash.
"""

from __future__ import annotations

import re

from optimiser.report.charts import CONSEQUENCE, LIKELIHOOD
from optimiser.report.html import cell_text
from optimiser.report.model import Chart, Facts, Report, Table

_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+-])(?=\s|$|-)")  # heading, list item, rule
_MD_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")


def md(text: object) -> str:
    """Text safe inside a Markdown paragraph or table cell.

    HTML-significant characters become entities; characters that start
    emphasis, code, links or table cells get a backslash; so does a leading
    character that would start a heading, list or quote.
    """
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_INLINE.sub(r"\\\1", value)
    value = " ".join(value.split())  # no line breaks inside a cell
    value = _MD_LINE_START.sub(r"\\\1", value)
    return _MD_ORDERED.sub(r"\1\\\2", value)  # "1. x" is a list item, "18.6" is not


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return out


def _table(table: Table) -> list[str]:
    out = [f"### {md(table.title)}", ""]
    if not table.rows:
        out += ["*None.*", ""]
    else:
        out += _grid(
            [c.label for c in table.columns],
            [[cell_text(row.get(c.key), c.kind) for c in table.columns] for row in table.rows],
        )
        out.append("")
    if table.note:
        out += [f"*{md(table.note)}*", ""]
    return out


def _chart(chart: Chart) -> list[str]:
    d = chart.data
    out = [f"### {md(chart.title)}", ""]
    if chart.kind == "risk_matrix":
        header = ["Consequence \\ likelihood"] + [f"{i} {LIKELIHOOD[i - 1]}" for i in range(1, 6)]
        rows = [
            [f"{c} {CONSEQUENCE[c - 1]}"]
            + [", ".join(d["cells"].get(f"{lk},{c}", [])) for lk in range(1, 6)]
            for c in range(5, 0, -1)
        ]
        out += _grid(header, rows)
    elif chart.kind == "heatmap":
        out += _grid(
            ["", *d["columns"]],
            [[r, *labels] for r, labels in zip(d["rows"], d["labels"], strict=True)],
        )
    elif chart.kind == "status_grid":
        out += _grid(
            ["", *d["columns"]],
            [
                [r, *[v or "" for v in values]]
                for r, values in zip(d["rows"], d["values"], strict=True)
            ],
        )
    else:  # stacked bars: the table of values (non-zero series only)
        used = [j for j in range(len(d["series"])) if any(row[j] > 0 for row in d["values"])]
        header = ["", *[d["series"][j] for j in used]]
        if d.get("markers") is not None:
            header.append(str(d.get("marker_label", "")))
        rows = []
        for i, label in enumerate(d["bars"]):
            row = [label, *[f"{d['values'][i][j]:g}" for j in used]]
            if d.get("markers") is not None:
                row.append(f"{d['markers'][i]:g}")
            rows.append(row)
        out += _grid(header, rows)
    out.append("")
    if chart.note:
        out += [f"*{md(chart.note)}*", ""]
    return out


def _facts(facts: Facts) -> list[str]:
    return [*_grid(["", ""], [[k, v] for k, v in facts.items]), ""]


def render_markdown(report: Report) -> str:
    """The report as one Markdown document."""
    out = [f"# {md(report.title)}", "", md(report.subtitle), ""]
    out += ["Contents: " + " · ".join(f"[{md(s.title)}](#{s.id})" for s in report.sections), ""]
    for section in report.sections:
        out += [f'<a id="{section.id}"></a>', "", f"## {md(section.title)}", ""]
        for paragraph in section.paragraphs:
            out += [md(paragraph), ""]
        if section.bullets:
            out += [f"- {md(b)}" for b in section.bullets] + [""]
        for item in section.items:
            if isinstance(item, Table):
                out += _table(item)
            elif isinstance(item, Chart):
                out += _chart(item)
            else:
                out += _facts(item)
    return "\n".join(out).rstrip() + "\n"
