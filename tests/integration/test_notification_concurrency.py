"""Workers side by side never break a daily cap and never send one delivery twice: threads
running delivery rounds on one borrower's messages (PostgreSQL: FOR UPDATE SKIP LOCKED and the
count row's lock; SQLite: serialised writers)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.integration.notification_helpers import (
    CATALOG,
    NOON,
    borrower,
    channels,
    mailbox,  # noqa: F401 - fixture
    new_cipher,
    utc,
)
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.comms import DailyCaps, MessageKind
from thinfile.money import Money
from thinfile.services import notifications as notes
from thinfile.services.notification_delivery import deliver_due_notifications
from thinfile.services.uow import UnitOfWork

WORKERS = 4
MESSAGES = 12
CAPS = DailyCaps(in_app=5, email=3, sms=2)


def test_workers_at_once_keep_every_cap_and_deliver_each_message_once(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    other = borrower(engine, cipher, phone="13900139000")
    for i, user in enumerate((who, other)):
        with UnitOfWork(engine) as uow:
            for k in range(i * 100, i * 100 + MESSAGES):
                notes.enqueue_notification_in_unit(
                    uow,
                    user.actor.user_id,
                    MessageKind.DUE_SOON,
                    subject=f"loan:{k}",
                    day=20000,
                    loan_id=k,
                    amount=Money.of("10"),
                )
            uow.commit()
    ports = channels(engine, cipher, mailbox)
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            while deliver_due_notifications(
                engine, ports, CATALOG, cipher, caps=CAPS, batch=2, clock=lambda: utc(NOON)
            ).claimed:
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    for user in (who, other):
        mine = notes.list_deliveries(engine, limit=500, offset=0, user_id=user.actor.user_id)
        delivered = {
            c: sum(d.channel == c and d.status == "delivered" for d in mine)
            for c in ("in_app", "email", "sms")
        }
        assert delivered == {"in_app": 5, "email": 3, "sms": 2}
        waiting = [d for d in mine if d.status == "pending"]
        assert len(waiting) == 3 * MESSAGES - 10
        assert {d.deferred for d in waiting} == {"daily_cap"}
        assert all(d.attempts == 1 for d in mine if d.status == "delivered")
        assert len(SandboxNoticeSms(engine, cipher).inbox(user.phone)) == 2
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.text("SELECT channel, MAX(sent) FROM notification_day_counts GROUP BY channel")
            ).all()
        )
    assert counts == {"in_app": 5, "email": 3, "sms": 2}
    assert len(mailbox.arrivals()) == 6 and len(mailbox.messages()) == 6  # nothing sent twice
