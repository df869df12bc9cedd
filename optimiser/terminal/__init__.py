"""The terminal: every summary a command prints, and the one console they print to.

Role-level only: people-level rows stay in the files the user asked for.
Modules by command family: :mod:`.plan` (solve, competencies),
:mod:`.whatif` (size, compare, resilience, simulate), :mod:`.review`,
:mod:`.caseload`.  Progress bars on stderr are :mod:`optimiser.progress`.
"""

from __future__ import annotations

import sys

from rich.console import Console

#: the width of a summary written to a file or pipe (a terminal uses its own)
PIPE_WIDTH = 140


def console() -> Console:
    """A console on standard output: the terminal's width, or :data:`PIPE_WIDTH`."""
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)
