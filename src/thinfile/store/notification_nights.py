"""Close of business's messages: the night's reminders and notices written set-based, and
their deliveries written later by the delivery worker, a batch of a night's messages at a
time (``notification_fan_outs``). A part of
:class:`~thinfile.store.notifications_repo.NotificationRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.dialect import as_utc, insert_for
from thinfile.store.notification_cob_sql import (
    BEFORE_DUE,
    FAN_OUT,
    FENCE,
    OVERDUE,
    SEPARATORS,
    ChannelRule,
    rules_sql,
)
from thinfile.store.notification_tables import notification_fan_outs, notifications

__all__ = ["NightMessages"]

_N = notifications.c
_F = notification_fan_outs.c


class NightMessages:
    """The close-of-business part of the notification repository, on ``conn``."""

    conn: Connection

    def plan_for_batch(self) -> None:
        """PostgreSQL: no JIT for this transaction. The reminder statements touch a few
        thousand rows through indexes; their estimated cost (a correlated owner lookup per
        row) would have every one compiled first, which costs more than it saves."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("SET LOCAL jit = off"))

    def add_before_due(
        self, *, x: int, target: int, kind: str, required: bool, at: datetime
    ) -> int:
        return self._add_cob(
            BEFORE_DUE, {"x": x, "target": target, "kind": kind, "required": required, "at": at}
        )

    def add_overdue(
        self, *, x: int, d: int, since: Sequence[int], required: bool, at: datetime
    ) -> int:
        params = {"x": x, "d": d, "since": list(since), "required": required, "at": at}
        return self._add_cob(OVERDUE, params, expanding="since")

    def _add_cob(self, sql: str, params: dict[str, Any], expanding: str | None = None) -> int:
        """Messages of close of business, without their deliveries (:meth:`fan_out`); how
        many were written."""
        if self.conn.dialect.name == "postgresql":
            sql = sql.replace(FENCE, "OFFSET 0")
        statement = sa.text(sql)
        if expanding is not None:
            statement = statement.bindparams(sa.bindparam(expanding, expanding=True))
        return int(self.conn.execute(statement, params | SEPARATORS).rowcount)

    def add_night(self, *, x: int, deliver_from: datetime, at: datetime) -> None:
        """Note that the messages close of business wrote for ``x`` get their deliveries,
        due from ``deliver_from``, from the worker (once: a second close of ``x`` keeps the
        first note)."""
        insert = insert_for(self.conn, notification_fan_outs).values(
            cob_day=x, deliver_from=deliver_from, written_through=0, done=False, created_at=at
        )
        self.conn.execute(insert.on_conflict_do_nothing(index_elements=["cob_day"]))

    def fan_out(
        self, *, now: datetime, limit: int, rules: Sequence[ChannelRule], at: datetime
    ) -> int:
        """Write the deliveries of up to ``limit`` messages of the earliest night whose
        deliveries are due by ``now`` and not all written; how many messages (0: none left).

        The night's row is locked (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a second worker
        takes another night or none); its messages are read from where the last batch ended
        (``written_through``), in id order."""
        while True:
            night = self.conn.execute(
                sa.select(_F.cob_day, _F.deliver_from, _F.written_through)
                .where(_F.done.is_(False), _F.deliver_from <= now)
                .order_by(_F.cob_day)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if night is None:
                return 0
            x, after = int(night.cob_day), int(night.written_through)
            batch = (
                sa.select(_N.id)
                .where(_N.cob_day == x, _N.id > after)
                .order_by(_N.id)
                .limit(limit)
                .subquery()
            )
            upto, count = self.conn.execute(
                sa.select(sa.func.max(batch.c.id), sa.func.count())
            ).one()
            mark = sa.update(notification_fan_outs).where(_F.cob_day == x)
            if count:
                break
            self.conn.execute(mark.values(done=True, done_at=at))  # then the next night
        self.conn.execute(
            sa.text(FAN_OUT.format(rules=rules_sql(rules))),
            {
                "x": x,
                "after": after,
                "upto": int(upto),
                "due": as_utc(night.deliver_from),
                "at": at,
                "false": False,
            },
        )
        self.conn.execute(mark.values(written_through=int(upto)))
        return int(count)
