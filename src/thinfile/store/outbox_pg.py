"""PostgreSQL: one message and its deliveries in one statement (one round trip instead of
three: the borrower's choice, the message, the deliveries).

The borrower's in-app-only choice is read inside the statement and applied the way
:func:`thinfile.comms.channels_for` applies it, and the way close of business's set-based
deliveries do (``notifications_repo``): a channel stays when the law requires the notice or it
is the in-app channel, or when the borrower did not choose in-app only. No channel left: no
message. A message whose ``dedupe_key`` is taken is not written again (no deliveries either).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from thinfile.store.hot import on_driver

__all__ = ["add_message_pg"]

_MESSAGE = (
    ("user_id", "text"),
    ("kind", "text"),
    ("loan_id", "bigint"),
    ("ref_day", "int"),
    ("dedupe_key", "text"),
    ("amount_fen", "bigint"),
    ("currency", "text"),
    ("params", "text"),
    ("legally_required", "boolean"),
    ("cob_day", "int"),
    ("created_at", "timestamptz"),
)


@functools.cache
def _statement(channels: int) -> str:
    columns = ", ".join(name for name, _ in _MESSAGE)
    values = ", ".join(f"%({name})s::{cast}" for name, cast in _MESSAGE)
    rules = ", ".join(f"(%(c{k})s::text, %(k{k})s::boolean)" for k in range(channels))
    return f"""
WITH p AS (
  SELECT COALESCE((SELECT in_app_only FROM notification_preferences
                   WHERE user_id = %(user_id)s::text), false) AS in_app_only
), ch AS (
  SELECT v.channel FROM (VALUES {rules}) AS v(channel, keeps), p
  WHERE v.keeps OR NOT p.in_app_only
), n AS (
  INSERT INTO notifications ({columns})
  SELECT {values} WHERE EXISTS (SELECT 1 FROM ch)
  ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
), d AS (
  INSERT INTO notification_deliveries (notification_id, channel, user_id, status, attempts,
    next_attempt_at, created_at)
  SELECT n.id, ch.channel, %(user_id)s::text, 'pending', 0, %(created_at)s::timestamptz,
    %(created_at)s::timestamptz
  FROM n, ch
)
SELECT id FROM n"""


def add_message_pg(
    conn: Connection, values: Mapping[str, Any], channels: Sequence[tuple[str, bool]]
) -> int | None:
    """Write the message ``values`` (the ``notifications`` columns) with one pending delivery
    per channel the borrower's choice leaves; ``channels`` are (channel, kept even for a
    borrower who chose in-app only). The message's id, or None when nothing was written."""
    params = {name: values.get(name) for name, _ in _MESSAGE}
    for k, (channel, keeps) in enumerate(channels):
        params[f"c{k}"], params[f"k{k}"] = channel, keeps
    rows = on_driver(conn, _statement(len(channels)), params)
    return int(rows[0][0]) if rows else None
