"""A term extension (延长期限) as a hardship plan, on both databases: maker-checker, the new
schedule checked to the fen against numpy-financial and a month-by-month balance walk written
here, the ledger unmoved and balanced, the replay equal, the borrower told and the audit kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy_financial as npf
import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import AGENT, COLLECTOR, delinquent_loan
from tests.integration.notification_helpers import borrower, new_cipher, with_loan
from tests.integration.servicing_helpers import replayed, terms
from thinfile.collections import HardshipKind
from thinfile.errors import InvalidInputError, PermissionDeniedError
from thinfile.loanmath import RepaymentMethod
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.collection_hardship import approve_plan, propose_plan
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.servicing import ServicingProduct
from thinfile.store.servicing_codec import from_day, to_day

M1_DAY = date(2025, 1, 10)
TODAY = date(2025, 1, 11)
MONTHLY = Decimal("0.18") / 12


@pytest.fixture
def calendar_of_2025(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def rows(engine, loan_id: int) -> list[tuple[int, ...]]:
    with engine.connect() as conn:
        return [
            tuple(int(x) for x in r)
            for r in conn.execute(
                sa.text(
                    "SELECT n, due_day, principal_due, principal_paid, interest_due, fee_due "
                    "FROM servicing_installments WHERE loan_id = :loan ORDER BY n"
                ),
                {"loan": loan_id},
            )
        ]


def balances(engine) -> dict[str, int]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT account, SUM(amount) FROM servicing_journal_lines GROUP BY account")
        )
        return {str(a): int(s) for a, s in found}


def fen(x: Decimal | float) -> int:
    return int(Decimal(str(x)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def oracle(balance: int, current_interest: int, periods: int) -> list[tuple[int, int]]:
    """``(principal, interest)`` of each new row: the level payment from numpy-financial's
    ``pmt``, each later month's interest on the balance walked here, the last row the rest."""
    level = fen(npf.pmt(float(MONTHLY), periods, -balance))
    out, left = [], balance
    for k in range(periods):
        interest = current_interest if k == 0 else fen(Decimal(left) * MONTHLY)
        part = left if k == periods - 1 else min(left, level - interest)
        out.append((part, interest))
        left -= part
    assert left == 0
    return out


def test_an_extension_re_plans_what_is_not_yet_due_over_more_months(engine, calendar_of_2025):
    loan_id = delinquent_loan(engine, M1_DAY)
    before, ledger_before = rows(engine, loan_id), balances(engine)
    today = to_day(TODAY)
    future = [r for r in before if r[1] > today]
    balance = sum(p - paid for _, _, p, paid, _, _ in future)
    plan = propose_plan(
        engine, loan_id, HardshipKind.TERM_EXTENSION, months=3, reason="shifts cut to half",
        actor=COLLECTOR,
    )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        approve_plan(engine, plan.plan_id, approver=COLLECTOR)  # not a servicing role
    assert rows(engine, loan_id) == before  # nothing moves before approval
    approved = approve_plan(engine, plan.plan_id, approver=AGENT)
    assert approved.status.value == "approved" and approved.txn_id is not None
    after = rows(engine, loan_id)
    # the past is untouched: arrears stay past due, nothing forgiven
    assert [r for r in after if r[1] <= today] == [r for r in before if r[1] <= today]
    replanned = [r for r in after if r[1] > today]
    assert len(replanned) == len(future) + 3
    expected = oracle(balance, future[0][4], len(future) + 3)
    assert [(p - paid, i) for _, _, p, paid, i, _ in replanned] == expected
    assert sum(p for p, _ in expected) == balance  # every fen of principal, once
    # new due dates: one month apart on the contract's day (the 6th), by hand
    last = from_day(future[-1][1])
    months = [(last.year * 12 + last.month - 1 + k) for k in (1, 2, 3)]
    assert [from_day(r[1]) for r in replanned[-3:]] == [
        date(m // 12, m % 12 + 1, 6) for m in months
    ]
    assert [r[0] for r in replanned[-3:]] == [future[-1][0] + k for k in (1, 2, 3)]
    # smaller installments: the first re-planned one asks less than before
    assert sum(expected[0]) < future[0][2] + future[0][4]
    assert balances(engine) == ledger_before  # nothing earned or owed today changed
    view = get_loan(engine, loan_id)
    assert view.transactions[-1].kind == "term-extension"
    assert view.transactions[-1].amount == 3
    stored, rebuilt = replayed(engine, loan_id, M1_DAY)
    assert rebuilt.installments == stored.installments and rebuilt.rates == stored.rates
    run_cob(engine, date(2025, 3, 10))  # interest of the new months accrues at the same rate
    assert verify_ledger(engine).ok
    with engine.connect() as conn:
        actions = [
            str(a)
            for (a,) in conn.execute(
                sa.text("SELECT action FROM audit_log WHERE subject = :t ORDER BY seq"),
                {"t": f"loan:{loan_id}"},
            )
        ]
    assert actions[-2:] == ["collection.hardship_propose", "collection.hardship_approve"]


def test_an_extended_loan_pays_off_to_the_fen(engine, calendar_of_2025):
    """A current loan extended, then every installment paid on its due date: it closes with
    exactly the oracle's principal and interest received."""
    loan_id = open_and_disburse(
        engine, terms("5000", 6, "0.18"), product=ServicingProduct()
    ).loan_id
    run_cob(engine, date(2025, 1, 10))
    before = rows(engine, loan_id)
    plan = propose_plan(
        engine, loan_id, HardshipKind.TERM_EXTENSION, months=6, reason="income halved",
        actor=COLLECTOR,
    )  # fmt: skip
    approve_plan(engine, plan.plan_id, approver=AGENT)
    expected = oracle(500_000, before[0][4], 12)
    after = rows(engine, loan_id)
    assert [(p, i) for _, _, p, _, i, _ in after] == expected
    for _, due, p, _, i, _ in after:
        run_cob(engine, from_day(due - 1))
        post_payment(engine, loan_id, Money(p + i, "CNY"), from_day(due))
    view = get_loan(engine, loan_id)
    assert view.account.status.value == "closed"
    cash = balances(engine)["cash"]
    assert cash == -500_000 + sum(p + i for p, i in expected)  # lent out, then all repaid
    assert verify_ledger(engine).ok


@pytest.mark.parametrize("months", [0, 7])
def test_an_extension_outside_one_to_six_months_is_refused(engine, calendar_of_2025, months):
    loan_id = delinquent_loan(engine, M1_DAY)
    with pytest.raises(InvalidInputError) as refused:
        propose_plan(
            engine, loan_id, HardshipKind.TERM_EXTENSION, months=months, reason="x y z",
            actor=COLLECTOR,
        )  # fmt: skip
    assert refused.value.field == "months"


def test_an_interest_only_loan_is_refused_at_proposal(engine, calendar_of_2025):
    loan_id = open_and_disburse(
        engine,
        terms("3000", 6, "0.18", method=RepaymentMethod.INTEREST_ONLY),
        product=ServicingProduct(),
    ).loan_id
    run_cob(engine, date(2025, 1, 10))
    with pytest.raises(InvalidInputError) as refused:
        propose_plan(
            engine, loan_id, HardshipKind.TERM_EXTENSION, months=2, reason="no work",
            actor=COLLECTOR,
        )  # fmt: skip
    assert refused.value.field == "kind"


def test_the_borrower_is_told_of_the_new_plan(engine, monkeypatch):
    """Every approved re-plan (here a holiday on a real borrower's loan) tells the borrower
    the next installment and its new date, as a notice the law requires."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2026, 12, 1, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    assert who.loan_id is not None
    plan = propose_plan(
        engine, who.loan_id, HardshipKind.PAYMENT_HOLIDAY, months=2, reason="a bad month",
        actor=COLLECTOR,
    )  # fmt: skip
    approve_plan(engine, plan.plan_id, approver=AGENT)
    first = rows(engine, who.loan_id)[0]
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT kind, amount_fen, ref_day, dedupe_key, legally_required "
                "FROM notifications WHERE kind = 'plan_changed'"
            )
        ).all()
    assert [(r[0], r[1], r[2], bool(r[4])) for r in found] == [
        ("plan_changed", first[2] + first[4] + first[5], first[1], True)
    ]
    assert f"plan:{plan.plan_id}" in str(found[0][3])


def test_paying_what_the_plan_message_says_on_its_date_leaves_a_re_aged_loan_current(
    engine, monkeypatch
):
    """A re-age spreads the arrears' principal, interest and fee over the installments to
    come; the penalty charged before it stays owed, and a payment settles it first. The
    message tells the borrower what to pay on the next due date — that installment and the
    penalty — so that paying it, on that date, leaves the loan current (the oracle: what the
    installment rows say is unpaid, summed here)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2026, 12, 1, tzinfo=UTC))
    who = with_loan(borrower(engine, new_cipher()))
    assert who.loan_id is not None
    first_due = from_day(rows(engine, who.loan_id)[0][1])
    late = first_due + timedelta(days=14)
    run_cob(engine, late)
    before = get_loan(engine, who.loan_id).account
    penalty = sum(i.penalty_due - i.penalty_paid for i in before.installments)
    assert penalty > 0
    today = late + timedelta(days=1)
    monkeypatch.setattr(
        business_date, "now_utc", lambda: datetime.combine(today, time(2), tzinfo=UTC)
    )
    plan = propose_plan(
        engine, who.loan_id, HardshipKind.RESTRUCTURE, reason="income fell", actor=COLLECTOR
    )
    approve_plan(engine, plan.plan_id, approver=AGENT)
    after = get_loan(engine, who.loan_id).account
    assert after.bucket == "CURRENT"
    nxt = next(i for i in after.installments if i.due > today)
    with engine.connect() as conn:
        amount, ref_day = conn.execute(
            sa.text("SELECT amount_fen, ref_day FROM notifications WHERE kind = 'plan_changed'")
        ).one()
    assert from_day(int(ref_day)) == nxt.due
    assert int(amount) == nxt.unpaid.total + penalty  # the installment and the penalty left
    run_cob(engine, nxt.due - timedelta(days=1))
    post_payment(engine, who.loan_id, Money(int(amount)), nxt.due)
    run_cob(engine, nxt.due + timedelta(days=5))
    paid = get_loan(engine, who.loan_id).account
    assert paid.bucket == "CURRENT" and paid.overdue_since is None
    owed = sum(i.unpaid.total for i in paid.installments if i.due <= nxt.due)
    assert owed == 0
    assert verify_ledger(engine).ok
