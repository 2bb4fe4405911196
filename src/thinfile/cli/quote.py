"""``thinfile quote``: a repayment schedule and its all-in cost disclosure."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from thinfile.cli.options import (
    make_console,
    option_choice,
    option_date,
    option_money,
    option_rate,
    option_whole,
)
from thinfile.errors import InvalidInputError
from thinfile.loanmath import (
    AnnualizedRate,
    CapBasis,
    CostStatement,
    DayCount,
    Frequency,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
    Schedule,
    annualized_rate,
    build_schedule,
    check_cap,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money, Rounding, format_yuan
from thinfile.services.business_date import lender_today


def quote_json(schedule: Schedule, rate: AnnualizedRate | None = None) -> dict[str, object]:
    """The quote as the JSON object ``thinfile quote --json`` prints."""
    rate = rate or annualized_rate(schedule)
    return {
        "installments": [i.as_dict() for i in schedule.installments],
        "total_principal": format_yuan(schedule.total_principal),
        "total_interest": format_yuan(schedule.total_interest),
        "total_fees": format_yuan(schedule.total_fees),
        "net_disbursed": format_yuan(schedule.net_disbursed.fen),
        "annualized_rate": rate.as_dict(),
        "statement": _statement(schedule, rate).as_dict(),
    }


def _statement(schedule: Schedule, rate: AnnualizedRate) -> CostStatement:
    """The cost statement with the default terms a loan of this method is serviced under."""
    return cost_statement(
        schedule, annualized=rate, default_terms=standard_default_terms(schedule.terms.method)
    )


def broken_period_note(rate: AnnualizedRate) -> str | None:
    """The line that says how a broken first period entered the annualized rate."""
    if not rate.is_broken_first_period:
        return None
    return (
        f"Irregular first period 首期非整期: {rate.first_period:.4f} of a period on the "
        f"calendar; the rates above count it as that fraction (XIRR, actual/365: "
        f"{rate.xirr:.2%})"
    )


def yuan(fen: int) -> str:
    """An amount in a printed table: yuan with thousands grouped, as every table here shows."""
    return format_yuan(fen, grouped=True)


def print_quote(schedule: Schedule, console: Console, rate: AnnualizedRate | None = None) -> None:
    table = Table(title="Repayment schedule 还款计划")
    for col in ("#", "due", "principal", "interest", "fee", "total", "balance"):
        table.add_column(col, justify="right")
    for i in schedule.installments:
        table.add_row(
            str(i.n),
            i.due_date.isoformat(),
            *(yuan(v) for v in (i.principal, i.interest, i.fee, i.total, i.balance)),
        )
    table.add_row(
        "",
        "total",
        yuan(schedule.total_principal),
        yuan(schedule.total_interest),
        yuan(schedule.total_fees - schedule.terms.upfront_fee.fen),
        yuan(schedule.total_repaid),
        "",
    )
    console.print(table)
    rate = rate or annualized_rate(schedule)
    console.print(_statement(schedule, rate).render_text(), highlight=False)
    if (note := broken_period_note(rate)) is not None:
        console.print(note, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("quote")(quote)


def _schedule(**values: Any) -> Schedule:
    """The loan terms' schedule, a refusal naming the option rather than the terms' field."""
    try:
        return build_schedule(LoanTerms(**values))
    except InvalidInputError as bad:
        first = bad.problems[0] if bad.problems else None
        if first is None:
            raise
        option = "--" + first.field.replace("_", "-")
        raise InvalidInputError(first.message, field=option, value=first.value) from None


def quote(
    principal: Annotated[str, typer.Option(help="Amount lent, in yuan.")],
    annual_rate: Annotated[str, typer.Option(help="Contract annual rate, e.g. 12%.")] = "0%",
    periods: Annotated[str, typer.Option(help="Number of installments.")] = "12",
    method: Annotated[str, typer.Option(help="|".join(m.value for m in RepaymentMethod))] = (
        "equal-installment"
    ),
    start: Annotated[
        str | None, typer.Option(help="Disbursement date, YYYY-MM-DD (default: today in Beijing).")
    ] = None,
    first_due: Annotated[str | None, typer.Option(help="First due date (broken period).")] = None,
    frequency: Annotated[str, typer.Option(help="monthly|biweekly|weekly|every-15-days")] = (
        "monthly"
    ),
    day_count: Annotated[str, typer.Option(help="30/360|actual/360|actual/365|actual/actual")] = (
        "30/360"
    ),
    interest_daily: Annotated[
        bool,
        typer.Option(
            "--interest-daily/--interest-per-period", help="Daily interest or per-period rate."
        ),
    ] = False,
    grace_principal: Annotated[str, typer.Option(help="Periods with no principal due.")] = "0",
    grace_interest: Annotated[str, typer.Option(help="Periods whose interest is deferred.")] = "0",
    multiple_of: Annotated[
        str | None, typer.Option(help="Round installments up to a multiple, in yuan.")
    ] = None,
    rounding: Annotated[str, typer.Option(help="|".join(r.value for r in Rounding))] = "half-even",
    monthly_fee_rate: Annotated[
        str, typer.Option(help="Fee per period on the original principal, e.g. 0.6%.")
    ] = "0%",
    upfront_fee: Annotated[str, typer.Option(help="Fee deducted at disbursement, in yuan.")] = "0",
    cap: Annotated[str, typer.Option(help="Cap on the annualized all-in cost.")] = "24%",
    cap_basis: Annotated[str, typer.Option(help="nominal|effective|stricter")] = "stricter",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print a repayment schedule and the all-in cost disclosure for one loan."""
    n = option_whole(periods, "--periods")
    if n < 1:
        raise InvalidInputError("must be at least 1", field="--periods", value=periods)
    loan_start = option_date(start, "--start") if start is not None else lender_today()
    first = option_date(first_due, "--first-due") if first_due else None
    if first is not None and first <= loan_start:
        raise InvalidInputError("must be after --start", field="--first-due", value=first_due)
    amount = option_money(principal, "--principal")
    if amount.fen <= 0:
        raise InvalidInputError("must be positive", field="--principal", value=principal)
    schedule = _schedule(
        principal=amount,
        annual_rate=option_rate(annual_rate, "--annual-rate"),
        periods=n,
        method=option_choice(method, "--method", RepaymentMethod),
        start=loan_start,
        first_due=first,
        frequency=option_choice(frequency, "--frequency", Frequency),
        day_count=option_choice(day_count, "--day-count", DayCount),
        interest_basis=InterestBasis.DAILY if interest_daily else InterestBasis.PER_PERIOD,
        grace_principal=option_whole(grace_principal, "--grace-principal"),
        grace_interest=option_whole(grace_interest, "--grace-interest"),
        multiple_of=option_money(multiple_of, "--multiple-of").fen if multiple_of else 1,
        rounding=option_choice(rounding, "--rounding", Rounding),
        monthly_fee_rate=option_rate(monthly_fee_rate, "--monthly-fee-rate"),
        upfront_fee=option_money(upfront_fee, "--upfront-fee") if upfront_fee else Money.zero(),
    )
    terms = schedule.terms
    rate = annualized_rate(schedule)
    check_cap(
        rate,
        option_rate(cap, "--cap"),
        basis=option_choice(cap_basis, "--cap-basis", CapBasis),
        field="--annual-rate" if terms.monthly_fee_rate == 0 else "--monthly-fee-rate",
    )
    if as_json:
        typer.echo(json.dumps(quote_json(schedule, rate), ensure_ascii=False))
    else:
        print_quote(schedule, make_console(), rate)
