"""Progress bars on stderr for the stages that can take more than a second.

One small wrapper over ``rich.progress`` used by the what-if executors, the
per-entry mitigations, the mitigation package and the caseload solve's
stages; disabled, it costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress:
    """A ``rich`` progress bar on stderr, or nothing (``enabled=False``)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    @contextmanager
    def task(self, description: str, total: int, eta: bool = True) -> Iterator[Advance]:
        """A bar for ``total`` items; yields ``advance(n, description=None)`` (a new
        ``description``: the step now running).  ``eta``: show the time left
        (not where the items take very different times)."""
        if not self.enabled or total <= 0:
            yield _ignore
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn()]  # fmt: skip
        if eta:
            columns.append(TimeRemainingColumn())
        bar = RichProgress(*columns, console=Console(stderr=True), transient=True)
        with bar:
            task_id = bar.add_task(description, total=total)

            def advance(n: int, description: str | None = None) -> None:
                bar.update(task_id, advance=n, description=description)

            yield advance


class Advance(Protocol):
    """What :meth:`Progress.task` yields: ``advance(n)``, or with a new label."""

    def __call__(self, n: int, description: str | None = None) -> None: ...


def _ignore(n: int, description: str | None = None) -> None:
    """The disabled bar's ``advance``."""
