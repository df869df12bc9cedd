"""The GAP engine's HiGHS branch and cut in a child process (``highspy``).

The child (:mod:`gap_highs_worker`, run as a script) uses the ``highspy``
package, a newer HiGHS than the one bundled in OR-Tools, which proves the
benchmark instances about twice as fast; the two cannot share a process.  This
module starts the child, passes the child's improving solutions to a
callback, and collects its final result as a :class:`MipResult`.

If ``highspy`` is not installed or the child fails, :func:`available` is
false or :meth:`HighsChild.result` returns ``None``, and the engine falls back
to HiGHS through MathOpt in a thread.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from gapengine.gap_solvers import MipResult

__all__ = ["HighsChild", "available"]

WORKER = Path(__file__).with_name("gap_highs_worker.py")


def available() -> bool:
    """Whether ``highspy`` is installed (without importing it here)."""
    return importlib.util.find_spec("highspy") is not None


def _send(pipe: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(struct.pack(">I", len(data)) + data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> tuple[Any, ...] | None:
    head = pipe.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    body = pipe.read(size)
    if len(body) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(body)  # noqa: S301 (our own child)
    return message


class HighsChild:
    """One branch and cut run in a child process.

    Parameters
    ----------
    costs, weights, capacities, allowed, capacitated
        The engine's minimisation form.
    time_limit
        HiGHS's own time limit, in seconds.
    seed
        HiGHS's random seed.
    on_solution
        Called (in a reader thread) with every improving assignment HiGHS finds.
    on_done
        Called (in the reader thread) with HiGHS's final status: ``"optimal"``,
        ``"infeasible"``, ``"time_limit"``, ``"interrupted"`` or ``"other"``,
        ``"failed"`` if the child ended without a result, or ``"abandoned"``
        if :meth:`result` killed it for want of time.
    """

    def __init__(
        self,
        costs: np.ndarray,
        weights: np.ndarray,
        capacities: np.ndarray,
        allowed: np.ndarray,
        capacitated: np.ndarray,
        time_limit: float,
        seed: int,
        on_solution: Callable[[np.ndarray], None],
        on_done: Callable[[str], None] | None = None,
    ) -> None:
        self._costs = costs
        self._on_solution = on_solution
        self._on_done = on_done
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._final: tuple[Any, ...] | None = None
        self.stats: dict[str, float] = {}
        self.bound = -math.inf  # HiGHS's dual bound as last reported
        self._paused = False
        self._stop_sent = False
        self.abandoned = False  # killed before it answered (see result)
        self._proc = subprocess.Popen(  # noqa: S603 (our own script, no shell)
            [sys.executable, "-P", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin: IO[bytes] = self._proc.stdin
        job = {
            "costs": costs, "weights": weights, "capacities": capacities,
            "allowed": allowed, "capacitated": capacitated,
            "time_limit": time_limit, "seed": seed,
        }  # fmt: skip
        self._write(("job", job))
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True)
        self._reader.start()

    def _write(self, message: tuple[Any, ...]) -> None:
        # If the child has ended, its result (or its absence) says the rest.
        with self._lock, contextlib.suppress(OSError, ValueError):
            _send(self._stdin, message)

    def _read(self, pipe: IO[bytes]) -> None:
        try:
            while True:
                message = _receive(pipe)
                if message is None:
                    return
                if message[0] == "solution":
                    self._on_solution(np.asarray(message[1], dtype=np.int64))
                elif message[0] == "bound":
                    self.bound = float(message[1])
                elif message[0] == "done":
                    self._final = message
                    if self._on_done is not None:
                        self._on_done(str(message[1]))
                    return
        finally:
            if self._final is None and self._on_done is not None:
                self._on_done("abandoned" if self.abandoned else "failed")
            self._done.set()

    def stop(self) -> None:
        """Ask HiGHS to stop at its next interrupt check."""
        self.resume()
        self._stop_sent = True
        self._write(("stop",))

    def pause(self) -> bool:
        """Suspend the child (POSIX: SIGSTOP), freeing its core; true if it was."""
        if not hasattr(signal, "SIGSTOP") or self._done.is_set():
            return False
        with contextlib.suppress(OSError):
            os.kill(self._proc.pid, signal.SIGSTOP)
            self._paused = True
        return self._paused

    def resume(self) -> None:
        """Let a suspended child go on (HiGHS's clock ran on meanwhile)."""
        if self._paused:
            with contextlib.suppress(OSError):
                os.kill(self._proc.pid, signal.SIGCONT)
            self._paused = False

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the result; true if it came."""
        return self._done.wait(max(timeout, 0.0))

    def result(self, grace: float = 2.0) -> MipResult | None:
        """The final result (``None`` if the child failed or was abandoned); ends the child.

        Waits up to ``grace`` seconds; if HiGHS was not yet asked to stop, asks
        and waits up to ``grace`` more.  A child that has not answered by then
        is killed (:attr:`abandoned`; :attr:`bound` keeps its last report).
        """
        if not self._done.wait(grace) and not self._stop_sent:
            self.stop()
            self._done.wait(grace)
        if not self._done.is_set():
            self.abandoned = True
        with self._lock, contextlib.suppress(OSError):
            self._stdin.close()
        if self._final is not None or self.abandoned:
            self._proc.kill()  # its result is in (or too late): no need to wait for it to exit
        try:
            self._proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._final is None:
            return None
        _, status, _, bound, assignment, stats = self._final
        self.stats = dict(stats)
        if assignment is None:
            infeasible = status == "infeasible"
            return MipResult(
                None, math.inf, math.inf if infeasible else bound, infeasible, infeasible
            )
        assignment = np.asarray(assignment, dtype=np.int64)
        objective = float(self._costs[assignment, np.arange(len(assignment))].sum())
        proved = status == "optimal"
        return MipResult(assignment, objective, objective if proved else bound, proved, False)
