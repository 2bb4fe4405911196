"""Applications with their stored decisions, the facts a decision reads, and the deny list.

``ApplicationRepository.facts`` is the one statement a submission reads (the applicant's sealed
profile, their consents, the velocity counts, the deny list and the real-name rule); it, the
insert and the owner look-ups are :class:`~thinfile.store.hot.Hot`. Changes to an application
are version-checked: ``update`` says whether the version still matched.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.db import StoredRow
from thinfile.store.decisioning_tables import applications, deny_list
from thinfile.store.hot import Hot, HotRow
from thinfile.store.identity_tables import applicants, consents
from thinfile.store.verification_tables import real_name_verifications

__all__ = ["ApplicationRepository", "ConsentScope", "DenyListRepository", "StoredApplication"]

ConsentScope = tuple[tuple[str, ...], str]
"""Data categories (any of them) and the purpose a consent must cover, as stored values."""

_WHEN = applications.c.submitted_at.type


def _since(
    column: sa.Column[str], value: sa.ColumnElement[str], since: str
) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count())
        .select_from(applications)
        .where(
            column == value,
            applications.c.submitted_at >= sa.bindparam(since, type_=_WHEN),
        )
        .scalar_subquery()
    )


def _consented(scope: ConsentScope) -> sa.Exists:
    categories, purpose = scope
    return sa.exists().where(
        consents.c.applicant_id == applicants.c.id,
        # One bound value per category: a list would be an "expanding" parameter, whose SQL
        # is rendered again on every execution of this hot statement.
        consents.c.data_category.in_([sa.literal(c) for c in categories]),
        consents.c.purpose == purpose,
        consents.c.revoked_at.is_(None),
    )


def _may_apply() -> sa.ColumnElement[bool]:
    """Verified by real name, or applied before verification was asked for (the same rule as
    ``RealNameRepository.may_apply``)."""
    verified = sa.exists().where(real_name_verifications.c.applicant_id == applicants.c.id)
    applied = sa.exists().where(applications.c.applicant_id == applicants.c.id)
    return sa.or_(verified, applied)


@functools.lru_cache(maxsize=16)
def _facts(with_device: bool, credit: ConsentScope, alt: ConsentScope) -> Hot:
    """One statement: the sealed profile, the consents, the velocity counts, the deny list
    (hashes of ID number and phone as stored with the profile) and whether the real-name rule
    lets the applicant apply. Built once per shape, run with
    ``applicant_id``, ``since_30d``, ``since_1d`` and ``device``."""
    device = sa.bindparam("device", type_=sa.String)
    listed: list[sa.ColumnElement[str]] = [applicants.c.id_number_hash, applicants.c.phone_hash]
    if with_device:
        listed.append(device)
    by_device = (
        _since(applications.c.device_hash, device, "since_1d") if with_device else sa.literal(0)
    )
    return Hot(
        sa.select(
            applicants.c.id,
            applicants.c.name_enc,
            applicants.c.id_number_enc,
            applicants.c.phone_enc,
            applicants.c.id_number_hash,
            applicants.c.phone_hash,
            _since(applications.c.id_number_hash, applicants.c.id_number_hash, "since_30d").label(
                "by_id"
            ),
            _since(applications.c.phone_hash, applicants.c.phone_hash, "since_30d").label(
                "by_phone"
            ),
            by_device.label("by_device"),
            sa.exists().where(deny_list.c.lookup_hash.in_(listed)).label("denied"),
            _consented(credit).label("credit"),
            _consented(alt).label("alt"),
            _may_apply().label("may_apply"),
        ).where(applicants.c.id == sa.bindparam("applicant_id", type_=sa.String))
    )


_INSERT = Hot(sa.insert(applications))  # built once: the values come as parameters
_OWNER_OF = {
    column: Hot(
        sa.select(applications.c.user_id).where(
            applications.c[column] == sa.bindparam("value", type_=applications.c[column].type)
        )
    )
    for column in ("id", "loan_id", "credit_line_id")
}
"""Whose application (by its id), loan or credit line it is: a payment asks every time."""


@dataclass(frozen=True, slots=True)
class StoredApplication:
    """An application as stored: where it stands, its decision (masked JSON) and its sealed
    identity (``pii_enc``), and its ``version`` for a checked update."""

    id: str
    applicant_id: str
    user_id: str
    submitted_at: datetime
    status: str
    outcome: str
    model_version: str
    policy_version: str
    decision_json: str
    pii_enc: str
    accepted_offer: int | None
    loan_id: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    version: int


_LINES_OF_USER = Hot(
    sa.select(applications.c.credit_line_id)
    .where(
        applications.c.user_id == sa.bindparam("user_id"),
        applications.c.credit_line_id.is_not(None),
    )
    .order_by(applications.c.submitted_at.desc())
)  # every checkout confirmation looks for a line with room
_STORED = sa.select(*(applications.c[name] for name in StoredApplication.__dataclass_fields__))


def _stored(row: StoredRow) -> StoredApplication:
    return StoredApplication(*row)


class ApplicationRepository:
    """Applications on one connection; who owns an application, a loan or a line by it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def facts(
        self,
        applicant_id: str,
        *,
        since_30d: datetime,
        since_1d: datetime,
        device: str | None,
        credit: ConsentScope,
        alt: ConsentScope,
    ) -> HotRow | None:
        """What a decision reads about an applicant in one statement: ``*_enc`` and the
        ``*_hash`` columns of the profile, ``by_id`` / ``by_phone`` (applications since
        ``since_30d``), ``by_device`` (since ``since_1d``), ``denied``, whether a consent
        covers ``credit`` and ``alt`` (``credit``, ``alt``), and ``may_apply`` (real name
        verified, or applied before). None for an unknown applicant."""
        return _facts(device is not None, credit, alt).first(
            self.conn,
            {
                "applicant_id": applicant_id,
                "since_30d": since_30d,
                "since_1d": since_1d,
                "device": device,
            },
        )

    def add(self, values: dict[str, Any]) -> None:
        """Insert a decided application (every column's value given)."""
        _INSERT.run(self.conn, values)

    def get(self, application_id: str, *, lock: bool = False) -> StoredApplication | None:
        query = _STORED.where(applications.c.id == application_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _stored(row)

    def newest(
        self, *, status: str | None = None, user_id: str | None = None, limit: int
    ) -> list[StoredApplication]:
        """Newest first, optionally of one status or one user."""
        query = _STORED.order_by(applications.c.submitted_at.desc()).limit(limit)
        if status:
            query = query.where(applications.c.status == status)
        if user_id:
            query = query.where(applications.c.user_id == user_id)
        return [_stored(r) for r in self.conn.execute(query)]

    def update(self, application_id: str, version: int, **values: Any) -> bool:
        """Change the application if it is still at ``version`` (and move it to the next
        version); False when someone changed it meanwhile."""
        changed = self.conn.execute(
            sa.update(applications)
            .where(applications.c.id == application_id, applications.c.version == version)
            .values(**values, version=version + 1)
        )
        return changed.rowcount == 1

    def owner(self, application_id: str) -> str | None:
        return self._user_where(_OWNER_OF["id"], application_id)

    def owner_of_loan(self, loan_id: str) -> str | None:
        """The user whose accepted offer opened ``loan_id``."""
        return self._user_where(_OWNER_OF["loan_id"], loan_id)

    def owner_of_line(self, line_id: str) -> str | None:
        """The user whose accepted offer opened credit line ``line_id``."""
        return self._user_where(_OWNER_OF["credit_line_id"], line_id)

    def owners_of_lines(self, line_ids: Sequence[int]) -> dict[int, str]:
        """The user whose accepted offer opened each of ``line_ids`` that has one."""
        if not line_ids:
            return {}
        keys = [str(i) for i in line_ids]
        rows = self.conn.execute(
            sa.select(applications.c.credit_line_id, applications.c.user_id).where(
                applications.c.credit_line_id.in_(keys)
            )
        )
        owners: dict[int, str] = {}
        for line, user in rows:
            owners.setdefault(int(line), str(user))
        return owners

    def _user_where(self, query: Hot, value: str) -> str | None:
        row = query.first(self.conn, {"value": value})
        return None if row is None else str(row.user_id)

    def loans_of_user(self, user_id: str) -> list[tuple[str, int]]:
        """(application id, loan id) of every loan opened by the user's offers, newest first."""
        rows = self.conn.execute(
            sa.select(applications.c.id, applications.c.loan_id)
            .where(applications.c.user_id == user_id, applications.c.loan_id.is_not(None))
            .order_by(applications.c.submitted_at.desc())
        ).all()
        return [(str(r.id), int(r.loan_id)) for r in rows]

    def lines_of_user(self, user_id: str) -> list[int]:
        """The credit lines opened by the user's offers, newest first."""
        rows = _LINES_OF_USER.all(self.conn, {"user_id": user_id})
        return [int(r.credit_line_id) for r in rows]


class DenyListRepository:
    """Keyed hashes of ID numbers and phones whose applications are declined."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, lookup_hash: str, *, kind: str, reason: str, added_at: datetime) -> None:
        """List ``lookup_hash`` (replacing an earlier listing of it)."""
        self.conn.execute(sa.delete(deny_list).where(deny_list.c.lookup_hash == lookup_hash))
        self.conn.execute(
            sa.insert(deny_list).values(
                lookup_hash=lookup_hash, kind=kind, reason=reason, added_at=added_at
            )
        )
