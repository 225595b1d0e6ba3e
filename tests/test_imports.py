"""No import cycles inside the ``sim`` package.

Every module of ``sim/`` is parsed with ``ast``; an edge ``a -> b`` is any
import of ``sim.b`` by ``sim.a``, at module level or inside a function (both
run sooner or later). Imports under ``if TYPE_CHECKING:`` never run and are
left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = "sim"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, modules: set[str]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere outside ``if TYPE_CHECKING:`` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                base = ".".join([PACKAGE, *module.split(".")[1:-1]][: max(1, module.count(".") + 1 - node.level)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # from sim import model
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in modules and name != module}


def import_graph(package_dir: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """``{module: modules of the package it imports}`` for every ``.py`` file of ``package_dir``."""
    files = {f"{package}.{path.stem}": path for path in sorted(package_dir.glob("*.py")) if path.stem != "__init__"}
    modules = set(files)
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), name, modules)
            for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_sim_has_no_import_cycle():
    graph = import_graph(PROJECT / PACKAGE)
    assert len(graph) > 20 and graph["sim.cli"], "the graph must cover the package"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_scenario_loader_reads_no_calibration():
    graph = import_graph(PROJECT / PACKAGE)
    seen, todo = set(), ["sim.scenario"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    assert "sim.calibration" not in seen and "sim.model" not in seen


def _package(tmp_path, sources: dict[str, str]) -> Path:
    folder = tmp_path / PACKAGE
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for name, text in sources.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_the_check_finds_function_level_cycles_and_names_them(tmp_path):
    folder = _package(tmp_path, {
        "a": "from sim.b import x\n",
        "b": "def f():\n    from sim import c\n",
        "c": "import sim.a\n",
        "d": "import numpy\n",
    })
    graph = import_graph(folder)
    assert graph["sim.a"] == {"sim.b"} and graph["sim.b"] == {"sim.c"} and graph["sim.d"] == set()
    assert find_cycle(graph) == ["sim.a", "sim.b", "sim.c", "sim.a"]


def test_the_check_ignores_type_checking_imports_only(tmp_path):
    folder = _package(tmp_path, {
        "a": "from sim.b import x\n",
        "b": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.a import A\n"
              "else:\n    from sim import c\n"),
        "c": "from . import a\n",
    })
    graph = import_graph(folder)
    assert graph["sim.b"] == {"sim.c"} and graph["sim.c"] == {"sim.a"}
    assert find_cycle(graph) == ["sim.a", "sim.b", "sim.c", "sim.a"]
    (folder / "c.py").write_text("import os\n")
    assert find_cycle(import_graph(folder)) is None
