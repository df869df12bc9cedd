"""Shared helpers of the report and Excel tests (no tests here).

* :func:`solved`: the example scenarios loaded and planned once per session;
* :func:`hostile_scenario`: a scenario whose user texts are HTML and formula
  injections;
* :class:`Chromium`: headless Debian Chromium driven over the DevTools
  protocol (``websocket-client``), recording console messages, exceptions and
  every network request of a page, and taking screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from optimiser.plan import Plan
from optimiser.scenario import Scenario, load_scenario
from optimiser.solve import SolveParams
from optimiser.whatif.assess import assess

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=alert(1)>"
HYPERLINK = '=HYPERLINK("http://evil.example/","click me")'
FORMULA_STARTS = ("=", "+", "-", "@")


@functools.cache
def solved(name: str) -> tuple[Scenario, Plan]:
    """``scenarios/<name>.yaml`` loaded and planned (with mitigations), once per session."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    return scenario, assess(scenario, SolveParams())


def hostile_data(staff_mode: bool = False) -> dict[str, Any]:
    """``tiny-teaching.yaml`` with HTML and formula injections in every kind of user text.

    Staff mode: the establishment becomes three named people whose ids are
    formulas too.
    """
    data = yaml.safe_load((SCENARIOS / "tiny-teaching.yaml").read_text(encoding="utf-8"))
    data["name"] = f"{SCRIPT} {HYPERLINK}"
    data["source"] = "@SUM(1,2) plan notes"
    data["headroom"]["source"] = "-2+3 headroom"
    data["roles"]["nurse"]["title"] = f"{IMG} nurse"
    data["roles"]["support_worker"]["title"] = "+SUM(A1:A9)"
    data["roles"]["nurse"]["source"] = f"{SCRIPT} source"
    data["competencies"]["medication"]["title"] = "@medication"
    data["tiers"]["red"]["title"] = f"{HYPERLINK} red"
    data["tasks"]["risk_review"]["title"] = HYPERLINK
    data["tasks"]["planned_contact"]["title"] = f"{SCRIPT}contact"
    data["tasks"]["medication_support"]["source"] = "=1+1"
    # a shortfall, so that risks (with the injected titles) exist
    data["cohort"][0]["people"] = 40
    # an id that CSV cells start with: the tier "amber" becomes "+amber"
    data["tiers"] = {("+amber" if k == "amber" else k): v for k, v in data["tiers"].items()}
    for segment in data["cohort"]:
        if segment["tier"] == "amber":
            segment["tier"] = "+amber"
    for task in data["tasks"].values():
        task["frequency"] = {
            ("+amber" if k == "amber" else k): v for k, v in task["frequency"].items()
        }
        task["registered_for"] = [
            "+amber" if t == "amber" else t for t in task.get("registered_for", [])
        ]
    if staff_mode:
        del data["establishment"]
        data["competencies"]["medication"]["signoff_valid_months"] = 12
        data["staff"] = [
            {
                "id": "=cmd|' /C calc'!A0",
                "role": "team_leader",
                "fte": 0.5,
                "signoffs": {"medication": "2026-10-01"},
            },
            {
                "id": "@nurse1",
                "role": "nurse",
                "fte": 1.0,
                "locality": "+north",
                "signoffs": {"medication": "2026-06-01"},
            },
            {
                "id": "-sw1",
                "role": "support_worker",
                "fte": 1.0,
                "signoffs": {"medication": "2027-02-01"},
            },
        ]
    return data


def hostile_scenario(directory: Path, staff_mode: bool = False) -> Path:
    """Write :func:`hostile_data` to ``directory`` and return the file."""
    path = directory / ("hostile-staff.yaml" if staff_mode else "hostile.yaml")
    path.write_text(yaml.safe_dump(hostile_data(staff_mode), sort_keys=False), encoding="utf-8")
    return path


def formula_cells(values: list[str]) -> list[str]:
    """Text cells a spreadsheet would run as a formula (numbers excepted)."""
    out = []
    for value in values:
        if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
            continue
        try:
            float(value)
        except ValueError:
            out.append(value)
    return out


# -- headless Chromium over the DevTools protocol ------------------------------------------


def chromium_binary() -> str | None:
    """Debian's Chromium (``$SKILLMIX_CHROMIUM`` overrides), or ``None``."""
    wanted = os.environ.get("SKILLMIX_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
)


class Chromium:
    """One headless Chromium process and a DevTools connection to it."""

    def __init__(self, binary: str, timeout: float = 30.0) -> None:
        import websocket  # websocket-client, a dev dependency

        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="skillmix-chromium-")
        self.stderr: list[str] = []
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._url: str | None = None
        self._started = threading.Event()
        # read stderr all along: the DevTools address, and no full pipe blocking Chromium
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._started.wait(timeout) or self._url is None:
            self.close()
            raise RuntimeError("Chromium did not start:\n" + "".join(self.stderr[-20:]))
        self.ws = websocket.create_connection(self._url, timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.pending: list[dict[str, Any]] = []

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match and self._url is None:
                self._url = match.group(1)
                self._started.set()
        self._started.set()  # ended without the address

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and return its result (events met on the way are kept)."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            data = json.loads(self.ws.recv())
            if data.get("id") == self.next_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.pending.append(data)

    def _wait(self, method: str, session: str) -> None:
        for event in self.pending:
            if event.get("method") == method and event.get("sessionId") == session:
                return
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            data = json.loads(self.ws.recv())
            self.pending.append(data)
            if data.get("method") == method and data.get("sessionId") == session:
                return
        raise TimeoutError(f"{method} did not arrive within {self.timeout} s")

    def load(self, path: Path, width: int = 1280) -> Page:
        """Open ``path`` in a new tab and wait until it has loaded and painted."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        self.pending = [e for e in self.pending if e.get("sessionId") != session]
        url = path.resolve().as_uri()
        self.call("Page.navigate", {"url": url}, session)
        self._wait("Page.loadEventFired", session)
        self.call(
            "Runtime.evaluate",
            {
                "expression": "new Promise(r => requestAnimationFrame(() => setTimeout(r, 100)))",
                "awaitPromise": True,
            },
            session,
        )
        events = [e for e in self.pending if e.get("sessionId") == session]
        self.pending = [e for e in self.pending if e.get("sessionId") != session]
        return Page(self, session, target, url, events)

    def close(self) -> None:
        """End the browser (the process this object started) and remove its profile."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """A loaded page: what happened while it loaded, and ways to look at it."""

    def __init__(
        self, browser: Chromium, session: str, target: str, url: str, events: list
    ) -> None:
        self.browser = browser
        self.session = session
        self.target = target
        self.url = url
        self.events = events

    def _events(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]

    @property
    def requests(self) -> list[str]:
        """URLs of every network request other than the page itself."""
        return [
            p["request"]["url"]
            for p in self._events("Network.requestWillBeSent")
            if p["request"]["url"] != self.url
        ]

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries."""
        out = [
            " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            for p in self._events("Runtime.consoleAPICalled")
            if p.get("type") in ("error", "warning", "assert")
        ]
        out += [
            p["exceptionDetails"].get("text", "exception")
            for p in self._events("Runtime.exceptionThrown")
        ]
        out += [
            f"{p['entry'].get('source')}: {p['entry'].get('text')}"
            for p in self._events("Log.entryAdded")
            if p["entry"].get("level") in ("error", "warning")
        ]
        return out

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (DevTools, not the page's CSP)."""
        result = self.browser.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, self.session
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text"))
        return result["result"].get("value")

    def screenshot(
        self,
        path: Path,
        selector: str | None = None,
        max_height: int = 16000,
        scale: float = 1.0,
    ) -> bytes:
        """Save a PNG of the page from its top (or of one element) and return its bytes."""
        if selector is None:
            metrics = self.browser.call("Page.getLayoutMetrics", session=self.session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": min(size["height"], max_height),
            }
        else:
            box = self.evaluate(
                f"JSON.stringify(document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect())"
            )
            rect = json.loads(box)
            clip = {
                "x": 0,
                "y": rect["top"] + self.evaluate("window.scrollY"),
                "width": self.evaluate("document.documentElement.clientWidth"),
                "height": min(rect["height"], max_height),
            }
        shot = self.browser.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": scale}},
            self.session,
        )
        data = base64.b64decode(shot["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target})


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
