"""The working-capital decision (微乐贷): a limit from verified sales, a daily rate by grade.

Inputs are the business's sales features (``thinfile.scoring.sales``, read here by name, as
:class:`TurnoverFacts`) and, when the applicant has one, the grade of their latest credit
decision. Data flow::

    TurnoverFacts ─knockouts─► declined with reasons
                  ─sales grade (worse of it and the credit grade)─► limit share, daily rate
                  ─limit = share × monthly turnover, down to the step, within min/max─►
                  WorkingCapitalDecision (limit Money, daily rate Decimal, reasons)

**Knockouts** (each a reason in plain words, :mod:`thinfile.decisioning.working_capital_reasons`):
no sales history (``NO_SALES_DATA``), fewer than ``min_history_days`` days of it
(``SALES_HISTORY_SHORT``), collapsing sales — the last 30 days' daily average below
``collapse_bps`` (50%) of the 90 days' before (``SALES_COLLAPSING``) —, too many days without
sales in the window (``SALES_GAPS``), no sale in the last ``max_days_since_sale`` days
(``SALES_STOPPED``), refunds above ``max_refund_bps`` of sales (``REFUNDS_HIGH``), a credit
grade the lender does not lend at (``CREDIT_GRADE``), and a limit below the smallest line
(``LIMIT_TOO_SMALL``).

**Grade.** The sales grade starts at A and steps down one grade for each of: volatility above
``volatile_bps``, (two for above ``very_volatile_bps``), a trend below ``declining_bps``,
refunds above ``refund_watch_bps``, zero-sales days above ``gap_watch_bps`` of the window and a
history shorter than ``seasoned_days``. The decision's grade is the worse of the sales grade
and the credit grade.

**Price.** Interest is the drawn balance × the daily rate for each day drawn (随借随还); the
nominal annualized rate is daily × 365 and must not exceed the cap (24%): a policy whose
table breaks it is refused when built (:class:`~thinfile.errors.RateCapExceededError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum

from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.loanmath import compounded_daily_rate
from thinfile.money import Money, Rounding, round_fen

__all__ = [
    "DAYS_PER_YEAR",
    "GRADES",
    "TurnoverFacts",
    "WorkingCapitalDecision",
    "WorkingCapitalOutcome",
    "WorkingCapitalPolicy",
    "decide_working_capital",
    "sales_grade",
]

DAYS_PER_YEAR = 365
GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
_BPS = 10_000


class WorkingCapitalOutcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class TurnoverFacts:
    """What the decision reads of a business's sales (the names of ``SalesFeatures``)."""

    history_days: int
    window_days: int
    monthly_turnover_fen: int
    last_30_fen: int
    prior_90_fen: int
    prior_days: int
    recent_to_prior_bps: int | None
    trend_bps: int | None
    volatility_bps: int | None
    zero_sales_days: int
    refund_bps: int | None
    days_since_last_sale: int | None

    @classmethod
    def from_context(cls, context: Mapping[str, int | None]) -> TurnoverFacts:
        """The facts from features by name (unknown names are ignored)."""
        values: dict[str, int | None] = {}
        for f in fields(cls):
            value = context.get(f.name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidInputError(
                    f"{f.name} must be a whole number", field=f.name, value=value
                )
            values[f.name] = 0 if value is None and f.name not in _MAY_BE_NONE else value
        return cls(**values)  # type: ignore[arg-type]


_MAY_BE_NONE = frozenset(
    {"recent_to_prior_bps", "trend_bps", "volatility_bps", "refund_bps", "days_since_last_sale"}
)


def _default_shares() -> dict[str, int]:
    return {"A": 10_000, "B": 8_000, "C": 6_000, "D": 4_000, "E": 2_500}


def _default_rates() -> dict[str, Decimal]:
    return {
        "A": Decimal("0.00020"),
        "B": Decimal("0.00025"),
        "C": Decimal("0.00035"),
        "D": Decimal("0.00045"),
        "E": Decimal("0.00055"),
    }


@dataclass(frozen=True, slots=True)
class WorkingCapitalPolicy:
    """The settings of the working-capital decision (amounts in fen, ratios in basis points).

    ``limit_share_bps`` and ``daily_rates`` map each lendable grade to the share of monthly
    turnover lent and the daily rate charged; a grade in neither is not lent at."""

    version: str = "working-capital-2026-12"
    cap: Decimal = Decimal("0.24")
    min_history_days: int = 90
    collapse_bps: int = 5_000
    max_zero_share_bps: int = 3_000
    max_days_since_sale: int = 14
    max_refund_bps: int = 1_500
    volatile_bps: int = 4_000
    very_volatile_bps: int = 6_500
    declining_bps: int = -1_500
    refund_watch_bps: int = 500
    gap_watch_bps: int = 1_500
    seasoned_days: int = 180
    limit_share_bps: Mapping[str, int] = field(default_factory=_default_shares)
    daily_rates: Mapping[str, Decimal] = field(default_factory=_default_rates)
    step_fen: int = 50_000
    min_limit_fen: int = 100_000
    max_limit_fen: int = 30_000_000
    valid_days: int = 30

    def __post_init__(self) -> None:
        for grade, rate in self.daily_rates.items():
            if not isinstance(rate, Decimal) or rate <= 0:
                raise InvalidInputError(
                    f"the daily rate of grade {grade} must be a positive Decimal",
                    field=f"daily_rates.{grade}",
                    value=rate,
                )
            worst = max(rate * DAYS_PER_YEAR, compounded_daily_rate(rate))
            if worst > self.cap:  # as a line's terms are checked when it is opened
                raise RateCapExceededError(
                    f"grade {grade}'s daily rate {rate} is {rate * DAYS_PER_YEAR} a year "
                    f"nominal, {compounded_daily_rate(rate)} compounded: above the cap {self.cap}",
                    field=f"daily_rates.{grade}",
                    value=str(rate),
                    remedy=f"keep every daily rate at or below {self.max_daily_rate}",
                )
        if set(self.limit_share_bps) != set(self.daily_rates):
            raise InvalidInputError(
                "every lendable grade needs both a limit share and a daily rate",
                field="limit_share_bps",
                value=sorted(set(self.limit_share_bps) ^ set(self.daily_rates)),
            )
        if self.step_fen < 1 or not 0 < self.min_limit_fen <= self.max_limit_fen:
            raise InvalidInputError(
                "the limit step, smallest and largest limits must be positive and in order",
                field="min_limit_fen",
            )

    @property
    def max_daily_rate(self) -> Decimal:
        """The largest daily rate (to 0.00001) whose × 365 and whose compounding over a year
        both stay within the cap (a line opened at it is not refused)."""
        step = Decimal("0.00001")
        rate = (self.cap / DAYS_PER_YEAR).quantize(step, rounding="ROUND_DOWN")
        while rate > 0 and compounded_daily_rate(rate) > self.cap:
            rate -= step
        return rate


@dataclass(frozen=True, slots=True)
class WorkingCapitalDecision:
    """The answer: a limit and a daily rate, or a decline; the reasons either way.

    ``annual_rate`` is the nominal annualized rate, ``daily_rate`` × 365."""

    outcome: WorkingCapitalOutcome
    grade: str | None
    limit: Money
    daily_rate: Decimal | None
    reason_codes: tuple[str, ...]
    monthly_turnover: Money
    policy_version: str

    @property
    def is_approved(self) -> bool:
        return self.outcome is WorkingCapitalOutcome.APPROVE

    @property
    def annual_rate(self) -> Decimal | None:
        return None if self.daily_rate is None else self.daily_rate * DAYS_PER_YEAR


def _knockouts(facts: TurnoverFacts, policy: WorkingCapitalPolicy) -> list[str]:
    if facts.history_days == 0:
        return ["NO_SALES_DATA"]
    found: list[str] = []
    if facts.history_days < policy.min_history_days:
        found.append("SALES_HISTORY_SHORT")
    ratio = facts.recent_to_prior_bps
    if ratio is not None and ratio < policy.collapse_bps:
        found.append("SALES_COLLAPSING")
    window = max(facts.window_days, 1)
    if facts.zero_sales_days * _BPS > policy.max_zero_share_bps * window:
        found.append("SALES_GAPS")
    since = facts.days_since_last_sale
    if since is None or since > policy.max_days_since_sale:
        found.append("SALES_STOPPED")
    if facts.refund_bps is not None and facts.refund_bps > policy.max_refund_bps:
        found.append("REFUNDS_HIGH")
    return found


def sales_grade(facts: TurnoverFacts, policy: WorkingCapitalPolicy) -> str:
    """A to E from the shape of the sales (see the module's docstring)."""
    steps = 0
    volatility = facts.volatility_bps
    if volatility is not None and volatility > policy.volatile_bps:
        steps += 2 if volatility > policy.very_volatile_bps else 1
    if facts.trend_bps is not None and facts.trend_bps < policy.declining_bps:
        steps += 1
    if facts.refund_bps is not None and facts.refund_bps > policy.refund_watch_bps:
        steps += 1
    if facts.zero_sales_days * _BPS > policy.gap_watch_bps * max(facts.window_days, 1):
        steps += 1
    if facts.history_days < policy.seasoned_days:
        steps += 1
    return GRADES[min(steps, 4)]


def _worse(a: str, b: str | None) -> str:
    if b is None:
        return a
    return GRADES[max(GRADES.index(a), GRADES.index(b) if b in GRADES else len(GRADES) - 1)]


def decide_working_capital(
    facts: TurnoverFacts,
    *,
    credit_grade: str | None = None,
    policy: WorkingCapitalPolicy | None = None,
    consent_withheld: bool = False,
) -> WorkingCapitalDecision:
    """Decide a working-capital line from a business's sales (``credit_grade``: the grade of
    the applicant's latest credit decision, when there is one). ``consent_withheld`` says
    the business has sales the lender may not use (consent revoked): said as the reason
    instead of "no sales data"."""
    policy = policy or WorkingCapitalPolicy()
    turnover = Money(max(facts.monthly_turnover_fen, 0))
    reasons = _knockouts(facts, policy)
    if consent_withheld and reasons == ["NO_SALES_DATA"]:
        reasons = ["NO_SALES_CONSENT"]
    grade = _worse(sales_grade(facts, policy), credit_grade) if facts.history_days else None
    if grade is not None and grade not in policy.daily_rates:
        reasons.append("CREDIT_GRADE")
    if reasons or grade is None:
        return _declined(grade, reasons, turnover, policy)
    share = Decimal(policy.limit_share_bps[grade]) / _BPS
    exact = round_fen(turnover.fen * share, Rounding.DOWN, multiple=policy.step_fen)
    limit = min(exact, policy.max_limit_fen)
    if limit < policy.min_limit_fen:
        return _declined(grade, ["LIMIT_TOO_SMALL"], turnover, policy)
    codes = ["LIMIT_FROM_TURNOVER", f"PRICE_GRADE_{grade}"]
    if limit < exact:
        codes.append("CAPPED_MAX_LIMIT")
    return WorkingCapitalDecision(
        WorkingCapitalOutcome.APPROVE,
        grade,
        Money(limit),
        policy.daily_rates[grade],
        tuple(codes),
        turnover,
        policy.version,
    )


def _declined(
    grade: str | None, reasons: list[str], turnover: Money, policy: WorkingCapitalPolicy
) -> WorkingCapitalDecision:
    return WorkingCapitalDecision(
        WorkingCapitalOutcome.DECLINE,
        grade,
        Money(0),
        None,
        tuple(dict.fromkeys(reasons)),
        turnover,
        policy.version,
    )
