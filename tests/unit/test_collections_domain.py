"""The collections domain without a database: conduct rules, strategies and arms, promises,
hardship rules, agency redaction and the measures, each against hand-worked expectations."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from thinfile.collections import (
    CONTROL,
    Arm,
    CaseFacts,
    CaseResult,
    Channel,
    ContactAttempt,
    ContactOutcome,
    ContactRecord,
    HardshipKind,
    History,
    Party,
    PromiseStatus,
    Purpose,
    Script,
    assign_arm,
    check_approver,
    check_conduct,
    check_months,
    check_promise,
    check_reage_allowed,
    collection_rates,
    conduct_breaches,
    is_unreachable,
    promise_kept_rate,
    promise_status,
    redact_for_agency,
    settlement_split,
    strategy_for,
)
from thinfile.errors import (
    ConductRuleBrokenError,
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
)

TALK = Script("overdue-reminder", discloses_debt=True)
LOCATE = Script("locate-borrower", discloses_debt=False)
FINE = History(unanswered_today=0, borrower_unreachable=False, number_is_registered=True)


def shanghai(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 3, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def attempt(at: datetime, **kw: object) -> ContactAttempt:
    values: dict[str, object] = dict(
        channel=Channel.PHONE,
        party=Party.BORROWER,
        at=at,
        purpose=Purpose.COLLECT,
        script=TALK,
        reason="overdue",
    )
    values.update(kw)
    return ContactAttempt(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (12, 0, True), (21, 59, True), (22, 0, False), (3, 0, False)],
)
def test_the_contact_window_is_eight_to_twenty_two_borrowers_time(hour, minute, allowed):
    rules = [b.rule for b in conduct_breaches(attempt(shanghai(hour, minute)), FINE)]
    assert (rules == []) is allowed
    if not allowed:
        assert rules == ["contact_window"]


def test_the_window_follows_the_borrowers_own_time_zone_and_consent():
    ten_in_shanghai = shanghai(10)  # 03:00 in Berlin (winter): outside there
    at_night = attempt(ten_in_shanghai, time_zone="Europe/Berlin")
    with pytest.raises(ConductRuleBrokenError) as refused:
        check_conduct(at_night, FINE)
    assert refused.value.value == "contact_window"
    assert "the borrower has not agreed to be contacted out of hours" in str(refused.value)
    assert refused.value.remedy == "contact between 08:00 and 22:00 in the borrower's time zone"
    agreed = replace(FINE, borrower_agreed_out_of_hours=True)  # their recorded consent
    assert conduct_breaches(at_night, agreed) == ()
    third_party = replace(at_night, party=Party.EMERGENCY_CONTACT, purpose=Purpose.LOCATE,
                          script=LOCATE)  # fmt: skip
    unreachable = replace(agreed, borrower_unreachable=True)
    assert [b.rule for b in conduct_breaches(third_party, unreachable)] == ["contact_window"]
    with pytest.raises(InvalidInputError) as bad:
        conduct_breaches(attempt(ten_in_shanghai, time_zone="Mars/Base"), FINE)
    assert bad.value.field == "time_zone"
    with pytest.raises(InvalidInputError):
        conduct_breaches(attempt(datetime(2025, 3, 3, 10)), FINE)  # naive time


def test_six_unanswered_calls_allow_no_seventh_but_an_sms_is_not_a_call():
    five = History(5, False, True)
    six = History(6, False, True)
    assert conduct_breaches(attempt(shanghai(10)), five) == ()
    with pytest.raises(ConductRuleBrokenError) as seventh:
        check_conduct(attempt(shanghai(10)), six)
    assert (seventh.value.value, seventh.value.code) == ("call_cap", "conduct_rule_broken")
    assert conduct_breaches(attempt(shanghai(10), channel=Channel.SMS), six) == ()


def test_third_parties_only_the_registered_emergency_contact_to_locate_without_the_debt():
    unreachable = History(0, True, True)
    ok = attempt(shanghai(10), party=Party.EMERGENCY_CONTACT, purpose=Purpose.LOCATE, script=LOCATE)
    assert conduct_breaches(ok, unreachable) == ()
    cases = [
        (attempt(shanghai(10), party=Party.OTHER, purpose=Purpose.LOCATE, script=LOCATE),
         unreachable, "third_party_not_emergency_contact"),
        (ok, History(0, True, False), "third_party_not_emergency_contact"),
        (ok, History(0, False, True), "third_party_purpose"),
        (attempt(shanghai(10), party=Party.EMERGENCY_CONTACT, script=LOCATE), unreachable,
         "third_party_purpose"),
        (attempt(shanghai(10), party=Party.EMERGENCY_CONTACT, purpose=Purpose.LOCATE),
         unreachable, "debt_disclosed"),
    ]  # fmt: skip
    for a, h, rule in cases:
        assert [b.rule for b in conduct_breaches(a, h)] == [rule]


def test_a_blank_reason_is_refused_and_every_broken_rule_is_named():
    a = attempt(shanghai(23), reason="  ", party=Party.OTHER)
    with pytest.raises(ConductRuleBrokenError) as refused:
        check_conduct(a, History(6, False, False))
    assert refused.value.value == "reason_required"
    assert refused.value.extra["rules"] == [
        "reason_required",
        "contact_window",
        "call_cap",
        "third_party_not_emergency_contact",
    ]


def _record(
    minute: int,
    outcome: ContactOutcome,
    party: Party = Party.BORROWER,
    channel: Channel = Channel.PHONE,
) -> ContactRecord:
    return ContactRecord(party, channel, shanghai(9, minute), outcome, "n")


def test_a_borrower_is_unreachable_after_three_failed_attempts_in_a_row_or_an_invalid_number():
    u, a = ContactOutcome.UNANSWERED, ContactOutcome.ANSWERED
    assert not is_unreachable([_record(0, u), _record(1, u)])
    assert is_unreachable([_record(0, u), _record(1, u), _record(2, u)])
    assert not is_unreachable([_record(0, u), _record(1, u), _record(2, a)])
    assert is_unreachable([_record(0, ContactOutcome.INVALID_NUMBER)])
    assert not is_unreachable([_record(k, u, Party.EMERGENCY_CONTACT) for k in range(3)])


def test_texts_left_unanswered_never_make_the_borrower_unreachable():
    """Three calls unanswered in a row are needed: texts (read later, perhaps) do not count,
    and a text the borrower answered ends the run."""
    u, a, sms = ContactOutcome.UNANSWERED, ContactOutcome.ANSWERED, Channel.SMS
    assert not is_unreachable([_record(k, u, channel=sms) for k in range(3)])
    assert not is_unreachable([_record(0, u), _record(1, u, channel=sms), _record(2, u)])
    assert is_unreachable([_record(0, u), _record(1, u, channel=sms), _record(2, u), _record(3, u)])
    assert not is_unreachable(
        [_record(0, u), _record(1, u), _record(2, a, channel=sms), _record(3, u)]
    )
    assert is_unreachable([_record(0, ContactOutcome.INVALID_NUMBER, channel=sms)])


def test_strategies_by_bucket():
    assert strategy_for("M1").value == "self_service"
    assert {strategy_for(b).value for b in ("M2", "M3", "M6+")} == {"agent"}


def _oracle_arm(loan_id: int) -> str:
    """The arm by hand: sha256 of 'salt:id', first 8 bytes over 2**64."""
    u = int.from_bytes(hashlib.sha256(f"s:{loan_id}".encode()).digest()[:8], "big") / 2**64
    if u < 0.1:
        return CONTROL
    return "champion" if (u - 0.1) / 0.9 < 0.7 else "challenger"


def test_champion_challenger_arms_are_deterministic_by_loan_id_with_a_control_group():
    arms = (Arm("champion", Decimal("0.7")), Arm("challenger", Decimal("0.3")))
    drawn = [assign_arm(i, arms, control=Decimal("0.1"), salt="s") for i in range(1, 20001)]
    assert drawn == [_oracle_arm(i) for i in range(1, 20001)]
    share = Counter(drawn)
    assert abs(share[CONTROL] / 20000 - 0.1) < 0.01
    assert abs(share["champion"] / 20000 - 0.63) < 0.015
    with pytest.raises(InvalidInputError) as bad:
        assign_arm(1, (Arm("a", Decimal("0.5")),), control=Decimal("0.1"), salt="s")
    assert bad.value.field == "arms"
    with pytest.raises(InvalidInputError):
        assign_arm(1, arms, control=Decimal("1"), salt="s")


def test_a_promise_is_kept_by_the_amount_and_broken_once_its_date_is_closed_without_it():
    due = date(2025, 3, 10)
    assert promise_status(30000, due, 30000, date(2025, 3, 5)) is PromiseStatus.KEPT
    assert promise_status(30000, due, 29999, date(2025, 3, 9)) is PromiseStatus.PENDING
    assert promise_status(30000, due, 29999, due) is PromiseStatus.BROKEN
    for amount, when in [(0, due), (-1, due), (True, due), (100, date(2025, 3, 1)),
                         (100, date(2025, 4, 10))]:  # fmt: skip
        with pytest.raises(InvalidInputError):
            check_promise(amount, when, date(2025, 3, 2))


def test_maker_checker_and_the_restructure_once_in_twelve_months():
    with pytest.raises(PermissionDeniedError) as same:
        check_approver("u1", "u1")
    assert same.value.field == "approver"
    check_approver("u1", "u2")
    check_reage_allowed([date(2024, 3, 1)], date(2025, 3, 1))  # exactly twelve months before
    with pytest.raises(ConflictError):
        check_reage_allowed([date(2024, 3, 2)], date(2025, 3, 1))
    with pytest.raises(ConflictError):  # a leap day: a year later has no 29 February
        check_reage_allowed([date(2024, 2, 29)], date(2025, 2, 28))
    check_reage_allowed([date(2024, 2, 29)], date(2025, 3, 1))
    assert check_months(HardshipKind.PAYMENT_HOLIDAY, 3) == 3
    assert check_months(HardshipKind.SETTLEMENT, None) == 0
    bad_months = [
        (HardshipKind.PAYMENT_HOLIDAY, 0),
        (HardshipKind.TERM_EXTENSION, 7),
        (HardshipKind.TERM_EXTENSION, None),
        (HardshipKind.RESTRUCTURE, 2),
    ]
    for kind, months in bad_months:
        with pytest.raises(InvalidInputError):
            check_months(kind, months)


def test_a_settlement_pays_less_than_owed_and_writes_off_the_rest():
    split = settlement_split(60_000, 100_001)
    assert (split.paid, split.written_off) == (60_000, 40_001)
    for amount in (0, -5, 100_002, True):
        with pytest.raises(InvalidInputError):
            settlement_split(amount, 100_001)


def test_an_agency_sees_no_id_number_balance_or_third_party_number():
    facts = CaseFacts(
        case_id=1, loan_id=2, bucket="M3", days_past_due=70, overdue_fen=123, outstanding_fen=999,
        currency="CNY", borrower_name_masked="张*", id_number_masked="1101**********1234",
        numbers_masked=(("borrower", "138****5678"), ("emergency_contact", "139****4321")),
        assignee="c-1", agency="acme",
    )  # fmt: skip
    view = redact_for_agency(facts)
    names = {f.name for f in fields(view)}
    assert names.isdisjoint({"id_number_masked", "outstanding_fen", "assignee", "numbers_masked"})
    assert view.borrower_numbers_masked == ("138****5678",)
    assert "139****4321" not in repr(view) and "1101" not in repr(view)


def test_cure_roll_forward_and_promise_kept_rates_by_strategy_and_bucket():
    results = [
        CaseResult("agent", "M2", "CURRENT"),
        CaseResult("agent", "M2", "M3"),
        CaseResult("agent", "M2", "M2"),
        CaseResult("agent", "M2", "charged-off"),
        CaseResult("self_service", "M1", "closed"),
    ]
    rates = collection_rates(results)
    assert rates[("agent", "M2")].cure_rate == Decimal("0.25")
    assert rates[("agent", "M2")].roll_forward_rate == Decimal("0.5")
    assert rates[("self_service", "M1")].cure_rate == Decimal(1)
    assert rates[("self_service", "M1")].cases == 1
    kept = promise_kept_rate(
        [("agent", "M2", "kept"), ("agent", "M2", "broken"), ("agent", "M2", "pending"),
         ("agent", "M3", "broken")]
    )  # fmt: skip
    assert kept == {("agent", "M2"): Decimal("0.5"), ("agent", "M3"): Decimal(0)}
