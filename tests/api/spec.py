"""The OpenAPI spec the app serves, and the walks the spec tests make over it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from thinfile.app import create_app
from thinfile.settings import Settings

__all__ = ["SNAPSHOT", "Node", "served_spec", "walk"]

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
"""The committed spec the breaking-change check compares with (``python -m
tests.api.snapshot`` refreshes it)."""

Node = tuple[str, dict[str, Any]]


def served_spec(tmp: Path) -> dict[str, Any]:
    """The spec ``/openapi.json`` serves (nothing is started: the app only describes itself)."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'spec.sqlite'}"))
    spec: dict[str, Any] = app.openapi()
    return spec


def walk(node: object, where: str = "#") -> Iterator[Node]:
    """Every schema-like mapping in ``node`` with its JSON pointer-ish path."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}[{i}]")


ENUM_PATTERN = re.compile(r"^\^\(([a-z][a-z0-9_\-]*\|)+[a-z][a-z0-9_\-]*\)\$$", re.IGNORECASE)
"""A regex that is a list of words, ``^(a|b|c)$``: an enum written as a pattern."""
