"""Staff limit changes on the book: an increase is offered and moves the limit only when the
borrower accepts it; a temporary limit ends on its date with a notice; a line past due is
never raised; maker-checker above the threshold; no increase beyond what the borrower's
recorded income repays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.identity_records import Actor
from thinfile.services.limit_changes import approve_limit_change, change_limit_by_staff
from thinfile.services.limits import accept_limit_offer, decline_limit_offer, line_limits
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade
from thinfile.store.migrate import alembic_config

AGENT = Actor("agent-1", Role.SERVICING_AGENT)
OTHER = Actor("agent-2", Role.SERVICING_AGENT)
BORROWER = Actor("borrower-1", Role.BORROWER)
START = date(2025, 1, 1)


@pytest.fixture(autouse=True)
def _book_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The business date follows the book (the day after the last closed date), not the clock."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def _drawn_line(engine: sa.Engine) -> int:
    """A 5,000.00 line with 1,000.00 drawn on its first day; the book closed through 10
    January 2025, so the business date is 11 January."""
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    draw(engine, line, Money.of("1000"), 6, START)
    run_cob(engine, date(2025, 1, 10))
    return line


def test_a_temporary_increase_applies_once_accepted_and_ends_on_its_date(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _drawn_line(engine)
    done = change_limit_by_staff(
        engine,
        line,
        Money.of("8000"),
        reason="spring festival stock",
        actor=AGENT,
        until=date(2025, 1, 20),
        verified_income=Money.of("6000"),
    )
    # an increase is the borrower's to accept: nothing moves yet
    assert not done.applied and done.request_id is None and done.offer_id is not None
    assert done.overview.limit == 500_000 and done.overview.history == ()
    (offer,) = done.overview.offers
    assert (offer.offer_id, offer.new_limit, offer.until) == (
        done.offer_id,
        800_000,
        date(2025, 1, 20),
    )
    assert offer.expires_on == date(2025, 1, 19)  # it cannot be taken on the day it would end
    assert offer.reason_codes == ("STAFF_OFFER",)
    run_cob(engine, date(2025, 1, 12))
    accepted = accept_limit_offer(engine, line, done.offer_id, actor=BORROWER)
    assert accepted.limit == 800_000 and accepted.history[0].reason_codes == ("OFFER_ACCEPTED",)
    run_cob(engine, date(2025, 1, 19))
    assert line_limits(engine, line).limit == 800_000
    run_cob(engine, date(2025, 1, 20))
    after = line_limits(engine, line)
    assert after.limit == 500_000 and after.history[0].reason_codes == ("TEMPORARY_ENDED",)
    with engine.connect() as conn:
        notices = conn.execute(sa.text("SELECT kind, new_limit FROM limit_notices")).all()
    assert [tuple(n) for n in notices] == [("temporary_end", 500_000)]
    with pytest.raises(InvalidInputError):
        change_limit_by_staff(
            engine,
            line,
            Money.of("6000"),
            reason="ends in the past",
            actor=AGENT,
            until=date(2025, 1, 2),
        )
    engine.dispose()


def test_a_staff_increase_never_moves_a_limit_the_borrower_did_not_accept(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _drawn_line(engine)
    income = Money.of("6000")
    first = change_limit_by_staff(
        engine, line, Money.of("6000"), reason="asked by phone", actor=AGENT, verified_income=income
    )
    declined = decline_limit_offer(engine, line, first.offer_id or 0, actor=BORROWER)
    assert declined.limit == 500_000 and declined.offers == () and declined.history == ()
    second = change_limit_by_staff(engine, line, Money.of("6500"), reason="again", actor=AGENT)
    third = change_limit_by_staff(engine, line, Money.of("7000"), reason="more", actor=OTHER)
    # a newer staff offer replaces the one still waiting
    assert [o.offer_id for o in third.overview.offers] == [third.offer_id]
    with pytest.raises(ConflictError):
        accept_limit_offer(engine, line, second.offer_id or 0, actor=BORROWER)
    run_cob(engine, date(2025, 2, 10))  # past the policy's 30 days: the offer expired
    with pytest.raises(ConflictError) as expired:
        accept_limit_offer(engine, line, third.offer_id or 0, actor=BORROWER)
    assert "expired" in str(expired.value)
    after = line_limits(engine, line)
    assert after.limit == 500_000 and after.history == () and after.offers == ()
    engine.dispose()


def test_a_line_past_due_is_never_raised_and_big_changes_need_two_people(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    draw(engine, line, Money.of("3000"), 6, START)
    run_cob(engine, date(2025, 2, 5))  # the first installment (1 February) is unpaid
    with pytest.raises(ConflictError):
        change_limit_by_staff(engine, line, Money.of("5100"), reason="goodwill", actor=AGENT)
    lowered = change_limit_by_staff(
        engine, line, Money.of("4000"), reason="past due, lowered", actor=AGENT
    )
    assert lowered.applied and lowered.overview.limit == 400_000
    with pytest.raises(InvalidInputError):
        change_limit_by_staff(engine, line, Money.of("30000.01"), reason="too much", actor=AGENT)
    underwriter = Actor("u-1", Role.UNDERWRITER)
    with pytest.raises(PermissionDeniedError):
        change_limit_by_staff(engine, line, Money.of("100"), reason="not mine", actor=underwriter)
    engine.dispose()


def test_a_change_above_the_threshold_waits_for_someone_else(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    asked = change_limit_by_staff(
        engine,
        line,
        Money.of("20000"),
        reason="income verified again",
        actor=AGENT,
        verified_income=Money.of("6000"),
    )
    assert not asked.applied and asked.overview.limit == 500_000
    assert asked.request_id is not None
    with pytest.raises(PermissionDeniedError):
        approve_limit_change(engine, asked.request_id, approver=AGENT)
    with pytest.raises(ConflictError):
        change_limit_by_staff(engine, line, Money.of("5100"), reason="another one", actor=OTHER)
    approved = approve_limit_change(engine, asked.request_id, approver=OTHER)
    assert approved.overview.limit == 500_000 and approved.offer_id is not None
    with pytest.raises(ConflictError):
        approve_limit_change(engine, asked.request_id, approver=OTHER)
    assert accept_limit_offer(engine, line, approved.offer_id, actor=BORROWER).limit == 2_000_000
    # the request by one person and the change by the other are audited; refusals are not
    with engine.connect() as conn:
        acts = conn.execute(
            sa.text(
                "SELECT actor, action, subject FROM audit_log "
                "WHERE action LIKE 'credit_line.limit%' ORDER BY seq"
            )
        ).all()
    assert [tuple(a) for a in acts] == [
        (AGENT.label, "credit_line.limit_change_request", f"credit_line:{line}"),
        (OTHER.label, "credit_line.limit_offer", f"credit_line:{line}"),
        (BORROWER.label, "credit_line.limit_offer_accepted", f"credit_line:{line}"),
    ]
    engine.dispose()


def test_a_review_never_overwrites_a_limit_changed_since_it_was_read(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
    stale = {"line_id": line, "limit": 250_000, "status": "active", "day": 1, "reason": "X"}
    with UnitOfWork(engine) as uow, pytest.raises(ConflictError):
        uow.limit_decisions.move_limits([{**stale, "old_limit": 400_000}])
    assert line_limits(engine, line).limit == 500_000 and line_limits(engine, line).history == ()
    engine.dispose()


def _repayable(income_yuan: int, dsr: str, annual_rate: str, months: int) -> int:
    """The largest limit (fen, in whole 100-yuan steps) whose draw, repaid in ``months`` equal
    installments at ``annual_rate``, costs ``dsr`` of the income: the annuity's present value,
    computed here by summing each month's discounted payment."""
    monthly = Decimal(annual_rate) / 12
    payment = Decimal(income_yuan * 100) * Decimal(dsr)
    present = sum(payment / (1 + monthly) ** k for k in range(1, months + 1))
    return int(present) // 10_000 * 10_000


def _income_rows(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT income, source FROM limit_line_incomes")).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def test_staff_never_raise_a_limit_beyond_what_the_income_repays(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _drawn_line(engine)
    # no income recorded: no increase, whatever the amount; a decrease needs none
    with pytest.raises(ConflictError) as unknown:
        change_limit_by_staff(engine, line, Money.of("5100"), reason="goodwill", actor=AGENT)
    assert unknown.value.field == "verified_income"
    lowered = change_limit_by_staff(engine, line, Money.of("4500"), reason="asked", actor=AGENT)
    assert lowered.applied and lowered.overview.limit == 450_000
    # a line of ten days with no payment yet is grade B by the shipped rules: 40% of income,
    # twelve months at the line's 18%
    most = _repayable(3000, "0.40", "0.18", 12)
    assert most == 1_300_000  # 3,000 × 0.4 × 10.9075… = 13,089 → 13,000 yuan
    with pytest.raises(InvalidInputError) as over:
        change_limit_by_staff(
            engine,
            line,
            Money(most + 10_000),
            reason="more stock",
            actor=AGENT,
            verified_income=Money.of("3000"),
        )
    assert over.value.field == "limit" and "at most 13000.00" in str(over.value)
    assert _income_rows(engine) == []  # a refused change records nothing, the income included
    done = change_limit_by_staff(
        engine,
        line,
        Money(most),
        reason="more stock",
        actor=AGENT,
        until=date(2025, 1, 20),
        verified_income=Money.of("3000"),
    )
    assert not done.applied  # 4,500 → 13,000 is above the 5,000 threshold: a second person
    assert _income_rows(engine) == [(300_000, "staff verified")]
    # the income verified again, lower, before the approval: the approval checks again
    with UnitOfWork(engine) as uow:
        uow.limits.set_income(line, 200_000, "staff verified", 0)
        uow.commit()
    assert done.request_id is not None
    with pytest.raises(InvalidInputError):
        approve_limit_change(engine, done.request_id, approver=OTHER)
    assert line_limits(engine, line).limit == 450_000
    with pytest.raises(InvalidInputError):  # not a positive amount in the line's currency
        change_limit_by_staff(
            engine,
            line,
            Money.of("4600"),
            reason="typo",
            actor=OTHER,
            verified_income=Money.of("0"),
        )
    engine.dispose()


def test_an_offer_comes_from_a_decision_or_a_staff_request_and_the_migration_reverses(
    empty_database_url,
):
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), START).line.line_id
        change_limit_by_staff(
            engine,
            line,
            Money.of("6000"),
            reason="asked",
            actor=AGENT,
            verified_income=Money.of("6000"),
        )
        orphan = {"l": line, "o": 500_000, "n": 600_000}
        insert = sa.text(
            "INSERT INTO limit_offers (line_id, old_limit, new_limit, offered_day, expires_day, "
            "status) VALUES (:l, :o, :n, 1, 2, 'pending')"
        )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert, orphan)  # neither a decision nor a staff request
        command.downgrade(alembic_config(engine), "decisioning_0009_behaviour_model")
        with engine.connect() as conn:  # the staff offers go: the schema before had no room
            assert conn.execute(sa.text("SELECT COUNT(*) FROM limit_offers")).scalar_one() == 0
        upgrade(engine)
        assert line_limits(engine, line).offers == ()
    finally:
        engine.dispose()


def _taken(engine: sa.Engine, line: int, limit: str, *, until: date | None = None, by=AGENT) -> int:
    """A staff increase offered and accepted by the borrower: the limit after it."""
    done = change_limit_by_staff(
        engine, line, Money.of(limit), reason="asked by the borrower", actor=by, until=until
    )
    assert done.offer_id is not None, done
    return accept_limit_offer(engine, line, done.offer_id, actor=BORROWER).limit


def _line_with_income(engine: sa.Engine) -> int:
    line = _drawn_line(engine)
    with UnitOfWork(engine) as uow:
        uow.limits.set_income(line, 2_000_000, "staff verified", 0)
        uow.commit()
    return line


def test_a_temporary_limit_replacing_another_ends_at_the_lines_own_limit(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _line_with_income(engine)
    assert _taken(engine, line, "6000", until=date(2025, 1, 20)) == 600_000
    assert _taken(engine, line, "7000", until=date(2025, 2, 5), by=OTHER) == 700_000
    run_cob(engine, date(2025, 1, 20))  # the first one was replaced: nothing ends today
    assert line_limits(engine, line).limit == 700_000
    run_cob(engine, date(2025, 2, 5))
    assert line_limits(engine, line).limit == 500_000  # not the 6,000 the second started from
    engine.dispose()


def test_a_decrease_during_a_temporary_limit_stands_and_nothing_above_the_base_survives(
    database_url,
):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _line_with_income(engine)
    assert _taken(engine, line, "8000", until=date(2025, 1, 25)) == 800_000
    lowered = change_limit_by_staff(engine, line, Money.of("7000"), reason="risk", actor=OTHER)
    assert lowered.applied and lowered.overview.limit == 700_000
    run_cob(engine, date(2025, 1, 25))
    after = line_limits(engine, line)
    assert after.limit == 500_000 and after.history[0].reason_codes == ("TEMPORARY_ENDED",)
    engine.dispose()


def test_an_increase_accepted_for_good_during_a_temporary_limit_outlives_it(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    line = _line_with_income(engine)
    assert _taken(engine, line, "6000", until=date(2025, 1, 20)) == 600_000
    assert _taken(engine, line, "6500", by=OTHER) == 650_000
    run_cob(engine, date(2025, 1, 20))
    assert line_limits(engine, line).limit == 650_000
    engine.dispose()


def test_a_temporary_limit_is_measured_from_the_lines_own_limit_against_the_threshold(
    database_url,
):
    """20,000.00 for a while on a 5,000.00 line, approved by two people; one of them then
    sets a temporary 19,900.00 for longer: 14,900.00 above the line's own limit, not 100.00
    below the temporary one — a second person must approve it."""
    engine = make_engine(database_url)
    upgrade(engine)
    line = _line_with_income(engine)
    asked = change_limit_by_staff(
        engine, line, Money.of("20000"), reason="stock", actor=AGENT, until=date(2025, 1, 25)
    )
    assert asked.request_id is not None
    approved = approve_limit_change(engine, asked.request_id, approver=OTHER)
    assert approved.offer_id is not None
    accept_limit_offer(engine, line, approved.offer_id, actor=BORROWER)
    longer = change_limit_by_staff(
        engine, line, Money.of("19900"), reason="longer", actor=AGENT, until=date(2025, 2, 10)
    )
    assert not longer.applied and longer.request_id is not None
    assert line_limits(engine, line).limit == 2_000_000
    run_cob(engine, date(2025, 1, 25))
    assert line_limits(engine, line).limit == 500_000
    engine.dispose()
