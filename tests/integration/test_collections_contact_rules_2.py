"""Collection conduct and agencies on both databases (DOMAIN §5.6): a third party who asked
not to be contacted again is never contacted again, the contact window is the borrower's own
time zone, an agency measures only its own cases, and staff read the agency white list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.collections_helpers import (
    ADMIN,
    AGENT,
    COLLECTOR,
    EMERGENCY_PHONE,
    at_local,
    call,
    case_of,
    cipher,
    delinquent_loan,
    delinquent_loans,
    with_parties,
)
from tests.integration.notification_helpers import borrower, new_cipher, with_loan
from thinfile.collections import ContactOutcome, Party, Purpose
from thinfile.errors import (
    ConductRuleBrokenError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from thinfile.money import Money
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import business_date, collection_views, collections, identity
from thinfile.services import collection_contacts as contacts
from thinfile.services import notifications as notes
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import ContactRequest
from thinfile.services.identity_records import Actor
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment

M1_DAY = date(2025, 1, 10)  # first installment due 2025-01-06, unpaid
TODAY = date(2025, 1, 11)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    """Business dates follow the book, not the wall clock (which is later than 2025)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def locate(at: datetime, outcome: ContactOutcome = ContactOutcome.ANSWERED) -> ContactRequest:
    """A call to the registered emergency contact to locate the borrower (no debt told)."""
    return call(
        at, party=Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE, purpose=Purpose.LOCATE,
        script="locate-borrower", outcome=outcome,
    )  # fmt: skip


def refused_rule(engine, case_id, request, c) -> str:
    with pytest.raises(ConductRuleBrokenError) as refused:
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    return str(refused.value.value)


# 1. stop if asked ------------------------------------------------------------------------


def test_an_emergency_contact_who_asked_to_stop_is_never_contacted_again_for_the_loan(engine):
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)
    with_parties(engine, loan_id, c)
    case_id = int(case_of(engine, loan_id).id)
    for minute in range(3):  # the borrower is unreachable: the emergency contact may be called
        contacts.log_contact(engine, case_id, call(at_local(TODAY, 9, minute)), cipher=c,
                             actor=COLLECTOR)  # fmt: skip
    stop = locate(at_local(TODAY, 10), ContactOutcome.ASKED_TO_STOP)
    assert contacts.log_contact(engine, case_id, stop, cipher=c, actor=COLLECTOR).status == "made"
    assert refused_rule(engine, case_id, locate(at_local(TODAY, 11)), c) == (
        "third_party_asked_to_stop"
    )
    later = locate(at_local(TODAY + timedelta(days=3), 11), ContactOutcome.MESSAGE_LEFT)
    assert refused_rule(engine, case_id, later, c) == "third_party_asked_to_stop"
    logged = contacts.contacts_of_case(engine, case_id)
    assert [(x.status, x.rule) for x in logged[-2:]] == [
        ("refused", "third_party_asked_to_stop"),
        ("refused", "third_party_asked_to_stop"),
    ]
    own = call(at_local(TODAY, 12), outcome=ContactOutcome.ANSWERED)
    assert contacts.log_contact(engine, case_id, own, cipher=c, actor=COLLECTOR).status == "made"


def test_asked_to_stop_is_a_third_partys_answer_never_the_borrowers(engine):
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)
    with_parties(engine, loan_id, c)
    case_id = int(case_of(engine, loan_id).id)
    stop = call(at_local(TODAY, 10), outcome=ContactOutcome.ASKED_TO_STOP)
    with pytest.raises(InvalidInputError) as refused:
        contacts.log_contact(engine, case_id, stop, cipher=c, actor=COLLECTOR)
    assert refused.value.field == "outcome"


# 2. the borrower's own time zone ---------------------------------------------------------


def test_the_contact_window_is_the_borrowers_own_time_zone_when_they_chose_one(engine):
    who = with_loan(borrower(engine, new_cipher(), phone="13800138000"))
    assert who.loan_id is not None
    notes.set_preferences(
        engine, who.actor, who.actor.user_id, language="en", time_zone="Europe/London",
        in_app_only=False,
    )  # fmt: skip
    first_due = get_loan(engine, who.loan_id).account.installments[0].due
    run_cob(engine, first_due + timedelta(days=4))
    case_id = int(case_of(engine, who.loan_id).id)
    day = first_due + timedelta(days=5)

    def at_london(hour: int) -> ContactRequest:
        when = datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)
        return call(when, phone="13800138000", outcome=ContactOutcome.ANSWERED)

    # 07:00 in London is afternoon in Shanghai: still the borrower's night
    assert refused_rule(engine, case_id, at_london(7), who.cipher) == "contact_window"
    # 16:00 in London is after 22:00 in Shanghai: the borrower's afternoon
    made = contacts.log_contact(engine, case_id, at_london(16), cipher=who.cipher, actor=COLLECTOR)
    assert made.status == "made"


# 3. an agency measures its own cases -----------------------------------------------------


def agency_collector(engine, code: str, email: str) -> Actor:
    """A collector signed in for agency ``code`` (added to the white list)."""
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(
        engine, hasher, email=email, password="pw-123456!", role=Role.COLLECTOR, actor=ADMIN
    )
    collections.add_agency(engine, code, f"{code} Collections", actor=ADMIN)
    collection_views.add_agency_user(engine, code, user.id, actor=ADMIN)
    return Actor(user.id, Role.COLLECTOR)


def test_an_agency_collector_measures_only_the_cases_its_agency_holds(engine):
    acme = agency_collector(engine, "acme", "acme-1@example.com")
    beta = agency_collector(engine, "beta", "beta-1@example.com")
    placed, other, kept = delinquent_loans(engine, M1_DAY, "3000", "4000", "5000")
    collections.assign_agency(engine, int(case_of(engine, placed).id), "acme", actor=AGENT)
    collections.assign_agency(engine, int(case_of(engine, other).id), "beta", actor=AGENT)
    assert kept  # stays in-house

    def counted(actor: Actor) -> dict[tuple[str, str], int]:
        rates = collections.collection_measures(engine, actor=actor).rates
        return {key: r.cases for key, r in rates.items()}

    assert counted(acme) == {("agency", "M1"): 1}
    assert counted(beta) == {("agency", "M1"): 1}
    assert sum(counted(COLLECTOR).values()) == 3  # in-house staff see the lender's figures
    assert sum(counted(AGENT).values()) == 3


def test_an_agency_reads_a_case_only_while_it_holds_it_open(engine):
    """A cured loan's case closes: the agency that held it no longer reads it or its
    borrower (it still counts in the agency's measures)."""
    acme = agency_collector(engine, "acme", "acme-1@example.com")
    (loan_id,) = delinquent_loans(engine, M1_DAY, "3000")
    case_id = int(case_of(engine, loan_id).id)
    collections.assign_agency(engine, case_id, "acme", actor=AGENT)
    assert collection_views.case_view(engine, case_id, actor=acme).for_agency == "acme"
    assert collections.agency_case(engine, case_id, agency="acme").case_id == case_id
    post_payment(engine, loan_id, Money.of("600"), M1_DAY + timedelta(days=1))  # all overdue
    run_cob(engine, M1_DAY + timedelta(days=1))
    assert case_of(engine, loan_id).status == "closed"
    with pytest.raises(NotFoundError):
        collection_views.case_view(engine, case_id, actor=acme)
    with pytest.raises(NotFoundError):
        collections.agency_case(engine, case_id, agency="acme")
    assert collection_views.case_view(engine, case_id, actor=COLLECTOR).status == "closed"
    assert (
        sum(r.cases for r in collections.collection_measures(engine, actor=acme).rates.values())
        == 1
    )


# 4. the agency white list ----------------------------------------------------------------


def test_staff_read_the_white_list_of_outsourced_agencies(engine):
    collections.add_agency(engine, "zeta", "Zeta 催收", actor=ADMIN)
    collections.add_agency(engine, "acme", "Acme Collections", actor=ADMIN)
    for reader in (COLLECTOR, AGENT, ADMIN):
        listed = collections.list_agencies(engine, actor=reader)
        assert [(a.code, a.name, a.active) for a in listed] == [
            ("acme", "Acme Collections", True),
            ("zeta", "Zeta 催收", True),
        ]
    with pytest.raises(PermissionDeniedError):
        collections.list_agencies(engine, actor=Actor("u-1", Role.UNDERWRITER))
