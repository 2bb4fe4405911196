"""An interest coupon's cut re-computed on what is actually charged — a payoff, a partial
prepayment, a term extension — checked against oracles computed here by hand (Decimal day
counts and the coupon's promise), independently of the servicing code.

The loan: 12,000.00 at 18 % (1.5 % a month), 12 equal installments from 2025-01-01, so
period 1 runs 31 days (01-01 to 02-01) and period 2 28 days (02-01 to 03-01). A rate
discount (利率折扣券) keeps ``factor ×`` the interest charged for the days used; free days
(免息天数) take the interest of the promised days only. Loans stored before the coupon's own
terms were kept still take the fixed cut in fen (their behaviour does not change).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms, with_coupon
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.servicing import (
    Account,
    LoanAccount,
    LoanStatus,
    Outcome,
    PrepaymentMode,
    ServicingProduct,
    check_loan,
    close_through,
    open_loan,
    pay,
    payoff_quote,
    prepay,
)
from thinfile.servicing.reschedule import term_extension
from thinfile.store.servicing_codec import terms_from_json, terms_to_json

D = Decimal
START = date(2025, 1, 1)
PRINCIPAL = 1_200_000
MONTHLY = D("0.015")
PERIOD_1 = 31  # 2025-01-01 to 2025-02-01


def rate_discount(factor: str, periods: int) -> InterestCouponTerms:
    return InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=D(factor), periods=periods)


def _half_even(x: D) -> int:
    return int(x.quantize(D(1), rounding=ROUND_HALF_EVEN))


def _half_up(x: D) -> int:
    return int(x.quantize(D(1), rounding=ROUND_HALF_UP))


def _terms() -> LoanTerms:
    return LoanTerms(Money.of("12000"), D("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START)


class Book:
    """A loan and every entry it has booked, for the ledger invariants."""

    def __init__(self, coupon: InterestCouponTerms, *, keep_coupon_terms: bool = True):
        schedule, _value = with_coupon(build_schedule(_terms()), coupon)
        if not keep_coupon_terms:  # a loan stored before the coupon's terms were kept
            schedule = build_schedule(replace(schedule.terms, charge_coupon=None))
        opened = open_loan(1, schedule, ServicingProduct())
        self.loan: LoanAccount = opened.loan
        self.entries = list(opened.entries)

    def step(self, outcome: Outcome) -> LoanAccount:
        self.entries.extend(outcome.entries)
        self.loan = outcome.loan
        return self.loan

    def close_through(self, day: date) -> LoanAccount:
        return self.step(close_through(self.loan, day))

    def check(self) -> None:
        check_loan(self.loan, self.entries)


def _cash(entries) -> int:
    return sum(
        line.amount
        for e in entries
        if e.kind in ("repayment", "prepayment")
        for line in e.lines
        if line.account is Account.CASH
    )


@pytest.mark.parametrize(
    ("factor", "periods", "days"),
    [("0.8", 3, 5), ("0.8", 3, 10), ("0.8", 3, 15), ("0.8", 3, 25), ("0.5", 1, 15)],
)
def test_a_rate_discount_paid_off_early_keeps_its_factor_of_the_days_used(factor, periods, days):
    """Paid off on day ``days`` of period 1: the borrower pays ``factor ×`` the interest of
    the days used (民法典 art. 677), not nothing (the fixed cut taken off the first days: ×0.8
    paid off on day 5 charged 0.00 against 23.23; ×0.5 on day 15, 0.00 against 43.55)."""
    book = Book(rate_discount(factor, periods))
    on = START + timedelta(days=days)
    book.close_through(on - timedelta(days=1))
    quote = payoff_quote(book.loan, on)
    oracle = D(factor) * PRINCIPAL * MONTHLY * days / PERIOD_1
    assert abs(D(quote.fen - PRINCIPAL) - oracle) < 1, (quote, oracle)
    closed = book.step(prepay(book.loan, quote, on))
    assert closed.status is LoanStatus.CLOSED and closed.credit == 0
    assert _cash(book.entries) == quote.fen
    book.check()


def test_a_partial_prepayment_keeps_the_factor_of_the_interest_on_what_stays_lent():
    """×0.8 on installments 1-3; 6,000.00 prepaid on 2025-01-16 (reduce installment).
    Installment 1 asks 0.8 × (15 days on 12,000.00 and 16 on what is left); installments 2
    and 3 ask 0.8 × the contract interest on the smaller balance (a fixed cut took off
    18.00 and 16.98 as before: 58.23 asked against 73.18); installment 4 the contract's."""
    book = Book(rate_discount("0.8", 3))
    on = date(2025, 1, 16)
    book.close_through(on - timedelta(days=1))
    book.step(prepay(book.loan, Money.of("6000"), on, mode=PrepaymentMode.REDUCE_INSTALLMENT))
    rows = book.loan.installments
    cut_ahead = sum(r.principal_paid for r in rows)
    assert 580_000 < cut_ahead < 600_000  # the prepayment cut principal
    left = PRINCIPAL - cut_ahead
    first = D("0.8") * MONTHLY * (D(PRINCIPAL) * 15 + D(left) * 16) / PERIOD_1
    assert abs(rows[0].interest_due - first) <= 2, (rows[0].interest_due, first)
    balance = left - (rows[0].principal_due - rows[0].principal_paid)
    for row in rows[1:4]:
        contract = _half_even(D(balance) * MONTHLY)  # the loan rounds half-even
        oracle = _half_up(D("0.8") * contract) if row.n <= 3 else contract
        assert row.interest_due == oracle, (row.n, row.interest_due, oracle, contract)
        balance -= row.principal_due
    book.check()
    later = date(2025, 2, 10)
    book.close_through(later - timedelta(days=1))
    book.step(prepay(book.loan, payoff_quote(book.loan, later), later))
    assert book.loan.status is LoanStatus.CLOSED
    book.check()


@pytest.mark.parametrize(
    ("free_days", "on", "paid_first"),
    [(45, date(2025, 2, 11), True), (45, date(2025, 2, 13), True), (7, date(2025, 1, 4), False)],
)
def test_a_partial_prepayment_keeps_only_the_promised_free_days_free(free_days, on, paid_first):
    """Free days from 2025-01-01, 6,000.00 prepaid within a period they reach into: the
    period asks the contract interest of each day after the free days on what was lent that
    day — on the larger balance before the prepayment, on what is left after — and nothing
    for a free day (the cut left in fen at the larger balance came off the smaller one: 45
    days free, prepaid on 02-11, asked 25.48 against 38.29; 7 days, 01-04, 58.86 against
    70.36)."""
    book = Book(InterestCouponTerms(CouponKind.FREE_DAYS, days=free_days))
    if paid_first:
        book.close_through(date(2025, 1, 31))
        row = book.loan.installments[0]
        book.step(pay(book.loan, Money(row.unpaid.total), row.due))
    book.close_through(on - timedelta(days=1))
    k = next(j for j, r in enumerate(book.loan.installments) if r.due > on)
    row = book.loan.installments[k]
    before = sum(r.principal_due - r.principal_paid for r in book.loan.installments[k:])
    book.step(prepay(book.loan, Money.of("6000"), on, mode=PrepaymentMode.REDUCE_INSTALLMENT))
    after = sum(r.principal_due - r.principal_paid for r in book.loan.installments[k:])
    assert after < before - 500_000  # the prepayment cut principal
    free_until = START + timedelta(days=free_days)  # the first day not free
    days = (row.due - row.start).days
    oracle = D(0)
    for d in range(days):  # day d + 1 of the period, earned by the end of row.start + d + 1
        day = row.start + timedelta(days=d)
        if day >= free_until:
            lent = before if day < on else after
            oracle += D(lent) * MONTHLY / days
    # two roundings: the days used (truncated) and the rest of the period
    assert abs(book.loan.installments[k].interest_due - oracle) <= 2, (
        book.loan.installments[k].interest_due,
        oracle,
    )
    book.check()


def test_a_term_extension_charges_the_factor_of_the_new_interest_never_more():
    """×0.7 on installments 1-4 and a 6-month extension approved on 2025-01-20: installments
    2-4, re-planned on a larger balance, ask 0.7 × their contract interest (the fixed cut
    asked 120.54 against 119.28, 115.07 against 112.51, 109.58 against 105.68)."""
    book = Book(rate_discount("0.7", 4))
    on = date(2025, 1, 20)
    book.close_through(on - timedelta(days=1))
    book.step(term_extension(book.loan, on, 6))
    rows = book.loan.installments
    assert len(rows) == 18
    assert rows[0].interest_due == _half_up(D("0.7") * 18_000)  # the current period keeps it
    balance = PRINCIPAL - rows[0].principal_due
    for row in rows[1:8]:
        contract = _half_even(D(balance) * MONTHLY)
        oracle = _half_up(D("0.7") * contract) if row.n <= 4 else contract
        assert row.interest_due == oracle, (row.n, row.interest_due, oracle, contract)
        balance -= row.principal_due
    assert sum(r.principal_due for r in rows) == PRINCIPAL
    book.close_through(date(2025, 3, 10))
    book.check()


def test_a_term_extension_keeps_only_the_promised_free_days_free():
    """45 days interest-free from 2025-01-01: days to 02-14, so 14 of period 2's 28 days.
    After a 6-month extension on 2025-01-20, installment 2 asks the contract interest on
    its new balance for the other 14 days (the fixed cut asked 85.41 against 84.26)."""
    book = Book(InterestCouponTerms(CouponKind.FREE_DAYS, days=45))
    on = date(2025, 1, 20)
    book.close_through(on - timedelta(days=1))
    book.step(term_extension(book.loan, on, 6))
    rows = book.loan.installments
    assert rows[0].interest_due == 0  # period 1 lies wholly in the free days
    balance = PRINCIPAL - rows[0].principal_due
    contract = _half_even(D(balance) * MONTHLY)
    oracle = D(contract) * 14 / 28
    assert abs(rows[1].interest_due - oracle) <= D("0.5"), (rows[1].interest_due, oracle)
    balance -= rows[1].principal_due
    assert rows[2].interest_due == _half_even(D(balance) * MONTHLY)  # after the free days
    book.close_through(date(2025, 3, 10))
    book.check()


def test_the_installments_a_term_extension_adds_are_not_free():
    """7 days interest-free and a 6-month extension on 2025-01-20: the six installments the
    extension adds ask the contract interest on their opening balances (half-even) — the
    free days are the first seven after disbursement only. They asked nothing: an
    installment the loan did not open with was taken for a period wholly free."""
    book = Book(InterestCouponTerms(CouponKind.FREE_DAYS, days=7))
    on = date(2025, 1, 20)
    book.close_through(on - timedelta(days=1))
    book.step(term_extension(book.loan, on, 6))
    rows = book.loan.installments
    assert len(rows) == 18
    balance = PRINCIPAL
    for row in rows:
        if row.n > 12:
            assert row.interest_due == _half_even(D(balance) * MONTHLY) > 0, row
        balance -= row.principal_due
    book.close_through(date(2025, 3, 10))
    book.check()


@pytest.mark.parametrize("mode", list(PrepaymentMode))
def test_a_fee_plan_with_a_rate_discount_takes_a_part_prepayment(mode):
    """A fee plan (0 % interest, 0.6 % of 12,000.00 a month) with ×0.8 on installments 1-3,
    2,000.00 prepaid on 2025-01-16: accepted, all of it beyond the period's fee (at most
    ×0.8 of 72.00) cuts principal, and no interest is charged. The rest of the period was
    asked 0.01 of interest the plan does not charge, so the prepayment was refused as more
    than the loan could take."""
    terms = LoanTerms(
        Money.of("12000"),
        D(0),
        12,
        RepaymentMethod.FEE_INSTALLMENT,
        START,
        monthly_fee_rate=D("0.006"),
    )
    schedule, _value = with_coupon(build_schedule(terms), rate_discount("0.8", 3))
    opened = open_loan(1, schedule, ServicingProduct())
    book = Book.__new__(Book)
    book.loan, book.entries = opened.loan, list(opened.entries)
    on = date(2025, 1, 16)
    book.close_through(on - timedelta(days=1))
    book.step(prepay(book.loan, Money.of("2000"), on, mode=mode))
    rows = book.loan.installments
    assert all(r.interest_due == 0 for r in rows)
    assert sum(r.principal_paid for r in rows) + rows[0].fee_paid == 200_000
    assert rows[0].fee_paid <= _half_up(D("0.8") * 7200), rows[0]
    book.check()


def test_a_loan_stored_without_the_coupons_terms_keeps_its_fixed_cut():
    """Loans opened before the coupon's terms were kept load and behave as they always did:
    the cut in fen of ``charge_relief`` stays on the installment re-planned."""
    book = Book(rate_discount("0.7", 4), keep_coupon_terms=False)
    cuts = book.loan.schedule.terms.charge_relief
    on = date(2025, 1, 20)
    book.close_through(on - timedelta(days=1))
    book.step(term_extension(book.loan, on, 6))
    rows = book.loan.installments
    balance = PRINCIPAL - rows[0].principal_due
    for row in rows[1:4]:
        contract = _half_even(D(balance) * MONTHLY)
        assert row.interest_due == contract - cuts[row.n - 1]
        balance -= row.principal_due
    book.check()


def test_the_coupons_terms_survive_the_stored_form_and_old_terms_load_without_them():
    schedule, _value = with_coupon(build_schedule(_terms()), rate_discount("0.85", 3))
    coupon = schedule.terms.charge_coupon
    assert coupon is not None and coupon.factor == D("0.85") and coupon.periods == 3
    assert terms_from_json(terms_to_json(schedule.terms)) == schedule.terms
    stored = json.loads(terms_to_json(schedule.terms))
    del stored["charge_coupon"]  # as stored before the coupon's terms were kept
    old = terms_from_json(json.dumps(stored))
    assert old.charge_coupon is None and old.charge_relief == schedule.terms.charge_relief
    assert build_schedule(old).installments == schedule.installments


def _amount_off_taken(
    steps, mode: PrepaymentMode, *, amount_off: int = 30_000
) -> tuple[D, int, int]:
    """A loan given ``amount_off`` fen off its interest, prepaid on ``steps`` ((day, yuan),
    or (day, months, "extend") for a term extension) and otherwise repaid on its due dates;
    returns what the coupon took off — each installment's interest before the coupon worked
    out here from the principal it had outstanding day by day (at the 1.5 % month's share a
    day; a whole period on its opening balance rounded half-even, as the loan rounds), less
    the interest it charged — what the loan charged, and how many periods a prepayment
    split."""
    book = Book(InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=amount_off))
    pending = sorted(steps)
    within: dict[int, list[tuple[date, int]]] = {}  # a cut inside a row's period: (day, fen)
    at_start: dict[int, int] = {}  # a cut on the day a row's period begins
    while book.loan.status is not LoanStatus.CLOSED:
        row = next(r for r in book.loan.installments if r.unpaid.principal + r.unpaid.interest)
        if not pending or row.due <= pending[0][0]:  # a due date first, then a step that day
            book.close_through(row.due - timedelta(days=1))
            book.step(pay(book.loan, Money(row.unpaid.principal + row.unpaid.interest), row.due))
            continue
        on, value, *kind = pending.pop(0)
        book.close_through(on - timedelta(days=1))
        if kind == ["extend"]:
            book.step(term_extension(book.loan, on, value))
            continue
        before = {r.n: r.principal_paid for r in book.loan.installments}
        book.step(prepay(book.loan, Money.of(value), on, mode=mode))
        for r in book.loan.installments:
            fen = r.principal_paid - before[r.n]
            if r.start < on < r.due:
                within.setdefault(r.n, []).append((on, fen))
            elif r.start == on and fen:
                at_start[r.n] = fen
    book.check()
    charged = sum(r.interest_paid for r in book.loan.installments)
    return _coupon_taken(book.loan, within, at_start), charged, len(within)


def _coupon_taken(
    loan: LoanAccount, within: dict[int, list[tuple[date, int]]], at_start: dict[int, int]
) -> D:
    """Each installment's interest before the coupon, from the principal it had outstanding
    day by day, less the interest it charged, summed."""
    taken, opened = D(0), PRINCIPAL
    for row in loan.installments:
        lent = D(opened - at_start.get(row.n, 0))
        if row.n in within:
            period, last, fen_days = (row.due - row.start).days, row.start, D(0)
            for day, cut in within[row.n]:
                fen_days += lent * (day - last).days
                lent, last = lent - cut, day
            before_coupon = MONTHLY * (fen_days + lent * (row.due - last).days) / period
        else:
            before_coupon = D(_half_even(lent * MONTHLY))
        taken += before_coupon - row.interest_paid
        opened -= row.principal_due
    return taken


@pytest.mark.parametrize(
    ("steps", "mode"),
    [
        ([(date(2025, 2, 1), "6000"), (date(2025, 3, 1), "3000")], "reduce"),
        ([(date(2025, 1, 16), "6000"), (date(2025, 3, 10), "3000")], "reduce"),
        ([(date(2025, 1, 16), "6000"), (date(2025, 1, 20), "3000")], "reduce"),
        (
            [(date(2025, 1, 16), "4000"), (date(2025, 2, 1), "500"), (date(2025, 2, 20), "500")],
            "reduce",
        ),
        ([(date(2025, 1, 16), "5000"), (date(2025, 3, 1), "1000")], "shorten"),
    ],
)
def test_an_amount_off_is_taken_whole_however_often_the_loan_is_prepaid(steps, mode):
    """300.00 off the interest (减息券: 180.00 off installment 1, 120.00 off installment 2),
    and the loan prepaid twice or more: the borrower is charged 300.00 less interest than
    the principal outstanding asked, to the fen on whole periods (within a fen for each
    period a prepayment split) — unless all the interest left is less, then none is charged.
    A re-plan passed on what a row could not take, and the next re-plan started again from
    the shares at opening: prepaid on 02-01 and 03-01 the coupon took 210.00, on 01-16 and
    03-10 232.26; the part of the current period's cut its rest could not take was lost."""
    modes = {"reduce": PrepaymentMode.REDUCE_INSTALLMENT, "shorten": PrepaymentMode.SHORTEN_TERM}
    taken, charged, split = _amount_off_taken(steps, modes[mode])
    if charged:
        assert abs(taken - 30_000) <= 2 * split, (taken, charged)
    else:
        assert taken <= 30_000, taken


@pytest.mark.parametrize(
    ("steps", "mode"),
    [
        ([(date(2025, 1, 10), "3000"), (date(2025, 1, 20), 6, "extend")], "reduce"),
        ([(date(2025, 1, 10), "3000"), (date(2025, 2, 20), 3, "extend")], "shorten"),
        ([(date(2025, 1, 29), 6, "extend")], "reduce"),
    ],
)
def test_an_amount_off_is_taken_whole_across_prepayments_and_a_term_extension(steps, mode):
    """1,000.00 off a loan whose interest is about 1,160: with a prepayment and a term
    extension, or an extension alone, the borrower is charged the interest the principal
    asked less 1,000.00 to the fen (two fen a split period), or nothing when it asked less.
    What no installment could take after the prepayment was dropped (charged 263.19 against
    159.00), and an extension kept each installment to its opening share, so one whose
    interest grew was charged the difference while later shares went unused."""
    modes = {"reduce": PrepaymentMode.REDUCE_INSTALLMENT, "shorten": PrepaymentMode.SHORTEN_TERM}
    taken, charged, split = _amount_off_taken(steps, modes[mode], amount_off=100_000)
    if charged:
        assert abs(taken - 100_000) <= 2 * split, (taken, charged)
    else:
        assert taken <= 100_000, taken


def _flat_book(coupon: InterestCouponTerms) -> Book:
    """12,000.00 at 18 % a year flat (interest on the original principal: 180.00 a month)."""
    terms = LoanTerms(Money.of("12000"), D("0.18"), 12, RepaymentMethod.FLAT, START)
    schedule, _value = with_coupon(build_schedule(terms), coupon)
    opened = open_loan(1, schedule, ServicingProduct())
    book = Book.__new__(Book)
    book.loan, book.entries = opened.loan, list(opened.entries)
    return book


@pytest.mark.parametrize(
    ("coupon", "days"),
    [
        (InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=5_000), 5),
        (InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=5_000), 20),
        (InterestCouponTerms(CouponKind.FREE_DAYS, days=7), 5),
    ],
)
def test_a_flat_rate_loan_paid_off_early_takes_its_coupon_from_the_first_days(coupon, days):
    """Interest on the original principal (flat): paid off on day ``days`` of period 1, the
    days used earn 180.00 × days ÷ 31 (truncated) and the coupon's cut comes off them first —
    50.00 off: nothing on day 5 (29.03 used), 66.12 on day 20; seven free days: nothing on
    day 5. The cut was spread over the period: 20.96 and 22.47 on day 5."""
    book = _flat_book(coupon)
    on = START + timedelta(days=days)
    book.close_through(on - timedelta(days=1))
    cut = 5_000 if coupon.kind is CouponKind.INTEREST_OFF else 18_000 * 7 // PERIOD_1
    oracle = max(0, 18_000 * days // PERIOD_1 - cut)
    quote = payoff_quote(book.loan, on)
    assert quote.fen - PRINCIPAL == oracle, (quote, oracle)
    book.step(prepay(book.loan, quote, on))
    assert book.loan.status is LoanStatus.CLOSED
    book.check()


def test_a_flat_rate_loan_with_an_amount_off_takes_a_part_prepayment():
    """300.00 off a flat loan (installment 1's 180.00 and 120.00 of installment 2's) and
    3,000.00 prepaid on day 9: accepted — the current installment asks no interest (its cut
    covers the period), so all of it cuts principal. The rest of the period's interest was
    counted as money the prepayment had to leave for it, and 96.84 of it was refused as
    beyond the payoff."""
    book = _flat_book(InterestCouponTerms(CouponKind.INTEREST_OFF, amount_off=30_000))
    on = date(2025, 1, 10)
    book.close_through(on - timedelta(days=1))
    book.step(prepay(book.loan, Money.of("3000"), on, mode=PrepaymentMode.REDUCE_INSTALLMENT))
    rows = book.loan.installments
    assert rows[0].interest_due == 0
    assert sum(r.principal_paid for r in rows) == 300_000
    assert book.loan.credit == 0
    book.check()
