"""Ledger verification (对账): the journal balances, agrees with the loan accounts, and is
what the posting rules make of the loans' transactions.

Close of business posts one aggregated entry per step and currency, so the first check is the
one a bank runs between sub-ledger and general ledger: for every balance-sheet account, the
journal's balance equals the sum of what the loan accounts say is owed. Balanced entries and
matching balances do not show a line moved between income accounts or a transaction edited
after it was booked, so the second check (``journal_matches_postings``) rebooks every loan
from its transactions (:func:`thinfile.servicing.rebook.rebook`, the same posting rules the
use cases run) and compares line by line: each transaction's entries with what it should have
booked, naming the loan, transaction and entry; and close of business's entries, per step,
day and currency, with the sum of what closing those days makes of every loan.

The deferred merchant subsidy has its own check (``deferred_subsidy_matches_loans``): the
journal's deferred balance equals the subsidy the loans have not yet recognised, and each
loan's recognised amount lies between nothing and its subsidy (all of it once the loan is
closed, charged off or written off). Working-capital lines have theirs
(``working_capital_matches_lines``): their receivables equal what their draws owe.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.money import format_yuan
from thinfile.services.loan_postings import event_of, rebuild_opening
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import Account, EventKind, JournalEntry
from thinfile.servicing.rebook import Posting, Rebooked, rebook
from thinfile.store.servicing_codec import from_day, to_day

__all__ = ["LedgerReport", "verify_ledger"]


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """Balances per (account, currency) and every problem found; ``ok`` when none."""

    balances: dict[tuple[str, str], int]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _expected(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """What the loan accounts say each balance-sheet account holds, per currency."""
    out: dict[tuple[str, str], int] = {}
    for r in uow.ledger.sub_ledger():
        cur = r["currency"]
        out[(Account.LOANS_RECEIVABLE.value, cur)] = int(r["loans"])
        out[(Account.INTEREST_RECEIVABLE.value, cur)] = int(r["interest"])
        out[(Account.FEE_RECEIVABLE.value, cur)] = int(r["fee"])
        out[(Account.PENALTY_RECEIVABLE.value, cur)] = int(r["penalty"])
    for r in uow.ledger.liabilities():
        out[(Account.OVERPAYMENT_LIABILITY.value, r["currency"])] = -int(r["credit"])
    return out


def _working_capital(uow: UnitOfWork, balances: dict[tuple[str, str], int]) -> list[str]:
    """``working_capital_matches_lines``: per currency, the journal's working-capital
    principal and interest receivable equal what the lines' draws owe."""
    owed = uow.working_capital.sub_ledger()
    accounts = (Account.WC_RECEIVABLE.value, Account.WC_INTEREST_RECEIVABLE.value)
    currencies = sorted(set(owed) | {c for a, c in balances if a in accounts})
    problems = []
    for currency in currencies:
        for account, amount in zip(accounts, owed.get(currency, (0, 0)), strict=True):
            booked = balances.get((account, currency), 0)
            if booked != amount:
                problems.append(
                    f"working_capital_matches_lines: {account} {currency}: ledger "
                    f"{format_yuan(booked)}, the lines' draws owe {format_yuan(amount)}"
                )
    return problems


def _deferred_subsidy(uow: UnitOfWork, balances: dict[tuple[str, str], int]) -> list[str]:
    """``deferred_subsidy_matches_loans``: the journal's deferred-subsidy balance (a credit)
    equals the subsidy the loans have not yet recognised, per currency; and no loan has
    recognised less than nothing or more than its subsidy, or keeps any deferred once it is
    closed, charged off or written off."""
    account = Account.DEFERRED_SUBSIDY.value
    unrecognised = {str(r["currency"]): int(r["deferred"]) for r in uow.ledger.liabilities()}
    currencies = sorted(set(unrecognised) | {c for a, c in balances if a == account})
    problems = [
        f"deferred_subsidy_matches_loans: {currency}: the journal holds "
        f"{format_yuan(-balances.get((account, currency), 0))} of deferred subsidy, the loans "
        f"have {format_yuan(unrecognised.get(currency, 0))} not yet recognised"
        for currency in currencies
        if -balances.get((account, currency), 0) != unrecognised.get(currency, 0)
    ]
    problems += [
        f"deferred_subsidy_matches_loans: loan {r.id} ({r.status}) has recognised "
        f"{format_yuan(int(r.subsidy_recognized))} of a {format_yuan(int(r.subsidy))} subsidy"
        for r in uow.ledger.subsidy_out_of_range()
    ]
    return problems


Lines = tuple[tuple[str, str, int], ...]
"""An entry's lines as (account, currency, amount), sorted, without zero lines."""
Closing = dict[tuple[str, int, str], dict[str, int]]
"""Close-of-business amounts per (entry kind, day, currency), by account."""
_EVENT_KINDS = {k.value for k in EventKind}


def _lines(entry: JournalEntry) -> Lines:
    return tuple(
        sorted((li.account.value, li.currency, li.amount) for li in entry.lines if li.amount)
    )


def _describe(lines: Lines) -> str:
    return (
        ", ".join(f"{account} {amount:+d} {currency}" for account, currency, amount in lines)
        or "nothing"
    )


def _posting(row: Any) -> Posting:
    event = event_of(row) if row.kind in _EVENT_KINDS else None
    booked = None if row.booked_day is None else from_day(int(row.booked_day))
    on = from_day(int(row.day))
    return Posting(int(row.id), str(row.kind), on, event, row.reversal_of, booked)


def _stored_entries(rows: Sequence[Any]) -> dict[int, list[tuple[int, str, int, Lines]]]:
    """Per transaction, its stored entries in order: (entry id, kind, day, lines)."""
    lines: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    heads: dict[int, tuple[int, str, int]] = {}
    for r in rows:
        heads[int(r.entry_id)] = (int(r.txn_id), str(r.kind), int(r.day))
        if r.amount:
            lines[int(r.entry_id)].append((str(r.account), str(r.currency), int(r.amount)))
    out: dict[int, list[tuple[int, str, int, Lines]]] = defaultdict(list)
    for entry_id, (txn_id, kind, day) in heads.items():
        out[txn_id].append((entry_id, kind, day, tuple(sorted(lines[entry_id]))))
    return out


def _compare_postings(
    loan_id: int, rebooked: Rebooked, stored: dict[int, list[tuple[int, str, int, Lines]]]
) -> list[str]:
    problems = [
        f"journal_matches_postings: loan {loan_id}, transaction {t} is of a kind the posting "
        "rules do not know"
        for t in rebooked.unknown
    ]
    for txn_id in sorted(set(rebooked.by_txn) | set(stored)):
        want = [(e.kind, to_day(e.on), _lines(e)) for e in rebooked.by_txn.get(txn_id, ())]
        have = stored.get(txn_id, [])
        for k in range(max(len(want), len(have))):
            got = have[k][1:] if k < len(have) else None
            if got == (want[k] if k < len(want) else None):
                continue
            where = f"entry {have[k][0]}" if k < len(have) else "a missing entry"
            should = (
                f"{want[k][0]} on {from_day(want[k][1])}: {_describe(want[k][2])}"
                if k < len(want)
                else "no entry"
            )
            books = f"{got[0]} on {from_day(got[1])}: {_describe(got[2])}" if got else "nothing"
            problems.append(
                f"journal_matches_postings: loan {loan_id}, transaction {txn_id}: {where} "
                f"books {books}; the posting rules give {should}"
            )
    return problems


def _add_closing(closing: Closing, entries: Iterable[JournalEntry]) -> None:
    for entry in entries:
        for line in entry.lines:
            key = (entry.kind, to_day(entry.on), line.currency)
            amounts = closing.setdefault(key, defaultdict(int))
            amounts[line.account.value] += line.amount


def _compare_closing(want: Closing, rows: Sequence[Any]) -> list[str]:
    have: Closing = {}
    entries: dict[tuple[str, int, str], set[int]] = defaultdict(set)
    for r in rows:
        key = (str(r.kind), int(r.day), str(r.currency))
        have.setdefault(key, defaultdict(int))[str(r.account)] += int(r.amount)
        entries[key].add(int(r.entry_id))
    problems = []
    for key in sorted(set(want) | set(have)):
        wanted, booked = want.get(key, {}), have.get(key, {})
        differ = [
            f"{account} booked {booked.get(account, 0):+d}, the posting rules give "
            f"{wanted.get(account, 0):+d}"
            for account in sorted(set(wanted) | set(booked))
            if booked.get(account, 0) != wanted.get(account, 0)
        ]
        if differ:
            kind, day, currency = key
            ids = ", ".join(str(i) for i in sorted(entries[key])) or "none"
            problems.append(
                f"journal_matches_postings: {kind} on {from_day(day)} ({currency}), "
                f"entries {ids}: " + "; ".join(differ)
            )
    return problems


def _rebook_book(uow: UnitOfWork) -> list[str]:
    """Rebook every loan from its transactions and compare with the stored journal."""
    problems: list[str] = []
    closing: Closing = {}
    for loan_id in uow.ledger.loan_ids():
        stored = uow.loans.get(loan_id)
        postings = [_posting(r) for r in uow.transactions.of_loan(loan_id)]
        held = uow.disputes.held_of_loan(loan_id)
        rebooked = rebook(rebuild_opening(stored), postings, stored.account.cob_date, held)
        _add_closing(closing, rebooked.closing)
        booked = _stored_entries(uow.ledger.posted_lines_of(loan_id))
        problems += _compare_postings(loan_id, rebooked, booked)
    return problems + _compare_closing(closing, uow.ledger.closing_lines())


def verify_ledger(engine: Engine, *, rebook: bool = True) -> LedgerReport:
    """Check every named ledger invariant over the whole book; writes nothing.

    ``rebook=False`` leaves out ``journal_matches_postings`` (it replays every loan): for a
    seeded benchmark book, which has no journal to compare."""
    with UnitOfWork(engine) as uow:
        unbalanced = uow.ledger.unbalanced()
        balances = uow.ledger.general_ledger()
        expected = _expected(uow)
        negative = uow.ledger.out_of_range()
        dangling = uow.ledger.unresolved_references()
        deferred = _deferred_subsidy(uow, balances)
        deferred += _working_capital(uow, balances)
        rebooked = _rebook_book(uow) if rebook else []
    problems = [
        f"entries_balance: entry {r.entry_id} is off by {r.off} {r.currency}" for r in unbalanced
    ]
    problems += [
        f"ledger_matches_accounts: {account} {currency}: ledger "
        f"{balances.get((account, currency), 0)}, accounts {amount}"
        for (account, currency), amount in sorted(expected.items())
        if balances.get((account, currency), 0) != amount
    ]
    if negative:
        problems.append(f"no_negative_balances: {negative} installment(s) out of range")
    problems += [
        f"references_resolve: {n} row(s) of {name} name a row that does not exist"
        for name, n in dangling.items()
    ]
    problems += deferred
    problems += rebooked
    return LedgerReport(balances, tuple(problems))
