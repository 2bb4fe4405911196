"""``thinfile portfolio report --engine spark``: vintage curves and roll rates in Spark SQL.

The definitions of ``thinfile.portfolio`` (and of the DuckDB path,
``thinfile.store.portfolio_parquet``), over a loan-month table of any size: Spark reduces
the book to counts (integers, exact in any order), and the driver turns counts into rates
with the domain's own functions, so the report's JSON is the single-machine one. The score
and decision tables of the report (PSI, back-test, fairness) are one row per loan or
application and are measured on the driver, by the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from thinfile.errors import DataContractError
from thinfile.portfolio import (
    LOAN_MONTH_COLUMNS,
    VINTAGE_COLUMNS,
    RollRates,
    forward_from_counts,
    rates_from_counts,
)
from thinfile.spark.frames import read_parquet
from thinfile.store.portfolio_parquet import BOOK_REMEDY, DEFAULT_SQL, FORWARD_SQL, ROLLS_SQL

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["spark_forward_by_month", "spark_roll_rates", "spark_table", "spark_vintage_curves"]

_KINDS = ("ever_30", "ever_60", "ever_90", "default_cum")

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
  SELECT vintage, loans, principal, explode(sequence(1, horizon)) AS mob
  FROM sizes WHERE horizon >= 1
), hits AS (
  SELECT vintage, kind, first_mob AS mob, count(*) AS n, sum(principal) AS p
  FROM (
    SELECT vintage, principal, kind, first_mob FROM loans
    UNPIVOT (first_mob FOR kind IN ({", ".join(_KINDS)}))
  )
  WHERE first_mob > 0 GROUP BY vintage, kind, first_mob
), per_month AS (
  SELECT g.vintage, g.mob, g.loans, g.principal,
    {
    ", ".join(
        f"coalesce(sum(h.n) FILTER (WHERE h.kind = '{k}'), 0) AS n_{k}, "
        f"coalesce(sum(h.p) FILTER (WHERE h.kind = '{k}'), 0) AS p_{k}"
        for k in _KINDS
    )
}
  FROM grid g LEFT JOIN hits h ON h.vintage = g.vintage AND h.mob = g.mob
  GROUP BY g.vintage, g.mob, g.loans, g.principal
)
SELECT vintage, mob, loans, principal,
  {", ".join(f"CAST(sum(n_{k}) OVER w AS DOUBLE) / loans AS {k}" for k in _KINDS)},
  {
    ", ".join(
        f"CASE WHEN principal > 0 THEN CAST(sum(p_{k}) OVER w AS DOUBLE) / principal "
        f"ELSE 0.0D END AS {k}_principal"
        for k in _KINDS
    )
}
FROM per_month
WINDOW w AS (PARTITION BY vintage ORDER BY mob ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY vintage, mob
"""


def book_view(spark: SparkSession, uri: str) -> str:
    """Register the loan-month table at ``uri`` as a temporary view (``month`` read as
    ``mob``) and return the view's name."""
    raw = read_parquet(spark, uri, field="--loan-months")
    names = set(raw.columns)
    mob = "mob" if "mob" in names else "month AS mob" if "month" in names else None
    missing = [c for c in LOAN_MONTH_COLUMNS if c != "mob" and c not in names]
    if mob is None or missing:
        raise DataContractError(
            f"the loan-month table lacks {', '.join(missing or ['mob'])}",
            field="loan_months",
            remedy=BOOK_REMEDY,
        )
    raw.selectExpr(*[c if c != "mob" else mob for c in LOAN_MONTH_COLUMNS]).createOrReplaceTempView(
        "book"
    )
    return "book"


def _pandas(frame: DataFrame) -> pd.DataFrame:
    table = frame.toArrow()
    result: pd.DataFrame = table.to_pandas()
    return result


def spark_vintage_curves(spark: SparkSession, uri: str) -> pd.DataFrame:
    """``thinfile.portfolio.vintage_curves`` of the loan-month table at ``uri``."""
    book_view(spark, uri)
    frame = _pandas(spark.sql(_VINTAGES))
    frame = frame.astype({"vintage": "str", "mob": "int64", "loans": "int64"})
    frame["principal"] = frame["principal"].astype("int64")
    return frame[list(VINTAGE_COLUMNS)].reset_index(drop=True)


def spark_roll_rates(spark: SparkSession, uri: str) -> RollRates:
    """``thinfile.portfolio.roll_rates`` of the loan-month table at ``uri``."""
    book_view(spark, uri)
    return rates_from_counts(_pandas(spark.sql(ROLLS_SQL)))


def spark_forward_by_month(spark: SparkSession, uri: str) -> pd.DataFrame:
    """``thinfile.portfolio.forward_by_month`` of the loan-month table at ``uri``."""
    book_view(spark, uri)
    return forward_from_counts(_pandas(spark.sql(FORWARD_SQL)))


def spark_table(spark: SparkSession, uri: str, *, field: str) -> pd.DataFrame:
    """A (small) Parquet table read through Spark, so it may live at any URI Spark reads."""
    return _pandas(read_parquet(spark, uri, field=field))
