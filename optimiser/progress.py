"""Progress bars on stderr for the stages that can take more than a second.

One small wrapper over ``rich.progress`` used by the what-if executors, the
per-entry mitigations and the mitigation package; disabled, it costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Progress:
    """A ``rich`` progress bar on stderr, or nothing (``enabled=False``)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A bar for ``total`` items; yields ``advance(n)``."""
        if not self.enabled or total <= 0:
            yield lambda n: None
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

        bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        with bar:
            task_id = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task_id, n)
