"""The project's layering: no import cycles between its modules, and pure rules that read no files.

Both checks read the source with ``ast`` (nothing is imported), so they cover the Rasa-side packages
from the backend environment too. Every import statement counts, including those inside functions
and under ``TYPE_CHECKING``: a function-level import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("credit_backend", "actions", "assistant_nlu", "assistant_core", "bot")
RULES = ROOT / "credit_backend" / "rules"

# Modules whose job is input/output: the rules get their data as arguments instead.
IO_MODULES = frozenset(
    {
        "csv",
        "fastapi",
        "httpx",
        "importlib",
        "io",
        "json",
        "os",
        "pathlib",
        "pickle",
        "pkgutil",
        "requests",
        "shelve",
        "shutil",
        "socket",
        "sqlalchemy",
        "sqlite3",
        "tempfile",
        "tomllib",
        "urllib",
        "yaml",
    }
)
# Project packages that read files, databases or settings; the rules may name their types only.
IMPURE_PROJECT = (
    "credit_backend.api",
    "credit_backend.db",
    "credit_backend.models",
    "credit_backend.policy",
    "credit_backend.services",
    "credit_backend.settings",
    "credit_backend.startup",
)
FILE_METHODS = frozenset({"open", "read_bytes", "read_text", "write_bytes", "write_text"})


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → source file, for every ``.py`` file of the packages."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, path: Path, tree: ast.AST) -> Iterator[str]:
    """Every dotted name an import statement of the module may load, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield f"{base}.{alias.name}"  # a submodule, or else a name defined in ``base``
                yield base


def _owner(name: str, modules: Mapping[str, Path]) -> str | None:
    """The project module a dotted name lives in (the longest matching prefix), if any."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module → the project modules it imports anywhere in its source."""
    modules = project_modules(root, packages)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {_owner(name, modules) for name in _imported_names(module, path, tree)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            child = next(successors, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _type_checking_imports(tree: ast.AST) -> set[ast.AST]:
    """Import nodes inside ``if TYPE_CHECKING:`` blocks (names for annotations, never executed)."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(n for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom))
    return nodes


def impurities(path: Path) -> list[str]:
    """What makes a rules module impure: file reads and imports of I/O or impure project modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    annotations_only = _type_checking_imports(tree)
    problems: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        where = f"{path.name}:{line}"
        if isinstance(node, ast.Import | ast.ImportFrom) and node not in annotations_only:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in IO_MODULES or name.startswith(IMPURE_PROJECT):
                    problems.append((line, f"{where} imports {name}"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                problems.append((line, f"{where} calls open()"))
            elif isinstance(func, ast.Attribute) and func.attr in FILE_METHODS:
                problems.append((line, f"{where} calls .{func.attr}()"))
    return [text for _, text in sorted(problems)]


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_graph(ROOT, PACKAGES))
    assert cycles == [], "modules that import each other (directly or around a circle): " + "; ".join(
        " ↔ ".join(c) for c in cycles
    )


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_rules_are_pure(path: Path) -> None:
    assert impurities(path) == []


# --- the checks themselves ---------------------------------------------------------------------


def _tree(root: Path, files: Mapping[str, str]) -> Path:
    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    return root


def test_a_function_level_cycle_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import f\n",
            "pkg/b.py": "def f():\n    from . import a\n",
            "pkg/c.py": "import pkg.a\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/d.py": "from ..c import x\n",
        },
    )
    graph = import_graph(root, ["pkg"])
    assert graph["pkg.sub.d"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]


def test_file_reads_and_io_imports_are_found(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import yaml\n"
        "from pathlib import Path\n"
        "from credit_backend.policy.loader import load_policy\n"
        "if TYPE_CHECKING:\n"
        "    from credit_backend.policy.loader import Policy\n"
        "def f(p):\n"
        "    return open(p).read() + p.read_text()\n"
    )
    path = _tree(tmp_path, {"rule.py": source}) / "rule.py"
    assert impurities(path) == [
        "rule.py:2 imports yaml",
        "rule.py:3 imports pathlib",
        "rule.py:4 imports credit_backend.policy.loader",
        "rule.py:8 calls .read_text()",
        "rule.py:8 calls open()",
    ]
