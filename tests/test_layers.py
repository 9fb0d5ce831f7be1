"""The library's folders are layers: each imports only the ones below it.

wire (sans I/O) <- link (one connection) <- session (policy); cloud beside them;
errors is shared by all. No module of the library imports Home Assistant, and
no import goes in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).parent.parent / "custom_components/tedee_bluetooth/tedee"
MAY_IMPORT = {
    "wire": {"wire", "errors"},
    "link": {"link", "wire", "errors"},
    "session": {"session", "link", "wire", "errors"},
    "cloud": {"cloud", "wire", "errors"},
}


def _library_imports(path: Path) -> set[str]:
    """The library modules ``path`` imports, as 'layer.module'."""
    here = path.relative_to(LIBRARY).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[:-1])[: len(here) - node.level]
            target = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(target))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            assert not any(n.startswith("homeassistant") for n in names), path
    return found


def test_each_layer_imports_only_the_layers_below() -> None:
    wrong = {}
    for path in LIBRARY.rglob("*.py"):
        layer = path.relative_to(LIBRARY).parts[0]
        if layer not in MAY_IMPORT:
            continue  # the package's front door and errors.py
        for target in _library_imports(path):
            if target.split(".")[0] not in MAY_IMPORT[layer]:
                wrong[str(path.relative_to(LIBRARY))] = target
    assert wrong == {}


def test_no_import_goes_in_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in LIBRARY.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        name = ".".join(path.relative_to(LIBRARY).with_suffix("").parts)
        graph[name] = {t for t in _library_imports(path) if not t.endswith("__init__")}
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        assert node not in trail, " -> ".join([*trail, node])
        if node in done or node not in graph:
            return
        for target in graph[node]:
            visit(target, [*trail, node])
        done.add(node)

    for node in graph:
        visit(node, [])
