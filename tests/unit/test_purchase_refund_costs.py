"""A partial refund on a financed purchase: the fees paid on the refunded principal come back,
later fees are charged on what remains financed, the subsidy still deferred is planned again
by the effective-interest method, and a reversal undoes all of it.

Every expected figure is worked out here with plain integer / ``Decimal`` arithmetic (a fee plan
is principal ÷ n plus ``rate × financed`` a period; the effective rate is solved by bisection):
never with thinfile's own functions.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    Event,
    EventKind,
    LoanStatus,
    Outcome,
    PrepaymentMode,
    SubsidyOnRefund,
    account_balances,
    close_through,
    merchant_refund,
    open_loan,
    pay,
    refund_overpayment,
    replay,
    reversal_entries,
    standard_product,
)
from thinfile.servicing.invariants import check_loan, ledger_matches_account

START = date(2026, 1, 1)


def _open(
    financed: int, periods: int, fee_rate: str, subsidy: int = 0, *, loan_id: int = 1
) -> Outcome:
    """A checkout's loan: interest-free or the fee plan, cut from the last installment back."""
    method = RepaymentMethod.FEE_INSTALLMENT if Decimal(fee_rate) else RepaymentMethod.ZERO_INTEREST
    terms = LoanTerms(
        Money(financed), Decimal(0), periods, method, START, monthly_fee_rate=Decimal(fee_rate)
    )
    product = replace(standard_product(method), prepayment_mode=PrepaymentMode.SHORTEN_TERM)
    return open_loan(loan_id, build_schedule(terms), product, subsidy=subsidy, merchant="m")


def _pay_on_due_dates(done: Outcome, months: int, amount: int) -> Outcome:
    for k in range(months):
        due = done.loan.installments[k].due
        done = done.then(close_through(done.loan, due - timedelta(days=1)))
        done = done.then(pay(done.loan, Money(amount), due))
    return done


def _irr(flows: list[int]) -> Decimal:
    """The periodic rate r with Σ flow_k / (1 + r)^k = 0 (flow 0 is the amount lent, < 0)."""
    with localcontext() as ctx:
        ctx.prec = 40
        lo, hi = Decimal(0), Decimal(1)
        for _ in range(200):
            mid = (lo + hi) / 2
            npv = sum(Decimal(f) / (1 + mid) ** k for k, f in enumerate(flows))
            lo, hi = (mid, hi) if npv > 0 else (lo, mid)
        return (lo + hi) / 2


# 1. the fee plan ---------------------------------------------------------------------------

FINANCED = 600_000  # 6,000 yuan in 6 periods at 0.5 % a month: 1,000 + 30 a period
FEE = 3_000
REFUND = 200_000  # a third


def _two_paid_then_a_third_refunded() -> tuple[Outcome, Outcome, date]:
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 2, 100_000 + FEE)
    on = done.loan.installments[1].due + timedelta(days=1)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    refunded = done.then(
        merchant_refund(done.loan, Money(REFUND), on, unearned=SubsidyOnRefund.KEEP)
    )
    return done, refunded, on


def test_a_partial_refund_gives_back_the_fees_paid_on_the_refunded_principal() -> None:
    before, after, _ = _two_paid_then_a_third_refunded()
    # two fees of 30 paid on 6,000; a third of the amount financed refunded: 10 back from each
    assert after.loan.credit == 2 * (FEE * REFUND // FINANCED) == 2_000
    new_fee = FEE - FEE * REFUND // FINANCED  # 20: 0.5 % of the 4,000 still financed
    assert [(i.n, i.fee_due, i.fee_paid) for i in after.loan.installments[:2]] == [
        (1, new_fee, new_fee),
        (2, new_fee, new_fee),
    ]
    # what is left: 2,000 of principal in two installments, each with the 20 fee
    left = [(i.principal_due - i.principal_paid, i.fee_due) for i in after.loan.installments[2:]]
    assert left == [(100_000, new_fee), (100_000, new_fee)]
    assert ledger_matches_account(after.loan, after.entries) == []
    moved = account_balances(after.entries[len(before.entries) :])
    assert moved.get(Account.FEE_INCOME, 0) == 2_000  # income given back (a debit)
    assert moved.get(Account.OVERPAYMENT_LIABILITY, 0) == -2_000


def test_after_a_partial_refund_the_borrower_pays_the_fee_plan_on_the_smaller_amount() -> None:
    _, after, on = _two_paid_then_a_third_refunded()
    done = after.then(refund_overpayment(after.loan, Money(after.loan.credit), on))
    for row in after.loan.installments[2:]:
        done = done.then(close_through(done.loan, row.due - timedelta(days=1)))
        done = done.then(pay(done.loan, Money(100_000 + 2_000), row.due))
    assert done.loan.status is LoanStatus.CLOSED
    check_loan(done.loan, done.entries)
    fees = -account_balances(done.entries).get(Account.FEE_INCOME, 0)
    assert fees == 4 * 2_000  # four periods at 0.5 % of the 4,000 financed
    # the borrower's flows, the lender's side: 6,000 lent; 1,030 twice; the merchant's 2,000
    # less the 20 given back (booked on the day after the second due date: counted at it,
    # which can only raise the rate); 1,020 twice
    actual = _irr([-FINANCED, 103_000, 103_000 + REFUND - 2_000, 102_000, 102_000])
    disclosed = _irr([-FINANCED, *[100_000 + FEE] * 6])
    kept_fees = _irr([-FINANCED, 103_000, 103_000 + REFUND, 103_000, 103_000])
    assert actual <= disclosed < kept_fees  # fees kept on 6,000 would cost more than disclosed
    assert on > START


def test_a_refund_on_a_due_date_cuts_principal_only_and_leaves_that_days_fee_due() -> None:
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 2, 100_000 + FEE)
    on = done.loan.installments[2].due
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    out = done.then(merchant_refund(done.loan, Money(REFUND), on, unearned=SubsidyOnRefund.KEEP))
    unpaid = [
        (i.principal_due - i.principal_paid, i.fee_due - i.fee_paid) for i in out.loan.installments
    ]
    # 4,000 outstanding less the 2,000 refunded: two installments of 1,000 + 20 left
    assert unpaid == [(0, 0), (0, 0), (100_000, 2_000), (100_000, 2_000)]
    assert out.loan.credit == 2_000
    check_loan(out.loan, out.entries)
    paid = out.then(pay(out.loan, Money(100_000 + 2_000 - 2_000), on))  # the 20 held pays too
    assert paid.loan.installments[2].is_settled


def test_several_partial_refunds_and_a_last_one_give_back_every_fee_paid() -> None:
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 3, 100_000 + FEE)
    on = done.loan.installments[2].due + timedelta(days=1)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    for part in (100_000, 150_000, 350_000):  # 6,000 in all
        done = done.then(merchant_refund(done.loan, Money(part), on, unearned=SubsidyOnRefund.KEEP))
        check_loan(done.loan, done.entries)
    assert done.loan.status is LoanStatus.CLOSED
    assert account_balances(done.entries).get(Account.FEE_INCOME, 0) == 0
    assert done.loan.credit == 3 * (100_000 + FEE)  # everything the borrower paid


def test_a_refund_leaving_less_financed_than_was_repaid_asks_no_fee_for_the_period() -> None:
    """6,000 in 6 periods at 1,000 + 30: three installments paid (3,000 of principal); five
    days into period 4 the merchant refunds 4,000, so 2,000 stays financed, repaid before the
    period began. Re-priced as a 2,000 purchase, period 4 lends nothing: no fee for its five
    days (a review found 3.23 left due, the loan open and heading past due)."""
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 3, 100_000 + FEE)
    on = done.loan.installments[2].due + timedelta(days=5)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    refund = 400_000
    out = done.then(merchant_refund(done.loan, Money(refund), on, unearned=SubsidyOnRefund.KEEP))
    assert out.loan.status is LoanStatus.CLOSED
    assert all(i.fee_due == i.fee_paid for i in out.loan.installments)
    # back: the 1,000 repaid beyond 2,000, and each paid fee's refunded share (30 × 4/6 = 20)
    assert out.loan.credit == 300_000 - (FINANCED - refund) + 3 * 2_000
    check_loan(out.loan, out.entries)


def test_a_refund_of_a_repaid_fee_plan_purchase_gives_back_its_share_of_every_fee() -> None:
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 6, 100_000 + FEE)
    assert done.loan.status is LoanStatus.CLOSED
    on = done.loan.installments[-1].due + timedelta(days=5)
    out = done.then(merchant_refund(done.loan, Money(REFUND), on, unearned=SubsidyOnRefund.KEEP))
    assert out.loan.credit == REFUND + 6 * 1_000
    assert -account_balances(out.entries).get(Account.FEE_INCOME, 0) == 6 * 2_000
    check_loan(out.loan, out.entries)


def test_a_refund_without_a_contract_policy_keeps_the_fees_as_before() -> None:
    done = _pay_on_due_dates(_open(FINANCED, 6, "0.005"), 2, 100_000 + FEE)
    on = done.loan.installments[1].due + timedelta(days=1)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    out = merchant_refund(done.loan, Money(REFUND), on)
    assert out.loan.credit == 0 and out.loan.installments[0].fee_due == FEE


# 2. the subsidy still deferred, planned again ------------------------------------------------

PRICE = 1_200_000  # DOMAIN §11: 12 × 1,000 interest-free, 7.5 % subsidy
SUBSIDY = 90_000


def _months(net: int, payments: list[int]) -> list[int]:
    """Each period's income at the effective rate (half-up to the fen, the last the rest)."""
    rate = _irr([-net, *payments])
    out: list[int] = []
    carrying = Decimal(net)
    for k, p in enumerate(payments):
        last = k == len(payments) - 1
        income = (
            sum(payments) - net - sum(out)
            if last
            else int((rate * carrying).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        )
        out.append(income)
        carrying += income - p
    return out


def _subsidised_refund(policy: SubsidyOnRefund) -> tuple[Outcome, date, int]:
    done = _pay_on_due_dates(_open(PRICE, 12, "0", SUBSIDY), 3, 100_000)
    on = done.loan.installments[2].due + timedelta(days=1)
    done = done.then(close_through(done.loan, on - timedelta(days=1)))
    deferred = SUBSIDY - done.loan.subsidy_recognized
    return done.then(merchant_refund(done.loan, Money(240_000), on, unearned=policy)), on, deferred


@pytest.mark.parametrize("policy", list(SubsidyOnRefund))
def test_the_deferred_subsidy_left_is_recognised_over_the_new_schedule_at_its_rate(
    policy: SubsidyOnRefund,
) -> None:
    refunded, on, deferred = _subsidised_refund(policy)
    assert deferred == 52_543  # DOMAIN §11: 525.43 after month 3
    unwound = (Decimal(deferred) * 2_400 / 9_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    rest = deferred - int(unwound)  # 525.43 − 140.11
    assert rest == 38_532
    left = [i for i in refunded.loan.installments if i.due > on]
    flows = [100_000] * 6 + [60_000]
    assert [i.principal_due - i.principal_paid for i in left] == flows
    months = _months(sum(flows) - rest, flows)
    assert sum(months) == rest and all(m >= 0 for m in months)
    done, recognised = refunded, [refunded.loan.subsidy_recognized]
    for row in left:
        day = done.loan.cob_date
        while day < row.due - timedelta(days=1):
            day += timedelta(days=1)
            done = done.then(close_through(done.loan, day))
            recognised.append(done.loan.subsidy_recognized)
        expected = SUBSIDY - rest + sum(months[: row.n - 4 + 1])
        # by the day before the due date: all but the last day of the period's income
        period = (row.due - row.start).days
        this = months[row.n - 4]
        assert done.loan.subsidy_recognized == expected - this + this * (period - 1) // period
        done = done.then(pay(done.loan, Money(row.principal_due - row.principal_paid), row.due))
        recognised.append(done.loan.subsidy_recognized)
    assert done.loan.status is LoanStatus.CLOSED and done.loan.maturity == left[-1].due
    assert done.loan.subsidy_recognized == SUBSIDY
    assert all(b >= a for a, b in itertools.pairwise(recognised))
    assert account_balances(done.entries).get(Account.DEFERRED_SUBSIDY, 0) == 0
    check_loan(done.loan, done.entries)


def test_the_new_plan_ends_on_the_new_last_due_date() -> None:
    refunded, on, _ = _subsidised_refund(SubsidyOnRefund.RETURN_TO_MERCHANT)
    plan = refunded.loan.subsidy_plan
    assert plan[0].start == on - timedelta(days=1)
    assert plan[-1].due == refunded.loan.installments[-1].due == date(2026, 11, 1)
    assert sum(p.amount for p in plan) == SUBSIDY - refunded.loan.subsidy_recognized


@pytest.mark.parametrize(
    "event",
    [
        Event(EventKind.MERCHANT_REFUND, START, 240_000, unearned=SubsidyOnRefund.KEEP),
        Event(EventKind.PREPAYMENT, START, 240_000, PrepaymentMode.SHORTEN_TERM),
    ],
    ids=["refund", "prepayment"],
)
def test_a_plan_made_again_on_the_day_of_purchase_earns_nothing_that_day(event: Event) -> None:
    """A refund or a prepayment the day the loan was opened, before any close of business:
    the new plan starts on the disbursement date, so the first close of business recognises
    nothing that day, as for a loan left alone (the first day earns no interest)."""
    alone = close_through(_open(PRICE, 12, "0", SUBSIDY).loan, START)
    assert alone.loan.subsidy_recognized == 0
    opened = _open(PRICE, 12, "0", SUBSIDY)
    done = replay(opened, [event], START - timedelta(days=1))
    assert done.loan.subsidy_plan[0].start == START
    before = done.loan.subsidy_recognized
    closed = done.then(close_through(done.loan, START))
    assert closed.loan.subsidy_recognized == before
    after_day = closed.then(close_through(closed.loan, START + timedelta(days=1)))
    assert after_day.loan.subsidy_recognized > before  # and the next day does
    check_loan(after_day.loan, after_day.entries)


# 3. a refund reversed ------------------------------------------------------------------------


def test_reversing_the_refund_undoes_the_fees_given_back_and_the_new_plan() -> None:
    opened = _open(FINANCED, 6, "0.005", 12_000)
    dues = [i.due for i in opened.loan.installments]
    paid = [Event(EventKind.REPAYMENT, d, 100_000 + FEE) for d in dues[:2]]
    on = dues[1] + timedelta(days=1)
    refund = Event(EventKind.MERCHANT_REFUND, on, REFUND, unearned=SubsidyOnRefund.KEEP)
    later = [Event(EventKind.REPAYMENT, dues[2], 100_000)]
    through = dues[2] + timedelta(days=3)
    with_refund = replay(opened, [*paid, refund, *later], through)
    assert with_refund.loan.installments[0].fee_due == 2_000  # 20 on the 4,000 left
    assert with_refund.loan.subsidy_plan != opened.loan.subsidy_plan
    without = replay(opened, [*paid, *later], through)
    refund_entry = next(e for e in with_refund.entries if e.kind == "merchant-refund")
    undo = reversal_entries(with_refund, without, refund_entry, through + timedelta(days=1))
    books = (*with_refund.entries, *undo)
    # after the reversal the books are those of a loan never refunded: every fee of 30 is
    # owed again, the subsidy plan is the one of the opening, nothing is held for the borrower
    assert [i.fee_due for i in without.loan.installments] == [FEE] * 6
    assert without.loan.subsidy_plan == opened.loan.subsidy_plan
    assert without.loan.credit == 0 and without.loan.merchant_refunded == 0
    assert ledger_matches_account(without.loan, books) == []
    nonzero = lambda entries: {a: v for a, v in account_balances(entries).items() if v}  # noqa: E731
    assert nonzero(books) == nonzero(without.entries)
    fees_before = -account_balances(with_refund.entries).get(Account.FEE_INCOME, 0)
    fees_after = -account_balances(books).get(Account.FEE_INCOME, 0)
    assert fees_after > fees_before  # the fees given back are income again
