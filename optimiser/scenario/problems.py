"""Problems found in a scenario, and where in which file they were found.

A :class:`Problem` points at a file, a key path (``tasks.risk_review.hours``)
and, when known, a line. :class:`LocTree` carries those locations alongside
the parsed data, through ``extends`` merging, to the point where pydantic and
the cross-reference checks report against key paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Key = str | int
"""One step of a key path: a mapping key (str) or a list index (int)."""

KeyPath = tuple[Key, ...]


def format_path(path: Sequence[Key]) -> str:
    """Render a key path in dotted form with list indices in brackets.

    Parameters
    ----------
    path
        Keys and list indices from the document root.

    Returns
    -------
    str
        For example ``"cohort[2].people"``; ``""`` for the root.
    """
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in a scenario.

    Attributes
    ----------
    file
        The file the problem is in, as the path was given (or derived from an
        ``extends`` / CSV reference).
    path
        Dotted key path, list indices in brackets; ``""`` for whole-file
        problems.
    line
        1-based line number, or ``None`` when not known (JSON keys).
    message
        What is wrong and what was expected, in plain words.
    """

    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded.

    Parameters
    ----------
    problems
        Every problem found; ``str(err)`` has one line per problem.
    """

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        # Picklable as itself (e.g. raised in a worker process of ``simulate``).
        return (type(self), (self.problems,))


@dataclass(frozen=True)
class Loc:
    """Where a value was written: file, line and (for CSV) column."""

    file: str
    line: int | None
    column: str | None = None


@dataclass
class LocTree:
    """Locations of a parsed document, mirroring its nesting."""

    loc: Loc
    children: dict[Key, LocTree] = field(default_factory=dict)

    def find(self, path: Sequence[Key]) -> Loc:
        """Return the location of ``path``, or of its nearest recorded ancestor."""
        node = self
        for key in path:
            child = node.children.get(key)
            if child is None:
                break
            node = child
        return node.loc

    def problem(self, path: Sequence[Key], message: str) -> Problem:
        """Build a :class:`Problem` at ``path`` with the recorded file and line."""
        loc = self.find(path)
        if loc.column is not None:
            message = f"column '{loc.column}': {message}"
        return Problem(loc.file, format_path(path), loc.line, message)

    def uniform(self, data: object) -> LocTree:
        """Give every key path of ``data`` this tree's location (used for JSON)."""
        if isinstance(data, dict):
            self.children = {k: LocTree(self.loc).uniform(v) for k, v in data.items()}
        elif isinstance(data, list):
            self.children = {i: LocTree(self.loc).uniform(v) for i, v in enumerate(data)}
        return self
