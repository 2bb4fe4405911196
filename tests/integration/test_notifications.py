"""Borrower notifications on SQLite and PostgreSQL: the outbox written with the event that
causes it, the contact rules (quiet hours, daily caps, in-app only, marketing consent,
deduplication), retries with backoff, the message centre, and close of business's reminders.

The worker's clock is given (``clock=``): a moment after every message the test wrote, so no
assertion depends on the wall clock."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.notification_helpers import (
    CATALOG,
    NOON,
    SHANGHAI,
    at,
    borrower,
    channels,
    choose,
    mailbox,  # noqa: F401 - fixture
    new_cipher,
    utc,
    with_loan,
)
from thinfile.adapters.local_mailbox import BOUNCE_DOMAIN
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.cli.notifications import report_line
from thinfile.comms import DailyCaps, MessageKind, zone_of
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import Money, format_yuan
from thinfile.services import loans
from thinfile.services import notifications as notes
from thinfile.services.cob import run_cob
from thinfile.services.consent import DataCategory, Purpose, grant_consent
from thinfile.services.notification_delivery import RetryRules, deliver_due_notifications
from thinfile.services.payments import pay_in_unit, post_payment, prepay_loan
from thinfile.services.reminders import NIGHT_RULES, reminders_step
from thinfile.services.uow import UnitOfWork
from thinfile.store.notification_tables import (
    notification_deliveries,
    notification_fan_outs,
    notifications,
)


def deliveries(engine, **where):
    query = (
        "SELECT n.kind, d.channel, d.status, d.next_attempt_at, d.deferred, d.attempts,"
        " d.last_error, n.id FROM notification_deliveries d JOIN notifications n"
        " ON n.id = d.notification_id"
    )
    if where:
        query += " WHERE " + " AND ".join(f"{k} = :{k.split('.')[-1]}" for k in where)
    params = {k.split(".")[-1]: v for k, v in where.items()}
    with engine.connect() as conn:
        return conn.execute(sa.text(query + " ORDER BY n.id, d.channel"), params).all()


LATER = datetime(2100, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def write_nights(engine, *, now=None, limit=2) -> int:
    """The deliveries of the nights' messages, written as the worker writes them (a batch of
    ``limit`` messages at a time) until none is left; how many messages."""
    total = 0
    with UnitOfWork(engine) as uow:
        while found := uow.notifications.fan_out(
            now=now or LATER, limit=limit, rules=NIGHT_RULES, at=NOW
        ):
            total += found
        uow.commit()
    return total


def close(engine, day) -> None:
    """Close ``day`` and write its messages' deliveries as the worker would."""
    run_cob(engine, day)
    write_nights(engine)


def by_channel(engine):
    """The deliveries as staff read them (times as aware datetimes), by channel."""
    return {d.channel: d for d in notes.list_deliveries(engine, limit=100, offset=0)}


def enqueue(engine, user_id, kind, subject, **kw):
    with UnitOfWork(engine) as uow:
        found = notes.enqueue_notification_in_unit(uow, user_id, kind, subject=subject, **kw)
        uow.commit()
    return found


def run(engine, cipher, box, clock=NOON, **kw):
    return deliver_due_notifications(
        engine, channels(engine, cipher, box), CATALOG, cipher, clock=lambda: utc(clock), **kw
    )


def test_signing_and_paying_write_their_messages_in_the_same_transaction(engine):
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    assert who.loan_id is not None
    assert [(r.kind, r.channel, r.status) for r in deliveries(engine)] == [
        ("contract_ready", "email", "pending"),
        ("contract_ready", "in_app", "pending"),
    ]
    with UnitOfWork(engine) as uow:  # a payment rolled back leaves no message behind
        pay_in_unit(uow, who.loan_id, Money.of("10"), date(2026, 11, 25), None)
    assert len(deliveries(engine)) == 2
    receipt = post_payment(engine, who.loan_id, Money.of("10"), date(2026, 11, 25))
    paid = deliveries(engine, **{"n.kind": "payment_received"})
    assert [(r.channel, r.status) for r in paid] == [("email", "pending"), ("in_app", "pending")]
    with engine.connect() as conn:
        key = conn.execute(
            sa.text("SELECT dedupe_key FROM notifications WHERE kind = 'payment_received'")
        ).scalar_one()
    assert key == f"payment_received:txn:{receipt.txn_id}"


def test_the_worker_delivers_each_channel_in_the_borrowers_language(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    choose(who, language="en", time_zone="Asia/Hong_Kong")
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.AUTO_DEBIT_FAILED,
        "intent:i1",
        loan_id=who.loan_id,
        amount=Money.of("123.45"),
        params={"failure": "insufficient_funds"},
    )
    report = run(engine, cipher, mailbox)
    assert (report.claimed, report.delivered, report.failed) == (5, 5, 0)
    subjects = sorted(str(m["Subject"]) for m in mailbox.messages())
    assert subjects == ["Automatic repayment failed", "Your loan contract is ready"]
    failed_mail = next(m for m in mailbox.messages() if "failed" in str(m["Subject"]))
    assert failed_mail["To"] == who.email
    assert "123.45 yuan" in failed_mail.get_content()
    assert "not enough money on the card" in failed_mail.get_content()
    sms = SandboxNoticeSms(engine, cipher).inbox(who.phone)
    assert len(sms) == 1 and sms[0].body.startswith("【thinfile】Automatic repayment failed")
    assert sms[0].phone_masked != who.phone
    inbox = notes.list_messages(engine, who.actor.user_id, limit=10, offset=0)
    assert {m.subject for m in inbox} == {
        "Automatic repayment failed",
        "Your loan contract is ready",
    }
    assert notes.unread_count(engine, who.actor.user_id) == 2
    read = notes.mark_message_read(engine, who.actor.user_id, inbox[0].id)
    assert read.read_at is not None
    assert notes.mark_message_read(engine, who.actor.user_id, inbox[0].id).read_at == read.read_at
    assert notes.unread_count(engine, who.actor.user_id) == 1
    other = borrower(engine, cipher, phone="13900139000")
    with pytest.raises(NotFoundError):
        notes.mark_message_read(engine, other.actor.user_id, inbox[0].id)
    assert run(engine, cipher, mailbox).claimed == 0  # nothing is sent twice


def test_chinese_is_the_default_language(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    run(engine, cipher, mailbox)
    (mail,) = mailbox.messages()
    assert str(mail["Subject"]) == "您的借款合同已生成"
    assert "已签署的合同" in mail.get_content()
    (message,) = notes.list_messages(engine, who.actor.user_id, limit=10, offset=0)
    assert message.language == "zh" and message.subject == "您的借款合同已生成"


def test_quiet_hours_defer_email_and_sms_to_eight_in_the_borrowers_zone(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.OVERDUE_1,
        "loan:9",
        day=20000,
        loan_id=9,
        amount=Money.of("50"),
    )
    report = run(engine, cipher, mailbox, clock=at("2030-01-15T23:30"))
    assert (report.delivered, report.deferred) == (1, 2)  # the message centre is no contact
    assert report_line(report).endswith("deferred 2 (quiet hours 2)")
    rows = by_channel(engine)
    assert rows["in_app"].status == "delivered"
    for channel in ("email", "sms"):
        assert rows[channel].status == "pending" and rows[channel].deferred == "quiet_hours"
        assert rows[channel].next_attempt_at == at("2030-01-16T08:00")
    assert run(engine, cipher, mailbox, clock=at("2030-01-16T07:59")).claimed == 0
    assert run(engine, cipher, mailbox, clock=at("2030-01-16T08:00")).delivered == 2
    assert len(mailbox.messages()) == 1


def test_early_morning_waits_for_eight_the_same_day(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    choose(who, time_zone="America/New_York")
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.OVERDUE_7,
        "loan:9",
        day=20000,
        loan_id=9,
        amount=Money.of("50"),
    )
    # 12:00 in Shanghai is 23:00 in New York: the borrower's zone decides
    report = run(engine, cipher, mailbox, clock=NOON)
    assert report.deferred == 2
    ny_morning = NOON.astimezone(SHANGHAI).replace(hour=21)  # 08:00 New York = 21:00 Shanghai
    assert run(engine, cipher, mailbox, clock=ny_morning - timedelta(minutes=1)).claimed == 0
    assert run(engine, cipher, mailbox, clock=ny_morning).delivered == 2


def test_a_daily_cap_defers_the_rest_to_the_next_morning(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    for k in range(4):
        enqueue(
            engine,
            who.actor.user_id,
            MessageKind.DUE_SOON,
            f"loan:{k}",
            day=20000 + k,
            loan_id=k,
            amount=Money.of("10"),
        )
    caps = DailyCaps(in_app=3, email=1, sms=2)
    report = run(engine, cipher, mailbox, caps=caps)
    assert report.delivered == 3 + 1 + 2 and report.deferred == 1 + 3 + 2
    assert report_line(report).endswith("deferred 6 (daily cap 6)")
    deferred = [r for r in deliveries(engine) if r.status == "pending"]
    assert {r.deferred for r in deferred} == {"daily_cap"}
    assert run(engine, cipher, mailbox, caps=caps).claimed == 0
    tomorrow = at("2030-01-16T08:00")
    report = run(engine, cipher, mailbox, caps=caps, clock=tomorrow)
    assert report.delivered == 1 + 1 + 2 and report.deferred == 2
    report = run(engine, cipher, mailbox, caps=caps, clock=tomorrow + timedelta(days=1))
    assert (report.delivered, report.deferred) == (1, 1)  # one e-mail a day
    report = run(engine, cipher, mailbox, caps=caps, clock=tomorrow + timedelta(days=2))
    assert (report.delivered, report.deferred) == (1, 0)
    assert {r.status for r in deliveries(engine)} == {"delivered"}
    assert len(mailbox.messages()) == 4


def test_in_app_only_keeps_service_messages_in_the_app_but_not_legal_notices(engine):
    cipher = new_cipher()
    who = borrower(engine, cipher)
    choose(who, in_app_only=True)
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_SOON,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.OVERDUE_15,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    assert [(r.kind, r.channel) for r in deliveries(engine)] == [
        ("due_soon", "in_app"),
        ("overdue_15", "email"),
        ("overdue_15", "in_app"),
        ("overdue_15", "sms"),
    ]


def test_a_choice_made_after_a_message_was_written_still_holds(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_TODAY,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    choose(who, in_app_only=True)
    report = run(engine, cipher, mailbox)
    assert (report.delivered, report.skipped) == (1, 1)
    sms = next(r for r in deliveries(engine) if r.channel == "sms")
    assert (sms.status, sms.last_error) == ("skipped", "in-app only")


def test_marketing_needs_the_separate_marketing_consent(engine):
    cipher = new_cipher()
    who = borrower(engine, cipher)
    offer = {"offer": "Spring offer"}
    assert enqueue(engine, who.actor.user_id, MessageKind.OFFER, "offer:1", params=offer) is None
    assert deliveries(engine) == []
    grant_consent(
        engine,
        applicant_id=who.applicant_id,
        category=DataCategory.CONTACT,
        purpose=Purpose.MARKETING,
        notice_version="v1",
        separate=True,
        actor=who.actor,
    )
    assert enqueue(engine, who.actor.user_id, MessageKind.OFFER, "offer:1", params=offer)
    assert {r.channel for r in deliveries(engine)} == {"email", "in_app"}


def test_the_same_reminder_is_written_once(engine):
    cipher = new_cipher()
    who = borrower(engine, cipher)
    first = enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_SOON,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    again = enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_SOON,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    other_date = enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_SOON,
        "loan:1",
        day=20030,
        loan_id=1,
        amount=Money.of("10"),
    )
    assert first and again is None and other_date
    assert len(deliveries(engine)) == 6


def test_failures_retry_with_backoff_then_fail_and_a_refusal_fails_at_once(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher, phone="13800130000")  # the sandbox cannot reach …0000
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET email = :e WHERE id = :u"),
            {"e": f"nobody@{BOUNCE_DOMAIN}", "u": who.actor.user_id},
        )
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.AUTO_DEBIT_FAILED,
        "intent:1",
        loan_id=1,
        amount=Money.of("10"),
        params={"failure": "card_frozen"},
    )
    rules = RetryRules(base_seconds=60, cap_seconds=600, max_attempts=3, jitter=0.0)
    report = run(engine, cipher, mailbox, rules=rules, draw=lambda: 0.5)
    assert (report.delivered, report.failed, report.retrying) == (1, 1, 1)
    rows = by_channel(engine)
    assert rows["email"].status == "failed" and "550" in (rows["email"].last_error or "")
    assert rows["sms"].status == "pending" and rows["sms"].attempts == 1
    waits, clock = [], utc(NOON)
    for _ in range(2):
        due = rows["sms"].next_attempt_at
        assert due is not None
        waits.append(round((due - clock).total_seconds()))
        run(engine, cipher, mailbox, rules=rules, clock=due)
        clock, rows = due, by_channel(engine)
    assert waits == [60, 120]  # doubled after each failed try
    assert rows["sms"].status == "failed" and rows["sms"].attempts == 3
    assert rows["sms"].last_error == "the phone is unreachable"
    assert mailbox.messages() == []


def test_an_unsayable_message_fails_alone(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = borrower(engine, cipher)
    enqueue(engine, who.actor.user_id, MessageKind.LIMIT_CHANGED, "line:1:1")  # no limits
    enqueue(
        engine,
        who.actor.user_id,
        MessageKind.DUE_TODAY,
        "loan:1",
        day=20000,
        loan_id=1,
        amount=Money.of("10"),
    )
    report = run(engine, cipher, mailbox)
    assert report.failed == 3 and report.delivered == 2


def test_hostile_inputs_are_refused_naming_the_field(engine):
    cipher = new_cipher()
    who = borrower(engine, cipher)
    for language, zone, field in (
        ("fr", "Asia/Shanghai", "language"),
        ("zh", "Mars/Olympus", "time_zone"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            notes.set_preferences(
                engine,
                who.actor,
                who.actor.user_id,
                language=language,
                time_zone=zone,
                in_app_only=False,
            )
        assert refused.value.field == field
    with pytest.raises(InvalidInputError) as refused:
        enqueue(engine, who.actor.user_id, MessageKind.OFFER, "x", params={"offer": "x" * 500})
    assert refused.value.field == "offer"
    with pytest.raises(InvalidInputError) as refused:
        notes.list_deliveries(engine, limit=10, offset=0, status="lost")
    assert refused.value.field == "status"
    assert deliveries(engine) == []


def test_staff_see_every_delivery_and_the_counts(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    run(engine, cipher, mailbox)
    listed = notes.list_deliveries(engine, limit=10, offset=0, loan_id=who.loan_id)
    assert {(d.channel, d.status) for d in listed} == {
        ("email", "delivered"),
        ("in_app", "delivered"),
    }
    assert notes.delivery_counts(engine)["email"]["delivered"] == 1
    assert notes.list_deliveries(engine, limit=10, offset=0, status="failed") == []


def _due_days(engine, loan_id):
    with engine.connect() as conn:
        return [
            int(d)
            for (d,) in conn.execute(
                sa.text("SELECT due_day FROM servicing_installments WHERE loan_id = :l ORDER BY n"),
                {"l": loan_id},
            )
        ]


def _first_due(engine, loan_id) -> date:
    """The loan's first due date."""
    return date(1970, 1, 1) + timedelta(days=_due_days(engine, loan_id)[0])


def test_close_of_business_writes_reminders_and_notices_once_per_date(engine):
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    first_due = _due_days(engine, who.loan_id)[0]
    due = date(1970, 1, 1) + timedelta(days=first_due)
    close(engine, due - timedelta(days=5))
    assert deliveries(engine, **{"n.kind": "due_soon"}) == []
    close(engine, due - timedelta(days=4))  # closing D−4 writes what D−3 reads
    soon = deliveries(engine, **{"n.kind": "due_soon"})
    assert {r.channel for r in soon} == {"in_app", "email", "sms"}
    with engine.connect() as conn:
        row = (
            conn.execute(sa.text("SELECT * FROM notifications WHERE kind = 'due_soon'"))
            .mappings()
            .one()
        )
        owed = conn.execute(
            sa.text(
                "SELECT principal_due + interest_due + fee_due FROM servicing_installments"
                " WHERE loan_id = :l AND n = 1"
            ),
            {"l": who.loan_id},
        ).scalar_one()
    assert (row["loan_id"], row["ref_day"], row["amount_fen"]) == (who.loan_id, first_due, owed)
    assert row["user_id"] == who.actor.user_id and json.loads(row["params"]) == {}
    close(engine, due - timedelta(days=1))
    assert len(deliveries(engine, **{"n.kind": "due_today"})) == 2
    close(engine, due)  # unpaid on its due date: the D+1 notice is written that night
    notice = deliveries(engine, **{"n.kind": "overdue_1"})
    assert {r.channel for r in notice} == {"in_app", "email", "sms"}
    with UnitOfWork(engine) as uow:  # the step again for the same date writes nothing
        assert reminders_step(uow, due) == 0
        uow.commit()
    close(engine, due + timedelta(days=6))
    assert len(deliveries(engine, **{"n.kind": "overdue_7"})) == 3
    kinds = [r.kind for r in deliveries(engine)]
    assert kinds.count("due_soon") == 3 and kinds.count("overdue_1") == 3


def test_close_of_business_keeps_a_reminder_in_the_app_for_who_chose_it_but_not_a_notice(
    engine,
):
    """The night's messages get their deliveries with the borrower's choice applied."""
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    choose(who, in_app_only=True)
    due = _first_due(engine, who.loan_id)
    close(engine, due - timedelta(days=4))
    assert [r.channel for r in deliveries(engine, **{"n.kind": "due_soon"})] == ["in_app"]
    close(engine, due)
    notice = deliveries(engine, **{"n.kind": "overdue_1"})
    assert sorted(r.channel for r in notice) == ["email", "in_app", "sms"]


def test_the_worker_writes_a_nights_deliveries_once_a_batch_at_a_time(engine):
    """Close of business writes the messages alone; the worker writes their deliveries from
    the end of the night, in batches, once, whatever re-runs."""
    cipher = new_cipher()
    people = [with_loan(borrower(engine, cipher)) for _ in range(3)]
    choose(people[0], in_app_only=True)
    due = _first_due(engine, people[0].loan_id)
    assert {_first_due(engine, p.loan_id) for p in people} == {due}
    night = due - timedelta(days=4)
    run_cob(engine, night)
    with engine.connect() as conn:
        messages = conn.execute(
            sa.text("SELECT COUNT(*) FROM notifications WHERE kind = 'due_soon'")
        ).scalar_one()
    assert messages == 3 and deliveries(engine, **{"n.kind": "due_soon"}) == []
    with engine.connect() as conn:
        raw = conn.execute(sa.select(notification_fan_outs.c.deliver_from)).scalar_one()
    deliver_from = raw.astimezone(UTC) if raw.tzinfo else raw.replace(tzinfo=UTC)
    end_of_night = datetime.combine(night + timedelta(days=1), time(0), tzinfo=zone_of(None))
    assert deliver_from == end_of_night  # from the night's end
    assert write_nights(engine, now=deliver_from - timedelta(seconds=1)) == 0
    with UnitOfWork(engine) as uow:
        found = [
            uow.notifications.fan_out(now=deliver_from, limit=2, rules=NIGHT_RULES, at=NOW)
            for _ in range(4)
        ]
        uow.commit()
    assert found == [2, 1, 0, 0]
    rows = deliveries(engine, **{"n.kind": "due_soon"})
    assert sorted(r.channel for r in rows) == sorted(["in_app"] + ["in_app", "email", "sms"] * 2)
    with engine.connect() as conn:
        c, n = notification_deliveries.c, notifications.c
        moments = set(
            conn.execute(
                sa.select(c.next_attempt_at)
                .join_from(notification_deliveries, notifications, n.id == c.notification_id)
                .where(n.kind == "due_soon")
            ).scalars()
        )
    aware = {m.astimezone(UTC) if m.tzinfo else m.replace(tzinfo=UTC) for m in moments}
    assert aware == {deliver_from}
    run_cob(engine, night)  # the night again: no message, no delivery more
    assert write_nights(engine) == 0
    assert len(deliveries(engine, **{"n.kind": "due_soon"})) == 7


def test_two_workers_never_write_one_nights_deliveries_twice(postgres_engine):
    engine = postgres_engine
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    run_cob(engine, _first_due(engine, who.loan_id) - timedelta(days=4))
    at, seen = LATER, {}

    def second_worker() -> None:
        with UnitOfWork(engine) as uow:
            seen["second"] = uow.notifications.fan_out(now=at, limit=10, rules=NIGHT_RULES, at=at)
            uow.commit()

    with UnitOfWork(engine) as first:
        seen["first"] = first.notifications.fan_out(now=at, limit=10, rules=NIGHT_RULES, at=at)
        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive()  # it skipped the night the first worker holds
        first.commit()
    assert seen == {"first": 1, "second": 0}
    assert len(deliveries(engine, **{"n.kind": "due_soon"})) == 3


def test_a_close_run_before_its_day_ends_sends_nothing_before_midnight(engine, monkeypatch):
    """Close of business for x run at 21:00 in Beijing on x (the command takes today): the
    reminders it writes for x+1 ("due today") wait for x's midnight, not the evening of x."""
    from thinfile.services import reminders

    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    due = _first_due(engine, who.loan_id)
    night = due - timedelta(days=1)
    close(engine, night - timedelta(days=1))  # the nights before, their messages written
    midnight = datetime.combine(due, time(0), tzinfo=zone_of(None))
    evening = (midnight - timedelta(hours=3)).astimezone(UTC)
    monkeypatch.setattr(reminders, "now_utc", lambda: evening)
    run_cob(engine, night)
    assert write_nights(engine, now=(midnight - timedelta(minutes=55)).astimezone(UTC)) == 0
    assert write_nights(engine, now=midnight.astimezone(UTC)) >= 1


def test_a_reminder_held_back_past_its_day_is_not_sent(engine, mailbox):  # noqa: F811
    """ "Due in 3 days" deferred by the daily cap to the next morning is not sent then, two
    days before the due date."""
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    choose(who, language="en")
    due = _first_due(engine, who.loan_id)
    close(engine, due - timedelta(days=4))
    d_minus_3 = datetime.combine(due - timedelta(days=3), time(12), tzinfo=zone_of(None))
    run(engine, cipher, mailbox, caps=DailyCaps(in_app=0, email=0, sms=0), clock=d_minus_3)
    held = deliveries(engine, **{"n.kind": "due_soon"})
    assert held and {(r.status, r.deferred) for r in held} == {("pending", "daily_cap")}
    run(engine, cipher, mailbox, clock=d_minus_3 + timedelta(days=1))
    assert {r.status for r in deliveries(engine, **{"n.kind": "due_soon"})} == {"skipped"}
    assert not [m for m in mailbox.messages() if "due in 3 days" in str(m["Subject"])]


def test_reminders_render_with_the_amount_and_due_date(engine, mailbox):  # noqa: F811
    cipher = new_cipher()
    who = with_loan(borrower(engine, cipher))
    choose(who, language="en")
    due = _first_due(engine, who.loan_id)
    run_cob(engine, due - timedelta(days=4))
    run(engine, cipher, mailbox)
    soon = [m for m in mailbox.messages() if str(m["Subject"]) == "Repayment due in 3 days"]
    assert len(soon) == 1
    assert f"falls due on {due.isoformat()}" in soon[0].get_content()


def test_a_notice_about_money_paid_since_is_not_sent_and_one_partly_paid_says_what_is_left(
    engine,
    mailbox,  # noqa: F811
):
    """Close of business writes the D+1 notices at the due date's close; the next morning,
    before the worker sends them, one borrower repays the loan in full and another pays part
    of the installment. The first is told nothing (the loan is closed); the second is told
    what is left, not what was owed at the close."""
    cipher = new_cipher()
    paid_off = with_loan(borrower(engine, cipher, phone="13700139001"))
    partly = with_loan(borrower(engine, cipher, phone="13700139002"))
    caught_up = with_loan(borrower(engine, cipher, phone="13700139003"))
    choose(paid_off, language="en")
    choose(partly, language="en")
    due = _first_due(engine, paid_off.loan_id)
    assert _first_due(engine, partly.loan_id) == due
    close(engine, due)  # unpaid at the due date's close: the D+1 notices are written
    with engine.connect() as conn:
        written = dict(
            conn.execute(
                sa.select(notifications.c.loan_id, notifications.c.amount_fen).where(
                    notifications.c.kind == MessageKind.OVERDUE_1.value
                )
            ).all()
        )
    assert set(written) == {paid_off.loan_id, partly.loan_id, caught_up.loan_id}
    morning = due + timedelta(days=1)
    assert paid_off.loan_id is not None and partly.loan_id is not None
    assert caught_up.loan_id is not None
    post_payment(engine, caught_up.loan_id, Money(written[caught_up.loan_id]), morning)
    quote = loans.quote_payoff(engine, paid_off.loan_id, morning)
    prepay_loan(engine, paid_off.loan_id, quote, morning)
    post_payment(engine, partly.loan_id, Money(10_000), morning)

    run(engine, cipher, mailbox)
    outcome = {
        (row.kind, row.channel, loan): (row.status, row.last_error)
        for loan in (paid_off.loan_id, partly.loan_id, caught_up.loan_id)
        for row in deliveries(engine, **{"n.loan_id": loan})
    }
    arrears = ("due_soon", "due_today", "overdue_1")
    closed = [
        v for (kind, _, loan), v in outcome.items() if loan == paid_off.loan_id and kind in arrears
    ]
    assert len(closed) >= 3 and all(v == ("skipped", "loan no longer active") for v in closed)
    paid = [
        v for (kind, _, loan), v in outcome.items() if loan == caught_up.loan_id and kind in arrears
    ]
    assert len(paid) >= 3 and all(v == ("skipped", "paid since") for v in paid)
    told = [m for m in mailbox.messages() if str(m["Subject"]) == "Your repayment is 1 day late"]
    (notice,) = told  # the partly paid borrower's alone
    left = written[partly.loan_id] - 10_000
    assert left > 0
    assert f"{format_yuan(left)} yuan due on {due.isoformat()} is unpaid" in notice.get_content()
    # the day after the due date is within the grace days: no charge has begun
    assert "Late charges apply if it stays unpaid past the grace period" in notice.get_content()
