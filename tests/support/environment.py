"""Where the project and the shared reference material are, and whether this is CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["REPO", "SHARED", "in_ci", "shared_path"]

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("THINFILE_SHARED_DIR", REPO.parent / "shared"))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips outside CI when it is absent, fails in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if in_ci():
            pytest.fail(f"{path} is missing; CI must have ../shared beside the project")
        pytest.skip(f"{path} is not present (outside CI)")
    return path
