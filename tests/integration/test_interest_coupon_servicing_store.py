"""Interest coupons on stored loans, on both databases: the cut re-computed on what is
actually charged by a payoff quote, a partial prepayment and a term extension approved as a
hardship plan — checked against oracles computed here by hand with Decimal day counts — with
the ledger verified and the stored loan (closed by the SQL close of business) equal to its
Python replay.

The loan: 12,000.00 at 18 % (1.5 % a month), 12 equal installments from 2025-01-01; period 1
runs 31 days. The coupon's cost is booked as reduced interest income (no deferred subsidy),
so hardship plans are open to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from tests.integration.collections_helpers import AGENT, AGENT_2
from tests.integration.servicing_helpers import replayed, terms
from thinfile.collections import HardshipKind
from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms, with_coupon
from thinfile.loanmath import build_schedule
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.collection_hardship import approve_plan, propose_plan
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import open_in_unit, quote_payoff
from thinfile.services.payments import prepay_loan
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanAccount, LoanStatus, PrepaymentMode, ServicingProduct

D = Decimal
PRINCIPAL = 1_200_000
MONTHLY = D("0.015")


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def _half_even(x: D) -> int:
    return int(x.quantize(D(1), rounding=ROUND_HALF_EVEN))


def _half_up(x: D) -> int:
    return int(x.quantize(D(1), rounding=ROUND_HALF_UP))


def _open(engine, coupon: InterestCouponTerms) -> int:
    schedule, _value = with_coupon(build_schedule(terms("12000", 12)), coupon)
    with UnitOfWork(engine) as uow:
        loan = open_in_unit(uow, schedule.terms, product=ServicingProduct(), schedule=schedule)
        uow.commit()
    return loan.loan_id


def _account(engine, loan_id: int) -> LoanAccount:
    with UnitOfWork(engine) as uow:
        return uow.loans.get(loan_id).account


def _rate(factor: str, periods: int) -> InterestCouponTerms:
    return InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D(factor), periods=periods)


def _consistent(engine, loan_id: int, through: date) -> None:
    run_cob(engine, through)
    stored, python = replayed(engine, loan_id, through)
    assert stored == python
    report = verify_ledger(engine)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("factor", "periods", "days"), [("0.8", 3, 5), ("0.8", 3, 15), ("0.5", 1, 15)]
)
def test_a_rate_discount_paid_off_early_keeps_its_factor_of_the_days_used(
    engine, factor, periods, days
):
    """×0.8 paid off on day 5: 23.23 of interest (was 0.00); day 15: 69.68 (was 51.09);
    ×0.5 on one installment, day 15: 43.55 (was 0.00)."""
    loan_id = _open(engine, _rate(factor, periods))
    on = date(2025, 1, 1) + timedelta(days=days)
    run_cob(engine, on - timedelta(days=1))
    quote = quote_payoff(engine, loan_id, on)
    oracle = D(factor) * PRINCIPAL * MONTHLY * days / 31
    assert abs(D(quote.fen - PRINCIPAL) - oracle) < 1, (quote, oracle)
    prepay_loan(engine, loan_id, quote, on)
    assert _account(engine, loan_id).status is LoanStatus.CLOSED
    _consistent(engine, loan_id, on + timedelta(days=3))


def test_a_partial_prepayment_keeps_the_factor_of_the_interest_on_what_stays_lent(engine):
    """×0.8 on installments 1-3, 6,000.00 prepaid on day 15: installment 2 asks 73.18 (0.8 ×
    91.47 on the smaller balance; the fixed cut asked 58.23), installment 3 likewise."""
    loan_id = _open(engine, _rate("0.8", 3))
    on = date(2025, 1, 16)
    run_cob(engine, on - timedelta(days=1))
    receipt = prepay_loan(
        engine, loan_id, Money.of("6000"), on, mode=PrepaymentMode.REDUCE_INSTALLMENT
    )
    rows = _account(engine, loan_id).installments
    left = PRINCIPAL - receipt.paid.principal
    first = D("0.8") * MONTHLY * (D(PRINCIPAL) * 15 + D(left) * 16) / 31
    assert abs(rows[0].interest_due - first) <= 2, (rows[0].interest_due, first)
    balance = left - (rows[0].principal_due - rows[0].principal_paid)
    for row in rows[1:4]:
        contract = _half_even(D(balance) * MONTHLY)
        oracle = _half_up(D("0.8") * contract) if row.n <= 3 else contract
        assert row.interest_due == oracle, (row.n, row.interest_due, oracle)
        balance -= row.principal_due
    _consistent(engine, loan_id, date(2025, 3, 5))


def _extend_six_months(engine, loan_id: int, on: date) -> None:
    """A six-month term extension proposed and approved on ``on`` (its eve closed)."""
    run_cob(engine, on - timedelta(days=1))
    plan = propose_plan(
        engine,
        loan_id,
        HardshipKind.TERM_EXTENSION,
        reason="hardship",
        actor=AGENT,
        months=6,
        today=on,
    )
    approve_plan(engine, plan.plan_id, approver=AGENT_2, today=on)


def test_a_term_extension_charges_the_factor_of_the_new_interest_never_more(engine):
    """×0.7 on installments 1-4, a 6-month extension approved on 2025-01-20: installments
    2-4 ask 0.7 × the contract interest on their new balance (119.28, not 120.54)."""
    loan_id = _open(engine, _rate("0.7", 4))
    _extend_six_months(engine, loan_id, date(2025, 1, 20))
    rows = _account(engine, loan_id).installments
    assert len(rows) == 18
    balance = PRINCIPAL - rows[0].principal_due
    for row in rows[1:6]:
        contract = _half_even(D(balance) * MONTHLY)
        oracle = _half_up(D("0.7") * contract) if row.n <= 4 else contract
        assert row.interest_due == oracle, (row.n, row.interest_due, oracle)
        balance -= row.principal_due
    _consistent(engine, loan_id, date(2025, 3, 5))


def test_a_term_extension_keeps_only_the_promised_free_days_free(engine):
    """45 days free from 2025-01-01 cover 14 of period 2's 28 days: after the extension,
    installment 2 asks the contract interest on its new balance for the other 14 days."""
    loan_id = _open(engine, InterestCouponTerms(CouponKind.FREE_DAYS, days=45))
    _extend_six_months(engine, loan_id, date(2025, 1, 20))
    rows = _account(engine, loan_id).installments
    balance = PRINCIPAL - rows[0].principal_due
    oracle = D(_half_even(D(balance) * MONTHLY)) * 14 / 28
    assert abs(rows[1].interest_due - oracle) <= D("0.5"), (rows[1].interest_due, oracle)
    _consistent(engine, loan_id, date(2025, 3, 5))


def test_an_amount_off_moved_by_a_prepayment_is_kept_by_the_stored_loan(engine):
    """300.00 off (180.00 off installment 1, 120.00 off installment 2), 6,000.00 prepaid on
    day 15 and 3,000.00 on day 19: what each re-plan moved between installments is stored
    (``relief_moved``) and summed to nothing, the second re-plan starts from it, the stored
    loan equals its Python replay through the SQL close of business, and the ledger
    verifies."""
    loan_id = _open(engine, InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=30_000))
    run_cob(engine, date(2025, 1, 15))
    prepay_loan(engine, loan_id, Money.of("6000"), date(2025, 1, 16))
    first = [r.relief_moved for r in _account(engine, loan_id).installments]
    assert first[0] < 0 and first[2] > 0 and sum(first) == 0, first
    run_cob(engine, date(2025, 1, 19))
    prepay_loan(engine, loan_id, Money.of("3000"), date(2025, 1, 20))
    second = [r.relief_moved for r in _account(engine, loan_id).installments]
    assert second[0] < first[0] and second[3] > 0 and sum(second) <= 0, second
    _consistent(engine, loan_id, date(2025, 1, 28))
