"""Staff servicing: reverse a payment, refunds, charge-off and write-off, recoveries, fee
waivers, close of business for a date, and the ledger check. Money-moving POSTs need an
``Idempotency-Key``; each runs in one unit of work with its key, its stored response and its
audit row (appended last), so nothing is half-written."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from thinfile.api.audited import posted
from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers import money, receipt_public
from thinfile.api.mappers_checkout import checkout_public
from thinfile.api.models_checkout import CheckoutPublic
from thinfile.api.models_loans import ReceiptPublic
from thinfile.api.models_staff import (
    AmountCreate,
    CobCreate,
    CobPublic,
    CobStepPublic,
    LedgerPublic,
    MerchantRefundCreate,
    ReasonCreate,
    ReversalPublic,
    WaiverCreate,
    WaiverPublic,
    WriteOffRequestPublic,
)
from thinfile.errors import InvalidInputError
from thinfile.http import Context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import (
    checkout_refund_reversal,
    cob,
    ledger,
    loan_adjustments,
    payment_reversals,
    write_offs,
)
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Receipt, post_today
from thinfile.services.payment_reversals import Reversal
from thinfile.servicing import WaiverTarget

router = APIRouter(prefix="/staff", tags=["staff: servicing"])

Agent = Annotated[Actor, Depends(require_roles(Role.SERVICING_AGENT, Role.ADMIN))]
COB_HORIZON_DAYS = 400
"""How far past the current business date one COB request may close (a bound on its work)."""
LoanId = Annotated[int, Path(ge=1, le=SERIAL_MAX)]
RequestId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A write-off request's number")]
TxnId = Annotated[
    int, Path(ge=1, le=SERIAL_MAX, description="A payment's or a fee waiver's transaction number")
]


@router.post(
    "/payments/{txn_id}/reversal",
    status_code=201,
    response_model=ReversalPublic,
    summary="Reverse a payment or a fee waiver (reverse-and-replay)",
)
def reverse_payment(txn_id: TxnId, body: ReasonCreate, agent: Agent, idem: Idempotent) -> Response:
    def public(done: Reversal) -> ReversalPublic:
        return ReversalPublic(
            txn_id=done.txn_id,
            reversed_txn_id=done.reversed_txn_id,
            loan_status=done.status,
            adjusted=done.adjusted,
        )

    return idem.once(
        lambda uow: payment_reversals.reverse_today(uow, agent.label, txn_id, reason=body.reason),
        render=public,
        status_code=201,
    )


@router.post(
    "/checkout/sessions/{session_id}/refunds/{refund_n}/reversal",
    response_model=CheckoutPublic,
    summary="Reverse a merchant's checkout refund made in error (any merchant's session)",
)
def reverse_checkout_refund(
    session_id: Annotated[str, Path(min_length=1, max_length=32, description="A session")],
    refund_n: Annotated[int, Path(ge=1, le=SERIAL_MAX, description="The refund's number")],
    body: ReasonCreate,
    agent: Agent,
    idem: Idempotent,
) -> Response:
    return idem.once(
        lambda uow: checkout_refund_reversal.reverse_refund_by_staff_in_unit(
            uow, agent, session_id, refund_n, reason=body.reason
        ),
        render=checkout_public,
    )


@router.post(
    "/loans/{loan_id}/merchant-refunds",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Record a merchant refund on a purchase loan booked outside the checkout: "
    "principal cut, schedule re-planned (a checkout's loan is refunded through its checkout)",
)
def merchant_refund(
    loan_id: LoanId, body: MerchantRefundCreate, agent: Agent, idem: Idempotent
) -> Response:
    amount = Money.of(body.amount)
    return idem.once(
        lambda uow: post_today(
            uow,
            agent.label,
            lambda u, on: loan_adjustments.staff_merchant_refund_in_unit(
                u, loan_id, amount, on, reason=body.reason
            ),
            reason=body.reason,
        ),
        render=receipt_public,
        status_code=201,
    )


@router.post(
    "/loans/{loan_id}/overpayment-refunds",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Pay held overpayment back to the borrower",
)
def overpayment_refund(
    loan_id: LoanId, body: AmountCreate, agent: Agent, idem: Idempotent
) -> Response:
    amount = Money.of(body.amount)
    return posted(
        idem,
        agent,
        lambda uow, on: loan_adjustments.overpayment_refund_in_unit(uow, loan_id, amount, on),
    )


@router.post(
    "/loans/{loan_id}/charge-off",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Charge the loan off now (e.g. fraud or death)",
)
def charge_off(loan_id: LoanId, body: ReasonCreate, agent: Agent, idem: Idempotent) -> Response:
    return posted(
        idem,
        agent,
        lambda uow, on: loan_adjustments.charge_off_in_unit(uow, loan_id, on, reason=body.reason),
    )


@router.post(
    "/loans/{loan_id}/write-off",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Write the loan off and stop collecting (at the charge-off days past due; "
    "below them, request it for a second staff member's approval)",
)
def write_off(loan_id: LoanId, body: ReasonCreate, agent: Agent, idem: Idempotent) -> Response:
    return posted(
        idem,
        agent,
        lambda uow, on: loan_adjustments.write_off_in_unit(uow, loan_id, on, reason=body.reason),
    )


@router.post(
    "/loans/{loan_id}/write-off-requests",
    status_code=201,
    response_model=WriteOffRequestPublic,
    summary="Request a write-off below the charge-off threshold for another staff member to "
    "approve",
)
def request_write_off(
    loan_id: LoanId, body: ReasonCreate, agent: Agent, context: Context
) -> WriteOffRequestPublic:
    done = write_offs.request_write_off(context.engine, loan_id, reason=body.reason, actor=agent)
    return WriteOffRequestPublic(**asdict(done))


@router.post(
    "/write-off-requests/{request_id}/approval",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Approve another staff member's write-off request: the write-off is posted",
)
def approve_write_off(request_id: RequestId, agent: Agent, idem: Idempotent) -> Response:
    return idem.once(
        lambda uow: post_today(
            uow,
            agent.label,
            lambda unit, on: write_offs.approve_write_off_in_unit(
                unit, request_id, on, approver=agent
            ),
            request=request_id,
        ),
        render=receipt_public,
        status_code=201,
    )


@router.post(
    "/loans/{loan_id}/recoveries",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Money collected after charge-off",
)
def recovery(loan_id: LoanId, body: AmountCreate, agent: Agent, idem: Idempotent) -> Response:
    amount = Money.of(body.amount)
    return posted(
        idem, agent, lambda uow, on: loan_adjustments.recovery_in_unit(uow, loan_id, amount, on)
    )


def _waiver_public(r: Receipt) -> WaiverPublic:
    return WaiverPublic(
        txn_id=r.txn_id,
        loan_id=r.loan_id,
        on=r.on,
        amount=money(r.amount, r.currency),
        waived_fee=money(r.waived.fee, r.currency),
        waived_penalty=money(r.waived.penalty, r.currency),
        loan_status=r.status,
    )


@router.post(
    "/loans/{loan_id}/fee-waivers",
    status_code=201,
    response_model=WaiverPublic,
    summary="Waive fees or penalty interest owed (费用减免), with a reason",
)
def waive_fees(loan_id: LoanId, body: WaiverCreate, agent: Agent, idem: Idempotent) -> Response:
    amount, target = Money.of(body.amount), WaiverTarget(body.kind) if body.kind else None

    return idem.once(
        lambda uow: post_today(
            uow,
            agent.label,
            lambda u, on: loan_adjustments.waive_fees_in_unit(
                u, loan_id, amount, on, reason=body.reason, target=target
            ),
            target=body.kind,
            reason=body.reason,
        ),
        render=_waiver_public,
        status_code=201,
    )


@router.post(
    "/cob",
    response_model=CobPublic,
    summary="Run close of business for every open date up to a date",
)
def run_cob(body: CobCreate, agent: Agent, context: Context) -> CobPublic:
    horizon = current_business_date(context.engine) + timedelta(days=COB_HORIZON_DAYS)
    if body.through > horizon:
        raise InvalidInputError(
            f"close at most {COB_HORIZON_DAYS} days ahead, through {horizon}",
            field="through",
            value=body.through.isoformat(),
        )
    retry_days = context.settings.auto_debit_retry_days
    report = cob.run_cob(context.engine, body.through, actor=agent.label, retry_days=retry_days)
    return CobPublic(
        days=list(report.days),
        steps=[
            CobStepPublic(day=d, step=s, rows=r, seconds=round(t, 4)) for d, s, r, t in report.steps
        ],
        business_date=current_business_date(context.engine),
    )


@router.get(
    "/ledger/verify",
    response_model=LedgerPublic,
    summary="Check the ledger: entries balance, general ledger = loan accounts",
)
def verify_ledger(_agent: Agent, context: Context) -> LedgerPublic:
    report = ledger.verify_ledger(context.engine)
    return LedgerPublic(ok=report.ok, problems=list(report.problems))
