"""Runs of the web app: the same library functions the CLI calls, in the background.

A run is queued in the database, executed by a small thread pool (one worker
by default: solves are CPU-bound and the machine is shared), its progress and
status written back as it goes, its files written whole into the run's own
folder. A run can be cancelled while queued (it never starts) or between its
stages. ``simulate`` honours ``options.scheduler`` (a Dask cluster) as the CLI's
``--scheduler`` does.
"""

from __future__ import annotations

import math
import tempfile
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from optimiser import MAX_TIME_LIMIT
from optimiser.io import write_files
from optimiser.output import json_text, plan_files
from optimiser.pipeline import plan
from optimiser.report import build_report, render
from optimiser.scenario import Scenario, ScenarioError, load_scenario
from optimiser.scenario.problems import Problem
from optimiser.solve import SolveParams
from optimiser.web.store import Store, VersionRow
from optimiser.whatif.executor import make_executor
from optimiser.whatif.resilience import resilience
from optimiser.whatif.simulate import simulate
from optimiser.whatif.sizing import size

COMMANDS = ("solve", "size", "resilience", "simulate")
#: options each command accepts, with their types (anything else is a 422)
OPTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "solve": {"strict": bool, "mitigations": bool, "time_limit": (int, float)},
    "size": {"budget": (int, float), "clean_sheet": bool},
    "resilience": {},
    "simulate": {"samples": int, "seed": int, "scheduler": str},
}


#: (option, lowest, highest, lowest excluded) of the numbers each command takes
NUMBER_RANGES: dict[str, tuple[tuple[str, float, float, bool], ...]] = {
    "solve": (("time_limit", 0.0, MAX_TIME_LIMIT, True),),
    "size": (("budget", 0.0, 1e12, False),),
}


class Cancelled(Exception):
    """The run was cancelled between two of its stages."""


def load_version(content: bytes, suffix: str) -> Scenario:
    """A stored version as a scenario (read from a private temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="skillmix-web-") as tmp:
        path = Path(tmp) / f"scenario{suffix}"
        path.write_bytes(content)
        return load_scenario(path)


def check_options(command: str, options: dict[str, Any]) -> list[str]:
    """Problems with a run request (unknown command or option, wrong type)."""
    if command not in COMMANDS:
        return [f"command: must be one of {', '.join(COMMANDS)} (got {command!r})"]
    problems = []
    allowed = OPTIONS[command]
    for key, value in options.items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            problems.append(f"options.{key}: unknown option for {command} (known: {known})")
        elif isinstance(value, bool) and allowed[key] is not bool:
            problems.append(f"options.{key}: must be a number")
        elif not isinstance(value, allowed[key]):
            problems.append(f"options.{key}: has the wrong type ({type(value).__name__})")
    # numbers in range, as the CLI takes them (inf and nan once failed the run)
    for key, low, high, open_low in NUMBER_RANGES.get(command, ()):
        value = options.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and key in allowed:
            above = value > low if open_low else value >= low
            if not (math.isfinite(value) and above and value <= high):
                sign = ">" if open_low else ">="
                problems.append(f"options.{key}: must be a finite number {sign} {low:g} and "
                                f"<= {high:g} (got {value!r})")  # fmt: skip
    if command == "simulate" and not isinstance(options.get("samples"), int):
        problems.append("options.samples: required for simulate (a whole number >= 1)")
    elif command == "simulate" and options["samples"] < 1:
        problems.append("options.samples: must be at least 1")
    return problems


def execute(
    command: str,
    scenario: Scenario,
    options: dict[str, Any],
    progress: Callable[[float], None],
) -> dict[str, str | bytes]:
    """The files of one run (the CLI's functions, the CLI's file names)."""
    if command == "solve":

        params = SolveParams(
            strict=bool(options.get("strict", False)),
            mitigations=bool(options.get("mitigations", True)),
            time_limit=options.get("time_limit"),
        )
        result = plan(scenario, params)
        progress(0.8)
        files: dict[str, str | bytes] = dict(plan_files(result))
        files["report.html"] = render(build_report(scenario, result), "html")
        return files
    if command == "size":

        report = size(
            scenario, options.get("budget"), clean_sheet=bool(options.get("clean_sheet", False))
        )
        progress(0.8)
        files = {"sizing.json": json_text(report.data)}
        if report.plan is not None:
            files.update(plan_files(report.plan))
        return files
    if command == "resilience":

        with make_executor(1) as executor:
            return {"resilience.json": json_text(resilience(scenario, executor))}

    if scenario.volatility is None:
        raise ScenarioError([Problem("scenario", "volatility", None, "simulate needs it")])
    with make_executor(1, options.get("scheduler")) as executor:
        doc = simulate(scenario, int(options["samples"]), options.get("seed"), executor)
    return {"simulation.json": json_text(doc)}


class Jobs:
    """The background worker pool of the web app."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skillmix-run")
        self.cancelled: set[int] = set()
        self.lock = threading.Lock()

    def submit(self, run_id: int) -> None:
        self.pool.submit(self._run, run_id)

    def cancel(self, run_id: int) -> bool:
        run = self.store.run(run_id)
        if run is None or run.status not in ("queued", "running"):
            return False
        with self.lock:
            self.cancelled.add(run_id)
        if run.status == "queued":
            self.store.update_run(run_id, status="cancelled", error="cancelled")
        return True

    def _check(self, run_id: int) -> None:
        with self.lock:
            if run_id in self.cancelled:
                raise Cancelled()

    def _run(self, run_id: int) -> None:
        run = self.store.run(run_id)
        if run is None or run.status != "queued":
            return
        store = self.store
        try:
            self._check(run_id)
            store.update_run(run_id, status="running", progress=0.05)
            version = _version_by_id(store, run.version_id)
            scenario = load_version(version.content, version.suffix)
            store.update_run(run_id, progress=0.1)

            def progress(value: float) -> None:
                self._check(run_id)
                store.update_run(run_id, progress=value)

            files = execute(run.command, scenario, dict(run.options or {}), progress)
            self._check(run_id)
            write_files(store.run_dir(run_id), files)
            store.update_run(run_id, status="done", progress=1.0, files=sorted(files))
        except Cancelled:
            store.update_run(run_id, status="cancelled", error="cancelled")
        except ScenarioError as exc:
            store.update_run(run_id, status="failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a run's failure is reported, not raised
            store.update_run(
                run_id, status="failed", error=f"{type(exc).__name__}: {exc}"
            )
            traceback.print_exc()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _version_by_id(store: Store, version_id: int) -> Any:

    with store.session() as s:
        row = s.get(VersionRow, version_id)
        if row is None:
            raise ScenarioError([Problem("database", "version", None, "no longer exists")])
        return row
