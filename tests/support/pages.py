"""Reading what a page shows."""

from __future__ import annotations

import re


def found(pattern: str, text: str, flags: int = 0) -> str:
    """The first group of ``pattern`` in ``text``; fails the test, naming the pattern, if absent."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"the page does not show {pattern!r}"
    return match.group(1)
