"""The loan page's documents: accepting on the page signs the contract with the browser's
address and user agent, the page links the downloads (the certificate only once the loan is
repaid), they download for the owner, and another borrower gets 404."""

from __future__ import annotations

import re

from tests.e2e.test_web_loans import accept_offer, client, engine_of, pay_form  # noqa: F401
from tests.e2e.test_web_pages import PASSWORD, borrower, post
from tests.support.pdf_text import compact_pdf_text
from thinfile.documents import CONTRACT_KIND
from thinfile.services.uow import UnitOfWork

DOCS = ("contract.pdf", "repayment-plan.pdf", "repayment-plan.csv")


def _links(page: str) -> list[str]:
    return re.findall(r'href="/loans/\d+/documents/([^"]+)"', page)


def test_the_loan_page_links_the_documents_and_they_download(client, monkeypatch):  # noqa: F811
    borrower(client, 41)
    loan_id = accept_offer(client, monkeypatch)
    with UnitOfWork(engine_of(client)) as uow:
        stored = uow.documents.get(loan_id, CONTRACT_KIND)
    assert stored is not None and stored.signer_device == "testclient"
    assert stored.signer_ip and stored.language in ("zh", "en")
    page = client.get(f"/loans/{loan_id}").text
    assert _links(page) == list(DOCS)
    contract = client.get(f"/loans/{loan_id}/documents/contract.pdf")
    assert contract.status_code == 200 and contract.headers["content-type"] == "application/pdf"
    assert stored.sha256 in compact_pdf_text(contract.content)
    plan = client.get(f"/loans/{loan_id}/documents/repayment-plan.csv")
    assert plan.status_code == 200 and plan.text.startswith("installment,due_date,")
    refused = client.get(f"/loans/{loan_id}/documents/settlement-certificate.pdf")
    assert refused.status_code == 409

    form = pay_form(page, "prepayments")
    paid = client.post(
        form["url"], data={k: v for k, v in form.items() if k != "url"}, follow_redirects=False
    )
    assert paid.status_code == 303, paid.text
    assert _links(client.get(f"/loans/{loan_id}").text) == [*DOCS, "settlement-certificate.pdf"]
    certificate = client.get(f"/loans/{loan_id}/documents/settlement-certificate.pdf")
    assert certificate.status_code == 200
    title = "结清证明" if stored.language == "zh" else "Settlementcertificate"
    assert title in compact_pdf_text(certificate.content)  # the page's language, as signed


def test_another_borrower_and_staff_get_none_of_the_documents(client, monkeypatch):  # noqa: F811
    borrower(client, 42)
    theirs = accept_offer(client, monkeypatch)
    post(client, "/sign-out", {}, form_page="/home")
    borrower(client, 43)
    for name in (*DOCS, "settlement-certificate.pdf"):
        reply = client.get(f"/loans/{theirs}/documents/{name}")
        assert reply.status_code == 404, (name, reply.status_code)
        assert not reply.content.startswith(b"%PDF")
    post(client, "/sign-out", {}, form_page="/home")
    post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert client.get(f"/loans/{theirs}").status_code == 200  # staff may look at the loan
    assert _links(client.get(f"/loans/{theirs}").text) == []
    reply = client.get(f"/loans/{theirs}/documents/contract.pdf")
    assert reply.status_code == 403 and not reply.content.startswith(b"%PDF")
