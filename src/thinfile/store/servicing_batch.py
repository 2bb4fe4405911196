"""One PostgreSQL statement for everything a posting writes (one round trip instead of six).

A posting changes the loan row (version checked), some installments, maybe bucket history,
adds a transaction and its journal entries and lines. On PostgreSQL, data-modifying ``WITH``
clauses write them all in a single statement: the transaction and entries are inserted only
if the loan's version matched (they select from the loan update), and each entry selects
from the one before it, so entry ids keep the outcome's order. The statement text depends
only on the outcome's shape (rows changed, entries, lines), so the server reuses its plan.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy.engine import Connection

from thinfile.errors import ConflictError
from thinfile.servicing import LoanAccount, Outcome
from thinfile.store.hot import on_driver
from thinfile.store.servicing_codec import AMOUNTS, installment_values, loan_values, to_day

__all__ = ["write_outcome_pg"]

_LOAN_COLUMNS = (
    "status",
    "cob_day",
    "overdue_since_day",
    "bucket",
    "late_fees_charged",
    "credit",
    "subsidy_recognized",
    "co_principal",
    "co_interest",
    "co_fee",
    "co_penalty",
    "recovered",
    "merchant_refunded",
    "closed_day",
)
_INT_COLUMNS = frozenset(
    {"cob_day", "overdue_since_day", "closed_day", "n", "start_day", "due_day", "paused_days"}
)
_ROW_COLUMNS = ("n", "start_day", "due_day", *AMOUNTS)
_TXN_COLUMNS = (
    "kind",
    "day",
    "amount",
    "currency",
    "mode",
    "idempotency_key",
    "paid_principal",
    "paid_interest",
    "paid_fee",
    "paid_penalty",
    "overpayment",
    "subsidy_unwound",
    "lender_unwound",
)


def _cast(column: str) -> str:
    if column in _INT_COLUMNS:
        return "int"
    return "text" if column in ("status", "bucket") else "bigint"


def _loan_clause() -> str:
    sets = ", ".join(f"{c} = %(l_{c})s::{_cast(c)}" for c in _LOAN_COLUMNS)
    return (
        f"lo AS (UPDATE servicing_loans SET {sets}, version = %(version)s + 1 "
        "WHERE id = %(loan_id)s AND version = %(version)s RETURNING id)"
    )


def _rows_clause(count: int) -> str:
    values = ", ".join(
        "(" + ", ".join(f"%(r{k}_{c})s::{_cast(c)}" for c in _ROW_COLUMNS) + ")"
        for k in range(count)
    )
    sets = ", ".join(f"{c} = v.{c}" for c in _ROW_COLUMNS[1:])
    return (
        f"ins AS (UPDATE servicing_installments AS i SET {sets} FROM (VALUES {values}) "
        f"AS v({', '.join(_ROW_COLUMNS)}) WHERE i.loan_id = %(loan_id)s AND i.n = v.n)"
    )


def _moves_clause(count: int) -> str:
    values = ", ".join(
        f"(%(loan_id)s, %(m{k}_day)s::int, %(m{k}_from)s, %(m{k}_to)s, %(m{k}_dpd)s::int)"
        for k in range(count)
    )
    return (
        "mv AS (INSERT INTO servicing_bucket_history (loan_id, day, from_bucket, to_bucket, "
        f"days_past_due) VALUES {values})"
    )


def _txn_clause() -> str:
    columns = ", ".join(_TXN_COLUMNS)
    values = ", ".join(f"%(t_{c})s" for c in _TXN_COLUMNS)
    return (
        f"txn AS (INSERT INTO servicing_transactions (loan_id, {columns}) "
        f"SELECT lo.id, {values} FROM lo RETURNING id)"
    )


def _entry_clauses(lines: tuple[int, ...], with_txn: bool) -> list[str]:
    clauses = []
    for k in range(len(lines)):
        sources = ["lo"] + (["txn"] if with_txn else []) + ([f"e{k - 1}"] if k else [])
        txn_id = "txn.id" if with_txn else "NULL::bigint"
        clauses.append(
            f"e{k} AS (INSERT INTO servicing_journal_entries (kind, day, loan_id, txn_id, memo) "
            f"SELECT %(e{k}_kind)s, %(e{k}_day)s::int, lo.id, {txn_id}, %(e{k}_memo)s "
            f"FROM {', '.join(sources)} RETURNING id)"
        )
    if not sum(lines):
        return clauses
    values = ", ".join(
        f"({k}, %(e{k}_{j}_account)s, %(e{k}_{j}_currency)s, %(e{k}_{j}_amount)s::bigint)"
        for k, count in enumerate(lines)
        for j in range(count)
    )
    ids = " UNION ALL ".join(f"SELECT {k} AS k, id FROM e{k}" for k in range(len(lines)))
    clauses.append(
        "li AS (INSERT INTO servicing_journal_lines (entry_id, account, currency, amount) "
        f"SELECT e.id, v.account, v.currency, v.amount FROM (VALUES {values}) "
        f"AS v(k, account, currency, amount) JOIN ({ids}) AS e ON e.k = v.k)"
    )
    return clauses


_NAME = re.compile(r"%\((\w+)\)s")


@functools.lru_cache(maxsize=256)
def _numbered(
    rows: int, moves: int, lines: tuple[int, ...], with_txn: bool
) -> tuple[str, tuple[str, ...]]:
    """The statement with ``$n`` placeholders, and the parameter name of each ``n``.

    Converted once per shape: the driver would parse a statement with this many parameters
    on every call (it caches only short ones).
    """
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    sql = _NAME.sub(number, _statement(rows, moves, lines, with_txn))
    return sql, tuple(names)


def _statement(rows: int, moves: int, lines: tuple[int, ...], with_txn: bool) -> str:
    clauses = [_loan_clause()]
    if rows:
        clauses.append(_rows_clause(rows))
    if moves:
        clauses.append(_moves_clause(moves))
    if with_txn:
        clauses.append(_txn_clause())
    if lines:
        clauses += _entry_clauses(lines, with_txn)
    txn_id = "(SELECT id FROM txn)" if with_txn else "NULL::bigint"
    return f"WITH {', '.join(clauses)} SELECT (SELECT COUNT(*) FROM lo), {txn_id}"


def _params(
    before: LoanAccount, version: int, done: Outcome, txn: dict[str, Any] | None
) -> dict[str, Any]:
    after = done.loan
    params: dict[str, Any] = {"loan_id": after.loan_id, "version": version}
    params.update({f"l_{c}": v for c, v in loan_values(after).items()})
    old = {i.n: i for i in before.installments}
    changed = [i for i in after.installments if old[i.n] != i]
    for k, row in enumerate(changed):
        params.update({f"r{k}_{c}": v for c, v in installment_values(row).items()})
    for k, m in enumerate(done.moves):
        params.update(
            {
                f"m{k}_day": to_day(m.on),
                f"m{k}_from": m.from_bucket,
                f"m{k}_to": m.to_bucket,
                f"m{k}_dpd": m.days_past_due,
            }
        )
    if txn is not None:
        if unknown := set(txn) - set(_TXN_COLUMNS):
            raise ValueError(f"transaction columns not written in one statement: {unknown}")
        params.update({f"t_{c}": txn.get(c) for c in _TXN_COLUMNS})
    for k, entry in enumerate(done.entries):
        params.update(
            {f"e{k}_kind": entry.kind, f"e{k}_day": to_day(entry.on), f"e{k}_memo": entry.memo}
        )
        for j, li in enumerate(entry.lines):
            params.update(
                {
                    f"e{k}_{j}_account": li.account.value,
                    f"e{k}_{j}_currency": li.currency,
                    f"e{k}_{j}_amount": li.amount,
                }
            )
    params["_shape"] = (
        len(changed),
        len(done.moves),
        tuple(len(e.lines) for e in done.entries),
        txn is not None,
    )
    return params


def write_outcome_pg(
    conn: Connection, before: LoanAccount, version: int, done: Outcome, txn: dict[str, Any] | None
) -> int | None:
    """Write ``done`` over ``before`` (same installment numbers) in one statement."""
    params = _params(before, version, done, txn)
    sql, names = _numbered(*params.pop("_shape"))
    rows = on_driver(conn, sql, [params[name] for name in names], numbered=True)
    updated, txn_id = rows[0] if rows else (0, None)
    if updated != 1:
        loan_id = done.loan.loan_id
        raise ConflictError(
            f"loan {loan_id} was changed by someone else",
            field="loan_id",
            value=loan_id,
            remedy="retry",
        )
    return None if txn_id is None else int(txn_id)
