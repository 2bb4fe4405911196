"""The merchant-sales feed (经营流水): one business's daily sales, read and checked row by row.

A feed is a table of daily rows, from a CSV file or an API upload (JSON):

| column | meaning |
|---|---|
| ``date`` | the sales day, ``YYYY-MM-DD``: a day that has ended (before today), not before 2000 |
| ``gross_sales`` | what was sold that day on that channel, yuan with at most two decimals |
| ``refunds`` | what was refunded that day on that channel, yuan; never above ``gross_sales`` |
| ``transactions`` | the number of sales (payments received), a whole number |
| ``channel`` | ``card``, ``qr`` (QR-code payments), ``cash``, ``online`` or ``platform`` |

One row per day and channel: a shop paid by card and by QR code sends two rows for a day; a
rider or driver sends one ``platform`` row of the day's earnings. A day without a row had no
sales. A day is sent once it has ended, so its figures are final: a stored day is never
changed. Row 1 is the first row after the header (blank lines are not counted); in an API
upload, the first element of ``rows``. :func:`read_sales_csv` and :func:`read_sales_rows`
check every row and raise one
:class:`~thinfile.errors.InvalidSalesFeedError` holding a
:class:`~thinfile.errors.RowProblem` for every bad field of every row (row number, field,
what to do), so a whole file is fixed in one go and nothing of a bad file is used.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from thinfile.errors import InvalidInputError, InvalidSalesFeedError, RowProblem
from thinfile.money import Money

__all__ = [
    "CHANNELS",
    "FEED_COLUMNS",
    "MAX_FEED_ROWS",
    "MAX_TRANSACTIONS_PER_DAY",
    "PLATFORM_CHANNELS",
    "DailySales",
    "channels_of",
    "read_sales_csv",
    "read_sales_rows",
]

FEED_COLUMNS: tuple[str, ...] = ("date", "gross_sales", "refunds", "transactions", "channel")
CHANNELS: tuple[str, ...] = ("card", "qr", "cash", "online", "platform")
PLATFORM_CHANNELS = frozenset({"platform"})
"""Channels that are a worker's platform earnings (gig-platform income), not a shop's sales."""
MAX_FEED_ROWS = 20_000
"""The most rows one file or upload may hold (about eleven years of days on five channels)."""
MAX_TRANSACTIONS_PER_DAY = 100_000
EARLIEST_DAY = date(2000, 1, 1)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_COUNT = re.compile(r"[0-9]{1,9}", re.ASCII)
_MAX_PROBLEMS = 200


@dataclass(frozen=True, slots=True)
class DailySales:
    """One day's sales on one channel: amounts in fen, never negative, refunds ≤ gross."""

    day: date
    channel: str
    gross_fen: int
    refunds_fen: int
    transactions: int

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.refunds_fen

    @property
    def key(self) -> tuple[date, str]:
        return (self.day, self.channel)


def read_sales_csv(text: str, *, today: date) -> list[DailySales]:
    """The rows of a CSV feed (UTF-8, a header naming :data:`FEED_COLUMNS` in any order)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidSalesFeedError(
            "the file is empty",
            field="file",
            remedy=f"send a CSV file whose first line is {','.join(FEED_COLUMNS)} and one row "
            "per day and channel below it",
        )
    try:
        rows, problems = _csv_rows(text)
    except csv.Error as error:
        raise InvalidSalesFeedError(
            f"the file is not CSV text ({error})",
            field="file",
            remedy="save the sales as CSV UTF-8 (comma-separated) and send that file",
        ) from None
    return _read(rows, today, problems)


def _csv_rows(text: str) -> tuple[list[Mapping[str, object]], list[RowProblem]]:
    """The header checked, then each non-blank row as a mapping (an empty one for a row of the
    wrong width, with its problem)."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    _check_header(header)
    rows: list[Mapping[str, object]] = []
    problems: list[RowProblem] = []
    number = 0
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue  # a blank line (often the last one) is no row, and is not counted
        number += 1
        if len(fields) != len(header):
            problems.append(
                RowProblem(
                    number,
                    "row",
                    f"has {len(fields)} fields, the header has {len(header)}",
                    remedy="give every row one value per column of the header, comma-separated",
                )
            )
            rows.append({})
            continue
        rows.append(dict(zip(header, fields, strict=True)))
    return rows, problems


def read_sales_rows(rows: Sequence[Mapping[str, object]], *, today: date) -> list[DailySales]:
    """The rows of an API upload: one mapping per row with the keys of :data:`FEED_COLUMNS`
    (``refunds`` may be left out for none)."""
    problems: list[RowProblem] = []
    filled: list[Mapping[str, object]] = []
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(FEED_COLUMNS))
        if unknown:
            problems.append(
                RowProblem(
                    number,
                    unknown[0],
                    f"is not a column of the sales feed ({', '.join(unknown)})",
                    remedy=f"send only {', '.join(FEED_COLUMNS)}",
                )
            )
        filled.append({"refunds": "0", **row})
    return _read(filled, today, problems)


def _check_header(header: list[str]) -> None:
    missing = [c for c in FEED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in FEED_COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or repeated:
        said = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
                f"repeated {', '.join(repeated)}" if repeated else "",
            )
            if part
        )
        raise InvalidSalesFeedError(
            f"the header is not the sales feed's ({said})",
            field="header",
            value=",".join(header),
            remedy=f"make the first line exactly {','.join(FEED_COLUMNS)} (any order)",
        )


def _read(
    rows: Sequence[Mapping[str, object]], today: date, problems: list[RowProblem]
) -> list[DailySales]:
    if not rows:
        raise InvalidSalesFeedError(
            "the feed has no rows",
            field="rows",
            remedy="send at least one row: one per day and channel with sales",
        )
    if len(rows) > MAX_FEED_ROWS:
        raise InvalidSalesFeedError(
            f"the feed has {len(rows)} rows, more than {MAX_FEED_ROWS}",
            field="rows",
            value=len(rows),
            remedy=f"split it into files of at most {MAX_FEED_ROWS} rows",
        )
    read: list[DailySales] = []
    first_of: dict[tuple[date, str], int] = {}
    bad_rows = {p.row for p in problems}
    for number, row in enumerate(rows, start=1):
        if number in bad_rows and not row:
            continue
        found: list[RowProblem] = []
        sale = _row(number, row, today, found)
        if sale is not None:
            earlier = first_of.setdefault(sale.key, number)
            if earlier != number:
                found.append(
                    RowProblem(
                        number,
                        "date",
                        f"repeats the day {sale.day.isoformat()} on channel {sale.channel} "
                        f"of row {earlier}",
                        sale.day.isoformat(),
                        remedy="send each day once per channel: add the two rows together "
                        "or remove one",
                    )
                )
            else:
                read.append(sale)
        problems.extend(found)
    if problems:
        problems.sort(key=lambda p: p.row)
        shown = problems[:_MAX_PROBLEMS]
        raise InvalidSalesFeedError(
            f"{len({p.row for p in problems})} row(s) of the feed are not valid; nothing was "
            "stored",
            problems=shown,
            remedy="correct every row named and send the whole feed again",
            extra={"problem_count": len(problems)},
        )
    return read


def _text(row: Mapping[str, object], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _row(
    number: int, row: Mapping[str, object], today: date, found: list[RowProblem]
) -> DailySales | None:
    day = _day(number, _text(row, "date"), today, found)
    gross = _amount(number, row, "gross_sales", found)
    refunds = _amount(number, row, "refunds", found)
    count = _count(number, row.get("transactions"), found)
    channel = _channel(number, _text(row, "channel"), found)
    if gross is not None and refunds is not None and refunds > gross:
        found.append(
            RowProblem(
                number,
                "refunds",
                f"{refunds} is more than the day's gross sales {gross}",
                str(refunds),
                remedy="refunds are part of the same day's sales: check both amounts",
            )
        )
    if gross is not None and count is not None:
        _check_count(number, gross, count, found)
    if found or day is None or gross is None or refunds is None or count is None or not channel:
        return None
    return DailySales(day, channel, gross.fen, refunds.fen, count)


def _day(number: int, text: str, today: date, found: list[RowProblem]) -> date | None:
    remedy = "write the day as YYYY-MM-DD, such as 2026-11-30"
    if not _DATE.fullmatch(text):
        found.append(RowProblem(number, "date", f"{text!r} is not a date", text, remedy=remedy))
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        found.append(
            RowProblem(number, "date", f"{text} is no day of the calendar", text, remedy=remedy)
        )
        return None
    if day >= today:
        said = "is today, a day not yet over" if day == today else "is in the future"
        found.append(
            RowProblem(
                number,
                "date",
                f"{text} {said} (today is {today.isoformat()})",
                text,
                remedy="send a day's sales once the day has ended",
            )
        )
        return None
    if day < EARLIEST_DAY:
        found.append(
            RowProblem(
                number,
                "date",
                f"{text} is before {EARLIEST_DAY.isoformat()}",
                text,
                remedy="check the year",
            )
        )
        return None
    return day


def _amount(
    number: int, row: Mapping[str, object], column: str, found: list[RowProblem]
) -> Money | None:
    value = row.get(column)
    text = "" if value is None else str(value).strip()
    remedy = "write yuan with digits 0-9 and at most two decimals, such as 1234.50"
    if isinstance(value, (bool, float)) or not text:
        what = "is empty" if not text else 'must be text such as "12.50" or a whole number'
        found.append(RowProblem(number, column, what, value, remedy=remedy))
        return None
    try:
        amount = Money.of(text, field=column)
    except InvalidInputError as error:
        found.append(RowProblem(number, column, error.message, text, remedy=remedy))
        return None
    if amount.is_negative():
        found.append(
            RowProblem(
                number,
                column,
                f"{text} is negative",
                text,
                remedy="write sales and refunds as positive amounts (refunds in their own column)",
            )
        )
        return None
    return amount


def _count(number: int, value: object, found: list[RowProblem]) -> int | None:
    text = "" if value is None else str(value).strip()
    if isinstance(value, bool) or not _COUNT.fullmatch(text):
        found.append(
            RowProblem(
                number,
                "transactions",
                f"{text!r} is not a whole number of transactions",
                text,
                remedy="write the number of sales that day with digits 0-9, such as 42",
            )
        )
        return None
    count = int(text)
    if count > MAX_TRANSACTIONS_PER_DAY:
        found.append(
            RowProblem(
                number,
                "transactions",
                f"{count} transactions in one day is more than {MAX_TRANSACTIONS_PER_DAY}",
                count,
                remedy="check the count: it is the number of sales, not an amount",
            )
        )
        return None
    return count


def _check_count(number: int, gross: Money, count: int, found: list[RowProblem]) -> None:
    if gross.fen > 0 and count == 0:
        found.append(
            RowProblem(
                number,
                "transactions",
                f"is 0 although the day sold {gross}",
                count,
                remedy="give the number of sales that made up the day's gross sales",
            )
        )
    elif gross.fen == 0 and count > 0:
        found.append(
            RowProblem(
                number,
                "transactions",
                f"is {count} although the day sold nothing",
                count,
                remedy="give the day's gross sales, or 0 transactions for a day without sales",
            )
        )
    elif count > 0 and gross.fen < count:
        found.append(
            RowProblem(
                number,
                "transactions",
                f"{count} sales cannot add up to {gross} (less than one fen each)",
                count,
                remedy="check the count and the amount",
            )
        )


def _channel(number: int, text: str, found: list[RowProblem]) -> str:
    channel = text.lower()
    if channel not in CHANNELS:
        found.append(
            RowProblem(
                number,
                "channel",
                f"{text!r} is not a known channel",
                text,
                remedy=f"write one of {', '.join(CHANNELS)}",
            )
        )
        return ""
    return channel


def channels_of(rows: Iterable[DailySales]) -> tuple[str, ...]:
    """The channels ``rows`` use, sorted."""
    return tuple(sorted({r.channel for r in rows}))
