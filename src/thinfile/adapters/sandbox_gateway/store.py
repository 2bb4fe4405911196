"""The sandbox gateway's own state: one SQLite file (the provider's books, not thinfile's).

The sandbox keeps no card number: an agreement remembers the bank and the last four digits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["GatewayStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS bindings (
  id TEXT PRIMARY KEY, phone_masked TEXT NOT NULL, code TEXT NOT NULL, created_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, last_four TEXT NOT NULL, bank_name TEXT NOT NULL,
  agreement_token TEXT
);
CREATE TABLE IF NOT EXISTS agreements (
  token TEXT PRIMARY KEY, last_four TEXT NOT NULL, bank_name TEXT NOT NULL,
  is_active INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
  id TEXT PRIMARY KEY, request_id TEXT NOT NULL, kind TEXT NOT NULL, agreement_token TEXT,
  amount_fen INTEGER NOT NULL, answer TEXT NOT NULL, status TEXT NOT NULL, failure TEXT,
  original_txn_id TEXT, completed_at TEXT NOT NULL, UNIQUE (kind, request_id)
);
CREATE TABLE IF NOT EXISTS notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, notification_id TEXT NOT NULL, body BLOB NOT NULL,
  due_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0
);
"""


class GatewayStore:
    """A serialized connection to the sandbox's SQLite file (threads take turns)."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._connection.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()
