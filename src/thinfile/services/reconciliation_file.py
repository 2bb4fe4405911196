"""The gateway's daily reconciliation file (对账单, DOMAIN.md §15), read and checked.

:func:`parse_reconciliation_file` reads the provider's CSV of the transactions it completed on a
date (China Standard Time; :data:`~thinfile.services.gateway_port.RECONCILIATION_COLUMNS`) and
checks every row before anything is written: a bad file is refused whole, each bad row and
column named (the first 20). :func:`day_window` is the date's span in UTC. Comparing the rows
with the books is :mod:`thinfile.services.reconciliation`'s.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.services.gateway_port import (
    RECONCILIATION_COLUMNS,
    DebitFailure,
    TransactionKind,
    TransactionStatus,
)

__all__ = ["CST", "MAX_FILE_BYTES", "FileRow", "day_window", "parse_reconciliation_file"]

CST = timedelta(hours=8)
MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read (about 500,000 rows)."""
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_FEN = re.compile(r"[0-9]{1,15}")
_MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class FileRow:
    """One transaction of the gateway's file, checked."""

    gateway_txn_id: str
    request_id: str
    kind: TransactionKind
    status: TransactionStatus
    amount_fen: int
    failure: DebitFailure | None
    completed_at: datetime


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - CST
    return start, start + timedelta(days=1)


def _completed_at(text: str, window: tuple[datetime, datetime]) -> tuple[datetime | None, str]:
    """The completion time, or None and what is wrong with it."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None, "must be an ISO 8601 time with its offset"
    if when.tzinfo is None:
        return None, "must carry its offset (UTC: +00:00)"
    if not window[0] <= when < window[1]:
        return None, "is not on the file's date (China Standard Time)"
    return when.astimezone(UTC), ""


def _failure_problem(
    text: str, failure: DebitFailure | None, status: TransactionStatus | None
) -> str:
    if text and failure is None:
        return f"must be empty or one of {', '.join(_FAILURES)}"
    if status is TransactionStatus.FAILED and failure is None:
        return "a failed transaction says why"
    return ""


_KINDS = {k.value: k for k in TransactionKind}
_FINAL = {s.value: s for s in (TransactionStatus.SUCCEEDED, TransactionStatus.FAILED)}
_FAILURES = {f.value: f for f in DebitFailure}


def _row(
    n: int, raw: dict[str, str], window: tuple[datetime, datetime], problems: list[FieldProblem]
) -> FileRow | None:
    cells = {k: v.strip() for k, v in raw.items()}
    found: list[FieldProblem] = []

    def bad(column: str, message: str) -> None:
        found.append(FieldProblem(f"row {n}: {column}", message, cells[column][:64]))

    for column in ("gateway_txn_id", "request_id"):
        if not _ID.fullmatch(cells[column]):
            bad(column, "must be 1 to 64 letters, digits, '-' or '_'")
    kind, status = _KINDS.get(cells["kind"]), _FINAL.get(cells["status"])
    if kind is None:
        bad("kind", f"must be one of {', '.join(_KINDS)}")
    if status is None:
        bad("status", "a completed transaction is 'succeeded' or 'failed'")
    amount = int(cells["amount_fen"]) if _FEN.fullmatch(cells["amount_fen"]) else 0
    if amount <= 0:
        bad("amount_fen", "must be a whole number of fen above zero (ASCII digits)")
    failure = _FAILURES.get(cells["failure"])
    if wrong_failure := _failure_problem(cells["failure"], failure, status):
        bad("failure", wrong_failure)
    when, wrong = _completed_at(cells["completed_at"], window)
    if wrong:
        bad("completed_at", wrong)
    problems.extend(found)
    if found or kind is None or status is None or when is None:
        return None
    return FileRow(
        cells["gateway_txn_id"], cells["request_id"], kind, status, amount, failure, when
    )


def parse_reconciliation_file(data: bytes, day: date) -> list[FileRow]:
    """The rows of the gateway's file of ``day``, each checked; :class:`InvalidInputError`
    (field ``file``) naming the bad rows and columns (the first 20), before anything else."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInputError(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            field="file",
            remedy="ask the provider for the file of one date",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(
            "the file is not UTF-8 text", field="file", remedy="give the provider's CSV as sent"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=False)
    header = tuple(reader.fieldnames or ())
    if header != RECONCILIATION_COLUMNS:
        raise InvalidInputError(
            "the file's header is not the reconciliation file's",
            field="file",
            value=",".join(header)[:200],
            remedy=f"the first line must be {','.join(RECONCILIATION_COLUMNS)}",
        )
    problems: list[FieldProblem] = []
    rows: list[FileRow] = []
    seen: set[str] = set()
    window = day_window(day)
    for n, raw in enumerate(reader, start=2):
        if None in raw or any(v is None for v in raw.values()):
            problems.append(FieldProblem(f"row {n}", "has the wrong number of columns"))
            continue
        row = _row(n, raw, window, problems)
        if row is not None and row.gateway_txn_id in seen:
            problems.append(
                FieldProblem(f"row {n}: gateway_txn_id", "appears twice", row.gateway_txn_id)
            )
        elif row is not None:
            seen.add(row.gateway_txn_id)
            rows.append(row)
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        shown = "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InvalidInputError(
            f"the reconciliation file has bad rows: {shown}{more}",
            field="file",
            problems=problems,
            remedy="get a correct file from the provider; nothing was reconciled",
        )
    return rows
