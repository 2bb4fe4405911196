"""A draw quoted before it is confirmed: the quote is exactly the loan the draw opens, one
confirmation opens one loan, an unconfirmed or stale draw opens none; a staff approval named
for one line never approves another line's request; the limit-policy versions are listed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy.engine import Engine

from thinfile.decisioning import PolicyStatus
from thinfile.decisioning.limit_policy import load_limit_policy
from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateCapExceededError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date
from thinfile.services.credit_lines import open_credit_line
from thinfile.services.identity_records import Actor
from thinfile.services.limit_changes import (
    StaffLimitChange,
    approve_limit_change,
    change_limit_by_staff,
)
from thinfile.services.limit_policies import limit_policy_versions
from thinfile.services.limits import accept_limit_offer, line_limits
from thinfile.services.line_draws import draw_from_line, quote_draw
from thinfile.services.loans import get_loan
from thinfile.store import make_engine, upgrade

BORROWER = Actor("u1", Role.BORROWER)
AGENT = Actor("agent-1", Role.SERVICING_AGENT)
ADMIN = Actor("admin-1", Role.ADMIN)
START = date(2025, 1, 1)
LENDER = "thinfile demo lender"


@pytest.fixture(autouse=True)
def _book_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _installment(principal: int, annual: Decimal, months: int) -> int:
    r = Fraction(annual) / 12
    return int(Fraction(principal) * r / (1 - (1 + r) ** -months) + Fraction(1, 2))


def test_the_quote_is_the_loan_the_draw_opens_and_a_draw_happens_once(engine):
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    quote = quote_draw(engine, line, Money.of("1200"), 6, lender=LENDER)
    stored = quote.as_stored()
    assert stored["first_installment"] == str(Money(_installment(120_000, Decimal("0.18"), 6)))
    assert quote.available == Money.of("5000")
    assert str(stored["statement"]["lender"]) == LENDER  # type: ignore[index]
    with pytest.raises(InvalidInputError):
        quote_draw(engine, line, Money.of("1200"), 7, lender=LENDER)
    with pytest.raises(ConflictError):
        quote_draw(engine, line, Money.of("5000.01"), 6, lender=LENDER)
    for confirmed, seconds, field in ((False, 12.0, "confirm"), (True, 9.9, "seconds_read")):
        with pytest.raises(InvalidInputError) as refused:
            draw_from_line(
                engine,
                line,
                Money.of("1200"),
                6,
                seen_available=quote.available,
                confirmed=confirmed,
                seconds_read=seconds,
                actor=BORROWER,
            )
        assert refused.value.field == field
    assert line_limits(engine, line).used == 0  # nothing drawn by a refused confirmation
    loan = draw_from_line(
        engine,
        line,
        Money.of("1200"),
        6,
        seen_available=quote.available,
        confirmed=True,
        seconds_read=10.0,
        actor=BORROWER,
    )
    opened = get_loan(engine, loan.loan_id).account
    assert opened.credit_line_id == line and opened.principal == 120_000
    first = opened.installments[0]
    assert str(Money(first.principal_due + first.interest_due + first.fee_due)) == str(
        stored["first_installment"]
    )
    with pytest.raises(ConflictError, match="changed since"):
        draw_from_line(
            engine,
            line,
            Money.of("1200"),
            6,
            seen_available=quote.available,
            confirmed=True,
            seconds_read=30.0,
            actor=BORROWER,
        )
    assert line_limits(engine, line).used == 120_000


def test_an_approval_named_for_a_line_approves_only_that_lines_request(engine):
    one, two = (
        open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
        for _ in range(2)
    )
    waiting = change_limit_by_staff(
        engine,
        one,
        Money.of("12000"),
        reason="income verified again",
        actor=AGENT,
        verified_income=Money.of("6000"),
    )
    assert not waiting.applied and waiting.request_id is not None
    with pytest.raises(NotFoundError):
        approve_limit_change(engine, waiting.request_id, approver=ADMIN, line_id=two)
    assert line_limits(engine, one).limit == 500_000
    approved = approve_limit_change(engine, waiting.request_id, approver=ADMIN, line_id=one)
    assert approved.offer_id is not None and line_limits(engine, one).limit == 500_000
    assert accept_limit_offer(engine, one, approved.offer_id, actor=BORROWER).limit == 1_200_000


def _offered_and_accepted(engine: Engine, line: int, done: StaffLimitChange) -> int:
    """The borrower accepts the staff member's offer; the line's limit after it."""
    assert not done.applied and done.offer_id is not None
    return accept_limit_offer(engine, line, done.offer_id, actor=BORROWER).limit


def test_a_raise_above_the_threshold_cannot_be_made_alone_in_steps(engine):
    """The threshold is 5,000.00: 4,000.00 alone, then 3,000.00 more alone within 30 days
    is 7,000.00 moved by one pair of hands — a request for a second staff member."""
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    first = change_limit_by_staff(
        engine,
        line,
        Money.of("9000"),
        reason="income verified again",
        actor=AGENT,
        verified_income=Money.of("6000"),
    )
    assert _offered_and_accepted(engine, line, first) == 900_000
    other_agent = Actor("agent-2", Role.SERVICING_AGENT)
    step = change_limit_by_staff(
        engine, line, Money.of("12000"), reason="second step", actor=other_agent
    )
    assert not step.applied and step.request_id is not None
    assert line_limits(engine, line).limit == 900_000
    approved = approve_limit_change(engine, step.request_id, approver=ADMIN, line_id=line)
    assert _offered_and_accepted(engine, line, approved) == 1_200_000
    # the approved change is two people's: only the 4,000.00 made alone still counts
    cut = change_limit_by_staff(engine, line, Money.of("11000"), reason="trim", actor=AGENT)
    assert cut.applied and line_limits(engine, line).limit == 1_100_000
    again = change_limit_by_staff(engine, line, Money.of("11100"), reason="more", actor=AGENT)
    assert not again.applied and again.request_id is not None  # 4,000 + 1,000 + 100 alone


def test_an_offer_made_alone_counts_against_the_threshold_while_it_waits(engine):
    """4,000.00 offered alone and not accepted yet, then 1,500.00 more alone: 5,500.00 by
    one pair of hands is above the 5,000.00 threshold, whether the borrower accepted or not."""
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    income = Money.of("6000")
    first = change_limit_by_staff(
        engine, line, Money.of("9000"), reason="asked", actor=AGENT, verified_income=income
    )
    assert first.offer_id is not None
    more = change_limit_by_staff(engine, line, Money.of("6500"), reason="other", actor=AGENT)
    assert not more.applied and more.offer_id is None and more.request_id is not None
    assert line_limits(engine, line).limit == 500_000


def test_the_limit_policy_versions_list_the_shipped_default_as_active(engine):
    (only,) = limit_policy_versions(engine)
    default = load_limit_policy()
    assert (only.version, only.status, only.ceiling_fen) == (
        default.version,
        PolicyStatus.ACTIVE,
        3_000_000,
    )
    assert only.manual_approval_above_fen == default.settings.manual_approval_above_fen


def _equal_installments(principal: int, annual: Decimal, months: int) -> list[int]:
    """Equal installments (等额本息) by hand: the level rounded half up, each month's interest
    on the balance rounded half up, the last installment clearing what is left."""
    r, balance, paid = Fraction(annual) / 12, principal, []
    level = _installment(principal, annual, months)
    for month in range(months):
        interest = int(balance * r + Fraction(1, 2))
        part = balance if month == months - 1 else level - interest
        balance -= part
        paid.append(part + interest)
    return paid


def _compounded_irr(flows: list[int]) -> Fraction:
    """The yearly compounded rate of monthly ``flows`` (fen, the draw first), by bisection on
    exact fractions: this test's own oracle, not the code's IRR."""
    low, high = Fraction(0), Fraction(1, 10)
    for _ in range(60):
        mid = (low + high) / 2
        value = sum(Fraction(f) / (1 + mid) ** t for t, f in enumerate(flows))
        low, high = (mid, high) if value > 0 else (low, mid)
    return (1 + low) ** 12 - 1


def test_a_draw_whose_rounded_installments_cost_more_than_the_cap_is_refused(engine):
    """At 21.70 % a year a line prices under the 24 % cap, but a draw of 103.20 over six
    months pays 18.30 five times and 18.35 once: the fen rounding lifts its compounded cost
    above 24 %. It was quoted and opened all the same; now both refuse it, naming the amount,
    and nothing is drawn. A rate above the cap opens no line at all."""
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.217"), START).line.line_id
    paid = _equal_installments(10_320, Decimal("0.217"), 6)
    assert paid == [1830] * 5 + [1835]
    assert _compounded_irr([-10_320, *paid]) > Fraction(24, 100)
    with pytest.raises(RateCapExceededError) as refused:
        quote_draw(engine, line, Money.of("103.20"), 6, lender=LENDER)
    assert refused.value.field == "amount" and refused.value.remedy
    with pytest.raises(RateCapExceededError):
        draw_from_line(
            engine,
            line,
            Money.of("103.20"),
            6,
            seen_available=Money.of("5000"),
            confirmed=True,
            seconds_read=60,
            actor=BORROWER,
        )
    assert quote_draw(engine, line, Money.of("5000"), 12, lender=LENDER).available == Money.of(
        "5000"
    )  # a draw the rounding does not lift stays allowed, and nothing was drawn
    for rate in ("0.2401", "-0.01"):
        with pytest.raises(InvalidInputError) as no_line:
            open_credit_line(engine, Money.of("5000"), Decimal(rate), START)
        assert no_line.value.field == "annual_rate"
