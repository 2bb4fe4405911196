"""Staff servicing: reverse a payment, refunds, charge-off and write-off, recoveries, close of
business for a date, and the ledger check. Money-moving POSTs need an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from thinfile.api.audited import audit
from thinfile.api.deps import Context, require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers import receipt_public
from thinfile.api.models_loans import ReceiptPublic
from thinfile.api.models_staff import (
    AmountCreate,
    CobCreate,
    CobPublic,
    CobStepPublic,
    LedgerPublic,
    ReasonCreate,
    ReversalPublic,
)
from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import cob, ledger, loans, payments
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Receipt

router = APIRouter(prefix="/staff", tags=["staff: servicing"])

Agent = Annotated[Actor, Depends(require_roles(Role.SERVICING_AGENT, Role.ADMIN))]
SERIAL_MAX = 2**31 - 1
COB_HORIZON_DAYS = 400
"""How far past the current business date one COB request may close (a bound on its work)."""
LoanId = Annotated[int, Path(ge=1, le=SERIAL_MAX)]
TxnId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A payment's transaction number")]


def _posted(context: Context, agent: Actor, action: str, receipt: Receipt) -> ReceiptPublic:
    audit(context, agent, action, f"loan:{receipt.loan_id}",
          {"txn": receipt.txn_id, "amount_fen": receipt.amount})
    return receipt_public(receipt)


@router.post("/payments/{txn_id}/reversal", status_code=201, response_model=ReversalPublic,
             summary="Reverse a payment (reverse-and-replay)")
def reverse_payment(txn_id: TxnId, body: ReasonCreate, agent: Agent, idem: Idempotent,
                    context: Context) -> Response:
    def run() -> ReversalPublic:
        done = payments.reverse_payment(context.engine, txn_id,
                                        current_business_date(context.engine),
                                        reason=body.reason)
        audit(context, agent, "payment.reverse", f"txn:{txn_id}",
              {"reversal_txn": done.txn_id, "adjusted": done.adjusted})
        return ReversalPublic(txn_id=done.txn_id, reversed_txn_id=done.reversed_txn_id,
                              loan_status=done.status, adjusted=done.adjusted)

    return idem.run(run, status_code=201)


@router.post("/loans/{loan_id}/merchant-refunds", status_code=201, response_model=ReceiptPublic,
             summary="Record a merchant refund: principal cut, schedule re-amortized")
def merchant_refund(loan_id: LoanId, body: AmountCreate, agent: Agent, idem: Idempotent,
                    context: Context) -> Response:
    return idem.run(lambda: _posted(context, agent, "loan.merchant_refund",
                                    loans.record_merchant_refund(
                                        context.engine, loan_id, Money.of(body.amount),
                                        current_business_date(context.engine))),
                    status_code=201)


@router.post("/loans/{loan_id}/overpayment-refunds", status_code=201,
             response_model=ReceiptPublic, summary="Pay held overpayment back to the borrower")
def overpayment_refund(loan_id: LoanId, body: AmountCreate, agent: Agent, idem: Idempotent,
                       context: Context) -> Response:
    return idem.run(lambda: _posted(context, agent, "loan.overpayment_refund",
                                    loans.refund_loan_overpayment(
                                        context.engine, loan_id, Money.of(body.amount),
                                        current_business_date(context.engine))),
                    status_code=201)


@router.post("/loans/{loan_id}/charge-off", status_code=201, response_model=ReceiptPublic,
             summary="Charge the loan off now (e.g. fraud or death)")
def charge_off(loan_id: LoanId, body: ReasonCreate, agent: Agent, idem: Idempotent,
               context: Context) -> Response:
    return idem.run(lambda: _posted(context, agent, "loan.charge_off", loans.charge_off_loan(
        context.engine, loan_id, current_business_date(context.engine), reason=body.reason)),
                    status_code=201)


@router.post("/loans/{loan_id}/write-off", status_code=201, response_model=ReceiptPublic,
             summary="Write the loan off and stop collecting")
def write_off(loan_id: LoanId, body: ReasonCreate, agent: Agent, idem: Idempotent,
              context: Context) -> Response:
    return idem.run(lambda: _posted(context, agent, "loan.write_off", loans.write_off_loan(
        context.engine, loan_id, current_business_date(context.engine), reason=body.reason)),
                    status_code=201)


@router.post("/loans/{loan_id}/recoveries", status_code=201, response_model=ReceiptPublic,
             summary="Money collected after charge-off")
def recovery(loan_id: LoanId, body: AmountCreate, agent: Agent, idem: Idempotent,
             context: Context) -> Response:
    return idem.run(lambda: _posted(context, agent, "loan.recovery", loans.record_recovery(
        context.engine, loan_id, Money.of(body.amount), current_business_date(context.engine))),
                    status_code=201)


@router.post("/cob", response_model=CobPublic,
             summary="Run close of business for every open date up to a date")
def run_cob(body: CobCreate, agent: Agent, context: Context) -> CobPublic:
    horizon = current_business_date(context.engine) + timedelta(days=COB_HORIZON_DAYS)
    if body.through > horizon:
        raise InvalidInputError(f"close at most {COB_HORIZON_DAYS} days ahead, through "
                                f"{horizon}", field="through", value=body.through.isoformat())
    report = cob.run_cob(context.engine, body.through)
    audit(context, agent, "cob.run", f"cob:{body.through.isoformat()}",
          {"days": [d.isoformat() for d in report.days]})
    return CobPublic(days=list(report.days),
                     steps=[CobStepPublic(day=d, step=s, rows=r, seconds=round(t, 4))
                            for d, s, r, t in report.steps],
                     business_date=current_business_date(context.engine))


@router.get("/ledger/verify", response_model=LedgerPublic,
            summary="Check the ledger: entries balance, general ledger = loan accounts")
def verify_ledger(_agent: Agent, context: Context) -> LedgerPublic:
    report = ledger.verify_ledger(context.engine)
    return LedgerPublic(ok=report.ok, problems=list(report.problems))
