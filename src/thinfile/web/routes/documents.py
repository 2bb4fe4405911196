"""A loan's documents on the pages: the signed contract, the repayment plan (PDF, CSV) and the
settlement certificate of a closed loan — the same services as the API's downloads, in the
page's language. Only the loan's borrower gets them (``{loan_id}`` is owned): they name the
borrower in full, and staff reach personal data only masked and audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.http import Context
from thinfile.http.ids import Serial
from thinfile.services import documents
from thinfile.web.access import OwningBorrower
from thinfile.web.i18n import language

router = APIRouter(include_in_schema=False)


def _file(body: bytes | str, media_type: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


def _lang(request: Request) -> documents.Language:
    return "en" if language(request).code == "en" else "zh"


@router.get("/loans/{loan_id}/documents/contract.pdf")
def contract_pdf(loan_id: Serial, _actor: OwningBorrower, context: Context) -> Response:
    font = context.settings.document_font
    body = documents.contract_pdf(context.engine, context.cipher, loan_id, font=font)
    return _file(body, "application/pdf", f"loan-{loan_id}-contract.pdf")


@router.get("/loans/{loan_id}/documents/repayment-plan.pdf")
def plan_pdf(
    request: Request, loan_id: Serial, _actor: OwningBorrower, context: Context
) -> Response:
    body = documents.repayment_plan_pdf(
        context.engine, loan_id, language=_lang(request), font=context.settings.document_font
    )
    return _file(body, "application/pdf", f"loan-{loan_id}-repayment-plan.pdf")


@router.get("/loans/{loan_id}/documents/repayment-plan.csv")
def plan_csv(loan_id: Serial, _actor: OwningBorrower, context: Context) -> Response:
    body = documents.repayment_plan_csv(context.engine, loan_id)
    return _file(body, "text/csv; charset=utf-8", f"loan-{loan_id}-repayment-plan.csv")


@router.get("/loans/{loan_id}/documents/settlement-certificate.pdf")
def settlement_pdf(
    request: Request, loan_id: Serial, _actor: OwningBorrower, context: Context
) -> Response:
    body = documents.settlement_certificate_pdf(
        context.engine,
        context.cipher,
        loan_id,
        lender=context.settings.lender_name,
        language=_lang(request),
        font=context.settings.document_font,
    )
    return _file(body, "application/pdf", f"loan-{loan_id}-settlement-certificate.pdf")
