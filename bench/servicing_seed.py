"""Seed a realistic servicing book set-based (no Python loop per loan), for the benchmarks.

Loans of 10,000–15,000 yuan over 12 monthly (30-day) periods, disbursed over the past
eleven months; past installments are paid except on about 8% of loans, which are 1–89 days
past due. A share of the loans (``subsidised``, 30% by default: ids ending 0–2 of every ten)
carry a 7.5% merchant subsidy with its effective-interest plan (``servicing_subsidy_periods``,
one row per period, from ``servicing.plan_subsidy`` on the same rows), recognised to the day
before the business date. PostgreSQL uses ``generate_series``; SQLite a recursive CTE.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.servicing import InstallmentState, ServicingProduct, plan_subsidy
from thinfile.store.servicing_codec import product_to_json, terms_to_json, to_day

RATE_UNITS = ServicingProduct().penalty_rate_units(Decimal("0.18"))
CAP_UNITS = ServicingProduct().defaults.all_in_cap_units


def _numbers(engine: Engine, n: int) -> str:
    if engine.dialect.name == "postgresql":
        return f"SELECT g FROM generate_series(1, {n}) AS g"
    return (
        f"SELECT g FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
        f"WHERE g < {n}) SELECT g FROM s)"
    )


def seed(
    engine: Engine,
    n: int,
    business_day: date,
    *,
    subsidised: float = 0.3,
    due_in: int | None = None,
) -> None:
    """``n`` active loans closed to the day before ``business_day``; the ``subsidised`` share
    (in tenths) carries a merchant subsidy. With ``due_in`` (0 to 29) every loan was disbursed a
    whole number of periods (1–11) less ``due_in`` days before ``business_day``, so each has an
    installment falling due ``due_in`` days after it (0: that day)."""
    d = to_day(business_day)
    terms = LoanTerms(
        Money.of("12000"), Decimal("0.18"), 12, RepaymentMethod.EQUAL_INSTALLMENT, date(2025, 1, 1)
    )
    product = ServicingProduct()
    nums = _numbers(engine, n)
    age = "(CAST(g AS BIGINT) * 7919 % 330)"  # days since disbursement, 0..329
    if due_in is not None:
        assert 0 <= due_in < 30, due_in
        age = f"(30 * (CAST(g AS BIGINT) * 7919 % 11 + 1) - {due_in})"  # whole periods, less
    loans_sql = f"""
    INSERT INTO servicing_loans (id, product_code, currency, status, principal, down_payment,
      disbursed_day, cob_day, overdue_since_day, bucket, subsidy_end_day, grace_days,
      penalty_rate_units, day_basis, leap_basis, all_in_cap_units, late_fee, late_fee_cap,
      charge_off_days, version)
    SELECT g, 'standard', 'CNY', 'active', 1000000 + (g % 50) * 10000, 0,
      {d} - {age}, {d - 1}, NULL, 'CURRENT', {d} - {age} + 360, 3, {RATE_UNITS}, 360, 360,
      {CAP_UNITS}, 0, 0, 180, 1
    FROM ({nums}) AS s
    """
    terms_sql = """
    INSERT INTO servicing_loan_terms (loan_id, terms_json, product_json, rates_json)
    SELECT id, :terms, :product, :rates FROM servicing_loans
    """
    with engine.begin() as conn:
        conn.execute(sa.text(loans_sql))
        conn.execute(
            sa.text(terms_sql),
            {
                "terms": terms_to_json(terms),
                "product": product_to_json(product),
                "rates": json.dumps(["0"] + ["0.015"] * 12),
            },
        )
    _seed_installments(engine, d)
    tenths = round(subsidised * 10)
    if tenths:
        _seed_subsidies(engine, d, tenths)
        _analyze(engine, "servicing_loans", "servicing_subsidy_periods")


def _analyze(engine: Engine, *tables: str) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


SUBSIDY_PER_MILLE = 75
"""7.5% of the principal."""


def _plan_rows() -> list[dict[str, int]]:
    """Each principal variant's plan (50 of them, ``id % 50``), periods as offsets in days."""
    out = []
    for variant in range(50):
        principal = 1_000_000 + variant * 10_000
        part = principal // 12
        rows = [
            InstallmentState(
                k,
                date(2025, 1, 1),
                date(2025, 1, 2),
                part if k < 12 else principal - 11 * part,
                (principal - (k - 1) * part) * 15 // 1000,
            )
            for k in range(1, 13)
        ]
        subsidy = principal * SUBSIDY_PER_MILLE // 1000
        for p in plan_subsidy(rows, subsidy):
            out.append({"v": variant, "n": p.n, "amount": p.amount, "before": p.before})
    return out


def _seed_subsidies(engine: Engine, d: int, tenths: int) -> None:
    """Subsidies on loans whose id ends in 0 … ``tenths`` − 1, their plans, and what the plans
    recognised by the day before ``d`` (set-based: the 600 plan rows joined to the loans)."""
    values = ", ".join(f"({r['v']}, {r['n']}, {r['amount']}, {r['before']})" for r in _plan_rows())
    chosen = f"l.id % 10 < {tenths}"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE servicing_loans SET subsidy = principal * {SUBSIDY_PER_MILLE} / 1000 "
                f"WHERE id % 10 < {tenths}"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO servicing_subsidy_periods (loan_id, n, start_day, due_day, amount,"
                " recognized_before) SELECT l.id, t.n, l.disbursed_day + 30 * (t.n - 1),"
                " l.disbursed_day + 30 * t.n, t.amount, t.before FROM servicing_loans l"
                f" JOIN (VALUES {values}) AS t(v, n, amount, before) ON t.v = l.id % 50"
                f" WHERE {chosen}"
                if engine.dialect.name == "postgresql"
                else "INSERT INTO servicing_subsidy_periods (loan_id, n, start_day, due_day,"
                " amount, recognized_before) SELECT l.id, t.column2, l.disbursed_day + 30 *"
                " (t.column2 - 1), l.disbursed_day + 30 * t.column2, t.column3, t.column4 FROM"
                f" servicing_loans l JOIN (VALUES {values}) AS t ON t.column1 = l.id % 50"
                f" WHERE {chosen}"
            )
        )
        conn.execute(
            sa.text(
                f"""UPDATE servicing_loans SET subsidy_recognized = COALESCE(
                  (SELECT p.recognized_before + p.amount * ({d - 1} - p.start_day)
                          / (p.due_day - p.start_day)
                   FROM servicing_subsidy_periods p WHERE p.loan_id = servicing_loans.id
                     AND p.start_day < {d - 1} AND p.due_day >= {d - 1}), 0)
                WHERE subsidy > 0"""
            )
        )


def _seed_installments(engine: Engine, d: int) -> None:
    numbers = _numbers(engine, 12)
    part = "CASE WHEN k.n < 12 THEN l.principal / 12 ELSE l.principal - 11 * (l.principal / 12) END"
    interest = "(l.principal - (k.n - 1) * (l.principal / 12)) * 15 / 1000"
    due = "(l.disbursed_day + 30 * k.n)"
    start = "(l.disbursed_day + 30 * (k.n - 1))"
    # overdue loans leave unpaid every installment due in the last (id % 89 + 1) days
    is_paid = f"({due} <= {d - 1} AND NOT (l.id % 100 < 8 AND {due} > {d - 1} - (l.id % 89 + 1)))"
    sql = f"""
    INSERT INTO servicing_installments (loan_id, n, start_day, due_day, principal_due,
      interest_due, principal_paid, interest_paid, interest_accrued)
    SELECT l.id, k.g, {start.replace("k.n", "k.g")}, {due.replace("k.n", "k.g")},
      {part.replace("k.n", "k.g")}, {interest.replace("k.n", "k.g")},
      CASE WHEN {is_paid.replace("k.n", "k.g")} THEN {part.replace("k.n", "k.g")} ELSE 0 END,
      CASE WHEN {is_paid.replace("k.n", "k.g")} THEN {interest.replace("k.n", "k.g")} ELSE 0 END,
      CASE WHEN {due.replace("k.n", "k.g")} <= {d - 1} THEN {interest.replace("k.n", "k.g")}
           WHEN {start.replace("k.n", "k.g")} < {d - 1}
           THEN {interest.replace("k.n", "k.g")} * ({d - 1} - {start.replace("k.n", "k.g")}) / 30
           ELSE 0 END
    FROM servicing_loans l CROSS JOIN ({numbers}) AS k
    """
    overdue_sql = f"""
    UPDATE servicing_loans SET overdue_since_day = o.first_due
    FROM (SELECT i.loan_id, MIN(i.due_day) AS first_due FROM servicing_installments i
          WHERE i.loan_id % 100 < 8 AND i.due_day <= {d - 1}
            AND i.principal_paid < i.principal_due GROUP BY i.loan_id) AS o
    WHERE servicing_loans.id = o.loan_id
    """
    with engine.begin() as conn:
        conn.execute(sa.text(sql))
        conn.execute(sa.text(overdue_sql))
        conn.execute(
            sa.text(
                "INSERT INTO servicing_bucket_ranges (product_code, label, min_days,"
                " max_days) VALUES ('standard','M1',1,30),('standard','M2',31,60),"
                "('standard','M3',61,90),('standard','M4',91,120),"
                "('standard','M5',121,150),('standard','M6+',151,NULL)"
            )
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('servicing_loans', 'id'),"
                    " (SELECT MAX(id) FROM servicing_loans))"
                )
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE servicing_loans"))
            conn.execute(sa.text("VACUUM ANALYZE servicing_installments"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
