"""Contacts and promises to pay on a collection case, under the conduct rules.

:func:`log_contact` checks every attempt against :mod:`thinfile.collections.conduct` inside a
unit of work that locks the number's count of unanswered calls for the borrower's local day
(``collection_call_counts``), so two collectors calling at once cannot make a seventh call. An
attempt that breaks a rule raises :class:`~thinfile.errors.ConductRuleBrokenError` and is
stored as ``refused`` (with the rule) in a unit of work of its own, so the refusal survives
the rollback of the attempt. An agency acts through the same function, naming itself.

A number counts as the borrower's own when it is the phone of the profile of the loan's
borrower (or the one they sign in with); only a loan with no borrower profile on record takes
the numbers staff registered for the borrower (:func:`register_party`) instead. Contacts and
promises are refused on a loan with nothing to collect (not active, nothing past due, or its
purchase under an open dispute), and the borrower counts as unreachable only from the failed
attempts made since the case (re)opened.

The contact window is judged in the borrower's own time zone, the one they chose in their
notification preferences (:func:`borrower_time_zone_in`), else the case's (Asia/Shanghai). A
third party who asks not to be contacted again is logged with the outcome ``asked_to_stop``;
any later contact to that number on the loan is then refused (``third_party_asked_to_stop``).

Only the borrower can lift the window, for contacts to themselves: a contact to the borrower
from 22:00 to 08:00 is made only when the applicant behind the loan had given the consent
:data:`OUT_OF_HOURS_CONSENT` (on their own consents, audited, revocable) and not revoked it at
the contact's time. A collector's word that the borrower agreed is not their consent (any
collector could claim it), so a :class:`ContactRequest` carries none. A loan with no borrower
profile on record has no one who could have agreed, so its window is never lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.collections import (
    DEFAULT_TIME_ZONE,
    Channel,
    ContactAttempt,
    ContactOutcome,
    ContactRecord,
    History,
    Party,
    PromiseStatus,
    Purpose,
    Script,
    check_conduct,
    check_promise,
    is_unreachable,
    local_time,
)
from thinfile.errors import ConductRuleBrokenError, ConflictError, InvalidInputError
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_name, mask_phone, normalize_phone
from thinfile.services import consent
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.collections import (
    check_collectable_in,
    check_collector,
    check_loan_in_reach_in,
    member_agency_in,
    open_case_in,
)
from thinfile.services.identity_records import Actor
from thinfile.services.ownership import owner_of_any_loan
from thinfile.services.reasons import plain_reason
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "OUT_OF_HOURS_CONSENT",
    "SCRIPTS",
    "ContactRequest",
    "LoggedContact",
    "PromiseRecord",
    "borrower_time_zone_in",
    "contacts_of_case",
    "log_contact",
    "promises_of_case",
    "record_promise",
    "register_party",
    "settle_promises_in_unit",
]

SCRIPTS = {
    s.code: s
    for s in (
        Script("first-contact", discloses_debt=True),
        Script("overdue-reminder", discloses_debt=True),
        Script("hardship-offer", discloses_debt=True),
        Script("locate-borrower", discloses_debt=False),
    )
}
"""The approved scripts (话术): only these may be used; ``locate-borrower`` never speaks of
the debt and is the only one for a third party."""
REASON_MAX = 500
OUT_OF_HOURS_CONSENT = (consent.DataCategory.CONTACT, consent.Purpose.COLLECTION_OUT_OF_HOURS)
"""The consent (data category, purpose) under which the borrower agrees to be contacted from
22:00 to 08:00 their time (DOMAIN §5.6); they give and revoke it on their consents."""


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A contact as a collector asks to log it; ``at`` is set by the server (now)."""

    channel: Channel
    party: Party
    phone: str
    purpose: Purpose
    script: str
    reason: str
    outcome: ContactOutcome
    at: datetime


@dataclass(frozen=True, slots=True)
class LoggedContact:
    contact_id: int
    case_id: int
    at: datetime
    channel: str
    party: str
    number_masked: str
    outcome: str | None
    script: str
    reason: str
    actor: str
    agency: str | None
    status: str
    rule: str | None


def register_party(
    engine: Engine,
    loan_id: int,
    party: Party,
    *,
    phone: str,
    name: str,
    cipher: PiiCipher,
    actor: Actor,
) -> int:
    """Register the borrower's or the emergency contact's number for a loan (never another
    third party): only a number registered here counts as the emergency contact's. The
    borrower's number must be their own (their profile's, or the one they sign in with); only
    for a loan with no borrower on record is the number registered here taken as theirs. An
    agency's collector registers only on loans whose case their agency holds."""
    check_collector(actor)
    if Party(party) is Party.OTHER:
        raise InvalidInputError("only the borrower or the emergency contact", field="party")
    number = normalize_phone(phone)
    if not name.strip():
        raise InvalidInputError("a party needs a name", field="name")
    with UnitOfWork(engine) as uow:
        uow.loans.get(loan_id, lock=True)  # the loan exists; one registration at a time
        check_loan_in_reach_in(uow, loan_id, actor)
        digest = cipher.lookup_hash("phone", number)
        if Party(party) is Party.BORROWER and _is_borrowers_own(uow, loan_id, digest) is False:
            raise InvalidInputError(
                "the number is not the borrower's own: anyone else is a third party",
                field="phone",
                value=mask_phone(number),
                remedy="register the phone in the borrower's profile, or register this "
                "number as the emergency contact if the borrower named them",
            )
        registered = uow.collections.parties_of(loan_id)
        if any(p.party == Party(party).value and p.number_hash == digest for p in registered):
            raise ConflictError("the number is already registered for this party", field="phone")
        if any(p.number_hash == digest for p in registered):
            raise ConflictError(
                "the number is registered for another party of this loan: the borrower and "
                "the emergency contact are different people",
                field="phone",
                value=mask_phone(number),
                remedy="register each party's own number",
            )
        party_id = uow.collections.add_party(
            {
                "loan_id": loan_id,
                "party": Party(party).value,
                "number_hash": digest,
                "number_masked": mask_phone(number),
                "name_masked": mask_name(name.strip()),
            }
        )
        record_audit(uow, actor.label, "collection.party_add", f"loan:{loan_id}", {"party": party})
        uow.commit()
    return party_id


def _is_borrowers_own(uow: UnitOfWork, loan_id: int, digest: str) -> bool | None:
    """Whether the number of lookup hash ``digest`` is the borrower's own: the phone of the
    profile of the user who owns the loan, or the one they sign in with. False for a number
    another user signs in with; None when the loan has no borrower with a profile on record
    and the number is no user's (only staff's registration then says)."""
    owner = owner_of_any_loan(uow, str(loan_id))
    user = uow.user_phones.user_of(digest)
    if owner is not None and user == owner:
        return True
    profile = None if owner is None else uow.applicants.of_user(owner)
    if profile is not None:
        return digest == profile.phone_hash
    return False if user is not None else None


def _is_on_record(uow: UnitOfWork, loan_id: int, party: Party, digest: str) -> bool:
    """Whether the number of ``digest`` is on record for ``party``: for the borrower, their
    own (:func:`_is_borrowers_own`); on a loan with no borrower profile on record, a number
    staff registered for the party. A number on record for no one is no one's: calling it
    "as the borrower" would tell a stranger — or the emergency contact — of the debt."""
    if party is Party.BORROWER:
        own = _is_borrowers_own(uow, loan_id, digest)
        if own is not None:
            return own
    numbers = [p.number_hash for p in uow.collections.parties_of(loan_id) if p.party == party.value]
    return digest in numbers


def _script(code: str) -> Script:
    script = SCRIPTS.get(code)
    if script is None:
        raise InvalidInputError(
            "not an approved script", field="script", value=code, remedy=f"one of {sorted(SCRIPTS)}"
        )
    return script


def _row(
    case_id: int,
    request: ContactRequest,
    number: str,
    digest: str,
    actor: Actor,
    agency: str | None,
) -> dict[str, object]:
    return {
        "case_id": case_id,
        "at": request.at,
        "channel": request.channel.value,
        "party": request.party.value,
        "purpose": request.purpose.value,
        "number_hash": digest,
        "number_masked": mask_phone(number),
        "script": request.script,
        "reason": request.reason.strip()[:REASON_MAX],
        "actor": actor.label,
        "agency": agency,
    }


def _history(uow: UnitOfWork, row: Any, request: ContactRequest, digest: str, day: int) -> History:
    """What the conduct rules need: only contacts made after the local day the case (re)opened
    count (a cured case's failed attempts do not make the borrower unreachable now)."""
    case_id, loan_id = int(row.id), int(row.loan_id)
    made = [c for c in uow.collections.contacts_of(case_id) if c.status == "made"]
    earlier = tuple(
        ContactRecord(
            Party(c.party), Channel(c.channel), c.at, ContactOutcome(c.outcome), c.number_hash
        )
        for c in made
        if int(c.local_day) > int(row.opened_day)
    )
    # a third party's request to stop holds for the whole case, before its last reopening too
    asked_to_stop = any(
        c.outcome == ContactOutcome.ASKED_TO_STOP.value and c.number_hash == digest for c in made
    )
    registered = _is_on_record(uow, loan_id, request.party, digest)
    agreed = _agreed_out_of_hours(uow, loan_id, request.at)
    phone = request.channel is Channel.PHONE
    unanswered = uow.collections.lock_unanswered(digest, day) if phone else 0
    return History(unanswered, is_unreachable(earlier), registered, asked_to_stop, agreed)


def _agreed_out_of_hours(uow: UnitOfWork, loan_id: int, at: datetime) -> bool:
    """Whether the loan's borrower — the applicant profile of the user who owns the loan —
    had consented to out-of-hours contact (:data:`OUT_OF_HOURS_CONSENT`) at ``at``. False for a
    loan with no borrower profile on record: no one there could have agreed."""
    owner = owner_of_any_loan(uow, str(loan_id))
    profile = None if owner is None else uow.applicants.of_user(owner)
    if profile is None:
        return False
    return consent.has_consent_at(uow, profile.id, *OUT_OF_HOURS_CONSENT, at)


def borrower_time_zone_in(uow: UnitOfWork, row: Any) -> str:
    """The time zone of the contact window for case ``row``: the one the borrower chose in
    their preferences (``notification_preferences``), else the case's (Asia/Shanghai)."""
    owner = owner_of_any_loan(uow, str(row.loan_id))
    chosen = None if owner is None else uow.notifications.preferences(owner)
    if chosen is not None and chosen.time_zone:
        return str(chosen.time_zone)
    return str(row.time_zone)


def log_contact(
    engine: Engine,
    case_id: int,
    request: ContactRequest,
    *,
    cipher: PiiCipher,
    actor: Actor,
    agency: str | None = None,
) -> LoggedContact:
    """Log one contact attempt on an open case, refused (and stored as refused) when it
    breaks a conduct rule. ``agency``: the agency holding the case acts."""
    check_collector(actor)
    script = _script(request.script)
    number = normalize_phone(request.phone)
    digest = cipher.lookup_hash("phone", number)
    if len(request.reason) > REASON_MAX:
        raise InvalidInputError(f"a reason is at most {REASON_MAX} characters", field="reason")
    plain_reason(request.reason)  # the contact log is the record a complaint is judged on
    if request.outcome is ContactOutcome.ASKED_TO_STOP and request.party is Party.BORROWER:
        raise InvalidInputError(
            "asked_to_stop records a third party's request not to be contacted again",
            field="outcome",
            value=request.outcome.value,
            remedy="record the borrower's answer as answered or refused_to_pay",
        )
    try:
        with UnitOfWork(engine) as uow:
            agency = agency or member_agency_in(uow, actor)
            row = open_case_in(uow, case_id, agency=agency, actor=actor)
            zone = borrower_time_zone_in(uow, row)
            local = local_time(request.at, zone)
            check_collectable_in(uow, int(row.loan_id), local.date())
            day = to_day(local.date())
            attempt = ContactAttempt(
                request.channel,
                request.party,
                request.at,
                request.purpose,
                script,
                request.reason,
                zone,
            )
            check_conduct(attempt, _history(uow, row, request, digest, day))
            values = _row(case_id, request, number, digest, actor, agency)
            values |= {"local_day": day, "outcome": request.outcome.value, "status": "made"}
            contact_id = uow.collections.add_contact(values)
            if request.channel is Channel.PHONE and request.outcome.is_unanswered_call:
                uow.collections.count_unanswered(digest, day)
            record_audit(
                uow,
                actor.label,
                "collection.contact",
                f"case:{case_id}",
                {"contact": contact_id, "agency": agency},
            )
            uow.commit()
    except ConductRuleBrokenError as refused:
        _log_refusal(engine, case_id, request, number, digest, actor, agency, str(refused.value))
        raise
    return LoggedContact(
        contact_id,
        case_id,
        request.at,
        request.channel.value,
        request.party.value,
        mask_phone(number),
        request.outcome.value,
        request.script,
        values["reason"],  # type: ignore[arg-type]
        actor.label,
        agency,
        "made",
        None,
    )


def _log_refusal(
    engine: Engine,
    case_id: int,
    request: ContactRequest,
    number: str,
    digest: str,
    actor: Actor,
    agency: str | None,
    rule: str,
) -> None:
    with UnitOfWork(engine) as uow:
        row = uow.collections.case(case_id)
        zone = DEFAULT_TIME_ZONE if row is None else borrower_time_zone_in(uow, row)
        values = _row(case_id, request, number, digest, actor, agency)
        values |= {
            "local_day": to_day(local_time(request.at, zone).date()),
            "outcome": None,
            "status": "refused",
            "rule": rule,
        }
        contact_id = uow.collections.add_contact(values)
        record_audit(
            uow,
            actor.label,
            "collection.contact_refused",
            f"case:{case_id}",
            {"contact": contact_id, "rule": rule, "agency": agency},
        )
        uow.commit()


def contacts_of_case(engine: Engine, case_id: int) -> list[LoggedContact]:
    with UnitOfWork(engine) as uow:
        rows = uow.collections.contacts_of(case_id)
    return [
        LoggedContact(
            int(c.id),
            int(c.case_id),
            c.at,
            str(c.channel),
            str(c.party),
            str(c.number_masked),
            c.outcome,
            str(c.script),
            str(c.reason),
            str(c.actor),
            c.agency,
            str(c.status),
            c.rule,
        )
        for c in rows
    ]


@dataclass(frozen=True, slots=True)
class PromiseRecord:
    promise_id: int
    case_id: int
    loan_id: int
    amount: Money
    made_on: date
    due: date
    status: PromiseStatus
    paid: Money


def _promise(r: Any) -> PromiseRecord:
    return PromiseRecord(
        int(r.id),
        int(r.case_id),
        int(r.loan_id),
        Money(int(r.amount), str(r.currency)),
        from_day(int(r.made_day)),
        from_day(int(r.due_day)),
        PromiseStatus(r.status),
        Money(int(r.paid), str(r.currency)),
    )


def record_promise(
    engine: Engine,
    case_id: int,
    amount: Money,
    due: date,
    *,
    actor: Actor,
    agency: str | None = None,
    today: date | None = None,
) -> PromiseRecord:
    """A promise to pay ``amount`` by ``due`` (today to 30 days ahead) on an open case.
    ``today`` (default: the clock's) only matters to a replay of past days: the promise is
    made on the open business date, never before."""
    check_collector(actor)
    with UnitOfWork(engine) as uow:
        agency = agency or member_agency_in(uow, actor)
        row = open_case_in(uow, case_id, agency=agency, actor=actor)
        loan = uow.loans.get(int(row.loan_id)).account
        if amount.currency != loan.currency:
            raise InvalidInputError("the promise is in the loan's currency", field="amount")
        today = business_date_in(uow, today=today)
        check_collectable_in(uow, loan.loan_id, today)
        check_promise(amount.fen, due, today)
        owed = sum(i.unpaid.total for i in loan.installments)  # all its schedule still asks
        if amount.fen > owed:
            raise InvalidInputError(
                f"{amount} is more than the {loan.money(owed)} loan {loan.loan_id} still owes "
                "on its schedule",
                field="amount",
                value=str(amount),
                remedy=f"record a promise of at most {loan.money(owed)}",
            )
        promise_id = uow.collections.add_promise(
            {
                "case_id": case_id,
                "loan_id": loan.loan_id,
                "amount": amount.fen,
                "currency": amount.currency,
                "made_day": to_day(today),
                "due_day": to_day(due),
                "status": PromiseStatus.PENDING.value,
                "actor": actor.label,
            }
        )
        record = _promise(uow.collections.promises_of(case_id)[-1])
        record_audit(
            uow,
            actor.label,
            "collection.promise",
            f"case:{case_id}",
            {"promise": promise_id, "amount_fen": amount.fen},
        )
        uow.commit()
    return record


def promises_of_case(engine: Engine, case_id: int) -> list[PromiseRecord]:
    with UnitOfWork(engine) as uow:
        return [_promise(r) for r in uow.collections.promises_of(case_id)]


def settle_promises_in_unit(uow: UnitOfWork, x: date) -> int:
    """Close of business step ``promises`` for business date ``x``: kept or broken from the
    payments actually received (set-based, idempotent per date)."""
    return uow.collections.settle_promises(to_day(x))
