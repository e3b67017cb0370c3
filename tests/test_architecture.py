"""No import circle between any two modules of metrica, imports inside functions included.

`lint-imports` checks the layers and the circles between packages; inside the server,
features may depend on each other as packages, so this checks the finer grain for the
whole tree: a module never reaches itself through its imports.
"""

from __future__ import annotations

import grimp
from grimp import ImportGraph


def import_circles(graph: ImportGraph, package: str) -> list[list[str]]:
    """Groups of `package`'s modules that import each other in a circle (Tarjan's SCCs)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(f"{package}."))
    inside = set(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module) & inside):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return circles


def test_no_module_of_metrica_imports_itself_through_others() -> None:
    assert import_circles(grimp.build_graph("metrica"), "metrica") == []


def test_a_circle_hidden_in_a_function_import_is_found() -> None:
    graph = ImportGraph()
    for module in ("pkg", "pkg.count", "pkg.eval", "pkg.worker", "pkg.plain"):
        graph.add_module(module)
    graph.add_import(importer="pkg.count", imported="pkg.eval")
    graph.add_import(importer="pkg.eval", imported="pkg.worker")
    graph.add_import(importer="pkg.worker", imported="pkg.count")  # the hidden way back
    graph.add_import(importer="pkg.plain", imported="pkg.count")
    assert import_circles(graph, "pkg") == [["pkg.count", "pkg.eval", "pkg.worker"]]
