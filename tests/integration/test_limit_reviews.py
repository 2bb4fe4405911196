"""The limit review on a book built through the services: offers for good payers, freezes
for lines past due, nothing automatic for the control group, idempotent per date, replayable;
offers accepted or declined by the borrower; one request per 30 days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy as sa

from tests.integration.limits_book import REVIEW, book_with_incomes, build_book
from tests.support.cli import run
from thinfile.decisioning.limits import LimitArm, assign_limit_arm
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.identity_records import Actor
from thinfile.services.limit_features import record_line_income
from thinfile.services.limit_replay import replay_limit_decision
from thinfile.services.limit_reviews import review_limits
from thinfile.services.limits import (
    accept_limit_offer,
    decline_limit_offer,
    line_limits,
    request_limit_increase,
)
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

BORROWER = Actor("u1", Role.BORROWER)
WRITTEN = {
    "decisions": "SELECT line_id, day, review_day, kind, arm, action, old_limit, new_limit, "
    "reason_codes, policy_version, inputs_json FROM limit_decisions ORDER BY id",
    "offers": "SELECT line_id, old_limit, new_limit, status FROM limit_offers ORDER BY id",
    "lines": "SELECT id, limit_amount, status FROM servicing_credit_lines ORDER BY id",
    "notices": "SELECT line_id, kind, reason_codes FROM limit_notices ORDER BY id",
    "changes": "SELECT line_id, old_limit, new_limit, reason FROM servicing_limit_changes "
    "ORDER BY id",
}


def _affordable(income: int) -> int:
    """Grade A's 45% of income, repaid over 12 months at 18% a year: exact arithmetic."""
    r = Fraction("0.18") / 12
    return int(Fraction(income) * Fraction("0.45") * (1 - (1 + r) ** -12) / r)


def written(engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {k: [tuple(r) for r in conn.execute(sa.text(q))] for k, q in WRITTEN.items()}


def test_the_review_offers_freezes_holds_out_and_runs_once_per_date(database_url, monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    engine = make_engine(database_url)
    upgrade(engine)
    book = build_book(engine)
    good_lines = (book.good, *book.twins)
    for line in good_lines:
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    # the default control share is 5%: line 7 falls in it (a hash of its id)
    control = [
        line
        for line in good_lines
        if assign_limit_arm(line, Decimal("0.05"), Decimal(0)) is LimitArm.CONTROL
    ]
    assert control == [book.twins[-1]]
    report = review_limits(engine, REVIEW, actor="cli:test")
    assert report.decided == 7
    state = written(engine)
    again = review_limits(engine, REVIEW, actor="cli:test")
    assert again.decided == 0 and written(engine) == state and again.counts == report.counts

    decisions = {r[0]: r for r in state["decisions"] if r[2] == to_day(REVIEW)}
    offers = {r[0]: r for r in state["offers"]}
    # good payers outside the control group: offered twice their limit, the limit unchanged
    for line in good_lines:
        if line in control:
            continue
        assert offers[line] == (line, 500_000, 1_000_000, "pending")
        assert decisions[line][5] == "increase"
        assert decisions[line][8] == "INCREASE_GOOD_REPAYMENT"
    # the control line would have been offered as much, and was not
    (held,) = control
    assert held not in offers and decisions[held][5] == "held_out"
    assert "CONTROL_GROUP" in decisions[held][8]
    # lines past due are frozen with a notice, and never offered anything
    lines = {r[0]: r for r in state["lines"]}
    for line in (book.late, book.prepaid):
        assert lines[line][2] == "frozen" and line not in offers
        assert (line, "freeze", "FREEZE_PAST_DUE_30") in state["notices"]
    assert lines[held][1:] == (500_000, "active")
    assert decisions[book.idle][5] == "none" and decisions[book.idle][8]
    # no increase offered to a line past due, above the ceiling or above affordability
    for row in state["decisions"]:
        inputs = json.loads(row[10])
        if row[7] > row[6]:
            assert row[5] == "increase" and inputs["behaviour"]["current_dpd"] == 0
            assert row[7] <= 3_000_000 and row[7] <= _affordable(inputs["income_fen"])
        assert row[8] and row[9].startswith("limits-sha256:")
    # every decision replays to itself from its stored inputs and policy version
    with engine.connect() as conn:
        ids = [int(i) for i in conn.execute(sa.text("SELECT id FROM limit_decisions")).scalars()]
        audits = conn.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'limits.review'")
        ).scalar()
    assert all(replay_limit_decision(engine, i).same for i in ids)
    assert audits == 1

    # the borrower accepts one offer and declines another
    offer_id = line_limits(engine, book.good).offers[0].offer_id
    view = accept_limit_offer(engine, book.good, offer_id, actor=BORROWER)
    assert (view.limit, view.offers) == (1_000_000, ())
    assert view.history[0].reason_codes == ("OFFER_ACCEPTED",)
    assert view.available == 1_000_000 - view.used
    with pytest.raises(ConflictError):
        accept_limit_offer(engine, book.good, offer_id, actor=BORROWER)
    twin = book.twins[0]
    declined = decline_limit_offer(
        engine, twin, line_limits(engine, twin).offers[0].offer_id, actor=BORROWER
    )
    assert declined.limit == 500_000 and declined.offers == ()
    # a frozen line takes no new draw
    with pytest.raises(ConflictError):
        draw(engine, book.late, Money.of("100"), 3, REVIEW)
    # a borrower's request is answered at once, with reasons; a second one waits 30 days
    answer = request_limit_increase(engine, book.idle, actor=BORROWER)
    assert (answer.action, answer.offer_id, answer.reason_codes) == (
        "none",
        None,
        ("INCOME_UNKNOWN",),
    )
    with pytest.raises(ConflictError, match="asked for"):
        request_limit_increase(engine, book.idle, actor=BORROWER)
    # each of the borrower's acts is in the audit log, once, under the line; refused ones not
    with engine.connect() as conn:
        acts = conn.execute(
            sa.text(
                "SELECT action, subject FROM audit_log WHERE actor = :who "
                "AND action LIKE 'credit_line.limit%' ORDER BY seq"
            ),
            {"who": BORROWER.label},
        ).all()
    assert [tuple(a) for a in acts] == [
        ("credit_line.limit_offer_accepted", f"credit_line:{book.good}"),
        ("credit_line.limit_offer_declined", f"credit_line:{twin}"),
        ("credit_line.limit_request", f"credit_line:{book.idle}"),
    ]
    engine.dispose()


def test_the_limits_command_reviews_a_date_once_and_replays_a_decision(
    database_url, monkeypatch, capsys
):
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    line = open_credit_line(engine, Money.of("5000"), Decimal("0.18"), REVIEW).line.line_id
    engine.dispose()
    code, out, _ = run(capsys, "limits", "review", "--on", REVIEW.isoformat(), "--json")
    assert code == 0 and json.loads(out) == {
        "counts": {"champion:none": 1},
        "decided": 1,
        "on": REVIEW.isoformat(),
    }
    code, out, _ = run(capsys, "limits", "review", "--on", REVIEW.isoformat(), "--json")
    assert code == 0 and json.loads(out)["decided"] == 0
    code, out, _ = run(capsys, "limits", "replay", "1")
    assert code == 0 and json.loads(out)["same"] is True
    assert json.loads(out)["reason_codes"] == ["MOB_UNDER_3", "UTILIZATION_LOW"]
    assert line == 1
    code, _, err = run(capsys, "limits", "review", "--on", "2025-02-30")
    assert code == 2 and "--on" in err
    # a date after the business date (a typo for this year's) is refused, nothing reviewed
    engine = make_engine(database_url)
    ahead = business_date.current_business_date(engine) + timedelta(days=1)
    code, out, err = run(capsys, "limits", "review", "--on", ahead.isoformat())
    assert code == 2 and "--on" in err and "after the business date" in err, (out, err)
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT business_day FROM limit_review_runs")).scalars()
        assert list(runs) == [to_day(REVIEW)]
    with pytest.raises(InvalidInputError) as refused:
        review_limits(engine, date(2099, 12, 31))
    assert refused.value.field == "on"
    engine.dispose()


def test_an_offer_does_not_stand_once_the_line_fell_past_due_since_it_was_made(
    database_url, monkeypatch
):
    """The review offers an increase to a good payer; the borrower then misses the next
    installment and catches up a few days later. Nothing is past due when they accept, but
    the review that made the offer saw none: the offer no longer stands (the next review
    looks again). A twin that paid on time accepts its own."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    engine = make_engine(database_url)
    upgrade(engine)
    book = build_book(engine)
    late_payer, on_time = book.twins[0], book.twins[1]
    for line in (late_payer, on_time):
        record_line_income(engine, line, Money.of("10000"), REVIEW, source="verified")
    month_end = date(2025, 5, 31)
    run_cob(engine, month_end)  # the month-end's review offers the good payers an increase
    offers = {line: line_limits(engine, line).offers[0].offer_id for line in (late_payer, on_time)}
    nxt = next(
        i
        for i in get_loan(engine, book.draws[late_payer]).account.installments
        if i.due > month_end
    )
    owed = nxt.principal_due + nxt.interest_due + nxt.fee_due
    run_cob(engine, nxt.due - timedelta(days=1))
    post_payment(engine, book.draws[on_time], Money(owed), nxt.due)  # the twin pays on time
    run_cob(engine, nxt.due + timedelta(days=3))  # the other is three days late
    arrears = get_loan(engine, book.draws[late_payer]).account.outstanding
    assert arrears.total > 0
    caught_up = nxt.due + timedelta(days=4)
    late = get_loan(engine, book.draws[late_payer]).account
    owing = sum(i.unpaid.total for i in late.installments if i.due <= nxt.due)
    post_payment(engine, book.draws[late_payer], Money(owing), caught_up)
    with pytest.raises(ConflictError) as refused:
        accept_limit_offer(engine, late_payer, offers[late_payer], actor=BORROWER)
    assert refused.value.field == "offer_id" and "since the offer" in refused.value.message
    assert line_limits(engine, late_payer).limit == 500_000
    view = accept_limit_offer(engine, on_time, offers[on_time], actor=BORROWER)
    assert view.limit == 1_000_000
    engine.dispose()


def test_a_review_dated_before_the_last_closed_day_is_refused_and_moves_nothing(
    database_url, monkeypatch
):
    """The book is closed to 31 May; its month-end review froze the line that stopped paying
    (60 days past due). A review "of" 15 March would read today's lines as March's and
    unfreeze it: refused, naming the date, nothing written."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 6, 1, tzinfo=UTC))
    engine = make_engine(database_url)
    upgrade(engine)
    book = build_book(engine, through=date(2025, 5, 31))
    before = written(engine)
    assert {r[0]: r[2] for r in before["lines"]}[book.late] == "frozen"
    for past in (date(2025, 3, 15), date(2025, 5, 30)):
        with pytest.raises(InvalidInputError) as refused:
            review_limits(engine, past)
        assert refused.value.field == "on" and "2025-05-31" in str(refused.value)
    assert written(engine) == before
    # the last closed day and the business date are the book as it stands
    assert review_limits(engine, date(2025, 5, 31)).decided == 0  # reviewed at month-end
    assert review_limits(engine, date(2025, 6, 1)).decided == 7
    engine.dispose()


def test_no_increase_is_offered_within_90_days_of_a_decrease(database_url, monkeypatch):
    """Staff lower a good payer's line from 5,000 to 4,000; the review the same day would have
    offered 8,000 (above the limit before the cut). The 90 days count from the last change of
    the limit, either way (DOMAIN §12): no offer, the reason says why."""
    from thinfile.services.limit_changes import change_limit_by_staff

    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    engine = make_engine(database_url)
    upgrade(engine)
    book = book_with_incomes(engine)
    agent = Actor("staff-1", Role.SERVICING_AGENT)
    cut = change_limit_by_staff(
        engine, book.good, Money.of("4000"), reason="risk review", actor=agent
    )
    assert cut.applied
    review_limits(engine, date(2025, 5, 16))
    state = written(engine)
    offers = {r[0]: r for r in state["offers"]}
    decisions = {r[0]: r for r in state["decisions"]}
    assert book.good not in offers and decisions[book.good][5] != "increase"
    assert "RECENT_INCREASE" in decisions[book.good][8]
    twin = book.twins[0]  # the same history without the cut: offered twice its limit
    assert offers[twin] == (twin, 500_000, 1_000_000, "pending")
    engine.dispose()
