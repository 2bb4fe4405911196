"""What ``thinfile demo`` came to: the closing summary table, and where to go once it serves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from thinfile.decisioning.report import points
from thinfile.money import Money

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from thinfile.services.demo import DemoLender

__all__ = ["DemoSummary", "banner", "print_summary", "summarise"]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo's year came to, for the closing table."""

    applications: int
    approved: int
    """Approved (after review) or accepted."""
    outcomes: dict[str, int]
    borrower_to_show: str
    loans: int
    loans_by_status: dict[str, int]
    outstanding_by_bucket: dict[str, int]
    model: dict[str, float]
    simulation: dict[str, Any]
    ledger_ok: bool
    ledger_problems: list[str]
    audit_rows: int
    audit_problems: list[str]
    database: str
    home: str
    promotions: dict[str, Any]
    """The borrowers priced under a programme, with a coupon, or back at the standard price."""
    promotion_problems: list[str]
    limits: dict[str, Any]
    """The three credit lines' story: the shop owner's limit at the start and now, the
    offers declined, whether the late payer's line is stopped (frozen by a review, or charged
    off with its draw)."""
    collections: dict[str, Any]
    """The collector's year: contacts, the promises kept and broken, the plan granted."""
    messages: dict[str, Any]
    """Deliveries by channel, the e-mails in the local mailbox and where it is."""
    working_capital: dict[str, Any]
    """The shop owner's working-capital line: what was drawn and repaid, when the slow month's
    near breach was shown and cured, and what does not tie (``problems``)."""
    payments: dict[str, Any]
    """The card payers' story: cards bound, auto-debits sent, failed and retried, the card
    payment, and the daily reconciliation (days reconciled, breaks, those still open)."""
    mall: dict[str, Any] = field(default_factory=dict)
    """The mall's purchases, refunds, dispute and spent campaign, and what did not happen or
    does not tie to the ledger (``problems``)."""


def _stopped(story: dict[str, Any]) -> str:
    """How the late payer's line ended the year, as the summary says it."""
    if not story["late_payer_stopped"]:
        return "still lending"
    if story["late_payer_line"] == "charged-off":
        return "frozen, then stopped when its draw was charged off"
    return "frozen"


def _limit_story(engine: Engine, lender: DemoLender) -> dict[str, Any]:
    from thinfile.services.limits import line_limits

    story = lender.limits
    if story is None:
        return {}
    owner, freezer = line_limits(engine, story.shop_owner), line_limits(engine, story.freezer)
    return {
        "shop_owner_opening": str(
            Money(min((h.old_limit for h in owner.history), default=owner.limit))
        ),
        "shop_owner_limit": str(Money(owner.limit)),
        "increases_accepted": len(story.accepted),
        "increases_declined": len(story.declined),
        "late_payer_stopped": freezer.status in ("frozen", "charged-off"),
        "late_payer_line": freezer.status,
        "lines": [story.shop_owner, story.decliner, story.freezer],
    }


def _working_capital_story(engine: Engine, lender: DemoLender) -> dict[str, Any]:
    from thinfile.services.demo_working_capital import check_working_capital_story

    story = lender.working_capital
    if story is None:
        return {}
    return {
        "limit": str(Money(story.limit)),
        "drawn": str(Money(story.drawn)),
        "early_repayment": str(Money(story.early_repayment)),
        "early_on": story.early_on,
        "from_sales": str(Money(story.collected)),
        "near_breach_on": story.near_breach_on,
        "cured_on": story.cured_on,
        "paid_off_on": story.paid_off_on,
        "problems": check_working_capital_story(engine, story),
    }


def _payments_story(engine: Engine, lender: DemoLender) -> dict[str, Any]:
    from datetime import timedelta

    from thinfile.errors import NotFoundError
    from thinfile.services.payment_intents import list_payment_intents
    from thinfile.services.reconciliation import BREAKS, reconciliation_of

    story = lender.payments
    if story is None or not story.days:
        return {}
    breaks = open_breaks = clean = unreconciled = 0
    day = story.days[0]
    while day <= story.days[-1]:
        try:
            items = reconciliation_of(engine, day).run.items
        except NotFoundError:
            unreconciled += 1
            items = ()
        flagged = [i for i in items if i.outcome in BREAKS]
        breaks += len(flagged)
        open_breaks += sum(1 for i in flagged if i.resolved_at is None)
        clean += not flagged
        day += timedelta(days=1)
    card = story.payers[0].borrower.loan_id if story.payers else None
    paid = (
        [i for i in list_payment_intents(engine, card) if i.id == story.card_payment]
        if card
        else []
    )
    return {
        "cards": [f"{p.borrower.email} ({p.bank}): {p.role}" for p in story.payers],
        "debits": len(story.debits),
        "debits_failed": sum(1 for s in story.debits.values() if s == "failed"),
        "debits_not_needed": len(story.cancelled),
        "retries": len(story.retries),
        "retries_collected": sum(1 for i in story.retries if story.debits[i] == "succeeded"),
        "card_payment": f"{paid[0].amount} {paid[0].status.value}" if paid else None,
        "days_reconciled": len(story.days),
        "days_unreconciled": unreconciled,
        "days_clean": clean,
        "breaks": breaks,
        "breaks_open": open_breaks,
        "breaks_resolved": [f"{d} #{n} {outcome}" for d, n, outcome in story.resolved],
        "break_day": str(story.resolved[0][0]) if story.resolved else None,
    }


def _mall_story(engine: Engine, lender: DemoLender) -> dict[str, Any]:
    from thinfile.services.demo_mall import check_mall_story

    story = lender.mall
    if story is None:
        return {}
    refunds = [r for r in (story.partial_refund, story.full_refund) if r is not None]
    return {
        "purchases": len(story.purchases),
        "declined": story.declined,
        "refunds": ", ".join(f"{Money(r.amount)} on {r.on}" for r in refunds) or "none",
        "dispute": (
            f"refunded {Money(story.dispute_refund.amount)} on {story.dispute_refund.on}"
            if story.dispute_refund is not None
            else "none"
        ),
        "campaign_spent_on": story.exhausted_on,
        "settlements": story.settlements,
        "settled_days": story.settled_days,
        "problems": check_mall_story(engine, story),
    }


def summarise(engine: Engine, lender: DemoLender) -> dict[str, Any]:
    """The demo lender's applications, loans and outstanding principal by bucket."""
    from thinfile.services.applications_records import ApplicationStatus
    from thinfile.services.loans import get_loan

    outcomes = lender.counts()
    by_bucket: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for borrower in lender.borrowers:
        if borrower.loan_id is None:
            continue
        view = get_loan(engine, borrower.loan_id)
        by_status[view.account.status.value] += 1
        by_bucket[view.account.bucket] += view.outstanding.principal
    shown = [b.email for b in lender.borrowers if b.loan_id is not None][:1] or [
        b.email for b in lender.borrowers
    ][:1]
    taken = (ApplicationStatus.ACCEPTED, ApplicationStatus.APPROVED)
    with_loan = [b for b in lender.borrowers if b.loan_id is not None]
    programme = [b for b in with_loan if b.programme]
    coupon = [b for b in with_loan if b.coupon_value]
    promotions = {
        "programme_loans": len(programme),
        "programme_example": (
            f"{programme[0].email}: {programme[0].programme}" if programme else None
        ),
        "standard_price_fallbacks": sum(1 for b in with_loan if b.price_reasons),
        "coupon_example": (
            f"{coupon[0].email}: {Money(coupon[0].coupon_value)} yuan off, annualized "
            + " → ".join(coupon[0].annualized or ())
            if coupon
            else None
        ),
    }
    from thinfile.services.demo_collections import story_outcome

    return {
        "limits": _limit_story(engine, lender),
        "collections": {}
        if lender.collections is None
        else story_outcome(engine, lender.collections),
        "working_capital": _working_capital_story(engine, lender),
        "payments": _payments_story(engine, lender),
        "mall": _mall_story(engine, lender),
        "promotions": promotions,
        "applications": sum(outcomes.values()),
        "approved": sum(n for outcome, n in outcomes.items() if outcome in taken),
        "outcomes": dict(outcomes),
        "borrower_to_show": shown[0] if shown else "",
        "loans": sum(by_status.values()),
        "loans_by_status": dict(by_status),
        "outstanding_by_bucket": dict(by_bucket),
    }


def print_summary(console: Console, s: DemoSummary, seconds: float) -> None:
    """The closing table of ``thinfile demo``."""
    outcomes, applications, approved = s.outcomes, s.applications, s.approved
    table = Table(title="[bold]6/6[/bold] thinfile demo summary")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("applications", str(applications))
    table.add_row("approval rate (after review)", f"{approved / max(applications, 1):.0%}")
    table.add_row("outcomes", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    table.add_row("loans", str(s.loans))
    table.add_row(
        "loans by status",
        ", ".join(f"{k} {v}" for k, v in sorted(s.loans_by_status.items())),
    )
    for bucket, fen in sorted(s.outstanding_by_bucket.items()):
        table.add_row(f"outstanding principal, {bucket}", str(Money(int(fen))))
    simulation = s.simulation
    change = simulation.get("change") or {}
    rates = [
        simulation[arm]["overall"]["average_annualized_rate"] for arm in ("baseline", "candidate")
    ]
    table.add_row("policy change (20% cap): approval rate", points(change.get("approval_rate", 0)))
    table.add_row(
        "policy change (20% cap): average annualized rate",
        " → ".join(f"{float(r):.2%}" for r in rates if r is not None),
    )
    margin = change.get("expected_margin")
    if margin is not None:
        table.add_row("policy change (20% cap): expected margin", f"{Money.of(margin)} yuan")
    promotions = s.promotions
    table.add_row(
        "loans under a programme (budget spent: standard price)",
        f"{promotions['programme_loans']} ({promotions['standard_price_fallbacks']})",
    )
    table.add_row("  e.g.", str(promotions["programme_example"] or "none"))
    table.add_row("interest coupon", str(promotions["coupon_example"] or "none"))
    story = s.limits
    if story:
        table.add_row(
            "credit lines (额度)",
            f"shop owner {story['shop_owner_opening']} → {story['shop_owner_limit']} yuan "
            f"({story['increases_accepted']} increases accepted); "
            f"{story['increases_declined']} declined; late payer "
            + _stopped(story)
            + "; staff see them at "
            + ", ".join(f"/console/lines/{n}" for n in story.get("lines", [])),
        )
    cases = s.collections
    table.add_row(
        "collections (催收)",
        f"{cases.get('contacts', 0)} calls; promise {cases.get('kept_promise')} and "
        f"{cases.get('broken_promise')}; hardship plan: {cases.get('hardship_plan') or 'none'}",
    )
    sent = s.messages.get("delivered", {})
    table.add_row(
        "messages delivered",
        ", ".join(f"{channel} {n}" for channel, n in sorted(sent.items()))
        + f"; {s.messages.get('emails_in_mailbox', 0)} e-mails in {s.messages.get('mailbox')}",
    )
    wc = s.working_capital
    if wc:
        table.add_row(
            "working capital (微乐贷)",
            f"shop owner's line of {wc['limit']} yuan: drew {wc['drawn']}, repaid "
            f"{wc['early_repayment']} early on {wc['early_on']}, {wc['from_sales']} from sales; "
            f"slow month near breach {wc['near_breach_on']}, cured {wc['cured_on']}; "
            f"paid off {wc['paid_off_on'] or 'not yet'}; "
            + (
                "ties to the ledger"
                if not wc["problems"]
                else "FAILED: " + "; ".join(wc["problems"][:3])
            ),
        )
    pay = s.payments
    if pay:
        table.add_row(
            "card payments (代扣)",
            f"{len(pay['cards'])} cards bound; {pay['debits']} auto-debits, "
            f"{pay['debits_failed']} failed, {pay['retries']} retries "
            f"({pay['retries_collected']} collected), {pay['debits_not_needed']} closed unsent "
            f"(paid first); card payment {pay['card_payment']}",
        )
        table.add_row(
            "reconciliation (对账)",
            f"{pay['days_reconciled']} days, {pay['days_clean']} clean; "
            f"{pay['breaks']} breaks, {pay['breaks_open']} open"
            + (
                f" (resolved: {', '.join(pay['breaks_resolved'])})"
                if pay["breaks_resolved"]
                else ""
            ),
        )
    mall = s.mall
    if mall:
        table.add_row(
            "mall (分期商城)",
            f"{mall['purchases']} purchases ({mall['declined']} declined); refunds "
            f"{mall['refunds']}; dispute {mall['dispute']}; campaign spent, next purchase "
            f"without it on {mall['campaign_spent_on']}; {mall['settlements']} settlements "
            f"over {mall['settled_days']} days: "
            + (
                "tie to the ledger"
                if not mall["problems"]
                else "FAILED: " + "; ".join(mall["problems"][:3])
            ),
        )
    table.add_row(
        "promotions check",
        "tied to the ledger"
        if not s.promotion_problems
        else "FAILED: " + "; ".join(s.promotion_problems[:3]),
    )
    table.add_row(
        "ledger check",
        "balanced" if s.ledger_ok else "FAILED: " + "; ".join(s.ledger_problems[:3]),
    )
    problems = s.audit_problems
    table.add_row(
        "audit log",
        f"intact, {s.audit_rows} rows" if not problems else "ALTERED: " + "; ".join(problems[:3]),
    )
    table.add_row("took", f"{seconds:.0f} s")
    console.print(table)


def _payments_problem(story: dict[str, object]) -> str | None:
    """What the payments story lacks: every replayed day reconciled, each clean or its breaks
    resolved; auto-debits collected, some failed and retried; the card payment; a break."""
    checks = {
        "a replayed day was not reconciled": not story.get("days_unreconciled", 1),
        "a reconciliation break is still open": not story.get("breaks_open", 1),
        "no auto-debit was sent": bool(story.get("debits")),
        "no auto-debit failed": bool(story.get("debits_failed")),
        "no failed debit was retried": bool(story.get("retries")),
        "no card payment succeeded": str(story.get("card_payment", "")).endswith("succeeded"),
        "no break was resolved": bool(story.get("breaks_resolved")),
    }
    return next((problem for problem, ok in checks.items() if not ok), None)


def story_problems(s: DemoSummary) -> list[str]:
    """What the smoke run requires of the underwriter's queue, the collections year, the
    messages, the mall, the working-capital line and the card payers."""
    cases, sent = s.collections, s.messages.get("delivered", {})
    problems = []
    if not s.outcomes.get("referred"):
        problems.append("no referral was left in the underwriter's queue")
    if cases.get("kept_promise") != "kept" or cases.get("broken_promise") != "broken":
        problems.append("the collector's year did not see a promise kept and one broken")
    if not cases.get("hardship_plan"):
        problems.append("no hardship plan was granted")
    if not (sent.get("in_app") and sent.get("email") and s.messages.get("emails_in_mailbox")):
        problems.append("no reminder reached the message centre and the mailbox")
    if not s.mall:
        problems.append("the mall's story did not run")
    problems += [f"mall: {p}" for p in s.mall.get("problems", [])]
    wc = s.working_capital
    if not wc or wc["problems"]:
        problems.append(
            "the working-capital line had no draw, early repayment or cured near breach, "
            "or does not tie"
        )
    if problem := _payments_problem(s.payments):
        problems.append(f"the card payments' year: {problem}")
    return problems


def banner(
    console: Console,
    base: str,
    url: str,
    borrower: str,
    gateway: str | None = None,
    break_day: str | None = None,
    mailbox: str = "",
) -> None:
    """Where to go and how to sign in. A line is never wrapped by the console (a narrow
    terminal folds it for the eye only), so an address or the password copies whole."""
    from thinfile.services.demo import DEMO_PASSWORD, STAFF

    def say(line: str) -> None:
        console.print(line, soft_wrap=True, highlight=False)

    console.print(f"\n[bold]thinfile is serving the demo lender[/bold] (database {url})")
    say(f"  borrower pages   {base}/")
    say(f"  staff console    {base}/console")
    say(f"  API docs         {base}/docs")
    say(f"  password of every demo account: {DEMO_PASSWORD}")
    say(f"  a borrower with a loan: {borrower}")
    say(f"  or sign up by phone at {base}/sign-in/phone (sandbox SMS inbox: {base}/sandbox/sms)")
    for email, role in STAFF:
        say(f"  {role.value}: {email}")
    if mailbox:
        say(f"  the year's e-mails to borrowers: {mailbox}")
    if gateway:
        say(f"  sandbox payment gateway {gateway} (card binding, debits, the daily files)")
    if break_day:
        say(f"  a resolved reconciliation break: {base}/console/reconciliations/{break_day}")
    say("  press Ctrl+C to stop")
