"""Vintage curves and roll rates of a loan-month Parquet file, in DuckDB, for books at scale.

The same definitions as ``thinfile.portfolio`` (a test holds the two paths equal), in SQL over
the file: DuckDB reads only the columns it needs, in parallel, without loading the table into
pandas. A synthetic performance file (``month`` for months on book) is read as it is.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.portfolio import (
    LOAN_MONTH_COLUMNS,
    VINTAGE_COLUMNS,
    RollRates,
    forward_from_counts,
    rates_from_counts,
)
from thinfile.portfolio.buckets import DEFAULT_STATUSES, ENDED_STATUSES
from thinfile.portfolio.loan_months import MAX_MOB

__all__ = [
    "BOOK_REMEDY",
    "DEFAULT_SQL",
    "FORWARD_SQL",
    "ROLLS_SQL",
    "parquet_forward_by_month",
    "parquet_roll_rates",
    "parquet_vintage_curves",
]

DEFAULT_SQL = (
    f"(status IN ({', '.join(repr(s) for s in sorted(DEFAULT_STATUSES))}) OR days_past_due >= 90)"
)
_ENDED = f"status IN ({', '.join(repr(s) for s in sorted(ENDED_STATUSES))})"
BOOK_REMEDY = "pass a loan-month table: thinfile portfolio export or thinfile synth performance"

_VINTAGES = f"""
WITH loans AS (
  SELECT loan_id, any_value(vintage) AS vintage, any_value(principal) AS principal,
    max(mob) AS last_mob,
    coalesce(min(mob) FILTER (WHERE days_past_due >= 30), 0) AS ever_30,
    coalesce(min(mob) FILTER (WHERE days_past_due >= 60), 0) AS ever_60,
    coalesce(min(mob) FILTER (WHERE days_past_due >= 90), 0) AS ever_90,
    coalesce(min(mob) FILTER (WHERE {DEFAULT_SQL}), 0) AS default_cum
  FROM book GROUP BY loan_id
), sizes AS (
  SELECT vintage, count(*) AS loans, sum(principal) AS principal, max(last_mob) AS horizon
  FROM loans GROUP BY vintage
), grid AS (
  SELECT vintage, loans, principal, unnest(range(1, horizon + 1)) AS mob FROM sizes
), hits AS (
  SELECT vintage, kind, first AS mob, count(*) AS n, sum(principal) AS p
  FROM (UNPIVOT loans ON ever_30, ever_60, ever_90, default_cum INTO NAME kind VALUE first)
  WHERE first > 0 GROUP BY ALL
), per_month AS (
  SELECT g.vintage, g.mob, g.loans, g.principal,
    {
    ", ".join(
        f"coalesce(sum(h.n) FILTER (WHERE h.kind = '{k}'), 0) AS n_{k}, "
        f"coalesce(sum(h.p) FILTER (WHERE h.kind = '{k}'), 0) AS p_{k}"
        for k in ("ever_30", "ever_60", "ever_90", "default_cum")
    )
}
  FROM grid g LEFT JOIN hits h ON h.vintage = g.vintage AND h.mob = g.mob
  GROUP BY g.vintage, g.mob, g.loans, g.principal
)
SELECT vintage, mob, loans, principal,
  {
    ", ".join(
        f"sum(n_{k}) OVER w / loans AS {k}"
        for k in ("ever_30", "ever_60", "ever_90", "default_cum")
    )
},
  {
    ", ".join(
        f"CASE WHEN principal > 0 THEN sum(p_{k}) OVER w / principal ELSE 0 END AS {k}_principal"
        for k in ("ever_30", "ever_60", "ever_90", "default_cum")
    )
}
FROM per_month
WINDOW w AS (PARTITION BY vintage ORDER BY mob)
ORDER BY vintage, mob
"""

# ROLLS_SQL and FORWARD_SQL read the view ``book`` in DuckDB and in Spark SQL alike.
ROLLS_SQL = f"""
WITH states AS (
  SELECT loan_id, mob, CASE
    WHEN {_ENDED} THEN 5 WHEN {DEFAULT_SQL} THEN 4 WHEN days_past_due >= 60 THEN 3
    WHEN days_past_due >= 30 THEN 2 WHEN days_past_due >= 1 THEN 1 ELSE 0 END AS bucket
  FROM book
)
SELECT a.bucket AS bucket_from, b.bucket AS bucket_to, count(*) AS n
FROM states a JOIN states b ON b.loan_id = a.loan_id AND b.mob = a.mob + 1
GROUP BY a.bucket, b.bucket
"""

FORWARD_SQL = f"""
WITH states AS (
  SELECT loan_id, mob,
    CAST(substr(vintage, 1, 4) AS BIGINT) * 12 + CAST(substr(vintage, 6, 2) AS BIGINT) - 1
      + mob - 1 AS month,
    CASE
    WHEN {_ENDED} THEN 5 WHEN {DEFAULT_SQL} THEN 4 WHEN days_past_due >= 60 THEN 3
    WHEN days_past_due >= 30 THEN 2 WHEN days_past_due >= 1 THEN 1 ELSE 0 END AS bucket
  FROM book
)
SELECT b.month AS month, a.bucket AS bucket_from, b.bucket AS bucket_to, count(*) AS n
FROM states a JOIN states b ON b.loan_id = a.loan_id AND b.mob = a.mob + 1
WHERE a.bucket < 4
GROUP BY b.month, a.bucket, b.bucket
"""


def parquet_forward_by_month(path: Path) -> pd.DataFrame:
    """``thinfile.portfolio.forward_by_month`` of the loan-month Parquet file at ``path``."""
    with _book(path) as con:
        pairs = con.execute(FORWARD_SQL).df()
    return forward_from_counts(pairs)


def parquet_vintage_curves(path: Path) -> pd.DataFrame:
    """``thinfile.portfolio.vintage_curves`` of the loan-month Parquet file at ``path``."""
    with _book(path) as con:
        frame = con.execute(_VINTAGES).df()
    frame = frame.astype({"vintage": "str", "mob": "int64", "loans": "int64"})
    frame["principal"] = frame["principal"].astype("int64")
    return frame[list(VINTAGE_COLUMNS)].reset_index(drop=True)


def parquet_roll_rates(path: Path) -> RollRates:
    """``thinfile.portfolio.roll_rates`` of the loan-month Parquet file at ``path``."""
    with _book(path) as con:
        pairs = con.execute(ROLLS_SQL).df()
    return rates_from_counts(pairs)


def _book(path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the file as the view ``book`` (``month`` → ``mob``)."""
    if not path.is_file():
        raise DataContractError(
            f"{str(path)!r} does not exist", field="--loan-months", value=str(path)
        )
    con = duckdb.connect()
    con.read_parquet(str(path)).create_view("raw")
    names = {row[0] for row in con.execute("DESCRIBE raw").fetchall()}
    mob = "mob" if "mob" in names else "month AS mob" if "month" in names else None
    missing = [c for c in LOAN_MONTH_COLUMNS if c != "mob" and c not in names]
    if mob is None or missing:
        con.close()
        raise DataContractError(
            f"the loan-month table lacks {', '.join(missing or ['mob'])}",
            field="loan_months",
            remedy=BOOK_REMEDY,
        )
    columns = [c if c != "mob" else mob for c in LOAN_MONTH_COLUMNS]
    con.execute(f"CREATE VIEW book AS SELECT {', '.join(columns)} FROM raw")
    broken = con.execute(_CHECKS).fetchone()
    for (column, why), count in zip(_CHECKED, broken or (), strict=False):
        if count:
            con.close()
            raise DataContractError(
                f"the loan-month column {column} {why}", field=column, remedy=BOOK_REMEDY
            )
    return con


_CHECKED = (
    ("mob", f"is a month on book from 1 to {MAX_MOB}"),
    ("mob", "has a loan twice in one month"),
    ("vintage", "must be a month written YYYY-MM"),
    ("vintage", "differs between rows of one loan"),
    ("balance", "must not be negative"),
)
_CHECKS = f"""
SELECT
  count(*) FILTER (WHERE mob IS NULL OR mob < 1 OR mob > {MAX_MOB}),
  count(*) - count(DISTINCT (loan_id, mob)),
  count(*) FILTER (WHERE NOT regexp_full_match(CAST(vintage AS VARCHAR),
                                               '[0-9]{{4}}-(0[1-9]|1[0-2])')),
  (SELECT count(*) FROM (SELECT loan_id FROM book GROUP BY loan_id
                         HAVING count(DISTINCT vintage) > 1)),
  count(*) FILTER (WHERE balance < 0 OR principal < 0 OR days_past_due < 0)
FROM book
"""
"""The contract checks of ``thinfile.portfolio.check_loan_months`` the file's rows must pass
before a curve is drawn from them (one pass in DuckDB), in :data:`_CHECKED`'s order."""
