"""The row numbers a page or API path takes: whole numbers from 1 to the largest a serial
column holds. A path with a larger one names nothing (the pages answer 404, the API 422),
and is refused before it reaches the database (SQLite cannot even bind a number past 64
bits: ``99999999999999999999`` raised ``OverflowError`` there, a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

__all__ = ["SERIAL_MAX", "Serial"]

SERIAL_MAX = 2**31 - 1
"""The largest row number a path takes (a PostgreSQL ``serial``)."""

Serial = Annotated[int, Path(ge=1, le=SERIAL_MAX)]
"""A path's row number (a loan, a line, a case, a plan …)."""
