"""The package's shape: no import circles, and the export protocol imported only by what
makes exports (reads of the cap go through quota.caps)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import quota

ROOT = Path(quota.__file__).parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.ImportFrom | ast.Import]:
    """Every import that runs (at module level or in a function), not those under
    `if TYPE_CHECKING:`, which only the type checker reads."""
    out: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append(child)
            visit(child)

    visit(tree)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in _runtime_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("quota"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[name].add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.startswith("quota"))
    return {m: {t for t in graph[m] if t in modules and t != m} for m in modules}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_module_of_quota_imports_itself_in_a_circle() -> None:
    graph = import_graph()
    assert len(graph) > 50 and "quota.caps" in graph["quota.exports"]
    assert circles(graph) == []


def test_a_circle_is_found_when_there_is_one() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_what_makes_exports_imports_the_export_protocol() -> None:
    graph = import_graph()
    importers = {m for m, targets in graph.items() if "quota.exports" in targets}
    assert importers <= {"quota", "quota.api", "quota.requests", "quota.cli.exports"}, importers


def test_time_helpers_are_imported_from_times_only() -> None:
    helpers = {"iso", "utc_naive", "parse_iso", "in_range", "CLOCK_SLACK"}
    elsewhere = []
    for path in ROOT.rglob("*.py"):
        for node in _runtime_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "quota.times":
                names = {a.name for a in node.names} & helpers
                if names and node.module.startswith("quota"):
                    elsewhere.append(f"{_module(path)}: from {node.module} import {', '.join(sorted(names))}")
    assert elsewhere == []


# The strip engine's in-memory queries stay with the engine; the ledger's live in named queries.
# web/state.py: the portal's own SQLite file (sessions, password hashes), not the ledger.
ENGINE = ("stripping.py", "choosing.py", "output.py", "scratch.py", "readers/", "store/", "web/state.py")
ONE_LINERS = {"names.py"}  # SELECT {column} FROM {table}: the names a "did you mean" compares
_SQL = re.compile(r"\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE)\s")


def inline_ledger_sql() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(ENGINE) or rel in ONE_LINERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                text = str(node.values[0].value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if _SQL.match(text):
                found.append(f"{rel}:{node.lineno}")
    return found


def test_the_ledgers_sql_lives_in_named_queries() -> None:
    """Outside the store and the strip engine, the library names its queries
    (quota/store/sql/*/queries/*.sql) rather than writing SQL inline."""
    assert inline_ledger_sql() == []
