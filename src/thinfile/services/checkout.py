"""Checkout sessions, the merchant's side (收银台): create, read, capture, void (refunds:
:mod:`thinfile.services.checkout_refunds`).

Each state change has an in-unit form (``…_in_unit(uow, actor, …) -> (result, AuditDraft)``)
that :func:`thinfile.services.idempotency.run_once` runs with the request's idempotency key,
so the change, its loan postings, the stored response and the audit row commit together: a
repeat replays the first answer and posts nothing. A merchant reaches only its own sessions
(another's look exactly like none). The rules are the domain's
(:mod:`thinfile.commerce.checkout`); the money of a capture and a refund is servicing's:

* **capture** books the borrower's loan for the amount captured on the business date, on the
  plan the borrower confirmed (interest-free, or the fee plan), with the merchant's subsidy =
  the contract's rate for the term × the amount (held as deferred income) and ``merchant`` set;
  a session authorized on a credit line draws on it (what is available is checked again).
  While the borrower's dispute of the purchase is open a capture is refused (409): no loan
  is booked for a purchase the borrower says is wrong; a void or a refund is still allowed.
* **void** ends the session: what is not captured is released, and the promotions follow what
  was bought (:func:`give_back_promotions_in_unit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    Captured,
    CheckoutAmounts,
    CheckoutStatus,
    CouponFunder,
    MerchantStatus,
    OrderLine,
    UnearnedSubsidy,
    allowed_terms,
    borrower_plan,
    check_order,
    part_rounding,
    purchase_money,
    redirect_url,
)
from thinfile.commerce.checkout import VOIDABLE
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import (
    CheckoutStateError,
    ConflictError,
    InvalidInputError,
    MerchantStatusError,
    NotFoundError,
    PermissionDeniedError,
)
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.campaigns import merchant_share_in_unit, release_campaign_budget_in_unit
from thinfile.services.checkout_records import (
    CheckoutDraft,
    CheckoutRecord,
    amounts_of,
    checkout_event_in_unit,
    checkout_record,
    contract_of,
    load_session,
    pricing_of,
    save_session,
)
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.coupons import order_coupon_in_unit, return_coupon_in_unit
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.loans import open_in_unit
from thinfile.services.merchant_records import contract_record
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Account,
    EntryBuilder,
    PrepaymentMode,
    check_capture,
    standard_product,
)
from thinfile.store.checkout_repo import (
    StoredCapture,
    StoredCheckout,
    StoredLine,
    StoredRefundPart,
)

__all__ = [
    "capture_in_unit",
    "check_coupon_kept",
    "checkout_audit",
    "create_for_merchant_in_unit",
    "create_in_unit",
    "freed_subsidy",
    "get_for_merchant",
    "give_back_promotions_in_unit",
    "own_session",
    "release_beyond_in_force",
    "save_amounts",
    "subsidy_in_force",
    "void_in_unit",
]


def _merchant_of(uow: UnitOfWork, actor: Actor) -> str:
    merchant_id = uow.merchants.merchant_of_user(actor.user_id)
    if merchant_id is None:
        raise PermissionDeniedError(
            "this account acts for no merchant", remedy="ask staff to add it to a merchant"
        )
    return merchant_id


def own_session(
    uow: UnitOfWork, actor: Actor, session_id: str, *, lock: bool = False
) -> StoredCheckout:
    """The caller's merchant's session; another merchant's looks like none."""
    merchant_id = _merchant_of(uow, actor)
    row = load_session(uow, session_id, lock=lock)
    if row.merchant_id != merchant_id:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    return row


def _order_id(text: str) -> str:
    if not (1 <= len(text) <= 64 and text.isascii() and text.isprintable() and " " not in text):
        raise InvalidInputError(
            "merchant_order_id must be 1 to 64 ASCII characters without spaces",
            field="merchant_order_id",
            value=text[:80],
        )
    return text


def _lines(draft: CheckoutDraft) -> list[OrderLine]:
    return [
        OrderLine(
            line.name.strip(),
            line.sku.strip(),
            line.quantity,
            Money.of(line.unit_price, field=f"lines[{i}].unit_price"),
        )
        for i, line in enumerate(draft.lines)
    ]


def _taken(order_id: str) -> ConflictError:
    return ConflictError(
        "this merchant order id has a checkout session already",
        field="merchant_order_id",
        value=order_id,
        remedy="use the order's own id once; read the session you made for it",
    )


def create_in_unit(
    uow: UnitOfWork, actor: Actor, draft: CheckoutDraft, *, expires_in: timedelta
) -> tuple[CheckoutRecord, AuditDraft]:
    """A new open session for the caller's merchant (active, with a contract), expiring
    ``expires_in`` from now."""
    merchant_id = _merchant_of(uow, actor)
    return create_for_merchant_in_unit(uow, actor, merchant_id, draft, expires_in=expires_in)


def create_for_merchant_in_unit(
    uow: UnitOfWork, actor: Actor, merchant_id: str, draft: CheckoutDraft, *, expires_in: timedelta
) -> tuple[CheckoutRecord, AuditDraft]:
    """:func:`create_in_unit` for ``merchant_id``, which the caller has chosen: the
    merchant's own user, or the lender's mall selling the merchant's product."""
    merchant = uow.merchants.get(merchant_id)
    version = uow.merchants.latest_version(merchant_id)
    if merchant is None or merchant.status != MerchantStatus.ACTIVE.value or version == 0:
        raise MerchantStatusError(
            "only an active merchant with a contract can sell on installments",
            field="merchant_id",
            value=merchant_id,
        )
    order_id = _order_id(draft.merchant_order_id)
    lines = _lines(draft)
    total = check_order(lines, Money.of(draft.total, field="total"))
    stored = uow.merchants.contract(merchant_id, version)
    assert stored is not None
    terms = allowed_terms(draft.allowed_terms, contract_record(stored).contract)
    success = redirect_url(draft.success_url, "success_url")
    cancel = redirect_url(draft.cancel_url, "cancel_url")
    session_id, at = new_id(), now_utc()
    stored_lines = tuple(
        StoredLine(n, line.name, line.sku, line.quantity, line.unit_price.fen)
        for n, line in enumerate(lines, start=1)
    )
    with duplicate_is_conflict(lambda: _taken(order_id)):
        if uow.checkouts.has_order(merchant_id, order_id):
            raise _taken(order_id)
        row = uow.checkouts.add(
            {
                "id": session_id,
                "merchant_id": merchant_id,
                "merchant_order_id": order_id,
                "contract_version": version,
                "currency": total.currency,
                "total": total.fen,
                "allowed_terms": ",".join(str(t) for t in terms),
                "success_url": success,
                "cancel_url": cancel,
                "status": CheckoutStatus.OPEN.value,
                "expires_at": at + expires_in,
                "created_at": at,
                "updated_at": at,
            },
            stored_lines,
        )
    audit = AuditDraft(
        actor.label,
        "checkout.create",
        f"checkout:{session_id}",
        {"merchant": merchant_id, "total_fen": total.fen, "terms": list(terms)},
    )
    return checkout_record(uow, row, lines=stored_lines), audit


def get_for_merchant(engine: Engine, actor: Actor, session_id: str) -> CheckoutRecord:
    with UnitOfWork(engine) as uow:
        return checkout_record(uow, own_session(uow, actor, session_id))


def save_amounts(uow: UnitOfWork, row: StoredCheckout, state: CheckoutAmounts) -> StoredCheckout:
    """Write the session's new amounts and status; its row as it now stands."""
    return save_session(
        uow,
        row.id,
        status=state.status.value,
        authorized=state.authorized.fen,
        captured=state.captured.fen,
        refunded=state.refunded.fen,
        voided=state.voided.fen,
        updated_at=now_utc(),
    )


def checkout_audit(actor: Actor, action: str, row: StoredCheckout, **details: object) -> AuditDraft:
    return AuditDraft(actor.label, action, f"checkout:{row.id}", details)


def _captured(captures: Sequence[StoredCapture], currency: str) -> Captured | None:
    """What the earlier captures of an order came to (None: this is the first)."""
    if not captures:
        return None
    subsidy = sum(c.subsidy for c in captures)
    return Captured(
        Money(sum(c.amount for c in captures), currency),
        Money(subsidy, currency),
        Money(subsidy - sum(c.lender_subsidy for c in captures), currency),
    )


def _check_not_disputed(uow: UnitOfWork, session_id: str) -> None:
    """A purchase the borrower disputes books no new loan until the dispute is resolved
    (the session's row lock, taken first, orders this against the dispute's opening)."""
    dispute = uow.disputes.of_session(session_id)
    if dispute is not None and dispute.resolved_on is None:  # open, as in held_of_loan
        raise ConflictError(
            f"the borrower disputes the purchase of session {session_id}: nothing more can be "
            "captured while the dispute is open",
            field="session_id",
            value=session_id,
            remedy="wait for staff to resolve the dispute (a refund or a void is still "
            "allowed); capture again if it is rejected",
        )


def capture_in_unit(
    uow: UnitOfWork, actor: Actor, session_id: str, amount: Money, *, today: date | None = None
) -> tuple[CheckoutRecord, AuditDraft]:
    """Capture ``amount`` of the authorization: the borrower's loan for it is booked on the
    current business date (``today``: as the clock's date, for a replayed day)."""
    row = own_session(uow, actor, session_id, lock=True)
    _check_not_disputed(uow, row.id)
    record = checkout_record(uow, row)
    state = amounts_of(row, record.status).capture(amount)
    pricing, _ = pricing_of(row)
    contract = contract_of(uow, row)
    on = business_date_in(uow, today=today)
    # the coupon comes off the first capture: its price is the amount captured + the coupon
    used = order_coupon_in_unit(uow, row.id) if not record.captures else None
    coupon = used.coupon if used is not None else None
    price = amount + coupon.amount if coupon is not None else amount
    share = merchant_share_in_unit(uow, row.id)
    money = purchase_money(
        price,
        pricing,
        coupon=coupon,
        rounding=contract.rounding,
        merchant_share=share,
        before=_captured(record.captures, row.currency),
    )
    assert money.financed == amount
    earlier = [c.amount for c in sorted(record.captures, key=lambda c: c.n)]
    rounding = part_rounding(earlier, amount.fen, pricing, contract.rounding)
    terms = borrower_plan(amount, pricing, start=on, rounding=rounding).schedule.terms
    if row.credit_line_id is not None:
        line = uow.credit_lines.get(row.credit_line_id, lock=True)
        check_capture(line.line, amount)  # within the authorization, which held its room
    # a refund cuts the schedule from the last installment backwards (keeps the installment)
    product = replace(standard_product(terms.method), prepayment_mode=PrepaymentMode.SHORTEN_TERM)
    loan = open_in_unit(
        uow,
        terms,
        product=product,
        credit_line_id=row.credit_line_id,
        subsidy=money.subsidy,
        lender_subsidy=money.lender_subsidy,
        merchant=row.merchant_id,
    )
    uow.checkouts.add_capture(
        {
            "id": new_id(),
            "session_id": row.id,
            "n": len(record.captures) + 1,
            "amount": amount.fen,
            "subsidy": money.subsidy.fen,
            "lender_subsidy": money.lender_subsidy.fen,
            "loan_id": loan.loan_id,
            "captured_on": on,
            "created_at": now_utc(),
        }
    )
    saved = save_amounts(uow, row, state)
    checkout_event_in_unit(
        uow, saved, WebhookEventType.CHECKOUT_CAPTURED, amount=str(amount), loan_id=loan.loan_id
    )
    if money.lender_coupon.fen:  # the lender's part of the subsidy is booked on the loan
        entry = EntryBuilder(row.currency).move(
            debit=Account.MARKETING_EXPENSE, credit=Account.CASH, fen=money.lender_coupon.fen
        )
        uow.ledger.post(
            [entry.build("marketing-expense", on, memo=f"checkout:{row.id}")], loan_id=None
        )
    audit = checkout_audit(
        actor,
        "checkout.capture",
        row,
        amount_fen=amount.fen,
        loan=loan.loan_id,
        coupon_fen=money.coupon.fen,
        lender_subsidy_fen=money.lender_subsidy.fen,
        merchant_settlement_fen=money.merchant_settlement.fen,
    )
    return checkout_record(uow, saved, lines=record.lines), audit


def give_back_promotions_in_unit(
    uow: UnitOfWork, row: StoredCheckout, *, refunded: bool, today: date | None = None
) -> int:
    """A void before any capture, a declined confirmation, or a full refund (``refunded``):
    the campaign's budget the session holds beyond the subsidy its purchases still use goes
    back (all of it before a capture; what was recognised stays spent), and its coupon is
    returned (usable again within its window). A lender-funded coupon the capture paid as marketing
    expense comes back with it: the merchant's settlement takes it back (a ``coupon-return``
    line). Returns the budget released (fen)."""
    released = release_beyond_in_force(uow, row)
    used = order_coupon_in_unit(uow, row.id)
    if used is None:
        return released
    on = business_date_in(uow, today=today)
    return_coupon_in_unit(uow, used.borrower_coupon_id, row.id, on)
    if refunded and used.coupon.funded_by is CouponFunder.LENDER and used.coupon.amount.fen:
        entry = EntryBuilder(row.currency).move(
            debit=Account.CASH, credit=Account.MARKETING_EXPENSE, fen=used.coupon.amount.fen
        )
        uow.ledger.post(
            [entry.build("marketing-expense", on, memo=f"checkout:{row.id}:returned")],
            loan_id=None,
        )
    return released


def void_in_unit(
    uow: UnitOfWork, actor: Actor, session_id: str
) -> tuple[CheckoutRecord, AuditDraft]:
    """Void what is not captured; the session ends."""
    row = own_session(uow, actor, session_id, lock=True)
    record = checkout_record(uow, row)
    if record.captures:
        _check_coupon_still_met(uow, row, record)
    saved, state = _void(uow, row, record)
    audit = checkout_audit(actor, "checkout.void", row, voided_fen=state.voided.fen)
    return checkout_record(uow, saved, lines=record.lines), audit


def _check_coupon_still_met(uow: UnitOfWork, row: StoredCheckout, record: CheckoutRecord) -> None:
    """Refuse the merchant's void of the rest when what it captured is below the threshold of
    the coupon the order used (:func:`check_coupon_kept`, nothing more to capture)."""
    check_coupon_kept(uow, row, amounts_of(row, record.status), capturing=False)


def check_coupon_kept(
    uow: UnitOfWork, row: StoredCheckout, after: CheckoutAmounts, *, capturing: bool = True
) -> None:
    """Refuse a void or a partial refund that leaves the order's purchase below the threshold
    of the coupon it used: the coupon (满1000减100) came off the purchase, and a capture of
    0.01 kept — the rest voided or refunded — would have it pay 100 of a 100.01 purchase, the
    lender's money when the lender funds it. What is kept is captured less refunded (after
    the refund), with what is still left to capture when ``capturing``; an order whose
    captures are all refunded keeps nothing, and its coupon goes back to the borrower."""
    used = order_coupon_in_unit(uow, row.id)
    if used is None or used.threshold is None:
        return
    kept = after.captured - after.refunded
    if not kept.fen:
        return
    bought = kept + (after.capturable if capturing else Money(0, row.currency)) + used.coupon.amount
    if bought < used.threshold:
        short = used.threshold - bought
        raise CheckoutStateError(
            f"the order's coupon needs a purchase of at least {used.threshold}; "
            f"{bought} would be kept",
            field="session_id",
            value=row.id,
            remedy=f"keep at least {short} more of the purchase (capture it, or refund {short} "
            "less), or refund everything captured to cancel the order (the coupon goes back)",
        )


def freed_subsidy(part: StoredRefundPart, policy: UnearnedSubsidy) -> int:
    """The subsidy a refund part frees from its campaign: the share it unwound when the
    merchant is paid it back, only the lender's part of it when the lender keeps the
    merchant's (that money was the merchant's and is spent)."""
    return part.lender_unwound if policy is UnearnedSubsidy.KEEP else part.subsidy_unwound


def subsidy_in_force(uow: UnitOfWork, row: StoredCheckout, *, besides: str | None = None) -> int:
    """The subsidy the session's purchases still use: its captures' subsidies less what the
    refunds in force freed (``besides``: leaving that refund out, as if reversed); nothing
    before a capture (the session may have no confirmed plan yet)."""
    captures = uow.checkouts.captures(row.id)
    if not captures:
        return 0
    policy = pricing_of(row)[1]
    captured = sum(c.subsidy for c in captures)
    freed = sum(
        freed_subsidy(p, policy)
        for r in uow.checkouts.refunds(row.id)
        if r.reversed_on is None and r.id != besides
        for p in r.parts
    )
    return captured - freed


def release_beyond_in_force(uow: UnitOfWork, row: StoredCheckout) -> int:
    """Give the campaign back what the session's reservation holds beyond the subsidy its
    purchases still use (all of it when nothing was captured); the fen released."""
    use = uow.campaigns.use(row.id)
    if use is None:
        return 0
    extra = use.amount_fen - use.released_fen - subsidy_in_force(uow, row)
    if extra <= 0:
        return 0
    release_campaign_budget_in_unit(uow, row.id, Money(extra, row.currency))
    return extra


def _void(
    uow: UnitOfWork, row: StoredCheckout, record: CheckoutRecord
) -> tuple[StoredCheckout, CheckoutAmounts]:
    """Void the uncaptured rest of ``row`` (locked). The promotions follow what was bought:
    the campaign keeps only the subsidy the purchases still use (:func:`subsidy_in_force`),
    the rest of the reservation goes back; nothing captured, or everything captured refunded,
    the coupon comes back too (a lender-funded coupon's marketing expense with it once it was
    paid)."""
    state = amounts_of(row, record.status).void()
    if not record.captures:
        give_back_promotions_in_unit(uow, row, refunded=False)
    elif state.refunded == state.captured:
        give_back_promotions_in_unit(uow, row, refunded=True)
    else:
        release_beyond_in_force(uow, row)
    saved = save_amounts(uow, row, state)
    checkout_event_in_unit(uow, saved, WebhookEventType.CHECKOUT_VOIDED)
    return saved, state


def end_disputed_purchase_in_unit(uow: UnitOfWork, session_id: str) -> int:
    """A purchase whose dispute was resolved by a refund ends: what the merchant has not
    captured is voided, so no capture books the borrower a new loan for it. Returns the fen
    voided (0 when nothing was left to capture)."""
    row = load_session(uow, session_id, lock=True)
    record = checkout_record(uow, row)
    if record.status not in VOIDABLE:
        return 0
    return _void(uow, row, record)[1].voided.fen
