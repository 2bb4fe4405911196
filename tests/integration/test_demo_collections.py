"""The demo's collections story over five months of close of business: the late payer's
promise is kept, the defaulter's broken, and the defaulter's M3 loan is restructured by a
collector and approved by a servicing agent, each on the replayed day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.collections_helpers import AGENT, COLLECTOR, cipher
from tests.integration.servicing_helpers import START, terms
from thinfile.collections import Party
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import contacts_of_case, promises_of_case, register_party
from thinfile.services.collection_hardship import plans_of_loan
from thinfile.services.demo_collections import (
    BROKEN_PROMISE_DAYS,
    PAYS_DAYS_LATE,
    CollectionsStory,
    Debtor,
    collections_story_day,
    story_outcome,
)
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan, open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.servicing import ServicingProduct
from thinfile.store import make_engine, upgrade

DAYS = 160


@pytest.fixture(autouse=True)
def _book_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def _pay(engine, debtor: Debtor, day: date) -> list[tuple[date, int]]:
    """What the borrower pays today: the late payer each installment 12 days after its due
    date, the defaulter the first two on time and nothing after."""
    paid = []
    for row in get_loan(engine, debtor.loan_id).account.installments:
        late = PAYS_DAYS_LATE if debtor.behaviour == "late" else 0
        if row.due + timedelta(days=late) != day or row.unpaid.total <= 0:
            continue
        if debtor.behaviour == "defaults" and row.n > 2:
            continue
        post_payment(engine, debtor.loan_id, Money(row.unpaid.total), day)
        paid.append((day, row.unpaid.total))
    return paid


@pytest.mark.slow
def test_a_promise_kept_a_promise_broken_and_a_restructure_approved(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        keys = cipher()
        late, defaulter = (
            open_and_disburse(engine, terms(p, 12, "0.18"), product=ServicingProduct()).loan_id
            for p in ("6000", "9000")
        )
        debtors = {
            late: Debtor(late, "late", "13812345678"),
            defaulter: Debtor(defaulter, "defaults", "13987654321"),
        }
        for debtor in debtors.values():  # no borrower profile: staff put their numbers on record
            register_party(
                engine, debtor.loan_id, Party.BORROWER, phone=debtor.phone, name="王磊",
                cipher=keys, actor=AGENT,
            )  # fmt: skip
        story = CollectionsStory(COLLECTOR, AGENT, keys)
        paid: dict[int, list[tuple[date, int]]] = {late: [], defaulter: []}
        current_after_plan = None
        for k in range(DAYS):
            day = START + timedelta(days=k)
            for debtor in debtors.values():
                paid[debtor.loan_id] += _pay(engine, debtor, day)
            planned = story.plan_id
            collections_story_day(engine, story, debtors, day)
            if planned is None and story.plan_id is not None:
                account = get_loan(engine, defaulter).account
                current_after_plan = [  # penalty already charged stays where it was
                    r.n
                    for r in account.installments
                    if r.due < day and r.unpaid.total - r.unpaid.penalty > 0
                ]
            run_cob(engine, day)

        assert story.kept_case is not None and story.broken_case is not None
        (kept,) = promises_of_case(engine, story.kept_case)
        # the first installment the late payer missed, promised for the day they pay it
        first_due = get_loan(engine, late).account.installments[0].due
        assert kept.due == first_due + timedelta(days=PAYS_DAYS_LATE)
        assert kept.status.value == "kept"
        received = sum(fen for on, fen in paid[late] if kept.made_on <= on <= kept.due)
        assert kept.amount.fen <= received and kept.paid.fen >= kept.amount.fen
        (broken,) = promises_of_case(engine, story.broken_case)
        assert broken.due == broken.made_on + timedelta(days=BROKEN_PROMISE_DAYS)
        assert broken.status.value == "broken" and broken.paid.fen == 0
        assert not [on for on, _ in paid[defaulter] if broken.made_on <= on <= broken.due]

        (plan,) = plans_of_loan(engine, defaulter)
        assert plan.kind.value == "restructure" and plan.status.value == "approved"
        assert current_after_plan == []  # the arrears spread forward
        # every call was at 10:00 in Beijing, on a replayed day
        for case_id in (story.kept_case, story.broken_case):
            for contact in contacts_of_case(engine, case_id):
                assert (contact.at.hour, contact.at.minute) == (2, 0)
                assert START <= contact.at.date() < START + timedelta(days=DAYS)
        assert story_outcome(engine, story) == {
            "contacts": 2,
            "kept_promise": "kept",
            "broken_promise": "broken",
            "hardship_plan": f"loan {defaulter}: restructure",
        }
        with engine.connect() as conn:
            approved = conn.execute(
                sa.text("SELECT actor FROM audit_log WHERE action = 'collection.hardship_approve'")
            ).scalar_one()
        assert approved == AGENT.label
        assert verify_ledger(engine).ok
    finally:
        engine.dispose()
