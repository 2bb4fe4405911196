"""The promotions' bookkeeping checked against the ledger (re-exported by
:mod:`thinfile.services.promotions`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from thinfile.decisioning.interest_coupons import CouponCostBooking
from thinfile.services.uow import UnitOfWork

__all__ = ["check_promotions"]


def check_promotions(engine: Engine) -> list[str]:
    """Every problem between the promotions and the ledger (none: an empty list): each
    redeemed coupon's value booked once as marketing expense and held by its loan as
    deferred income (a coupon whose batch books it as reduced interest income: neither), and
    each budgeted programme's spent sum what its loans took, within
    its budget."""
    problems = []
    with UnitOfWork(engine) as uow:
        posted = uow.promotions.coupon_postings()
        reduced = {
            b.id
            for b in uow.promotions.all_batches()
            if b.cost_booking == CouponCostBooking.REDUCED_INTEREST_INCOME.value
        }
        for coupon in uow.promotions.redeemed_coupons():
            assert coupon.loan_id is not None
            loan = uow.loans.get(coupon.loan_id).account
            booked = posted.pop(coupon.id, None)
            expensed = None if coupon.batch_id in reduced else coupon.value_fen
            if booked != expensed or loan.subsidy != (expensed or 0):
                problems.append(
                    f"interest coupon {coupon.id}: value {coupon.value_fen}, marketing expense "
                    f"booked {booked}, loan {coupon.loan_id} defers {loan.subsidy}"
                )
        problems += [f"marketing expense for no redeemed coupon: {c}" for c in posted]
        taken = uow.promotions.spent_by_programme()
        for budget in uow.promotions.budgets():
            if (
                budget.spent_fen != taken.get(budget.code, 0)
                or budget.spent_fen > budget.budget_fen
            ):
                problems.append(
                    f"programme {budget.code}: spent {budget.spent_fen} of {budget.budget_fen}, "
                    f"its loans took {taken.get(budget.code, 0)}"
                )
        redeemed = uow.promotions.spent_by_batch()
        for batch in uow.promotions.all_batches():
            took = redeemed.get(batch.id, 0)
            if batch.spent_fen != took or batch.spent_fen > batch.budget_fen:
                problems.append(
                    f"interest coupon batch {batch.id}: spent {batch.spent_fen} of "
                    f"{batch.budget_fen}, its redeemed coupons took {took}"
                )
    return problems
