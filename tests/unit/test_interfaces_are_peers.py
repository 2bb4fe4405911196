"""The pages and the API are peers: neither imports the other, and the shared HTTP layer
imports neither (the import-linter layers contract says the same, indirect imports included;
this test reads the source so it also holds where the contract is not run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import thinfile

SOURCE = Path(thinfile.__file__).parent


def _imports(package: str) -> set[tuple[str, str]]:
    """(module file, imported module) for every import in ``thinfile.<package>``, lazy ones
    inside functions included."""
    found = set()
    for path in (SOURCE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((path.name, node.module))
    return found


def _reaching(package: str, *forbidden: str) -> list[tuple[str, str]]:
    return sorted(
        (where, name)
        for where, name in _imports(package)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("web", ("thinfile.api", "thinfile.app")),
        ("api", ("thinfile.web", "thinfile.app")),
        ("http", ("thinfile.api", "thinfile.web", "thinfile.app")),
    ],
)
def test_an_interface_never_imports_its_peer_or_the_app_above_them(
    package: str, forbidden: tuple[str, ...]
) -> None:
    assert _reaching(package, *forbidden) == []


def test_the_app_factory_is_the_one_module_that_joins_pages_and_api() -> None:
    tree = ast.parse((SOURCE / "app.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "thinfile.web" in imported and "thinfile.api" in imported
