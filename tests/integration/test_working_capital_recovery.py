"""Money paid on a charged-off working-capital line is a recovery — on SQLite and PostgreSQL:
a repayment by hand and the share of a day's sales are booked debit cash, credit recoveries
(as installment loans' recoveries are), set against what the draws still owe, audited, shown
on the month's statement; no interest accrues again; more than is still owed is refused with
nothing written. Figures come from a calculation written here.

As in ``test_working_capital_charge_off``, the charge-off threshold is lowered to
:data:`THRESHOLD` days so the lines are charged off after 75 nights, not 250."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import thinfile.services.cob_steps as cob_step
import thinfile.servicing.working_capital as wc_domain
from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital_statements import monthly_statement
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.working_capital import RepaymentMode, WorkingCapitalLine

OPENED = date(2028, 1, 25)
THRESHOLD = 5
RATE = Decimal("0.0005")
# Period 1 (days 0-59) is missed; its shortfall falls due on day 69, so the lines are
# THRESHOLD days past due, and charged off, at the close of day 74: 2028-04-08.
CHARGED_OFF_ON = OPENED + timedelta(days=69 + THRESHOLD)
NIGHTS = (CHARGED_OFF_ON - OPENED).days + 1  # every close from the draw's day, that night too


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    monkeypatch.setattr(cob_step, "CHARGE_OFF_DAYS", THRESHOLD)
    monkeypatch.setattr(wc_domain, "CHARGE_OFF_DAYS", THRESHOLD)
    return OPENED


def _line(engine: sa.Engine, line_id: int) -> WorkingCapitalLine:
    with UnitOfWork(engine) as uow:
        return uow.working_capital.get(line_id)[0]


def _balances(engine: sa.Engine) -> dict[str, int]:
    report = verify_ledger(engine)
    assert report.ok, report.problems
    return {a: v for (a, c), v in report.balances.items() if c == "CNY"}


def test_payments_after_charge_off_are_recoveries_and_never_revive_interest(engine, opened):
    hand = wc.open_working_capital_line(engine, "shop-r1", limit=Money.of("5000"), daily_rate=RATE)
    sales = wc.open_working_capital_line(
        engine,
        "shop-r2",
        limit=Money.of("2000"),
        daily_rate=RATE,
        mode=RepaymentMode.SALES,
        sales_share=Decimal("0.1"),
    )
    # a line with nothing drawn stays active, so the book keeps closing nights after the
    # charge-off (close of business runs while anything is active)
    wc.open_working_capital_line(engine, "shop-r3", limit=Money.of("100"), daily_rate=RATE)
    wc.draw_on_line(engine, "shop-r1", hand.line_id, Money.of("5000"), term_days=180)
    wc.draw_on_line(engine, "shop-r2", sales.line_id, Money.of("2000"), term_days=180)
    run_cob(engine, CHARGED_OFF_ON - timedelta(days=1))
    assert _line(engine, hand.line_id).status is LineStatus.ACTIVE
    run_cob(engine, CHARGED_OFF_ON)
    a, b = _line(engine, hand.line_id), _line(engine, sales.line_id)
    assert a.status is b.status is LineStatus.CHARGED_OFF
    # each night: 5,000.00 × 0.0005 = 2.50 and 2,000.00 × 0.0005 = 1.00
    interest_a, interest_b = 250 * NIGHTS, 100 * NIGHTS
    assert (a.drawn, a.interest_owed, b.drawn, b.interest_owed) == (
        500_000,
        interest_a,
        200_000,
        interest_b,
    )
    books = _balances(engine)
    assert books["charge_off_expense"] == 700_000
    assert books.get("recoveries", 0) == 0 and books["cash"] == -700_000

    # 1. a repayment by hand: a recovery, interest first
    paid = wc.repay_line(engine, "shop-r1", hand.line_id, Money.of("100"), key="r-1", actor="b1")
    assert (paid.kind, paid.paid_interest, paid.paid_principal) == ("recovery", 10_000, 0)
    again = wc.repay_line(engine, "shop-r1", hand.line_id, Money.of("100"), key="r-1")
    assert again.replayed and again.txn_id == paid.txn_id
    books = _balances(engine)
    assert (books["recoveries"], books["cash"]) == (-10_000, -690_000)
    assert books["charge_off_expense"] == 700_000
    assert books.get("working_capital_receivable", 0) == 0
    assert books.get("working_capital_interest_receivable", 0) == 0

    # 2. more than is still owed is refused, nothing written
    still_owed = 500_000 + interest_a - 10_000
    with pytest.raises(InvalidInputError) as refused:
        wc.repay_line(engine, "shop-r1", hand.line_id, Money(still_owed + 1), actor="b1")
    assert refused.value.field == "amount"
    assert _balances(engine) == books and _line(engine, hand.line_id).owed == still_owed

    # 3. a day's sales on the charged-off sales-linked line: its 10% share is a recovery
    taken = wc.record_sales(engine, sales.line_id, Money.of("3000"), CHARGED_OFF_ON)
    assert taken.collected == Money(30_000) and taken.receipt is not None
    assert taken.receipt.kind == "sales-recovery"
    assert (taken.receipt.paid_interest, taken.receipt.paid_principal) == (
        interest_b,
        30_000 - interest_b,
    )

    # 4. nights pass: nothing accrues on either line
    closed = run_cob(engine, CHARGED_OFF_ON + timedelta(days=4))
    assert len(closed.days) == 4
    a, b = _line(engine, hand.line_id), _line(engine, sales.line_id)
    assert a.status is b.status is LineStatus.CHARGED_OFF
    assert a.draws[0].interest_accrued == interest_a and b.draws[0].interest_accrued == interest_b
    assert (a.owed, b.owed) == (still_owed, 200_000 + interest_b - 30_000)

    # 5. the rest, by hand and from sales (the share capped at what is still owed)
    wc.repay_line(engine, "shop-r1", hand.line_id, Money(still_owed), actor="b1")
    big = wc.record_sales(engine, sales.line_id, Money.of("20000"), CHARGED_OFF_ON + timedelta(4))
    assert big.collected == Money(200_000 + interest_b - 30_000)
    run_cob(engine, CHARGED_OFF_ON + timedelta(days=5))
    none = wc.record_sales(engine, sales.line_id, Money.of("500"), CHARGED_OFF_ON + timedelta(5))
    assert none.collected == Money(0) and none.receipt is None
    assert _line(engine, hand.line_id).owed == _line(engine, sales.line_id).owed == 0
    books = _balances(engine)
    assert books["recoveries"] == -(700_000 + interest_a + interest_b)
    assert books["cash"] == interest_a + interest_b
    assert books["charge_off_expense"] == 700_000
    assert books.get("interest_income", 0) == 0  # accrued, then reversed at the charge-off

    # 6. audited: the borrower's recoveries under their name, the sales' under the acquirer's
    with engine.connect() as conn:
        audited = conn.execute(
            sa.text(
                "SELECT actor, action, subject FROM audit_log WHERE action LIKE 'wc_line.%recovery'"
            )
        ).all()
    assert sorted(tuple(r) for r in audited) == [
        ("b1", "wc_line.recovery", f"wc-line:{hand.line_id}"),
        ("b1", "wc_line.recovery", f"wc-line:{hand.line_id}"),
        ("system:acquiring", "wc_line.sales-recovery", f"wc-line:{sales.line_id}"),
        ("system:acquiring", "wc_line.sales-recovery", f"wc-line:{sales.line_id}"),
    ]

    # 7. the month's statement: the recoveries, and no interest after the charge-off
    april = monthly_statement(engine, hand.line_id, date(2028, 4, 1), owner="shop-r1")
    assert [(p.on, p.kind, p.amount) for p in april.repayments] == [
        (CHARGED_OFF_ON + timedelta(days=1), "recovery", 10_000),
        (CHARGED_OFF_ON + timedelta(days=5), "recovery", still_owed),
    ]
    assert april.recovered_total == 10_000 + still_owed and april.closing_owed == 0
    assert all(d.interest == 0 for d in april.days if d.on > CHARGED_OFF_ON)
    assert april.interest_total == 250 * CHARGED_OFF_ON.day
    assert [r.owed_after for r in april.rows if r.kind == "recovery"] == [still_owed, 0]
    other = monthly_statement(engine, sales.line_id, date(2028, 4, 1))
    assert [p.kind for p in other.repayments] == ["sales-recovery", "sales-recovery"]
