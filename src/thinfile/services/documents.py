"""The borrower's documents: the loan contract signed at acceptance, and the downloads.

Signing (:func:`sign_contract_in_unit`) runs inside the acceptance's unit of work: the
contract is rendered from its versioned template (``thinfile.documents``) with the loan just
opened, its cost statement and the borrower's name and masked ID number; its text is sealed
(it names the borrower) and stored with the SHA-256 of its UTF-8 bytes and the electronic
signature — time, client address, device. The row is never changed: the repository has no
update and the database refuses one.

The downloads are read-only units of work (a loan's owner or staff; the route checks that):
the signed contract as PDF (the stored text, checked against its hash before it is shown),
the repayment plan as serviced (CSV and PDF) and the settlement certificate (结清证明) of a
closed loan. The PDF is laid out after the unit of work has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from thinfile.documents import (
    CONTRACT_KIND,
    Borrower,
    ContractFacts,
    Document,
    Language,
    ensure_settled,
    find_font,
    plan_csv,
    render_contract,
    render_pdf,
    render_plan,
    render_settlement,
    sha256_hex,
)
from thinfile.errors import ConflictError, InvariantViolation, NotFoundError
from thinfile.loanmath import cost_statement
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_id_number
from thinfile.services.applicants import identity_of_user
from thinfile.services.business_date import business_date_in
from thinfile.services.notifications import notify_contract_ready_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanAccount
from thinfile.store.documents_repo import StoredDocument

__all__ = [
    "MAX_DEVICE_CHARS",
    "Language",
    "SignedContract",
    "Signing",
    "contract_number",
    "contract_pdf",
    "has_signed_contract",
    "repayment_plan_csv",
    "repayment_plan_pdf",
    "settlement_certificate_pdf",
    "sign_contract_in_unit",
    "signed_contract",
]

MAX_DEVICE_CHARS = 400
"""The longest device description (user agent) kept with a signature; longer is cut."""


@dataclass(frozen=True, slots=True)
class Signing:
    """How a borrower signs at acceptance: the keys that seal the text, the lender named as a
    party (``Settings.lender_name``), the contract's language, and the client's address and
    device (user agent) as the request showed them."""

    cipher: PiiCipher
    lender: str
    language: Language = "zh"
    ip: str | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class SignedContract:
    """A signed contract: the exact text (:attr:`document`) and its signature."""

    loan_id: int
    document: Document
    sha256: str
    signed_at: datetime
    signer_ip: str | None
    signer_device: str | None


def contract_number(loan_id: int, on: date) -> str:
    """The contract's number: ``TF-<signing date>-<loan>`` (``TF-20260115-42``)."""
    return f"TF-{on:%Y%m%d}-{loan_id}"


def _seal_context(loan_id: int, kind: str) -> str:
    return f"loan-document:{loan_id}:{kind}"


def _borrower(uow: UnitOfWork, cipher: PiiCipher, user_id: str) -> Borrower:
    profile = identity_of_user(uow, cipher, user_id)
    if profile is None:
        raise ConflictError(
            "the borrower has no applicant profile to name in the contract",
            field="user_id",
            value=user_id,
            remedy="register the applicant profile, then accept again",
        )
    return Borrower(profile.name, mask_id_number(profile.id_number))


def sign_contract_in_unit(
    uow: UnitOfWork,
    signing: Signing,
    *,
    loan: LoanAccount,
    application_id: str,
    user_id: str,
    at: datetime,
) -> SignedContract:
    """Render ``loan``'s contract and store it signed, in the caller's unit of work."""
    borrower = _borrower(uow, signing.cipher, user_id)
    facts = ContractFacts(
        contract_number=contract_number(loan.loan_id, loan.disbursed_on),
        lender=signing.lender,
        borrower_name=borrower.name,
        borrower_id_masked=borrower.id_masked,
        signed_on=loan.disbursed_on,
        schedule=loan.schedule,
        statement=cost_statement(
            loan.schedule, default_terms=loan.product.defaults, lender=signing.lender
        ),
    )
    document = render_contract(facts, language=signing.language)
    device = None if signing.device is None else signing.device[:MAX_DEVICE_CHARS]
    uow.documents.add(
        StoredDocument(
            loan_id=loan.loan_id,
            kind=CONTRACT_KIND,
            application_id=application_id,
            user_id=user_id,
            template=document.template,
            language=document.language,
            body_enc=signing.cipher.encrypt(
                document.text, context=_seal_context(loan.loan_id, CONTRACT_KIND)
            ),
            sha256=document.sha256,
            signed_at=at,
            signer_ip=signing.ip,
            signer_device=device,
        )
    )
    notify_contract_ready_in_unit(uow, user_id, loan.loan_id, facts.contract_number)
    return SignedContract(loan.loan_id, document, document.sha256, at, signing.ip, device)


def _opened(stored: StoredDocument, cipher: PiiCipher) -> SignedContract:
    """The stored text, refused unless it hashes to the stored SHA-256 (a sealed text that
    was changed does not even open: :class:`~thinfile.errors.DecryptionError`)."""
    text = cipher.decrypt(stored.body_enc, context=_seal_context(stored.loan_id, stored.kind))
    if sha256_hex(text) != stored.sha256:
        raise InvariantViolation(
            f"the stored {stored.kind} of loan {stored.loan_id} does not match its SHA-256",
            field="loan_id",
            value=stored.loan_id,
            remedy="do not issue this document; restore it from a backup and investigate",
        )
    document = Document(stored.kind, stored.template, stored.language, text)
    return SignedContract(
        stored.loan_id,
        document,
        stored.sha256,
        stored.signed_at,
        stored.signer_ip,
        stored.signer_device,
    )


def has_signed_contract(engine: Engine, loan_id: int) -> bool:
    """Whether ``loan_id``'s borrower signed a loan contract for it (an accepted offer); a
    line draw or a merchant checkout has its own agreement instead."""
    with UnitOfWork(engine) as uow:
        return uow.documents.get(loan_id, CONTRACT_KIND) is not None


def signed_contract(engine: Engine, cipher: PiiCipher, loan_id: int) -> SignedContract:
    """The contract ``loan_id``'s borrower signed, exactly as stored (hash checked)."""
    with UnitOfWork(engine) as uow:
        stored = uow.documents.get(loan_id, CONTRACT_KIND)
    if stored is None:
        raise NotFoundError(
            "this loan has no signed contract",
            field="loan_id",
            value=loan_id,
            remedy="contracts are signed when an offer is accepted; loans opened otherwise "
            "(a merchant checkout, a line draw) have their own agreement",
        )
    return _opened(stored, cipher)


def contract_pdf(engine: Engine, cipher: PiiCipher, loan_id: int, *, font: Path | None) -> bytes:
    """The signed contract rendered as PDF; the footer names its signature and SHA-256."""
    signed = signed_contract(engine, cipher, loan_id)
    when = signed.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    footer = f"电子签名 signed {when}    SHA-256 {signed.sha256}"
    return render_pdf(signed.document, font=find_font(font), footer=footer)


def _account(engine: Engine, loan_id: int) -> tuple[LoanAccount, date]:
    with UnitOfWork(engine) as uow:
        account = uow.loans.get(loan_id).account
        return account, business_date_in(uow)


def repayment_plan_csv(engine: Engine, loan_id: int) -> str:
    """The loan's installments as serviced now, as CSV (``thinfile.documents.PLAN_COLUMNS``)."""
    account, _ = _account(engine, loan_id)
    return plan_csv(account)


def repayment_plan_pdf(
    engine: Engine, loan_id: int, *, language: Language, font: Path | None
) -> bytes:
    """The repayment plan as serviced on the current business date, as PDF."""
    account, today = _account(engine, loan_id)
    return render_pdf(render_plan(account, as_of=today, language=language), font=find_font(font))


def settlement_certificate_pdf(
    engine: Engine,
    cipher: PiiCipher,
    loan_id: int,
    *,
    lender: str,
    language: Language,
    font: Path | None,
) -> bytes:
    """The settlement certificate (结清证明) of a loan repaid in full; any other loan is
    refused (:class:`~thinfile.errors.ConflictError`, field ``loan_id``)."""
    with UnitOfWork(engine) as uow:
        account = uow.loans.get(loan_id).account
        ensure_settled(account)
        today = business_date_in(uow)
        contract = uow.documents.get(loan_id, CONTRACT_KIND)
        owner = contract.user_id if contract else uow.applications.owner_of_loan(str(loan_id))
        borrower = (
            _borrower(uow, cipher, owner) if owner else Borrower("—", "—")
        )  # a loan no borrower accepted (a test book) is still certified, unnamed
    document = render_settlement(
        account,
        lender=lender,
        borrower=borrower,
        contract_number=contract_number(loan_id, account.disbursed_on),
        issued_on=today,
        language=language,
    )
    return render_pdf(document, font=find_font(font))
