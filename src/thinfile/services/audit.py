"""The audit log: append-only and hash-chained, for every sensitive action.

The log is :data:`CHAINS` hash chains. A row goes to the chain its subject hashes to (so the
history of one loan or application stays in one chain, in order), stores the hash of the row
before it in that chain and its own hash over its content and that link, so editing or
deleting any row breaks its chain; each chain's ``audit_head`` row remembers its newest
position and hash, so deleting the newest rows is caught too. Database triggers refuse
``UPDATE`` and ``DELETE`` on ``audit_log``.

Write with :func:`record_audit` inside the transaction of the action it records, so the action
and its audit row commit (or roll back) together::

    record_audit(session, actor.label, "payment.post", f"loan:{loan_id}", {"amount_fen": 1500})

Appending locks the head row of the subject's chain until the transaction ends, so audited
writers of the same chain wait for each other from the append to the commit: **append last**,
just before the commit, never before a slow step. With one chain every audited request of the
service queued on that one lock (most PostgreSQL backends under load were waiting on it); with
sixteen, two writers meet one time in sixteen. A use case that leaves the commit to its caller
returns an :class:`AuditDraft` instead, which the caller appends as the transaction's last
write. On PostgreSQL an append is one statement (lock the head, hash, insert, advance the head,
all in the database); on SQLite, which has one writer at a time anyway, three.

Actions in use: ``auth.sign_in``, ``auth.sign_in_failed``, ``staff.create_user``,
``staff.create_api_key``, ``staff.revoke_api_key``, ``staff.view_applicant``,
``staff.list_applicants``, ``staff.view_consents``, ``applicant.register``,
``consent.grant``, ``consent.revoke``, ``pii.reencrypt``; servicing, each in the posting's
own transaction: ``payment.post``, ``payment.prepay``, ``payment.reverse``,
``credit_line.draw``, ``loan.merchant_refund``, ``loan.overpayment_refund``,
``loan.charge_off``, ``loan.write_off``, ``loan.recovery``, ``loan.fee_waiver``,
``loan.fee_waiver_reverse`` (see ``services.loan_postings.ACTIONS``) and ``cob.close_day``
(one per business date closed).
Decisions and policies: ``application.decide``, ``policy.*`` and the like.
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
from thinfile.store.hot import Hot
from thinfile.store.identity_tables import audit_head, audit_log

__all__ = ["CHAINS", "GENESIS_HASH", "AuditDraft", "AuditEntry", "AuditReport", "Executor",
           "chain_of", "genesis_hash", "record_audit", "verify_audit_chain"]

Executor = Session | Connection
"""Where a use case's statements go: an ORM session or a Core connection in a transaction."""

GENESIS_HASH = "0" * 64
"""The genesis of chain 1 (the log's original single chain); see :func:`genesis_hash`."""
CHAINS = 16
"""How many chains the log has (the migration ``identity_0002`` creates their heads)."""
_BATCH = 1_000


def genesis_hash(chain: int) -> str:
    """What the first row of ``chain`` links to."""
    if chain == 1:
        return GENESIS_HASH
    return hashlib.sha256(f"thinfile audit chain {chain}".encode()).hexdigest()


def chain_of(subject: str) -> int:
    """The chain (1 … :data:`CHAINS`) that rows about ``subject`` go to."""
    digest = hashlib.sha256(subject.encode()).digest()
    return int.from_bytes(digest[:4], "big") % CHAINS + 1


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    chain: int
    chain_seq: int
    occurred_at: str
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of checking the chains: ``problems`` is empty when nothing was altered."""

    rows_checked: int
    problems: tuple[str, ...]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def _canonical_tail(occurred_at: str, actor: str, action: str, subject: str,
                    details: str) -> str:
    """The middle of a row's canonical JSON: everything but its position and its link."""
    return json.dumps([occurred_at, actor, action, subject, details], ensure_ascii=False,
                      separators=(",", ":"))[1:-1]


def _row_hash(chain_seq: int, occurred_at: str, actor: str, action: str, subject: str,
              details: str, prev_hash: str) -> str:
    """SHA-256 of ``[chain_seq, occurred_at, actor, action, subject, details, prev_hash]`` as
    compact JSON (what :data:`_APPEND_PG` computes in the database, character for character)."""
    canonical = (f"[{chain_seq},{_canonical_tail(occurred_at, actor, action, subject, details)}"
                 f',"{prev_hash}"]')
    return hashlib.sha256(canonical.encode()).hexdigest()


def _dialect(executor: Executor) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


_APPEND_PG = Hot(sa.text("""
WITH head AS (
    SELECT last_seq + 1 AS chain_seq, last_hash AS prev_hash
    FROM audit_head WHERE id = :chain FOR UPDATE
), hashed AS (
    SELECT chain_seq, prev_hash,
           encode(sha256(convert_to('[' || chain_seq || ',' || :tail || ',"' || prev_hash
                                    || '"]', 'UTF8')), 'hex') AS row_hash
    FROM head
), appended AS (
    INSERT INTO audit_log (chain, chain_seq, occurred_at, actor, action, subject, details,
                           prev_hash, row_hash)
    SELECT :chain, chain_seq, :occurred_at, :actor, :action, :subject, :details, prev_hash,
           row_hash
    FROM hashed
    RETURNING seq, chain_seq, prev_hash, row_hash
)
UPDATE audit_head SET last_seq = appended.chain_seq, last_hash = appended.row_hash
FROM appended WHERE audit_head.id = :chain
RETURNING appended.seq, appended.chain_seq, appended.prev_hash, appended.row_hash
"""))
"""PostgreSQL: lock the chain's head, hash, insert and advance the head in one round trip, so
the head is held for one statement and the commit (the hash is the one :func:`_row_hash`
computes; ``verify_audit_chain`` recomputes it in Python)."""
_ADVANCE = (sa.update(audit_head).where(audit_head.c.id == sa.bindparam("chain"))
            .values(last_seq=audit_head.c.last_seq + 1)
            .returning(audit_head.c.last_seq, audit_head.c.last_hash))
_APPEND = sa.insert(audit_log).returning(audit_log.c.seq)
_LINK = sa.update(audit_head).where(audit_head.c.id == sa.bindparam("chain")).values(
    last_hash=sa.bindparam("new_hash", type_=sa.String))


def record_audit(executor: Executor, actor: str, action: str, subject: str,
                 details: Mapping[str, object] | None = None) -> AuditEntry:
    """Append one row to the audit log in ``executor``'s transaction (the caller commits).

    Never put personal data in ``details``: name ids and amounts, not ID numbers or phones.
    Call it last in the transaction: from here to the commit, other audited writers of the
    same chain wait.
    """
    body = json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    actor, action, subject = actor[:100], action[:100], subject[:200]
    chain = chain_of(subject)
    occurred_at = now_utc().isoformat(timespec="microseconds")
    if _dialect(executor) == "postgresql":
        done = _APPEND_PG.one(executor, {
            "chain": chain, "tail": _canonical_tail(occurred_at, actor, action, subject, body),
            "occurred_at": occurred_at, "actor": actor, "action": action, "subject": subject,
            "details": body})
        return AuditEntry(int(done.seq), chain, int(done.chain_seq), occurred_at, actor,
                          action, subject, body, str(done.prev_hash), str(done.row_hash))
    head = executor.execute(_ADVANCE, {"chain": chain}).one()  # the head is locked from here
    position, prev_hash = int(head.last_seq), str(head.last_hash)
    row_hash = _row_hash(position, occurred_at, actor, action, subject, body, prev_hash)
    seq = executor.execute(_APPEND, {
        "chain": chain, "chain_seq": position, "occurred_at": occurred_at, "actor": actor,
        "action": action, "subject": subject, "details": body, "prev_hash": prev_hash,
        "row_hash": row_hash}).scalar_one()
    executor.execute(_LINK, {"chain": chain, "new_hash": row_hash})
    return AuditEntry(int(seq), chain, position, occurred_at, actor, action, subject, body,
                      prev_hash, row_hash)


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
    """Every row, chain by chain, in chain order."""
    after = (0, 0)
    while True:
        rows = session.execute(
            sa.select(audit_log)
            .where(sa.tuple_(audit_log.c.chain, audit_log.c.chain_seq) > sa.tuple_(*after))
            .order_by(audit_log.c.chain, audit_log.c.chain_seq).limit(_BATCH)
        ).all()
        for row in rows:
            yield AuditEntry(int(row.seq), int(row.chain), int(row.chain_seq), row.occurred_at,
                             row.actor, row.action, row.subject, row.details, row.prev_hash,
                             row.row_hash)
        if len(rows) < _BATCH:
            return
        after = (int(rows[-1].chain), int(rows[-1].chain_seq))


def _check_entry(entry: AuditEntry, expected_position: int, prev_hash: str) -> list[str]:
    problems = []
    if entry.chain_seq != expected_position:
        problems.append(f"chain {entry.chain}: rows at positions {expected_position}.."
                        f"{entry.chain_seq - 1} are missing (before row {entry.seq})")
    if entry.prev_hash != prev_hash:
        problems.append(f"row {entry.seq} does not link to the row before it "
                        f"(chain {entry.chain})")
    recomputed = _row_hash(entry.chain_seq, entry.occurred_at, entry.actor, entry.action,
                           entry.subject, entry.details, entry.prev_hash)
    if recomputed != entry.row_hash:
        problems.append(f"row {entry.seq} was edited (its hash does not match its content)")
    return problems


def verify_audit_chain(sessions: Sessions) -> AuditReport:
    """Walk every chain and report every broken link, edited row and missing row."""
    problems: list[str] = []
    checked = 0
    ends = {k: (0, genesis_hash(k)) for k in range(1, CHAINS + 1)}
    with sessions.begin() as session:
        for entry in _entries(session):
            if entry.chain not in ends:
                problems.append(f"row {entry.seq} names chain {entry.chain}, which does not "
                                f"exist")
                continue
            position, prev_hash = ends[entry.chain]
            problems.extend(_check_entry(entry, position + 1, prev_hash))
            checked += 1
            ends[entry.chain] = (entry.chain_seq, entry.row_hash)
        heads = {int(h.id): (int(h.last_seq), str(h.last_hash)) for h in session.execute(
            sa.select(audit_head.c.id, audit_head.c.last_seq, audit_head.c.last_hash))}
    for chain, (position, last_hash) in ends.items():
        if chain not in heads:
            problems.append(f"the head of chain {chain} is missing")
        elif heads[chain] != (position, last_hash):
            problems.append(f"chain {chain} ends at position {position} but its head records "
                            f"position {heads[chain][0]}: the newest rows were deleted or "
                            f"altered")
    return AuditReport(rows_checked=checked, problems=tuple(problems))
