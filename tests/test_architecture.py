"""The dependency rules of DESIGN.md, checked on the source (no import circles, ever)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("envpetition", "ingest", "dispatch", "monitoring", "dashboard")
FORBIDDEN = {
    "envpetition": {"ingest", "dispatch", "monitoring", "dashboard"},
    "dispatch": {"ingest", "monitoring", "dashboard"},
    "ingest": {"monitoring", "dashboard"},
    "monitoring": {"ingest", "dashboard"},
    "dashboard": set(),
}
WIRING_MODULES = {"envpetition/cli.py"}  # the one core module allowed to wire the packages


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def source_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_follow_the_dependency_direction(package):
    offending = []
    for path in source_files(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel in WIRING_MODULES:
            continue
        bad = imported_packages(path) & FORBIDDEN[package]
        if bad:
            offending.append(f"{rel} imports {sorted(bad)}")
    assert offending == []


def test_nothing_imports_dashboard_but_dashboard_and_the_cli():
    for package in PACKAGES:
        for path in source_files(package):
            rel = path.relative_to(ROOT).as_posix()
            if package != "dashboard" and rel not in WIRING_MODULES:
                assert "dashboard" not in imported_packages(path), rel


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports, at module level or inside functions alike."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parts = module_name(path).split(".")
                package = parts if path.name == "__init__.py" else parts[:-1]
                here = package[: len(package) - node.level + 1]
                base = ".".join(here + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for package in PACKAGES for p in source_files(package)}
    known = set(paths)
    # A package's __init__ is not an edge of interest: importing a.b runs a/__init__, which imports nothing here.
    return {name: imported_modules(path, known) - {name} - set(PACKAGES) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules_function_level_imports_included():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_circle_through_a_function_level_import(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from dispatch.orders import acknowledge\n", encoding="utf-8")
    known = {"dispatch.orders", "dispatch.cases"}
    assert imported_modules(a, known) == {"dispatch.orders"}
    assert cycles({"dispatch.cases": {"dispatch.orders"}, "dispatch.orders": {"dispatch.cases"}, "x": set()}) == [
        ["dispatch.cases", "dispatch.orders"]]
