"""Staff changes of a credit limit, with maker-checker above a threshold (双人复核), and the
staff view of a line's limit decisions and behaviour.

A servicing agent or an admin may change a limit with a reason, permanently or until an end
date (a temporary limit: the night of its end date puts the limit before it back). A decrease
moves the limit at once, and the borrower is told; an increase takes effect only on the
borrower's acceptance, so it is offered to them like the review's increases
(``limits.accept_limit_offer``; a temporary one before the day it would end). A change
larger than the live policy's ``manual_approval_above_fen`` only records a request; a
different servicing agent or admin approves it, and only the approval moves the limit or
makes the offer — the pattern of write-off requests (``services.write_offs``). The changes
staff made alone in the last :data:`SINGLE_HANDED_DAYS` days count with it (each one's
size, up or down, and the increases they offered still waiting for the borrower), so the
threshold cannot be passed alone in steps below it. No change ever raises a line past
due or above the programme's ceiling, and no increase goes beyond what the borrower's
recorded income repays at the line's grade today (``limit_reviews.staff_bound_in``: the
measure the policy's own increases are capped by); a staff member who has verified a newer
income gives it with the change, and it is recorded in the same unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from thinfile.money import Money
from thinfile.scoring.behaviour import BehaviourFeatures
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.identity_records import Actor
from thinfile.services.limit_features import snapshot_in
from thinfile.services.limit_policies import limit_book_in
from thinfile.services.limit_reviews import staff_bound_in
from thinfile.services.limits import LimitOverview, overview_in
from thinfile.services.notifications import notify_limit_changed_in_unit
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.services.write_offs import APPROVER_ROLES
from thinfile.servicing import change_limit
from thinfile.store.credit_lines_repo import StoredLine
from thinfile.store.limit_decisions_repo import SINGLE_HANDED
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "SINGLE_HANDED_DAYS",
    "LimitDecisionView",
    "StaffLimitChange",
    "StaffLineView",
    "approve_limit_change",
    "change_limit_by_staff",
    "staff_line_view",
]


SINGLE_HANDED_DAYS = 30
"""The days over which the limit changes staff made alone add up against the threshold."""


@dataclass(frozen=True, slots=True)
class StaffLimitChange:
    """A decrease ``applied`` at once; an increase offered to the borrower as ``offer_id``;
    or either waiting as request ``request_id`` for a second staff member."""

    applied: bool
    request_id: int | None
    overview: LimitOverview
    offer_id: int | None = None


@dataclass(frozen=True, slots=True)
class LimitDecisionView:
    decision_id: int
    on: date
    kind: str
    arm: str
    action: str
    old_limit: int
    new_limit: int
    reason_codes: tuple[str, ...]
    policy_version: str
    model_version: str | None
    """The behaviour model that graded the line (None: the policy's rules did)."""


@dataclass(frozen=True, slots=True)
class StaffLineView:
    overview: LimitOverview
    features: BehaviourFeatures | None
    decisions: tuple[LimitDecisionView, ...]
    pending_change: int | None


def _check_role(actor: Actor) -> None:
    if actor.role not in APPROVER_ROLES:
        raise PermissionDeniedError(
            f"a {actor.role.value} may not change a credit limit",
            extra={"allowed_roles": sorted(r.value for r in APPROVER_ROLES)},
        )


def _check_new(
    uow: UnitOfWork, stored: StoredLine, new: Money, on: date, until: date | None
) -> int:
    """The new limit in fen, refused when it breaks a rule no staff member may break."""
    line = stored.line
    if new.currency != line.limit.currency or new.fen < 0:
        raise InvalidInputError(
            "the new limit must be a non-negative amount in the line's currency",
            field="limit",
            value=str(new),
        )
    ceiling = limit_book_in(uow).champion.settings.ceiling_fen
    if new.fen > max(ceiling, line.limit.fen):
        raise InvalidInputError(
            f"the programme's ceiling is {Money(ceiling, new.currency)}",
            field="limit",
            value=str(new),
            remedy="give a limit within the ceiling",
        )
    if new.fen > line.limit.fen and uow.limit_decisions.worst_dpd_now(line.line_id, to_day(on)):
        raise ConflictError(
            "a repayment on this line is past due: its limit cannot be raised",
            field="limit",
            value=str(new),
        )
    if until is not None and until <= on:
        raise InvalidInputError(
            "a temporary limit ends after the current business date",
            field="until",
            value=until.isoformat(),
        )
    if new.fen > line.limit.fen:
        _check_affordable(uow, line.line_id, new, on)
    return new.fen


def _check_affordable(uow: UnitOfWork, line_id: int, new: Money, on: date) -> None:
    """Refuse an increase beyond what the borrower's recorded income repays."""
    bound = staff_bound_in(uow, limit_book_in(uow), on, line_id)
    if bound.affordable is None or bound.income_fen is None:
        raise ConflictError(
            "the borrower's monthly income is not recorded: a limit cannot be raised without it",
            field="verified_income",
            value=None,
            remedy="give the monthly income you verified (payslips, bank or platform "
            "statements) with the change",
        )
    if new.fen > bound.affordable:
        income, most = Money(bound.income_fen, new.currency), Money(bound.affordable, new.currency)
        raise InvalidInputError(
            f"the borrower's income of {income} a month repays a limit of at most {most} "
            f"(grade {bound.grade or '-'}: {bound.max_dsr:.0%} of income)",
            field="limit",
            value=str(new),
            remedy=f"give a limit of at most {most}, or a newer verified income",
            extra={"affordable": str(most.yuan), "grade": bound.grade},
        )


def _request(
    uow: UnitOfWork,
    line_id: int,
    new: int,
    until: date | None,
    reason: str,
    actor: Actor,
    on: date,
    status: str,
) -> int:
    """Record a staff change request: ``pending`` a second staff member, or made alone
    (:data:`SINGLE_HANDED`, an increase offered at once); its id."""
    return uow.limit_decisions.add_change_request(
        {
            "line_id": line_id,
            "new_limit": new,
            "end_day": None if until is None else to_day(until),
            "reason": reason,
            "requested_by": actor.user_id,
            "requested_day": to_day(on),
            "status": status,
        }
    )


def _size(uow: UnitOfWork, stored: StoredLine, new: int, until: date | None) -> int:
    """How far a change moves the line against the maker-checker threshold: from its limit,
    or for a temporary limit from the limit it goes back to (a temporary limit replacing
    another is measured from the line's own, not from the one it replaces)."""
    line = stored.line
    if until is None:
        return abs(new - line.limit.fen)
    return abs(new - uow.limit_decisions.temporary_base(line.line_id, line.limit.fen))


def _record_income(uow: UnitOfWork, stored: StoredLine, income: Money | None, on: date) -> None:
    if income is None:
        return
    if income.fen <= 0 or income.currency != stored.line.limit.currency:
        raise InvalidInputError(
            "a verified income is a positive monthly amount in yuan",
            field="verified_income",
            value=str(income),
        )
    uow.limits.set_income(stored.line.line_id, income.fen, "staff verified", to_day(on))


def _apply(
    uow: UnitOfWork,
    stored: StoredLine,
    new: int,
    reason: str,
    on: date,
    until: date | None,
    *,
    single_handed_by: str | None,
) -> None:
    """Move the limit down (or keep it) now, notified; temporarily until ``until``."""
    line = stored.line
    if until is not None:
        uow.limit_decisions.add_temporary(
            {
                "line_id": line.line_id,
                "base_limit": uow.limit_decisions.temporary_base(line.line_id, line.limit.fen),
                "temporary_limit": new,
                "start_day": to_day(on),
                "end_day": to_day(until),
                "status": "active",
            }
        )
    new_limit = Money(new, line.limit.currency)
    _, change = change_limit(line, new_limit, reason, on)
    change_id = uow.credit_lines.change_limit(
        line.line_id, change, single_handed_by=single_handed_by
    )
    notify_limit_changed_in_unit(uow, line.line_id, line.limit, new_limit, str(change_id))


def _offer(
    uow: UnitOfWork, stored: StoredLine, new: int, on: date, until: date | None, request_id: int
) -> int:
    """Offer the increase of staff request ``request_id`` to the borrower: it moves the limit
    only when accepted (``limits.accept_limit_offer``), within the policy's offer days and,
    for a temporary limit, before the day it ends; the offer's id."""
    day = to_day(on)
    expires = day + limit_book_in(uow).champion.settings.offer_days
    end_day = None if until is None else to_day(until)
    if end_day is not None:
        expires = min(expires, end_day - 1)
    return uow.limit_decisions.offer_from_staff(
        {
            "line_id": stored.line.line_id,
            "decision_id": None,
            "change_request_id": request_id,
            "old_limit": stored.line.limit.fen,
            "new_limit": new,
            "offered_day": day,
            "expires_day": expires,
            "end_day": end_day,
            "status": "pending",
        }
    )


def change_limit_by_staff(
    engine: Engine,
    line_id: int,
    new_limit: Money,
    *,
    reason: str,
    actor: Actor,
    until: date | None = None,
    verified_income: Money | None = None,
) -> StaffLimitChange:
    """Lower the limit now or offer the borrower an increase, or (above the threshold) ask a
    second staff member to approve; ``verified_income`` (a monthly amount the staff member
    verified) is recorded first."""
    _check_role(actor)
    reason = staff_reason(reason)
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        stored = uow.credit_lines.get(line_id, lock=True)
        _record_income(uow, stored, verified_income, on)
        new = _check_new(uow, stored, new_limit, on, until)
        if uow.limit_decisions.pending_change_of(line_id) is not None:
            raise ConflictError(
                f"credit line {line_id} already has a limit change waiting for approval",
                field="line_id",
                value=line_id,
                remedy="have another staff member approve the pending change",
            )
        threshold = limit_book_in(uow).champion.settings.manual_approval_above_fen
        details: dict[str, object] = {
            "old_limit": stored.line.limit.fen,
            "new_limit": new,
            "reason": reason,
        }
        if verified_income is not None:
            details["verified_income"] = verified_income.fen
        since = on - timedelta(days=SINGLE_HANDED_DAYS - 1)
        alone = uow.credit_lines.moved_single_handed(
            line_id, since=since
        ) + uow.limit_decisions.offered_alone(line_id, since=to_day(since))
        if alone:
            details["moved_alone_fen"] = alone
        if alone + _size(uow, stored, new, until) > threshold:
            request_id = _request(uow, line_id, new, until, reason, actor, on, "pending")
            record_audit(
                uow,
                actor.label,
                "credit_line.limit_change_request",
                f"credit_line:{line_id}",
                {**details, "request": request_id},
            )
            view = overview_in(uow, line_id)
            uow.commit()
            return StaffLimitChange(False, request_id, view)
        if new > stored.line.limit.fen:
            request_id = _request(uow, line_id, new, until, reason, actor, on, SINGLE_HANDED)
            offer_id = _offer(uow, stored, new, on, until, request_id)
            record_audit(
                uow,
                actor.label,
                "credit_line.limit_offer",
                f"credit_line:{line_id}",
                {**details, "request": request_id, "offer": offer_id},
            )
            view = overview_in(uow, line_id)
            uow.commit()
            return StaffLimitChange(False, None, view, offer_id)
        _apply(uow, stored, new, reason, on, until, single_handed_by=actor.user_id)
        record_audit(
            uow, actor.label, "credit_line.limit_change", f"credit_line:{line_id}", details
        )
        view = overview_in(uow, line_id)
        uow.commit()
    return StaffLimitChange(True, None, view)


def approve_limit_change(
    engine: Engine, request_id: int, *, approver: Actor, line_id: int | None = None
) -> StaffLimitChange:
    """Approve a pending staff change: someone other than who asked; the rules checked again.
    A decrease moves the limit, an increase is offered to the borrower. With ``line_id`` (a
    page of that line), a request of another line is not found."""
    _check_role(approver)
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        row = uow.limit_decisions.change_request(request_id, lock=True)
        if row is None or (line_id is not None and int(row.line_id) != line_id):
            raise NotFoundError(
                "no such limit change request", field="request_id", value=request_id
            )
        if row.status != "pending":
            raise ConflictError(
                f"limit change request {request_id} is already {row.status}",
                field="request_id",
                value=request_id,
            )
        if row.requested_by == approver.user_id:
            raise PermissionDeniedError(
                "the limit change must be approved by someone other than who requested it",
                field="request_id",
                value=request_id,
                remedy="ask another servicing agent or admin to approve it",
            )
        line_id = int(row.line_id)
        stored = uow.credit_lines.get(line_id, lock=True)
        currency = stored.line.limit.currency
        until = None if row.end_day is None else from_day(int(row.end_day))
        new = _check_new(uow, stored, Money(int(row.new_limit), currency), on, until)
        details: dict[str, object] = {
            "request": request_id,
            "old_limit": stored.line.limit.fen,
            "new_limit": new,
        }
        uow.limit_decisions.approve_change(request_id, by=approver.user_id, day=to_day(on))
        offer_id = None
        if new > stored.line.limit.fen:
            offer_id = details["offer"] = _offer(uow, stored, new, on, until, request_id)
            action = "credit_line.limit_offer"
        else:
            _apply(uow, stored, new, str(row.reason), on, until, single_handed_by=None)
            action = "credit_line.limit_change"
        record_audit(uow, approver.label, action, f"credit_line:{line_id}", details)
        view = overview_in(uow, line_id)
        uow.commit()
    return StaffLimitChange(offer_id is None, None, view, offer_id)


def staff_line_view(engine: Engine, line_id: int) -> StaffLineView:
    """The line's limit, its behaviour on the current business date, its decisions."""
    with UnitOfWork(engine) as uow:
        on = business_date_in(uow)
        day = to_day(on)
        uow.credit_lines.get(line_id)
        taken = snapshot_in(uow, on, line_id=line_id)
        sums = uow.limits.feature_sums(day, first=line_id, last=line_id)
        if taken:  # a look: the night's review measures the line as it is at the close
            uow.limits.forget(day, line_id)
        decisions = tuple(
            LimitDecisionView(
                int(d.id),
                from_day(int(d.day)),
                str(d.kind),
                str(d.arm),
                str(d.action),
                int(d.old_limit),
                int(d.new_limit),
                tuple(str(d.reason_codes).split(",")),
                str(d.policy_version),
                None if d.model_version is None else str(d.model_version),
            )
            for d in uow.limit_decisions.decisions_of(line_id)
        )
        pending = uow.limit_decisions.pending_change_of(line_id)
        view = StaffLineView(
            overview_in(uow, line_id),
            BehaviourFeatures.from_sums(sums[0], day) if sums else None,
            decisions,
            None if pending is None else int(pending.id),
        )
        uow.commit()
    return view
