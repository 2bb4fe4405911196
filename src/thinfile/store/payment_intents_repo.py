"""Payment intents and the replay store of gateway notifications, on one connection
(tables ``payment_intents`` and ``payment_notifications``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from thinfile.store.audit_repo import TAKE_HEAD_PG, TakenHead, taken_head
from thinfile.store.dialect import as_utc
from thinfile.store.hot import Hot, on_driver
from thinfile.store.payment_tables import payment_intents, payment_notifications

__all__ = ["PaymentIntentRepository", "StoredIntent"]


@dataclass(frozen=True, slots=True)
class StoredIntent:
    id: str
    loan_id: int
    user_id: str
    card_id: str
    kind: str
    mode: str | None
    amount: int
    currency: str
    status: str
    failure: str | None
    idempotency_key: str
    request_hash: str
    gateway_txn_id: str | None
    txn_id: int | None
    created_at: datetime
    settled_at: datetime | None
    business_day: int | None = None
    """The business date it was made for (day number): see ``payment_intents``."""
    claimed_at: datetime | None = None
    """When the auto-debit sender claimed it: see ``payment_intents``."""


def _intent(row: Any) -> StoredIntent:
    m = row._asdict() if hasattr(row, "_asdict") else row._mapping
    created = as_utc(m["created_at"])
    assert created is not None
    return StoredIntent(
        id=m["id"],
        loan_id=int(m["loan_id"]),
        user_id=m["user_id"],
        card_id=m["card_id"],
        kind=m["kind"],
        mode=m["mode"],
        amount=int(m["amount"]),
        currency=m["currency"],
        status=m["status"],
        failure=m["failure"],
        idempotency_key=m["idempotency_key"],
        request_hash=m["request_hash"],
        gateway_txn_id=m["gateway_txn_id"],
        txn_id=None if m["txn_id"] is None else int(m["txn_id"]),
        created_at=created,
        settled_at=as_utc(m["settled_at"]),
        business_day=None if m["business_day"] is None else int(m["business_day"]),
        claimed_at=as_utc(m["claimed_at"]),
    )


_KEEP_DELIVERY = {
    name: Hot(
        dialect.insert(payment_notifications)
        .on_conflict_do_nothing()
        .returning(payment_notifications.c.signature_digest)
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_BY_ID = sa.select(payment_intents).where(payment_intents.c.id == sa.bindparam("intent_id"))
_GET = {False: Hot(_BY_ID), True: Hot(_BY_ID.with_for_update())}
_UPDATE = Hot(sa.update(payment_intents).where(payment_intents.c.id == sa.bindparam("intent_id")))
"""The values set are the parameters other than ``intent_id`` (compiled once per set)."""
_SETTLED = ("status", "failure", "gateway_txn_id", "txn_id", "settled_at")
"""The columns a settlement sets (:meth:`PaymentIntentRepository.write_settlement`)."""
_DELIVERY = ("signature_digest", "notification_id", "gateway_txn_id", "outcome", "received_at")
_SETTLE_PG = """
  UPDATE payment_intents SET status = %(status)s::text, failure = %(failure)s::text,
    gateway_txn_id = %(gateway_txn_id)s::text, txn_id = %(txn_id)s::bigint,
    settled_at = %(settled_at)s::timestamptz
  WHERE id = %(intent_id)s::text"""
_KEEP_DELIVERY_PG = f"""
  INSERT INTO payment_notifications ({", ".join(_DELIVERY)})
  VALUES ({", ".join(f"%(d_{c})s" for c in _DELIVERY)})
  ON CONFLICT DO NOTHING RETURNING signature_digest"""
_SETTLE_AND_KEEP_PG = f"WITH settled AS ({_SETTLE_PG}\n){_KEEP_DELIVERY_PG}"
"""PostgreSQL: the intent's settlement and the notification's delivery in one round trip."""
_SETTLE_KEEP_AND_TAKE_HEAD_PG = f"""
WITH settled AS ({_SETTLE_PG}
), kept AS ({_KEEP_DELIVERY_PG}
), head AS ({TAKE_HEAD_PG} AND EXISTS (SELECT FROM kept) RETURNING last_seq, last_hash)
SELECT (SELECT signature_digest FROM kept), (SELECT last_seq FROM head),
  (SELECT last_hash FROM head)"""
"""PostgreSQL: the same, and the audit chain's head taken for the row appended next (the
transaction's last write), in one round trip. The head is taken only once the delivery is
kept (its condition reads ``kept``, so the insert runs first): a replayed delivery takes no
head, and an insert waiting for another transaction never holds a chain's lock meanwhile."""
UNSETTLED = ("created", "pending")
_OPEN = sa.text("payment_intents.status IN ('created', 'pending')")
"""The predicate of the index of open intents (``ix_payment_intents_open``), written as the
index writes it: SQLite uses a partial index only for a query that states its predicate, and
neither planner proves it from bound parameters. Every list of open intents states it."""


def _queued(prefix: str) -> sa.ColumnElement[bool]:
    """An intent of the queue whose keys start with ``prefix``, still waiting to be sent."""
    return sa.and_(
        payment_intents.c.status == "created",
        payment_intents.c.idempotency_key.startswith(prefix, autoescape=True),
    )


class PaymentIntentRepository:
    """Intents: added ``created``, then sent (``pending``) and settled; never deleted."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, intent: StoredIntent) -> None:
        self.conn.execute(
            sa.insert(payment_intents).values(
                {
                    name: getattr(intent, name)
                    for name in StoredIntent.__dataclass_fields__
                    if name in payment_intents.c
                }
            )
        )

    def get(self, intent_id: str, *, lock: bool = False) -> StoredIntent | None:
        row = _GET[lock].first(self.conn, {"intent_id": intent_id})
        return None if row is None else _intent(row)

    def by_key(self, user_id: str, key: str) -> StoredIntent | None:
        row = self.conn.execute(
            sa.select(payment_intents).where(
                payment_intents.c.user_id == user_id, payment_intents.c.idempotency_key == key
            )
        ).first()
        return None if row is None else _intent(row)

    def of_loan(self, loan_id: int, *, limit: int = 100) -> list[StoredIntent]:
        """The loan's intents, the newest first."""
        query = (
            sa.select(payment_intents)
            .where(payment_intents.c.loan_id == loan_id)
            .order_by(payment_intents.c.created_at.desc(), payment_intents.c.id)
            .limit(limit)
        )
        return [_intent(row) for row in self.conn.execute(query)]

    def of_posting(self, loan_id: int, txn_id: int) -> StoredIntent | None:
        """The intent of loan ``loan_id`` whose money was posted as transaction ``txn_id``."""
        query = sa.select(payment_intents).where(
            payment_intents.c.loan_id == loan_id, payment_intents.c.txn_id == txn_id
        )
        row = self.conn.execute(query).first()
        return None if row is None else _intent(row)

    def in_flight(self, loan_id: int, *, unsent_queue: str | None = None) -> int:
        """Fen of the loan's intents not yet settled (created or pending); with
        ``unsent_queue`` (a key prefix), not those of that queue still waiting to be sent."""
        query = sa.select(sa.func.coalesce(sa.func.sum(payment_intents.c.amount), 0)).where(
            payment_intents.c.loan_id == loan_id, payment_intents.c.status.in_(UNSETTLED)
        )
        if unsent_queue is not None:
            query = query.where(sa.not_(_queued(unsent_queue)))
        return int(self.conn.execute(query).scalar_one())

    def unsettled(
        self, *, before: datetime, limit: int = 500, unsent_queue: str | None = None
    ) -> list[str]:
        """Ids of intents created before ``before`` still waiting for the gateway's word, the
        oldest first; with ``unsent_queue`` (a key prefix), not those of that queue still
        waiting to be sent (a night's million queued debits never crowd out a lost one)."""
        query = sa.select(payment_intents.c.id).where(_OPEN, payment_intents.c.created_at < before)
        if unsent_queue is not None:
            query = query.where(sa.not_(_queued(unsent_queue)))
        query = query.order_by(payment_intents.c.created_at, payment_intents.c.id).limit(limit)
        return [str(i) for i in self.conn.execute(query).scalars()]

    def unanswered(self, key_prefix: str, *, limit: int) -> list[StoredIntent]:
        """Intents ``pending`` without a gateway transaction whose idempotency key starts with
        ``key_prefix``: auto-debits claimed for sending whose answer was never recorded."""
        query = (
            sa.select(payment_intents)
            .where(
                _OPEN,
                payment_intents.c.status == "pending",
                payment_intents.c.gateway_txn_id.is_(None),
                payment_intents.c.idempotency_key.startswith(key_prefix, autoescape=True),
            )
            .order_by(payment_intents.c.created_at, payment_intents.c.id)
            .limit(limit)
        )
        return [_intent(row) for row in self.conn.execute(query)]

    def queued(self, key_prefix: str, *, limit: int) -> list[StoredIntent]:
        """Intents still ``created`` whose idempotency key starts with ``key_prefix`` (close of
        business's auto-debits), the oldest first."""
        query = (
            sa.select(payment_intents)
            .where(
                _OPEN,
                payment_intents.c.status == "created",
                payment_intents.c.idempotency_key.startswith(key_prefix, autoescape=True),
            )
            .order_by(payment_intents.c.created_at, payment_intents.c.id)
            .limit(limit)
        )
        return [_intent(row) for row in self.conn.execute(query)]

    def update(self, intent_id: str, **values: object) -> None:
        """Set ``status``, ``failure``, ``gateway_txn_id``, ``txn_id`` or ``settled_at``."""
        if "intent_id" in values or not values:
            raise ValueError("set intent columns by name")
        _UPDATE.run(self.conn, {**values, "intent_id": intent_id})

    def write_settlement(
        self,
        intent_id: str,
        *,
        values: Mapping[str, object] | None,
        delivery: Mapping[str, object] | None,
        audit_chain: int | None = None,
    ) -> tuple[bool, TakenHead | None]:
        """Set what settling decided (``values``: every column of :data:`_SETTLED`; None
        when nothing changes) and keep ``delivery`` (the :meth:`keep_delivery` arguments, if
        a notification brought the word); False when that delivery was kept before (a
        replay). PostgreSQL writes both in one statement, and with ``audit_chain`` (the chain
        of the audit row the transaction appends next, and last) takes that chain's head in
        the same statement: the head comes back for :meth:`AuditRepository.append`, else
        None."""
        if values is not None and set(values) != set(_SETTLED):
            raise ValueError(f"a settlement sets exactly {_SETTLED}")
        if values is not None and delivery is not None and self.conn.dialect.name == "postgresql":
            params = {**values, "intent_id": intent_id}
            params.update({f"d_{c}": delivery[c] for c in _DELIVERY})
            if audit_chain is None:
                return bool(on_driver(self.conn, _SETTLE_AND_KEEP_PG, params)), None
            params["audit_chain"] = audit_chain
            ((kept, position, prev_hash),) = on_driver(
                self.conn, _SETTLE_KEEP_AND_TAKE_HEAD_PG, params
            )
            return taken_head(audit_chain, kept is not None, position, prev_hash)
        if values is not None:
            self.update(intent_id, **values)
        return delivery is None or self.keep_delivery(
            signature_digest=str(delivery["signature_digest"]),
            notification_id=str(delivery["notification_id"]),
            gateway_txn_id=str(delivery["gateway_txn_id"]),
            outcome=str(delivery["outcome"]),
            at=cast(datetime, delivery["received_at"]),
        ), None

    def keep_delivery(
        self,
        *,
        signature_digest: str,
        notification_id: str,
        gateway_txn_id: str,
        outcome: str,
        at: datetime,
    ) -> bool:
        """Record one notification delivery; False when this very delivery (its signature)
        was received before — a replay. A concurrent insert of it waits for the first."""
        inserted = _KEEP_DELIVERY[self.conn.dialect.name].first(
            self.conn,
            {
                "signature_digest": signature_digest,
                "notification_id": notification_id,
                "gateway_txn_id": gateway_txn_id,
                "outcome": outcome,
                "received_at": at,
            },
        )
        return inserted is not None
