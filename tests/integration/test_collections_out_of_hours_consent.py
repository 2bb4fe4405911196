"""Out-of-hours collection contact on both databases (DOMAIN §5.6): from 22:00 to 08:00 in the
borrower's time a collector reaches the borrower only while the borrower's own stored consent
(``contact`` for ``collection_out_of_hours``: given by them, audited, revocable) stands at the
contact's time, and never a third party, whatever the borrower agreed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.collections_helpers import (
    AGENT,
    COLLECTOR,
    EMERGENCY_PHONE,
    at_local,
    call,
    case_of,
)
from tests.integration.notification_helpers import Borrower, borrower, new_cipher, with_loan
from thinfile.collections import ContactOutcome, Party, Purpose
from thinfile.errors import ConductRuleBrokenError
from thinfile.services import business_date, consent
from thinfile.services import collection_contacts as contacts
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import OUT_OF_HOURS_CONSENT, ContactRequest
from thinfile.services.identity_records import ConsentRecord
from thinfile.services.loans import get_loan
from thinfile.services.uow import UnitOfWork

OWN_PHONE = "13800138000"
NOT_AGREED = "the borrower has not agreed to be contacted out of hours"
DAYTIME = "contact between 08:00 and 22:00 in the borrower's time zone"


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    """Business dates follow the book, not the wall clock (which is later than 2025)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def consent_clock(monkeypatch) -> dict[str, datetime]:
    """The moment the consent service stamps a grant or a revocation with: set by each test
    before the contacts it logs at their own stated times."""
    now = {"at": datetime(2025, 1, 1, tzinfo=UTC)}
    monkeypatch.setattr(consent, "now_utc", lambda: now["at"])
    return now


@pytest.fixture
def late_case(engine) -> tuple[Borrower, int, date]:
    """A borrower with a profile whose first installment is four days past due: the borrower,
    their open case and the day after (calls go to the profile's own number)."""
    who = with_loan(borrower(engine, new_cipher(), phone=OWN_PHONE))
    assert who.loan_id is not None
    first_due = get_loan(engine, who.loan_id).account.installments[0].due
    run_cob(engine, first_due + timedelta(days=4))
    return who, int(case_of(engine, who.loan_id).id), first_due + timedelta(days=5)


def borrower_call(day: date, hour: int, minute: int = 0) -> ContactRequest:
    return call(at_local(day, hour, minute), phone=OWN_PHONE)


def agree(who: Borrower) -> ConsentRecord:
    """The borrower gives the out-of-hours consent on their own consents."""
    category, purpose = OUT_OF_HOURS_CONSENT
    return consent.grant_consent(
        who.engine, applicant_id=who.applicant_id, category=category, purpose=purpose,
        notice_version="web-2026-01", separate=False, actor=who.actor,
    )  # fmt: skip


def made(who: Borrower, case_id: int, request: ContactRequest) -> str:
    logged = contacts.log_contact(who.engine, case_id, request, cipher=who.cipher, actor=COLLECTOR)
    return logged.status


def refused(who: Borrower, case_id: int, request: ContactRequest) -> ConductRuleBrokenError:
    with pytest.raises(ConductRuleBrokenError) as caught:
        contacts.log_contact(who.engine, case_id, request, cipher=who.cipher, actor=COLLECTOR)
    return caught.value


def test_the_borrower_is_called_out_of_hours_only_while_their_own_consent_stands(
    engine, late_case, consent_clock
):
    who, case_id, day = late_case
    before = refused(who, case_id, borrower_call(day, 23, 0))
    assert (before.value, before.remedy) == ("contact_window", DAYTIME)
    assert NOT_AGREED in str(before)

    consent_clock["at"] = at_local(day, 20)
    given = agree(who)
    assert made(who, case_id, borrower_call(day, 23, 30)) == "made"
    next_day = day + timedelta(days=1)
    assert made(who, case_id, borrower_call(next_day, 7, 0)) == "made"
    # the consent does not reach back before it was given
    assert refused(who, case_id, borrower_call(day, 6, 0)).value == "contact_window"

    consent_clock["at"] = at_local(next_day, 7, 30)
    consent.revoke_consent(
        engine, applicant_id=who.applicant_id, consent_id=given.id, actor=who.actor
    )
    after = refused(who, case_id, borrower_call(next_day, 7, 45))
    assert (after.value, after.remedy) == ("contact_window", DAYTIME)
    assert NOT_AGREED in str(after)
    assert made(who, case_id, borrower_call(next_day, 9)) == "made"  # daytime: no consent needed

    logged = [(c.status, c.rule) for c in contacts.contacts_of_case(engine, case_id)]
    assert logged == [
        ("refused", "contact_window"),
        ("made", None),
        ("made", None),
        ("refused", "contact_window"),
        ("refused", "contact_window"),
        ("made", None),
    ]
    with UnitOfWork(engine) as uow:  # given and taken back by the borrower, each audited
        subject = f"applicant:{who.applicant_id}"
        for action in ("consent.grant", "consent.revoke"):
            [row] = uow.audit.of_subject(subject, action=action)
            assert json.loads(row.details)["purpose"] == "collection_out_of_hours"


def test_the_borrowers_consent_never_reaches_the_emergency_contact(
    engine, late_case, consent_clock
):
    who, case_id, day = late_case
    assert who.loan_id is not None
    contacts.register_party(
        engine, who.loan_id, Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE, name="李娜",
        cipher=who.cipher, actor=AGENT,
    )  # fmt: skip
    consent_clock["at"] = at_local(day, 8)
    agree(who)
    for minute in range(3):  # the borrower is unreachable: the emergency contact may be asked
        assert made(who, case_id, borrower_call(day, 9, minute)) == "made"
    assert made(who, case_id, borrower_call(day, 23, 0)) == "made"  # the borrower agreed

    locate = call(
        at_local(day, 23, 30), party=Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE,
        purpose=Purpose.LOCATE, script="locate-borrower", outcome=ContactOutcome.ANSWERED,
    )  # fmt: skip
    late = refused(who, case_id, locate)
    assert (late.value, late.extra["rules"]) == ("contact_window", ["contact_window"])
    assert "a third party is never contacted then" in str(late)
