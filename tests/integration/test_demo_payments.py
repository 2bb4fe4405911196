"""The demo's payments story over a short replay, on SQLite and PostgreSQL, against the
sandbox gateway served in this process (the demo's own runner and notification receiver):
three borrowers bind cards, auto-debits collect their installments, one pays by card, one is
short of funds and retried, one pays off at the counter while a debit is on its way — the
break reconciliation flags, which the agent refunds and resolves. The gateway's own files,
read and parsed here, are the measure of the money the books must hold."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_auto_debit import _own, annuity_fen
from tests.integration.test_cards import borrower
from tests.support.gateway import GATEWAY_KEY
from thinfile.adapters.sandbox_gateway import Delivery, GatewayConfig
from thinfile.adapters.sandbox_gateway.local import LocalGateway, ReplayReceiver
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.roles import Role
from thinfile.services import ledger, loans
from thinfile.services.cob import run_cob
from thinfile.services.demo import DemoBorrower
from thinfile.services.demo_payments import PaymentsStory, ReplayClock, payments_story_day
from thinfile.services.identity_records import Actor
from thinfile.store.payment_tables import payment_cards, payment_intents
from thinfile.store.reconciliation_tables import payment_reconciliation_items as items
from thinfile.store.reconciliation_tables import payment_reconciliations
from thinfile.store.servicing_tables import installments, transactions

START = date(2025, 3, 3)
DAYS = 100
PRINCIPAL_FEN = 300_000
RATE = Decimal("0.18")
EPOCH = date(1970, 1, 1)
CST = timedelta(hours=8)


@dataclass(frozen=True)
class FileRow:
    """One row of the gateway's reconciliation file, as the test reads it."""

    day: date
    txn: str
    request: str
    kind: str
    status: str
    fen: int
    failure: str
    original: str


@pytest.fixture
def replay(engine: Engine, tmp_path: Path) -> Iterator[PaymentsStory]:
    clock = ReplayClock()
    with ReplayReceiver(
        engine, GATEWAY_KEY, today=lambda: clock.day, holding=lambda: clock.holding
    ) as receiver:
        delivery = Delivery(notify_url=receiver.url, seed=3, duplicate_rate=0.3)
        config = GatewayConfig(tmp_path / "gateway.sqlite", GATEWAY_KEY, delivery, clock=clock.now)
        with LocalGateway(config) as gateway:
            yield PaymentsStory(gateway.client, clock, Actor("agent", Role.SERVICING_AGENT), keep=0)


def _people(engine: Engine, cipher: PiiCipher) -> list[DemoBorrower]:
    people = []
    for n in range(3):
        actor = borrower(engine, cipher, f"1370013790{n}")
        terms = LoanTerms(Money(PRINCIPAL_FEN), RATE, 6, RepaymentMethod.EQUAL_INSTALLMENT, START)
        loan_id = loans.open_and_disburse(engine, terms).loan_id
        _own(engine, actor, loan_id)
        people.append(DemoBorrower(f"p{n}@demo", actor, "", {}, START, "on time", loan_id=loan_id))
    return people


def _files(story: PaymentsStory) -> list[FileRow]:
    """Every row of the gateway's files over the replay, parsed here."""
    rows = []
    for k in range(DAYS):
        day = START + timedelta(days=k)
        text = story.gateway.reconciliation_file(day).decode()
        for r in csv.DictReader(io.StringIO(text)):
            when = datetime.fromisoformat(r["completed_at"])
            assert (when + CST).date() == day  # stamped on the replayed day (CST)
            rows.append(
                FileRow(
                    day,
                    r["gateway_txn_id"],
                    r["request_id"],
                    r["kind"],
                    r["status"],
                    int(r["amount_fen"]),
                    r["failure"],
                    r["original_txn_id"],
                )
            )
    return rows


def _table(engine: Engine, query: sa.Select[tuple[object, ...]]) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@pytest.mark.slow
def test_card_payers_are_debited_retried_and_reconciled_every_day(
    engine: Engine, cipher: PiiCipher, replay: PaymentsStory
) -> None:
    people = _people(engine, cipher)
    for k in range(DAYS):
        day = START + timedelta(days=k)
        payments_story_day(engine, cipher, replay, people, day)
        run_cob(engine, day)
    story = replay
    loan_ids = [int(p.loan_id or 0) for p in people]
    assert [p.borrower.loan_id for p in story.payers] == loan_ids
    cards = _table(engine, sa.select(payment_cards))
    assert len(cards) == 3 and all(c["status"] == "active" and c["agreement_token"] for c in cards)

    gateway = _files(story)
    intents = {str(i["id"]): i for i in _table(engine, sa.select(payment_intents))}
    debits = [r for r in gateway if r.kind == "debit"]
    # every debit is an intent's, once; the intents it never saw found nothing left due
    assert {r.request for r in debits} == set(intents) - set(story.cancelled)
    assert story.cancelled and all(intents[i]["status"] == "failed" for i in story.cancelled)
    assert {r.request for r in debits}.isdisjoint(story.cancelled)
    for r in debits:  # the sandbox's rules, read off the amounts here
        cents = r.fen % 100
        failed = {51: "insufficient_funds", 55: "insufficient_funds", 54: "timeout"}
        assert (r.status, r.failure) == (
            ("failed", failed[cents]) if cents in failed else ("succeeded", "")
        )
        assert intents[r.request]["status"] == r.status
        assert int(str(intents[r.request]["amount"])) == r.fen

    # the money: what the gateway took is what the books posted, on the day it took it,
    # but for the debit the repaid loan refused
    posted = _table(
        engine,
        sa.select(transactions).where(transactions.c.idempotency_key.like("intent:%")),
    )
    by_key = {str(t["idempotency_key"]): t for t in posted}
    taken = [r for r in debits if r.status == "succeeded"]
    assert story.unposted in {r.request for r in taken}
    for r in taken:
        posting = by_key.get(f"intent:{r.request}")
        if r.request == story.unposted:
            assert posting is None and intents[r.request]["txn_id"] is None
            continue
        assert posting is not None and int(str(posting["amount"])) == r.fen
        assert EPOCH + timedelta(days=int(str(posting["day"]))) == r.day
    assert len(posted) == len(taken) - 1
    assert sum(int(str(t["amount"])) for t in posted) == sum(r.fen for r in taken) - next(
        r.fen for r in taken if r.request == story.unposted
    )

    # the card payment: the second installment, the level annuity payment, on its due date
    card = intents[str(story.card_payment)]
    rows = _table(
        engine,
        sa.select(installments).where(installments.c.loan_id == loan_ids[0], installments.c.n == 2),
    )
    level = int(str(rows[0]["principal_due"])) + int(str(rows[0]["interest_due"]))
    assert int(str(card["amount"])) == level
    assert abs(level - annuity_fen(PRINCIPAL_FEN, RATE, 6)) <= 200
    assert not str(card["idempotency_key"]).startswith("auto-debit:")
    paid_on = EPOCH + timedelta(days=int(str(by_key[f"intent:{card['id']}"]["day"])))
    assert paid_on == EPOCH + timedelta(days=int(str(rows[0]["due_day"])))
    # the debit queued on its eve for the same installment never reached her card
    (eve,) = [
        i
        for i in story.cancelled
        if intents[i]["loan_id"] == loan_ids[0]
        and str(intents[i]["idempotency_key"])
        == f"auto-debit:{int(str(rows[0]['due_day'])) - 1}:{loan_ids[0]}"
    ]
    assert int(str(intents[eve]["amount"])) == level

    # a debit the card honours pays the installment on its due date: never past due, never an
    # overdue notice, for a payer whose debits all went through
    with engine.connect() as conn:
        notices = conn.execute(
            sa.text("SELECT loan_id, kind FROM notifications WHERE kind LIKE 'overdue%'")
        ).all()
    clean = [
        loan
        for loan in loan_ids
        if all(
            story.debits.get(i) != "failed"
            for i, row in intents.items()
            if row["loan_id"] == loan and i not in story.cancelled
        )
    ]
    assert loan_ids[0] in clean
    assert not [n for n in notices if int(n[0]) in clean]

    # short of funds: refused at once (¥x.51), accepted then failed (¥x.55), retried
    short = [r for r in debits if intents[r.request]["loan_id"] == loan_ids[1]]
    assert [r.fen % 100 for r in short if r.status == "failed"][:1] == [51]
    assert 55 in [r.fen % 100 for r in short if r.status == "failed"]
    assert story.retries and all(intents[i]["loan_id"] for i in story.retries)
    assert any(story.debits[i] == "succeeded" for i in story.retries)
    first_due = _table(
        engine,
        sa.select(installments).where(installments.c.loan_id == loan_ids[1], installments.c.n == 1),
    )[0]
    cash = _table(
        engine,
        sa.select(transactions).where(
            transactions.c.idempotency_key == f"demo-cash-{loan_ids[1]}-1"
        ),
    )
    cash_fen = int(str(cash[0]["amount"])) if cash else 0
    due_fen = int(str(first_due["principal_due"])) + int(str(first_due["interest_due"]))
    assert short[0].fen == due_fen - cash_fen and short[0].fen % 100 == 51

    # the break: the unposted debit, refunded by the agent the next day and resolved; the
    # refund, unknown to the books, resolved that day
    (refund,) = [r for r in gateway if r.kind == "refund"]
    debit = next(r for r in taken if r.request == story.unposted)
    assert (refund.original, refund.fen, refund.status) == (debit.txn, debit.fen, "succeeded")
    assert refund.day == debit.day + timedelta(days=1)
    flagged = _table(engine, sa.select(items).where(items.c.outcome.in_(("unposted", "unknown"))))
    assert {(f["day"], f["outcome"], f["gateway_txn_id"]) for f in flagged} == {
        (debit.day, "unposted", debit.txn),
        (refund.day, "unknown", refund.txn),
    }
    assert all(f["resolved_at"] and f["resolved_by"] == story.agent.label for f in flagged)
    assert refund.txn in str(next(f for f in flagged if f["outcome"] == "unposted")["resolution"])
    status = loans.get_loan(engine, loan_ids[2]).account.status.value
    assert status != "active"

    # every replayed day reconciled; nothing open
    days = [r["day"] for r in _table(engine, sa.select(payment_reconciliations.c.day))]
    assert sorted(days, key=str) == [START + timedelta(days=k) for k in range(DAYS)]
    assert not _table(
        engine,
        sa.select(items).where(
            items.c.outcome.in_(
                ("unposted", "amount-mismatch", "status-mismatch", "unknown", "missing-at-gateway")
            ),
            items.c.resolved_at.is_(None),
        ),
    )
    assert ledger.verify_ledger(engine).ok
