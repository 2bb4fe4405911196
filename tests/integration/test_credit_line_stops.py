"""When a revolving line stops lending, on SQLite and PostgreSQL: a line one of whose draws
is charged off or written off never lends again (the room the lost draw took does not come
back, and no limit review opens it); an increase offered before a staff decrease cannot undo
the decrease, nor lower a limit staff offered and the borrower took since; a review's offer
leaves a staff member's standing; the month-end review reads a line as it
is at the close; a line one of whose draws is past due lends nothing until the arrears are
repaid; a closed or charged-off line's limit is never changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from tests.integration.limits_book import REVIEW, build_book
from thinfile.errors import ConflictError
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import (
    PAST_DUE_LINE,
    change_line_limit,
    draw,
    get_line,
    open_credit_line,
)
from thinfile.services.identity_records import Actor
from thinfile.services.limit_changes import approve_limit_change, change_limit_by_staff
from thinfile.services.limit_features import record_line_income
from thinfile.services.limit_reviews import review_limits
from thinfile.services.limits import accept_limit_offer, line_limits
from thinfile.services.line_draws import draw_as_quoted_in, quote_draw
from thinfile.services.loan_adjustments import charge_off_in_unit, write_off_in_unit
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork


@pytest.mark.parametrize("how", ["charge-off", "write-off"])
def test_a_line_whose_draw_is_lost_never_lends_again(
    how: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 15, 12, tzinfo=UTC))
    day = date(2025, 1, 15)
    line_id = open_credit_line(engine, Money.of("10000"), Decimal("0.18"), day).line.line_id
    loan = draw(engine, line_id, Money.of("10000"), 6, day)
    assert get_line(engine, line_id).available.fen == 0
    # this early, a loss is posted by a second staff member's approval (approved=True)
    post = charge_off_in_unit if how == "charge-off" else write_off_in_unit
    with UnitOfWork(engine) as uow:
        post(uow, loan.loan_id, day, reason="fraud confirmed by the bank", approved=True)
        uow.commit()
    view = line_limits(engine, line_id)
    assert (view.status, view.available) == ("charged-off", 0)
    assert get_line(engine, line_id).available.fen == 0
    with pytest.raises(ConflictError) as refused:
        draw(engine, line_id, Money.of("10000"), 6, day)
    assert refused.value.field == "line_id"
    with pytest.raises(ConflictError) as unchanged:  # a lost line is not raised (nor cut)
        change_line_limit(engine, line_id, Money.of("20000"), "customer asked", day)
    assert unchanged.value.field == "line_id"
    assert get_line(engine, line_id).line.limit == Money.of("10000")


def test_a_line_with_a_draw_past_due_lends_nothing_until_the_arrears_are_repaid(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = {"now": datetime(2025, 1, 15, 12, tzinfo=UTC)}
    monkeypatch.setattr(business_date, "now_utc", lambda: clock["now"])
    day = date(2025, 1, 15)
    line_id = open_credit_line(engine, Money.of("10000"), Decimal("0.18"), day).line.line_id
    first = draw(engine, line_id, Money.of("3000"), 3, day)
    assert get_line(engine, line_id).available == Money.of("7000")
    shown = quote_draw(engine, line_id, Money.of("500"), 3, lender="thinfile")  # before it fell due
    run_cob(engine, date(2025, 2, 20))  # the first installment, due 15 February, is unpaid
    clock["now"] = datetime(2025, 2, 21, 12, tzinfo=UTC)
    loan = get_loan(engine, first.loan_id).account
    arrears = sum(i.unpaid.total for i in loan.installments if i.due < date(2025, 2, 21))
    assert arrears > 0
    assert get_line(engine, line_id).available.fen == 0  # room shown: none

    def as_quoted() -> None:  # the quote of January confirmed now: why it stops, not "changed"
        with UnitOfWork(engine) as uow:
            draw_as_quoted_in(
                uow,
                line_id,
                Money.of("500"),
                3,
                seen_available=shown.available,
                confirmed=True,
                actor=Actor("u1", Role.BORROWER),
            )

    for attempt in (
        lambda: draw(engine, line_id, Money.of("500"), 3, date(2025, 2, 21)),
        lambda: quote_draw(engine, line_id, Money.of("500"), 3, lender="thinfile"),
        as_quoted,
    ):
        with pytest.raises(ConflictError) as refused:
            attempt()
        assert (refused.value.field, str(refused.value)) == ("line_id", PAST_DUE_LINE)
    # the limit is not touched: repaying the arrears opens the line again at once
    post_payment(engine, first.loan_id, Money(arrears), date(2025, 2, 21))
    assert get_line(engine, line_id).line.limit == Money.of("10000")
    assert get_line(engine, line_id).available.fen == 1_000_000 - sum(
        i.principal_due - i.principal_paid
        for i in get_loan(engine, first.loan_id).account.installments
    )
    again = draw(engine, line_id, Money.of("500"), 3, date(2025, 2, 21))
    assert again.principal == 50_000


def test_an_increase_offered_before_a_decrease_cannot_undo_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    book = build_book(engine)
    for line in (book.good, *book.twins):
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    review_limits(engine, REVIEW, actor="cli:test")
    offer = line_limits(engine, book.good).offers[0]
    assert offer.new_limit > offer.old_limit > 150_000
    agent = Actor("agent-1", Role.SERVICING_AGENT)
    change_limit_by_staff(
        engine, book.good, Money.of("1500"), reason="fraud signal, cut the limit", actor=agent
    )
    with pytest.raises(ConflictError) as refused:
        accept_limit_offer(engine, book.good, offer.offer_id, actor=Actor("u1", Role.BORROWER))
    assert refused.value.field == "offer_id"
    assert line_limits(engine, book.good).limit == 150_000


def test_accepting_an_increase_never_lowers_a_limit_raised_since(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff offered more than the review's offer after it was made and the borrower took it:
    accepting the older offer is refused and the limit stays (it would have been set to the
    offer's, lower, figure)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    book = build_book(engine)
    for line in (book.good, *book.twins):
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    review_limits(engine, REVIEW, actor="cli:test")
    offer = line_limits(engine, book.good).offers[0]
    raised = offer.new_limit + 300_000
    agent = Actor("agent-1", Role.SERVICING_AGENT)
    asked = change_limit_by_staff(
        engine, book.good, Money(raised), reason="verified payslips, raise", actor=agent
    )
    if asked.request_id is not None:
        asked = approve_limit_change(
            engine, asked.request_id, approver=Actor("admin-1", Role.ADMIN)
        )
    assert asked.offer_id is not None  # the staff offer stands beside the review's
    assert {o.offer_id for o in line_limits(engine, book.good).offers} == {
        offer.offer_id,
        asked.offer_id,
    }
    borrower = Actor("u1", Role.BORROWER)
    assert accept_limit_offer(engine, book.good, asked.offer_id, actor=borrower).limit == raised
    with pytest.raises(ConflictError) as refused:
        accept_limit_offer(engine, book.good, offer.offer_id, actor=Actor("u1", Role.BORROWER))
    assert refused.value.field == "offer_id"
    assert line_limits(engine, book.good).limit == raised


def test_the_reviews_offer_leaves_a_staff_members_offer_standing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both wait for the borrower, who may take the larger; a review's newer offer replaces
    only the policy's older ones."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    book = build_book(engine)
    for line in (book.good, *book.twins):
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    now = line_limits(engine, book.good).limit
    agent = Actor("agent-1", Role.SERVICING_AGENT)
    staff = change_limit_by_staff(
        engine, book.good, Money(now + 10_000), reason="asked by phone", actor=agent
    )
    assert staff.offer_id is not None
    review_limits(engine, REVIEW, actor="cli:test")
    offers = line_limits(engine, book.good).offers
    assert staff.offer_id in {o.offer_id for o in offers}
    assert len(offers) == 2 and all(o.new_limit > now for o in offers)


def test_the_month_end_review_reads_the_line_as_it_is_at_the_close(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two late months (the third paid on time), then on the month's last day staff look at
    the line (its behaviour is measured then) and the borrower draws all the room. The review
    at the close lowers the limit on repeated delinquency but never below what is drawn
    (5,000): it measures the line again rather than reading the morning's look (before, 2,500
    with 5,000 drawn)."""
    from datetime import timedelta

    from thinfile.services.cob import run_cob
    from thinfile.services.limit_changes import staff_line_view
    from thinfile.services.loans import get_loan
    from thinfile.services.payments import post_payment

    def on(day: date) -> None:
        monkeypatch.setattr(
            business_date, "now_utc", lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        )

    opened = date(2025, 1, 1)
    on(opened)
    line_id = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), opened).line.line_id
    loan_id = draw(engine, line_id, Money.of("2000"), 6, opened).loan_id
    for n, late in ((1, date(2025, 2, 10)), (2, date(2025, 3, 10))):  # nine days late, twice
        run_cob(engine, late - timedelta(days=1))
        on(late)
        row = get_loan(engine, loan_id).account.installments[n - 1]
        owed = row.principal_due + row.interest_due + row.fee_due + 500  # and any penalty
        post_payment(engine, loan_id, Money(owed), late)
    due = date(2025, 4, 1)  # the third on time: a line past due lends nothing at all
    run_cob(engine, due - timedelta(days=1))
    on(due)
    row = get_loan(engine, loan_id).account.installments[2]
    post_payment(engine, loan_id, Money(row.principal_due + row.interest_due + row.fee_due), due)
    month_end = date(2025, 4, 30)
    run_cob(engine, month_end - timedelta(days=1))
    on(month_end)
    staff_line_view(engine, line_id)
    room = get_line(engine, line_id).available
    draw(engine, line_id, room, 3, month_end)
    drawn = get_line(engine, line_id).outstanding_principal
    assert drawn == 500_000
    run_cob(engine, month_end)
    after = line_limits(engine, line_id)
    assert after.limit >= drawn
    assert all(h.new_limit >= drawn for h in after.history)
