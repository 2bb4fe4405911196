"""The audit log: append-only and hash-chained, for every sensitive action.

The log is :data:`CHAINS` hash chains. A row goes to the chain its subject hashes to (so the
history of one loan or application stays in one chain, in order), stores the hash of the row
before it in that chain and its own hash over its content and that link, so editing or
deleting any row breaks its chain; each chain's ``audit_head`` row remembers its newest
position and hash, so deleting the newest rows is caught too. Database triggers refuse
``UPDATE`` and ``DELETE`` on ``audit_log``.

Write with :func:`record_audit` inside the unit of work of the action it records, so the
action and its audit row commit (or roll back) together::

    record_audit(uow, actor.label, "payment.post", f"loan:{loan_id}", {"amount_fen": 1500})

Appending locks the head row of the subject's chain until the transaction ends, so audited
writers of the same chain wait for each other from the append to the commit: **append last**,
just before the commit, never before a slow step. With one chain every audited request of the
service queued on that one lock (most PostgreSQL backends under load were waiting on it); with
sixteen, two writers meet one time in sixteen. A use case that leaves the commit to its caller
returns an :class:`AuditDraft` instead, which the caller appends as the transaction's last
write. The rows and heads are ``uow.audit`` (:mod:`thinfile.store.audit_repo`): on PostgreSQL
an append is one statement (lock the head, hash, insert, advance the head, all in the
database); on SQLite, which has one writer at a time anyway, three.

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

from sqlalchemy.engine import Engine

from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.audit_repo import AuditRow, row_hash

__all__ = [
    "CHAINS",
    "GENESIS_HASH",
    "AuditDraft",
    "AuditEntry",
    "AuditReport",
    "chain_of",
    "genesis_hash",
    "record_audit",
    "verify_audit_chain",
]

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


AuditEntry = AuditRow
"""One row of the audit log, as appended and as read back (the store's record)."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of checking the chains: ``problems`` is empty when nothing was altered."""

    rows_checked: int
    problems: tuple[str, ...]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def record_audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append one row to the audit log in ``uow``'s transaction (the caller commits).

    Never put personal data in ``details``: name ids and amounts, not ID numbers or phones.
    Call it last in the transaction: from here to the commit, other audited writers of the
    same chain wait.
    """
    body = json.dumps(
        dict(details or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    actor, action, subject = actor[:100], action[:100], subject[:200]
    chain = chain_of(subject)
    occurred_at = now_utc().isoformat(timespec="microseconds")
    done = uow.audit.append(
        chain=chain,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        subject=subject,
        details=body,
    )
    return AuditEntry(
        done.seq,
        chain,
        done.chain_seq,
        occurred_at,
        actor,
        action,
        subject,
        body,
        done.prev_hash,
        done.row_hash,
    )


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An audit row to append later in the same transaction (see :func:`record_audit`)."""

    actor: str
    action: str
    subject: str
    details: Mapping[str, object] = field(default_factory=dict)

    def append(self, uow: UnitOfWork) -> AuditEntry:
        return record_audit(uow, self.actor, self.action, self.subject, self.details)


def _entries(uow: UnitOfWork) -> Iterator[AuditEntry]:
    """Every row, chain by chain, in chain order."""
    after = (0, 0)
    while True:
        rows = uow.audit.rows_after(*after, limit=_BATCH)
        yield from rows
        if len(rows) < _BATCH:
            return
        after = (rows[-1].chain, rows[-1].chain_seq)


def _check_entry(entry: AuditEntry, expected_position: int, prev_hash: str) -> list[str]:
    problems = []
    if entry.chain_seq != expected_position:
        problems.append(
            f"chain {entry.chain}: rows at positions {expected_position}.."
            f"{entry.chain_seq - 1} are missing (before row {entry.seq})"
        )
    if entry.prev_hash != prev_hash:
        problems.append(f"row {entry.seq} does not link to the row before it (chain {entry.chain})")
    recomputed = row_hash(
        entry.chain_seq,
        entry.occurred_at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.details,
        entry.prev_hash,
    )
    if recomputed != entry.row_hash:
        problems.append(f"row {entry.seq} was edited (its hash does not match its content)")
    return problems


def verify_audit_chain(engine: Engine) -> AuditReport:
    """Walk every chain and report every broken link, edited row and missing row."""
    problems: list[str] = []
    checked = 0
    ends = {k: (0, genesis_hash(k)) for k in range(1, CHAINS + 1)}
    with UnitOfWork(engine) as uow:
        for entry in _entries(uow):
            if entry.chain not in ends:
                problems.append(f"row {entry.seq} names chain {entry.chain}, which does not exist")
                continue
            position, prev_hash = ends[entry.chain]
            problems.extend(_check_entry(entry, position + 1, prev_hash))
            checked += 1
            ends[entry.chain] = (entry.chain_seq, entry.row_hash)
        heads = uow.audit.heads()
    for chain, (position, last_hash) in ends.items():
        if chain not in heads:
            problems.append(f"the head of chain {chain} is missing")
        elif heads[chain] != (position, last_hash):
            problems.append(
                f"chain {chain} ends at position {position} but its head records "
                f"position {heads[chain][0]}: the newest rows were deleted or "
                f"altered"
            )
    return AuditReport(rows_checked=checked, problems=tuple(problems))
