"""Collection cases on both databases: opened by close of business from the buckets, worked
under the conduct rules (each refused and logged when broken), promises settled by close of
business, agencies seeing only a redacted case."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import (
    ADMIN,
    AGENT,
    AGENT_2,
    BORROWER_PHONE,
    COLLECTOR,
    COLLECTOR_2,
    EMERGENCY_PHONE,
    FIRST_DUE,
    STRANGER_PHONE,
    at_local,
    call,
    case_of,
    cipher,
    delinquent_loan,
    delinquent_loans,
    with_parties,
)
from thinfile.collections import ContactOutcome, Party, Purpose, Strategy
from thinfile.errors import (
    ConductRuleBrokenError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date, collections
from thinfile.services import collection_contacts as contacts
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import register_party
from thinfile.services.identity_records import Actor
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.payments import post_payment
from thinfile.services.uow import UnitOfWork

M1_DAY = date(2025, 1, 10)  # first installment due 2025-01-06, unpaid
M3_DAY = date(2025, 3, 10)
TODAY = date(2025, 1, 11)  # the business date after M1_DAY


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    """Business dates follow the book, not the wall clock (which is later than 2025)."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def contact_rows(engine, case_id: int) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [
            (r.status, r.rule)
            for r in conn.execute(
                sa.text(
                    "SELECT status, rule FROM collection_contacts WHERE case_id = :c ORDER BY id"
                ),
                {"c": case_id},
            )
        ]


def test_close_of_business_opens_a_case_per_delinquent_loan_with_its_strategy(engine):
    m1 = delinquent_loan(engine, M1_DAY)
    case = case_of(engine, m1)
    assert (case.status, case.bucket, case.strategy) == ("open", "M1", "self_service")
    assert case.arm in {"champion", "challenger", "control"}
    run_cob(engine, M3_DAY)
    case = case_of(engine, m1)
    assert (case.bucket, case.entry_bucket, case.strategy) == ("M3", "M1", "agent")
    listed = collections.worklist(engine, strategy=Strategy.AGENT, bucket="M3")
    assert [c.loan_id for c in listed] == [m1]
    assert listed[0].days_past_due == (M3_DAY - FIRST_DUE).days


def test_a_cured_loan_closes_its_case_and_measures_count_the_cure(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    post_payment(engine, loan_id, Money.of("600"), TODAY)
    run_cob(engine, TODAY)
    assert case_of(engine, loan_id).status == "closed"
    measures = collections.collection_measures(engine)
    rates = measures.rates[(case_of(engine, loan_id).strategy, "M1")]
    assert (rates.cases, rates.cure_rate, rates.roll_forward_rate) == (1, Decimal(1), Decimal(0))


def test_assignment_needs_a_servicing_role_and_an_existing_user(engine):
    loan_id = delinquent_loan(engine, M1_DAY)
    case_id = int(case_of(engine, loan_id).id)
    with pytest.raises(PermissionDeniedError):
        collections.assign_case(engine, case_id, "c-1", actor=COLLECTOR)
    with pytest.raises(NotFoundError) as missing:
        collections.assign_case(engine, case_id, "nobody", actor=AGENT)
    assert missing.value.field == "assignee"


@pytest.fixture
def worked(engine):
    """A case in M1 with the borrower and the emergency contact registered."""
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)
    with_parties(engine, loan_id, c)
    return engine, int(case_of(engine, loan_id).id), c


def test_a_contact_within_the_rules_is_logged(worked):
    engine, case_id, c = worked
    logged = contacts.log_contact(
        engine,
        case_id,
        call(at_local(TODAY, 10), outcome=ContactOutcome.ANSWERED),
        cipher=c,
        actor=COLLECTOR,
    )
    assert (logged.status, logged.number_masked) == ("made", "138****5678")
    assert contact_rows(engine, case_id) == [("made", None)]


@pytest.mark.parametrize("reason", ["paid \u202e2 late", "note\x00", "two\u200bdays"])
def test_a_reason_that_would_read_otherwise_than_written_is_refused(worked, reason):
    """The contact log is what a complaint is judged on: a direction override, NUL or
    zero-width character in its reason is refused naming the field, and nothing is logged."""
    engine, case_id, c = worked
    with pytest.raises(InvalidInputError) as refused:
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 10), reason=reason), cipher=c, actor=COLLECTOR
        )
    assert refused.value.field == "reason"
    assert contact_rows(engine, case_id) == []


@pytest.mark.parametrize(
    ("request_of", "rule"),
    [
        (lambda: call(at_local(TODAY, 22, 0)), "contact_window"),
        (lambda: call(at_local(TODAY, 7, 59)), "contact_window"),
        (lambda: call(at_local(TODAY, 10), reason="   "), "reason_required"),
        (
            lambda: call(
                at_local(TODAY, 10),
                party=Party.OTHER,
                phone=STRANGER_PHONE,
                purpose=Purpose.LOCATE,
                script="locate-borrower",
            ),
            "third_party_not_emergency_contact",
        ),
        (
            lambda: call(
                at_local(TODAY, 10),
                party=Party.EMERGENCY_CONTACT,
                phone=STRANGER_PHONE,
                purpose=Purpose.LOCATE,
                script="locate-borrower",
            ),
            "third_party_not_emergency_contact",
        ),
        (
            lambda: call(
                at_local(TODAY, 10),
                party=Party.EMERGENCY_CONTACT,
                phone=EMERGENCY_PHONE,
                purpose=Purpose.LOCATE,
                script="locate-borrower",
            ),
            "third_party_purpose",  # the borrower was never tried: not unreachable
        ),
    ],
)
def test_each_conduct_rule_broken_is_refused_and_the_refusal_logged(worked, request_of, rule):
    engine, case_id, c = worked
    with pytest.raises(ConductRuleBrokenError) as refused:
        contacts.log_contact(engine, case_id, request_of(), cipher=c, actor=COLLECTOR)
    assert refused.value.value == rule
    assert contact_rows(engine, case_id) == [("refused", rule)]


def _unreachable(engine, case_id, c) -> None:
    for minute in range(3):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 9, minute)), cipher=c, actor=COLLECTOR
        )


def test_the_emergency_contact_only_to_locate_and_never_told_the_debt(worked):
    engine, case_id, c = worked
    _unreachable(engine, case_id, c)
    emergency: dict[str, Any] = dict(party=Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE)
    with pytest.raises(ConductRuleBrokenError) as told:
        contacts.log_contact(
            engine,
            case_id,
            call(
                at_local(TODAY, 11), purpose=Purpose.LOCATE, script="overdue-reminder", **emergency
            ),
            cipher=c,
            actor=COLLECTOR,
        )
    assert told.value.value == "debt_disclosed"
    with pytest.raises(ConductRuleBrokenError) as collecting:
        contacts.log_contact(
            engine,
            case_id,
            call(
                at_local(TODAY, 11), purpose=Purpose.COLLECT, script="locate-borrower", **emergency
            ),
            cipher=c,
            actor=COLLECTOR,
        )
    assert collecting.value.value == "third_party_purpose"
    located = contacts.log_contact(
        engine,
        case_id,
        call(
            at_local(TODAY, 11),
            purpose=Purpose.LOCATE,
            script="locate-borrower",
            outcome=ContactOutcome.ANSWERED,
            **emergency,
        ),
        cipher=c,
        actor=COLLECTOR,
    )
    assert located.status == "made"
    assert [r for r in contact_rows(engine, case_id) if r[0] == "refused"] == [
        ("refused", "debt_disclosed"),
        ("refused", "third_party_purpose"),
    ]


def test_a_seventh_unanswered_call_to_one_number_in_a_day_is_refused(worked):
    engine, case_id, c = worked
    for minute in range(6):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 9, minute)), cipher=c, actor=COLLECTOR
        )
    with pytest.raises(ConductRuleBrokenError) as seventh:
        contacts.log_contact(
            engine,
            case_id,
            call(at_local(TODAY, 9, 30), outcome=ContactOutcome.ANSWERED),
            cipher=c,
            actor=COLLECTOR_2,
        )
    assert seventh.value.value == "call_cap"
    # the next local day (after midnight in Shanghai, still the same UTC day) starts again
    next_day = at_local(TODAY + timedelta(days=1), 8, 5)
    assert (
        contacts.log_contact(engine, case_id, call(next_day), cipher=c, actor=COLLECTOR).status
        == "made"
    )
    assert contact_rows(engine, case_id).count(("refused", "call_cap")) == 1


def test_voicemails_left_count_toward_the_daily_call_cap(worked):
    """Three voicemails and three calls unanswered are six calls no one picked up: a seventh
    that day is refused, a voicemail as much as any."""
    engine, case_id, c = worked
    left, unanswered = ContactOutcome.MESSAGE_LEFT, ContactOutcome.UNANSWERED
    for minute, outcome in enumerate((left, unanswered) * 3):
        request = call(at_local(TODAY, 10, minute), outcome=outcome)
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    with pytest.raises(ConductRuleBrokenError) as seventh:
        request = call(at_local(TODAY, 11, 0), outcome=left)
        contacts.log_contact(engine, case_id, request, cipher=c, actor=COLLECTOR)
    assert seventh.value.value == "call_cap"


def test_two_agents_calling_at_once_cannot_make_a_seventh_call(worked):
    engine, case_id, c = worked
    for minute in range(4):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 9, minute)), cipher=c, actor=COLLECTOR
        )
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def dial(k: int) -> None:
        barrier.wait()
        try:
            contacts.log_contact(
                engine,
                case_id,
                call(at_local(TODAY, 10, k)),
                cipher=c,
                actor=COLLECTOR if k % 2 else COLLECTOR_2,
            )
            outcomes.append("made")
        except ConductRuleBrokenError:
            outcomes.append("refused")

    threads = [threading.Thread(target=dial, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["made", "made"] + ["refused"] * 4
    made = [r for r in contact_rows(engine, case_id) if r[0] == "made"]
    assert len(made) == 6


def test_a_borrower_and_their_collector_cannot_log_for_another_role(worked):
    engine, case_id, c = worked
    with pytest.raises(PermissionDeniedError):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 10)), cipher=c, actor=Actor("b", Role.BORROWER)
        )
    assert contact_rows(engine, case_id) == []


def test_promises_are_kept_or_broken_by_close_of_business_from_payments_received(engine):
    kept_loan, broken_loan = delinquent_loans(engine, M1_DAY, "3000", "4000")
    kept_case, broken_case = (int(case_of(engine, i).id) for i in (kept_loan, broken_loan))
    due = TODAY + timedelta(days=3)
    contacts.record_promise(engine, kept_case, Money.of("300"), due, actor=COLLECTOR)
    contacts.record_promise(engine, broken_case, Money.of("300"), due, actor=COLLECTOR)
    post_payment(engine, kept_loan, Money.of("200"), TODAY)
    post_payment(engine, broken_loan, Money.of("100"), TODAY)
    run_cob(engine, TODAY)
    assert [p.status.value for p in contacts.promises_of_case(engine, kept_case)] == ["pending"]
    post_payment(engine, kept_loan, Money.of("100"), TODAY + timedelta(days=1))
    run_cob(engine, due)
    kept = contacts.promises_of_case(engine, kept_case)[0]
    broken = contacts.promises_of_case(engine, broken_case)[0]
    assert (kept.status.value, kept.paid) == ("kept", Money.of("300"))
    assert (broken.status.value, broken.paid) == ("broken", Money.of("100"))
    with UnitOfWork(engine) as uow:  # the step again for the same date changes nothing
        assert contacts.settle_promises_in_unit(uow, due) == 0
    rates = collections.collection_measures(engine).promise_kept
    assert rates == {("self_service", "M1"): Decimal("0.5")}  # one kept of two


def test_one_payment_counts_once_across_a_loans_promises(engine):
    # two promises of 300 (due in 3 and 10 days), one payment of 300: the earlier-due
    # promise is kept; the other has received nothing and breaks on its date
    [loan] = delinquent_loans(engine, M1_DAY, "3000")
    case_id = int(case_of(engine, loan).id)
    soon, later = TODAY + timedelta(days=3), TODAY + timedelta(days=10)
    contacts.record_promise(engine, case_id, Money.of("300"), later, actor=COLLECTOR)
    contacts.record_promise(engine, case_id, Money.of("300"), soon, actor=COLLECTOR)
    post_payment(engine, loan, Money.of("300"), TODAY)
    run_cob(engine, TODAY)
    found = {p.due: (p.status.value, p.paid) for p in contacts.promises_of_case(engine, case_id)}
    assert found == {soon: ("kept", Money.of("300")), later: ("pending", Money.of("0"))}
    post_payment(engine, loan, Money.of("120"), TODAY + timedelta(days=4))
    run_cob(engine, later)
    found = {p.due: (p.status.value, p.paid) for p in contacts.promises_of_case(engine, case_id)}
    assert found == {soon: ("kept", Money.of("300")), later: ("broken", Money.of("120"))}


def test_a_promise_kept_by_a_payment_later_reversed_is_judged_again(engine):
    """A promise of 300 kept by a payment of 300; the payment is reversed (it never arrived):
    the promise is pending again, and broken at its date with nothing received."""
    [loan] = delinquent_loans(engine, M1_DAY, "3000")
    case_id = int(case_of(engine, loan).id)
    due = TODAY + timedelta(days=3)
    contacts.record_promise(engine, case_id, Money.of("300"), due, actor=COLLECTOR)
    receipt = post_payment(engine, loan, Money.of("300"), TODAY)
    run_cob(engine, TODAY)
    [promise] = contacts.promises_of_case(engine, case_id)
    assert (promise.status.value, promise.paid) == ("kept", Money.of("300"))
    reverse_payment(engine, receipt.txn_id, TODAY + timedelta(days=1), reason="bounced")
    run_cob(engine, TODAY + timedelta(days=1))
    [promise] = contacts.promises_of_case(engine, case_id)
    assert (promise.status.value, promise.paid) == ("pending", Money.of("0"))
    run_cob(engine, due)
    [promise] = contacts.promises_of_case(engine, case_id)
    assert (promise.status.value, promise.paid) == ("broken", Money.of("0"))
    rates = collections.collection_measures(engine).promise_kept
    assert set(rates.values()) == {Decimal("0")}


def test_an_agency_sees_a_redacted_case_and_acts_under_the_same_rules(worked):
    engine, case_id, c = worked
    collections.add_agency(engine, "acme", "Acme Collections", actor=ADMIN)
    collections.assign_agency(engine, case_id, "acme", actor=AGENT)
    view = collections.agency_case(engine, case_id, agency="acme")
    assert view.borrower_numbers_masked == ("138****5678",)
    assert view.borrower_name_masked == "张*"
    assert not hasattr(view, "id_number_masked") and not hasattr(view, "outstanding_fen")
    with pytest.raises(NotFoundError):
        collections.agency_case(engine, case_id, agency="other")
    with pytest.raises(ConductRuleBrokenError):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 23)), cipher=c, actor=COLLECTOR, agency="acme"
        )
    with pytest.raises(PermissionDeniedError):
        contacts.log_contact(
            engine, case_id, call(at_local(TODAY, 10)), cipher=c, actor=COLLECTOR, agency="other"
        )
    collections.recall_agency(engine, case_id, actor=AGENT_2)
    with pytest.raises(NotFoundError):
        collections.agency_case(engine, case_id, agency="acme")
    with engine.connect() as conn:
        agencies = conn.execute(sa.text("SELECT agency FROM collection_contacts")).scalars().all()
    assert agencies == ["acme"]
    assert BORROWER_PHONE not in str(view)


def test_no_one_hears_the_debt_by_being_called_the_borrower_on_a_loan_without_their_number(
    engine,
):
    """A loan whose borrower has no profile, with only the emergency contact registered: a
    call "as the borrower" to the emergency contact's number, or to a stranger's, would tell
    them of the debt — refused and logged as refused; the emergency contact's number is not
    taken as the borrower's either. Once staff register the borrower's own, it is called."""
    c = cipher()
    loan_id = delinquent_loan(engine, M1_DAY)
    register_party(
        engine, loan_id, Party.EMERGENCY_CONTACT, phone=EMERGENCY_PHONE, name="李娜",
        cipher=c, actor=AGENT,
    )  # fmt: skip
    case_id = int(case_of(engine, loan_id).id)
    for number in (EMERGENCY_PHONE, STRANGER_PHONE):
        with pytest.raises(ConductRuleBrokenError) as refused:
            contacts.log_contact(
                engine, case_id, call(at_local(TODAY, 10), phone=number), cipher=c,
                actor=COLLECTOR,
            )  # fmt: skip
        assert refused.value.value == "borrower_number_not_own"
    with pytest.raises(ConflictError) as taken:
        register_party(
            engine, loan_id, Party.BORROWER, phone=EMERGENCY_PHONE, name="张伟", cipher=c,
            actor=AGENT,
        )  # fmt: skip
    assert taken.value.field == "phone"
    register_party(
        engine, loan_id, Party.BORROWER, phone=BORROWER_PHONE, name="张伟", cipher=c, actor=AGENT
    )
    made = contacts.log_contact(
        engine, case_id, call(at_local(TODAY, 10, 5)), cipher=c, actor=COLLECTOR
    )
    assert made.status == "made"
    assert contact_rows(engine, case_id) == [
        ("refused", "borrower_number_not_own"),
        ("refused", "borrower_number_not_own"),
        ("made", None),
    ]
