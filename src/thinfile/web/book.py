"""The loan book on the portfolio page: loans and balances by status and by delinquency bucket,
as bar charts (summed in SQL by :func:`thinfile.services.portfolio.book_by_status_and_bucket`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from thinfile.services.portfolio import BookRow
from thinfile.servicing import LoanStatus
from thinfile.web.charts import BarChart, bar_chart
from thinfile.web.formatting import fen
from thinfile.web.forms import N_

__all__ = ["BookCharts", "book_charts"]

STATUS_NAMES: Mapping[LoanStatus, str] = {
    LoanStatus.ACTIVE: N_("Repaying"),
    LoanStatus.CLOSED: N_("Paid off"),
    LoanStatus.CHARGED_OFF: N_("Charged off"),
    LoanStatus.WRITTEN_OFF: N_("Written off"),
}
CURRENT = "CURRENT"


@dataclass(frozen=True, slots=True)
class BookCharts:
    by_status: BarChart
    by_bucket: BarChart
    rows: tuple[BookRow, ...]
    loans: int
    outstanding: int


def _bucket_order(bucket: str) -> tuple[int, str]:
    """Up to date first, then M1, M2 … by their number (M6+ after M5)."""
    digits = "".join(c for c in bucket if c.isdigit())
    return (1 + int(digits) if digits else 0, bucket)


def _label(name: str, currency: str) -> str:
    return name if currency == "CNY" else f"{name} {currency}"


def book_charts(rows: Iterable[BookRow], gettext: Callable[[str], str]) -> BookCharts:
    """Loans by status (count, with their balance) and outstanding balance by bucket."""
    rows = tuple(rows)
    count: dict[str, int] = defaultdict(int)
    owed_by_status: dict[str, int] = defaultdict(int)
    owed_by_bucket: dict[str, int] = defaultdict(int)
    for r in rows:
        status = _label(gettext(STATUS_NAMES.get(r.status, r.status)), r.currency)
        count[status] += r.loans
        owed_by_status[status] += r.outstanding
        if r.status is LoanStatus.ACTIVE:
            name = (
                gettext(N_("Up to date"))
                if r.bucket == CURRENT
                else gettext(N_("Overdue (%(bucket)s)")) % {"bucket": r.bucket}
            )
            owed_by_bucket[_label(name, r.currency)] += r.outstanding
    buckets = sorted(owed_by_bucket, key=_bucket_order)
    return BookCharts(
        by_status=bar_chart(
            N_("Loans by status"),
            [(s, n, f"{n} · {fen(owed_by_status[s])}") for s, n in sorted(count.items())],
        ),
        by_bucket=bar_chart(
            N_("Outstanding balance of loans being repaid, by delinquency bucket"),
            [(b, owed_by_bucket[b], fen(owed_by_bucket[b])) for b in buckets],
        ),
        rows=rows,
        loans=sum(count.values()),
        outstanding=sum(owed_by_status.values()),
    )
