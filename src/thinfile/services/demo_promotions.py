"""The demo's programmes and coupon: budgets for the preferential programmes, and offers
accepted under a programme, at the standard price once its budget is spent, or with a
30-day interest-free coupon (免息券).

Each programme gets :data:`PROGRAMME_BUDGET`, a few loans' discounts, so the year shows both
loans priced under a programme and offers that fall back to the standard price. Staff define
:data:`DEMO_COUPON` as a coupon batch (one per borrower, :data:`COUPON_BUDGET`), and a
campaign issues it to the segment of the first borrower whose offer charges interest — every
borrower of that segment without a loan yet; that borrower accepts with it after reading the
statement it changes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    ProgrammeBudgetExhaustedError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import applications as apps
from thinfile.services import interest_coupons, promotions
from thinfile.services.documents import Signing

if TYPE_CHECKING:
    from thinfile.services.demo import DemoBorrower, DemoLender

__all__ = [
    "COUPON_BUDGET",
    "COUPON_CAMPAIGN",
    "DEMO_COUPON",
    "PROGRAMME_BUDGET",
    "accept_priced",
    "fund_programmes",
]

PROGRAMME_BUDGET = Money.of("150.00")
"""Each preferential programme's budget in the demo."""
DEMO_COUPON = InterestCouponTerms(CouponKind.FREE_DAYS, days=30)
"""The interest coupon one demo borrower accepts with."""
COUPON_BUDGET = Money.of("500.00")
"""What the demo's coupon batch may take off loans in all."""
COUPON_CAMPAIGN = "新市民首贷 first loans"
"""The reference the demo's campaign issues the coupon under."""
_COUPON_NAME = "30天免息券 30 days interest-free"


def fund_programmes(engine: Engine, lender: DemoLender) -> None:
    """Staff give every programme of the active policy its demo budget."""
    for programme in lender.runtime.book.champion.settings.programmes:
        promotions.set_programme_budget(
            engine, programme.code, PROGRAMME_BUDGET, actor=lender.staff[Role.ADMIN]
        )


def accept_priced(
    engine: Engine, lender: DemoLender, borrower: DemoBorrower, day: date, signing: Signing
) -> int:
    """``borrower`` reads offer 0's statement (with the coupon if they are the first to get
    one) and accepts it — at the standard price when the statement says the programme's
    budget is spent, or was spent before they accepted. The loan's id."""
    assert borrower.application_id is not None
    if not any(b.coupon_id for b in lender.borrowers):
        _try_coupon(engine, lender, borrower, day)
    price = _quote(engine, borrower, day)
    try:
        loan = _accept(engine, borrower, day, signing, standard=bool(price.reasons))
    except ProgrammeBudgetExhaustedError:  # spent since the statement was read: read again
        price = _quote(engine, borrower, day)
        loan = _accept(engine, borrower, day, signing, standard=True)
    borrower.programme, borrower.price_reasons = price.programme, price.reasons
    borrower.coupon_value = price.coupon_value
    return loan


def _quote(engine: Engine, borrower: DemoBorrower, day: date) -> promotions.OfferPrice:
    assert borrower.application_id is not None
    return apps.quote_offer(
        engine,
        borrower.application_id,
        actor=borrower.actor,
        offer=0,
        on=day,
        coupon_id=borrower.coupon_id,
    )


def _batch(engine: Engine, lender: DemoLender, day: date) -> str:
    """The demo's coupon batch (defined on first use)."""
    for batch in interest_coupons.list_coupon_batches(engine, limit=50, offset=0):
        if batch.name == _COUPON_NAME:
            return batch.id
    return interest_coupons.create_coupon_batch(
        engine,
        lender.staff[Role.ADMIN],
        interest_coupons.CouponBatchDraft(
            name=_COUPON_NAME,
            terms=DEMO_COUPON,
            valid_from=day,
            valid_to=day + timedelta(days=366),
            per_borrower_limit=1,
            budget=COUPON_BUDGET,
        ),
    ).id


def _try_coupon(engine: Engine, lender: DemoLender, borrower: DemoBorrower, day: date) -> None:
    """A campaign issues :data:`DEMO_COUPON` to ``borrower``'s segment; the borrower keeps
    theirs for this offer if it takes something off."""
    plain = _quote(engine, borrower, day)
    batch_id = _batch(engine, lender, day)
    interest_coupons.issue_to_segment(
        engine,
        lender.staff[Role.ADMIN],
        batch_id,
        segment=str(borrower.form["segment"]),
        reference=COUPON_CAMPAIGN,
        first_loan_only=True,
        on=day,
    )
    held = [
        c
        for c in promotions.my_interest_coupons(engine, actor=borrower.actor)
        if c.batch_id == batch_id and c.status == "issued"
    ]
    if not held:
        return
    borrower.coupon_id = held[0].id
    try:
        quoted = _quote(engine, borrower, day)
    except (CouponUnavailableError, CouponBudgetExhaustedError):  # kept for another offer
        borrower.coupon_id = None
        return
    borrower.annualized = (f"{plain.annualized.nominal:.2%}", f"{quoted.annualized.nominal:.2%}")


def _accept(
    engine: Engine, borrower: DemoBorrower, day: date, signing: Signing, *, standard: bool
) -> int:
    assert borrower.application_id is not None
    return apps.accept_offer(
        engine,
        borrower.application_id,
        actor=borrower.actor,
        offer=0,
        seconds_read=apps.MIN_READING_SECONDS,
        confirmed=True,
        on=day,
        signing=signing,
        coupon_id=borrower.coupon_id,
        standard_price=standard,
    ).loan_id
