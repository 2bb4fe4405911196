"""Hardship plans on both databases: maker-checker, and a settlement's ledger effect checked
against sums of the journal taken independently of the servicing code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import (
    AGENT,
    AGENT_2,
    COLLECTOR,
    delinquent_loan,
)
from tests.integration.servicing_helpers import replayed, terms
from thinfile.collections import HardshipKind
from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.collection_hardship import approve_plan, plans_of_loan, propose_plan
from thinfile.services.ledger import verify_ledger
from thinfile.services.loan_adjustments import record_recovery
from thinfile.services.loans import get_loan, open_and_disburse, quote_payoff
from thinfile.services.payments import post_payment
from thinfile.servicing import ServicingProduct
from thinfile.store.servicing_codec import from_day, to_day

M1_DAY = date(2025, 1, 10)
RECEIVABLES = ("loans_receivable", "interest_receivable", "fee_receivable", "penalty_receivable")


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def balances(engine) -> dict[str, int]:
    """Each account's balance over the whole journal, summed straight from its lines (close
    of business books its entries for the whole book, so the test's book holds one loan)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT account, SUM(amount) FROM servicing_journal_lines GROUP BY account")
        )
        return {str(a): int(s) for a, s in rows}


def test_a_settlement_takes_the_agreed_amount_and_writes_the_rest_off(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    before = balances(engine)
    owed = sum(before.get(a, 0) for a in RECEIVABLES)  # receivables are debit balances
    assert before["loans_receivable"] == 300_000  # nothing repaid yet
    agreed = owed * 6 // 10
    plan = propose_plan(
        engine,
        loan_id,
        HardshipKind.SETTLEMENT,
        amount=Money(agreed, "CNY"),
        reason="job lost, settle at 60 percent",
        actor=COLLECTOR,
    )
    approved = approve_plan(engine, plan.plan_id, approver=AGENT)
    assert (approved.status.value, approved.approved_by) == ("approved", AGENT.user_id)
    after = balances(engine)
    moved = {a: after.get(a, 0) - before.get(a, 0) for a in set(after) | set(before)}
    assert moved["cash"] == agreed  # received
    assert all(after.get(a, 0) == 0 for a in RECEIVABLES), after  # nothing left owed
    income = sum(moved.get(a, 0) for a in ("interest_income", "fee_income", "penalty_income"))
    # the loss: principal to expense, income booked but never received reversed
    assert moved["charge_off_expense"] + income == owed - agreed, (moved, owed, agreed)
    view = get_loan(engine, loan_id)
    assert view.account.status.value == "written-off"
    assert [(t.kind, t.amount) for t in view.transactions][-1] == ("settlement", agreed)
    assert verify_ledger(engine).ok
    on = business_date.current_business_date(engine)
    with pytest.raises(ConflictError) as forgiven:  # the rest was released, not lost
        record_recovery(engine, loan_id, Money(100, "CNY"), on)
    assert forgiven.value.field == "loan_id" and "back to them" in (forgiven.value.remedy or "")
    with pytest.raises(ConflictError) as ended:  # a payment is refused saying what instead
        post_payment(engine, loan_id, Money(100, "CNY"), on)
    assert "settled" in (ended.value.remedy or "")
    assert balances(engine) == after


def test_the_proposer_cannot_approve_and_a_collector_cannot_approve(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    plan = propose_plan(
        engine,
        loan_id,
        HardshipKind.SETTLEMENT,
        amount=Money.of("1000"),
        reason="hardship settlement",
        actor=AGENT,
    )
    with pytest.raises(PermissionDeniedError) as same:
        approve_plan(engine, plan.plan_id, approver=AGENT)
    assert same.value.field == "approver"
    with pytest.raises(PermissionDeniedError):
        approve_plan(engine, plan.plan_id, approver=COLLECTOR)
    with pytest.raises(ConflictError):  # one pending plan per loan
        propose_plan(
            engine,
            loan_id,
            HardshipKind.SETTLEMENT,
            amount=Money.of("900"),
            reason="another one",
            actor=COLLECTOR,
        )
    assert [p.status.value for p in plans_of_loan(engine, loan_id)] == ["proposed"]
    approve_plan(engine, plan.plan_id, approver=AGENT_2)
    with pytest.raises(ConflictError):
        approve_plan(engine, plan.plan_id, approver=AGENT_2)


def test_hostile_plans_are_refused_naming_the_field_and_write_nothing(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    cases: list[tuple[dict[str, Any], str]] = [
        (dict(kind=HardshipKind.SETTLEMENT, amount=Money.of("99999")), "amount"),
        (dict(kind=HardshipKind.SETTLEMENT, amount=None), "amount"),
        (dict(kind=HardshipKind.PAYMENT_HOLIDAY, months=7), "months"),
        (dict(kind=HardshipKind.TERM_EXTENSION, months=0), "months"),
        (dict(kind=HardshipKind.RESTRUCTURE, months=2), "months"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInputError) as bad:
            propose_plan(engine, loan_id, reason="a reason here", actor=COLLECTOR, **kw)
        assert bad.value.field == field
    with pytest.raises(InvalidInputError) as short:
        propose_plan(
            engine,
            loan_id,
            HardshipKind.SETTLEMENT,
            amount=Money.of("10"),
            reason="",
            actor=COLLECTOR,
        )
    assert short.value.field == "reason"
    assert plans_of_loan(engine, loan_id) == []


def rows(engine, loan_id: int) -> list[tuple[int, int, int, int, int]]:
    """``n, due_day, principal_due, principal_paid, interest_due`` straight from the table."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT n, due_day, principal_due, principal_paid, interest_due "
                    "FROM servicing_installments WHERE loan_id = :loan ORDER BY n"
                ),
                {"loan": loan_id},
            )
        ]


def test_a_payment_holiday_moves_what_is_not_yet_due_and_moves_no_money(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    before, ledger_before = rows(engine, loan_id), balances(engine)
    plan = propose_plan(
        engine, loan_id, HardshipKind.PAYMENT_HOLIDAY, months=2, reason="hospital, two months",
        actor=COLLECTOR,
    )  # fmt: skip
    approve_plan(engine, plan.plan_id, approver=AGENT)
    after = rows(engine, loan_id)
    today = to_day(date(2025, 1, 11))
    for (n, due, p, paid, i), (n2, due2, p2, paid2, i2) in zip(before, after, strict=True):
        assert (n, p, paid, i) == (n2, p2, paid2, i2)  # amounts unchanged: no extra cost
        expected = due if due <= today else to_day(_months_later(from_day(due), 2))
        assert due2 == expected
    assert balances(engine) == ledger_before
    stored, rebuilt = replayed(engine, loan_id, date(2025, 1, 10))
    assert rebuilt.installments == stored.installments  # the holiday replays
    run_cob(engine, date(2025, 2, 20))  # the period earned on from the holiday, in SQL
    stored, rebuilt = replayed(engine, loan_id, date(2025, 2, 20))
    assert stored == rebuilt  # as the Python domain earns it
    assert verify_ledger(engine).ok


def _months_later(d: date, months: int) -> date:
    """The same day ``months`` later, the month's last day when it has fewer (by hand)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError


def test_a_restructure_makes_the_loan_current_with_the_arrears_spread_at_most_once_a_year(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    before, ledger_before = rows(engine, loan_id), balances(engine)
    today = to_day(date(2025, 1, 11))
    arrears = sum(p - paid for _, due, p, paid, _ in before if due <= today)
    assert arrears > 0
    plan = propose_plan(
        engine, loan_id, HardshipKind.RESTRUCTURE, reason="income fell, re-age", actor=COLLECTOR
    )
    approve_plan(engine, plan.plan_id, approver=AGENT)
    after = rows(engine, loan_id)
    future_before = [p for _, due, p, _, _ in before if due > today]
    future_after = [p for _, due, p, _, _ in after if due > today]
    k = len(future_before)
    shares = [arrears // k + (1 if j < arrears % k else 0) for j in range(k)]
    assert future_after == [a + s for a, s in zip(future_before, shares, strict=True)]
    assert sum(p - paid for _, due, p, paid, _ in after if due <= today) == 0
    assert balances(engine) == ledger_before  # what is owed did not change
    assert get_loan(engine, loan_id).account.bucket == "CURRENT"
    stored, rebuilt = replayed(engine, loan_id, date(2025, 1, 10))
    assert rebuilt.installments == stored.installments
    with pytest.raises(ConflictError) as again:
        propose_plan(
            engine, loan_id, HardshipKind.RESTRUCTURE, reason="another re-age", actor=COLLECTOR
        )
    assert again.value.field == "kind"
    run_cob(engine, date(2025, 2, 20))  # the moved interest owed whole, the rest earned daily
    stored, rebuilt = replayed(engine, loan_id, date(2025, 2, 20))
    assert stored == rebuilt  # SQL close of business as the Python domain
    assert verify_ledger(engine).ok


def test_a_restructured_loan_can_still_be_repaid_early_and_keeps_the_arrears_it_owes(engine):
    """A re-age spreads arrears, it does not forgive them, and the borrower keeps the right
    to repay early (民法典 art. 677). A prepayment re-plans the rows the arrears were moved
    onto: the moved interest, already earned and in the ledger, stays owed — the payment
    posts, the books and the rows agree, and the payoff closes the loan with the principal
    and at least every fen of interest moved."""
    from thinfile.services.payments import prepay_loan
    from thinfile.servicing import payoff_quote

    loan_id = delinquent_loan(engine, M1_DAY)
    plan = propose_plan(
        engine, loan_id, HardshipKind.RESTRUCTURE, reason="income fell, re-age", actor=COLLECTOR
    )
    approve_plan(engine, plan.plan_id, approver=AGENT)
    moved = balances(engine)["interest_receivable"]  # interest earned before the re-age
    assert moved > 0
    run_cob(engine, date(2025, 1, 20))
    prepay_loan(engine, loan_id, Money.of("1000"), date(2025, 1, 21))
    assert verify_ledger(engine).ok
    run_cob(engine, date(2025, 1, 21))
    quote = payoff_quote(get_loan(engine, loan_id).account, date(2025, 1, 22))
    done = prepay_loan(engine, loan_id, quote, date(2025, 1, 22))
    assert done.status.value == "closed"
    cash = balances(engine)["cash"]  # lent out, then paid back: what the borrower paid net
    assert cash >= moved, (cash, moved)  # interest, penalty: at least what was moved
    assert verify_ledger(engine).ok
    assert all(balances(engine).get(name, 0) == 0 for name in RECEIVABLES)


def test_a_proposed_plan_is_declined_or_withdrawn_with_a_reason_and_the_loan_takes_another(
    engine,
):
    """A plan that will not be approved does not block the loan: an approver declines it, or
    its proposer withdraws it, each with a reason; nothing is posted, the plan cannot be
    approved afterwards, and the next proposal is taken."""
    from tests.integration.collections_helpers import COLLECTOR_2
    from thinfile.collections import HardshipStatus
    from thinfile.services.collection_hardship import decline_plan

    loan_id = delinquent_loan(engine, M1_DAY)
    ledger = balances(engine)
    first = propose_plan(
        engine, loan_id, HardshipKind.PAYMENT_HOLIDAY, months=2, reason="lost work", actor=COLLECTOR
    )
    with pytest.raises(PermissionDeniedError):  # another collector neither approves nor declines
        decline_plan(engine, first.plan_id, reason="not mine to decide", actor=COLLECTOR_2)
    with pytest.raises(InvalidInputError) as bare:
        decline_plan(engine, first.plan_id, reason="  ", actor=AGENT)
    assert bare.value.field == "reason"
    declined = decline_plan(engine, first.plan_id, reason="income is back", actor=AGENT)
    assert declined.status is HardshipStatus.DECLINED and declined.txn_id is None
    with pytest.raises(ConflictError):
        approve_plan(engine, first.plan_id, approver=AGENT_2)
    with pytest.raises(ConflictError):
        decline_plan(engine, first.plan_id, reason="twice over", actor=AGENT)
    second = propose_plan(
        engine, loan_id, HardshipKind.RESTRUCTURE, reason="income fell, re-age", actor=COLLECTOR
    )
    withdrawn = decline_plan(engine, second.plan_id, reason="proposed in error", actor=COLLECTOR)
    assert withdrawn.status is HardshipStatus.DECLINED
    assert balances(engine) == ledger  # nothing posted
    with engine.connect() as conn:
        actions = conn.execute(
            sa.text("SELECT action FROM audit_log WHERE action LIKE 'collection.hardship%'")
        ).scalars()
        assert sorted(actions) == [
            "collection.hardship_decline",
            "collection.hardship_decline",
            "collection.hardship_propose",
            "collection.hardship_propose",
        ]


def test_a_loan_no_longer_being_repaid_takes_no_plan(engine):
    """A plan changes what an active loan asks: a loan charged off is refused at proposal,
    naming the loan and pointing to recoveries — not left waiting for an approval that can
    only fail."""
    loan_id = delinquent_loan(engine, M1_DAY)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE servicing_loans SET status = 'charged-off' WHERE id = :i"),
            {"i": loan_id},
        )
    for kind, extra in (
        (HardshipKind.SETTLEMENT, {"amount": Money.of("100")}),
        (HardshipKind.PAYMENT_HOLIDAY, {"months": 1}),
    ):
        with pytest.raises(ConflictError) as refused:
            propose_plan(engine, loan_id, kind, reason="cannot pay", actor=COLLECTOR, **extra)
        assert refused.value.field == "loan_id" and "charged-off" in refused.value.message
        assert "recovery" in (refused.value.remedy or "")
    assert plans_of_loan(engine, loan_id) == []


def test_a_settlement_is_measured_against_the_payoff_of_the_day(engine):
    """What is owed on the day includes the current period's interest for the days used,
    which close of business has not accrued yet: a settlement one fen above the receivables
    the ledger holds is still less than paying off, so it is taken (and writes the rest off)
    rather than refused as more than is owed."""
    loan_id = delinquent_loan(engine, M1_DAY)
    held = sum(balances(engine).get(a, 0) for a in RECEIVABLES)
    agreed = held + 1
    plan = propose_plan(
        engine,
        loan_id,
        HardshipKind.SETTLEMENT,
        amount=Money(agreed, "CNY"),
        reason="settles all but the days since the last due date",
        actor=COLLECTOR,
    )
    approve_plan(engine, plan.plan_id, approver=AGENT)
    after = balances(engine)
    assert after["cash"] - (-300_000) == agreed  # lent 3,000.00, received the agreed amount
    assert get_loan(engine, loan_id).account.status.value == "written-off"
    assert verify_ledger(engine).ok


def test_a_settlement_mid_period_earns_interest_for_the_days_used_and_writes_off_the_rest(engine):
    """A current loan of 3,000.00 at 18 % (1.5 % a month: 45.00 for the 31 days of January)
    settled for 2,000.00 on 11 January: the lender earns the interest of the ten days used
    (4,500 × 10 / 31, truncated: 14.51) and nothing for days after it — the loan is closed
    that day — so the 1,014.51 not paid is all principal written off. (Settled as a
    prepayment, the money also paid the rest of January's interest on the principal left,
    income booked then written off as principal.)"""
    loan_id = open_and_disburse(
        engine, terms("3000", 6, "0.18"), product=ServicingProduct()
    ).loan_id
    run_cob(engine, date(2025, 1, 10))
    on = date(2025, 1, 11)
    before = balances(engine)
    used = 4_500 * 10 // 31
    plan = propose_plan(
        engine,
        loan_id,
        HardshipKind.SETTLEMENT,
        amount=Money(200_000, "CNY"),
        reason="settle at two thousand",
        actor=COLLECTOR,
        today=on,
    )
    approve_plan(engine, plan.plan_id, approver=AGENT, today=on)
    after = balances(engine)
    moved = {a: after.get(a, 0) - before.get(a, 0) for a in set(after) | set(before)}
    assert -after["interest_income"] == used  # income is a credit balance
    assert moved["charge_off_expense"] == 300_000 + used - 200_000
    assert all(after.get(a, 0) == 0 for a in RECEIVABLES), after
    account = get_loan(engine, loan_id).account
    assert account.charged_off.principal == 300_000 + used - 200_000
    assert account.charged_off.interest == 0
    assert verify_ledger(engine).ok


def test_a_settlement_for_all_that_is_owed_is_refused_as_a_payoff(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    owed = quote_payoff(engine, loan_id, M1_DAY + timedelta(days=1)).fen
    with pytest.raises(InvalidInputError) as refused:
        propose_plan(
            engine,
            loan_id,
            HardshipKind.SETTLEMENT,
            amount=Money(owed, "CNY"),
            reason="settles everything",
            actor=COLLECTOR,
        )
    assert refused.value.field == "amount"
    assert plans_of_loan(engine, loan_id) == []


def test_a_holiday_then_a_restructure_keep_the_books_and_replay(engine):
    """A holiday mid-period (what the period earned stays owed, the rest earned to its new
    due date), then the arrears re-aged: no installment carries more than it asks, the
    verifier finds nothing, and SQL close of business equals the Python domain."""
    loan_id = delinquent_loan(engine, date(2025, 1, 2))  # first due 01-06, never paid
    holiday = propose_plan(
        engine, loan_id, HardshipKind.PAYMENT_HOLIDAY, months=1, reason="hospital",
        actor=COLLECTOR,
    )  # fmt: skip
    approve_plan(engine, holiday.plan_id, approver=AGENT)
    first = get_loan(engine, loan_id).account.installments[0]
    assert first.start == date(2025, 1, 3) and first.interest_carried > 0
    run_cob(engine, date(2025, 2, 20))
    plan = propose_plan(
        engine, loan_id, HardshipKind.RESTRUCTURE, reason="income fell, re-age", actor=COLLECTOR
    )
    approve_plan(engine, plan.plan_id, approver=AGENT)
    rows = get_loan(engine, loan_id).account.installments
    assert all(0 <= i.interest_carried <= i.interest_due for i in rows)
    assert verify_ledger(engine).ok, verify_ledger(engine).problems
    run_cob(engine, date(2025, 3, 20))
    stored, rebuilt = replayed(engine, loan_id, date(2025, 3, 20))
    assert stored == rebuilt
    assert verify_ledger(engine).ok
