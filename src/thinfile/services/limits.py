"""A borrower's credit limit (额度): what they see, offers they accept or decline, increases
they ask for; and the replay of any limit decision.

A line belongs to the user who accepted the offer that opened it (``ownership.owner_of_line``),
checked by the interfaces before these run. An offered increase — the review's, a request's
or a staff member's (``limit_changes``) — changes the limit only when accepted, and only
while the line is open, nothing is past due and the offer stands; a
borrower may ask for an increase once per the policy's request interval (30 days by default:
repeated asks in a short window are a bust-out signal), and the answer comes at once from the
same policy as the nightly review, with its reasons. A stored decision is replayed by
:mod:`thinfile.services.limit_replay`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.decisioning.limit_reasons import behaviour_reasons, limit_reasons
from thinfile.errors import ConflictError, NotFoundError
from thinfile.money import Money
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.credit_lines import held_on_line, room_on_line
from thinfile.services.identity_records import Actor
from thinfile.services.limit_policies import limit_book_in
from thinfile.services.limit_reviews import decide_lines_in, measure_line_in
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LineStatus, change_limit, close_line
from thinfile.store.db import StoredRow
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "STAFF_OFFER",
    "LimitAnswer",
    "LimitHistoryEntry",
    "LimitOffer",
    "LimitOverview",
    "accept_limit_offer",
    "decline_limit_offer",
    "line_limits",
    "next_review",
    "request_limit_increase",
]

_CODES = re.compile(r"^[A-Z0-9_]+(,[A-Z0-9_]+)*$")

STAFF_OFFER = "STAFF_OFFER"
"""The reason of an increase a staff member offered (it applies only once accepted)."""


@dataclass(frozen=True, slots=True)
class LimitHistoryEntry:
    on: date
    old_limit: int
    new_limit: int
    reason_codes: tuple[str, ...]
    note: str | None
    """A staff member's own words (staff pages only)."""

    def reasons(self, language: str = "en") -> list[dict[str, str]]:
        return limit_reasons(self.reason_codes, language)


@dataclass(frozen=True, slots=True)
class LimitOffer:
    offer_id: int
    old_limit: int
    new_limit: int
    offered_on: date
    expires_on: date
    status: str
    reason_codes: tuple[str, ...]
    until: date | None = None
    """A temporary limit's last day (its night puts the limit before it back); None: for
    good."""


@dataclass(frozen=True, slots=True)
class LimitOverview:
    line_id: int
    currency: str
    status: str
    limit: int
    used: int
    available: int
    next_review: date
    offers: tuple[LimitOffer, ...]
    history: tuple[LimitHistoryEntry, ...]


@dataclass(frozen=True, slots=True)
class LimitAnswer:
    """The instant answer to a borrower's request."""

    decision_id: int
    action: str
    old_limit: int
    new_limit: int
    offer_id: int | None
    reason_codes: tuple[str, ...]
    model_reasons: tuple[Mapping[str, object], ...] = ()
    """The behaviour model's top reasons (empty when no model graded the line)."""

    def reasons(self, language: str = "en") -> list[dict[str, str]]:
        """The answer in plain words; when the behaviour grade stopped the increase, followed
        by what the model weighed against the line."""
        words = limit_reasons(self.reason_codes, language)
        if "BEHAVIOUR_GRADE" in self.reason_codes:
            words += behaviour_reasons(self.model_reasons, language)
        return words


def next_review(on: date) -> date:
    """The next month-end on or after ``on`` (close of business reviews every line then)."""
    first_next = (on.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)


def _entry(r: StoredRow) -> LimitHistoryEntry:
    text = str(r.reason)
    codes = tuple(text.split(",")) if _CODES.match(text) else ("MANUAL",)
    return LimitHistoryEntry(
        from_day(r.day),
        int(r.old_limit),
        int(r.new_limit),
        codes,
        None if _CODES.match(text) else text,
    )


def _offer(r: StoredRow, codes: dict[int, tuple[str, ...]]) -> LimitOffer:
    if r.decision_id is None:  # a staff member's offer
        reasons: tuple[str, ...] = (STAFF_OFFER,)
    else:
        reasons = codes.get(int(r.decision_id), ())
    return LimitOffer(
        int(r.id),
        int(r.old_limit),
        int(r.new_limit),
        from_day(r.offered_day),
        from_day(r.expires_day),
        str(r.status),
        reasons,
        None if r.end_day is None else from_day(int(r.end_day)),
    )


def overview_in(uow: UnitOfWork, line_id: int, *, today: date | None = None) -> LimitOverview:
    """The line's limit as its borrower sees it, read in ``uow`` (on ``today``'s business
    date: the real day unless a replayed book names its own)."""
    stored = uow.credit_lines.get(line_id)
    owed, available = room_on_line(uow, stored.line)
    on = business_date_in(uow, today=today)
    offers = uow.limit_decisions.offers_of(line_id)
    codes = {
        int(d.id): tuple(str(d.reason_codes).split(","))
        for d in uow.limit_decisions.decisions_of(line_id)
    }
    line = stored.line
    return LimitOverview(
        line_id=line_id,
        currency=line.limit.currency,
        status=line.status.value,
        limit=line.limit.fen,
        used=owed,
        available=available.fen,
        next_review=next_review(on),
        offers=tuple(
            _offer(o, codes)
            for o in offers
            if o.status == "pending" and int(o.expires_day) >= to_day(on)
        ),
        history=tuple(_entry(r) for r in uow.limit_decisions.history_of(line_id)),
    )


def line_limits(engine: Engine, line_id: int, *, today: date | None = None) -> LimitOverview:
    with UnitOfWork(engine) as uow:
        return overview_in(uow, line_id, today=today)


def _pending_offer(uow: UnitOfWork, line_id: int, offer_id: int, day: int) -> StoredRow:
    offer = uow.limit_decisions.offer(offer_id, lock=True)
    if offer is None or int(offer.line_id) != line_id:
        raise NotFoundError("no such limit offer", field="offer_id", value=offer_id)
    if offer.status != "pending" or int(offer.expires_day) < day:
        status = "expired" if offer.status == "pending" else offer.status
        raise ConflictError(f"limit offer {offer_id} is {status}", field="offer_id", value=offer_id)
    return offer


def accept_limit_offer(
    engine: Engine, line_id: int, offer_id: int, *, actor: Actor, today: date | None = None
) -> LimitOverview:
    """Accept an offered increase: the limit moves now (audited). Refused while a repayment
    is past due, and when one fell past due since the offer was made (the review that made it
    saw none: caught up since, the borrower waits for the next review); when the line's limit
    was lowered since (a decrease is not undone by an older offer); and when it is already at
    or above what the offer gives (raised since: accepting an increase never lowers a
    limit). A temporary limit offered runs from today to its last day; an offer a staff
    member made alone moves the limit as their single-handed change."""
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow, today=today)
        day = to_day(on)
        stored = uow.credit_lines.get(line_id, lock=True)
        offer = _pending_offer(uow, line_id, offer_id, day)
        if stored.line.status is not LineStatus.ACTIVE:
            raise ConflictError(
                f"credit line {line_id} is {stored.line.status}", field="line_id", value=line_id
            )
        if uow.limit_decisions.worst_dpd_now(line_id, day) > 0:
            raise ConflictError(
                "a repayment on this line is past due",
                field="line_id",
                value=line_id,
                remedy="repay what is past due, then accept the offer",
            )
        if uow.limit_decisions.worst_dpd_after(line_id, int(offer.offered_day)) > 0:
            raise ConflictError(
                "a repayment on this line fell past due since the offer was made, so the offer "
                "no longer stands",
                field="offer_id",
                value=offer_id,
                remedy="the next limit review looks at the line again",
            )
        if stored.line.limit.fen < int(offer.old_limit):
            # a decrease decided since is not undone by an offer made before it
            currency = stored.line.limit.currency
            raise ConflictError(
                f"the offer was made on a limit of {Money(int(offer.old_limit), currency)}; the "
                f"limit was lowered to {stored.line.limit} since, so the offer no longer stands",
                field="offer_id",
                value=offer_id,
                remedy="the next limit review looks at the line again",
            )
        ceiling = limit_book_in(uow).champion.settings.ceiling_fen
        new = min(int(offer.new_limit), ceiling)
        currency = stored.line.limit.currency
        if new <= stored.line.limit.fen:
            raise ConflictError(
                f"the limit is already {stored.line.limit}, at or above the "
                f"{Money(new, currency)} the offer gives, so the offer no longer stands",
                field="offer_id",
                value=offer_id,
                remedy="nothing to accept: the line already has the larger limit",
            )
        if offer.end_day is not None:  # a temporary limit, from today to its last day
            uow.limit_decisions.add_temporary(
                {
                    "line_id": line_id,
                    "base_limit": uow.limit_decisions.temporary_base(
                        line_id, stored.line.limit.fen
                    ),
                    "temporary_limit": new,
                    "start_day": day,
                    "end_day": int(offer.end_day),
                    "status": "active",
                }
            )
        else:  # the new limit is the line's own for good: no temporary one ends below it
            uow.limit_decisions.end_running_temporary(line_id)
        _, change = change_limit(stored.line, Money(new, currency), "OFFER_ACCEPTED", on)
        alone = uow.limit_decisions.made_alone_by(offer_id)
        uow.credit_lines.change_limit(line_id, change, single_handed_by=alone)
        uow.limit_decisions.decide_offer(offer_id, "accepted", day)
        record_audit(
            uow,
            actor.label,
            "credit_line.limit_offer_accepted",
            f"credit_line:{line_id}",
            {"offer": offer_id, "old_limit": change.old_limit, "new_limit": change.new_limit},
        )
        view = overview_in(uow, line_id, today=today)
        uow.commit()
    return view


def close_credit_line(
    engine: Engine, line_id: int, *, actor: Actor, today: date | None = None
) -> LimitOverview:
    """Close the line (销户) at its borrower's or staff's request (audited): no draw, limit
    offer or review opens it again. Refused while a draw owes principal or an authorized
    purchase holds room on it (:func:`~thinfile.servicing.close_line`)."""
    with UnitOfWork(engine) as uow:
        stored = uow.credit_lines.get(line_id, lock=True)
        owed = uow.credit_lines.outstanding_principal(line_id)
        closed = close_line(stored.line, owed, held_on_line(uow, line_id))
        uow.credit_lines.set_status(line_id, closed.status)
        record_audit(
            uow,
            actor.label,
            "credit_line.closed",
            f"credit_line:{line_id}",
            {"limit": stored.line.limit.fen, "was": stored.line.status.value},
        )
        view = overview_in(uow, line_id, today=today)
        uow.commit()
    return view


def decline_limit_offer(
    engine: Engine, line_id: int, offer_id: int, *, actor: Actor, today: date | None = None
) -> LimitOverview:
    """Decline an offered increase: the limit stays (audited)."""
    with UnitOfWork(engine) as uow:
        day = to_day(business_date_in(uow, today=today))
        uow.credit_lines.get(line_id, lock=True)
        _pending_offer(uow, line_id, offer_id, day)
        uow.limit_decisions.decide_offer(offer_id, "declined", day)
        record_audit(
            uow,
            actor.label,
            "credit_line.limit_offer_declined",
            f"credit_line:{line_id}",
            {"offer": offer_id},
        )
        view = overview_in(uow, line_id, today=today)
        uow.commit()
    return view


def request_limit_increase(engine: Engine, line_id: int, *, actor: Actor) -> LimitAnswer:
    """The borrower asks for more: decided at once by the live policy on today's behaviour;
    an increase comes back as an offer to accept. At most one request per interval."""
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        day = to_day(on)
        uow.credit_lines.get(line_id, lock=True)
        book = limit_book_in(uow)
        interval = book.champion.settings.request_interval_days
        recent = uow.limit_decisions.decisions_of(line_id, kind="request", since=day - interval + 1)
        if recent:
            again = from_day(int(recent[0].day) + interval)
            raise ConflictError(
                f"an increase was asked for on {from_day(int(recent[0].day))}",
                field="line_id",
                value=line_id,
                remedy=f"ask again from {again.isoformat()}",
                extra={"reason_codes": ["RECENT_REQUEST"], "ask_again_from": again.isoformat()},
            )
        taken = measure_line_in(uow, book, on, line_id)
        pairs = decide_lines_in(uow, book, day, line_id, line_id, kind="request")
        if taken:
            uow.limits.forget(day, line_id)
        if not pairs:
            raise ConflictError(
                f"credit line {line_id} is not open", field="line_id", value=line_id
            )
        decision_id, decision = pairs[0]
        offers = [o for o in uow.limit_decisions.offers_of(line_id) if o.decision_id == decision_id]
        record_audit(
            uow,
            actor.label,
            "credit_line.limit_request",
            f"credit_line:{line_id}",
            {"decision": decision_id, "action": decision.action.value},
        )
        uow.commit()
    return LimitAnswer(
        decision_id,
        decision.action.value,
        decision.old_limit,
        decision.new_limit,
        int(offers[0].id) if offers else None,
        decision.reason_codes,
        decision.model_reasons,
    )
