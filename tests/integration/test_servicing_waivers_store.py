"""Fee waivers on both databases: stored with their kind, replayed by a later reversal, audited
in the posting's own transaction, and the ledger still verified."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.integration.servicing_helpers import PRODUCTS, replayed, terms
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.loanmath import RepaymentMethod
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loan_adjustments import waive_loan_fees
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment
from thinfile.servicing import WaiverTarget

STRICT = PRODUCTS[1]  # no grace, a 15.00 late fee
LATE = date(2025, 2, 10)
NEXT = date(2025, 2, 11)


def _late_loan(engine) -> int:
    loan = open_and_disburse(engine, terms("300000", 6), product=STRICT)
    run_cob(engine, LATE)
    owed = get_loan(engine, loan.loan_id).outstanding
    assert owed.fee == 1500 and owed.penalty > 0
    return loan.loan_id


def _audit_actions(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def test_a_waiver_is_stored_with_its_kind_and_replayed_when_a_later_payment_is_reversed(engine):
    loan_id = _late_loan(engine)
    waived = waive_loan_fees(
        engine,
        loan_id,
        Money.of("15"),
        NEXT,
        reason="fee in error",
        target=WaiverTarget.FEE,
        actor="servicing_agent:u1",
    )
    assert waived.kind == "fee-waiver" and waived.waived.fee == 1500
    paid = post_payment(engine, loan_id, Money.of("100"), NEXT)
    stored, rebuilt = replayed(engine, loan_id, LATE)
    assert rebuilt == stored  # the fee, not the penalty: the waiver's kind was stored
    reversal = reverse_payment(engine, paid.txn_id, NEXT, reason="bounced")
    assert reversal.reversed_txn_id == paid.txn_id
    assert get_loan(engine, loan_id).outstanding.fee == 0  # the waiver still holds
    assert verify_ledger(engine).ok
    assert _audit_actions(engine) == ["loan.fee_waiver"]


def test_more_than_is_owed_writes_nothing(engine):
    loan_id = _late_loan(engine)
    before = get_loan(engine, loan_id)
    with pytest.raises(InvalidInputError) as refused:
        waive_loan_fees(
            engine,
            loan_id,
            Money.of("15.01"),
            NEXT,
            reason="too much",
            target=WaiverTarget.FEE,
            actor="servicing_agent:u1",
        )
    assert refused.value.field == "amount"
    assert get_loan(engine, loan_id) == before and _audit_actions(engine) == []


def test_an_audit_append_that_fails_rolls_the_waiver_back(engine, monkeypatch):
    loan_id = _late_loan(engine)
    before = get_loan(engine, loan_id)

    def unavailable(*_args: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(AuditDraft, "append", unavailable)
    with pytest.raises(RuntimeError):
        waive_loan_fees(
            engine, loan_id, Money.of("1"), NEXT, reason="goodwill", actor="servicing_agent:u1"
        )
    assert get_loan(engine, loan_id) == before


def test_a_waiver_given_in_error_is_reversed_and_the_fee_is_owed_again(engine):
    loan_id = _late_loan(engine)
    before = get_loan(engine, loan_id).outstanding
    waived = waive_loan_fees(
        engine,
        loan_id,
        Money.of("15"),
        NEXT,
        reason="goodwill",
        target=WaiverTarget.FEE,
        actor="servicing_agent:u1",
    )
    assert get_loan(engine, loan_id).outstanding.fee == 0
    undone = reverse_payment(
        engine, waived.txn_id, NEXT, reason="not approved", actor="servicing_agent:u2"
    )
    assert undone.kind == "fee-waiver" and undone.reversed_txn_id == waived.txn_id
    assert get_loan(engine, loan_id).outstanding == before
    stored, rebuilt = replayed(engine, loan_id, LATE)
    assert rebuilt == stored
    assert verify_ledger(engine).ok
    assert _audit_actions(engine) == ["loan.fee_waiver", "loan.fee_waiver_reverse"]
    with pytest.raises(NotFoundError):  # a reversed waiver cannot be reversed again
        reverse_payment(engine, waived.txn_id, NEXT, reason="twice")


def test_a_fee_waived_mid_period_is_not_earned_again_by_the_set_based_close(engine):
    """A fee plan's scheduled fee, half earned, waived mid-period: the nights after it earn
    only their own days' fee in the database's close of business as in the domain's, and
    the waiver's amount is kept with the installment."""
    loan = open_and_disburse(
        engine,
        terms(
            "12000",
            12,
            "0",
            method=RepaymentMethod.FEE_INSTALLMENT,
            monthly_fee_rate=Decimal("0.006"),
        ),
        product=STRICT,
    )
    first = get_loan(engine, loan.loan_id).account.installments[0]
    middle = first.start + (first.due - first.start) // 2
    run_cob(engine, middle)
    earned = get_loan(engine, loan.loan_id).account.installments[0].fee_accrued
    period = (first.due - first.start).days
    assert earned == first.fee_due * (middle - first.start).days // period > 0
    waive_loan_fees(
        engine,
        loan.loan_id,
        Money(earned),
        middle + timedelta(days=1),
        reason="complaint",
        target=WaiverTarget.FEE,
        actor="servicing_agent:u1",
    )
    later = middle + timedelta(days=3)
    run_cob(engine, later)
    stored, rebuilt = replayed(engine, loan.loan_id, later)
    assert rebuilt == stored
    row = stored.installments[0]
    assert row.fee_waived == earned
    whole = first.fee_due * (later - first.start).days // period
    assert row.fee_accrued == whole - earned  # three more days, not the smaller fee again
    assert verify_ledger(engine).ok
