"""The dependency rules of DESIGN.md, checked on the source (no import circles, ever)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("envpetition", "ingest", "dispatch", "monitoring", "analytics", "dashboard")
# analytics reads every package through the owners' functions; only dashboard and the CLI import it.
FORBIDDEN = {
    "envpetition": {"ingest", "dispatch", "monitoring", "analytics", "dashboard"},
    "dispatch": {"ingest", "monitoring", "analytics", "dashboard"},
    "ingest": {"monitoring", "analytics", "dashboard"},
    "monitoring": {"ingest", "analytics", "dashboard"},
    "analytics": {"dashboard"},
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


def test_nothing_imports_analytics_but_dashboard_and_the_cli():
    for package in PACKAGES:
        for path in source_files(package):
            rel = path.relative_to(ROOT).as_posix()
            if package not in ("analytics", "dashboard") and rel not in WIRING_MODULES:
                assert "analytics" not in imported_packages(path), rel
