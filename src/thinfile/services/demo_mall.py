"""The demo's mall story (分期商城): demo borrowers buy from the sample shops on installments.

From day :data:`BEGIN_DAY` of the year, demo borrowers who took a loan buy goods in the mall
through the services its pages call: the session opened for the product
(:func:`thinfile.services.mall.buy`), the plans page with its cost statements
(:func:`thinfile.services.checkout_pages.checkout_page`), the confirmation with its instant
decision (:func:`thinfile.services.checkout_pages.confirm`), and the shop's capture in its
portal (:func:`thinfile.services.merchant_portal.capture`):

- tools for a micro-shop, on 3 periods, which the shop later refunds in full (returned);
- a vocational course, on 12 periods, of which the school refunds a third (a module dropped);
- a phone, on 12 periods under the phone shop's own small campaign (budget ¥100), whose
  subsidy takes nearly all of the budget;
- the same phone the next day, for another borrower: the campaign is spent, so the page
  offers no campaign plan and the borrower takes the contract's plan; the borrower then opens
  a dispute (the phone does not work) and a servicing agent resolves it with a refund and a
  reason.

The shoppers repay each installment on its due date. Before each close of business the
merchants' settlement of the day is made (:func:`thinfile.services.settlements
.settle_merchants`, what ``thinfile merchants settle`` runs): it takes the captures and
refunds of the day before. Every service is told the replayed day (``today=``), so the story
runs on the demo's calendar. :func:`check_mall_story` says what did not happen and whether the
settlement files tie to the ledger.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Engine

from thinfile.commerce import CheckoutStatus
from thinfile.commerce.settlement import settlement_csv
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import checkout_pages, disputes, identity, mall, merchant_portal, merchants
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.applications_records import ApplicationStatus
from thinfile.services.audit import AuditDraft
from thinfile.services.campaign_records import CampaignDraft
from thinfile.services.campaigns import create_campaign, get_campaign
from thinfile.services.demo_cast import DEMO_PASSWORD
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment
from thinfile.services.settlements import (
    settle_merchants,
    settlement_with_lines,
    settlements_for_merchant,
)
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanStatus

if TYPE_CHECKING:
    from thinfile.services.demo import DemoBorrower, DemoLender

__all__ = [
    "BEGIN_DAY",
    "CAMPAIGN_NAME",
    "MallPurchase",
    "MallStory",
    "check_mall_story",
    "mall_story_day",
    "open_mall_story",
]

BEGIN_DAY = 150
"""Days from the year's start to the first purchase (borrowers with loans by then)."""
CAMPAIGN_NAME = "新市民数码 换机季 12期免息"
CAMPAIGN_BUDGET = "100"
"""Yuan: the subsidy of one ¥1,300 phone on 12 periods (7.5%) takes ¥97.50 of it."""
PHONE, TOOLS, COURSE = "小米 Redmi Note 13 手机", "电动工具套装", "电工证培训课程"
PURCHASES = (
    # (day from the first purchase, product, periods, with the campaign)
    (0, TOOLS, 3, False),
    (1, COURSE, 12, False),
    (2, PHONE, 12, True),
    (3, PHONE, 12, False),
)
FULL_REFUND_DAY, PARTIAL_REFUND_DAY = 6, 7
"""The tools come back in full; a third of the course is refunded."""
DISPUTE_DAY, RESOLVE_DAY = 5, 9
DISPUTE_REASON = "手机无法开机，商家不予退换"
STAFF_REASON = "商户未能证明商品完好，按争议全额退款"
CONSENT_FLAGS = ("consent_credit", "consent_alt_data")
"""The application's consent answers: a purchase's decision reads the recorded consents."""
LAST_DAY = RESOLVE_DAY + 1
"""The day after the last refund, whose settlement takes it."""


@dataclass(slots=True)
class MallPurchase:
    day: date
    product: str
    price: int
    """fen."""
    periods: int
    email: str
    session_id: str
    loan_id: int
    campaign: str | None
    """The campaign whose plan was confirmed."""
    campaigns_offered: tuple[str, ...]
    """The campaigns the plans page offered on the order."""


@dataclass(slots=True)
class Refund:
    session_id: str
    loan_id: int
    amount: int
    """fen."""
    owed_before: int
    owed_after: int
    on: date


@dataclass(slots=True)
class MallStory:
    cipher: PiiCipher
    lender: DemoLender
    first: date
    """The day of the first purchase."""
    shops: dict[str, tuple[str, str, Actor]]
    """Product name → (product id, merchant id, the merchant's portal user)."""
    campaign_id: str
    purchases: list[MallPurchase] = field(default_factory=list)
    declined: int = 0
    """Confirmations the instant decision declined (another shopper then tried)."""
    exhausted_on: date | None = None
    """The day a purchase from the campaign's shop was offered no campaign plan."""
    full_refund: Refund | None = None
    partial_refund: Refund | None = None
    dispute_id: str | None = None
    dispute_refund: Refund | None = None
    settled_days: int = 0
    settlements: int = 0
    """Merchant settlements made (one per merchant and day with captures or refunds)."""
    problems: list[str] = field(default_factory=list)
    """What could not happen, in words."""


def _merchant_user(engine: Engine, admin: Actor, merchant_id: str, n: int) -> Actor:
    hasher = PasswordHasher(time_cost=1, memory_kib=8192)
    user = identity.create_user(
        engine,
        hasher,
        email=f"merchant{n}@demo.thinfile.local",
        password=DEMO_PASSWORD,
        role=Role.MERCHANT,
        actor=admin,
    )
    with UnitOfWork(engine) as uow:
        _, audit = merchants.add_user_in_unit(uow, admin, merchant_id, user.id)
        audit.append(uow)
        uow.commit()
    return Actor(user.id, Role.MERCHANT)


def open_mall_story(
    engine: Engine, cipher: PiiCipher, lender: DemoLender, start: date, *, begin: int = BEGIN_DAY
) -> MallStory:
    """The shops' portal users and the phone shop's small campaign (from the first purchase
    for 60 days); the purchases come from :func:`mall_story_day`."""
    admin = lender.staff[Role.ADMIN]
    by_name = {item.product.name: item.product for item in mall.catalogue(engine)}
    shops: dict[str, tuple[str, str, Actor]] = {}
    users: dict[str, Actor] = {}
    for name in (TOOLS, COURSE, PHONE):
        product = by_name[name]
        if product.merchant_id not in users:
            users[product.merchant_id] = _merchant_user(
                engine, admin, product.merchant_id, len(users) + 1
            )
        shops[name] = (product.id, product.merchant_id, users[product.merchant_id])
    first = start + timedelta(days=begin)
    campaign = create_campaign(
        engine,
        admin,
        CampaignDraft(
            name=CAMPAIGN_NAME,
            starts_on=first,
            ends_on=first + timedelta(days=60),
            merchant_ids=(shops[PHONE][1],),
            terms=(12,),
            min_order="500",
            max_order="5000",
            merchant_share="100%",
            budget=CAMPAIGN_BUDGET,
            warning_threshold="80",
        ),
    )
    return MallStory(cipher, lender, first, shops, campaign.id)


T = TypeVar("T")


def _in_unit(engine: Engine, work: Callable[[UnitOfWork], tuple[T, AuditDraft]]) -> T:
    with UnitOfWork(engine) as uow:
        record, audit = work(uow)
        audit.append(uow)
        uow.commit()
    return record


def _candidates(story: MallStory, day: date) -> list[DemoBorrower]:
    """Borrowers who took a loan before ``day``: first those the mall has approved already
    (a campaign's budget is reserved by the confirmation), then the others."""
    taken = [
        b
        for b in story.lender.borrowers
        if b.outcome == ApplicationStatus.ACCEPTED and b.apply_on < day
    ]
    shoppers = {p.email for p in story.purchases}
    return [b for b in taken if b.email in shoppers] + [b for b in taken if b.email not in shoppers]


def _buy(
    engine: Engine, story: MallStory, day: date, k: int, name: str, periods: int, campaign: bool
) -> None:
    product_id, merchant_id, shop = story.shops[name]
    candidates = _candidates(story, day)
    if not campaign:  # a new face for each purchase without a campaign, where there is one
        shoppers = {p.email for p in story.purchases}
        candidates.sort(key=lambda b: b.email in shoppers)
    for n, borrower in enumerate(candidates):
        session_id = mall.buy(
            engine,
            borrower.actor,
            product_id,
            site="http://127.0.0.1:8000/",
            expires_in=timedelta(minutes=30),
        )
        page = checkout_pages.checkout_page(engine, borrower.actor, session_id, today=day)
        offered = tuple(c.campaign_name for c in page.campaign_plans)
        plan = page.campaign_for(periods) if campaign else None
        if campaign and plan is None:
            story.problems.append(f"the campaign offered no plan on {day}")
            return
        spent = merchant_id == story.shops[PHONE][1] and CAMPAIGN_NAME not in offered
        if spent and not campaign and story.exhausted_on is None:
            story.exhausted_on = day
        choice = checkout_pages.Choice(
            periods, None, plan.campaign_id if plan is not None else None, True
        )
        record = checkout_pages.confirm(
            engine,
            story.cipher,
            story.lender.runtime,
            borrower.actor,
            session_id,
            choice,
            {k: v for k, v in borrower.form.items() if k not in CONSENT_FLAGS},
            key=f"demo-mall-{k}-{n}",
            today=day,
            now=now_utc() + timedelta(seconds=MIN_READING_SECONDS + 20),  # read it through
        )
        if record.status is not CheckoutStatus.AUTHORIZED:
            story.declined += 1
            continue
        captured = merchant_portal.capture(
            engine,
            shop,
            session_id,
            Money(record.row.authorized, record.row.currency),
            key=f"demo-mall-capture-{session_id}",
            today=day,
        )
        story.purchases.append(
            MallPurchase(
                day,
                name,
                record.row.total,
                periods,
                borrower.email,
                session_id,
                captured.captures[0].loan_id,
                CAMPAIGN_NAME if plan is not None else None,
                offered,
            )
        )
        return
    story.problems.append(f"no demo borrower was approved to buy {name} on {day}")


def _owed(engine: Engine, loan_id: int) -> int:
    return get_loan(engine, loan_id).outstanding.total


def _refund(engine: Engine, story: MallStory, day: date, index: int, share: int) -> Refund | None:
    """The shop refunds ``share``/3 of purchase ``index`` in its portal."""
    if len(story.purchases) <= index:
        return None
    bought = story.purchases[index]
    shop = story.shops[bought.product][2]
    amount = bought.price * share // 3
    before = _owed(engine, bought.loan_id)
    merchant_portal.refund(
        engine,
        shop,
        bought.session_id,
        Money(amount),
        key=f"demo-mall-refund-{bought.session_id}",
        today=day,
    )
    return Refund(
        bought.session_id, bought.loan_id, amount, before, _owed(engine, bought.loan_id), day
    )


def _dispute(engine: Engine, story: MallStory, day: date, k: int) -> None:
    if len(story.purchases) < len(PURCHASES):
        return
    bought = story.purchases[-1]
    if k == DISPUTE_DAY:
        buyer = next(b for b in story.lender.borrowers if b.email == bought.email)
        opened = _in_unit(
            engine,
            lambda uow: disputes.open_in_unit(
                uow, buyer.actor, bought.session_id, DISPUTE_REASON, today=day
            ),
        )
        story.dispute_id = opened.id
    elif k == RESOLVE_DAY and story.dispute_id is not None:
        agent, dispute_id = story.lender.staff[Role.SERVICING_AGENT], story.dispute_id
        before = _owed(engine, bought.loan_id)
        resolved = _in_unit(
            engine,
            lambda uow: disputes.resolve_in_unit(
                uow, agent, dispute_id, "refund", STAFF_REASON, today=day
            ),
        )
        story.dispute_refund = Refund(
            bought.session_id,
            bought.loan_id,
            resolved.refunded.fen,
            before,
            _owed(engine, bought.loan_id),
            day,
        )


def _repay(engine: Engine, story: MallStory, day: date) -> None:
    """The shoppers pay each installment of their mall loans on its due date."""
    for bought in story.purchases:
        account = get_loan(engine, bought.loan_id).account
        if account.status is not LoanStatus.ACTIVE:
            continue
        for row in account.installments:
            if row.due == day and row.unpaid.total > 0:
                post_payment(
                    engine,
                    bought.loan_id,
                    Money(row.unpaid.total),
                    day,
                    idempotency_key=f"demo-mall-{bought.loan_id}-{row.n}",
                    actor="demo-mall",
                )


def mall_story_day(engine: Engine, cipher: PiiCipher, lender: DemoLender, day: date) -> None:
    """The mall's business day, before close of business (the story opens on the first
    call): the merchants' settlement of the day, the purchases, refunds and the dispute
    of the day, and the shoppers' installments due."""
    if lender.mall is None:
        lender.mall = open_mall_story(engine, cipher, lender, day)
    story = lender.mall
    made = settle_merchants(engine, day, today=day)
    story.settled_days += 1
    story.settlements += sum(1 for s in made if s.made)
    _repay(engine, story, day)
    k = (day - story.first).days
    for when, name, periods, campaign in PURCHASES:
        if k == when:
            _buy(engine, story, day, k, name, periods, campaign)
    if k == FULL_REFUND_DAY:
        story.full_refund = _refund(engine, story, day, 0, 3)
    elif k == PARTIAL_REFUND_DAY:
        story.partial_refund = _refund(engine, story, day, 1, 1)
    _dispute(engine, story, day, k)


def _missing(engine: Engine, story: MallStory) -> list[str]:
    problems = list(story.problems)
    if len(story.purchases) < len(PURCHASES):
        problems.append(f"{len(story.purchases)} of {len(PURCHASES)} mall purchases happened")
    for what, refund in (
        ("full refund", story.full_refund),
        ("partial refund", story.partial_refund),
        ("dispute's refund", story.dispute_refund),
    ):
        if refund is None:
            problems.append(f"no {what}")
        elif refund.owed_before - refund.owed_after != refund.amount:
            problems.append(
                f"the {what} of {Money(refund.amount)} took "
                f"{Money(refund.owed_before - refund.owed_after)} off what is owed"
            )
    if story.dispute_id is None or story.dispute_refund is None:
        problems.append("no dispute opened and resolved")
    campaign = get_campaign(engine, story.campaign_id)
    if not any(p.campaign == CAMPAIGN_NAME for p in story.purchases):
        problems.append("no purchase took the campaign's plan")
    if story.exhausted_on is None:
        problems.append("no purchase was offered the plans without the spent campaign")
    elif not campaign.spent.fen:
        problems.append("the campaign's budget was not spent")
    return problems


def _settled_by_loan(engine: Engine, merchant_ids: set[str]) -> tuple[dict[int, int], list[str]]:
    """The settlement files' net per loan (from each file's text, as the merchant reads it),
    and the files whose total row is not the sum of their lines."""
    net: dict[int, int] = {}
    problems = []
    for merchant_id in sorted(merchant_ids):
        for listed in settlements_for_merchant(engine, merchant_id, limit=1000):
            on = listed.settlement.settlement_date
            text = settlement_csv(settlement_with_lines(engine, merchant_id, on).settlement)
            *lines, total = list(csv.DictReader(io.StringIO(text)))
            for r in lines:
                net[int(r["loan_id"])] = net.get(int(r["loan_id"]), 0) + Money.of(r["net"]).fen
            if sum(Money.of(r["net"]).fen for r in lines) != Money.of(total["net"]).fen:
                problems.append(f"the settlement file of {merchant_id} on {on} does not add up")
    return net, problems


SETTLED_KINDS = frozenset({"disbursement", "merchant-refund", "subsidy-unwind"})
"""The journal entries whose cash a merchant's settlement pays or takes back."""


def check_mall_story(engine: Engine, story: MallStory) -> list[str]:
    """What is missing from the story or does not tie, in words (empty: it all happened).

    Ties: every purchase's loan is in the settlement files, and for each loan what the files
    pay the merchant (net) is what the ledger moved out of cash for it — the disbursement
    less the merchant's subsidy, refunds back in, unearned subsidy returned."""
    problems = _missing(engine, story)
    merchant_ids = {merchant_id for _, merchant_id, _ in story.shops.values()}
    settled, unbalanced = _settled_by_loan(engine, merchant_ids)
    problems += unbalanced
    with UnitOfWork(engine) as uow:
        cash = {
            loan_id: -sum(
                int(line.amount)
                for line in uow.ledger.posted_lines_of(loan_id)
                if line.account == "cash" and line.kind in SETTLED_KINDS
            )
            for loan_id in {p.loan_id for p in story.purchases} | set(settled)
        }
    for loan_id, moved in sorted(cash.items()):
        if settled.get(loan_id) != moved:
            problems.append(
                f"loan {loan_id}: the settlement files pay {settled.get(loan_id)} fen, "
                f"the ledger moved {moved} fen"
            )
    return problems
