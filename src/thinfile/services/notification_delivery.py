"""The notification delivery worker: claim due deliveries, apply the contact rules, send each
by its channel, record each outcome.

One round of :func:`deliver_due_notifications`::

    write (same unit)          the deliveries of up to FAN_OUT_BATCH messages of a night
                               whose reminders are due (close of business writes the
                               messages alone: thinfile.services.reminders).
    claim (one unit of work)   up to `batch` pending deliveries due now, each given the
                               worker's claim token and a lease (PostgreSQL: FOR UPDATE SKIP
                               LOCKED, so workers never take the same row; SQLite: writers
                               serialised). Then the rules (thinfile.comms.policy), in this
                               one place: quiet hours defer an e-mail or SMS to 08:00 in the
                               borrower's zone; the daily cap of the borrower's channel is
                               reserved under the count row's lock (one over waits for the
                               next morning); a borrower now in-app only, or a marketing
                               consent withdrawn, skips it; no address skips it; a
                               reminder or overdue notice about money paid since (or a loan
                               closed) skips it, one partly paid says what is left
                               (thinfile.services.notice_checks). The words are rendered in
                               the borrower's language.
    send (per delivery)        in-app: stored in the message centre and marked delivered in
                               ONE unit of work — exactly once. E-mail and SMS: handed to the
                               adapter with the delivery's reference (its Message-ID, the
                               SMS client reference), then marked in one unit of work at once.

A worker killed after an e-mail or SMS left and before its mark leaves the row claimed until
the lease ends; the next worker sends it again under the same reference, and the receiver
keeps one (the local mailbox and the sandbox SMS provider do; a real mail server threads it
as the same message). Failures retry with exponential backoff and jitter, then fail.
:func:`run_notification_worker` runs rounds until told to stop (``thinfile notifications
deliver``).
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from thinfile.comms import (
    KINDS,
    Channel,
    DailyCaps,
    MessageKind,
    Preferences,
    contact_time,
    local_day,
    next_local_morning,
    render,
    zone_of,
)
from thinfile.errors import InvalidInputError, ThinfileError
from thinfile.security.crypto import PiiCipher
from thinfile.services.applicants import identity_of_user
from thinfile.services.business_date import lender_date
from thinfile.services.identity_records import new_id, now_utc
from thinfile.services.notice_checks import Checked, check_notices
from thinfile.services.notification_ports import (
    Catalog,
    ChannelError,
    EmailSender,
    MessageCentre,
    NoticeSmsSender,
    OutgoingEmail,
    OutgoingSms,
)
from thinfile.services.notifications import (
    marketing_consent_in,
    message_params,
    preferences_from,
)
from thinfile.services.reminders import NIGHT_RULES
from thinfile.services.uow import UnitOfWork
from thinfile.store.notifications_repo import StoredMessage
from thinfile.store.servicing_codec import to_day

__all__ = [
    "FAN_OUT_BATCH",
    "MAX_BATCH",
    "Channels",
    "DeliveryReport",
    "RetryRules",
    "deliver_due_notifications",
    "reference_of",
    "run_notification_worker",
]

MAX_BATCH = 500
FAN_OUT_BATCH = 2_000
"""Messages of a night whose deliveries one round writes (two or three each)."""
_ERROR_CHARS = 200


@dataclass(frozen=True, slots=True)
class RetryRules:
    """``max_attempts`` tries, backing off from ``base_seconds`` up to ``cap_seconds``
    (±``jitter``); a claim's lease lasts ``lease_seconds``."""

    base_seconds: float = 60.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 8
    jitter: float = 0.2
    lease_seconds: float = 120.0

    def __post_init__(self) -> None:
        checks = (
            ("base_seconds", 0 <= self.base_seconds <= self.cap_seconds),
            ("cap_seconds", math.isfinite(self.cap_seconds)),
            ("max_attempts", 1 <= self.max_attempts <= 100),
            ("jitter", 0 <= self.jitter < 1),
            ("lease_seconds", 0.1 <= self.lease_seconds <= 86_400),
        )
        bad = [name for name, ok in checks if not ok]
        if bad:
            raise InvalidInputError("the retry rules are out of range", field=bad[0])

    def delay(self, attempts: int, draw: float) -> float:
        """Seconds before the next try after ``attempts`` failed ones; ``draw`` in [0, 1)."""
        nominal = min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempts - 1, 62))
        return nominal * (1 - self.jitter + 2 * self.jitter * draw)


@dataclass(frozen=True, slots=True)
class Channels:
    """The adapters of the channels (a channel without one waits: its rows stay pending)."""

    centre: MessageCentre
    email: EmailSender | None = None
    sms: NoticeSmsSender | None = None
    sender_name: str = "thinfile"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    quiet_hours: int = 0
    """Deferred to the end of the channel's quiet hours (no contact at night)."""
    daily_cap: int = 0
    """Deferred to the next local morning: the borrower's daily cap of the channel is used."""

    @property
    def deferred(self) -> int:
        return self.quiet_hours + self.daily_cap

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            *(getattr(self, n) + getattr(other, n) for n in self.__dataclass_fields__)
        )


def reference_of(message: StoredMessage) -> str:
    """The delivery's own id, the same on every try: ``n<message>-<channel>``."""
    return f"n{message.notification_id}-{message.channel}"


@dataclass(slots=True)
class _Job:
    message: StoredMessage
    channel: Channel
    to: str
    subject: str
    body: str
    language: str


@dataclass(slots=True)
class _Claimed:
    jobs: list[_Job] = field(default_factory=list)
    skipped: int = 0
    quiet_hours: int = 0
    daily_cap: int = 0
    failed: int = 0
    total: int = 0


def _address(
    uow: UnitOfWork, cipher: PiiCipher, message: StoredMessage, channel: Channel
) -> str | None:
    if channel is Channel.IN_APP:
        return message.user_id
    if channel is Channel.EMAIL:
        user = uow.users.get(message.user_id)
        return None if user is None or not user.email else str(user.email)
    profile = identity_of_user(uow, cipher, message.user_id)
    return None if profile is None else profile.phone


def _why_not(uow: UnitOfWork, message: StoredMessage, prefs: Preferences) -> str | None:
    kind = MessageKind(message.kind)
    rule = KINDS[kind]
    if rule.marketing and not marketing_consent_in(uow, message.user_id):
        return "no marketing consent"
    if prefs.in_app_only and not rule.legally_required and message.channel != "in_app":
        return "in-app only"
    return None


def _vetted(
    uow: UnitOfWork,
    cipher: PiiCipher,
    message: StoredMessage,
    prefs: Preferences,
    now_owed: dict[tuple[int, str], Checked],
) -> tuple[StoredMessage, str | None, str | None]:
    """The message as it goes (a reminder's or notice's amount what is owed now), why it does
    not (skipped: paid since, no consent, in-app only, no address), and its address."""
    owed, reason = now_owed.get((message.notification_id, message.channel), (message, None))
    if owed is None:  # the money is no longer owed
        return message, reason, None
    reason = _why_not(uow, owed, prefs)
    address = None if reason else _address(uow, cipher, owed, Channel(owed.channel))
    return owed, reason or (None if address else "no address"), address


def _claim(
    engine: Engine,
    channels: Channels,
    catalog: Catalog,
    cipher: PiiCipher,
    caps: DailyCaps,
    rules: RetryRules,
    batch: int,
    claim: str,
    now: datetime,
) -> _Claimed:
    out = _Claimed()
    served = [Channel.IN_APP.value]
    served += [Channel.EMAIL.value] if channels.email is not None else []
    served += [Channel.SMS.value] if channels.sms is not None else []
    with UnitOfWork(engine) as uow:
        repo = uow.notifications
        lease = now + timedelta(seconds=rules.lease_seconds)
        repo.fan_out(now=now, limit=FAN_OUT_BATCH, rules=NIGHT_RULES, at=now_utc())
        claimed = repo.claim_due(
            now=now, limit=batch, claim=claim, lease_until=lease, channels=served
        )
        out.total = len(claimed)
        prefs_of = repo.preferences_of([m.user_id for m in claimed])
        now_owed = check_notices(uow, claimed, today=lender_date(now))  # still owed, in time?
        # count rows are locked in one order (borrower, channel) by every worker: no deadlock
        for message in sorted(claimed, key=lambda m: (m.user_id, m.channel, m.notification_id)):
            channel = Channel(message.channel)
            key = (message.notification_id, message.channel)
            prefs = preferences_from(prefs_of.get(message.user_id))
            try:
                zone = zone_of(prefs.time_zone)
            except InvalidInputError:
                zone = zone_of(None)
            sent, reason, address = _vetted(uow, cipher, message, prefs, now_owed)
            if reason is not None:
                repo.release(
                    *key,
                    claim=claim,
                    values={"status": "skipped", "next_attempt_at": None, "last_error": reason},
                )
                out.skipped += 1
                continue
            when = contact_time(now, zone, channel).astimezone(UTC)
            if when > now:
                repo.release(
                    *key, claim=claim, values={"next_attempt_at": when, "deferred": "quiet_hours"}
                )
                out.quiet_hours += 1
                continue
            today = to_day(local_day(now, zone))
            if message.counted_day != today:
                if not repo.reserve(message.user_id, channel.value, today, caps.of(channel)):
                    repo.release(
                        *key,
                        claim=claim,
                        values={
                            "next_attempt_at": next_local_morning(now, zone).astimezone(UTC),
                            "deferred": "daily_cap",
                        },
                    )
                    out.daily_cap += 1
                    continue
                repo.count(*key, claim=claim, day=today)
            language = prefs.language

            def gettext(text: str, lang: str = language) -> str:
                return catalog.gettext(lang, text)

            try:
                words = render(MessageKind(sent.kind), message_params(sent), gettext)
            except (InvalidInputError, ValueError) as broken:  # a message that cannot be said
                repo.release(
                    *key,
                    claim=claim,
                    values={
                        "status": "failed",
                        "next_attempt_at": None,
                        "last_error": str(broken)[:_ERROR_CHARS],
                    },
                )
                out.failed += 1
                continue
            assert address is not None
            out.jobs.append(_Job(sent, channel, address, words.subject, words.body, language))
        uow.commit()
    return out


def _send(channels: Channels, job: _Job) -> str:
    reference = reference_of(job.message)
    if job.channel is Channel.EMAIL:
        assert channels.email is not None
        email = OutgoingEmail(job.to, job.subject, job.body, reference, job.language)
        return channels.email.send(email)
    assert channels.sms is not None
    text = f"【{channels.sender_name}】{job.subject}: {job.body}"
    return channels.sms.send(OutgoingSms(job.to, text, reference))


def _words(job: _Job) -> dict[str, object]:
    return {"subject": job.subject, "body": job.body, "language": job.language}


def _deliver_in_app(engine: Engine, channels: Channels, job: _Job, claim: str) -> bool:
    with UnitOfWork(engine) as uow:
        ref = channels.centre.post_in_unit(uow, job.message, job.subject, job.body, job.language)
        at = now_utc()
        values = {
            "status": "delivered",
            "provider_ref": ref,
            "attempts": job.message.attempts + 1,
            "last_attempt_at": at,
            "delivered_at": at,
            "next_attempt_at": None,
            "deferred": None,
            **_words(job),
        }
        if not uow.notifications.release(
            job.message.notification_id, job.channel.value, claim=claim, values=values
        ):
            return False  # the lease ran out and another worker has it: store nothing
        uow.commit()
    return True


def _record(
    engine: Engine, job: _Job, claim: str, values: dict[str, object], started: datetime
) -> None:
    with UnitOfWork(engine) as uow:
        uow.notifications.release(
            job.message.notification_id,
            job.channel.value,
            claim=claim,
            values={
                **values,
                "attempts": job.message.attempts + 1,
                "last_attempt_at": started,
                "deferred": None,
                **_words(job),
            },
        )
        uow.commit()


def deliver_due_notifications(
    engine: Engine,
    channels: Channels,
    catalog: Catalog,
    cipher: PiiCipher,
    *,
    caps: DailyCaps | None = None,
    rules: RetryRules | None = None,
    batch: int = 50,
    draw: Callable[[], float] = random.random,
    clock: Callable[[], datetime] = now_utc,
) -> DeliveryReport:
    """One round: claim up to ``batch`` due deliveries, apply the rules, send, record."""
    if not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise InvalidInputError(f"the batch must be 1 to {MAX_BATCH}", field="batch", value=batch)
    limits, retry = caps or DailyCaps(), rules or RetryRules()
    claim = new_id()

    def now() -> datetime:
        return clock().astimezone(UTC)  # stored as UTC: SQLite keeps no zone

    claimed = _claim(engine, channels, catalog, cipher, limits, retry, batch, claim, now())
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for job in claimed.jobs:
        if job.channel is Channel.IN_APP:
            counts["delivered"] += _deliver_in_app(engine, channels, job, claim)
            continue
        started = now_utc()
        try:
            ref = _send(channels, job)
        except ChannelError as refused:
            error, permanent = refused.reason, refused.permanent
        except (OSError, ThinfileError) as broken:
            error, permanent = f"{type(broken).__name__}: {broken}", False
        else:
            _record(
                engine,
                job,
                claim,
                {
                    "status": "delivered",
                    "provider_ref": ref[:100],
                    "delivered_at": now_utc(),
                    "next_attempt_at": None,
                    "last_error": None,
                },
                started,
            )
            counts["delivered"] += 1
            continue
        tries = job.message.attempts + 1
        if permanent or tries >= retry.max_attempts:
            values: dict[str, object] = {"status": "failed", "next_attempt_at": None}
            counts["failed"] += 1
        else:
            wait = timedelta(seconds=retry.delay(tries, draw()))
            values = {"status": "pending", "next_attempt_at": now() + wait}
            counts["retry"] += 1
        _record(engine, job, claim, {**values, "last_error": error[:_ERROR_CHARS]}, started)
    return DeliveryReport(
        claimed=claimed.total,
        delivered=counts["delivered"],
        retrying=counts["retry"],
        failed=counts["failed"] + claimed.failed,
        skipped=claimed.skipped,
        quiet_hours=claimed.quiet_hours,
        daily_cap=claimed.daily_cap,
    )


def run_notification_worker(
    engine: Engine,
    channels: Channels,
    catalog: Catalog,
    cipher: PiiCipher,
    *,
    stop: threading.Event,
    caps: DailyCaps | None = None,
    rules: RetryRules | None = None,
    batch: int = 50,
    idle_seconds: float = 1.0,
) -> DeliveryReport:
    """Deliver rounds until ``stop`` is set: straight on while rounds find work, else wait."""
    total = DeliveryReport()
    while not stop.is_set():
        report = deliver_due_notifications(
            engine, channels, catalog, cipher, caps=caps, rules=rules, batch=batch
        )
        total += report
        if report.claimed == 0:
            stop.wait(idle_seconds)
    return total
