"""The report as one self-contained HTML file.

Styles are inline, charts are inline SVG, there is no script, and a Content
Security Policy forbids loading anything from anywhere (``default-src
'none'``): the file opens offline and makes no network request. Every text of
the report is escaped, so a title such as ``<script>`` shows as text.
"""

from __future__ import annotations

from typing import Any

from optimiser import __version__
from optimiser.report.charts import esc, svg
from optimiser.report.model import Chart, Column, Facts, Report, Section, Table

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
:root{--ink:#1d2733;--muted:#5b6b7b;--line:#d9e1e8;--band:#f4f7fa;--accent:#005eb8}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;
 font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}
header{background:var(--accent);color:#fff;padding:22px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.9}
nav{padding:10px 32px;border-bottom:1px solid var(--line);background:var(--band);font-size:13px;
 display:flex;flex-wrap:wrap;gap:4px 16px}
nav a{color:var(--accent);text-decoration:none;white-space:nowrap}
main{padding:8px 32px 40px;max-width:1280px}
section{margin-top:26px}
h2{font-size:20px;border-bottom:2px solid var(--accent);padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));
 gap:10px;margin:12px 0}
.fact{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--band)}
.fact .k{font-size:12px;color:var(--muted)}
.fact .v{font-size:18px;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:6px 0 4px;font-size:12.5px}
th,td{border:1px solid var(--line);padding:4px 7px;vertical-align:top;text-align:left}
th{background:var(--band);font-weight:600}
td.n{text-align:right;white-space:nowrap}
tr.red td{background:#fdecea}
p.note{color:var(--muted);font-size:12px;margin:2px 0 10px}
figure{margin:10px 0 18px}
figcaption{font-weight:600;margin-bottom:4px}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;padding:16px 32px;border-top:1px solid var(--line)}
@media print{nav{display:none}header{background:none;color:var(--ink)}section{break-inside:auto}
 figure,table{break-inside:avoid}}
"""


def cell_text(value: Any, kind: str) -> str:
    """A table cell's value as display text."""
    if value is None or value == "":
        return ""
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "money":
        return f"-£{-value:,.0f}" if value < -0.5 else f"£{abs(value):,.0f}"
    if kind == "pct":
        return f"{value * 100:.0f}%"
    if kind == "hours" and isinstance(value, int | float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if kind == "number" and isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if kind in ("int", "number") and isinstance(value, int):
        return f"{value:,}"
    return str(value)


_NUMERIC = ("number", "int", "hours", "money", "pct")


def _table(table: Table) -> str:
    head = "".join(f"<th>{esc(c.label)}</th>" for c in table.columns)
    out = [f'<h3 id="{esc(table.id)}">{esc(table.title)}</h3>']
    if not table.rows:
        out.append('<p class="empty">None.</p>')
    else:
        body = []
        for row in table.rows:
            cls = ' class="red"' if row.get("red_flag") is True else ""
            cells = "".join(_td(row.get(c.key), c) for c in table.columns)
            body.append(f"<tr{cls}>{cells}</tr>")
        out.append(
            f'<div class="scroll"><table data-table="{esc(table.id)}">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    if table.note:
        out.append(f'<p class="note">{esc(table.note)}</p>')
    return "".join(out)


def _td(value: Any, column: Column) -> str:
    cls = ' class="n"' if column.kind in _NUMERIC else ""
    return f"<td{cls}>{esc(cell_text(value, column.kind))}</td>"


def _chart(chart: Chart) -> str:
    note = f'<p class="note">{esc(chart.note)}</p>' if chart.note else ""
    return (
        f'<figure class="chart" id="{esc(chart.id)}"><figcaption>{esc(chart.title)}</figcaption>'
        f'<div class="scroll">{svg(chart)}</div>{note}</figure>'
    )


def _facts(facts: Facts) -> str:
    items = "".join(
        f'<div class="fact"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div></div>'
        for k, v in facts.items
    )
    return f'<div class="facts" id="{esc(facts.id)}">{items}</div>'


def _section(section: Section) -> str:
    out = [f'<section id="{esc(section.id)}"><h2>{esc(section.title)}</h2>']
    out += [f"<p>{esc(p)}</p>" for p in section.paragraphs]
    if section.bullets:
        out.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in section.bullets) + "</ul>")
    for item in section.items:
        if isinstance(item, Table):
            out.append(_table(item))
        elif isinstance(item, Chart):
            out.append(_chart(item))
        else:
            out.append(_facts(item))
    out.append("</section>")
    return "".join(out)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (no scripts, no external resources)."""
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in report.sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(report.title)} - skill-mix report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{esc(report.title)}</h1><p>{esc(report.subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>" + "".join(_section(s) for s in report.sections) + "</main>"
        f"<footer>Generated by skillmix {esc(__version__)} from the scenario file and its "
        "optimised plan. Self-contained: no scripts, no external resources.</footer>"
        "</body></html>\n"
    )
