"""How the devtools packages depend on each other, read from every import (at the top or inside a function).

devtools.local (make serve) and devtools.review (make review) are unrelated tools: neither imports the
other. The emulator deploy drives the handlers as make serve does, so it may use devtools.local.
devtools.synth is shared and imports no package. make package (devtools.package) reads an assembly, and its
deploy uses the emulator. What the app is built from (app.py, stacks/,
constructs/) imports no devtools module. No module imports a command line, but the upgrade (make
deploy-local BASE=<rev>), which is deploy-local run twice, and there is no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The devtools packages each one may import (a package not listed here is checked for cycles only).
ALLOWED = {
    "synth": set(),
    "local": {"synth"},
    "review": {"synth"},
    "emulator": {"synth", "local"},
    # make package reads a synthesized assembly; its deploy uses the emulator and its smoke test.
    "package": {"synth", "emulator"},
}
COMMAND_LINES = {"devtools.review.cli", "devtools.local.invoke", "devtools.emulator.local_deploy", "devtools.emulator.upgrade",
                 "devtools.emulator.__main__", "devtools.package.__main__", "devtools.package.deploy"}
# The one exception: the upgrade deploys with local_deploy's deployments on its emulator, twice.
EXTENDS = {"devtools.emulator.upgrade": {"devtools.emulator.local_deploy"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


DEVTOOLS = {module_name(path): path for path in sorted((ROOT / "devtools").rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """Every devtools module the file imports; ``from package import module`` counts as the module."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
            source = ".".join(part for part in (base, node.module or "") if part)
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in DEVTOOLS else source)
    return {name for name in found if name == "devtools" or name.startswith("devtools.")}


GRAPH = {module: imported_modules(path) for module, path in DEVTOOLS.items()}


def package_of(module: str) -> str:
    """``devtools.local.serve`` -> ``local``; ``devtools.synth`` -> ``synth``."""
    return module.split(".")[1] if module.count(".") else ""


def test_the_walk_sees_every_kind_of_import():
    # Without this, an import walk that found nothing would pass every test below.
    assert "devtools.local.events" in GRAPH["devtools.local.serve"]  # from devtools.local.events import ...
    assert "devtools.local.auth" in GRAPH["devtools.local.serve"]  # inside main()
    assert "devtools.review.replacement_properties" in GRAPH["devtools.review.template_review"]  # from devtools.review import module
    assert "devtools.local.runtime" in GRAPH["devtools.emulator.smoke"]  # inside a function, across packages
    assert {"local", "review", "emulator", "synth"} <= {package_of(m) for m in DEVTOOLS}


@pytest.mark.parametrize(("importer", "imported"), [("local", "review"), ("review", "local")])
def test_review_and_local_do_not_import_each_other(importer, imported):
    crossing = sorted((module, target) for module, targets in GRAPH.items() if package_of(module) == importer
                      for target in targets if package_of(target) == imported)
    assert crossing == []


def test_each_package_imports_only_the_packages_it_may():
    crossing = sorted(
        (module, target) for module, targets in GRAPH.items() if package_of(module) in ALLOWED
        for target in targets
        if package_of(target) != package_of(module) and package_of(target) not in ALLOWED[package_of(module)]
    )
    assert crossing == []


def test_the_app_stacks_and_constructs_import_no_devtools_module():
    app_sources = [ROOT / "app.py", *sorted((ROOT / "stacks").rglob("*.py")), *sorted((ROOT / "constructs").rglob("*.py"))]
    importing = {str(path.relative_to(ROOT)): sorted(imported_modules(path)) for path in app_sources if imported_modules(path)}
    assert importing == {}


def test_no_devtools_module_imports_a_command_line():
    assert COMMAND_LINES <= set(DEVTOOLS)
    assert sorted((module, target) for module, targets in GRAPH.items()
                  for target in targets & COMMAND_LINES - EXTENDS.get(module, set())) == []


def test_the_devtools_modules_have_no_import_cycle():
    visiting, done = set(), set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in visiting, " -> ".join((*path, module))
        if module in done:
            return
        visiting.add(module)
        for imported in sorted(GRAPH[module] & set(GRAPH)):
            visit(imported, (*path, module))
        visiting.discard(module)
        done.add(module)

    for module in GRAPH:
        visit(module, ())
