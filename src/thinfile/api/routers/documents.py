"""A loan's documents for its borrower (or staff): the signed contract (its signature as JSON,
the text as PDF), the repayment plan as serviced (CSV, PDF) and the settlement certificate
(结清证明, PDF) of a loan repaid in full. Only the loan's borrower: the documents name them
in full, and staff reach personal data only masked and audited. Another borrower's loan, or
staff, get 404/403 as the ownership check answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from thinfile.api.deps import require_owner_or_role
from thinfile.http import Context
from thinfile.services import documents
from thinfile.services.identity_records import Actor

Language = Literal["zh", "en"]

router = APIRouter(tags=["documents"])

LoanId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A loan's number")]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
Lang = Annotated[Literal["zh", "en"], Query(description="The document's language")]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF document"}
}
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "One row per installment"}
}


class ContractPublic(BaseModel):
    loan_id: int
    template: str = Field(description="The contract template's version, e.g. loan-contract/1")
    language: Language
    sha256: str = Field(description="SHA-256 of the signed text's UTF-8 bytes")
    signed_at: datetime
    signer_ip: str | None
    signer_device: str | None


def _file(body: bytes | str, media_type: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get(
    "/loans/{loan_id}/contract",
    response_model=ContractPublic,
    summary="The signed loan contract's signature: template, time, address, device, SHA-256",
)
def contract(loan_id: LoanId, _caller: Owner, context: Context) -> ContractPublic:
    signed = documents.signed_contract(context.engine, context.cipher, loan_id)
    return ContractPublic(
        loan_id=loan_id,
        template=signed.document.template,
        language=cast(Language, signed.document.language),  # validated by the model
        sha256=signed.sha256,
        signed_at=signed.signed_at,
        signer_ip=signed.signer_ip,
        signer_device=signed.signer_device,
    )


@router.get(
    "/loans/{loan_id}/contract.pdf",
    response_class=Response,
    responses=PDF,
    summary="The signed loan contract (借款合同) as PDF",
)
def contract_pdf(loan_id: LoanId, _caller: Owner, context: Context) -> Response:
    body = documents.contract_pdf(
        context.engine, context.cipher, loan_id, font=context.settings.document_font
    )
    return _file(body, "application/pdf", f"loan-{loan_id}-contract.pdf")


@router.get(
    "/loans/{loan_id}/repayment-plan.csv",
    response_class=Response,
    responses=CSV,
    summary="The repayment plan as serviced, as CSV",
)
def plan_csv(loan_id: LoanId, _caller: Owner, context: Context) -> Response:
    body = documents.repayment_plan_csv(context.engine, loan_id)
    return _file(body, "text/csv; charset=utf-8", f"loan-{loan_id}-repayment-plan.csv")


@router.get(
    "/loans/{loan_id}/repayment-plan.pdf",
    response_class=Response,
    responses=PDF,
    summary="The repayment plan (还款计划) as serviced, as PDF",
)
def plan_pdf(loan_id: LoanId, _caller: Owner, context: Context, language: Lang = "zh") -> Response:
    body = documents.repayment_plan_pdf(
        context.engine, loan_id, language=language, font=context.settings.document_font
    )
    return _file(body, "application/pdf", f"loan-{loan_id}-repayment-plan.pdf")


@router.get(
    "/loans/{loan_id}/settlement-certificate.pdf",
    response_class=Response,
    responses=PDF,
    summary="The settlement certificate (结清证明) of a loan repaid in full (409 otherwise)",
)
def settlement_pdf(
    loan_id: LoanId, _caller: Owner, context: Context, language: Lang = "zh"
) -> Response:
    body = documents.settlement_certificate_pdf(
        context.engine,
        context.cipher,
        loan_id,
        lender=context.settings.lender_name,
        language=language,
        font=context.settings.document_font,
    )
    return _file(body, "application/pdf", f"loan-{loan_id}-settlement-certificate.pdf")
