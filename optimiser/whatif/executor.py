"""Where multi-plan what-if work runs: in this process, local processes or a Dask cluster.

Every what-if that re-plans many variants (simulate, resilience, compare,
the sizing frontier) is a pure function of ``(shared, item)``: the same
scenario data for every task, one item (a sample index, an absence, ...)
each.  An :class:`Executor` maps such a function over the items and returns
the results **in item order**, whatever ran them and in which order they
finished, so results are identical on every executor.

* :class:`SerialExecutor`: in this process (one worker, or tests).
* :class:`LocalExecutor`: ``concurrent.futures.ProcessPoolExecutor`` on all
  cores by default; items go in chunks so that a task is worth sending.
* :class:`DaskExecutor`: an existing ``dask.distributed`` cluster
  (``Client(address)``); the shared data is scattered to every worker once.

A ``rich`` progress bar (on stderr) follows the items as they finish.
"""

from __future__ import annotations

import math
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from optimiser.progress import Progress

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: chunks per worker: small enough to balance load, large enough to amortise sending
CHUNKS_PER_WORKER = 4

# OR-Tools' HiGHS wrapper silences the solver banner by redirecting file
# descriptor 1 around each solve; two threads doing that at once can leave
# stdout redirected for good.  Threads of one process (a Dask worker with
# threads, ``LocalCluster(processes=False)``) therefore run what-if tasks one
# at a time; separate processes are unaffected.
_SOLVE_LOCK = threading.Lock()


def available_cores() -> int:
    """Cores this process may use (CPU affinity where the platform reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_chunk(
    fn: Callable[[S, T], R], shared: S, chunk: Sequence[tuple[int, T]]
) -> list[tuple[int, R]]:
    """Run ``fn(shared, item)`` for each ``(index, item)`` of a chunk (in a worker)."""
    out = []
    for index, item in chunk:
        with _SOLVE_LOCK:
            out.append((index, fn(shared, item)))
    return out


def chunked(items: Sequence[T], workers: int) -> list[list[tuple[int, T]]]:
    """``(index, item)`` pairs in contiguous chunks, about ``CHUNKS_PER_WORKER`` per worker."""
    indexed = list(enumerate(items))
    if not indexed:
        return []
    size = max(1, math.ceil(len(indexed) / (max(1, workers) * CHUNKS_PER_WORKER)))
    return [indexed[i : i + size] for i in range(0, len(indexed), size)]


class Executor(ABC):
    """Maps ``fn(shared, item)`` over items; results in item order."""

    #: how many tasks run at once (for chunking and reports)
    workers: int = 1

    def __init__(self, progress: bool = False) -> None:
        self.progress = Progress(progress)

    @abstractmethod
    def map(
        self,
        fn: Callable[[S, T], R],
        shared: S,
        items: Sequence[T],
        description: str = "Planning",
    ) -> list[R]:
        """``[fn(shared, item) for item in items]``, computed where this executor runs.

        ``fn`` must be a module-level function (it is pickled), and ``shared``
        and the items picklable.
        """

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release workers or connections (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """Where the work runs, for reports."""
        return f"{type(self).__name__}({self.workers} workers)"


class SerialExecutor(Executor):
    """Everything in this process, one item after another."""

    workers = 1

    def map(
        self,
        fn: Callable[[S, T], R],
        shared: S,
        items: Sequence[T],
        description: str = "Planning",
    ) -> list[R]:
        out: list[R] = []
        with self.progress.task(description, len(items)) as advance:
            for item in items:
                out.append(fn(shared, item))
                advance(1)
        return out

    def describe(self) -> str:
        return "this process (1 worker)"


class LocalExecutor(Executor):
    """A pool of local processes (``ProcessPoolExecutor``), all cores by default."""

    def __init__(self, workers: int | None = None, progress: bool = False) -> None:
        super().__init__(progress)
        self.workers = max(1, workers or available_cores())

    def map(
        self,
        fn: Callable[[S, T], R],
        shared: S,
        items: Sequence[T],
        description: str = "Planning",
    ) -> list[R]:
        chunks = chunked(items, self.workers)
        results: list[tuple[int, R]] = []
        if not chunks:
            return []
        with (
            self.progress.task(description, len(items)) as advance,
            ProcessPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool,
        ):
            pending = {pool.submit(run_chunk, fn, shared, chunk) for chunk in chunks}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        part = future.result()
                        results.extend(part)
                        advance(len(part))
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return [r for _, r in sorted(results, key=lambda pair: pair[0])]

    def describe(self) -> str:
        return f"{self.workers} local process{'es' if self.workers != 1 else ''}"


class DaskExecutor(Executor):
    """An existing Dask distributed cluster.

    Parameters
    ----------
    address
        The scheduler address (``tcp://HOST:PORT``), or a ``dask.distributed.Client``
        the caller owns (left open on :meth:`close`).
    """

    def __init__(self, address: Any, progress: bool = False) -> None:
        super().__init__(progress)
        from dask.distributed import Client

        if isinstance(address, Client):
            self.client, self._owned = address, False
        else:
            self.client, self._owned = Client(address), True
        info = self.client.scheduler_info()
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        self.workers = max(1, threads)
        self.address = self.client.scheduler.address

    def map(
        self,
        fn: Callable[[S, T], R],
        shared: S,
        items: Sequence[T],
        description: str = "Planning",
    ) -> list[R]:
        from dask.distributed import as_completed

        chunks = chunked(items, self.workers)
        if not chunks:
            return []
        [shared_future] = self.client.scatter([shared], broadcast=True, hash=False)
        futures = [
            self.client.submit(run_chunk, fn, shared_future, chunk, pure=False) for chunk in chunks
        ]
        results: list[tuple[int, R]] = []
        try:
            with self.progress.task(description, len(items)) as advance:
                for future in as_completed(futures):
                    part = future.result()
                    results.extend(part)
                    advance(len(part))
        finally:
            self.client.cancel([*futures, shared_future])
        return [r for _, r in sorted(results, key=lambda pair: pair[0])]

    def close(self) -> None:
        if self._owned:
            self.client.close()
            self._owned = False

    def describe(self) -> str:
        return f"Dask cluster at {self.address} ({self.workers} worker threads)"


def make_executor(
    workers: int | None = None, scheduler: str | None = None, progress: bool = False
) -> Executor:
    """The executor for a command's options.

    Parameters
    ----------
    workers
        Local processes (default: every core); 1 runs in this process.
    scheduler
        ``tcp://HOST:PORT`` of a Dask scheduler; overrides ``workers``.
    progress
        Show a progress bar on stderr.
    """
    if scheduler:
        return DaskExecutor(scheduler, progress=progress)
    count = workers or available_cores()
    if count <= 1:
        return SerialExecutor(progress=progress)
    return LocalExecutor(count, progress=progress)
