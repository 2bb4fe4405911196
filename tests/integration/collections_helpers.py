"""Builders for collections tests: a delinquent loan with its case, staff and a cipher."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from tests.integration.servicing_helpers import START, terms
from thinfile.collections import Channel, ContactOutcome, Party, Purpose
from thinfile.security.crypto import PiiCipher
from thinfile.security.roles import Role
from thinfile.services.cob import run_cob
from thinfile.services.collection_contacts import ContactRequest, register_party
from thinfile.services.identity_records import Actor
from thinfile.services.loans import open_and_disburse
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import ServicingProduct

BORROWER_PHONE = "13812345678"
EMERGENCY_PHONE = "13987654321"
STRANGER_PHONE = "13700001111"
COLLECTOR = Actor("c-1", Role.COLLECTOR)
COLLECTOR_2 = Actor("c-2", Role.COLLECTOR)
AGENT = Actor("a-1", Role.SERVICING_AGENT)
AGENT_2 = Actor("a-2", Role.SERVICING_AGENT)
ADMIN = Actor("admin-1", Role.ADMIN)
BEIJING = timedelta(hours=8)


def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` Asia/Shanghai time on ``day``, as an aware UTC datetime."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return local - BEIJING


FIRST_DUE = date(2025, 1, 6)
"""A short first period, so a loan is past due after a few business dates."""


def delinquent_loans(engine, through: date, *principals: str) -> list[int]:
    """Loans from 2025-01-01, first due 2025-01-06, never paid, closed through ``through``."""
    ids = [
        open_and_disburse(
            engine, terms(p, 6, "0.18", first_due=FIRST_DUE), product=ServicingProduct()
        ).loan_id
        for p in principals
    ]
    run_cob(engine, through)
    return ids


def delinquent_loan(engine, through: date, principal: str = "3000") -> int:
    return delinquent_loans(engine, through, principal)[0]


def case_of(engine, loan_id: int):
    with UnitOfWork(engine) as uow:
        return uow.collections.case_of_loan(loan_id)


def with_parties(engine, loan_id: int, c: PiiCipher) -> None:
    register_party(
        engine, loan_id, Party.BORROWER, phone=BORROWER_PHONE, name="张伟", cipher=c, actor=AGENT
    )
    register_party(
        engine,
        loan_id,
        Party.EMERGENCY_CONTACT,
        phone=EMERGENCY_PHONE,
        name="李娜",
        cipher=c,
        actor=AGENT,
    )


def call(
    at: datetime,
    *,
    party: Party = Party.BORROWER,
    phone: str = BORROWER_PHONE,
    outcome: ContactOutcome = ContactOutcome.UNANSWERED,
    purpose: Purpose = Purpose.COLLECT,
    script: str = "overdue-reminder",
    reason: str = "M1 overdue reminder",
    channel: Channel = Channel.PHONE,
) -> ContactRequest:
    return ContactRequest(channel, party, phone, purpose, script, reason, outcome, at)


__all__ = ["START"]
