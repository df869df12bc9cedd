"""The ``skillmix`` command line (PLAN.md).  Thin: parse, call the library, print.

Exit codes: 0 success (a plan with risks is a success), 2 bad input (a clear
message, no traceback), 1 internal error.
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from optimiser import MAX_TIME_LIMIT
from optimiser.scenario import Scenario, ScenarioError, load_scenario

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def _err(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Map bad input (and a path that cannot be read or written) to exit 2 and
    anything unexpected to exit 1, without tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            _err(f"error: the scenario is not valid ({len(exc.problems)} problem(s)):")
            for problem in exc.problems:
                _err(f"  {problem}")
            sys.exit(EXIT_BAD_INPUT)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except OSError as exc:
            _err(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
            sys.exit(EXIT_BAD_INPUT)  # a path the user gave (or its folder, or the disk)
        except Exception as exc:  # noqa: BLE001 - last line of defence, reported plainly
            _err(f"internal error: {type(exc).__name__}: {exc}")
            if os.environ.get("SKILLMIX_DEBUG"):
                traceback.print_exc()
            else:
                _err("  (set SKILLMIX_DEBUG=1 to see the traceback; please report it)")
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def _load(path: str) -> Scenario:
    scenario = load_scenario(path)
    for warning in scenario.warnings:
        _err(f"warning: {warning}")
    return scenario


def _out_dir(out: str | None, scenario_path: str) -> Path:
    return Path(out) if out else Path("out") / Path(scenario_path).stem


class _Finite(click.FloatRange):
    """A number in range that is finite: ``click.FloatRange`` lets ``nan`` through
    (no comparison holds for it) and ``inf`` where it has no maximum."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


_SECONDS = _Finite(min=0, min_open=True, max=MAX_TIME_LIMIT)

_OUT_OPTION = click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Output folder (default out/<scenario-file-stem>/).",
)
_WORKERS_OPTION = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (default: every core; 1 runs in this process).",
)
_SCHEDULER_OPTION = click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run on an existing Dask cluster (tcp://HOST:PORT) instead of local processes.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="skillmix", prog_name="skillmix")
def main() -> None:
    """skillmix: plan a community mental health team's skill mix and report its
    workforce risks."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@handle_errors
def validate(scenario: str) -> None:
    """Check SCENARIO; print every problem with its file, key path and line."""
    loaded = _load(scenario)
    mode = "staff" if loaded.staff is not None else "FTE"
    click.echo(
        f"{scenario}: valid ({mode} mode, {len(loaded.roles)} roles, "
        f"{len(loaded.tasks)} tasks, {len(loaded.cohort)} segments, "
        f"{sum(s.people for s in loaded.cohort)} people)"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_OUT_OPTION
@click.option(
    "--time-limit",
    type=_SECONDS,
    help="Seconds per solver call (default: prove optimality).",
)
@click.option("--strict", is_flag=True, help="Make every soft constraint hard.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="HiGHS threads of the plan's solves.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="HiGHS random seed (another seed may pick another of several equal optima).",
)
@click.option("--no-mitigations", is_flag=True, help="Skip the costed mitigations (faster).")
@click.option(
    "--check",
    "check",
    is_flag=True,
    help="Check the plan with the independent checker (optimiser/check.py); exit 1 if it fails.",
)
@handle_errors
def solve(
    scenario: str,
    out: str | None,
    time_limit: float | None,
    strict: bool,
    workers: int,
    seed: int,
    no_mitigations: bool,
    check: bool,
) -> None:
    """Plan the team of SCENARIO and write plan.json, allocation.csv, risks.csv,
    shortfalls.csv and utilisation.csv."""
    from optimiser.output import plan_files, write_files
    from optimiser.pipeline import plan as run_solve
    from optimiser.solve import SolveParams
    from optimiser.terminal.plan import print_summary

    loaded = _load(scenario)
    params = SolveParams(
        strict=strict,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        mitigations=not no_mitigations,
        progress=sys.stderr.isatty(),
    )
    plan = run_solve(loaded, params)
    directory = _out_dir(out, scenario)
    write_files(directory, plan_files(plan), inputs=loaded.inputs)
    print_summary(plan, directory)
    if check:
        import json

        from optimiser.check import check_plan, load_scenario_dict
        from optimiser.scenario.excel import read_workbook

        raw = (
            read_workbook(scenario)[0]
            if Path(scenario).suffix.lower() == ".xlsx"
            else load_scenario_dict(scenario)
        )
        problems = check_plan(raw, json.loads(json.dumps(plan.to_dict())))
        if problems:
            _err(f"independent check: FAILED ({len(problems)} problem(s)):")
            for problem in problems:
                _err(f"  {problem}")
            sys.exit(EXIT_INTERNAL)
        click.echo("independent check: passed (C1-C8, every shortfall row and register entry)")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_OUT_OPTION
@handle_errors
def competencies(scenario: str, out: str | None) -> None:
    """Staff mode: the competency dashboard of SCENARIO (competencies.csv and a
    person x competency grid)."""
    from optimiser.competencies import dashboard
    from optimiser.output import csv_text, write_files
    from optimiser.terminal.plan import print_competency_grid

    loaded = _load(scenario)
    if loaded.staff is None:
        _err(
            f"error: {scenario}: the competency dashboard needs named staff (a `staff:` "
            f"list or CSV); this scenario is in FTE mode"
        )
        sys.exit(EXIT_BAD_INPUT)
    cells = dashboard(loaded)
    directory = _out_dir(out, scenario)
    columns = ["staff", "role", "competency", "status", "signed_off", "expires"]
    competencies = {"competencies.csv": csv_text([c.row() for c in cells], columns)}
    write_files(directory, competencies, inputs=loaded.inputs)
    print_competency_grid(loaded, cells)
    click.echo(f"wrote {directory}/competencies.csv")


# -- what-if planning (optimiser.whatif) -------------------------------------------------


def _whatif_executor(workers: int | None, scheduler: str | None, progress: bool = True):  # type: ignore[no-untyped-def]
    from optimiser.whatif.executor import make_executor

    try:
        return make_executor(workers, scheduler, progress=progress)
    except OSError as exc:
        _err(f"error: cannot reach the Dask scheduler {scheduler}: {exc}")
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_OUT_OPTION
@click.option("--budget", type=_Finite(min=0), help="Annual budget in GBP.")
@click.option("--frontier", is_flag=True, help="Also the cost / risk Pareto frontier.")
@click.option(
    "--frontier-points",
    type=click.IntRange(min=2),
    default=6,
    show_default=True,
    help="Budgets on the frontier, cheapest to risk-free.",
)
@click.option(
    "--percentile",
    type=_Finite(min=0, max=100),
    help="Size for this percentile cohort of `volatility` instead of the mean.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Sampled cohorts for --percentile.",
)
@click.option(
    "--seed", type=int, default=None, help="Seed for --percentile (default volatility.seed)."
)
@click.option(
    "--clean-sheet",
    is_flag=True,
    help="Size a new service from nothing (default: keep every role at least at today's FTE).",
)
@_WORKERS_OPTION
@_SCHEDULER_OPTION
@handle_errors
def size(
    scenario: str,
    out: str | None,
    budget: float | None,
    frontier: bool,
    frontier_points: int,
    percentile: float | None,
    samples: int,
    seed: int | None,
    clean_sheet: bool,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """The lowest-cost establishment of SCENARIO that carries the least reachable risk
    (under --budget: the least risk within it); writes sizing.json and its plan.

    Today's team is kept (sizing only adds posts) unless --clean-sheet."""
    from optimiser.output import json_text, plan_files, write_files
    from optimiser.terminal.whatif import print_sizing
    from optimiser.whatif.sizing import size as run_size

    loaded = _load(scenario)
    executor = _whatif_executor(workers, scheduler) if frontier else None
    try:
        report = run_size(
            loaded,
            budget,
            frontier_points=frontier_points if frontier else 0,
            percentile=percentile,
            samples=samples,
            seed=seed,
            executor=executor,
            clean_sheet=clean_sheet,
        )
    finally:
        if executor is not None:
            executor.close()
    directory = _out_dir(out, scenario)
    files = {"sizing.json": json_text(report.data)}
    if report.plan is not None:
        files.update(plan_files(report.plan))
    write_files(directory, files, inputs=loaded.inputs)
    print_sizing(report.data, directory)


@main.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("variants", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Output folder (default out/compare-<base-file-stem>/).",
)
@_WORKERS_OPTION
@_SCHEDULER_OPTION
@handle_errors
def compare(
    base: str,
    variants: tuple[str, ...],
    out: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Plan BASE and each VARIANT; write comparison.csv and comparison.json side by side."""
    from optimiser.output import csv_text, json_text, write_files
    from optimiser.terminal.whatif import print_comparison
    from optimiser.whatif.compare import compare as run_compare
    from optimiser.whatif.compare import comparison_rows

    paths = [base, *variants]
    loaded = [_load(p) for p in paths]
    with _whatif_executor(workers, scheduler) as executor:
        doc = run_compare(loaded, paths, executor)
    rows, columns = comparison_rows(doc)
    directory = Path(out) if out else Path("out") / f"compare-{Path(base).stem}"
    files = {"comparison.json": json_text(doc), "comparison.csv": csv_text(rows, columns)}
    write_files(directory, files, inputs=[f for s in loaded for f in s.inputs])
    print_comparison(doc, directory)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_OUT_OPTION
@_WORKERS_OPTION
@_SCHEDULER_OPTION
@handle_errors
def resilience(scenario: str, out: str | None, workers: int | None, scheduler: str | None) -> None:
    """Re-plan SCENARIO with each person (staff mode) or one person of each role (FTE
    mode) away; rank absences by added risk; write resilience.json."""
    from optimiser.output import json_text, write_files
    from optimiser.terminal.whatif import print_resilience
    from optimiser.whatif.resilience import resilience as run_resilience

    loaded = _load(scenario)
    with _whatif_executor(workers, scheduler) as executor:
        doc = run_resilience(loaded, executor)
    directory = _out_dir(out, scenario)
    write_files(directory, {"resilience.json": json_text(doc)}, inputs=loaded.inputs)
    print_resilience(doc, directory)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--samples", type=click.IntRange(min=1), required=True, help="Sampled cohorts.")
@click.option("--seed", type=int, default=None, help="Seed (default volatility.seed).")
@_OUT_OPTION
@_WORKERS_OPTION
@_SCHEDULER_OPTION
@handle_errors
def simulate(
    scenario: str,
    samples: int,
    seed: int | None,
    out: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Re-plan SAMPLES cohorts drawn from the scenario's volatility; write simulation.json
    (per category and tier: P(shortfall), P50/P80/P95)."""
    from optimiser.output import json_text, write_files
    from optimiser.terminal.whatif import print_simulation
    from optimiser.whatif.simulate import simulate as run_simulate

    loaded = _load(scenario)
    if loaded.volatility is None:
        _err(f"error: {scenario}: `simulate` needs a `volatility` section (people_cv, transitions)")
        sys.exit(EXIT_BAD_INPUT)
    with _whatif_executor(workers, scheduler) as executor:
        doc = run_simulate(loaded, samples, seed, executor)
    directory = _out_dir(out, scenario)
    write_files(directory, {"simulation.json": json_text(doc)}, inputs=loaded.inputs)
    print_simulation(doc, directory)


# -- evidence: report and Excel template (optimiser.report, optimiser.scenario.excel) --


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Report file (default out/<scenario-file-stem>/report.<format>).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "xlsx"]),
    default=None,
    help="html (default; one self-contained file), md or xlsx (one sheet per table); "
    "default: from the suffix of -o.",
)
@click.option(
    "--plan",
    "plan_json",
    type=click.Path(dir_okay=False),
    help="Report this plan.json (from `solve`) instead of planning again.",
)
@click.option(
    "--resilience", "with_resilience", is_flag=True, help="Run resilience and include it."
)
@click.option("--sizing", "with_sizing", is_flag=True, help="Run sizing and include it.")
@click.option(
    "--resilience-json",
    type=click.Path(dir_okay=False),
    help="Include this resilience.json (from `resilience`).",
)
@click.option(
    "--sizing-json", type=click.Path(dir_okay=False), help="Include this sizing.json (from `size`)."
)
@click.option(
    "--time-limit",
    type=_SECONDS,
    help="Seconds per solver call (default: prove optimality).",
)
@click.option(
    "--activity",
    type=click.Path(dir_okay=False),
    help="Staff mode: add the review of this ACTIVITY.csv (see `review`).",
)
@click.option(
    "--supervision-log",
    type=click.Path(dir_okay=False),
    help="With --activity: the SUPERVISION.csv log.",
)
@_WORKERS_OPTION
@handle_errors
def report(
    scenario: str,
    out: str | None,
    fmt: str | None,
    plan_json: str | None,
    with_resilience: bool,
    with_sizing: bool,
    resilience_json: str | None,
    sizing_json: str | None,
    time_limit: float | None,
    activity: str | None,
    supervision_log: str | None,
    workers: int | None,
) -> None:
    """The skill-mix rationale of SCENARIO as one self-contained HTML file (or --format
    md / xlsx): operating model, delegation, oversight, continuity, risk register, KPIs
    and the assumptions register."""
    import json

    from optimiser.pipeline import plan as run_solve
    from optimiser.pipeline import run_whatif
    from optimiser.plan import Plan, PlanError
    from optimiser.report import SUFFIX, WhatIf, build_report, render, write_report
    from optimiser.solve import SolveParams

    if fmt is None:
        suffix = Path(out).suffix.lower().lstrip(".") if out else ""
        fmt = {"htm": "html", "markdown": "md"}.get(suffix, suffix)
        fmt = fmt if fmt in SUFFIX else "html"
    loaded = _load(scenario)

    def read_json(path: str, what: str) -> dict:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            _err(f"error: {path}: not a {what} file ({exc})")
            sys.exit(EXIT_BAD_INPUT)
        if not isinstance(doc, dict):
            _err(f"error: {path}: not a {what} file (expected a JSON object)")
            sys.exit(EXIT_BAD_INPUT)
        return doc

    if plan_json:
        try:
            plan = Plan.from_json(read_json(plan_json, "plan.json"), plan_json)
        except PlanError as exc:
            _err(f"error: {exc}")
            sys.exit(EXIT_BAD_INPUT)
        if plan.scenario != loaded.name:
            _err(f"error: {plan_json} is the plan of {plan.scenario!r}, not of {loaded.name!r}")
            sys.exit(EXIT_BAD_INPUT)
    else:
        plan = run_solve(loaded, SolveParams(time_limit=time_limit))
    whatif = WhatIf(
        resilience=read_json(resilience_json, "resilience.json") if resilience_json else None,
        sizing=read_json(sizing_json, "sizing.json") if sizing_json else None,
    )
    if with_resilience or with_sizing:
        executor = _whatif_executor(workers, None) if with_resilience else None
        try:
            ran = run_whatif(
                loaded, resilience=with_resilience, sizing=with_sizing, executor=executor
            )
        finally:
            if executor is not None:
                executor.close()
        whatif = WhatIf(
            resilience=ran.resilience or whatif.resilience, sizing=ran.sizing or whatif.sizing
        )
    review_doc = None
    if activity:
        from optimiser.review import ActivityError
        from optimiser.review.run import run_review

        if loaded.staff is None:
            _err(f"error: {scenario}: --activity needs named staff (staff mode)")
            sys.exit(EXIT_BAD_INPUT)
        try:
            review_doc, _ = run_review(loaded, activity, supervision_log)
        except ActivityError as exc:
            for problem in exc.problems:
                _err(f"error: {problem}")
            sys.exit(EXIT_BAD_INPUT)
    document = build_report(loaded, plan, whatif, review_doc)
    target = Path(out) if out else Path("out") / Path(scenario).stem / f"report{SUFFIX[fmt]}"
    inputs = [*loaded.inputs, plan_json, resilience_json, sizing_json, activity, supervision_log]
    write_report(target, render(document, fmt), inputs=[p for p in inputs if p])  # type: ignore[arg-type]
    click.echo(f"wrote {target}")


@main.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="scenario.xlsx",
    show_default=True,
    help="Workbook to write (.xlsx).",
)
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False),
    help="Fill the template with the values of this scenario (YAML, JSON or .xlsx).",
)
@handle_errors
def template(out: str, source: str | None) -> None:
    """Write an Excel scenario template a planner fills in (one sheet per section, a
    comment on every column); `validate`, `solve` and the rest read it back."""
    from optimiser.scenario.excel import write_scenario_workbook

    if Path(out).suffix.lower() != ".xlsx":
        _err(f"error: {out}: the template is an Excel workbook; name it *.xlsx")
        sys.exit(EXIT_BAD_INPUT)
    loaded = _load(source) if source else None
    write_scenario_workbook(out, loaded, inputs=loaded.inputs if loaded else [])
    click.echo(f"wrote {out}" + (f" (filled from {source})" if source else ""))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("people", type=click.Path(dir_okay=False))
@_OUT_OPTION
@click.option(
    "--time-limit",
    type=_SECONDS,
    default=60.0,
    show_default=True,
    help="Seconds for the whole command, from reading the files to writing them (small "
    "teams are proven optimal well within it).",
)
@click.option("--no-balance", is_flag=True, help="Skip the load-balancing stage.")
@handle_errors
def caseload(
    scenario: str, people: str, out: str | None, time_limit: float, no_balance: bool
) -> None:
    """Staff mode: assign the people of PEOPLE (CSV: id,tier,stage[,current_coordinator,
    locality,needs,weight]) to care coordinators; write caseload.csv and its companions."""
    began = time.monotonic()  # --time-limit holds from here (the solver loaded too)
    from optimiser.caseload import CaseloadParams, PeopleError, read_people, solve_caseload
    from optimiser.caseload.report import caseload_document, caseload_files
    from optimiser.output import write_files
    from optimiser.terminal.caseload import print_caseload

    loaded = _load(scenario)
    if loaded.staff is None:
        _err(
            f"error: {scenario}: caseload assignment needs named staff (a `staff:` list or "
            f"CSV); this scenario is in FTE mode"
        )
        sys.exit(EXIT_BAD_INPUT)
    try:
        people_file = read_people(people, loaded)
    except PeopleError as exc:
        _err(f"error: {people} is not a valid people file ({len(exc.problems)} problem(s)):")
        for problem in exc.problems:
            _err(f"  {problem}")
        sys.exit(EXIT_BAD_INPUT)
    for warning in people_file.warnings:
        _err(f"warning: {warning}")
    # the limit holds for the whole process: what has run and what writing the
    # files will take come off the solver's share
    left = time_limit - (time.monotonic() - began)
    left -= _caseload_writing(len(people_file.instance.people))
    params = CaseloadParams(
        time_limit=max(CASELOAD_MIN_SECONDS, left),
        balance=not no_balance,
        progress=sys.stderr.isatty(),
    )
    result = solve_caseload(people_file.instance, params)
    doc = caseload_document(loaded, people_file, result, people)
    directory = _out_dir(out, scenario)
    write_files(directory, caseload_files(doc, result), inputs=(*loaded.inputs, people))
    print_caseload(doc, directory)


#: the solver's least share of ``caseload --time-limit``
CASELOAD_MIN_SECONDS = 0.5


def _caseload_writing(people: int) -> float:
    """Seconds kept for writing the caseload files (measured: 0.11 s for 10,000
    people; kept: 0.25 s + 0.05 s per thousand)."""
    return 0.25 + 0.05 * people / 1000


def _staff_scenario(scenario: str, what: str) -> Scenario:
    loaded = _load(scenario)
    if loaded.staff is None:
        _err(
            f"error: {scenario}: {what} needs named staff (a `staff:` list or CSV); "
            "this scenario is in FTE mode"
        )
        sys.exit(EXIT_BAD_INPUT)
    return loaded


@main.command("review")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("activity", type=click.Path(dir_okay=False))
@click.option("--supervision", type=click.Path(dir_okay=False), help="SUPERVISION.csv log.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: "
              "the first activity date).")  # fmt: skip
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: the "
              "last activity date).")  # fmt: skip
@click.option("--audit", type=click.Path(dir_okay=False), help="A filled-in audit.xlsx.")
@click.option("--replan", is_flag=True, help="Re-plan with the observed tier mix.")
@_OUT_OPTION
@handle_errors
def review_command(
    scenario: str,
    activity: str,
    supervision: str | None,
    start: Any,
    end: Any,
    audit: str | None,
    replan: bool,
    out: str | None,
) -> None:
    """Staff mode: the quarterly review of delivered work (ACTIVITY.csv) against what
    SCENARIO requires; writes review.json and review.csv."""
    from optimiser.output import write_files
    from optimiser.review import ActivityError
    from optimiser.review.run import run_review
    from optimiser.review.sample import AuditError
    from optimiser.terminal.review import print_review

    loaded = _staff_scenario(scenario, "the review")
    try:
        doc, files = run_review(
            loaded,
            activity,
            supervision,
            start.date() if start else None,
            end.date() if end else None,
            audit,
            replan,
        )
    except (ActivityError, AuditError) as exc:
        for problem in exc.problems:
            _err(f"error: {problem}")
        sys.exit(EXIT_BAD_INPUT)
    except ValueError as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_BAD_INPUT)
    for problem in [*doc["problems"], *doc.get("supervision_problems", [])]:
        _err(f"warning: {problem}")
    weeks = doc["period"]["weeks"]
    if (start is None or end is None) and weeks > LONG_REVIEW_WEEKS:
        _err(f"warning: the period {doc['period']['from']} to {doc['period']['to']} "
             f"({weeks:g} weeks) runs from the activity's dates: give --from and --to "
             "for a quarter")  # fmt: skip
    if doc.get("supervision_outside_period"):
        _err(f"warning: {supervision}: {doc['supervision_outside_period']} row(s) outside the "
             f"period {doc['period']['from']} to {doc['period']['to']}, not counted")  # fmt: skip
    directory = _out_dir(out, scenario)
    inputs = [*loaded.inputs, *(p for p in (activity, supervision, audit) if p)]
    write_files(directory, files, inputs=inputs)
    print_review(doc, directory)


#: a review period taken from the activity's dates beyond this is worth a warning
#: (a quarter is 13 weeks; one stray date stretched a period to 105,725 weeks)
LONG_REVIEW_WEEKS = 53


@main.command("sample")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("activity", type=click.Path(dir_okay=False))
@click.option("--size", type=click.IntRange(min=1), required=True, help="Cases to sample.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="HiGHS random seed (another seed may pick another of several equal optima).",
)
@_OUT_OPTION
@handle_errors
def sample_command(scenario: str, activity: str, size: int, seed: int, out: str | None) -> None:
    """Staff mode: a stratified, reproducible case sample for governance audit;
    writes sample.csv and the audit.xlsx checklist."""
    from optimiser.output import write_files
    from optimiser.review import ActivityError
    from optimiser.review.run import run_sample

    loaded = _staff_scenario(scenario, "case sampling")
    try:
        cases, files, table = run_sample(loaded, activity, size, seed)
    except ActivityError as exc:
        for problem in exc.problems:
            _err(f"error: {problem}")
        sys.exit(EXIT_BAD_INPUT)
    for problem in table.problems:
        _err(f"warning: {problem}")
    directory = _out_dir(out, scenario)
    write_files(directory, files, inputs=(*loaded.inputs, activity))
    reasons: dict[str, int] = {}
    for case in cases:
        key = case["reason"].split(":")[0].split(",")[0]
        reasons[key] = reasons.get(key, 0) + 1
    click.echo(
        f"sampled {len(cases)} case(s) of {len(table.frame)} activity rows (seed {seed}): "
        + ", ".join(f"{n} {k}" for k, n in sorted(reasons.items()))
    )
    click.echo(f"wrote {directory}/sample.csv, audit.xlsx")


@main.command("synth-activity")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--weeks", type=click.IntRange(min=1, max=104), default=13, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--people-scale", type=_Finite(min=0.01, max=100), default=1.0,
              show_default=True, help="Scale every segment's people.")  # fmt: skip
@_OUT_OPTION
@handle_errors
def synth_activity_command(
    scenario: str, weeks: int, seed: int, people_scale: float, out: str | None
) -> None:
    """Staff mode: write a realistic synthetic quarter (ACTIVITY.csv, SUPERVISION.csv)
    starting on plan_date, for demos and tests."""
    from optimiser.output import write_files
    from optimiser.review.synthetic import SynthParams, synth_activity

    loaded = _staff_scenario(scenario, "synth-activity")
    activity, supervision = synth_activity(
        loaded, SynthParams(weeks=weeks, seed=seed, people_scale=people_scale)
    )
    directory = _out_dir(out, scenario)
    files = {"activity.csv": activity, "supervision.csv": supervision}
    write_files(directory, files, inputs=loaded.inputs)
    click.echo(
        f"wrote {directory}/activity.csv ({activity.count(chr(10)) - 1} rows), "
        f"supervision.csv ({supervision.count(chr(10)) - 1} rows)"
    )


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8321, show_default=True)
@click.option(
    "--data",
    default="skillmix-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder of the database and run files.",
)
@click.option("--database", default=None, help="A database URL (default: SQLite in --data).")
@click.option("--token", default=None, envvar="SKILLMIX_TOKEN",
              help="Access token, required on every request (also SKILLMIX_TOKEN).")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Background runs at a time.")  # fmt: skip
@handle_errors
def serve(
    host: str, port: int, data: str, database: str | None, token: str | None, workers: int
) -> None:
    """The planners' web app: upload and edit scenarios, plan, size, compare, see the
    register and the report, download every output. Binds 127.0.0.1 unless given a
    token."""
    if not _loopback(host) and not token:
        _err(
            f"error: refusing to bind {host}: beyond this machine every request must carry "
            "an access token (--token or SKILLMIX_TOKEN)"
        )
        sys.exit(EXIT_BAD_INPUT)
    import uvicorn

    from optimiser.web import create_app

    app = create_app(data, token=token, database=database, workers=workers)
    click.echo(f"skillmix serve: http://{host}:{port}/ (data in {data})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
