"""Reading generalized assignment instances (OR-Library and type E files).

Both formats are a stream of non-negative integers in which line breaks carry
no meaning (see ``shared/benchmarks/gap/README.md``):

* OR-Library set files (``gap1.txt`` ... ``gapd.txt``): ``P``, then ``P``
  problems, each ``m n``, the m x n cost matrix, the m x n weight matrix and
  the m capacities;
* single-instance files (type E, ``e05100`` ...): one problem without ``P``.

This module imports no solver, so scripts that must not load OR-Tools can use
it by path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RawGap", "instance_names", "parse_gap_text", "read_gap_file"]


@dataclass(frozen=True)
class RawGap:
    """One problem of a file: costs and weights (m x n), capacities (m)."""

    costs: np.ndarray
    weights: np.ndarray
    capacities: np.ndarray

    @property
    def m(self) -> int:
        """Number of agents."""
        return int(self.costs.shape[0])

    @property
    def n(self) -> int:
        """Number of jobs."""
        return int(self.costs.shape[1])


def _problem(tokens: list[int], pos: int, where: str) -> tuple[RawGap, int]:
    if pos + 2 > len(tokens):
        raise ValueError(f"{where}: file ends before the 'm n' header at token {pos}")
    m, n = tokens[pos], tokens[pos + 1]
    if m <= 0 or n <= 0:
        raise ValueError(f"{where}: expected positive 'm n' at token {pos}, got {m} {n}")
    size = 2 * m * n + m
    body = tokens[pos + 2 : pos + 2 + size]
    if len(body) != size:
        raise ValueError(
            f"{where}: problem with m={m}, n={n} needs {size} numbers after its header, "
            f"found {len(body)}"
        )
    arr = np.asarray(body, dtype=np.int64)
    costs = arr[: m * n].reshape(m, n)
    weights = arr[m * n : 2 * m * n].reshape(m, n)
    capacities = arr[2 * m * n :]
    return RawGap(costs, weights, capacities), pos + 2 + size


def parse_gap_text(text: str, where: str = "<text>") -> list[RawGap]:
    """Parse the text of a GAP file in either format.

    Parameters
    ----------
    text
        The whole file.
    where
        Name used in error messages (usually the path).

    Returns
    -------
    list of RawGap
        The problems in file order.
    """
    try:
        tokens = [int(tok) for tok in text.split()]
    except ValueError as exc:
        raise ValueError(f"{where}: expected integers only ({exc})") from None
    if len(tokens) < 3:
        raise ValueError(f"{where}: too short to be a GAP instance")
    m, n = tokens[0], tokens[1]
    if m > 0 and n > 0 and len(tokens) == 2 + 2 * m * n + m:
        return [_problem(tokens, 0, where)[0]]
    count = tokens[0]
    problems: list[RawGap] = []
    pos = 1
    for _ in range(count):
        problem, pos = _problem(tokens, pos, where)
        problems.append(problem)
    if pos != len(tokens):
        raise ValueError(f"{where}: {len(tokens) - pos} numbers left after {count} problems")
    return problems


def read_gap_file(path: str | Path) -> list[RawGap]:
    """Read every problem of an OR-Library or single-instance GAP file."""
    path = Path(path)
    return parse_gap_text(path.read_text(), where=str(path))


def instance_names(path: str | Path, problems: list[RawGap]) -> tuple[str, list[str]]:
    """The set name and instance names used by ``known_optima.csv``.

    ``gapK.txt`` holds ``c<m><n>-1`` ... (``c515-1``); ``gapa.txt`` ... ``gapd.txt``
    hold ``x<mm><n>`` (``a05100``); a single-instance file is named after itself
    and belongs to the set of its folder (``typeE/e05100``).
    """
    path = Path(path)
    stem = path.stem
    if len(problems) == 1 and not stem.startswith("gap"):
        return path.parent.name, [stem]
    if stem in ("gapa", "gapb", "gapc", "gapd"):
        letter = stem[-1]
        return stem, [f"{letter}{p.m:02d}{p.n}" for p in problems]
    return stem, [f"c{p.m}{p.n}-{k}" for k, p in enumerate(problems, start=1)]
