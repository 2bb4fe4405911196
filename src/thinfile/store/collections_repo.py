"""The collections repository: cases kept in step with delinquency buckets, parties,
contacts, call counts, promises, hardship plans and agencies. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.collections.promises import (
    PromiseStatus,
    PromiseWindow,
    paid_towards,
    promise_status,
)
from thinfile.store.checkout_tables import checkout_captures
from thinfile.store.collections_tables import (
    agencies,
    agency_assignments,
    agency_users,
    call_counts,
    cases,
    contacts,
    hardship_plans,
    notes,
    parties,
    promises,
)
from thinfile.store.db import StoredRow
from thinfile.store.dialect import insert_for
from thinfile.store.dispute_tables import checkout_disputes
from thinfile.store.servicing_codec import from_day
from thinfile.store.servicing_tables import loans, transactions

__all__ = ["CollectionsRepository"]

_PAID_KINDS = ("repayment", "prepayment", "settlement")
_BATCH = 500
"""Loans whose promises are settled in one pair of reads (a bounded ``IN`` list)."""


def _undisputed(loan_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The loan finances no purchase under an open dispute (DOMAIN §11: collection pauses
    while it is open, so no case opens or reopens for it)."""
    return ~sa.exists().where(
        checkout_captures.c.session_id == checkout_disputes.c.session_id,
        checkout_captures.c.loan_id == loan_id,
        checkout_disputes.c.resolved_day.is_(None),
    )


class CollectionsRepository:
    """Collections rows on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # cases ---------------------------------------------------------------------------------

    def delinquent_without_case(self) -> list[StoredRow]:
        """Active delinquent loans that never had a case and finance no purchase under an
        open dispute: ``id, bucket``."""
        return list(
            self.conn.execute(
                sa.select(loans.c.id, loans.c.bucket)
                .where(
                    loans.c.status == "active",
                    loans.c.bucket != "CURRENT",
                    ~sa.exists().where(cases.c.loan_id == loans.c.id),
                    _undisputed(loans.c.id),
                )
                .order_by(loans.c.id)
            )
        )

    def add_cases(self, rows: list[dict[str, Any]]) -> int:
        if rows:
            self.conn.execute(sa.insert(cases), rows)
        return len(rows)

    def follow_buckets(self, day: int, agent_buckets: frozenset[str]) -> int:
        """Open cases follow their loan's bucket (and strategy, unless with an agency);
        closed cases of loans delinquent again reopen (not while the loan's purchase is under
        an open dispute); cases of loans cured or closed close."""
        bucket = sa.select(loans.c.bucket).where(loans.c.id == cases.c.loan_id).scalar_subquery()
        active = sa.exists().where(loans.c.id == cases.c.loan_id, loans.c.status == "active")
        delinquent = sa.exists().where(
            loans.c.id == cases.c.loan_id, loans.c.status == "active", loans.c.bucket != "CURRENT"
        )
        strategy = sa.case(
            (cases.c.agency.is_not(None), "agency"),
            (bucket.in_(sorted(agent_buckets)), "agent"),
            else_="self_service",
        )
        touched = self.conn.execute(
            sa.update(cases)
            .where(cases.c.status == "closed", delinquent, _undisputed(cases.c.loan_id))
            .values(
                status="open",
                bucket=bucket,
                entry_bucket=bucket,
                strategy=strategy,
                opened_day=day,
                closed_day=None,
                assignee=None,
                agency=None,
                version=cases.c.version + 1,
            )
        ).rowcount
        touched += self.conn.execute(
            sa.update(cases)
            .where(cases.c.status == "open", delinquent, cases.c.bucket != bucket)
            .values(bucket=bucket, strategy=strategy, version=cases.c.version + 1)
        ).rowcount
        touched += self.conn.execute(
            sa.update(cases)
            .where(cases.c.status == "open", sa.or_(~active, ~delinquent))
            .values(status="closed", closed_day=day, version=cases.c.version + 1)
        ).rowcount
        return int(touched)

    def case(self, case_id: int, *, lock: bool = False) -> StoredRow | None:
        query = sa.select(cases).where(cases.c.id == case_id)
        return self.conn.execute(query.with_for_update() if lock else query).first()

    def case_of_loan(self, loan_id: int) -> StoredRow | None:
        return self.conn.execute(sa.select(cases).where(cases.c.loan_id == loan_id)).first()

    def worklist(self, filters: Mapping[str, object], limit: int) -> list[StoredRow]:
        """Open cases, most days past due first (oldest ``overdue_since_day``)."""
        query = (
            sa.select(cases, loans.c.overdue_since_day, loans.c.cob_day, loans.c.currency)
            .join(loans, loans.c.id == cases.c.loan_id)
            .where(cases.c.status == "open")
        )
        for name, value in filters.items():
            if value is not None:
                query = query.where(cases.c[name] == value)
        query = query.order_by(loans.c.overdue_since_day, cases.c.id).limit(limit)
        return list(self.conn.execute(query))

    def update_case(self, case_id: int, **values: object) -> None:
        self.conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id)
            .values(**values, version=cases.c.version + 1)
        )

    def case_rows(self, *, agency: str | None = None) -> list[StoredRow]:
        """Every case with its loan's bucket and status today (for the measures); with
        ``agency``, only the cases that agency holds."""
        query = sa.select(
            cases, loans.c.bucket.label("loan_bucket"), loans.c.status.label("ls")
        ).join(loans, loans.c.id == cases.c.loan_id)
        if agency is not None:
            query = query.where(cases.c.agency == agency)
        return list(self.conn.execute(query.order_by(cases.c.id)))

    # parties and contacts ------------------------------------------------------------------

    def add_party(self, row: dict[str, Any]) -> int:
        inserted = self.conn.execute(sa.insert(parties).values(**row).returning(parties.c.id))
        return int(inserted.scalar_one())

    def parties_of(self, loan_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(parties).where(parties.c.loan_id == loan_id).order_by(parties.c.id)
            )
        )

    def add_contact(self, row: dict[str, Any]) -> int:
        inserted = self.conn.execute(sa.insert(contacts).values(**row).returning(contacts.c.id))
        return int(inserted.scalar_one())

    def contacts_of(self, case_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(contacts).where(contacts.c.case_id == case_id).order_by(contacts.c.id)
            )
        )

    def lock_unanswered(self, number_hash: str, local_day: int) -> int:
        """The unanswered calls to a number on a local day, its row locked until commit."""
        key = {"number_hash": number_hash, "local_day": local_day}
        self.conn.execute(insert_for(self.conn, call_counts).values(**key).on_conflict_do_nothing())
        row = self.conn.execute(
            sa.select(call_counts.c.unanswered)
            .where(call_counts.c.number_hash == number_hash, call_counts.c.local_day == local_day)
            .with_for_update()
        ).scalar_one()
        return int(row)

    def count_unanswered(self, number_hash: str, local_day: int) -> None:
        self.conn.execute(
            sa.update(call_counts)
            .where(call_counts.c.number_hash == number_hash, call_counts.c.local_day == local_day)
            .values(unanswered=call_counts.c.unanswered + 1)
        )

    # promises ------------------------------------------------------------------------------

    def add_promise(self, row: dict[str, Any]) -> int:
        inserted = self.conn.execute(sa.insert(promises).values(**row).returning(promises.c.id))
        return int(inserted.scalar_one())

    def promises_of(self, case_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(promises).where(promises.c.case_id == case_id).order_by(promises.c.id)
            )
        )

    def settle_promises(self, day: int) -> int:
        """Close of business for ``day``: each pending promise's money received
        (:func:`~thinfile.collections.promises.paid_towards`, from the loan's payments up to
        ``day``, each counted once across its promises) and status: kept once that reaches
        the amount, broken once its date is closed without it. A second run of the same day
        changes nothing it has not already changed."""
        loans = sorted(
            int(i)
            for i in self.conn.execute(
                sa.select(promises.c.loan_id).where(promises.c.status == "pending").distinct()
            ).scalars()
        )
        settled = 0
        for start in range(0, len(loans), _BATCH):
            settled += self._settle_loans(loans[start : start + _BATCH], day)
        return settled

    def reopen_promises(self, loan_id: int, since: int) -> int:
        """Promises of the loan judged kept on or after day ``since`` go back to pending: a
        payment of ``since`` that may have kept them was reversed, and close of business
        judges them again from the money that stays (kept, or broken once their date has
        closed without it)."""
        p = promises.c
        return int(
            self.conn.execute(
                sa.update(promises)
                .where(
                    p.loan_id == loan_id,
                    p.status == PromiseStatus.KEPT.value,
                    p.settled_day >= since,
                )
                .values(status=PromiseStatus.PENDING.value, paid=0, settled_day=None)
            ).rowcount
        )

    def _settle_loans(self, loan_ids: list[int], day: int) -> int:
        p, t = promises.c, transactions.c
        windows: dict[int, list[tuple[PromiseWindow, str]]] = {}
        for r in self.conn.execute(
            sa.select(p.id, p.loan_id, p.amount, p.made_day, p.due_day, p.status).where(
                p.loan_id.in_(loan_ids)
            )
        ):
            window = PromiseWindow(int(r.id), int(r.amount), int(r.made_day), int(r.due_day))
            windows.setdefault(int(r.loan_id), []).append((window, str(r.status)))
        paid_in: dict[int, list[tuple[int, int]]] = {}
        for loan_id, day_paid, fen in self.conn.execute(
            sa.select(t.loan_id, t.day, t.amount).where(
                t.loan_id.in_(loan_ids),
                t.kind.in_(_PAID_KINDS),
                t.reversed == sa.false(),
                t.day <= day,
            )
        ):
            paid_in.setdefault(int(loan_id), []).append((int(day_paid), int(fen)))
        changes = []
        for loan_id, found in windows.items():
            paid = paid_towards([w for w, _ in found], paid_in.get(loan_id, ()))
            for w, status in found:
                if status != PromiseStatus.PENDING.value:
                    continue
                now = promise_status(w.amount, from_day(w.due), paid[w.id], from_day(day))
                settled = None if now is PromiseStatus.PENDING else day
                changes.append({"i": w.id, "p": paid[w.id], "s": now.value, "d": settled})
        if changes:
            self.conn.execute(
                sa.update(promises)
                .where(p.id == sa.bindparam("i"))
                .values(
                    paid=sa.bindparam("p"), status=sa.bindparam("s"), settled_day=sa.bindparam("d")
                ),
                changes,
            )
        return sum(1 for c in changes if c["s"] != PromiseStatus.PENDING.value)

    def promise_rows(self, *, agency: str | None = None) -> list[StoredRow]:
        """``strategy, bucket, status`` of every promise (the case's at the time of reading);
        with ``agency``, only the promises on cases that agency holds."""
        query = sa.select(cases.c.strategy, cases.c.bucket, promises.c.status).join(
            cases, cases.c.id == promises.c.case_id
        )
        if agency is not None:
            query = query.where(cases.c.agency == agency)
        return list(self.conn.execute(query))

    # hardship ------------------------------------------------------------------------------

    def add_plan(self, row: dict[str, Any]) -> int:
        inserted = self.conn.execute(
            sa.insert(hardship_plans).values(**row).returning(hardship_plans.c.id)
        )
        return int(inserted.scalar_one())

    def plan(self, plan_id: int, *, lock: bool = False) -> StoredRow | None:
        query = sa.select(hardship_plans).where(hardship_plans.c.id == plan_id)
        return self.conn.execute(query.with_for_update() if lock else query).first()

    def plans_of(self, loan_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(hardship_plans)
                .where(hardship_plans.c.loan_id == loan_id)
                .order_by(hardship_plans.c.id)
            )
        )

    def decline_plan(self, plan_id: int, *, by: str, day: int) -> None:
        """A proposed plan declined (or withdrawn) by ``by`` on ``day``: never posted."""
        self.conn.execute(
            sa.update(hardship_plans)
            .where(hardship_plans.c.id == plan_id, hardship_plans.c.status == "proposed")
            .values(status="declined", approved_by=by, approved_day=day)
        )

    def approve_plan(self, plan_id: int, *, by: str, day: int, txn_id: int | None) -> None:
        self.conn.execute(
            sa.update(hardship_plans)
            .where(hardship_plans.c.id == plan_id)
            .values(status="approved", approved_by=by, approved_day=day, txn_id=txn_id)
        )

    # agencies ------------------------------------------------------------------------------

    def add_agency(self, code: str, name: str) -> None:
        self.conn.execute(sa.insert(agencies).values(code=code, name=name, active=True))

    def agency_of_user(self, user_id: str) -> str | None:
        return self.conn.execute(
            sa.select(agency_users.c.agency).where(agency_users.c.user_id == user_id)
        ).scalar_one_or_none()

    def add_agency_user(self, user_id: str, agency: str) -> None:
        self.conn.execute(sa.insert(agency_users).values(user_id=user_id, agency=agency))

    def add_note(self, case_id: int, author: str, at: datetime, text: str) -> int:
        return int(
            self.conn.execute(
                sa.insert(notes)
                .values(case_id=case_id, author=author, at=at, text=text)
                .returning(notes.c.id)
            ).scalar_one()
        )

    def notes_of(self, case_id: int) -> list[StoredRow]:
        return list(
            self.conn.execute(
                sa.select(notes).where(notes.c.case_id == case_id).order_by(notes.c.id)
            )
        )

    def agencies(self) -> list[StoredRow]:
        """The white list: ``code, name, active`` of every agency, by code."""
        return list(self.conn.execute(sa.select(agencies).order_by(agencies.c.code)))

    def agency(self, code: str) -> StoredRow | None:
        return self.conn.execute(sa.select(agencies).where(agencies.c.code == code)).first()

    def assign_agency(self, case_id: int, agency: str, day: int, actor: str) -> None:
        self.conn.execute(
            sa.insert(agency_assignments).values(
                case_id=case_id, agency=agency, assigned_day=day, actor=actor
            )
        )

    def recall_agency(self, case_id: int, day: int) -> int:
        return int(
            self.conn.execute(
                sa.update(agency_assignments)
                .where(
                    agency_assignments.c.case_id == case_id,
                    agency_assignments.c.recalled_day.is_(None),
                )
                .values(recalled_day=day)
            ).rowcount
        )
