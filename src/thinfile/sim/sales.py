"""``simulate_sales``: daily sales of micro-shop owners and platform earnings of riders and
drivers, consistent with the applicants' known risk.

The lender sees a business through its sales feed (``thinfile.scoring.sales_feed``); here the
feed is drawn from the same truth as the rest of the applicant. For each applicant who
consented to alternative data (``consent_alt_data``):

- **micro-shop owners** (个体工商户) get ``qr`` and ``card`` rows: a monthly turnover of about
  3.5 × their observed monthly income (a shop keeps a margin of its sales), a weekly rhythm
  (busier at the weekend), a history of a few months to the whole span;
- **delivery riders and ride-hail drivers** get ``platform`` rows of daily earnings (their
  monthly income over 30 days), over their platform tenure.

The known default probability ``true_pd`` (itself a sum of the latent traits, see
:mod:`thinfile.sim.risk`) shapes the path: riskier businesses have more volatile days (log-sd
0.18 + 1.6 × pd), more days without sales (0.02 + 0.5 × pd), more refunds, and a monthly drift
of 2% − 90% × pd (a high pd declines); six in ten applicants who default within 12 months
(``bad_12m``) see their sales collapse to a quarter in the last 10 to 60 days. Each day's gross
sales are whole fen; refunds never exceed them; transactions are gross ÷ a ticket size.

Columns: ``applicant_id``, ``date`` (``datetime64[s]``), ``channel``, ``gross_sales``,
``refunds`` (fen), ``transactions``. Days without sales have no row. The same seed gives the
same table.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.sim.draws import Floats, Mask, lognormal, streams

__all__ = ["SALES_COLUMNS", "SALES_SEGMENTS", "simulate_sales"]

SALES_COLUMNS: tuple[str, ...] = (
    "applicant_id",
    "date",
    "channel",
    "gross_sales",
    "refunds",
    "transactions",
)
SALES_SEGMENTS: dict[str, str] = {
    "micro_shop_owner": "shop",
    "delivery_rider": "platform",
    "ride_hail_driver": "platform",
}
"""The segments with a sales feed, and its kind."""
MAX_DAYS = 1_100
_REQUIRED = (
    "applicant_id",
    "segment",
    "income_monthly_mean",
    "platform_tenure_months",
    "consent_alt_data",
    "true_pd",
    "bad_12m",
)
_SHOP_WEEK = np.array([0.90, 0.88, 0.92, 0.97, 1.08, 1.35, 1.30])
_PLATFORM_WEEK = np.array([0.97, 0.95, 0.96, 1.00, 1.05, 1.12, 1.08])
_SHOP_TICKET_YUAN, _PLATFORM_TICKET_YUAN = 32.0, 7.5


def simulate_sales(applicants: pd.DataFrame, *, days: int, seed: int, as_of: date) -> pd.DataFrame:
    """Daily sales rows over the ``days`` days before ``as_of`` for the applicants with a feed."""
    _check(applicants, days, seed)
    rng = streams(seed, ("level", "path", "closed", "collapse", "refunds", "channels"))
    kinds = applicants["segment"].map(SALES_SEGMENTS)
    platform_tenure = applicants["platform_tenure_months"].to_numpy(dtype=np.int64)
    has_feed = (
        kinds.notna().to_numpy()
        & applicants["consent_alt_data"].to_numpy(dtype=bool)
        & ((kinds == "shop").to_numpy() | (platform_tenure > 0))
    )
    chosen = applicants.loc[has_feed]
    if chosen.empty:
        return _empty()
    shop: Mask = (kinds[has_feed] == "shop").to_numpy()
    pd_ = chosen["true_pd"].to_numpy(dtype=np.float64)
    m = len(chosen)
    # float-ok: a simulated draw in yuan, rounded once to whole fen below
    income = chosen["income_monthly_mean"].to_numpy(dtype=np.float64) / 100.0  # float-ok: sim
    turnover = np.where(shop, income * lognormal(rng["level"], 3.5, 0.3, m), income)
    gross = _daily_gross(rng, turnover / 30.0, pd_, shop, chosen["bad_12m"].to_numpy(), days, as_of)
    start = _history_start(rng["level"], shop, platform_tenure[has_feed], days)
    gross[np.arange(days)[None, :] < start[:, None]] = 0.0
    gross_fen = np.rint(gross * 100.0).astype(np.int64)  # float-ok: simulated yuan to fen, once
    return _rows(rng, chosen["applicant_id"].to_numpy(), shop, pd_, gross_fen, days, as_of)


def _check(applicants: pd.DataFrame, days: int, seed: int) -> None:
    missing = [c for c in _REQUIRED if c not in applicants.columns]
    if missing:
        raise DataContractError(
            f"the applicants table lacks {', '.join(missing)}",
            field="applicants",
            value=missing,
            remedy="pass the table generate_applicants makes",
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInputError(f"days must be from 1 to {MAX_DAYS}", field="days", value=days)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError("the seed must be a non-negative whole number", field="seed")


def _daily_gross(
    rng: dict[str, np.random.Generator],
    level: Floats,
    risk: Floats,
    shop: Mask,
    bad: np.ndarray,
    days: int,
    as_of: date,
) -> Floats:
    """Gross sales in yuan, applicants × days (the last column is the day before ``as_of``)."""
    m = level.shape[0]
    t = np.arange(days, dtype=np.float64)[None, :] - (days - 1)
    drift = 0.02 - 0.9 * risk + rng["path"].normal(0.0, 0.02, m)
    sigma = 0.18 + 1.6 * risk
    first = as_of - timedelta(days=days)
    weekdays = (np.arange(days) + first.weekday()) % 7
    week = np.where(shop[:, None], _SHOP_WEEK[weekdays][None, :], _PLATFORM_WEEK[weekdays][None, :])
    noise = rng["path"].normal(0.0, 1.0, (m, days)) * sigma[:, None] - sigma[:, None] ** 2 / 2
    gross = level[:, None] * np.exp(drift[:, None] * t / 30.0 + noise) * week
    closed_p = np.clip(np.where(shop, 0.02, 0.10) + 0.5 * risk, 0.0, 0.6)
    gross[rng["closed"].random((m, days)) < closed_p[:, None]] = 0.0
    collapses = (bad == 1) & (rng["collapse"].random(m) < 0.6)
    onset = days - np.asarray(rng["collapse"].integers(10, 61, m), dtype=np.int64)
    after = np.arange(days)[None, :] >= onset[:, None]
    gross[collapses[:, None] & after] *= 0.25
    return np.asarray(gross, dtype=np.float64)


def _history_start(
    rng: np.random.Generator, shop: Mask, tenure_months: np.ndarray, days: int
) -> np.ndarray:
    """The first day (column) of each feed."""
    shop_days = np.clip(np.rint(lognormal(rng, 300.0, 0.8, shop.shape[0])), 20, days)
    span = np.where(shop, shop_days, np.minimum(tenure_months * 30, days))
    return (days - span).astype(np.int64)


def _rows(
    rng: dict[str, np.random.Generator],
    ids: np.ndarray,
    shop: Mask,
    risk: Floats,
    gross_fen: np.ndarray,
    days: int,
    as_of: date,
) -> pd.DataFrame:
    m = ids.shape[0]
    ratio = np.clip(
        np.where(shop, 0.01 + 0.15 * risk, 0.002 + 0.02 * risk)
        + rng["refunds"].normal(0.0, 0.004, m),
        0.0,
        0.5,
    )
    wobble = rng["refunds"].uniform(0.5, 1.5, gross_fen.shape)
    refunds = np.minimum(np.rint(gross_fen * ratio[:, None] * wobble), gross_fen).astype(np.int64)
    qr_share = np.where(shop, rng["channels"].uniform(0.5, 0.85, m), 1.0)
    qr_gross = np.rint(gross_fen * qr_share[:, None]).astype(np.int64)
    qr_refunds = np.minimum(np.rint(refunds * qr_share[:, None]).astype(np.int64), qr_gross)
    ticket = np.where(shop, _SHOP_TICKET_YUAN, _PLATFORM_TICKET_YUAN) * 100.0  # float-ok: sim
    parts = [
        (np.where(shop, "qr", "platform"), qr_gross, qr_refunds),
        (np.full(m, "card"), gross_fen - qr_gross, refunds - qr_refunds),
    ]
    dates = np.datetime64(as_of - timedelta(days=days), "D") + np.arange(days)
    frames = []
    for channels, g, r in parts:
        row, col = np.nonzero(g > 0)
        tx = np.maximum(1, np.rint(g[row, col] / ticket[row])).astype(np.int64)
        tx = np.minimum(tx, g[row, col])
        frames.append(
            pd.DataFrame(
                {
                    "applicant_id": pd.array(ids[row], dtype="str"),
                    "date": dates[col].astype("datetime64[s]"),
                    "channel": pd.array(channels[row], dtype="str"),
                    "gross_sales": g[row, col],
                    "refunds": r[row, col],
                    "transactions": tx,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["applicant_id", "date", "channel"], ignore_index=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "applicant_id": pd.array([], dtype="str"),
            "date": np.array([], dtype="datetime64[s]"),
            "channel": pd.array([], dtype="str"),
            "gross_sales": np.array([], dtype=np.int64),
            "refunds": np.array([], dtype=np.int64),
            "transactions": np.array([], dtype=np.int64),
        }
    )
