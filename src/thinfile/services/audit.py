"""The audit log: append-only and hash-chained, for every sensitive action.

Each row stores the hash of the row before it, and its own hash over its content and that
link, so editing or deleting any row breaks the chain; the ``audit_head`` row remembers the
newest sequence number and hash, so deleting the newest rows is caught too. Database triggers
refuse ``UPDATE`` and ``DELETE`` on ``audit_log``.

Write with :func:`record_audit` inside the transaction of the action it records, so the action
and its audit row commit (or roll back) together::

    record_audit(session, actor.label, "payment.post", f"loan:{loan_id}", {"amount_fen": 1500})

Appending locks the head row until the transaction ends, so every audited writer waits for the
one before it from its append to its commit: **append last**, just before the commit, never
before a slow step. A use case that leaves the commit to its caller returns an
:class:`AuditDraft` instead, which the caller appends as the transaction's last write. An append
is two statements on PostgreSQL (lock-and-advance the head; insert the row and set the head's
hash) and three on SQLite.

Actions in use: ``auth.sign_in``, ``auth.sign_in_failed``, ``staff.create_user``,
``staff.create_api_key``, ``staff.revoke_api_key``, ``staff.view_applicant``,
``staff.list_applicants``, ``staff.view_consents``, ``applicant.register``,
``consent.grant``, ``consent.revoke``, ``pii.reencrypt``.
Coming: ``decision.*``, ``payment.*``, ``loan.reverse``, ``policy.activate``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from thinfile.services.identity_records import Sessions, now_utc
from thinfile.store.identity_tables import audit_head, audit_log

__all__ = ["GENESIS_HASH", "AuditDraft", "AuditEntry", "AuditReport", "Executor", "record_audit",
           "verify_audit_chain"]

Executor = Session | Connection
"""Where a use case's statements go: an ORM session or a Core connection in a transaction."""

GENESIS_HASH = "0" * 64
_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    occurred_at: str
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of checking the chain: ``problems`` is empty when nothing was altered."""

    rows_checked: int
    problems: tuple[str, ...]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def _row_hash(seq: int, occurred_at: str, actor: str, action: str, subject: str,
              details: str, prev_hash: str) -> str:
    canonical = json.dumps([seq, occurred_at, actor, action, subject, details, prev_hash],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _dialect(executor: Executor) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


_ADVANCE = (sa.update(audit_head).where(audit_head.c.id == 1)
            .values(last_seq=audit_head.c.last_seq + 1)
            .returning(audit_head.c.last_seq, audit_head.c.last_hash))
_APPEND = sa.insert(audit_log)
_LINK = sa.update(audit_head).where(audit_head.c.id == 1).values(
    last_hash=sa.bindparam("new_hash", type_=sa.String))
_APPEND_AND_LINK = _LINK.add_cte(sa.insert(audit_log).values(
    {c.name: sa.bindparam(f"a_{c.name}", type_=c.type) for c in audit_log.columns}
).cte("appended"))
"""PostgreSQL: the row and the head's new hash in one statement (SQLite has no DML in WITH)."""


def record_audit(executor: Executor, actor: str, action: str, subject: str,
                 details: Mapping[str, object] | None = None) -> AuditEntry:
    """Append one row to the audit log in ``executor``'s transaction (the caller commits).

    Never put personal data in ``details``: name ids and amounts, not ID numbers or phones.
    Call it last in the transaction: from here to the commit every other audited writer waits.
    """
    body = json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    head = executor.execute(_ADVANCE).one()  # locks the head row until the commit
    occurred_at = now_utc().isoformat(timespec="microseconds")
    entry = AuditEntry(int(head.last_seq), occurred_at, actor[:100], action[:100],
                       subject[:200], body, str(head.last_hash), "")
    row_hash = _row_hash(entry.seq, entry.occurred_at, entry.actor, entry.action, entry.subject,
                         entry.details, entry.prev_hash)
    row = {"seq": entry.seq, "occurred_at": occurred_at, "actor": entry.actor,
           "action": entry.action, "subject": entry.subject, "details": body,
           "prev_hash": entry.prev_hash, "row_hash": row_hash}
    if _dialect(executor) == "postgresql":
        executor.execute(_APPEND_AND_LINK, {"new_hash": row_hash,
                                            **{f"a_{k}": v for k, v in row.items()}})
    else:
        executor.execute(_APPEND, row)
        executor.execute(_LINK, {"new_hash": row_hash})
    return AuditEntry(entry.seq, occurred_at, entry.actor, entry.action, entry.subject, body,
                      entry.prev_hash, row_hash)


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An audit row to append later in the same transaction (see :func:`record_audit`)."""

    actor: str
    action: str
    subject: str
    details: Mapping[str, object] = field(default_factory=dict)

    def append(self, executor: Executor) -> AuditEntry:
        return record_audit(executor, self.actor, self.action, self.subject, self.details)


def _entries(session: Session) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.execute(
            sa.select(audit_log).where(audit_log.c.seq > after)
            .order_by(audit_log.c.seq).limit(_BATCH)
        ).all()
        for row in rows:
            yield AuditEntry(int(row.seq), row.occurred_at, row.actor, row.action, row.subject,
                             row.details, row.prev_hash, row.row_hash)
        if len(rows) < _BATCH:
            return
        after = int(rows[-1].seq)


def _check_entry(entry: AuditEntry, expected_seq: int, prev_hash: str) -> list[str]:
    problems = []
    if entry.seq != expected_seq:
        problems.append(f"rows {expected_seq}..{entry.seq - 1} are missing")
    if entry.prev_hash != prev_hash:
        problems.append(f"row {entry.seq} does not link to the row before it")
    recomputed = _row_hash(entry.seq, entry.occurred_at, entry.actor, entry.action,
                           entry.subject, entry.details, entry.prev_hash)
    if recomputed != entry.row_hash:
        problems.append(f"row {entry.seq} was edited (its hash does not match its content)")
    return problems


def verify_audit_chain(sessions: Sessions) -> AuditReport:
    """Walk the whole log and report every broken link, edited row and missing row."""
    problems: list[str] = []
    checked, expected_seq, prev_hash = 0, 1, GENESIS_HASH
    with sessions.begin() as session:
        for entry in _entries(session):
            problems.extend(_check_entry(entry, expected_seq, prev_hash))
            checked += 1
            expected_seq, prev_hash = entry.seq + 1, entry.row_hash
        head = session.execute(
            sa.select(audit_head.c.last_seq, audit_head.c.last_hash).where(audit_head.c.id == 1)
        ).one_or_none()
    if head is None:
        problems.append("the audit head row is missing")
    elif int(head.last_seq) != expected_seq - 1 or head.last_hash != prev_hash:
        problems.append(f"the log ends at row {expected_seq - 1} but the head records row "
                        f"{head.last_seq}: the newest rows were deleted or altered")
    return AuditReport(rows_checked=checked, problems=tuple(problems))
