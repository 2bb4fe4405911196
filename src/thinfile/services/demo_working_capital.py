"""The demo's working-capital story (微乐贷): a micro-shop owner on a sales-linked line.

On the first day the owner, a shop paid by QR code and card, signs up, consents to the use of
the shop's sales for a credit assessment and uploads seven months of daily sales through the
feed (:func:`thinfile.services.sales_feed.ingest_sales`). The working-capital decision reads
them and approves a limit and a daily rate; the owner opens the line with exactly those terms
(:func:`thinfile.services.working_capital_opening.open_from_decision`), choosing to repay a
share of each day's collected sales, and draws most of it to stock up (180 days).

Then, each business day before close of business (:func:`working_capital_story_day`),
yesterday's sales arrive through the feed and the acquiring partner's collection of them is
recorded on the line (:func:`thinfile.services.working_capital.record_sales`), which repays
its share. The owner repays a fifth of what is owed (in whole hundreds of yuan) early, on day
:data:`EARLY_DAY` (no fee). Sales then fall to :data:`SLOW_PERMILLE` ‰ of a usual day from
day :data:`SLOW_FROM` to day :data:`SLOW_UNTIL` — the second 60-day period of the line, so
what sales repay falls behind the period's pro-rata minimum and close of business flags the
period *near breach*, shown on the owner's page —; when sales come back they catch up, and
the flag is cleared (cured) before the period ends. The owner pays the rest off on day
:data:`PAYOFF_DAY`, before the draw's final maturity.

Every posting names the replayed day (``today=``), so the story runs on the demo's
calendar, not the clock's. :func:`check_working_capital_story` says whether it happened and
whether the line's money ties.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import InvariantViolation
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity
from thinfile.services.demo_cast import DEMO_PASSWORD
from thinfile.services.identity_records import Actor
from thinfile.services.sales_feed import ingest_sales
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital import (
    draw_on_line,
    get_line,
    owned_line,
    record_sales,
    repay_line,
)
from thinfile.services.working_capital_decisions import decide_working_capital
from thinfile.services.working_capital_opening import open_from_decision
from thinfile.services.working_capital_statements import monthly_statement
from thinfile.servicing.ledger import Account
from thinfile.servicing.working_capital import PeriodStatus, RepaymentMode
from thinfile.sim.identity import make_id_number, make_phone

__all__ = [
    "EARLY_DAY",
    "HISTORY_DAYS",
    "PAYOFF_DAY",
    "SHOP_EMAIL",
    "SLOW_FROM",
    "SLOW_PERMILLE",
    "SLOW_UNTIL",
    "TERM_DAYS",
    "WorkingCapitalStory",
    "check_working_capital_story",
    "net_fen",
    "open_working_capital_story",
    "shop_sales",
    "working_capital_story_day",
]

SHOP_EMAIL = "shop@demo.thinfile.local"
HISTORY_DAYS = 210
"""Days of sales the owner uploads before applying (seasoned: more than 180)."""
USUAL_DAY_FEN = 160_000
"""A usual weekday's gross sales, before the weekly rhythm."""
WEEK_PERMILLE = (900, 880, 920, 970, 1080, 1350, 1300)
"""Monday to Sunday: busier at the weekend."""
QR_PERMILLE = 700
"""The share of each day's sales paid by QR code; the rest by card."""
REFUND_PERMILLE = 10
TICKET_FEN = 3_200
HUNDRED_YUAN = 10_000
"""fen: the draw and the early repayment are whole hundreds of yuan."""
TERM_DAYS = 180
EARLY_DAY = 30
SLOW_FROM, SLOW_UNTIL = 59, 100
"""The slow weeks, in days from the opening (sales days ``SLOW_FROM`` to ``SLOW_UNTIL`` − 1)."""
SLOW_PERMILLE = 150
PAYOFF_DAY = 170


def shop_sales(opened: date, day: date) -> list[dict[str, object]]:
    """The shop's feed rows of ``day`` (QR code and card; yuan text), the same every run."""
    noise = random.Random(day.toordinal()).randint(950, 1050)
    gross = USUAL_DAY_FEN * WEEK_PERMILLE[day.weekday()] // 1000 * noise // 1000
    if SLOW_FROM <= (day - opened).days < SLOW_UNTIL:
        gross = gross * SLOW_PERMILLE // 1000
    refunds = gross * REFUND_PERMILLE // 1000
    qr, qr_refunds = gross * QR_PERMILLE // 1000, refunds * QR_PERMILLE // 1000
    return [
        {
            "date": day.isoformat(),
            "channel": channel,
            "gross_sales": str(Money(fen)),
            "refunds": str(Money(back)),
            "transactions": max(1, fen // TICKET_FEN),
        }
        for channel, fen, back in (
            ("qr", qr, qr_refunds),
            ("card", gross - qr, refunds - qr_refunds),
        )
    ]


def net_fen(rows: list[dict[str, object]]) -> int:
    """What the acquiring partner collected of a day: gross sales less refunds, in fen."""
    return sum(Money.of(str(r["gross_sales"])).fen - Money.of(str(r["refunds"])).fen for r in rows)


@dataclass(slots=True)
class WorkingCapitalStory:
    actor: Actor
    applicant_id: str
    opened_on: date
    decision_id: int
    line_id: int
    limit: int
    """fen, as decided and opened."""
    drawn: int = 0
    """fen drawn on the first day."""
    early_repayment: int = 0
    early_on: date | None = None
    payoff: int = 0
    paid_off_on: date | None = None
    collected: int = 0
    """fen the line took from sales."""
    sales_days: int = 0
    """Days of sales recorded on the line."""
    near_breach_on: date | None = None
    """The first day the owner's page showed the period near breach."""
    near_breach_period: int | None = None
    cured_on: date | None = None
    """The first day after that the same period no longer was."""


def _owner(engine: Engine, cipher: PiiCipher, start: date) -> tuple[Actor, str]:
    hasher = PasswordHasher(time_cost=1, memory_kib=8192)
    user = identity.create_user(engine, hasher, email=SHOP_EMAIL, password=DEMO_PASSWORD)
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine,
        cipher,
        actor=actor,
        name="林小梅",
        id_number=make_id_number(date(1987, 4, 18), "F", region_code=350102, sequence=231),
        phone=make_phone(139, 50_260_418),
        on=start,
    )
    consent.grant_consent(
        engine,
        actor=actor,
        applicant_id=profile.id,
        category=consent.DataCategory.MERCHANT_SALES,
        purpose=consent.Purpose.CREDIT_ASSESSMENT,
        separate=False,
        notice_version="demo-1",
    )
    return actor, profile.id


def open_working_capital_story(
    engine: Engine, cipher: PiiCipher, start: date
) -> WorkingCapitalStory:
    """The owner, their uploaded sales, the decision, the line opened on its terms, the draw."""
    actor, applicant_id = _owner(engine, cipher, start)
    history = [start - timedelta(days=k) for k in range(HISTORY_DAYS, 0, -1)]
    rows = [row for day in history for row in shop_sales(start, day)]
    ingest_sales(engine, rows, applicant_id=applicant_id, actor=actor, today=start)
    decided = decide_working_capital(engine, applicant_id, actor=actor, on=start)
    d = decided.decision
    if not d.is_approved or d.daily_rate is None:
        raise InvariantViolation(
            f"the demo shop's working-capital decision was a decline: {d.reason_codes}",
            field="decision_id",
            value=decided.id,
        )
    opened = open_from_decision(
        engine,
        actor.user_id,
        decided.id,
        limit=d.limit,  # exactly the limit and daily rate the owner was shown
        daily_rate=d.daily_rate,
        mode=RepaymentMode.SALES,
        actor=actor.label,
        today=start,
    )
    line_id = opened.line.line_id
    story = WorkingCapitalStory(actor, applicant_id, start, decided.id, line_id, d.limit.fen)
    amount = d.limit.fen * 9 // 10 // HUNDRED_YUAN * HUNDRED_YUAN
    draw_on_line(
        engine,
        actor.user_id,
        line_id,
        Money(amount),
        term_days=TERM_DAYS,
        key=f"demo-wc-{line_id}-draw",
        actor=actor.label,
        today=start,
    )
    story.drawn = amount
    return story


def _watch(engine: Engine, story: WorkingCapitalStory, day: date) -> None:
    """What the owner's page shows today of the period (as last night's close left it)."""
    period = get_line(engine, story.line_id, today=day).line.period_on(day)
    if period is None:
        return
    near = period.status is PeriodStatus.NEAR_BREACH
    if near and story.near_breach_on is None:
        story.near_breach_on, story.near_breach_period = day, period.n
    elif not near and story.near_breach_period == period.n and story.cured_on is None:
        story.cured_on = day


def working_capital_story_day(engine: Engine, story: WorkingCapitalStory, day: date) -> None:
    """The owner's business day, before close of business: yesterday's sales through the
    feed and collected on the line, the page looked at, the early repayment and the payoff."""
    k = (day - story.opened_on).days
    if k <= 0:
        return
    yesterday = day - timedelta(days=1)
    rows = shop_sales(story.opened_on, yesterday)
    ingest_sales(engine, rows, applicant_id=story.applicant_id, actor=story.actor, today=day)
    taken = record_sales(engine, story.line_id, Money(net_fen(rows)), yesterday, today=day)
    story.collected += taken.collected.fen
    story.sales_days += 1
    _watch(engine, story, day)
    if k not in (EARLY_DAY, PAYOFF_DAY):
        return
    owed = get_line(engine, story.line_id, today=day).line.owed
    amount = owed // 5 // HUNDRED_YUAN * HUNDRED_YUAN if k == EARLY_DAY else owed
    if amount <= 0:
        return
    repay_line(
        engine,
        story.actor.user_id,
        story.line_id,
        Money(amount),
        key=f"demo-wc-{story.line_id}-{k}",
        actor=story.actor.label,
        today=day,
    )
    if k == EARLY_DAY:
        story.early_repayment, story.early_on = amount, day
    else:
        story.payoff, story.paid_off_on = amount, day


def _months(first: date, last: date) -> list[date]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month += timedelta(days=calendar.monthrange(month.year, month.month)[1])
    return out


def _missing(story: WorkingCapitalStory) -> list[str]:
    problems = []
    if not story.drawn:
        problems.append("no draw")
    if not story.early_repayment:
        problems.append("no early repayment")
    if story.near_breach_on is None:
        problems.append("no period was shown near breach")
    elif story.cured_on is None:
        problems.append(f"the period near breach since {story.near_breach_on} was not cured")
    return problems


def check_working_capital_story(engine: Engine, story: WorkingCapitalStory) -> list[str]:
    """What is missing from the story or does not tie, in words (empty: it all happened).

    Ties: the line's postings replay, month by month (the monthly statements), to its draws;
    the statements chain (each month opens where the last closed) and add up to what is owed;
    what sales and the owner repaid is what the line's repayments were; and the journal's
    working-capital receivables equal what the lines' draws owe."""
    problems = _missing(story)
    with UnitOfWork(engine) as uow:  # as stored: the nights close of business closed
        line = owned_line(uow, story.line_id, None)
    closed = line.cob_date
    try:
        months = [
            monthly_statement(engine, story.line_id, m) for m in _months(line.opened_on, closed)
        ]
    except InvariantViolation as error:
        return [*problems, str(error)]
    owed = 0
    for m in months:
        if m.opening_owed != owed:
            problems.append(
                f"{m.month:%Y-%m} opens at {m.opening_owed}, the month before closed at {owed}"
            )
        owed = m.closing_owed
    drawn = sum(m.drawn_total for m in months)
    repaid = sum(m.repaid_total for m in months)
    interest = sum(m.interest_total for m in months)
    if drawn - repaid + interest != line.owed or owed != line.owed:
        problems.append(
            f"drawn {drawn} − repaid {repaid} + interest {interest} is not the {line.owed} owed"
        )
    if repaid != story.collected + story.early_repayment + story.payoff:
        problems.append(f"repaid {repaid} is not what sales and the owner paid")
    with UnitOfWork(engine) as uow:
        journal = uow.ledger.general_ledger()
        books = uow.working_capital.sub_ledger()
    principal, accrued = books.get(line.currency, (0, 0))
    booked = (
        journal.get((Account.WC_RECEIVABLE.value, line.currency), 0),
        journal.get((Account.WC_INTEREST_RECEIVABLE.value, line.currency), 0),
    )
    if booked != (principal, accrued):
        problems.append(f"the journal holds {booked}, the lines owe {(principal, accrued)}")
    return problems
