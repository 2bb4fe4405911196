"""Preferential programmes' budgets and interest coupons, priced into the loan a borrower signs.

* **Programme budgets.** Staff set each programme's budget: the total discount it may give
  (:func:`set_programme_budget`). A loan priced under a programme takes its discount — the
  interest and fees the standard price would have charged on the same terms less what the
  programme's price charges — from the budget in the unit of work that books it, by one
  conditional ``UPDATE`` (``store.promotions_repo``): never more than the budget, whatever
  runs at the same time. Once it cannot pay one more discount the acceptance is refused
  (:class:`~thinfile.errors.ProgrammeBudgetExhaustedError`, nothing written) and the offer is
  quoted at the standard price with the reason ``PROGRAMME_BUDGET_EXHAUSTED``
  (:func:`quote_offer`); accepting with ``standard_price`` books that price. A programme no
  budget was set for is not limited.
* **Interest coupons** (:mod:`thinfile.decisioning.interest_coupons`). Staff or a campaign
  issue one to a borrower (:func:`issue_interest_coupon`); the borrower sees the offer with
  it — the schedule, annualized rate and cost statement on what is actually paid
  (:func:`quote_offer`) — and accepts with it: the coupon is redeemed by one conditional
  ``UPDATE`` (used once, whatever runs at the same time; otherwise
  :class:`~thinfile.errors.CouponUnavailableError`), the loan is opened on the coupon's
  schedule and the lender's cost is booked: marketing expense against deferred income, which
  close of business recognises as interest income by the effective-interest method
  (``servicing.subsidy``), so the loan still earns its contract rate on the lender's books.
  A coupon issued from a batch (``services.interest_coupons``) adds its value to the batch's
  spent sum in the same unit, by one conditional ``UPDATE``: once the budget cannot pay it
  the coupon is refused (:class:`~thinfile.errors.CouponBudgetExhaustedError`), when quoted
  as when accepted.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.decisioning.interest_coupons import (
    CouponCostBooking,
    InterestCouponTerms,
    with_coupon,
)
from thinfile.errors import (
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProgrammeBudgetExhaustedError,
)
from thinfile.loanmath import (
    AnnualizedRate,
    CostStatement,
    DefaultTerms,
    LoanTerms,
    Schedule,
    annualized_rate,
    build_schedule,
    cost_statement,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.promotion_checks import check_promotions
from thinfile.services.uow import UnitOfWork
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.store.promotions_repo import (
    StoredInterestCoupon,
    StoredProgrammeBudget,
    StoredProgrammeUse,
)

__all__ = [
    "PROGRAMME_BUDGET_EXHAUSTED",
    "OfferPrice",
    "PriceReason",
    "book_promotions_in_unit",
    "check_promotions",
    "issue_interest_coupon",
    "my_interest_coupons",
    "price_offer_in_unit",
    "programme_budgets",
    "set_programme_budget",
]


class PriceReason(enum.StrEnum):
    """Why an offer is priced otherwise than the decision offered it."""

    PROGRAMME_BUDGET_EXHAUSTED = "PROGRAMME_BUDGET_EXHAUSTED"
    """its programme's budget is spent: the standard price"""


PROGRAMME_BUDGET_EXHAUSTED = PriceReason.PROGRAMME_BUDGET_EXHAUSTED.value
"""The reason an offer is quoted at the standard price: its programme's budget is spent."""
_STAFF = (Role.ADMIN, Role.UNDERWRITER)


@dataclass(frozen=True, slots=True)
class OfferPrice:
    """What the borrower signs for one offer on one date: terms, the schedule paid, its
    annualized rate and statement, and what the programme and the coupon take off."""

    terms: LoanTerms
    schedule: Schedule
    annualized: AnnualizedRate
    statement: CostStatement
    programme: str | None
    """The programme whose price this is (None: the standard price)."""
    programme_discount: int
    """fen the programme takes off (interest and fees) against the standard price."""
    coupon_id: str | None
    coupon_value: int
    """fen the interest coupon takes off: the lender's marketing expense."""
    reasons: tuple[str, ...] = ()
    offered_programme: Mapping[str, object] | None = None
    """The programme the decision offered the price under, as the offer stores it (its
    price before and after)."""
    coupon_booking: CouponCostBooking = CouponCostBooking.MARKETING_EXPENSE
    """How the coupon's value is booked (its batch's ``cost_booking``)."""

    @property
    def deferred_coupon(self) -> int:
        """fen the loan holds as deferred income for the coupon: its value when it is booked
        as marketing expense, 0 when as reduced interest income."""
        if self.coupon_booking is CouponCostBooking.MARKETING_EXPENSE:
            return self.coupon_value
        return 0

    @property
    def standard_price(self) -> bool:
        """Whether this is the price before the offer's programme (its budget spent, or the
        standard price asked for)."""
        return self.offered_programme is not None and self.programme is None

    def as_dict(self) -> dict[str, object]:
        s = self.schedule
        return {
            "amount": str(self.terms.principal),
            "term_months": self.terms.periods,
            "annual_rate": str(self.terms.annual_rate),
            "monthly_fee_rate": str(self.terms.monthly_fee_rate),
            "upfront_fee": str(self.terms.upfront_fee),
            "first_installment": str(Money(s.installments[0].total)),
            "total_repaid": str(Money(s.total_repaid)),
            "annualized_rate": self.annualized.as_dict(),
            "statement": self.statement.as_dict(),
            "programme": self.programme,
            "programme_discount": str(Money(self.programme_discount)),
            "interest_coupon": self.coupon_id,
            "coupon_value": str(Money(self.coupon_value)),
            "reasons": list(self.reasons),
        }


def _cost(schedule: Schedule) -> int:
    """Interest and fees the borrower pays on ``schedule`` (upfront fee included)."""
    return schedule.total_interest + schedule.total_fees


def _standard_terms(programme: Mapping[str, object], terms: LoanTerms) -> LoanTerms:
    """``terms`` at the price before the programme's discount, its waived fee charged."""
    before = Decimal(str(programme["price_before"]))
    waived = Money.of(str(programme.get("fee_waived", "0.00")))
    if programme.get("price_kind") == "monthly_fee_rate":
        terms = replace(terms, monthly_fee_rate=before)
    else:
        terms = replace(terms, annual_rate=before)
    return replace(terms, upfront_fee=terms.upfront_fee + waived)


def _lender(offer: Mapping[str, object]) -> str | None:
    """The lender the offer's statement names."""
    statement = offer.get("statement")
    lender = statement.get("lender") if isinstance(statement, Mapping) else None
    return lender if isinstance(lender, str) else None


def _usable_coupon(
    uow: UnitOfWork, coupon_id: str, borrower_id: str, on: date
) -> StoredInterestCoupon:
    coupon = uow.promotions.coupon(coupon_id)
    if coupon is None or coupon.borrower_id != borrower_id:
        raise NotFoundError("no such interest coupon", field="coupon_id", value=coupon_id)
    if coupon.status != "issued" or not coupon.valid_from <= on <= coupon.valid_to:
        raise CouponUnavailableError(
            "this interest coupon is used, void or outside its validity",
            field="coupon_id",
            value=coupon_id,
            remedy="accept without it, or with another coupon",
        )
    return coupon


def price_offer_in_unit(
    uow: UnitOfWork,
    offer: Mapping[str, object],
    terms: LoanTerms,
    *,
    borrower_id: str,
    coupon_id: str | None = None,
    standard_price: bool = False,
    default_terms: DefaultTerms,
) -> OfferPrice:
    """The price of stored ``offer`` on ``terms`` (its start the acceptance date): under its
    programme when it has one and the budget still pays the discount (unless
    ``standard_price``), else the standard price with the reason; with ``coupon_id``'s
    interest coupon taken off."""
    reasons: list[str] = []
    programme = offer.get("programme")
    code, discount = None, 0
    schedule = build_schedule(terms)
    if isinstance(programme, Mapping):
        standard = _standard_terms(programme, terms)
        discount = _cost(build_schedule(standard)) - _cost(schedule)
        budget = uow.promotions.budget(str(programme["code"]))
        spent = budget is not None and budget.spent_fen + discount > budget.budget_fen
        if standard_price or spent:
            if spent:
                reasons.append(PROGRAMME_BUDGET_EXHAUSTED)
            terms, discount = standard, 0
            schedule = build_schedule(terms)
        else:
            code = str(programme["code"])
    value, booking = 0, CouponCostBooking.MARKETING_EXPENSE
    if coupon_id is not None:
        coupon = _usable_coupon(uow, coupon_id, borrower_id, terms.start)
        schedule, value = with_coupon(
            schedule, InterestCouponTerms.from_dict(json.loads(coupon.terms_json))
        )
        if value <= 0:
            raise CouponUnavailableError(
                "this offer charges no interest the coupon could take off",
                field="coupon_id",
                value=coupon_id,
                remedy="keep the coupon for an offer that charges interest",
            )
        if coupon.batch_id is not None:
            batch = uow.promotions.batch(coupon.batch_id)
            if batch is not None and batch.spent_fen + value > batch.budget_fen:
                raise _batch_spent(coupon_id)
            if batch is not None:
                booking = CouponCostBooking(batch.cost_booking)
    lender = _lender(offer)
    rate = annualized_rate(schedule)
    statement = cost_statement(
        schedule,
        default_terms=default_terms,
        annualized=rate,
        **({"lender": lender} if lender else {}),
    )
    return OfferPrice(
        terms,
        schedule,
        rate,
        statement,
        code,
        discount,
        coupon_id,
        value,
        tuple(reasons),
        programme if isinstance(programme, Mapping) else None,
        booking,
    )


def _batch_spent(coupon_id: str) -> CouponBudgetExhaustedError:
    return CouponBudgetExhaustedError(
        "the coupon's budget cannot pay what it takes off this offer",
        field="coupon_id",
        value=coupon_id,
        remedy="accept without it, or with another coupon",
    )


def book_promotions_in_unit(
    uow: UnitOfWork, price: OfferPrice, *, application_id: str, loan_id: int, on: date
) -> None:
    """In the unit that opened ``loan_id`` at ``price``: take the programme's discount from
    its budget (refused: :class:`ProgrammeBudgetExhaustedError`, the caller's unit rolls
    back), redeem the coupon (used already: :class:`CouponUnavailableError`; its batch's
    budget spent: :class:`CouponBudgetExhaustedError`) and book its cost as marketing
    expense (the loan's disbursement holds it as deferred income) — or, when its batch books
    it as reduced interest income, nothing: the loan's lower interest is the cost."""
    at = now_utc()
    if price.programme is not None:
        budget = uow.promotions.budget(price.programme)
        if budget is not None and not uow.promotions.spend(
            price.programme, price.programme_discount
        ):
            raise ProgrammeBudgetExhaustedError(
                "the programme's budget cannot pay this loan's discount",
                field="programme",
                value=price.programme,
                remedy="read the offer again at the standard price and accept that",
                extra={"reason": PROGRAMME_BUDGET_EXHAUSTED},
            )
        uow.promotions.add_use(
            StoredProgrammeUse(
                loan_id, price.programme, application_id, price.programme_discount, on
            ),
            at=at,
        )
    if price.coupon_id is None:
        return
    if not uow.promotions.redeem(
        price.coupon_id,
        application_id=application_id,
        loan_id=loan_id,
        value_fen=price.coupon_value,
        on=on,
    ):
        raise CouponUnavailableError(
            "this interest coupon was used meanwhile",
            field="coupon_id",
            value=price.coupon_id,
            remedy="accept without it, or with another coupon",
        )
    redeemed = uow.promotions.coupon(price.coupon_id)
    batch = None if redeemed is None else redeemed.batch_id
    if batch is not None and not uow.promotions.spend_batch(batch, price.coupon_value):
        raise _batch_spent(price.coupon_id)
    if price.coupon_booking is CouponCostBooking.REDUCED_INTEREST_INCOME:
        return
    entry = EntryBuilder(price.terms.principal.currency).move(
        debit=Account.MARKETING_EXPENSE, credit=Account.CASH, fen=price.coupon_value
    )
    uow.ledger.post(
        [entry.build("marketing-expense", on, memo=f"interest-coupon:{price.coupon_id}")],
        loan_id=None,
    )


def _staff(actor: Actor) -> None:
    if actor.role not in _STAFF:
        raise PermissionDeniedError("only staff set programme budgets and issue coupons")


def set_programme_budget(
    engine: Engine, code: str, budget: Money, *, actor: Actor
) -> StoredProgrammeBudget:
    """Staff set programme ``code``'s budget (never below what it has given already)."""
    _staff(actor)
    if not code.strip() or len(code) > 60:
        raise InvalidInputError("a programme code has 1 to 60 characters", field="code", value=code)
    if budget.fen < 0:
        raise InvalidInputError("a budget is 0 or more", field="budget", value=str(budget))
    with UnitOfWork(engine) as uow:
        if not uow.promotions.set_budget(code, budget.fen, at=now_utc(), by=actor.label):
            raise InvalidInputError(
                "the budget is below what the programme has given already",
                field="budget",
                value=str(budget),
            )
        record_audit(
            uow, actor.label, "programme.budget", f"programme:{code}", {"budget": str(budget)}
        )
        stored = uow.promotions.budget(code)
        assert stored is not None
        uow.commit()
    return stored


def programme_budgets(engine: Engine) -> list[StoredProgrammeBudget]:
    with UnitOfWork(engine) as uow:
        return uow.promotions.budgets()


def issue_interest_coupon(
    engine: Engine,
    *,
    actor: Actor,
    borrower_id: str,
    name: str,
    terms: InterestCouponTerms,
    valid_from: date,
    valid_to: date,
) -> StoredInterestCoupon:
    """Staff issue an interest coupon to a borrower's account, usable from ``valid_from`` to
    ``valid_to`` (both included) on one offer."""
    _staff(actor)
    if valid_to < valid_from:
        raise InvalidInputError(
            "a coupon is valid to a day on or after it starts",
            field="valid_to",
            value=valid_to.isoformat(),
        )
    if not name.strip() or len(name) > 200:
        raise InvalidInputError("a coupon's name has 1 to 200 characters", field="name")
    coupon_id = new_id()
    with UnitOfWork(engine) as uow:
        if uow.users.get(borrower_id) is None:
            raise NotFoundError("no such borrower", field="borrower_id", value=borrower_id)
        uow.promotions.add_coupon(
            {
                "id": coupon_id,
                "borrower_id": borrower_id,
                "name": name.strip(),
                "terms_json": json.dumps(terms.as_dict()),
                "valid_from": valid_from,
                "valid_to": valid_to,
                "status": "issued",
                "issued_by": actor.label,
                "issued_at": now_utc(),
            }
        )
        record_audit(
            uow,
            actor.label,
            "interest_coupon.issue",
            f"interest_coupon:{coupon_id}",
            {"borrower": borrower_id, "terms": terms.as_dict()},
        )
        stored = uow.promotions.coupon(coupon_id)
        assert stored is not None
        uow.commit()
    return stored


def my_interest_coupons(engine: Engine, *, actor: Actor) -> list[StoredInterestCoupon]:
    with UnitOfWork(engine) as uow:
        return uow.promotions.coupons_of(actor.user_id)
