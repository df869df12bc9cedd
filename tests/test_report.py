"""The report as data, HTML, Markdown and Excel; the `report` command; injection safety.

The browser checks (no console errors, no requests, charts drawn) are in
``test_report_browser.py``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_report_support import (
    HYPERLINK,
    IMG,
    SCENARIOS,
    SCRIPT,
    formula_cells,
    hostile_scenario,
    solved,
)

from cli import main
from optimiser.report import build_report, render
from optimiser.report.html import CSP
from optimiser.report.markdown import md
from optimiser.report.model import Chart, Table
from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams, solve

NORTH = SCENARIOS / "cmht-north.yaml"
TINY = SCENARIOS / "tiny-teaching.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def tables(report) -> dict[str, Table]:  # type: ignore[no-untyped-def]
    return {t.id: t for t in report.tables()}


def charts(report) -> dict[str, Chart]:  # type: ignore[no-untyped-def]
    return {c.id: c for c in report.charts()}


# -- the report as data -------------------------------------------------------------------


def test_sections_answer_the_commissioning_questions_in_order() -> None:
    scenario, plan = solved("cmht-north")
    report = build_report(scenario, plan)
    assert [s.id for s in report.sections] == [
        "summary",
        "operating-model",
        "who-does-what",
        "oversight",
        "continuity",
        "risks",
        "resilience-sizing",
        "kpis",
        "assumptions",
    ]
    assert set(charts(report)) == {
        "chart-hours",
        "chart-utilisation",
        "chart-coverage",
        "chart-risk-matrix",
    }
    assert {
        "team",
        "caseload",
        "demand",
        "utilisation",
        "delegation",
        "registered-only",
        "signoff",
        "supervision-pairs",
        "supervision-capacity",
        "supervision-needs",
        "duty",
        "continuity",
        "coordination",
        "risks",
        "mitigations",
        "kpis",
        "parameters",
        "assumptions",
    } <= set(tables(report))


def test_staff_mode_adds_the_competency_grid() -> None:
    scenario, plan = solved("cmht-north-staff")
    report = build_report(scenario, plan)
    assert "competencies" in [s.id for s in report.sections]
    grid = charts(report)["chart-competencies"]
    assert len(grid.data["rows"]) == len(scenario.staff or [])
    flat = [v for row in grid.data["values"] for v in row]
    # the example has current, expiring, expired and missing sign-offs
    assert {"current", "expiring", "expired", "none", "not_required"} <= set(flat)
    attention = tables(report)["signoff-attention"]
    assert {"P07", "P13", "P15"} <= {r["staff"] for r in attention.rows}
    # hours by person: one bar per named person
    assert len(charts(report)["chart-hours"].data["bars"]) == len(scenario.staff or [])


def test_figures_are_the_plans_own_numbers() -> None:
    scenario, plan = solved("cmht-north")
    report = build_report(scenario, plan)
    t = tables(report)
    demand = sum(r["hours_per_week"] for r in plan.demand)
    done = sum(r["hours_per_week"] for r in plan.allocation)
    assert sum(r["demand"] for r in t["demand"].rows) == pytest.approx(demand, abs=0.05)
    assert sum(r["covered"] for r in t["demand"].rows) == pytest.approx(done, abs=0.05)
    # delegation matrix cell = allocation rows of that task and role
    by: dict[tuple[str, str], float] = defaultdict(float)
    for row in plan.allocation:
        by[(row["task"], row["role"])] += row["hours_per_week"]
    matrix = {r["task"]: r for r in t["delegation"].rows}
    for (task, role), hours in by.items():
        assert float(matrix[scenario.tasks[task].title][role]) == pytest.approx(hours, abs=0.01)
    # non-registered roles never appear in registered-only work
    for row in t["registered-only"].rows:
        assert "Support worker" not in row["by"] and "Peer" not in row["by"]
    # hours chart: each bar's total is the role's used hours
    chart = charts(report)["chart-hours"]
    for label, values in zip(chart.data["bars"], chart.data["values"], strict=True):
        role = next(r for r, x in scenario.roles.items() if x.title == label)
        u = next(u for u in plan.utilisation if u["role"] == role)
        used = sum(
            u[k]
            for k in (
                "task_hours",
                "signoff_hours",
                "duty_hours",
                "supervision_given_hours",
                "supervision_received_hours",
            )
        )
        assert sum(values) == pytest.approx(used, abs=0.05)
    # supervision pairs are the plan's
    assert sum(r["persons"] for r in t["supervision-pairs"].rows) == sum(
        r["persons"] for r in plan.supervision
    )


def test_risk_matrix_and_register_hold_every_risk_once() -> None:
    scenario, plan = solved("cmht-north")
    report = build_report(scenario, plan)
    cells = charts(report)["chart-risk-matrix"].data["cells"]
    placed = [i for ids in cells.values() for i in ids]
    assert sorted(placed) == sorted(r["id"] for r in plan.risks)
    for risk in plan.risks:
        assert risk["id"] in cells[f"{risk['likelihood']},{risk['consequence']}"]
    register = tables(report)["risks"].rows
    assert [r["score"] for r in register] == sorted((r["score"] for r in register), reverse=True)
    options = tables(report)["mitigations"].rows
    costed = [m for r in plan.risks for m in r["mitigations"]]
    assert len(options) == len(costed)
    assert all(o["cost"] is not None for o in options if o["action"] == "add fte")


def test_kpis_are_derived_from_the_plan() -> None:
    scenario, plan = solved("cmht-north")
    rows = {r["kpi"]: r for r in tables(build_report(scenario, plan))["kpis"].rows}
    names = " | ".join(rows)
    for expected in (
        "Planned contacts a week, red",
        "Contact completion",
        "Decision waiting time",
        "Duty cover",
        "Supervision frequency, Community mental health nurse (Band 6)",
        "Overdue physical health follow-up",
        "Care coordination caseload",
        "Clinical sign-off of delegated work",
    ):
        assert expected in names, expected
    # red tier contacts: occurrences a week = demand hours / hours per occurrence
    red_need = sum(
        r["hours_per_week"] / scenario.tasks[r["task"]].hours
        for r in plan.demand
        if r["tier"] == "red"
    )
    red_row = next(v for k, v in rows.items() if k.startswith("Planned contacts a week, red"))
    assert f"of {red_need:.1f} needed" in red_row["planned"]
    duty = next(v for k, v in rows.items() if k.startswith("Duty cover"))
    assert duty["planned"] == "37.5 of 37.5 h a week"
    sup = rows["Supervision frequency, Community mental health nurse (Band 6)"]["planned"]
    assert "0.38 h a week per person (1.5 h every 4 weeks)" in sup


def test_assumptions_register_lists_every_source() -> None:
    scenario, plan = solved("cmht-north")
    register = tables(build_report(scenario, plan))["assumptions"].rows
    assert [r["source"] for r in register] == [text for _, text in scenario.sources()]
    assert register[0]["key"] == "headroom"
    assert {"roles.nurse", "tasks.care_plan_review"} <= {r["key"] for r in register}


def test_without_whatif_runs_the_section_says_how_to_produce_them() -> None:
    scenario, plan = solved("cmht-north")
    report = build_report(scenario, plan)
    section = next(s for s in report.sections if s.id == "resilience-sizing")
    assert section.items == []  # no placeholder data
    text = " ".join(section.paragraphs)
    assert "Not run" in text
    assert "skillmix report SCENARIO --resilience" in text and "--sizing" in text


def test_resilience_and_sizing_where_run(tmp_path: Path) -> None:
    code, _, err = run(
        "report",
        str(TINY),
        "-o",
        str(tmp_path / "r.html"),
        "--resilience",
        "--sizing",
        "--workers",
        "1",
    )
    assert code == 0, err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'data-table="resilience"' in html and 'data-table="sizing"' in html
    assert "Not run for this report" not in html
    # the same from the JSON files of `resilience` and `size`
    assert run("resilience", str(TINY), "-o", str(tmp_path / "w"), "--workers", "1")[0] == 0
    assert run("size", str(TINY), "-o", str(tmp_path / "w"))[0] == 0
    code, _, err = run(
        "report",
        str(TINY),
        "-o",
        str(tmp_path / "r.md"),
        "--resilience-json",
        str(tmp_path / "w" / "resilience.json"),
        "--sizing-json",
        str(tmp_path / "w" / "sizing.json"),
    )
    assert code == 0, err
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### Resilience: one person away" in text
    assert "### Sizing: recommended establishment" in text


# -- renderers ------------------------------------------------------------------------------


def test_html_is_one_self_contained_file() -> None:
    scenario, plan = solved("cmht-north")
    html = render(build_report(scenario, plan), "html")
    assert isinstance(html, str)
    assert f'content="{CSP}"'.replace("'", "&#x27;") in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    assert not re.search(r"\s(src|href)=\"(?!#)", html)  # only in-page anchors
    urls = set(re.findall(r"https?://[^\s\"'<)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") == 4
    assert html.count('data-chart="stacked_bars"') == 2
    assert 'data-chart="risk_matrix"' in html and 'data-chart="heatmap"' in html


def test_markdown_and_xlsx_carry_the_same_tables(tmp_path: Path) -> None:
    scenario, plan = solved("cmht-north")
    report = build_report(scenario, plan)
    text = render(report, "md")
    assert isinstance(text, str)
    for table in report.tables():
        assert f"### {md(table.title)}" in text
    assert "## Risk register" in text and "| 3 Moderate |" in text
    data = render(report, "xlsx")
    assert isinstance(data, bytes)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "summary"
    assert set(wb.sheetnames) == {"summary"} | {t.id for t in report.tables()} | {
        c.id for c in report.charts()
    }
    matrix = wb["chart-risk-matrix"]
    assert matrix.cell(row=4, column=1).value == "Consequence \\ likelihood"
    risks = wb["risks"]
    header_row = next(r for r in range(1, 6) if risks.cell(row=r, column=1).value == "Id")
    ids = [risks.cell(row=r, column=1).value for r in range(header_row + 1, risks.max_row + 1)]
    assert sorted(ids) == sorted(r["id"] for r in plan.risks)


def test_report_command_formats_and_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, plan = solved("cmht-north")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan.to_dict()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("report", str(NORTH), "--plan", str(plan_file))
    assert code == 0, err
    assert (tmp_path / "out" / "cmht-north" / "report.html").exists()
    assert "wrote out/cmht-north/report.html" in out
    for name, fmt in (("r.md", None), ("r.xlsx", None), ("r.txt", "md")):
        args = ["report", str(NORTH), "--plan", str(plan_file), "-o", name]
        if fmt:
            args += ["--format", fmt]
        code, _, err = run(*args)
        assert code == 0, err
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# North Locality CMHT")
    assert zipfile.is_zipfile(tmp_path / "r.xlsx")
    assert (tmp_path / "r.txt").read_text(encoding="utf-8").startswith("# ")


def test_report_command_rejects_a_plan_of_another_scenario(tmp_path: Path) -> None:
    _, plan = solved("cmht-north")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan.to_dict()), encoding="utf-8")
    code, _, err = run("report", str(TINY), "--plan", str(plan_file), "-o", str(tmp_path / "x"))
    assert code == 2
    assert "not of 'Tiny teaching team" in err
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    code, _, err = run("report", str(TINY), "--plan", str(tmp_path / "bad.json"))
    assert code == 2 and "not a plan.json file" in err
    (tmp_path / "other.json").write_text('{"scenario": "x"}', encoding="utf-8")
    code, _, err = run("report", str(TINY), "--plan", str(tmp_path / "other.json"))
    assert code == 2 and "not a plan.json file (no mode, status" in err


# -- injection safety ------------------------------------------------------------------------


def _xlsx_texts(data: bytes) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    out.append((ws.title, cell.value))
    return out


@pytest.mark.parametrize("staff_mode", [False, True])
def test_hostile_texts_are_escaped_and_neutralised(tmp_path: Path, staff_mode: bool) -> None:
    path = hostile_scenario(tmp_path, staff_mode)
    scenario = load_scenario(path)
    plan = solve(scenario, SolveParams(mitigations=False))
    report = build_report(scenario, plan)

    html = render(report, "html")
    assert isinstance(html, str)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "=HYPERLINK(&quot;http://evil.example/&quot;" in html  # shown as text
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(1)&gt;", "")

    text = render(report, "md")
    assert isinstance(text, str)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;" in text

    data = render(report, "xlsx")
    assert isinstance(data, bytes)
    texts = _xlsx_texts(data)
    assert formula_cells([v for _, v in texts]) == []
    assert any(v.startswith("'=HYPERLINK(") for _, v in texts)
    assert any(v.startswith("'+SUM(") for _, v in texts)
    assert any(v == "'=1+1" for _, v in texts)  # a source note, in the assumptions register
    if staff_mode:
        assert any(v == "'@nurse1" for _, v in texts) or any(
            "@nurse1" in v and not v.startswith("@") for _, v in texts
        )

    # the CSV files of `solve` (and `competencies` in staff mode)
    out = tmp_path / "out"
    code, _, err = run("solve", str(path), "-o", str(out), "--no-mitigations")
    assert code == 0, err
    files = ["allocation.csv", "risks.csv", "utilisation.csv", "shortfalls.csv"]
    if staff_mode:
        assert run("competencies", str(path), "-o", str(out))[0] == 0
        files.append("competencies.csv")
    cells = [
        cell
        for name in files
        for row in csv.reader(io.StringIO((out / name).read_text(encoding="utf-8")))
        for cell in row
    ]
    assert formula_cells(cells) == []
    if staff_mode:
        assert "'=cmd|' /C calc'!A0" in cells and "'-sw1" in cells
    assert "'+amber/stabilisation" in cells

    # the report command writes all three formats (of the plan just made)
    for suffix in ("html", "md", "xlsx"):
        target = str(tmp_path / f"r.{suffix}")
        code, _, err = run("report", str(path), "--plan", str(out / "plan.json"), "-o", target)
        assert code == 0, err
    assert SCRIPT not in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert IMG not in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert HYPERLINK not in [v for _, v in _xlsx_texts((tmp_path / "r.xlsx").read_bytes())]


def test_markdown_escaping_keeps_numbers_readable() -> None:
    assert md("18.6 FTE") == "18.6 FTE" and md("-0.6") == "-0.6"
    assert md("1. first") == "1\\. first" and md("- item") == "\\- item"
    assert md("# heading") == "\\# heading" and md("---") == "\\---"
    assert md("a | b *c* [x](y)") == "a \\| b \\*c\\* \\[x\\](y)"
    assert md("<b>&</b>\nnext") == "&lt;b&gt;&amp;&lt;/b&gt; next"
