"""The loan contract and documents over the API, on SQLite and PostgreSQL: accepting signs the
contract with the request's address and device, the owner downloads it (PDF) with the plan
(CSV, PDF), another borrower gets 404, and the settlement certificate waits for the payoff."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from tests.e2e.api_harness import TestClient, apply, build_app, make_borrower, quick_settings
from tests.support.pdf_text import compact_pdf_text
from thinfile.security.crypto import PiiCipher
from thinfile.services import documents

AGENT = "thinfile-e2e/1.0 (Linux; Chromium)"


def _loan(api: TestClient, party: Any) -> tuple[int, dict[str, Any]]:
    application = apply(api, party).json()
    accepted = api.post(
        f"/v1/applications/{application['id']}/acceptance",
        headers={**party.headers, "Idempotency-Key": "accept-doc-1", "User-Agent": AGENT},
        json={"offer": 0, "confirm": True, "seconds_read": 15.0, "language": "zh"},
    )
    assert accepted.status_code == 201, accepted.text
    return int(accepted.json()["loan_id"]), accepted.json()


def _cipher(api: TestClient) -> PiiCipher:
    context: Any = getattr(api.app, "state").context
    cipher: PiiCipher = context.cipher
    return cipher


def test_the_owner_downloads_the_contract_signed_at_acceptance(api, world):
    loan_id, accepted = _loan(api, world.alice)
    signature = api.get(f"/v1/loans/{loan_id}/contract", headers=world.alice.headers).json()
    assert signature["sha256"] == accepted["contract_sha256"]
    assert signature["template"] == "loan-contract/3" and signature["language"] == "zh"
    assert signature["signer_device"] == AGENT and signature["signer_ip"]
    signed = documents.signed_contract(
        getattr(api.app, "state").context.engine, _cipher(api), loan_id
    )
    assert hashlib.sha256(signed.document.text.encode()).hexdigest() == signature["sha256"]

    pdf = api.get(f"/v1/loans/{loan_id}/contract.pdf", headers=world.alice.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    text = compact_pdf_text(pdf.content)
    assert "借款合同" in text and world.alice.name in text and signature["sha256"] in text
    loan = api.get(f"/v1/loans/{loan_id}", headers=world.alice.headers).json()
    assert loan["principal"] in text.replace(",", "")


def test_the_plan_csv_has_one_row_per_installment_as_the_loan_shows_it(api, world):
    loan_id, _ = _loan(api, world.alice)
    reply = api.get(f"/v1/loans/{loan_id}/repayment-plan.csv", headers=world.alice.headers)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    loan = api.get(f"/v1/loans/{loan_id}", headers=world.alice.headers).json()
    assert [r["due_date"] for r in rows] == [i["due_date"] for i in loan["installments"]]
    principal = sum(int(r["principal_due"].replace(".", "")) for r in rows)
    assert principal == int(loan["principal"].replace(".", ""))


def test_another_borrower_and_staff_get_none_of_the_documents(api, world):
    loan_id, _ = _loan(api, world.alice)
    for path in (
        "contract",
        "contract.pdf",
        "repayment-plan.csv",
        "repayment-plan.pdf",
        "settlement-certificate.pdf",
    ):
        reply = api.get(f"/v1/loans/{loan_id}/{path}", headers=world.bob.headers)
        assert reply.status_code == 404, (path, reply.status_code)
        assert world.alice.name not in reply.text
        # staff see personal data only masked and audited: not through these documents
        staff = api.get(f"/v1/loans/{loan_id}/{path}", headers=world.admin.headers)
        assert staff.status_code in (403, 404) and world.alice.name not in staff.text


def test_the_settlement_certificate_waits_for_the_payoff(api, world):
    loan_id, _ = _loan(api, world.alice)
    path = f"/v1/loans/{loan_id}/settlement-certificate.pdf"
    refused = api.get(path, headers=world.alice.headers)
    assert refused.status_code == 409 and refused.json()["details"]["field"] == "loan_id"
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=world.alice.headers).json()
    paid = api.post(
        f"/v1/loans/{loan_id}/prepayments",
        headers={**world.alice.headers, "Idempotency-Key": "payoff-doc-1"},
        json={"amount": quote["amount"]},
    )
    assert paid.status_code in (200, 201), paid.text
    issued = api.get(path, headers=world.alice.headers)
    assert issued.status_code == 200
    text = compact_pdf_text(issued.content)
    assert "结清证明" in text and world.alice.name in text and "全部结清" in text


def test_without_the_font_a_pdf_is_a_clear_error_naming_what_to_install(database_url, tmp_path):
    settings = quick_settings(database_url, document_font=tmp_path / "missing.ttc")
    with TestClient(build_app(settings, tmp_path)) as client:
        alice = make_borrower(client)
        loan_id, _ = _loan(client, alice)
        reply = client.get(f"/v1/loans/{loan_id}/contract.pdf", headers=alice.headers)
        assert reply.status_code == 503
        body = reply.json()
        assert body["code"] == "document_font_missing"
        assert "fonts-noto-cjk" in body["details"]["remedy"]
        plan = client.get(f"/v1/loans/{loan_id}/repayment-plan.csv", headers=alice.headers)
        assert plan.status_code == 200  # the CSV needs no font
