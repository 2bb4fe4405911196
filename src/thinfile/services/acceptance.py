"""Accept an offer or decline them: the borrower's answer to an approved application.

Accepting records the borrower's confirmation of the all-in cost statement (read for at least
:data:`MIN_READING_SECONDS`, as :func:`seconds_read` counts it from the moment it was shown)
and opens and disburses the loan — or opens the revolving line and
draws on it — on the given business date, all in one unit of work with its audit row.
``accept_today`` is the same inside a caller's unit of work on the current business date, its
audit row returned for the caller to append last (the API runs it with its idempotency key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ProgrammeBudgetExhaustedError,
)
from thinfile.loanmath import DefaultTerms, LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.applications_records import (
    ApplicationRecord,
    ApplicationStatus,
    application_record,
    load_application,
)
from thinfile.services.audit import AuditDraft, record_audit
from thinfile.services.business_date import business_date_in, lender_date
from thinfile.services.credit_lines import open_line_in_unit
from thinfile.services.documents import Signing, sign_contract_in_unit
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.loans import open_in_unit
from thinfile.services.promotions import (
    PROGRAMME_BUDGET_EXHAUSTED,
    OfferPrice,
    book_promotions_in_unit,
    price_offer_in_unit,
)
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import ServicingProduct, standard_product
from thinfile.store.applications_repo import StoredApplication

__all__ = [
    "MIN_READING_SECONDS",
    "OFFER_DAYS",
    "OFFER_DECLINED",
    "AcceptedOffer",
    "Signing",
    "accept_in_unit",
    "accept_offer",
    "accept_today",
    "decline_offer",
    "ensure_confirmed",
    "ensure_statement_read",
    "offer_lapses",
    "offer_product",
    "quote_offer",
    "quote_offers_today",
    "quote_today",
    "seconds_read",
]


MIN_READING_SECONDS = 10
"""The forced reading time of the all-in cost statement before an offer can be accepted."""


OFFER_DECLINED = ApplicationStatus.OFFER_DECLINED
"""Status of an approved application whose offers the applicant turned down."""

OFFER_DAYS = 30
"""Days an approved application's offers stand after the decision (as a limit offer and a
working-capital decision do)."""


@dataclass(frozen=True, slots=True)
class AcceptedOffer:
    application_id: str
    loan_id: int
    credit_line_id: int | None
    terms: LoanTerms
    contract_sha256: str | None = None
    """The SHA-256 of the contract signed with the acceptance (None: none was signed)."""


def _offer_terms(offer: Mapping[str, object], on: date) -> LoanTerms:
    """The contract terms of a stored offer, starting on the acceptance date."""
    return LoanTerms(
        principal=Money.of(str(offer["amount"])),
        annual_rate=Decimal(str(offer["annual_rate"])),
        periods=int(str(offer["term_months"])),
        method=RepaymentMethod(str(offer["method"])),
        start=on,
        monthly_fee_rate=Decimal(str(offer["monthly_fee_rate"])),
        upfront_fee=Money.of(str(offer["upfront_fee"])),
    )


def offer_product(offer: Mapping[str, object], terms: LoanTerms) -> ServicingProduct:
    """The servicing product a loan from ``offer`` is serviced under: the standard one for its
    method, with exactly the default terms its cost statement disclosed (offers stored before
    statements carried them get the standard terms)."""
    product = standard_product(terms.method)
    statement = offer.get("statement")
    disclosed = statement.get("default_terms") if isinstance(statement, Mapping) else None
    if not isinstance(disclosed, Mapping):
        return product
    return replace(product, defaults=DefaultTerms.from_dict(dict(disclosed)))


def seconds_read(
    *, shown_at: datetime | None, claimed: float | None = None, now: datetime | None = None
) -> float:
    """How long the borrower has had the all-in cost statement: the time from ``shown_at``
    (a naive time is UTC) to ``now`` (default: the clock now), never less than 0 nor more than
    ``claimed`` (what the client reports); ``claimed`` alone when the moment shown is not
    known, and 0 when neither is."""
    if shown_at is None:
        return claimed or 0.0
    shown = shown_at if shown_at.tzinfo else shown_at.replace(tzinfo=UTC)
    elapsed = max(((now or now_utc()) - shown).total_seconds(), 0.0)
    return elapsed if claimed is None else min(claimed, elapsed)


def ensure_statement_read(seconds: float) -> None:
    """Refuse an acceptance whose cost statement was read for less than
    :data:`MIN_READING_SECONDS` (field ``seconds_read``)."""
    if seconds < MIN_READING_SECONDS:
        raise InvalidInputError(
            f"the cost statement must be read for at least {MIN_READING_SECONDS} seconds",
            field="seconds_read",
            value=round(seconds, 1),
            remedy="read the statement, then confirm again",
        )


def ensure_confirmed(*, confirmed: bool, seconds_read: float) -> None:
    """The borrower's confirmation of the all-in cost statement, the one rule of every
    surface: read for at least :data:`MIN_READING_SECONDS` (field ``seconds_read``), then
    confirmed — the page's ticked box, the API's ``confirm: true`` (field ``confirm``)."""
    ensure_statement_read(seconds_read)
    if not confirmed:
        raise InvalidInputError(
            "confirm that you have read the cost statement",
            field="confirm",
            value=False,
            remedy="tick the box (confirm: true) to say you have read it, then accept again",
        )


def _open_offer(row: StoredApplication, actor: Actor, offer: int, on: date) -> dict[str, object]:
    if row.user_id != actor.user_id:
        raise NotFoundError("no such application", field="application_id", value=row.id)
    if row.status != ApplicationStatus.APPROVED or row.accepted_offer is not None:
        raise ConflictError(
            "this application has no open offer to accept", field="application_id", value=row.id
        )
    lapses = offer_lapses(row)
    if on > lapses:
        raise ConflictError(
            f"the offers of this application stood until {lapses.isoformat()}",
            field="application_id",
            value=row.id,
            remedy="apply again: a new decision reads your circumstances as they are now",
            extra={"lapsed_after": lapses.isoformat()},
        )
    offers = json.loads(row.decision_json)["offers"]
    if not 0 <= offer < len(offers):
        raise InvalidInputError(
            f"choose an offer from 0 to {len(offers) - 1}", field="offer", value=offer
        )
    chosen: dict[str, object] = offers[offer]
    return chosen


def offer_lapses(row: StoredApplication) -> date:
    """The last business date the application's offers may be accepted: :data:`OFFER_DAYS`
    after the decision (an underwriter's review, or the submission's own), on the lender's
    calendar. A decision reads the applicant's circumstances and the programmes of its day;
    past that, a new application decides again."""
    decided = row.reviewed_at if row.reviewed_at is not None else row.submitted_at
    return lender_date(decided) + timedelta(days=OFFER_DAYS)


def _acceptable(
    row: StoredApplication,
    actor: Actor,
    offer: int,
    seconds_read: float,
    confirmed: bool,
    on: date,
) -> dict[str, object]:
    chosen = _open_offer(row, actor, offer, on)
    ensure_confirmed(confirmed=confirmed, seconds_read=seconds_read)
    return chosen


def _priced(
    uow: UnitOfWork,
    row: StoredApplication,
    chosen: Mapping[str, object],
    on: date,
    coupon_id: str | None,
    standard_price: bool,
) -> OfferPrice:
    terms = _offer_terms(chosen, on)
    return price_offer_in_unit(
        uow,
        chosen,
        terms,
        borrower_id=row.user_id,
        coupon_id=coupon_id,
        standard_price=standard_price,
        default_terms=offer_product(chosen, terms).defaults,
    )


def quote_offer(
    engine: Engine,
    application_id: str,
    *,
    actor: Actor,
    offer: int,
    on: date,
    coupon_id: str | None = None,
    standard_price: bool = False,
) -> OfferPrice:
    """What accepting ``offer`` on ``on`` would sign for — with the interest coupon
    ``coupon_id`` taken off, at the standard price when its programme's budget is spent
    (reason ``PROGRAMME_BUDGET_EXHAUSTED``) or ``standard_price`` is asked: the schedule,
    annualized rate and cost statement the borrower reads before accepting. Writes nothing."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id)
        chosen = _open_offer(row, actor, offer, on)
        return _priced(uow, row, chosen, on, coupon_id, standard_price)


def quote_today(
    engine: Engine,
    application_id: str,
    *,
    actor: Actor,
    offer: int,
    coupon_id: str | None = None,
    standard_price: bool = False,
) -> OfferPrice:
    """:func:`quote_offer` on the current business date, read in the same transaction."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id)
        on = business_date_in(uow)
        return _priced(uow, row, _open_offer(row, actor, offer, on), on, coupon_id, standard_price)


def quote_offers_today(engine: Engine, application_id: str, *, actor: Actor) -> list[OfferPrice]:
    """Every open offer priced as :func:`quote_today` prices it without a coupon, in one
    transaction: what the decision page lists, so it never names a price (a programme's,
    say, once its budget is spent) that the offer page and acceptance would not give."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id)
        on = business_date_in(uow)
        count = len(json.loads(row.decision_json)["offers"])
        return [
            _priced(uow, row, _open_offer(row, actor, i, on), on, None, False) for i in range(count)
        ]


def _line_rate(chosen: Mapping[str, object], terms: LoanTerms) -> Decimal:
    """The rate a line's later draws are priced at: the offer's price before a programme's
    discount, which is for the first loan only (its budget pays that loan's discount)."""
    programme = chosen.get("programme")
    if isinstance(programme, Mapping) and programme.get("price_kind") == "annual_rate":
        return Decimal(str(programme["price_before"]))
    return terms.annual_rate


def accept_in_unit(
    uow: UnitOfWork,
    application_id: str,
    *,
    actor: Actor,
    offer: int,
    seconds_read: float,
    confirmed: bool,
    on: date,
    signing: Signing | None = None,
    coupon_id: str | None = None,
    standard_price: bool = False,
) -> tuple[AcceptedOffer, AuditDraft]:
    """:func:`accept_offer` inside the caller's unit of work: the acceptance and its audit
    row, which the caller appends last before its one commit. With ``signing`` the borrower
    signs the loan contract in the same unit (``services.documents``); ``coupon_id`` and
    ``standard_price`` price the offer as :func:`quote_offer` did."""
    row = load_application(uow, application_id, lock=True)
    chosen = _acceptable(row, actor, offer, seconds_read, confirmed, on)
    price = _priced(uow, row, chosen, on, coupon_id, standard_price)
    if price.reasons and not standard_price:
        programme = chosen.get("programme")
        raise ProgrammeBudgetExhaustedError(
            "the programme's budget cannot pay this loan's discount",
            field="programme",
            value=programme.get("code") if isinstance(programme, Mapping) else None,
            remedy="read the offer again at the standard price and accept that",
            extra={"reason": PROGRAMME_BUDGET_EXHAUSTED},
        )
    terms = price.terms
    line_id = None
    if chosen.get("credit_line") is not None or chosen["product"] == "revolving_line":
        limit = Money.of(str(chosen.get("credit_limit") or chosen["amount"]))
        line_id = open_line_in_unit(uow, limit, _line_rate(chosen, terms), on).line.line_id
    loan = open_in_unit(
        uow,
        terms,
        product=offer_product(chosen, terms),
        credit_line_id=line_id,
        schedule=price.schedule,
        subsidy=Money(price.deferred_coupon) if price.deferred_coupon else None,
    )
    book_promotions_in_unit(uow, price, application_id=application_id, loan_id=loan.loan_id, on=on)
    now = now_utc()
    if not uow.applications.update(
        application_id,
        row.version,
        status=ApplicationStatus.ACCEPTED.value,
        accepted_offer=offer,
        statement_confirmed_at=now,
        loan_id=str(loan.loan_id),
        credit_line_id=None if line_id is None else str(line_id),
    ):
        raise ConflictError("the application changed meanwhile; reload and try again")
    digest = None
    if signing is not None:
        digest = sign_contract_in_unit(
            uow, signing, loan=loan, application_id=application_id, user_id=row.user_id, at=now
        ).sha256
    details: dict[str, object] = {
        "offer": offer,
        "loan": loan.loan_id,
        "statement_read_seconds": round(seconds_read, 1),
    }
    if digest is not None:
        details["contract_sha256"] = digest
    if price.programme is not None:
        details["programme"] = price.programme
        details["programme_discount"] = str(Money(price.programme_discount))
    if price.reasons:
        details["price_reasons"] = list(price.reasons)
    if price.coupon_id is not None:
        details["interest_coupon"] = price.coupon_id
        details["coupon_value"] = str(Money(price.coupon_value))
    audit = AuditDraft(
        actor.label, "application.accept_offer", f"application:{application_id}", details
    )
    return AcceptedOffer(application_id, loan.loan_id, line_id, terms, digest), audit


def accept_today(
    uow: UnitOfWork,
    application_id: str,
    *,
    actor: Actor,
    offer: int,
    seconds_read: float,
    confirmed: bool,
    signing: Signing | None = None,
    coupon_id: str | None = None,
    standard_price: bool = False,
) -> tuple[AcceptedOffer, AuditDraft]:
    """:func:`accept_in_unit` on the current business date, read in the same transaction."""
    return accept_in_unit(
        uow,
        application_id,
        actor=actor,
        offer=offer,
        seconds_read=seconds_read,
        confirmed=confirmed,
        on=business_date_in(uow),
        signing=signing,
        coupon_id=coupon_id,
        standard_price=standard_price,
    )


def accept_offer(
    engine: Engine,
    application_id: str,
    *,
    actor: Actor,
    offer: int,
    seconds_read: float,
    confirmed: bool,
    on: date,
    signing: Signing | None = None,
    coupon_id: str | None = None,
    standard_price: bool = False,
) -> AcceptedOffer:
    """The borrower confirms the cost statement (:func:`ensure_confirmed`) and accepts
    ``offer``: the loan is opened and disbursed (a revolving line is opened and the amount
    drawn) and, with ``signing``, the loan contract signed, in the same unit of work, its
    audit row last (naming the contract's SHA-256). With ``coupon_id`` the interest coupon
    is redeemed and taken off; an offer under a programme whose budget is spent is refused
    (:class:`~thinfile.errors.ProgrammeBudgetExhaustedError`) unless ``standard_price``
    accepts it at the standard price (:func:`quote_offer` shows both)."""
    with UnitOfWork(engine) as uow:
        accepted, audit = accept_in_unit(
            uow,
            application_id,
            actor=actor,
            offer=offer,
            seconds_read=seconds_read,
            confirmed=confirmed,
            on=on,
            signing=signing,
            coupon_id=coupon_id,
            standard_price=standard_price,
        )
        audit.append(uow)
        uow.commit()
    return accepted


def decline_offer(engine: Engine, application_id: str, *, actor: Actor) -> ApplicationRecord:
    """The applicant turns down every offer of an approved application (once)."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id, lock=True)
        if row.user_id != actor.user_id:
            raise NotFoundError("no such application", field="application_id", value=application_id)
        if row.status != ApplicationStatus.APPROVED or row.accepted_offer is not None:
            raise ConflictError(
                "this application has no open offer to decline",
                field="application_id",
                value=application_id,
            )
        if not uow.applications.update(application_id, row.version, status=OFFER_DECLINED.value):
            raise ConflictError("the application changed meanwhile; reload and try again")
        row = load_application(uow, application_id)
        record_audit(
            uow, actor.label, "application.decline_offer", f"application:{application_id}", {}
        )
        uow.commit()
    return application_record(row, json.loads(row.decision_json))
