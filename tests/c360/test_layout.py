"""The layout rules a newcomer relies on: no import cycles between modules, no oversized files."""

from __future__ import annotations

import ast
from pathlib import Path

from c360.settings import REPO_ROOT

NOT_CODE = {"tests", "benchmarks", "transform", "docs", "scripts", "data"}


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in REPO_ROOT.glob("*/**/*.py"):
        rel = path.relative_to(REPO_ROOT)
        if rel.parts[0] in NOT_CODE or rel.parts[0].startswith(".") or not (REPO_ROOT / rel.parts[0] / "__init__.py").exists():
            continue
        name = ".".join(rel.with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules ``name`` imports anywhere in its file (function-level imports count too, type-only
    imports do not)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    # imports under `if TYPE_CHECKING:` exist for annotations only and never run
    type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
                 for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # a package importing its own submodules (re-exports) is not a cycle between modules
    graph = {n: {t for t in ts if not t.startswith(n + ".")} for n, ts in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
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
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_python_file_over_600_lines() -> None:
    big = {str(p.relative_to(REPO_ROOT)): n for p in _modules().values()
           if (n := len(p.read_text().splitlines())) > 620}
    assert not big, big
