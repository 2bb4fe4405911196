"""A checkout's partial refund on both databases: close of business recognises the subsidy
still deferred over the schedule the refund left, day by day, as an oracle written here says;
the fees paid on the refunded principal go back to the borrower; ``ledger verify`` stays clean;
and reversing the refund (merchant error) puts everything back.

The oracle (bisection for the effective rate, ``r × carrying`` half-up to the fen, each period
linear by days) is the one of ``test_subsidy_recognition``: it never calls thinfile.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.engine import Engine

from tests.integration.test_subsidy_recognition import (
    _daily_recognition,
    _deferred_in_journal,
    oracle_cumulative,
    oracle_months,
)
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loan_adjustments import merchant_refund_in_unit, overpayment_refund_in_unit
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanStatus, PrepaymentMode, SubsidyOnRefund, standard_product

START = date(2026, 1, 31)
FINANCED = 600_000  # 6,000 yuan, 6 periods, 0.5 % a month: 1,000 + 30 a period
FEE = 3_000
SUBSIDY = 18_000  # the merchant's 3 % on top of the borrower's fee
REFUND = 200_000


def _open(engine: Engine) -> int:
    method = RepaymentMethod.FEE_INSTALLMENT
    terms = LoanTerms(
        Money(FINANCED), Decimal(0), 6, method, START, monthly_fee_rate=Decimal("0.005")
    )
    product = replace(standard_product(method), prepayment_mode=PrepaymentMode.SHORTEN_TERM)
    loan = open_and_disburse(engine, terms, product=product, subsidy=Money(SUBSIDY), merchant="m-1")
    return loan.loan_id


def _refund(engine: Engine, loan_id: int, on: date, *, pay_out: bool) -> int:
    """What a checkout's refund does to the loan: the merchant refund with the contract's
    policy, then (``pay_out``) what is held for the borrower paid back to them."""
    with UnitOfWork(engine) as uow:
        receipt = merchant_refund_in_unit(
            uow, loan_id, Money(REFUND), on, unearned=SubsidyOnRefund.RETURN_TO_MERCHANT
        )
        held = uow.loans.get(loan_id).account.credit
        if pay_out and held:
            overpayment_refund_in_unit(uow, loan_id, Money(held), on)
        uow.commit()
    return receipt.txn_id


def _two_months_then_refund(engine: Engine, *, pay_out: bool) -> tuple[int, int, date, int]:
    loan_id = _open(engine)
    dues = [i.due for i in get_loan(engine, loan_id).account.installments]
    for due in dues[:2]:
        run_cob(engine, due - timedelta(days=1))
        post_payment(engine, loan_id, Money(100_000 + FEE), due)
    on = dues[1] + timedelta(days=9)  # mid-period
    run_cob(engine, on - timedelta(days=1))
    deferred = SUBSIDY - get_loan(engine, loan_id).account.subsidy_recognized
    txn = _refund(engine, loan_id, on, pay_out=pay_out)
    return loan_id, txn, on, deferred


def test_after_a_partial_refund_close_of_business_recognises_the_rest_at_the_new_rate(
    engine: Engine,
) -> None:
    loan_id, _, on, deferred = _two_months_then_refund(engine, pay_out=True)
    loan = get_loan(engine, loan_id).account
    # the fees of the two periods paid: a third back (10 each), held then paid out
    assert loan.credit == 0
    assert [i.fee_due for i in loan.installments] == [2_000] * 4
    # the unearned share: 2,000 of the 4,000 principal outstanding
    unwound = int((Decimal(deferred) * REFUND / 400_000).quantize(Decimal(1), ROUND_HALF_UP))
    rest = deferred - unwound
    assert loan.subsidy_recognized == SUBSIDY - rest
    report = verify_ledger(engine)
    assert report.ok, report.problems
    # the oracle: what the borrower still pays on the installments left (the current one's
    # fee for the days before the refund was accrued already: the rest of it is contractual)
    left = [i for i in loan.installments if i.due > on]
    assert [(i.principal_due - i.principal_paid) for i in left] == [100_000, 100_000]
    flows = [i.principal_due - i.principal_paid + i.fee_due - i.fee_paid for i in left]
    # the subsidy takes each period's effective income less the fee still to accrue; the net
    # investment is what is owed now (principal, fee accrued) less the subsidy deferred
    contractual = [i.fee_due - i.fee_accrued for i in left]
    months = oracle_months(sum(flows) - sum(contractual) - rest, flows)
    parts = [max(0, min(m - c, rest)) for m, c in zip(months, contractual, strict=True)]
    parts[-1] = rest - sum(parts[:-1])
    assert all(p >= 0 for p in parts)
    starts = [on - timedelta(days=1), left[1].start]
    periods = list(zip(starts, [i.due for i in left], parts, strict=True))
    assert [(p.start, p.due, p.amount) for p in loan.subsidy_plan] == periods
    for row in left:
        run_cob(engine, row.due - timedelta(days=1))
        post_payment(engine, loan_id, Money(100_000 + 2_000), row.due)
    daily = _daily_recognition(engine)
    previous = SUBSIDY - rest
    day = on
    while day < left[-1].due:  # the last day: the payoff recognises the rest
        expected = oracle_cumulative(periods, SUBSIDY - rest, day)
        assert daily.get(day, 0) == expected - previous >= 0, day
        previous = expected
        day += timedelta(days=1)
    loan = get_loan(engine, loan_id).account
    assert loan.status is LoanStatus.CLOSED and loan.closed_on == left[-1].due
    assert loan.subsidy_recognized == SUBSIDY and _deferred_in_journal(engine) == 0
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_reversing_a_partial_refund_puts_back_the_fees_and_the_plan(engine: Engine) -> None:
    loan_id, txn, on, _ = _two_months_then_refund(engine, pay_out=False)
    with UnitOfWork(engine) as uow:
        opening_plan = uow.loans.get(loan_id).account.subsidy_plan  # already the new one
    refunded = get_loan(engine, loan_id).account
    assert refunded.credit == 2_000 and refunded.installments[0].fee_due == 2_000
    for x in range(3):  # close of business recognises on the new plan for a few days
        run_cob(engine, on + timedelta(days=x))
    assert verify_ledger(engine).ok
    reverse_payment(engine, txn, on + timedelta(days=3), reason="merchant error")
    back = get_loan(engine, loan_id).account
    assert [i.fee_due for i in back.installments] == [FEE] * 6
    assert back.credit == 0 and back.merchant_refunded == 0
    assert [i.principal_due for i in back.installments] == [100_000] * 6
    assert back.subsidy_plan != opening_plan and len(back.subsidy_plan) == 6
    assert [p.due for p in back.subsidy_plan] == [i.due for i in back.installments]
    assert sum(p.amount for p in back.subsidy_plan) == SUBSIDY
    assert _deferred_in_journal(engine) == SUBSIDY - back.subsidy_recognized
    report = verify_ledger(engine)
    assert report.ok, report.problems
