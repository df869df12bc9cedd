"""The ``skillmix`` command line (PLAN.md).  Thin: parse, call the library, print.

Exit codes: 0 success (a plan with risks is a success), 2 bad input (a clear
message, no traceback), 1 internal error.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from optimiser.scenario import Scenario, ScenarioError, load_scenario

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def _err(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Map bad input to exit 2 and anything unexpected to exit 1, without tracebacks."""

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
            sys.exit(EXIT_BAD_INPUT if isinstance(exc, FileNotFoundError) else EXIT_INTERNAL)
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
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Output folder (default out/<scenario-file-stem>/).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds per solver call (default: prove optimality).",
)
@click.option("--strict", is_flag=True, help="Make every soft constraint hard.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Solver threads."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--no-mitigations", is_flag=True, help="Skip the costed mitigations (faster).")
@handle_errors
def solve(
    scenario: str,
    out: str | None,
    time_limit: float | None,
    strict: bool,
    workers: int,
    seed: int,
    no_mitigations: bool,
) -> None:
    """Plan the team of SCENARIO and write plan.json, allocation.csv, risks.csv and
    utilisation.csv."""
    from optimiser.output import plan_files, write_files
    from optimiser.solve import SolveParams
    from optimiser.solve import solve as run_solve
    from optimiser.summary import print_summary

    loaded = _load(scenario)
    params = SolveParams(
        strict=strict,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        mitigations=not no_mitigations,
    )
    plan = run_solve(loaded, params)
    directory = _out_dir(out, scenario)
    write_files(directory, plan_files(plan))
    print_summary(plan, directory)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Output folder (default out/<scenario-file-stem>/).",
)
@handle_errors
def competencies(scenario: str, out: str | None) -> None:
    """Staff mode: the competency dashboard of SCENARIO (competencies.csv and a
    person x competency grid)."""
    from optimiser.competencies import dashboard
    from optimiser.output import csv_text, write_files
    from optimiser.summary import print_competency_grid

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
    write_files(directory, {"competencies.csv": csv_text([c.row() for c in cells], columns)})
    print_competency_grid(loaded, cells)
    click.echo(f"wrote {directory}/competencies.csv")


if __name__ == "__main__":  # pragma: no cover
    main()
