"""Reading one scenario file (YAML or JSON) safely, with the line of every key.

Hostile input is expected: files are size-capped, YAML aliases are counted as
they are composed so an alias bomb is rejected without being expanded, and
only plain YAML tags are accepted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .problems import Key, Loc, LocTree, Problem, format_path

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Files larger than this are rejected unread."""

MAX_NODES = 100_000
"""Most YAML nodes a document may expand to, counting every alias expansion."""

MAX_DEPTH = 50
"""Deepest nesting accepted; real scenarios are about six levels deep."""

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_SEQ_TAG = _CORE + "seq"
_MAP_TAG = _CORE + "map"
_MERGE_TAG = _CORE + "merge"
_VALUE_TAG = _CORE + "value"  # the bare scalar "="; read as text


class _Rejected(Exception):
    """Parsing stopped: the document is hostile or broken beyond repair."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return None if mark is None else mark.line + 1


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _CountingComposer(Composer):
    """A YAML composer that counts the expanded size of every node as it is composed.

    An alias adds the full size of the node it refers to, so a "billion
    laughs" document is caught after a few levels, long before anything is
    expanded. An alias to a node that is still being composed (a recursive
    structure) is rejected outright.
    """

    sizes: dict[int, int]

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self.sizes:
                raise _Rejected(
                    _line(event.start_mark),
                    f"recursive YAML alias '*{event.anchor}' (refers to itself)",
                )
        node = Composer.compose_node(self, parent, index)
        size = self.sizes.get(id(node))
        if size is None:
            if isinstance(node, SequenceNode):
                size = 1 + sum(self.sizes[id(child)] for child in node.value)
            elif isinstance(node, MappingNode):
                size = 1 + sum(self.sizes[id(k)] + self.sizes[id(v)] for k, v in node.value)
            else:
                size = 1
            self.sizes[id(node)] = size
        if size > MAX_NODES:
            raise _Rejected(
                _line(node),
                f"document expands to more than {MAX_NODES:,} YAML nodes "
                "(too many aliases or too large); refusing to expand it",
            )
        return node


try:
    from yaml.cyaml import CParser as _CParser  # libyaml events: ~10x faster to read
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None


if _CParser is not None:

    class _CountingLoader(_CountingComposer, _CParser, SafeConstructor, Resolver):
        """Safe loader on libyaml's parser: plain YAML tags only, aliases counted.

        The counting composer (Python) comes first in the MRO, so it is used
        instead of libyaml's own composer; libyaml only supplies the events.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.sizes = {}

else:  # pragma: no cover

    class _CountingLoader(_CountingComposer, yaml.SafeLoader):  # type: ignore[no-redef]
        """Safe loader (pure Python): plain YAML tags only, aliases counted."""

        def __init__(self, stream: str) -> None:
            yaml.SafeLoader.__init__(self, stream)
            self.sizes = {}


class _Converter:
    """Turns a composed YAML node tree into plain data plus a :class:`LocTree`."""

    def __init__(self, loader: _CountingLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.problems: list[Problem] = []

    def loc(self, node: Node) -> Loc:
        return Loc(self.file, _line(node))

    def complain(self, node: Node, path: tuple[Key, ...], message: str) -> None:
        self.problems.append(Problem(self.file, format_path(path), _line(node), message))

    def convert(self, node: Node, path: tuple[Key, ...] = ()) -> tuple[Any, LocTree]:
        depth = len(path)
        if depth > MAX_DEPTH:
            raise _Rejected(_line(node), f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ScalarNode):
            return self.scalar(node, path), LocTree(self.loc(node))
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self.complain(node, path, f"YAML tag '{_tag_name(node.tag)}' is not allowed")
            items: list[Any] = []
            tree = LocTree(self.loc(node))
            for index, child in enumerate(node.value):
                value, child_tree = self.convert(child, (*path, index))
                items.append(value)
                tree.children[index] = child_tree
            return items, tree
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        raise _Rejected(_line(node), "unsupported YAML node")  # pragma: no cover

    def scalar(self, node: ScalarNode, path: tuple[Key, ...]) -> Any:
        if node.tag == _VALUE_TAG:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            self.complain(node, path, f"YAML tag '{_tag_name(node.tag)}' is not allowed")
            return None
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            # E.g. 2027-04-31 or a 5000-digit number: keep the text, so that
            # validation reports it against what the key expects.
            return node.value

    def key(self, node: Node, path: tuple[Key, ...]) -> str | None:
        if not isinstance(node, ScalarNode):
            self.complain(node, path, "a key must be a plain name, not a list or mapping")
            return None
        if node.tag not in _SCALAR_TAGS and node.tag != _VALUE_TAG:
            self.complain(node, path, f"YAML tag '{_tag_name(node.tag)}' is not allowed")
            return None
        # Keys are ids: keep their text ("no", "2027", "on" stay strings).
        return str(node.value)

    def mapping(self, node: MappingNode, path: tuple[Key, ...]) -> tuple[dict[str, Any], LocTree]:
        if node.tag != _MAP_TAG:
            self.complain(node, path, f"YAML tag '{_tag_name(node.tag)}' is not allowed")
        data: dict[str, Any] = {}
        tree = LocTree(self.loc(node))
        first_line: dict[str, int | None] = {}
        merged: list[tuple[dict[str, Any], LocTree]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self.merge_sources(value_node, path))
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            value, child_tree = self.convert(value_node, (*path, key))
            if key in first_line:
                message = f"duplicate key '{key}' (first set at line {first_line[key]})"
                self.complain(key_node, (*path, key), message)
            first_line[key] = _line(key_node)
            data[key] = value
            child_tree.loc = self.loc(key_node)
            tree.children[key] = child_tree
        # YAML merge keys ("<<: *defaults"): explicit keys win, earlier sources win.
        for source, source_tree in merged:
            for key, value in source.items():
                if key not in data:
                    data[key] = value
                    tree.children[key] = source_tree.children[key]
        return data, tree

    def merge_sources(
        self, node: Node, path: tuple[Key, ...]
    ) -> list[tuple[dict[str, Any], LocTree]]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        out = []
        for item in nodes:
            if not isinstance(item, MappingNode):
                self.complain(item, path, "a YAML merge key '<<' must refer to a mapping")
                continue
            out.append(self.mapping(item, path))
        return out


def unreadable(path: Path, limit: int | None = None) -> str | None:
    """Why ``path`` is not a file we read (missing, not a regular file, larger than
    ``limit`` bytes), or ``None``.  May raise :class:`OSError`."""
    if not path.exists():
        return "file not found"
    if not path.is_file():
        return "not a regular file"
    if limit is not None and path.stat().st_size > limit:
        return f"file is larger than {limit // (1024 * 1024)} MB; refusing to read it"
    return None


#: a number as a spreadsheet writes one: digits, one decimal point, an exponent
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def decimal_number(text: str) -> float | None:
    """``text`` (surrounding spaces ignored) as a number, or ``None`` where it is
    not one as a spreadsheet writes it: Python's ``float`` also takes ``1_000``,
    ``nan``, ``inf`` and other scripts' digits."""
    text = text.strip()
    return float(text) if _DECIMAL.fullmatch(text) else None


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """Read a small UTF-8 text file, refusing anything but a small regular file.

    Parameters
    ----------
    path
        File to read.
    display
        How the file is named in problems.

    Returns
    -------
    tuple
        The text (``None`` on failure) and the problems found.
    """

    def fail(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display, "", None, message)]

    try:
        if (why := unreadable(path)) is not None:
            return fail(why)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return fail(f"cannot read file: {exc.strerror or exc}")
    if len(raw) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // (1024 * 1024)
        return fail(f"file is larger than {megabytes} MB; refusing to read it")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(display, "", line, "file is not valid UTF-8 text")]


def _depth_ok(data: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"


def _flow_depth(text: str) -> int:
    """Deepest nesting of flow brackets (``[`` / ``{``) outside quotes and comments.

    Only consulted once the YAML parser has failed, to tell a too-deep file
    from other syntax errors whatever words the installed PyYAML uses.
    """
    depth = deepest = 0
    quote = ""
    for line in text.splitlines():
        for i, char in enumerate(line):
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "#" and (i == 0 or line[i - 1].isspace()):
                break
            elif char in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif char in "]}":
                depth = max(depth - 1, 0)
        quote = "" if quote == "'" else quote
    return deepest


def _parse_yaml(text: str, display: str) -> tuple[Any, LocTree | None, list[Problem]]:
    loader = _CountingLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem(display, "", None, "file is empty")]
        converter = _Converter(loader, display)
        data, tree = converter.convert(node)
        tree.loc = Loc(display, None)  # whole-file problems carry no line
        return data, tree, converter.problems
    except _Rejected as exc:
        return None, None, [Problem(display, "", exc.line, exc.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if _flow_depth(text) > MAX_DEPTH:  # PyYAML's own nesting limit, worded its way
            return None, None, [Problem(display, "", _line(mark), _TOO_DEEP)]
        message = f"invalid YAML: {exc.problem or exc.context}"
        context_line = _line(exc.context_mark)
        if exc.problem and exc.context and context_line is not None:
            message += f" ({exc.context}, started at line {context_line})"
        return None, None, [Problem(display, "", _line(mark), message)]
    except yaml.YAMLError as exc:
        return None, None, [Problem(display, "", None, f"invalid YAML: {exc}")]
    except RecursionError:
        return None, None, [Problem(display, "", None, _TOO_DEEP)]
    finally:
        loader.dispose()


def _parse_json(text: str, display: str) -> tuple[Any, LocTree | None, list[Problem]]:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        return None, None, [Problem(display, "", exc.lineno, f"invalid JSON: {exc.msg}")]
    except RecursionError:
        return None, None, [Problem(display, "", None, _TOO_DEEP)]
    if not _depth_ok(data):
        return None, None, [Problem(display, "", None, _TOO_DEEP)]
    problems = [Problem(display, "", None, f"duplicate key '{key}'") for key in duplicates]
    return data, LocTree(Loc(display, None)).uniform(data), problems


def read_document(path: Path, display: str) -> tuple[Any, LocTree | None, list[Problem]]:
    """Read and parse one YAML or JSON scenario file.

    Parameters
    ----------
    path
        The file; its suffix chooses the format (``.yaml``/``.yml`` or ``.json``).
    display
        How the file is named in problems.

    Returns
    -------
    tuple
        The parsed data, its :class:`LocTree` (``None`` when parsing failed)
        and the problems found. The data is plain: dicts with ``str`` keys,
        lists, and scalars (``str``, ``int``, ``float``, ``bool``, ``None``,
        ``datetime.date``).
    """
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + JSON_SUFFIXES:
        message = f"unsupported file type '{path.suffix}' (expected .yaml, .yml or .json)"
        return None, None, [Problem(display, "", None, message)]
    text, problems = read_text(path, display)
    if text is None:
        return None, None, problems
    if suffix in JSON_SUFFIXES:
        return _parse_json(text, display)
    return _parse_yaml(text, display)
