"""The house is one-way: no import cycle in ``optimiser/``, layers import downwards only,
and no function-local import of the package dodges either rule.

Read from the source with :mod:`ast` (nothing is imported), so the test also
sees imports inside functions.  ``if TYPE_CHECKING:`` blocks are left out: they
never run.  The layers are drawn in ``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "optimiser"

#: lowest first; a module may import its own layer or a lower one
LAYERS: tuple[tuple[str, ...], ...] = (
    ("optimiser", "io", "progress", "penalties", "check", "status"),
    ("scenario",),
    ("demand", "bounds", "competencies"),
    ("model",),
    ("plan",),
    ("categories", "risks"),
    ("solve", "summary", "output"),
    ("whatif", "report"),
    ("pipeline",),
    ("review", "caseload"),
    ("web", "terminal"),
)

#: third-party packages imported inside a function on purpose: they are heavy and
#: only some commands need them (start-up time of ``skillmix validate`` etc.)
LAZY_THIRD_PARTY = {"openpyxl", "rich", "dask", "ortools.sat"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> list[tuple[ast.Import | ast.ImportFrom, bool, str]]:
    """(node, inside a function, absolute module name) for every import that runs."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[ast.Import | ast.ImportFrom, bool, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, in_function)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((child, in_function, alias.name))
            elif isinstance(child, ast.ImportFrom):
                name = child.module or ""
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    name = ".".join([*base, name] if name else base)
                found.append((child, in_function, name))
                for alias in child.names:  # ``from optimiser.web import pages``
                    found.append((child, in_function, f"{name}.{alias.name}"))
            visit(
                child,
                in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)),
            )

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for _, _, target in _imports(module, path):
            if target in modules and target != module:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "optimiser"
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py")


def test_no_import_cycle_in_the_package() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_layers_import_downwards_only() -> None:
    upward = [
        f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})"
        for m, targets in _graph().items()
        for t in targets
        if _layer(t) > _layer(m)
    ]
    assert upward == []


def test_no_function_local_import_of_the_package() -> None:
    modules = _modules()
    local = []
    for module, path in modules.items():
        for node, in_function, target in _imports(module, path):
            lazy = any(target == p or target.startswith(p + ".") for p in LAZY_THIRD_PARTY)
            if in_function and not lazy:
                local.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {target}")
    assert local == []

