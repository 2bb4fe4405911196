"""The merchant subsidy recognised by the effective-interest method, day by day in close of
business, on SQLite and PostgreSQL, against an oracle written here.

The oracle solves the monthly effective rate by bisection in ``Decimal``, builds each month's
income (``r × carrying amount``, half-up to the fen, the last taking the rest) and spreads
each month linearly by days, all with its own arithmetic: it never calls thinfile.
"""

from __future__ import annotations

import calendar
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.servicing_helpers import terms
from tests.support.environment import REPO
from thinfile.commerce import recognise_income
from thinfile.loanmath import RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse, quote_payoff
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.servicing import LoanStatus, PrepaymentMode, ServicingProduct

START = date(2026, 1, 31)  # due dates on the last day of short and long months
PRICE = 1_200_000  # fen: 12,000 yuan in 12 interest-free installments of 1,000
SUBSIDY = 90_000  # 7.5 %


# the oracle ---------------------------------------------------------------------------


def oracle_rate(net: int, payments: Sequence[int]) -> Decimal:
    """The monthly rate r with Σ payment_k / (1 + r)^k = net, by bisection."""
    with localcontext() as ctx:
        ctx.prec = 40
        lo, hi = Decimal(0), Decimal(1)
        for _ in range(200):
            mid = (lo + hi) / 2
            value = sum(Decimal(p) / (1 + mid) ** (k + 1) for k, p in enumerate(payments))
            lo, hi = (mid, hi) if value > net else (lo, mid)
        return (lo + hi) / 2


def oracle_months(net: int, payments: Sequence[int]) -> list[int]:
    """Each month's income: r × carrying, half-up to the fen; the last takes the rest."""
    rate = oracle_rate(net, payments)
    to_earn = sum(payments) - net
    out: list[int] = []
    carrying = Decimal(net)
    for k, p in enumerate(payments):
        if k == len(payments) - 1:
            income = to_earn - sum(out)
        else:
            income = int((rate * carrying).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        out.append(income)
        carrying += income - p
    return out


def month_end_dues(start: date, n: int) -> list[date]:
    """Due dates one month apart from ``start`` (its day, or the month's last day)."""
    out = []
    for k in range(1, n + 1):
        y, m = divmod(start.month - 1 + k, 12)
        year, month = start.year + y, m + 1
        out.append(date(year, month, min(start.day, calendar.monthrange(year, month)[1])))
    return out


def oracle_cumulative(periods: Sequence[tuple[date, date, int]], before: int, x: date) -> int:
    """Recognised by the end of ``x``: whole months before it, its month linear by days."""
    total = before
    for start, due, amount in periods:
        if x >= due:
            total += amount
        elif x > start:
            total += amount * (x - start).days // (due - start).days
    return total


DUES = month_end_dues(START, 12)
MONTHS = oracle_months(PRICE - SUBSIDY, [PRICE // 12] * 12)
PERIODS = list(zip([START, *DUES[:-1]], DUES, MONTHS, strict=True))


# helpers ---------------------------------------------------------------------------------


def _open(engine: Engine, product: ServicingProduct | None = None) -> int:
    loan = open_and_disburse(
        engine,
        terms("12000", 12, "0", method=RepaymentMethod.ZERO_INTEREST, start=START),
        subsidy=Money(SUBSIDY, "CNY"),
        product=product,
    )
    return loan.loan_id


def _recognised(engine: Engine, loan_id: int) -> int:
    return get_loan(engine, loan_id).account.subsidy_recognized


def _deferred_in_journal(engine: Engine) -> int:
    with engine.connect() as conn:
        return -int(
            conn.execute(
                sa.text(
                    "SELECT COALESCE(SUM(amount), 0) FROM servicing_journal_lines "
                    "WHERE account = 'deferred_subsidy_income'"
                )
            ).scalar_one()
        )


def _daily_recognition(engine: Engine) -> dict[date, int]:
    """Per business date, the subsidy close of business recognised (one loan in the book)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.day, SUM(l.amount) FROM servicing_journal_entries e "
                "JOIN servicing_journal_lines l ON l.entry_id = e.id "
                "WHERE e.kind = 'cob-accrual' AND l.account = 'deferred_subsidy_income' "
                "GROUP BY e.day"
            )
        ).all()
    return {date(1970, 1, 1) + timedelta(days=int(d)): int(a) for d, a in rows}


def _pay_through(engine: Engine, loan_id: int, months: int) -> None:
    """Close every day and pay each installment on its due date, for ``months`` months."""
    for due in DUES[:months]:
        run_cob(engine, due - timedelta(days=1))
        post_payment(engine, loan_id, Money(PRICE // 12, "CNY"), due)


# the oracle itself -----------------------------------------------------------------------


def test_the_oracle_reproduces_the_worked_example_of_the_domain_reference() -> None:
    assert MONTHS[:3] == [13545, 12490, 11422] and MONTHS[-1] == 1206
    assert SUBSIDY - sum(MONTHS[:3]) == 52543  # 525.43 deferred after month 3
    assert sum(MONTHS) == SUBSIDY
    assert abs(oracle_rate(PRICE - SUBSIDY, [PRICE // 12] * 12) - Decimal("0.012203")) < Decimal(
        "0.000001"
    )


def test_the_loans_plan_is_the_checkout_quotes_recognition_to_the_fen() -> None:
    schedule = build_schedule(terms("12000", 12, "0", method=RepaymentMethod.ZERO_INTEREST))
    quoted = recognise_income(schedule, Money(PRICE - SUBSIDY, "CNY"))
    assert [p.income for p in quoted.periods] == MONTHS


# close of business, day by day -----------------------------------------------------------


def test_close_of_business_recognises_the_subsidy_day_by_day_as_the_oracle(
    engine: Engine,
) -> None:
    loan_id = _open(engine)
    view = get_loan(engine, loan_id)
    assert [i.due for i in view.account.installments] == DUES
    assert [(p.start, p.due, p.amount) for p in view.account.subsidy_plan] == PERIODS
    for month, due in enumerate(DUES):
        run_cob(engine, due - timedelta(days=1))
        post_payment(engine, loan_id, Money(PRICE // 12, "CNY"), due)
        if month in (0, 1, 5, 11):  # February, March, a summer month and the last
            report = verify_ledger(engine)
            assert report.ok, report.problems
            assert _deferred_in_journal(engine) == SUBSIDY - _recognised(engine, loan_id)
    daily = _daily_recognition(engine)
    previous = 0
    day = START + timedelta(days=1)
    while day <= DUES[-1] - timedelta(days=1):  # the last day: the payoff recognises the rest
        expected = oracle_cumulative(PERIODS, 0, day)
        assert daily.get(day, 0) == expected - previous, day
        previous = expected
        day += timedelta(days=1)
    loan = get_loan(engine, loan_id).account
    assert loan.status is LoanStatus.CLOSED and loan.subsidy_recognized == SUBSIDY
    assert _deferred_in_journal(engine) == 0
    assert daily[date(2026, 3, 1)] == 12490 * 1 // 31  # one day of March's 124.90
    assert daily[date(2026, 2, 28)] == 13545 - 13545 * 27 // 28  # February's last day


def test_a_payoff_after_five_months_recognises_the_rest_at_once(engine: Engine) -> None:
    loan_id = _open(engine)
    _pay_through(engine, loan_id, 5)
    payoff_day = DUES[4] + timedelta(days=10)
    run_cob(engine, payoff_day - timedelta(days=1))
    earned = oracle_cumulative(PERIODS, 0, payoff_day - timedelta(days=1))
    assert _recognised(engine, loan_id) == earned
    assert verify_ledger(engine).ok
    prepay_loan(engine, loan_id, quote_payoff(engine, loan_id, payoff_day), payoff_day)
    loan = get_loan(engine, loan_id).account
    assert loan.status is LoanStatus.CLOSED and loan.subsidy_recognized == SUBSIDY
    with engine.connect() as conn:
        at_once = conn.execute(
            sa.text(
                "SELECT SUM(l.amount) FROM servicing_journal_lines l JOIN servicing_journal_entries"
                " e ON e.id = l.entry_id WHERE e.kind = 'prepayment' AND "
                "l.account = 'deferred_subsidy_income'"
            )
        ).scalar_one()
    assert at_once == SUBSIDY - earned
    run_cob(engine, payoff_day + timedelta(days=3))  # nothing more to recognise
    assert _deferred_in_journal(engine) == 0
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_a_charge_off_writes_the_deferred_subsidy_off(engine: Engine) -> None:
    product = ServicingProduct(code="short", charge_off_days=60)
    loan_id = _open(engine, product)
    charged = DUES[0] + timedelta(days=60)  # never paid: 60 days past the first due date
    run_cob(engine, charged - timedelta(days=1))
    earned = _recognised(engine, loan_id)
    assert earned == oracle_cumulative(PERIODS, 0, charged - timedelta(days=1))
    run_cob(engine, charged)
    loan = get_loan(engine, loan_id).account
    assert loan.status is LoanStatus.CHARGED_OFF
    assert loan.subsidy_recognized == SUBSIDY
    with engine.connect() as conn:
        written_off = conn.execute(
            sa.text(
                "SELECT SUM(l.amount) FROM servicing_journal_lines l JOIN servicing_journal_entries"
                " e ON e.id = l.entry_id WHERE e.kind = 'charge-off' AND "
                "l.account = 'deferred_subsidy_income'"
            )
        ).scalar_one()
    last_day = oracle_cumulative(PERIODS, 0, charged) - earned  # the charge-off day accrues
    assert written_off == SUBSIDY - earned - last_day
    assert _deferred_in_journal(engine) == 0
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_a_partial_prepayment_recognises_its_share_and_replans_the_rest(engine: Engine) -> None:
    """Shortening the term changes the effective rate of what is left; reducing the
    installment keeps it (tests/unit/test_servicing_subsidy.py covers both in Python)."""
    mode = PrepaymentMode.SHORTEN_TERM
    loan_id = _open(engine)
    _pay_through(engine, loan_id, 3)
    on = DUES[2] + timedelta(days=10)
    run_cob(engine, on - timedelta(days=1))
    deferred = SUBSIDY - oracle_cumulative(PERIODS, 0, on - timedelta(days=1))
    prepay_loan(engine, loan_id, Money.of("3000"), on, mode=mode)
    loan = get_loan(engine, loan_id).account
    at_once = deferred * 300_000 // 900_000  # 3,000 of the 9,000 not yet due
    assert loan.subsidy_recognized == SUBSIDY - deferred + at_once
    rest = deferred - at_once
    future = [i for i in loan.installments if i.due > on]
    flows = [i.principal_due - i.principal_paid for i in future]
    assert sum(flows) == 600_000
    months = oracle_months(sum(flows) - rest, flows)
    starts = [on - timedelta(days=1), *(i.start for i in future[1:])]
    replanned = list(zip(starts, [i.due for i in future], months, strict=True))
    assert [(p.start, p.due, p.amount) for p in loan.subsidy_plan] == replanned
    report = verify_ledger(engine)
    assert report.ok, report.problems
    for row in future:  # the new schedule, paid on time, to the end
        if row.is_settled:
            continue
        run_cob(engine, row.due - timedelta(days=1))
        recognised = _recognised(engine, loan_id)
        assert recognised == oracle_cumulative(
            replanned, SUBSIDY - rest, row.due - timedelta(days=1)
        )
        post_payment(engine, loan_id, Money(row.principal_due - row.principal_paid, "CNY"), row.due)
    loan = get_loan(engine, loan_id).account
    assert loan.status is LoanStatus.CLOSED and loan.subsidy_recognized == SUBSIDY
    assert _deferred_in_journal(engine) == 0
    report = verify_ledger(engine)
    assert report.ok, report.problems


# ledger verify ---------------------------------------------------------------------------


def _ledger_verify(database_url: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``thinfile ledger verify`` run as the real program."""
    env = {
        **os.environ,
        "THINFILE_DATABASE_URL": database_url,
        "THINFILE_HOME": str(home),
        "PYTHONPATH": str(REPO / "src"),
    }
    return subprocess.run(
        [sys.executable, "-m", "thinfile", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ledger_verify_fails_when_the_deferred_subsidy_disagrees_with_the_loans(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    loan_id = _open(engine)
    run_cob(engine, DUES[0] - timedelta(days=1))
    assert verify_ledger(engine).ok
    with engine.begin() as conn:  # a day's recognition moved by one yuan, still balanced
        entry = conn.execute(
            sa.text(
                "SELECT MAX(l.entry_id) FROM servicing_journal_lines l "
                "WHERE l.account = 'deferred_subsidy_income' AND l.amount > 0"
            )
        ).scalar_one()
        for account, delta in (("deferred_subsidy_income", 100), ("interest_income", -100)):
            conn.execute(
                sa.text(
                    "UPDATE servicing_journal_lines SET amount = amount + :d "
                    "WHERE entry_id = :e AND account = :a"
                ),
                {"d": delta, "e": entry, "a": account},
            )
    problems = verify_ledger(engine).problems
    assert any(
        p.startswith("deferred_subsidy_matches_loans: CNY: the journal holds") for p in problems
    ), problems
    assert not any(p.startswith("entries_balance") for p in problems)
    done = _ledger_verify(database_url, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "problem: deferred_subsidy_matches_loans: CNY: the journal holds" in done.stdout
    assert "Traceback" not in done.stderr
    with engine.begin() as conn:  # and a loan that recognised more than its subsidy
        conn.execute(
            sa.text("UPDATE servicing_loans SET subsidy_recognized = subsidy + 1 WHERE id = :i"),
            {"i": loan_id},
        )
    problems = verify_ledger(engine).problems
    assert any(
        f"deferred_subsidy_matches_loans: loan {loan_id} (active) has recognised 900.01" in p
        for p in problems
    ), problems


def test_reversing_a_replanning_prepayment_restores_the_opening_plan(engine: Engine) -> None:
    loan_id = _open(engine)
    _pay_through(engine, loan_id, 3)
    on = DUES[2] + timedelta(days=10)
    run_cob(engine, on - timedelta(days=1))
    receipt = prepay_loan(engine, loan_id, Money.of("3000"), on, mode=PrepaymentMode.SHORTEN_TERM)
    assert len(get_loan(engine, loan_id).account.subsidy_plan) == 7
    reverse_payment(engine, receipt.txn_id, on, reason="bank returned it", loan_id=loan_id)
    loan = get_loan(engine, loan_id).account
    assert [(p.start, p.due, p.amount) for p in loan.subsidy_plan] == PERIODS
    assert loan.subsidy_recognized == oracle_cumulative(PERIODS, 0, on - timedelta(days=1))
    run_cob(engine, on + timedelta(days=5))
    assert _recognised(engine, loan_id) == oracle_cumulative(PERIODS, 0, on + timedelta(days=5))
    report = verify_ledger(engine)
    assert report.ok, report.problems
