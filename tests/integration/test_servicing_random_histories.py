"""Random servicing histories through the services on SQLite and PostgreSQL (small hypothesis).

Each example opens a loan at the current business date and applies random payments,
prepayments, refunds, reversals, closes of business and charge-offs. After every example the
whole book verifies (entries balance, general ledger = loan accounts, nothing negative) and
the loan equals its replay from scratch.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.servicing_helpers import PRODUCTS, replayed, terms
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loan_adjustments import charge_off_in_unit, record_merchant_refund
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import PrepaymentMode

ACTIONS = ["pay", "pay", "prepay", "refund", "reverse", "cob", "cob", "charge-off"]


def test_random_histories_keep_the_book_verified_on_both_databases(engine):
    state = {"today": terms("1", 1).start}

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def history(data):
        today = state["today"]
        loan = open_and_disburse(
            engine,
            terms(
                str(data.draw(st.integers(1000, 20000))), data.draw(st.integers(2, 6)), start=today
            ),
            product=data.draw(st.sampled_from(PRODUCTS)),
        )
        receipts = []
        for _ in range(data.draw(st.integers(1, 8))):
            action = data.draw(st.sampled_from(ACTIONS))
            amount = Money(data.draw(st.integers(1, 400_000)))
            try:
                if action == "cob":
                    today += timedelta(days=data.draw(st.sampled_from([1, 10, 40])))
                    run_cob(engine, today - timedelta(days=1))
                elif action == "pay":
                    receipts.append(post_payment(engine, loan.loan_id, amount, today))
                elif action == "prepay":
                    receipts.append(
                        prepay_loan(
                            engine,
                            loan.loan_id,
                            amount,
                            today,
                            mode=data.draw(st.sampled_from(list(PrepaymentMode))),
                        )
                    )
                elif action == "refund":
                    receipts.append(record_merchant_refund(engine, loan.loan_id, amount, today))
                elif action == "charge-off":
                    with UnitOfWork(engine) as uow:  # as a second staff member's approval
                        charge_off_in_unit(uow, loan.loan_id, today, reason="test", approved=True)
                        uow.commit()
                elif receipts:
                    reverse_payment(engine, receipts.pop().txn_id, today)
            except (ConflictError, InvalidInputError, NotFoundError):
                pass
        run_cob(engine, today)
        state["today"] = today + timedelta(days=1)
        report = verify_ledger(engine)
        assert report.ok, report.problems
        stored, rebuilt = replayed(engine, loan.loan_id, today)
        assert stored == rebuilt
        assert get_loan(engine, loan.loan_id).account == stored

    history()
