"""Small pieces the repositories share across SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

__all__ = ["as_utc", "insert_for"]


def as_utc(value: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime: SQLite keeps no zone (stored as UTC)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def insert_for(conn: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can skip or update on a conflict, in the connection's dialect."""
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
