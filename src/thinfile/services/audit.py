"""The audit log: append-only and hash-chained, for every sensitive action.

The log is :data:`CHAINS` hash chains. A row goes to the chain its subject hashes to (so the
history of one loan or application stays in one chain, in order), stores the hash of the row
before it in that chain and its own hash over its content and that link, so editing or
deleting any row breaks its chain; each chain's ``audit_head`` row remembers its newest
position and hash, so deleting the newest rows is caught too. Database triggers refuse
``UPDATE`` and ``DELETE`` on ``audit_log``.

A row's hash is keyed (HMAC-SHA256 under an audit key the database never holds, see
:mod:`thinfile.store.audit_repo`), so someone who can write the database cannot edit a row and
recompute the chain. They can still delete the newest rows of a chain and move its head back
to an earlier row: against that, an operator saves the heads outside the database
(:func:`audit_heads`, ``thinfile audit head``) and verifies against them later
(``thinfile audit verify --against FILE``): a saved head no longer in its chain, or a chain
now shorter than a saved head, is reported. Rows from before keyed chains are verified by
the original unkeyed rule and counted as ``unkeyed``; an unkeyed row after a keyed one in its
chain is a rewrite.

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

Actions in use: ``auth.sign_in``, ``auth.sign_in_failed``, ``auth.sign_out`` (every token
issued before it stops working), ``auth.change_password``, ``auth.sms_code_sent``,
``auth.sms_sign_in``, ``auth.sms_sign_in_failed`` (with what really happened: ``wrong``,
``used``, ``missing``, ``closed``, ``too_many_wrong_tries``…), ``staff.create_user``,
``staff.create_api_key``, ``staff.revoke_api_key``, ``staff.view_applicant``,
``staff.list_applicants``, ``staff.view_consents``, ``applicant.register``,
``consent.grant``, ``consent.revoke``, ``pii.reencrypt``; servicing, each in the posting's
own transaction: ``payment.post``, ``payment.prepay``, ``payment.reverse``,
``credit_line.draw``, ``loan.merchant_refund``, ``loan.overpayment_refund``,
``loan.charge_off``, ``loan.write_off`` (below the charge-off threshold only after a
``loan.write_off_request`` by someone else), ``loan.recovery``, ``loan.fee_waiver``,
``loan.fee_waiver_reverse`` (see ``services.loan_postings.ACTIONS``) and ``cob.close_day``
(one per business date closed).
Decisions and policies: ``application.decide``, ``policy.*`` and the like.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy.engine import Engine

from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.audit_repo import TakenHead, UnkeyedEnd
from thinfile.store.hot import HotRow

__all__ = [
    "CHAINS",
    "GENESIS_HASH",
    "AuditDraft",
    "AuditEntry",
    "AuditReport",
    "Heads",
    "audit_heads",
    "chain_of",
    "genesis_hash",
    "in_own_unit",
    "record_audit",
    "verify_audit_chain",
]

GENESIS_HASH = "0" * 64
"""The genesis of chain 1 (the log's original single chain); see :func:`genesis_hash`."""
CHAINS = 16
"""How many chains the log has (the migration ``identity_0002`` creates their heads)."""
_BATCH = 1_000
T = TypeVar("T")


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
    key_id: str | None = None
    """The audit key that sealed the row; ``None`` for a row from before keyed chains."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of checking the chains: ``problems`` is empty when nothing was altered;
    ``unkeyed`` counts the rows from before keyed chains (verified by the unkeyed rule)."""

    rows_checked: int
    problems: tuple[str, ...]
    unkeyed: int = 0

    @property
    def is_intact(self) -> bool:
        return not self.problems


def record_audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, object] | None = None,
    *,
    taken: TakenHead | None = None,
) -> AuditEntry:
    """Append one row to the audit log in ``uow``'s transaction (the caller commits).

    Never put personal data in ``details``: name ids and amounts, not ID numbers or phones.
    Call it last in the transaction: from here to the commit, other audited writers of the
    same chain wait. ``taken``: the chain's head, when the transaction's previous statement
    took it (a repository's write that ends with ``TAKE_HEAD_PG``; the chain is
    :func:`chain_of` the subject).
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
        taken=taken,
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
        uow.audit.keys.active_key_id,
    )


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An audit row to append later in the same transaction (see :func:`record_audit`),
    with the ``others`` of that transaction (:meth:`along_with`)."""

    actor: str
    action: str
    subject: str
    details: Mapping[str, object] = field(default_factory=dict)
    others: tuple[AuditDraft, ...] = ()
    """Rows appended together with this one, all in the order of their chains: two
    transactions that each write to two chains then lock the chains' heads in the same order,
    never in opposite orders (a deadlock, which PostgreSQL ends by failing one of them)."""

    def along_with(self, *others: AuditDraft) -> AuditDraft:
        """This row and ``others`` (appended first when they share its chain)."""
        return replace(self, others=(*self.others, *others))

    @property
    def chain(self) -> int | None:
        """The one chain this row goes to; None when it is appended with ``others``."""
        return None if self.others else chain_of(self.subject)

    def append(self, uow: UnitOfWork, *, taken: TakenHead | None = None) -> AuditEntry:
        """Append this row and its ``others`` by chain number; this row's entry. ``taken``:
        the head of :attr:`chain`, taken by the transaction's previous statement."""
        if taken is not None and self.others:
            raise ValueError("a head taken ahead serves a row appended alone")
        rows = sorted((*self.others, self), key=lambda d: chain_of(d.subject))  # stable
        mine: AuditEntry | None = None
        for draft in rows:
            entry = record_audit(
                uow, draft.actor, draft.action, draft.subject, draft.details, taken=taken
            )
            if draft is self:
                mine = entry
        assert mine is not None
        return mine


def in_own_unit(engine: Engine, work: Callable[[UnitOfWork], tuple[T, AuditDraft]]) -> T:
    """Run the in-unit form of a use case in a unit of its own (for callers without an
    idempotency key of their own, such as the console's forms): the work, its audit row
    last, one commit."""
    with UnitOfWork(engine) as uow:
        result, audit = work(uow)
        audit.append(uow)
        uow.commit()
    return result


Heads = dict[int, tuple[int, str]]
"""Per chain, a head: its position and the hash of the row there."""


def audit_heads(engine: Engine) -> Heads:
    """Each chain's current head (position, hash): save them outside the database and verify
    against them later (:func:`verify_audit_chain`'s ``against``)."""
    with UnitOfWork(engine) as uow:
        return uow.audit.heads()


@dataclass
class _Walk:
    """What the walk over the rows has seen so far."""

    against: Heads
    ends: dict[int, tuple[int, str]] = field(
        default_factory=lambda: {k: (0, genesis_hash(k)) for k in range(1, CHAINS + 1)}
    )
    unkeyed_ends: dict[int, UnkeyedEnd | None] = field(default_factory=dict)
    saved_found: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    checked: int = 0
    unkeyed: int = 0


def _check_row(walk: _Walk, uow: UnitOfWork, row: HotRow) -> None:
    seq, chain, chain_seq = int(row.seq), int(row.chain), int(row.chain_seq)
    if chain not in walk.ends:
        walk.problems.append(f"row {seq} names chain {chain}, which does not exist")
        return
    position, prev_hash = walk.ends[chain]
    if chain_seq != position + 1:
        walk.problems.append(
            f"chain {chain}: rows at positions {position + 1}..{chain_seq - 1} are missing "
            f"(before row {seq})"
        )
    if row.prev_hash != prev_hash:
        walk.problems.append(f"row {seq} does not link to the row before it (chain {chain})")
    expected = uow.audit.expected_hash(row)
    end = walk.unkeyed_ends.get(chain)
    if row.key_id is None:
        walk.unkeyed += 1
        if end is None or chain_seq > end.position:
            walk.problems.append(
                f"row {seq} is unkeyed but chain {chain}'s unkeyed rows end at position "
                f"{end.position if end else 0}: it was rewritten"
            )
    if end is not None and chain_seq == end.position and row.row_hash != end.digest:
        walk.problems.append(f"row {seq}, the last unkeyed row of chain {chain}, was rewritten")
    if row.key_id is not None and expected is None:
        walk.problems.append(
            f"row {seq} was sealed with key {row.key_id!r}, which is not configured "
            "(add the retired key to THINFILE_PII_KEYS to verify it)"
        )
    elif expected != row.row_hash:
        walk.problems.append(f"row {seq} was edited (its hash does not match its content)")
    if walk.against.get(chain, (-1, ""))[0] == chain_seq:
        walk.saved_found[chain] = str(row.row_hash)
    walk.checked += 1
    walk.ends[chain] = (chain_seq, str(row.row_hash))


def _check_heads(walk: _Walk, heads: Heads) -> None:
    for chain, end in sorted(walk.unkeyed_ends.items()):
        if end is None or not end.sealed:
            walk.problems.append(
                f"chain {chain}: the sealed record of where its unkeyed rows end is missing "
                "or forged"
            )
    for chain, (position, last_hash) in walk.ends.items():
        if chain not in heads:
            walk.problems.append(f"the head of chain {chain} is missing")
        elif heads[chain] != (position, last_hash):
            walk.problems.append(
                f"chain {chain} ends at position {position} but its head records "
                f"position {heads[chain][0]}: the newest rows were deleted or altered"
            )


def _check_saved(walk: _Walk) -> None:
    """Each head saved outside the database must still be in its chain, at its position."""
    for chain, (position, saved_hash) in sorted(walk.against.items()):
        end = walk.ends.get(chain, (0, ""))[0]
        found = genesis_hash(chain) if position == 0 else walk.saved_found.get(chain)
        if end < position:
            walk.problems.append(
                f"chain {chain} was cut back: it ends at position {end}, but a saved head "
                f"records position {position}"
            )
        elif found != saved_hash:
            walk.problems.append(
                f"chain {chain}: the saved head at position {position} is no longer in the "
                "chain (its rows were rewritten)"
            )


def verify_audit_chain(engine: Engine, *, against: Heads | None = None) -> AuditReport:
    """Walk every chain and report every broken link, edited row and missing row; with
    ``against`` (heads saved earlier by :func:`audit_heads`), also every saved head that is no
    longer in its chain."""
    walk = _Walk(dict(against or {}))
    unknown = sorted(set(walk.against) - set(walk.ends))
    walk.problems += [f"a saved head names chain {c}, which does not exist" for c in unknown]
    with UnitOfWork(engine) as uow:
        walk.unkeyed_ends = uow.audit.unkeyed_ends()
        after = (0, 0)
        while True:
            rows = uow.audit.rows_after(*after, limit=_BATCH)
            for row in rows:
                _check_row(walk, uow, row)
            if len(rows) < _BATCH:
                break
            after = (int(rows[-1].chain), int(rows[-1].chain_seq))
        heads = uow.audit.heads()
    _check_heads(walk, heads)
    _check_saved(walk)
    return AuditReport(walk.checked, tuple(walk.problems), walk.unkeyed)
