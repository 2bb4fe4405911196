"""Refresh the committed OpenAPI snapshot, deliberately: ``python -m tests.api.snapshot``.

Run it after a change to the API that is meant (an addition, or a breaking change that comes
with a new version, see docs/api.md "Versioning"), and commit tests/api/openapi_snapshot.json
with the change. tests/api/test_openapi_snapshot.py fails on a breaking change against it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.api.breaking import breaking_changes
from tests.api.spec import SNAPSHOT, served_spec

__all__ = ["contract", "main", "snapshot_text"]


_WORDS = frozenset({"description", "summary", "title", "examples", "example"})
"""Prose, not contract: left out so that rewording an operation never touches the snapshot."""


def contract(node: Any, *, names: bool = False) -> Any:
    """``node`` without its prose (``names``: the keys of ``node`` are names, such as a
    schema's properties, and are all kept)."""
    if isinstance(node, dict):
        return {
            key: contract(value, names=key in {"properties", "schemas", "paths"} and not names)
            for key, value in node.items()
            if names or key not in _WORDS
        }
    if isinstance(node, list):
        return [contract(value) for value in node]
    return node


def snapshot_text(spec: dict[str, Any]) -> str:
    return json.dumps(contract(spec), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        spec = served_spec(Path(tmp))
    if SNAPSHOT.exists():
        for change in breaking_changes(json.loads(SNAPSHOT.read_text(encoding="utf-8")), spec):
            print(f"breaking: {change}")  # said once more, on purpose
    SNAPSHOT.write_text(snapshot_text(spec), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
