"""The HTML report in headless Chromium: no console errors, no network requests, charts drawn.

Uses Debian's Chromium (``/usr/bin/chromium``; ``make test`` installs it when
run as root) over the DevTools protocol. Without Chromium these tests are
skipped with the reason. Screenshots go to the test's temporary folder; set
``SKILLMIX_SCREENSHOTS=DIR`` to also keep them (``docs/img`` is made so).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_report_support import (
    HYPERLINK,
    SCRIPT,
    Chromium,
    chromium_binary,
    hostile_scenario,
    png_size,
    solved,
)

from optimiser.report import build_report, render
from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams, solve

CHARTS = {"chart-hours", "chart-utilisation", "chart-coverage", "chart-risk-matrix"}


@pytest.fixture(scope="module")
def browser() -> Chromium:
    binary = chromium_binary()
    if binary is None:
        pytest.skip(
            "Chromium not installed: the browser tests need Debian's chromium "
            "(apt-get install chromium; `make test` installs it when run as root)"
        )
    pytest.importorskip(
        "websocket", reason="websocket-client not installed: pip install -e '.[dev]'"
    )
    chromium = Chromium(binary)
    yield chromium
    chromium.close()


def _keep(data: bytes, name: str) -> None:
    folder = os.environ.get("SKILLMIX_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(data)


def test_the_harness_sees_requests_and_errors(browser: Chromium, tmp_path: Path) -> None:
    # The checks below would pass vacuously if the harness saw nothing: show it sees both.
    from optimiser.report.html import CSP

    open_page = tmp_path / "open.html"
    open_page.write_text('<html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    page = browser.load(open_page)
    assert page.requests == ["http://127.0.0.1:9/x.png"]
    page.close()

    locked = tmp_path / "locked.html"
    locked.write_text(
        f'<html><head><meta http-equiv="Content-Security-Policy" content="{CSP}"></head>'
        '<body><img src="http://127.0.0.1:9/y.png"><script>document.title="ran"</script>'
        "</body></html>"
    )
    page = browser.load(locked)
    assert any("Content Security Policy" in e for e in page.errors), page.errors
    assert page.evaluate("document.title") != "ran"  # inline script blocked too
    page.close()


@pytest.mark.parametrize("name", ["cmht-north", "cmht-north-staff"])
def test_report_renders_offline_with_its_charts(
    browser: Chromium, tmp_path: Path, name: str
) -> None:
    scenario, plan = solved(name)
    path = tmp_path / f"{name}.html"
    path.write_text(render(build_report(scenario, plan), "html"), encoding="utf-8")
    page = browser.load(path)

    assert page.errors == []
    assert page.requests == []
    assert page.evaluate("document.scripts.length") == 0
    sections = page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)")
    assert sections[:5] == [
        "summary",
        "operating-model",
        "who-does-what",
        "oversight",
        "continuity",
    ]
    assert sections[-4:] == ["risks", "resilience-sizing", "kpis", "assumptions"]
    charts = page.evaluate(
        "[...document.querySelectorAll('figure.chart')].map(f => ({id: f.id,"
        " height: f.querySelector('svg').getBoundingClientRect().height,"
        " width: f.querySelector('svg').getBoundingClientRect().width,"
        " marks: f.querySelectorAll('.mark').length}))"
    )
    expected = CHARTS | ({"chart-competencies"} if scenario.staff is not None else set())
    assert {c["id"] for c in charts} == expected
    for chart in charts:
        assert chart["height"] > 100 and chart["width"] > 300, chart
        assert chart["marks"] > 0, chart
    # every risk appears in the matrix
    matrix = page.evaluate(
        "[...document.querySelectorAll('#chart-risk-matrix rect > title')]"
        ".map(t => t.textContent).join('\\n')"
    )
    shown = set(re.findall(r"\bR\d+\b", matrix))
    assert shown == {risk["id"] for risk in plan.risks}
    assert page.evaluate("document.documentElement.scrollWidth") == 1280  # no sideways scroll

    whole = page.screenshot(tmp_path / f"report-{name}-whole.png", scale=0.4)
    width, height = png_size(whole)
    assert width == 512 and height > 1500  # the whole page at 40 %
    top = page.screenshot(tmp_path / f"report-{name}-top.png", max_height=2300)
    _keep(top, f"report-{name}.png")
    risks = page.screenshot(tmp_path / "risks.png", selector="#risks", max_height=1300)
    _keep(risks, f"report-{name}-risks.png")
    if scenario.staff is not None:
        grid = page.screenshot(tmp_path / "grid.png", selector="#competencies", max_height=900)
        _keep(grid, f"report-{name}-competencies.png")
    page.close()


def test_hostile_titles_stay_text_in_the_browser(browser: Chromium, tmp_path: Path) -> None:
    scenario = load_scenario(hostile_scenario(tmp_path))
    plan = solve(scenario, SolveParams(mitigations=False))
    assert plan.risks  # titles with injections reach the risk register too
    path = tmp_path / "hostile.html"
    path.write_text(render(build_report(scenario, plan), "html"), encoding="utf-8")
    page = browser.load(path)
    assert page.errors == []
    assert page.requests == []
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object').length") == 0
    title = page.evaluate("document.querySelector('header h1').textContent")
    assert SCRIPT in title and HYPERLINK in title  # shown as text, not run
    assert page.evaluate("document.title").startswith(SCRIPT)
    page.close()
