"""HiGHS branch and cut for the GAP engine, run as a child process.

``python -P gap_highs_worker.py`` reads a job from stdin and writes messages to
stdout, each a 4-byte big-endian length and a pickled tuple:

* in: ``("job", dict)`` first (arrays of the engine's minimisation form,
  ``time_limit``, ``seed``), then ``("stop",)``
  (or the end of input) to interrupt HiGHS;
* out: ``("solution", assignment)`` for every improving solution HiGHS finds,
  then ``("done", status, objective, bound, assignment | None, stats)``.

It runs in its own process because the ``highspy`` package and OR-Tools (which
bundles an older HiGHS) cannot be loaded in one process.  It imports neither
OR-Tools nor anything of ``optimiser``, only NumPy and ``highspy``.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import time
from typing import IO, Any

import highspy
import numpy as np

REPORT_EVERY = 0.5  # seconds between dual-bound reports


def send(out: IO[bytes], lock: threading.Lock, message: tuple[Any, ...]) -> None:
    """Write one framed message."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:
        out.write(struct.pack(">I", len(data)) + data)
        out.flush()


def receive(inp: IO[bytes]) -> tuple[Any, ...] | None:
    """Read one framed message (``None`` at end of input)."""
    head = inp.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    message: tuple[Any, ...] = pickle.loads(inp.read(size))  # noqa: S301 (our own parent)
    return message


class _Model:
    """The MILP with one binary column per allowed (agent, job) pair.

    Columns by agent then job, assignment rows then capacity rows, HiGHS's
    default options but ``mip_rel_gap = 0``: with every pair allowed, the
    textbook model of the benchmark's plain HiGHS baseline.
    """

    def __init__(self, job: dict[str, Any]) -> None:
        costs = np.asarray(job["costs"], dtype=float)
        weights = np.asarray(job["weights"], dtype=float)
        capacities = np.asarray(job["capacities"], dtype=float)
        allowed = np.asarray(job["allowed"], dtype=bool)
        capacitated = np.asarray(job["capacitated"], dtype=bool)
        m, n = costs.shape
        self.m, self.n = m, n
        agents, jobs = np.nonzero(allowed)  # column order: by agent, then job
        self.col_agent, self.col_job = agents.astype(np.int64), jobs.astype(np.int64)
        self.index = np.full((m, n), -1, dtype=np.int64)
        self.index[agents, jobs] = np.arange(len(agents))
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("random_seed", int(job["seed"]))
        h.setOptionValue("time_limit", max(float(job["time_limit"]), 0.0))
        ncol = len(agents)
        empty_i = np.array([], dtype=np.int32)
        h.addCols(
            ncol, costs[agents, jobs], np.zeros(ncol), np.ones(ncol), 0,
            empty_i, empty_i, np.array([], dtype=float),
        )  # fmt: skip
        h.changeColsIntegrality(
            ncol, np.arange(ncol, dtype=np.int32), np.full(ncol, highspy.HighsVarType.kInteger)
        )
        # gap_assign_j: the columns of job j, by agent
        by_job = np.argsort(jobs, kind="stable")
        starts = np.searchsorted(jobs[by_job], np.arange(n)).astype(np.int32)
        h.addRows(
            n, np.ones(n), np.ones(n), ncol, starts,
            by_job.astype(np.int32), np.ones(ncol),
        )  # fmt: skip
        # gap_capacity_i for capacitated agents
        rows = [i for i in range(m) if capacitated[i]]
        idx: list[np.ndarray] = []
        val: list[np.ndarray] = []
        start: list[int] = []
        total = 0
        for i in rows:
            cols = self.index[i][self.index[i] >= 0]
            start.append(total)
            total += len(cols)
            idx.append(cols)
            val.append(weights[i, self.col_job[cols]])
        if rows:
            h.addRows(
                len(rows), np.full(len(rows), -highspy.kHighsInf), capacities[rows],
                total, np.array(start, dtype=np.int32),
                np.concatenate(idx).astype(np.int32), np.concatenate(val),
            )  # fmt: skip
        self.h = h

    def assignment(self, values: Any) -> np.ndarray | None:
        x = np.asarray(values, dtype=float)
        if len(x) != len(self.col_agent):
            return None
        out = np.full(self.n, -1, dtype=np.int64)
        chosen = x > 0.5
        out[self.col_job[chosen]] = self.col_agent[chosen]
        return None if (out < 0).any() else out


def main() -> None:
    """Serve one job (see the module docstring)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything HiGHS prints goes to stderr, not into the message stream
    inp = sys.stdin.buffer
    lock = threading.Lock()
    first = receive(inp)
    if first is None or first[0] != "job":
        return
    job = first[1]
    start = time.monotonic()
    model = _Model(job)
    h = model.h
    stop = threading.Event()

    def listen() -> None:
        while True:
            message = receive(inp)
            if message is None or message[0] == "stop":
                stop.set()
                return

    def on_improving(event: Any) -> None:
        found = model.assignment(event.data_out.mip_solution)
        if found is not None:
            send(out, lock, ("solution", found))

    last_report = [0.0]

    def on_interrupt(event: Any) -> None:
        if stop.is_set():
            event.data_in.user_interrupt = True
            return
        now = time.monotonic()
        if now - last_report[0] >= REPORT_EVERY:
            last_report[0] = now
            send(out, lock, ("bound", float(event.data_out.mip_dual_bound)))

    threading.Thread(target=listen, daemon=True).start()
    h.cbMipImprovingSolution += on_improving
    h.cbMipInterrupt += on_interrupt
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    names = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInterrupt: "interrupted",
    }
    found = model.assignment(h.getSolution().col_value) if info.primal_solution_status else None
    stats = {
        "highs_nodes": float(info.mip_node_count),
        "highs_child_seconds": time.monotonic() - start,
    }
    send(
        out, lock,
        ("done", names.get(status, "other"), float(info.objective_function_value),
         float(info.mip_dual_bound), found, stats),
    )  # fmt: skip


if __name__ == "__main__":
    main()
