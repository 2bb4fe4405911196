"""Collection conduct on both databases (DOMAIN §5.6 and §11): the borrower is called only on
their own number, no one is contacted out of hours on a loan with no borrower on record who
could consent to it (a borrower's own consent: test_collections_out_of_hours_consent.py),
nothing is collected on a loan with nothing past due or under an open dispute, a cured case's
failed attempts do not make the borrower unreachable, and an agency acts only on the loans it
holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import (
    ADMIN,
    AGENT,
    BORROWER_PHONE,
    COLLECTOR,
    EMERGENCY_PHONE,
    STRANGER_PHONE,
    at_local,
    call,
    case_of,
    cipher,
    delinquent_loan,
    with_parties,
)
from tests.integration.notification_helpers import borrower, new_cipher, with_loan
from thinfile.collections import ContactOutcome, HardshipKind, Party, Purpose
from thinfile.errors import ConductRuleBrokenError, ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import business_date, collection_views, collections, disputes, identity
from thinfile.services import collection_contacts as contacts
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import ContactRequest
from thinfile.services.collection_hardship import propose_plan
from thinfile.services.identity_records import Actor
from thinfile.services.loans import get_loan, quote_payoff
from thinfile.services.payments import post_payment, prepay_loan
from thinfile.services.uow import UnitOfWork

M1_DAY = date(2025, 1, 10)  # first installment due 2025-01-06, unpaid
TODAY = date(2025, 1, 11)  # the business date after M1_DAY


def locate(at: datetime) -> ContactRequest:
    """A call to the registered emergency contact to locate the borrower (no debt told)."""
    return call(
        at, party=Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE, purpose=Purpose.LOCATE,
        script="locate-borrower", outcome=ContactOutcome.ANSWERED,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    """Business dates follow the book, not the wall clock (which is later than 2025)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def worked(engine):
    """A case in M1 with the borrower and the emergency contact registered."""
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)
    with_parties(engine, loan_id, c)
    return engine, int(case_of(engine, loan_id).id), c, loan_id


def refused_rule(engine, case_id, request, c) -> str:
    with pytest.raises(ConductRuleBrokenError) as refused:
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    return str(refused.value.value)


def fail_three_calls(engine, case_id, c, day: date) -> None:
    for minute in range(3):
        contacts.log_contact(
            engine, case_id, call(at_local(day, 9, minute)), cipher=c, actor=COLLECTOR
        )


# 1. the borrower's own number ------------------------------------------------------------


def test_a_stranger_is_never_registered_as_the_borrower_of_a_loan_with_a_profile(engine):
    who = with_loan(borrower(engine, new_cipher(), phone="13800138000"))
    assert who.loan_id is not None
    with pytest.raises(InvalidInputError) as refused:
        contacts.register_party(
            engine, who.loan_id, Party.BORROWER, phone=STRANGER_PHONE, name="赵六",
            cipher=who.cipher, actor=AGENT,
        )  # fmt: skip
    assert refused.value.field == "phone"
    assert STRANGER_PHONE not in str(refused.value.value)
    contacts.register_party(
        engine, who.loan_id, Party.BORROWER, phone="13800138000", name="王小明",
        cipher=who.cipher, actor=AGENT,
    )  # fmt: skip
    with UnitOfWork(engine) as uow:
        assert [p.party for p in uow.collections.parties_of(who.loan_id)] == ["borrower"]


def test_the_borrower_of_a_loan_with_a_profile_is_called_on_their_own_number_only(engine):
    who = with_loan(borrower(engine, new_cipher(), phone="13800138000"))
    assert who.loan_id is not None
    first_due = get_loan(engine, who.loan_id).account.installments[0].due
    run_cob(engine, first_due + timedelta(days=4))
    case_id = int(case_of(engine, who.loan_id).id)
    day = first_due + timedelta(days=5)
    stranger = call(at_local(day, 10), phone=STRANGER_PHONE, outcome=ContactOutcome.ANSWERED)
    assert refused_rule(engine, case_id, stranger, who.cipher) == "borrower_number_not_own"
    own = call(at_local(day, 10), phone="13800138000", outcome=ContactOutcome.ANSWERED)
    made = contacts.log_contact(engine, case_id, own, cipher=who.cipher, actor=COLLECTOR)
    assert made.status == "made"  # the profile's number: no registration needed


def test_a_number_that_is_not_the_borrowers_is_never_called_as_the_borrower(worked):
    engine, case_id, c, _loan = worked
    stranger = call(at_local(TODAY, 10), phone=STRANGER_PHONE, outcome=ContactOutcome.ANSWERED)
    assert refused_rule(engine, case_id, stranger, c) == "borrower_number_not_own"
    own = call(at_local(TODAY, 10), outcome=ContactOutcome.ANSWERED)
    assert contacts.log_contact(engine, case_id, own, cipher=c, actor=COLLECTOR).status == "made"


# 2. out of hours, no borrower on record to consent ---------------------------------------


def test_no_one_is_contacted_out_of_hours_on_a_loan_with_no_borrower_to_consent(worked):
    """The loan has no borrower profile on record, so no stored consent can lift the window
    (tests/integration/test_collections_out_of_hours_consent.py: a borrower who consents)."""
    engine, case_id, c, _loan = worked
    fail_three_calls(engine, case_id, c, TODAY)  # the borrower is unreachable
    assert refused_rule(engine, case_id, locate(at_local(TODAY, 23, 30)), c) == "contact_window"
    daytime = locate(at_local(TODAY, 11))
    assert contacts.log_contact(engine, case_id, daytime, cipher=c, actor=COLLECTOR).status == (
        "made"
    )
    with pytest.raises(ConductRuleBrokenError) as late:
        contacts.log_contact(engine, case_id, call(at_local(TODAY, 23, 30)), cipher=c,
                             actor=COLLECTOR)  # fmt: skip
    assert late.value.value == "contact_window"
    assert "the borrower has not agreed to be contacted out of hours" in str(late.value)


# 3. nothing to collect ---------------------------------------------------------------------


def test_a_loan_paid_off_before_close_of_business_is_not_collected_on(worked):
    engine, case_id, c, loan_id = worked
    prepay_loan(engine, loan_id, quote_payoff(engine, loan_id, TODAY), TODAY)
    assert case_of(engine, loan_id).status == "open"  # until close of business
    request = call(at_local(TODAY, 15), outcome=ContactOutcome.ANSWERED)
    with pytest.raises(ConflictError) as refused:
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    assert refused.value.field == "loan_id"
    with pytest.raises(ConflictError):
        contacts.record_promise(engine, case_id, Money.of("100"), TODAY, actor=COLLECTOR)
    assert contacts.contacts_of_case(engine, case_id) == []
    assert contacts.promises_of_case(engine, case_id) == []


def test_a_loan_whose_arrears_are_cured_is_not_collected_on(worked):
    engine, case_id, c, loan_id = worked
    account = get_loan(engine, loan_id).account
    past_due = sum(i.unpaid.total for i in account.installments if i.due < TODAY)
    post_payment(engine, loan_id, Money(past_due, "CNY"), TODAY)  # penalty too: cured
    request = call(at_local(TODAY, 15), outcome=ContactOutcome.ANSWERED)
    with pytest.raises(ConflictError) as refused:
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    assert "nothing past due" in str(refused.value)
    with pytest.raises(ConflictError):
        contacts.record_promise(engine, case_id, Money.of("100"), TODAY, actor=COLLECTOR)
    assert contacts.contacts_of_case(engine, case_id) == []


# 4. an open dispute pauses collection ------------------------------------------------------

BUYER = Actor("b-1", Role.BORROWER)


def disputed_purchase(engine, loan_id: int) -> str:
    """Loan ``loan_id`` as the financing of a captured purchase of ``BUYER``, who disputes
    it on the open business date; the dispute's id."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO merchants (id, legal_name, credit_code, category, settlement_bank,"
                " settlement_account_enc, settlement_account_masked, contact_name,"
                " contact_phone_enc, contact_phone_masked, key_id, status, created_at,"
                " updated_at) VALUES ('m-1', 'Shop', '91110000000000000X', 'retail', 'Bank',"
                " 'x', '****', 'Li', 'x', '138****0000', 'k1', 'active', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO checkout_sessions (id, merchant_id, merchant_order_id,"
                " contract_version, currency, total, allowed_terms, success_url, cancel_url,"
                " status, expires_at, created_at, updated_at, borrower_user_id, captured)"
                " VALUES ('s-1', 'm-1', 'o-1', 1, 'CNY', 300000, '6', 'https://a', 'https://a',"
                " 'captured', :now, :now, :now, 'b-1', 300000)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO checkout_captures (id, session_id, n, amount, subsidy, loan_id,"
                " captured_on, created_at) VALUES ('cap-1', 's-1', 1, 300000, 0, :loan,"
                " :on, :now)"
            ),
            {"loan": loan_id, "on": date(2025, 1, 1), "now": now},
        )
    with UnitOfWork(engine) as uow:
        record, _audit = disputes.open_in_unit(uow, BUYER, "s-1", "the goods never came")
        uow.commit()
    return record.id


def test_an_open_dispute_pauses_contacts_promises_and_the_opening_of_a_case(worked):
    engine, case_id, c, loan_id = worked
    dispute_id = disputed_purchase(engine, loan_id)
    request = call(at_local(TODAY, 10), outcome=ContactOutcome.ANSWERED)
    with pytest.raises(ConflictError) as refused:
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    assert "dispute" in str(refused.value)
    with pytest.raises(ConflictError):
        contacts.record_promise(engine, case_id, Money.of("100"), TODAY, actor=COLLECTOR)
    with engine.begin() as conn:  # a delinquent loan that has no case yet
        conn.execute(sa.text("DELETE FROM collection_cases WHERE id = :c"), {"c": case_id})
    run_cob(engine, TODAY)
    assert case_of(engine, loan_id) is None
    with UnitOfWork(engine) as uow:
        disputes.resolve_in_unit(uow, AGENT, dispute_id, "reject", "the goods were delivered")
        uow.commit()
    run_cob(engine, date(2025, 1, 12))
    assert case_of(engine, loan_id).status == "open"


# 5. unreachable counts the current case only ---------------------------------------------


def test_failed_calls_of_a_cured_case_do_not_make_the_borrower_unreachable_again(worked):
    engine, case_id, c, loan_id = worked
    fail_three_calls(engine, case_id, c, TODAY)
    first = get_loan(engine, loan_id).account.installments[0]
    post_payment(engine, loan_id, Money(first.unpaid.total + 500, "CNY"), TODAY)
    run_cob(engine, date(2025, 1, 12))
    assert case_of(engine, loan_id).status == "closed"
    run_cob(engine, date(2025, 2, 20))
    reopened = case_of(engine, loan_id)
    assert (reopened.status, int(reopened.id)) == ("open", case_id)
    day = date(2025, 2, 21)
    assert refused_rule(engine, case_id, locate(at_local(day, 10)), c) == ("third_party_purpose")
    fail_three_calls(engine, case_id, c, day)
    located = contacts.log_contact(
        engine, case_id, locate(at_local(day, 10)), cipher=c, actor=COLLECTOR
    )
    assert located.status == "made"


# 6. an agency acts on its own cases only -------------------------------------------------


def test_an_agency_collector_acts_only_on_the_loans_its_agency_holds(engine):
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(
        engine, hasher, email="acme-1@example.com", password="pw-123456!",
        role=Role.COLLECTOR, actor=ADMIN,
    )  # fmt: skip
    outsider = Actor(user.id, Role.COLLECTOR)
    collections.add_agency(engine, "acme", "Acme Collections", actor=ADMIN)
    collection_views.add_agency_user(engine, "acme", user.id, actor=ADMIN)
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)  # an in-house case
    with pytest.raises(NotFoundError) as register:
        contacts.register_party(
            engine, loan_id, Party.EMERGENCY_CONTACT, phone=STRANGER_PHONE, name="王五",
            cipher=c, actor=outsider,
        )  # fmt: skip
    assert register.value.field == "loan_id"
    with pytest.raises(NotFoundError) as plan:
        propose_plan(
            engine, loan_id, HardshipKind.SETTLEMENT, amount=Money.of("10"),
            reason="agency proposes", actor=outsider,
        )  # fmt: skip
    assert plan.value.field == "loan_id"
    with UnitOfWork(engine) as uow:
        assert uow.collections.parties_of(loan_id) == []
        assert uow.collections.plans_of(loan_id) == []
    collections.assign_agency(engine, int(case_of(engine, loan_id).id), "acme", actor=AGENT)
    contacts.register_party(
        engine, loan_id, Party.BORROWER, phone=BORROWER_PHONE, name="张伟", cipher=c,
        actor=outsider,
    )  # fmt: skip
    proposed = propose_plan(
        engine, loan_id, HardshipKind.SETTLEMENT, amount=Money.of("1000"),
        reason="agency proposes", actor=outsider,
    )  # fmt: skip
    assert proposed.proposed_by == user.id
