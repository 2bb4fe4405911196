"""Hardship plans on both databases: maker-checker, and a settlement's ledger effect checked
against sums of the journal taken independently of the servicing code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import (
    AGENT,
    AGENT_2,
    COLLECTOR,
    delinquent_loan,
)
from tests.integration.servicing_helpers import replayed
from thinfile.collections import HardshipKind
from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.collection_hardship import approve_plan, plans_of_loan, propose_plan
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan
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
    assert [t.kind for t in view.transactions][-2:] == ["prepayment", "write-off"]
    assert [t.amount for t in view.transactions][-2] == agreed
    assert verify_ledger(engine).ok


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
    run_cob(engine, date(2025, 1, 20))
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
    run_cob(engine, date(2025, 1, 20))
    assert verify_ledger(engine).ok
