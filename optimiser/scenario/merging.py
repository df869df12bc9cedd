"""``extends``: a scenario file that changes another one.

Maps are merged key by key, recursively; lists and scalars replace; a key set
to ``null`` deletes it. Locations travel with the data, so a key's location
is the file (and line) that last set it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .problems import LocTree, Problem
from .reading import read_document

MAX_CHAIN = 32
"""Longest ``extends`` chain accepted (a guard, not a design limit)."""


def _strip_nulls(data: dict[str, Any], tree: LocTree) -> tuple[dict[str, Any], LocTree]:
    out: dict[str, Any] = {}
    out_tree = LocTree(tree.loc)
    for key, value in data.items():
        child = tree.children.get(key, LocTree(tree.loc))
        if value is None:
            continue
        if isinstance(value, dict):
            value, child = _strip_nulls(value, child)
        out[key] = value
        out_tree.children[key] = child
    return out, out_tree


def merge(
    base: dict[str, Any], base_tree: LocTree, over: dict[str, Any], over_tree: LocTree
) -> tuple[dict[str, Any], LocTree]:
    """Merge ``over`` onto ``base`` without modifying either.

    Parameters
    ----------
    base, base_tree
        The extended document and its locations.
    over, over_tree
        The extending document and its locations.

    Returns
    -------
    tuple
        The merged document and its locations.
    """
    out = dict(base)
    out_tree = LocTree(over_tree.loc, dict(base_tree.children))
    for key, value in over.items():
        child = over_tree.children.get(key, LocTree(over_tree.loc))
        if value is None:
            out.pop(key, None)
            out_tree.children.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            base_child = base_tree.children.get(key, LocTree(base_tree.loc))
            out[key], merged_tree = merge(out[key], base_child, value, child)
            out_tree.children[key] = merged_tree
        elif isinstance(value, dict):
            out[key], out_tree.children[key] = _strip_nulls(value, child)
        else:
            out[key] = value
            out_tree.children[key] = child
    return out, out_tree


def read_with_extends(
    path: Path,
    display: str,
    chain: tuple[tuple[Path, str], ...] = (),
    read: list[Path] | None = None,
) -> tuple[Any, LocTree | None, list[Problem]]:
    """Read a scenario file and, recursively, the files it extends.

    Parameters
    ----------
    path
        The file to read.
    display
        How the file is named in problems.
    chain
        Files that (transitively) extend this one, outermost first; used to
        detect cycles.
    read
        When given, every file read is appended to it.

    Returns
    -------
    tuple
        The merged document (without ``extends``), its locations (``None``
        when it could not be read) and the problems found.
    """
    data, tree, problems = read_document(path, display)
    if read is not None:
        read.append(path)
    if tree is None or not isinstance(data, dict) or "extends" not in data:
        return data, tree, problems
    own = {k: v for k, v in data.items() if k != "extends"}
    own_tree = LocTree(tree.loc, {k: v for k, v in tree.children.items() if k != "extends"})
    target = data["extends"]
    if target is None:
        return own, own_tree, problems
    if not isinstance(target, str) or not target.strip():
        problems.append(tree.problem(("extends",), "must be the path of another scenario file"))
        return None, None, problems

    base_path = path.parent / target
    base_display = str(Path(display).parent / target)
    ancestry = (*chain, (path, display))
    resolved = base_path.resolve()
    for index, (ancestor, _) in enumerate(ancestry):
        if ancestor.resolve() == resolved:
            names = [name for _, name in ancestry[index:]] + [base_display]
            message = "extends cycle: " + " -> ".join(names)
            problems.append(tree.problem(("extends",), message))
            return None, None, problems
    if len(ancestry) > MAX_CHAIN:
        message = f"extends chain is longer than {MAX_CHAIN} files"
        problems.append(tree.problem(("extends",), message))
        return None, None, problems
    if not base_path.is_file():
        problems.append(tree.problem(("extends",), f"cannot read '{target}': file not found"))
        return None, None, problems

    base, base_tree, base_problems = read_with_extends(base_path, base_display, ancestry, read)
    problems.extend(base_problems)
    if base_tree is None:
        return None, None, problems
    if not isinstance(base, dict):
        problems.append(Problem(base_display, "", None, "an extended scenario must be a mapping"))
        return None, None, problems
    merged, merged_tree = merge(base, base_tree, own, own_tree)
    return merged, merged_tree, problems
