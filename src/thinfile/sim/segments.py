"""The segments of the synthetic population and what differs between them.

Each :class:`Segment` fixes the distributions that generate one kind of applicant. The
figures are assumptions made for simulation, chosen to look like the new citizens (新市民)
thinfile serves; they are not statistics about real people.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PURPOSES", "SEGMENTS", "TERMS", "Segment"]

TERMS: tuple[int, ...] = (3, 6, 9, 12, 18, 24, 36)
"""Loan terms on offer, in months."""

PURPOSES: tuple[str, ...] = (
    "consumption",
    "rent_deposit",
    "education",
    "vehicle",
    "medical",
    "business_working_capital",
    "phone_purchase",
)
"""Loan purposes (借款用途)."""

PURPOSE_AMOUNT_YUAN: tuple[int, ...] = (6000, 7000, 15000, 30000, 10000, 50000, 4500)
"""Median requested amount per purpose, in yuan (same order as :data:`PURPOSES`)."""

PURPOSE_TERM_WEIGHTS: tuple[tuple[float, ...], ...] = (
    (3, 6, 3, 6, 2, 1, 0.5),  # consumption
    (2, 5, 3, 6, 1, 0.5, 0),  # rent_deposit
    (0, 1, 1, 5, 4, 4, 2),  # education
    (0, 0, 0, 3, 3, 5, 4),  # vehicle
    (1, 3, 2, 5, 2, 1, 0.5),  # medical
    (0, 1, 1, 5, 3, 4, 3),  # business_working_capital
    (2, 4, 2, 6, 1, 1, 0),  # phone_purchase
)
"""Relative weight of each term in :data:`TERMS`, per purpose."""


@dataclass(frozen=True, slots=True)
class Segment:
    """How one kind of applicant is generated.

    Money medians are in yuan a month; ``income_cv`` is the mean month-to-month coefficient of
    variation of income; ``*_share`` fields are probabilities; ``risk_offset`` is the segment's
    term in the default log-odds (the latent process is in :mod:`thinfile.sim.risk`).
    """

    name: str
    name_zh: str
    share: float
    age_mean: float
    age_sd: float
    male_share: float
    income_median: int
    income_cv: float
    local_hukou_share: float
    months_in_city_median: float
    platform_share: float
    bureau_share: float
    bureau_months_median: float
    social_insurance_share: float
    tier_weights: tuple[float, float, float, float]
    purpose_weights: tuple[float, ...]
    shock_rate: float
    risk_offset: float


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "delivery_rider",
        "外卖/快递骑手",
        0.16,
        29,
        6,
        0.88,
        7000,
        0.30,
        0.04,
        26,
        0.96,
        0.35,
        22,
        0.15,
        (4, 4, 2, 1),
        (4, 2, 0.5, 2, 1, 0.3, 3),
        0.050,
        -3.06,
    ),
    Segment(
        "ride_hail_driver",
        "网约车司机",
        0.10,
        36,
        7,
        0.93,
        8500,
        0.28,
        0.06,
        40,
        0.95,
        0.55,
        30,
        0.20,
        (4, 4, 2, 1),
        (3, 1, 0.5, 4, 1, 0.5, 1),
        0.050,
        -3.20,
    ),
    Segment(
        "construction_worker",
        "建筑工人",
        0.10,
        41,
        8,
        0.90,
        6800,
        0.45,
        0.03,
        30,
        0.15,
        0.20,
        20,
        0.10,
        (2, 4, 3, 2),
        (3, 1.5, 0.7, 1, 2, 0.3, 1.5),
        0.070,
        -3.01,
    ),
    Segment(
        "factory_worker",
        "工厂工人",
        0.18,
        30,
        7,
        0.60,
        5600,
        0.15,
        0.05,
        28,
        0.10,
        0.30,
        20,
        0.70,
        (1, 4, 3, 2),
        (4, 2, 0.7, 1, 1.5, 0.2, 3),
        0.030,
        -3.16,
    ),
    Segment(
        "domestic_service",
        "家政服务",
        0.08,
        42,
        8,
        0.12,
        5400,
        0.22,
        0.04,
        36,
        0.40,
        0.20,
        18,
        0.15,
        (4, 4, 2, 1),
        (3, 2, 1.5, 0.5, 2, 0.3, 1.5),
        0.040,
        -3.10,
    ),
    Segment(
        "micro_shop_owner",
        "个体工商户",
        0.10,
        38,
        7,
        0.62,
        9500,
        0.40,
        0.10,
        50,
        0.30,
        0.50,
        36,
        0.20,
        (2, 4, 3, 2),
        (1, 1, 0.5, 1, 0.5, 6, 0.5),
        0.050,
        -3.33,
    ),
    Segment(
        "new_graduate",
        "新就业大学生",
        0.16,
        23,
        1.5,
        0.50,
        6800,
        0.12,
        0.20,
        12,
        0.10,
        0.55,
        20,
        0.80,
        (4, 4, 2, 1),
        (3, 4, 2, 0.5, 0.5, 0.2, 2.5),
        0.025,
        -3.55,
    ),
    Segment(
        "salaried_resident",
        "本地工薪居民",
        0.12,
        37,
        8,
        0.50,
        9500,
        0.08,
        0.85,
        180,
        0.05,
        0.90,
        84,
        0.95,
        (3, 4, 3, 2),
        (4, 1, 2, 2, 1, 0.5, 1.5),
        0.015,
        -3.80,
    ),
)
"""The segments, in the order of their integer codes."""
