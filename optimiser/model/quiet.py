"""HiGHS' stray prints kept off standard output (both HiGHS front ends use it).

Its own module so that a command that needs only MathOpt (``caseload``) does not
load the linear-solver wrapper of :mod:`optimiser.model.lp`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

_STDOUT_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Keep HiGHS' C-level prints (``output_flag=false`` stops the banner and logs,
    not a few internal messages of its MIP solver) off file descriptor 1.

    A lock serialises the redirect: two threads solving at once would otherwise
    restore each other's descriptors in the wrong order.
    """
    with _STDOUT_LOCK:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
