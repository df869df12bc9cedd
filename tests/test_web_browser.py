"""The web app in a real browser: Playwright driving Debian's Chromium.

A planner's path: upload the example, plan it, see the register, change a
nurse's FTE (a new version), re-plan, compare the two runs, open the report;
bad input shows its problems next to the form. The server is the real app
under uvicorn on 127.0.0.1 (a free port), its data in the test's folder.
Skipped with the reason when Chromium or Playwright is missing (``make test``
installs Debian's Chromium when run as root). ``SKILLMIX_SCREENSHOTS=DIR``
keeps a screenshot of each page (``docs/img`` is made so).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_report_support import chromium_binary

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from optimiser.web import create_app

    port = _free_port()
    app = create_app(tmp_path_factory.mktemp("web-data"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the web app did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip(
            "Chromium not installed: the browser tests need Debian's chromium "
            "(apt-get install chromium; `make test` installs it when run as root)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(binary), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        browser.close()


def _shot(pg: object, name: str) -> None:
    folder = os.environ.get("SKILLMIX_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(folder) / name), full_page=True)  # type: ignore[attr-defined]


def _plan(pg: object) -> str:
    """Click 'Plan' on a scenario page and wait for the register; the run page's URL."""
    pg.click("#run-solve")  # type: ignore[attr-defined]
    pg.wait_for_selector("#register", timeout=60_000)  # type: ignore[attr-defined]
    return str(pg.url)  # type: ignore[attr-defined]


def test_a_planners_path_through_the_app(server: str, page: object, tmp_path: Path) -> None:
    pg = page
    pg.goto(server + "/")  # type: ignore[attr-defined]
    _shot(pg, "web-scenarios.png")
    pg.set_input_files("#upload input[type=file]", str(EXAMPLE))  # type: ignore[attr-defined]
    pg.click("#upload input[type=submit]")  # type: ignore[attr-defined]
    pg.wait_for_selector("#versions")  # type: ignore[attr-defined]
    assert "North Locality CMHT" in pg.inner_text("h1")  # type: ignore[attr-defined]
    _shot(pg, "web-scenario.png")
    scenario_url = pg.url  # type: ignore[attr-defined]

    first = _plan(pg)
    register = pg.inner_text("#register")  # type: ignore[attr-defined]
    assert "R1" in register
    assert pg.is_visible("#package")  # type: ignore[attr-defined]
    # the report, inline in the page
    pg.frame_locator("iframe").locator("h1").first.wait_for(timeout=20_000)  # type: ignore[attr-defined]
    _shot(pg, "web-run.png")
    run_id = first.rsplit("/", 1)[1]
    report = pg.request.get(f"{server}/api/runs/{run_id}/files/report.html")  # type: ignore[attr-defined]
    assert report.status == 200 and "<html" in report.text()

    # a nurse more: a new version with a note
    pg.goto(scenario_url)  # type: ignore[attr-defined]
    field = "#fte\\:nurse"
    value = float(pg.input_value(field))  # type: ignore[attr-defined]
    pg.fill(field, str(value + 1))  # type: ignore[attr-defined]
    pg.fill("#note", "one more nurse")  # type: ignore[attr-defined]
    pg.click("#save")  # type: ignore[attr-defined]
    pg.wait_for_selector("#versions")  # type: ignore[attr-defined]
    assert "one more nurse" in pg.inner_text("#versions")  # type: ignore[attr-defined]
    second = _plan(pg)
    assert second != first

    # compare the two versions' runs
    pg.goto(scenario_url)  # type: ignore[attr-defined]
    pg.click("#runs a:has-text('compare')")  # type: ignore[attr-defined]
    pg.wait_for_selector("#comparison")  # type: ignore[attr-defined]
    assert "Annual cost" in pg.inner_text("#comparison")  # type: ignore[attr-defined]
    _shot(pg, "web-compare.png")

    # bad input through the page: the problems are shown next to the form
    pg.goto(scenario_url)  # type: ignore[attr-defined]
    pg.evaluate(  # type: ignore[attr-defined]
        "document.querySelector('#fte\\\\:nurse').type='text'"
    )
    pg.fill(field, "lots")  # type: ignore[attr-defined]
    pg.click("#save")  # type: ignore[attr-defined]
    pg.wait_for_selector("#problems")  # type: ignore[attr-defined]
    assert "is not a number" in pg.inner_text("#problems")  # type: ignore[attr-defined]
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("people: 15}", "people: -15}", 1))
    pg.goto(server + "/")  # type: ignore[attr-defined]
    pg.set_input_files("#upload input[type=file]", str(bad))  # type: ignore[attr-defined]
    pg.click("#upload input[type=submit]")  # type: ignore[attr-defined]
    pg.wait_for_selector("#problems")  # type: ignore[attr-defined]
    assert "cohort[0].people" in pg.inner_text("#problems")  # type: ignore[attr-defined]
    assert pg.errors == []  # type: ignore[attr-defined]
