"""A purchase the borrower has already repaid can still be refunded by the merchant, on SQLite
and PostgreSQL: a partial refund pays the borrower back what the merchant returned and the fees
paid on it; the refund of the rest pays back the interest and fees too, so the borrower ends
where they started — checked against the cash the borrower paid and got back, summed here
from the transactions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, context_of
from tests.e2e.test_api_checkout import confirm, create, ledger_ok, post, read_for, shop
from thinfile.services import loans, payments
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob


def _cash_of_borrower(api: TestClient, loan_id: int) -> tuple[int, int]:
    """(paid by the borrower, paid back to the borrower) on the loan, in fen."""
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT kind, SUM(amount) FROM servicing_transactions"
                " WHERE loan_id = :l GROUP BY kind"
            ),
            {"l": loan_id},
        ).all()
    sums = {str(k): int(v) for k, v in rows}
    paid = sums.get("repayment", 0) + sums.get("prepayment", 0)
    return paid, sums.get("overpayment-refund", 0)


def test_a_repaid_purchase_refunded_in_two_parts_leaves_the_borrower_whole(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()["id"]
    assert api.get(f"/v1/me/checkout/{session}/plans", headers=world.alice.headers).is_success
    read_for(api, session)
    done = confirm(api, world.alice, session, periods=6)  # the borrower pays a 0.5% monthly fee
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    captured = post(api, merchant, session, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = int(captured.json()["captures"][0]["loan_id"])
    engine = context_of(api).engine
    first_due = loans.get_loan(engine, loan_id).account.installments[0].due
    run_cob(engine, first_due)  # the first month's fee falls due
    on = current_business_date(engine)
    payoff = loans.quote_payoff(engine, loan_id, on)
    payments.prepay_loan(engine, loan_id, payoff, on)
    assert loans.get_loan(engine, loan_id).account.status.value == "closed"
    paid, back = _cash_of_borrower(api, loan_id)
    assert paid == payoff.fen and back == 0
    assert paid - 1_200_000 >= 6_000  # at least the first month's fee: 0.5% of 12,000

    part = post(api, merchant, session, "refunds", amount="2000.00")
    assert part.status_code == 201, part.text
    paid, back = _cash_of_borrower(api, loan_id)
    # the merchant's money straight back, and the fees paid on the refunded sixth of the
    # purchase: each month's fee (the first month's 6,000, then the days of the second)
    # re-priced as if the purchase had been 2,000 smaller, rounded half-up per month
    fees = [6_000, paid - 1_200_000 - 6_000]
    on_share = [int((Decimal(f) / 6).quantize(Decimal(1), ROUND_HALF_UP)) for f in fees]
    assert back == 200_000 + sum(on_share)
    ledger_ok(api)

    too_much = post(api, merchant, session, "refunds", amount="10000.01")
    assert too_much.status_code in (409, 422), too_much.text
    rest = post(api, merchant, session, "refunds", amount="10000.00")
    assert rest.status_code == 201, rest.text
    paid, back = _cash_of_borrower(api, loan_id)
    assert back == paid  # principal, interest and fees: everything the borrower paid
    loan = loans.get_loan(engine, loan_id)
    assert loan.account.status.value == "closed" and loan.account.credit == 0
    ledger_ok(api)
