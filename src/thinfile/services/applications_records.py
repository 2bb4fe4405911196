"""What every application use case shares: the stored application as a record, and loading it."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from thinfile.decisioning import Outcome
from thinfile.decisioning.reasons import explain
from thinfile.errors import NotFoundError
from thinfile.loanmath import Schedule
from thinfile.security.crypto import PiiCipher
from thinfile.services.identity_records import as_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.applications_repo import StoredApplication

__all__ = [
    "STATUS",
    "ApplicationRecord",
    "ApplicationStatus",
    "StoredOffer",
    "application_record",
    "declined_on_review",
    "load_application",
    "offers_of",
    "unmasked_decision",
]


class ApplicationStatus(enum.StrEnum):
    """Where an application stands; stored as the value."""

    APPROVED = "approved"
    REFERRED = "referred"
    """Waiting for an underwriter (人工审核)."""
    DECLINED = "declined"
    ACCEPTED = "accepted"
    """An offer was accepted: a loan (and any credit line) is open."""
    OFFER_DECLINED = "offer_declined"
    """The applicant turned every offer down."""


STATUS = {
    Outcome.APPROVE: ApplicationStatus.APPROVED,
    Outcome.REFER: ApplicationStatus.REFERRED,
    Outcome.DECLINE: ApplicationStatus.DECLINED,
}
"""The application's status right after its decision."""


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    id: str
    applicant_id: str
    status: ApplicationStatus
    outcome: Outcome
    submitted_at: datetime
    decision: dict[str, object]
    accepted_offer: int | None
    loan_id: str | None
    reviewed_by: str | None = None
    """The underwriter (``Actor.label``) who decided a referral; None until reviewed."""
    reviewed_at: datetime | None = None
    review_note: str | None = None
    schedules: tuple[Schedule, ...] = field(default=(), compare=False, repr=False)
    """The offers' schedules, in offer order, when the record was decided just now (a stored
    record rebuilds them from each offer's terms); never stored."""


def load_application(
    uow: UnitOfWork, application_id: str, *, lock: bool = False
) -> StoredApplication:
    """The stored application (locked with ``lock``); 404 when there is none."""
    row = uow.applications.get(application_id, lock=lock)
    if row is None:
        raise NotFoundError("no such application", field="application_id", value=application_id)
    return row


def application_record(row: StoredApplication, decision: dict[str, object]) -> ApplicationRecord:
    """The application as it is read; a referral an underwriter declined reads as declined
    (:func:`declined_on_review`)."""
    if row.status == ApplicationStatus.DECLINED and row.reviewed_at is not None:
        decision = declined_on_review(decision)
    return ApplicationRecord(
        row.id,
        row.applicant_id,
        ApplicationStatus(row.status),
        Outcome(row.outcome),
        as_utc(row.submitted_at),
        decision,
        row.accepted_offer,
        row.loan_id,
        reviewed_by=row.reviewed_by,
        reviewed_at=None if row.reviewed_at is None else as_utc(row.reviewed_at),
        review_note=row.review_note,
    )


def declined_on_review(decision: Mapping[str, Any]) -> dict[str, object]:
    """A referred decision an underwriter declined, as the borrower reads it: no offers, and
    first the reason ``DECLINED_ON_REVIEW`` in place of ``REFER`` ("an underwriter will
    review"), then what sent it to review. The stored decision is not changed: its replay
    still compares with what the policy decided."""
    shown: dict[str, object] = {**decision, "offers": []}
    for key, language in (("reasons", "en"), ("reasons_zh", "zh")):
        reason = explain("DECLINED_ON_REVIEW")
        text, advice = (
            (reason.zh, reason.advice_zh) if language == "zh" else (reason.en, reason.advice_en)
        )
        kept = [r for r in decision.get(key) or [] if r.get("code") != "REFER"]
        shown[key] = [{"code": reason.code, "text": text, "advice": advice}, *kept]
    return shown


def unmasked_decision(row: StoredApplication, cipher: PiiCipher) -> dict[str, object]:
    """The stored decision with the sealed personal data opened back into its inputs."""
    decision: dict[str, Any] = json.loads(row.decision_json)
    identity = json.loads(cipher.decrypt(row.pii_enc, context=f"application:{row.id}"))
    decision["inputs"]["application"].update(identity)
    return decision


class StoredOffer(TypedDict):
    """An offer as stored with its decision (``decisioning.Offer.as_dict``): amounts and rates
    as text, the annualized rate (``nominal``, ``effective`` …) and the cost statement."""

    product: str
    method: str
    amount: str
    term_months: int
    annual_rate: str
    monthly_fee_rate: str
    upfront_fee: str
    first_installment: str
    total_repaid: str
    total_cost: str
    annualized_rate: dict[str, str]
    credit_limit: str | None
    capped_to_legal_limit: bool
    start: str
    statement: dict[str, object]
    before_cap: NotRequired[dict[str, str]]
    """Only on an offer re-priced to the cap."""
    programme: NotRequired[dict[str, object]]
    """Only on an offer a preferential programme discounted: its code, names, discount and
    the price and annualized rate before and after."""


def offers_of(decision: Mapping[str, object]) -> tuple[StoredOffer, ...]:
    """The offers of a stored decision, typed once here where the decision JSON is read
    (none when it has none)."""
    offers = decision.get("offers")
    if not isinstance(offers, list):
        return ()
    return tuple(cast(StoredOffer, o) for o in offers if isinstance(o, dict))
