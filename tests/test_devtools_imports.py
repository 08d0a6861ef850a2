"""The devtools library modules import each other one way only; command lines live in their own modules."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LIBRARY = ("snapshots", "template_review", "replacement_properties", "synth", "risks", "release_plan")


def devtools_imports(module: str) -> set[str]:
    """Every devtools module ``module`` imports, at the top or inside a function."""
    folder = ROOT / "devtools" if module == "synth" else ROOT / "devtools" / "review"
    tree = ast.parse((folder / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("devtools."):
                found.add(node.module.split(".")[-1])
            if node.module in ("devtools", "devtools.review"):
                found.update(alias.name for alias in node.names)
    return found


def test_the_library_modules_have_no_import_cycle():
    graph = {module: devtools_imports(module) & set(LIBRARY) for module in LIBRARY}
    visiting, done = set(), set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in visiting, " -> ".join((*path, module))
        if module in done:
            return
        visiting.add(module)
        for imported in graph[module]:
            visit(imported, (*path, module))
        visiting.discard(module)
        done.add(module)

    for module in LIBRARY:
        visit(module, ())


def test_no_library_module_imports_the_command_line():
    assert all("cli" not in devtools_imports(module) for module in LIBRARY)
    assert Path(ROOT / "devtools" / "review" / "cli.py").is_file()
