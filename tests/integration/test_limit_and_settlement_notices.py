"""Borrowers hear of a limit review's freeze and of a loan repaid in full, in the transaction
that makes the change, on both databases; the messages render in zh and en."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa

from tests.integration.limits_book import REVIEW, build_book
from tests.integration.notification_helpers import borrower, new_cipher, with_loan
from thinfile.comms import MessageKind, render
from thinfile.services import business_date
from thinfile.services.limit_reviews import review_limits
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.payments import prepay_loan
from thinfile.store.servicing_codec import to_day
from thinfile.web.i18n import translations


def messages(engine, kind: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            (str(r.user_id), str(r.dedupe_key), str(r.params))
            for r in conn.execute(
                sa.text(
                    "SELECT user_id, dedupe_key, params FROM notifications WHERE kind = :k "
                    "ORDER BY id"
                ),
                {"k": kind},
            )
        ]


def test_a_frozen_line_tells_its_borrower_once(engine, monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    book = build_book(engine)
    with engine.begin() as conn:  # the borrower's accepted offer opened the late line
        conn.execute(
            sa.text("UPDATE applications SET credit_line_id = :line WHERE user_id = :user"),
            {"line": str(book.late), "user": who.actor.user_id},
        )
    review_limits(engine, REVIEW, actor="cli:test")
    found = messages(engine, "limit_frozen")
    assert [(u, json.loads(p)) for u, _, p in found] == [(who.actor.user_id, {"limit": "5000.00"})]
    assert str(book.late) in found[0][1]
    review_limits(engine, REVIEW, actor="cli:test")  # a second run of the date: nothing new
    assert messages(engine, "limit_frozen") == found
    assert messages(engine, "limit_changed") == []  # no line without an owner is told
    zh = render(MessageKind.LIMIT_FROZEN, {"limit": "5000.00"}, translations("zh").gettext)
    en = render(MessageKind.LIMIT_FROZEN, {"limit": "5000.00"}, translations("en").gettext)
    assert "5000.00" in zh.body and "额度" in zh.subject and "paused" in en.subject


def test_a_loan_repaid_in_full_tells_its_borrower_the_certificate_is_ready(engine, monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2026, 12, 1, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    assert who.loan_id is not None
    on = date(2026, 12, 1)
    prepay_loan(engine, who.loan_id, quote_payoff(engine, who.loan_id, on), on)
    assert get_loan(engine, who.loan_id).account.status.value == "closed"
    found = messages(engine, "settlement_ready")
    assert [(u, k) for u, k, _ in found] == [
        (who.actor.user_id, f"settlement_ready:loan:{who.loan_id}")
    ]
    with engine.connect() as conn:
        channels = sorted(
            str(c)
            for (c,) in conn.execute(
                sa.text(
                    "SELECT d.channel FROM notification_deliveries d JOIN notifications n "
                    "ON n.id = d.notification_id WHERE n.kind = 'settlement_ready'"
                )
            )
        )
    assert channels == ["email", "in_app"]
    words = render(
        MessageKind.SETTLEMENT_READY, {"loan": str(who.loan_id)}, translations("zh").gettext
    )
    assert "结清证明" in words.body


def test_a_line_stopped_by_a_lost_draw_tells_its_borrower_and_keeps_the_stop_in_its_history(
    engine, monkeypatch
):
    """The late borrower's draw is settled at a discount (the rest written off): the line
    never lends again — the borrower hears that what they can use of it is now nothing, once,
    and the line's history says when and why (DOMAIN §12: a decrease or freeze is notified)."""
    from thinfile.money import Money
    from thinfile.services.loan_adjustments import settle_in_unit
    from thinfile.services.uow import UnitOfWork
    from thinfile.store.credit_lines_repo import LOST_DRAW_REASON

    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    book = build_book(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE applications SET credit_line_id = :line WHERE user_id = :user"),
            {"line": str(book.late), "user": who.actor.user_id},
        )
    settled_on = date(2025, 5, 16)
    with UnitOfWork(engine) as uow:
        settle_in_unit(uow, book.draws[book.late], Money.of("500"), settled_on, reason="hardship")
        uow.commit()
    found = messages(engine, "limit_changed")
    assert [(u, json.loads(p)) for u, _, p in found] == [
        (who.actor.user_id, {"limit": "0.00", "old_limit": "5000.00"})
    ]
    with engine.connect() as conn:
        status, history = (
            conn.execute(
                sa.text("SELECT status FROM servicing_credit_lines WHERE id = :l"),
                {"l": book.late},
            ).scalar_one(),
            [
                tuple(r)
                for r in conn.execute(
                    sa.text(
                        "SELECT day, old_limit, new_limit, reason FROM servicing_limit_changes"
                        " WHERE line_id = :l"
                    ),
                    {"l": book.late},
                )
            ],
        )
    assert status == "charged-off"
    assert history == [(to_day(settled_on), 500_000, 500_000, LOST_DRAW_REASON)]
