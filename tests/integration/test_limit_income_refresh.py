"""The review's affordability reads the borrower's newest consented income: platform earnings
in the sales feed newer than the line's recorded income replace it (90 days, a third of their
net, less the policy's 10% haircut); an older feed, a short one or a revoked consent does not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.integration.limits_book import REVIEW, build_book
from tests.integration.notification_helpers import borrower, new_cipher, with_loan
from thinfile.money import Money
from thinfile.services import business_date, consent
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.limit_features import record_line_income
from thinfile.services.limit_reviews import review_limits
from thinfile.services.limits import request_limit_increase
from thinfile.services.sales_feed import ingest_sales
from thinfile.store.servicing_codec import to_day

DAILY = 400  # yuan of platform earnings a day


def _earnings(last: date, days: int) -> list[dict[str, object]]:
    return [
        {
            "date": (last - timedelta(days=n)).isoformat(),
            "gross_sales": str(DAILY),
            "transactions": 12,
            "channel": "platform",
        }
        for n in range(days)
    ]


def _income(engine, line: int) -> tuple[int, str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT income, source, day FROM limit_line_incomes WHERE line_id = :l"),
            {"l": line},
        ).one()
    return int(row[0]), str(row[1]), int(row[2])


def _borrower_of_the_good_line(engine, monkeypatch) -> tuple[Any, Any, Any]:
    """A borrower whose accepted offer opened the book's good line, with their consent to
    read gig-platform income for credit assessment (returned, to revoke)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    book = build_book(engine)
    return who, book, _owning(engine, who, book.good)


def later(monkeypatch, day: date) -> None:
    """The business date moves on to ``day`` (a review is never dated after it)."""
    moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    monkeypatch.setattr(business_date, "now_utc", lambda: moment)


def _owning(engine, who, line: int) -> Any:
    """``who``'s application opened ``line``, and ``who`` consents to the reading of their
    gig-platform income for credit assessment (the consent, to revoke)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE applications SET credit_line_id = :line WHERE user_id = :user"),
            {"line": str(line), "user": who.actor.user_id},
        )
    return consent.grant_consent(
        engine,
        applicant_id=who.applicant_id,
        category=DataCategory.GIG_PLATFORM_INCOME,
        purpose=Purpose.CREDIT_ASSESSMENT,
        notice_version="v1",
        separate=False,
        actor=who.actor,
    )


def test_newer_platform_earnings_refresh_the_income_an_increase_must_be_affordable_on(
    engine, monkeypatch
):
    who, book, _ = _borrower_of_the_good_line(engine, monkeypatch)
    last = REVIEW - timedelta(days=2)
    record_line_income(engine, book.good, Money.of("2000"), last - timedelta(days=1), source="x")
    ingest_sales(
        engine, _earnings(last, 100), applicant_id=who.applicant_id, actor=who.actor, today=REVIEW
    )
    review_limits(engine, REVIEW)
    # 90 days to the review: 88 of them earned (the last two are not in the feed yet)
    net_fen = 88 * DAILY * 100
    expected = net_fen * 9 // 30  # a third, less 10%, rounded down
    assert _income(engine, book.good) == (expected, "platform income", to_day(last))
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT action, new_limit, inputs_json FROM limit_decisions "
                "WHERE line_id = :l AND review_day = :d"
            ),
            {"l": book.good, "d": to_day(REVIEW)},
        ).one()
    assert f'"income_fen":{expected}' in row.inputs_json
    # doubled in full: on the old 2,000 yuan affordability would have capped it at 9,800
    assert row.action == "increase" and row.new_limit == 1_000_000
    # a figure recorded after the feed's last day stays until the feed has a newer day
    record_line_income(engine, book.good, Money.of("3000"), REVIEW, source="verified")
    later(monkeypatch, date(2025, 5, 31))
    review_limits(engine, date(2025, 5, 31))
    assert _income(engine, book.good)[:2] == (300_000, "verified")
    engine.dispose()


def test_a_short_feed_or_a_revoked_consent_leaves_the_income_as_it_was(engine, monkeypatch):
    who, book, granted = _borrower_of_the_good_line(engine, monkeypatch)
    record_line_income(engine, book.good, Money.of("2000"), date(2025, 1, 1), source="x")
    ingest_sales(
        engine,
        _earnings(REVIEW - timedelta(days=1), 60),
        applicant_id=who.applicant_id,
        actor=who.actor,
        today=REVIEW,
    )
    review_limits(engine, REVIEW)
    assert _income(engine, book.good)[:2] == (200_000, "x")  # 60 days of feed: too short
    ingest_sales(
        engine,
        _earnings(REVIEW - timedelta(days=61), 40),
        applicant_id=who.applicant_id,
        actor=who.actor,
        today=REVIEW,
    )
    consent.revoke_consent(
        engine, applicant_id=who.applicant_id, consent_id=granted.id, actor=who.actor
    )
    later(monkeypatch, date(2025, 5, 31))
    review_limits(engine, date(2025, 5, 31))
    assert _income(engine, book.good)[:2] == (200_000, "x")  # the consent was revoked
    engine.dispose()


def test_a_borrowers_request_reads_fresh_earnings_for_that_line_and_no_other(engine, monkeypatch):
    who, book, _ = _borrower_of_the_good_line(engine, monkeypatch)
    other = with_loan(borrower(engine, new_cipher(), phone="13800138001"))
    twin = book.twins[0]
    _owning(engine, other, twin)
    last = REVIEW - timedelta(days=2)
    for line in (book.good, twin):
        record_line_income(engine, line, Money.of("2000"), last - timedelta(days=1), source="x")
    for person in (who, other):
        ingest_sales(
            engine,
            _earnings(last, 100),
            applicant_id=person.applicant_id,
            actor=person.actor,
            today=REVIEW,
        )
    request_limit_increase(engine, book.good, actor=who.actor)
    # the 90 days to the business date (16 May, one day after the review date): 87 earned
    expected = 87 * DAILY * 100 * 9 // 30
    assert _income(engine, book.good) == (expected, "platform income", to_day(last))
    assert _income(engine, twin)[:2] == (200_000, "x")  # another borrower's line: untouched
    engine.dispose()
