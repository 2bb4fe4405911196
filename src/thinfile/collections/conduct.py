"""Collection conduct (催收行为规范, DOMAIN §5.6 and §16), checked before every contact.

:func:`conduct_breaches` names each rule a contact attempt would break; :func:`check_conduct`
raises :class:`thinfile.errors.ConductRuleBrokenError` naming the first one. The rules:

- ``reason_required`` — every contact records why it is made;
- ``third_party_asked_to_stop`` — a third party who asked not to be contacted again (a contact
  logged with the outcome ``asked_to_stop``) is never contacted again on that number for that
  loan, whoever the contact is said to be for (§5.6 "stop if asked");
- ``contact_window`` — no contact from 22:00 to 08:00 in the borrower's time zone
  (``Asia/Shanghai`` unless the borrower gave another), unless the borrower agreed to it; the
  agreement is a fact of the record (:attr:`History.borrower_agreed_out_of_hours`: a consent
  the borrower gave themselves and had not revoked at the attempt's time), never a collector's
  word in the attempt, and it covers contacts to the borrower only, never to a third party;
- ``call_cap`` — at most :data:`MAX_UNANSWERED_CALLS` unanswered calls a day to one number:
  once six went unanswered, a seventh call that day is refused;
- ``borrower_number_not_own`` — a contact as the borrower is to the borrower's own number
  (so a third party never hears the debt by being called "the borrower");
- ``third_party_not_emergency_contact`` — no third party except the registered emergency
  contact, on the number registered for them;
- ``third_party_purpose`` — the emergency contact only to locate the borrower, and only when the
  borrower is unreachable (an invalid number, or three failed attempts in a row);
- ``debt_disclosed`` — a script that discloses the debt is never used with a third party.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from thinfile.errors import ConductRuleBrokenError, InvalidInputError

__all__ = [
    "CONTACT_WINDOW",
    "DEFAULT_TIME_ZONE",
    "MAX_UNANSWERED_CALLS",
    "UNREACHABLE_AFTER",
    "Breach",
    "Channel",
    "ContactAttempt",
    "ContactOutcome",
    "ContactRecord",
    "History",
    "Party",
    "Purpose",
    "Script",
    "check_conduct",
    "conduct_breaches",
    "is_unreachable",
    "local_time",
    "time_zone",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
CONTACT_WINDOW = (time(8, 0), time(22, 0))
"""Contact is allowed from 08:00 (included) to 22:00 (excluded), borrower's local time."""
MAX_UNANSWERED_CALLS = 6
UNREACHABLE_AFTER = 3
"""Failed attempts in a row after which the borrower counts as unreachable."""


class Channel(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    VISIT = "visit"
    LETTER = "letter"


class Party(enum.StrEnum):
    BORROWER = "borrower"
    EMERGENCY_CONTACT = "emergency_contact"
    """The emergency contact the borrower registered (紧急联系人)."""
    OTHER = "third_party"
    """Anyone else: never contacted."""


class Purpose(enum.StrEnum):
    COLLECT = "collect"
    LOCATE = "locate"
    """Only to ask how to reach the borrower or to pass a message on (失联修复)."""


class ContactOutcome(enum.StrEnum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    INVALID_NUMBER = "invalid_number"
    PROMISE = "promise"
    """The borrower promised to pay (record the promise)."""
    REFUSED_TO_PAY = "refused_to_pay"
    MESSAGE_LEFT = "message_left"
    ASKED_TO_STOP = "asked_to_stop"
    """A third party asked not to be contacted again about the borrower (要求停止联系): the
    number is never contacted again for the loan."""

    @property
    def is_failed(self) -> bool:
        """No one was reached: counts toward the borrower being unreachable."""
        return self in (ContactOutcome.UNANSWERED, ContactOutcome.INVALID_NUMBER)

    @property
    def is_unanswered_call(self) -> bool:
        """A call no one picked up, a voicemail left included: counts toward
        :data:`MAX_UNANSWERED_CALLS` a day (26 voicemails a day are 26 calls)."""
        return self.is_failed or self is ContactOutcome.MESSAGE_LEFT


@dataclass(frozen=True, slots=True)
class Script:
    """An approved collection script (话术): its code and whether it speaks of the debt."""

    code: str
    discloses_debt: bool


@dataclass(frozen=True, slots=True)
class ContactAttempt:
    """One attempt to contact, as an agent or agency asks to make it."""

    channel: Channel
    party: Party
    at: datetime
    """When, time-zone aware."""
    purpose: Purpose
    script: Script
    reason: str
    time_zone: str = DEFAULT_TIME_ZONE


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact made earlier (refused attempts are not contacts)."""

    party: Party
    channel: Channel
    at: datetime
    outcome: ContactOutcome
    number_key: str


@dataclass(frozen=True, slots=True)
class History:
    """What the rules need to know of earlier contacts, registered parties and the borrower's
    recorded consent."""

    unanswered_today: int
    """Unanswered calls to this attempt's number on its local day."""
    borrower_unreachable: bool
    number_is_registered: bool
    """The number is on record for the attempt's party: for the borrower, their own number;
    for a third party, the registered emergency contact's."""
    asked_to_stop: bool = False
    """A third party on this number asked, in an earlier contact about the loan, not to be
    contacted again."""
    borrower_agreed_out_of_hours: bool = False
    """The borrower's own consent to be contacted from 22:00 to 08:00 stood at the attempt's
    time (given by them and not revoked by then). It comes from their recorded consents, not
    from the attempt: a collector cannot agree for the borrower."""


@dataclass(frozen=True, slots=True)
class Breach:
    rule: str
    message: str
    remedy: str


def time_zone(name: str) -> ZoneInfo:
    """The zone ``name`` (IANA), refused with a typed error naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(
            "unknown time zone", field="time_zone", value=name, remedy="use e.g. Asia/Shanghai"
        ) from exc


def local_time(at: datetime, zone: str) -> datetime:
    if at.tzinfo is None:
        raise InvalidInputError(
            "a contact time must carry its time zone", field="at", value=at.isoformat()
        )
    return at.astimezone(time_zone(zone))


def _window(a: ContactAttempt, h: History) -> Breach | None:
    clock = local_time(a.at, a.time_zone).time()
    start, end = CONTACT_WINDOW
    if start <= clock < end:
        return None
    if a.party is not Party.BORROWER:
        why = "a third party is never contacted then, whatever the borrower agreed"
    elif h.borrower_agreed_out_of_hours:
        return None  # the borrower agrees for themselves, never for a third party
    else:
        why = "the borrower has not agreed to be contacted out of hours"
    return Breach(
        "contact_window",
        f"no contact from 22:00 to 08:00 borrower's time ({clock:%H:%M} {a.time_zone}): {why}",
        "contact between 08:00 and 22:00 in the borrower's time zone",
    )


def _third_party(a: ContactAttempt, h: History) -> Breach | None:
    if a.party is Party.BORROWER:
        if h.number_is_registered:
            return None
        return Breach(
            "borrower_number_not_own",
            "a contact as the borrower must be to the borrower's own number",
            "call the borrower on the number in their profile (or registered for them)",
        )
    if a.party is Party.OTHER or not h.number_is_registered:
        return Breach(
            "third_party_not_emergency_contact",
            "only the borrower's registered emergency contact may be contacted",
            "contact the borrower, or the registered emergency contact's number",
        )
    if a.purpose is not Purpose.LOCATE or not h.borrower_unreachable:
        return Breach(
            "third_party_purpose",
            "the emergency contact may be contacted only to locate an unreachable borrower",
            f"try the borrower first ({UNREACHABLE_AFTER} failed attempts or an invalid number)",
        )
    if a.script.discloses_debt:
        return Breach(
            "debt_disclosed",
            "a script that speaks of the debt may not be used with a third party",
            "use a locate script that does not mention the debt",
        )
    return None


def _stop_asked(h: History) -> Breach | None:
    if not h.asked_to_stop:
        return None
    return Breach(
        "third_party_asked_to_stop",
        "a third party on this number asked not to be contacted again about this loan",
        "make no further contact to this number; reach the borrower on their own number",
    )


def conduct_breaches(attempt: ContactAttempt, history: History) -> tuple[Breach, ...]:
    """Every rule ``attempt`` would break, in the order of the module docstring."""
    found: list[Breach | None] = []
    if not attempt.reason.strip():
        found.append(
            Breach("reason_required", "a contact needs a recorded reason", "state the reason")
        )
    found.append(_stop_asked(history))
    found.append(_window(attempt, history))
    if attempt.channel is Channel.PHONE and history.unanswered_today >= MAX_UNANSWERED_CALLS:
        found.append(
            Breach(
                "call_cap",
                f"{history.unanswered_today} unanswered calls to this number today "
                f"(at most {MAX_UNANSWERED_CALLS})",
                "call again tomorrow",
            )
        )
    found.append(_third_party(attempt, history))
    return tuple(b for b in found if b is not None)


def check_conduct(attempt: ContactAttempt, history: History) -> None:
    """Raise :class:`ConductRuleBrokenError` for the first rule ``attempt`` breaks."""
    breaches = conduct_breaches(attempt, history)
    if breaches:
        first = breaches[0]
        raise ConductRuleBrokenError(
            first.message,
            field="contact",
            value=first.rule,
            remedy=first.remedy,
            extra={"rule": first.rule, "rules": [b.rule for b in breaches]},
        )


_ATTEMPTS = (Channel.PHONE, Channel.VISIT)
"""The channels whose failure is an attempt to reach the borrower that failed."""


def is_unreachable(earlier: list[ContactRecord] | tuple[ContactRecord, ...]) -> bool:
    """The borrower is unreachable: the last attempt found an invalid number, or the last
    :data:`UNREACHABLE_AFTER` calls or visits to them all failed with no contact reaching
    them since the first of those. A message (an SMS, a letter) left unanswered is no failed
    attempt — it may be read later — so a few texts never open the emergency contact; one
    that reached them (an answer) ends the run like an answered call."""
    own = sorted((c for c in earlier if c.party is Party.BORROWER), key=lambda c: c.at)
    if own and own[-1].outcome is ContactOutcome.INVALID_NUMBER:
        return True
    failed_calls = 0
    for c in reversed(own):
        if not c.outcome.is_failed:
            return False
        if c.channel in _ATTEMPTS or c.outcome is ContactOutcome.INVALID_NUMBER:
            failed_calls += 1
            if failed_calls == UNREACHABLE_AFTER:
                return True
    return False
