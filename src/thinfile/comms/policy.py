"""The contact rules, in one place: quiet hours, daily caps, deduplication, channels.

* **Quiet hours** (DOMAIN.md §5.6): no e-mail or SMS from 22:00 to 08:00 in the borrower's time
  zone (Asia/Shanghai unless they set another). A message due then is deferred to 08:00, never
  dropped. The in-app message centre is not a contact (nothing rings): it is stored at once.
* **Daily caps**: at most so many messages a day to one borrower by one channel, counted on
  the borrower's local date; one over the cap waits for the next morning.
* **Deduplication**: a message of one kind about one loan and one due date is written once
  (:func:`dedupe_key`).
* **Channels**: a borrower may turn every service message to in-app only, except the notices
  the law requires; a marketing message needs the separate marketing consent.

The delivery worker (``thinfile.services.notification_delivery``) applies these when it claims
messages, under the database's locks, so two workers never break a cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from thinfile.comms.kinds import KINDS, Channel, MessageKind
from thinfile.errors import InvalidInputError

__all__ = [
    "DEFAULT_TIME_ZONE",
    "QUIET_END",
    "QUIET_START",
    "DailyCaps",
    "Preferences",
    "channels_for",
    "contact_time",
    "dedupe_key",
    "in_quiet_hours",
    "local_day",
    "next_local_morning",
    "zone_of",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)


def zone_of(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (the default when None); a typed error naming the field."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            "not a time zone such as Asia/Shanghai", field="time_zone", value=str(name)
        ) from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInputError("a moment must carry its time zone", field="at", value=str(at))
    return at


def in_quiet_hours(at: datetime, zone: ZoneInfo) -> bool:
    """Whether ``at`` falls from 22:00 to 08:00 (08:00 itself is allowed) in ``zone``."""
    local = _aware(at).astimezone(zone).time()
    return local >= QUIET_START or local < QUIET_END


def next_local_morning(at: datetime, zone: ZoneInfo) -> datetime:
    """08:00 in ``zone`` next after ``at`` (today's when ``at`` is before it)."""
    local = _aware(at).astimezone(zone)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=zone)


def contact_time(at: datetime, zone: ZoneInfo, channel: Channel) -> datetime:
    """When a message due at ``at`` may go by ``channel``: ``at`` itself, or the next 08:00
    when ``at`` is in quiet hours (the in-app centre is never deferred)."""
    if channel is Channel.IN_APP or not in_quiet_hours(at, zone):
        return at
    return next_local_morning(at, zone)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """The borrower's calendar date at ``at`` (what a daily cap counts by)."""
    return _aware(at).astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class DailyCaps:
    """The most messages a day to one borrower by each channel."""

    in_app: int = 10
    email: int = 3
    sms: int = 2

    def __post_init__(self) -> None:
        for name in ("in_app", "email", "sms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
                raise InvalidInputError(
                    "a daily cap is a whole number from 0 to 1000", field=name, value=str(value)
                )

    def of(self, channel: Channel) -> int:
        return int(getattr(self, channel.value))


@dataclass(frozen=True, slots=True)
class Preferences:
    """A borrower's choices: language, time zone, service messages in-app only."""

    language: str = "zh"
    time_zone: str = DEFAULT_TIME_ZONE
    in_app_only: bool = False


def channels_for(
    kind: MessageKind, preferences: Preferences, *, marketing_consent: bool
) -> tuple[Channel, ...]:
    """The channels a message of ``kind`` goes by for this borrower: none for marketing without
    consent; in-app only when chosen, unless the law requires the notice."""
    if KINDS[kind].marketing and not marketing_consent:
        return ()
    return tuple(c for c, kept in channel_choices(kind) if kept or not preferences.in_app_only)


def channel_choices(kind: MessageKind) -> tuple[tuple[Channel, bool], ...]:
    """Each channel of ``kind`` and whether it stays for a borrower who chose in-app only:
    the in-app channel, and every channel of a notice the law requires."""
    rule = KINDS[kind]
    return tuple((c, rule.legally_required or c is Channel.IN_APP) for c in rule.channels)


def dedupe_key(kind: MessageKind, subject: str, day: int | None = None) -> str:
    """The key a message is written once under: kind, what it is about (``loan:<id>``,
    ``txn:<id>``, ``line:<id>:<change>``) and, for reminders and notices, the due date as days
    since 1970-01-01 (the store's day numbers, so close of business builds the same key in
    SQL)."""
    tail = "" if day is None else f":{day}"
    return f"{kind.value}:{subject}{tail}"
