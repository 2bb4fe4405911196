"""``thinfile checkout quote``: the finance staff's calculator for an installment purchase.

One purchase, three views: what the borrower repays (schedule, annualized rate, cost
statement), what the merchant is paid (price − subsidy − merchant-funded coupon), and how the
lender recognises the subsidy as income by the effective-interest method.
"""

from __future__ import annotations

import json
from typing import Annotated

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
from thinfile.cli.quote import print_quote, yuan
from thinfile.commerce import (
    ALLOWED_TERMS,
    CheckoutQuote,
    Coupon,
    CouponFunder,
    TermPricing,
    quote_checkout,
    term_problems,
)
from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.loanmath.terms import LAST_START_YEAR
from thinfile.services.business_date import lender_today

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Installment checkout: plans, merchant money.", no_args_is_help=True)
    group.command("quote")(quote)
    app.add_typer(group, name="checkout")


def _periods(text: str) -> int:
    return option_whole(text, "--periods")


def _pricing(periods: str, subsidy: str, fee: str) -> TermPricing:
    n = _periods(periods)
    subsidy_rate = option_rate(subsidy, "--merchant-subsidy")
    fee_rate = option_rate(fee, "--monthly-fee-rate")
    fields = ("--periods", "--merchant-subsidy", "--monthly-fee-rate")
    problems = term_problems(n, subsidy_rate=subsidy_rate, monthly_fee_rate=fee_rate, fields=fields)
    if problems:
        first = problems[0]
        raise InvalidInputError(first.message, field=first.field, value=first.value)
    return TermPricing(n, subsidy_rate, fee_rate)


def _coupon(off: str | None, funded_by: str | None) -> Coupon | None:
    if off is None:
        if funded_by is not None:  # a funder without a coupon: the coupon was forgotten
            raise InvalidInputError(
                "names who funds a coupon, but no coupon is given",
                field="--coupon-funded-by",
                value=funded_by,
                remedy="add --coupon-off with the amount off, or leave out --coupon-funded-by",
            )
        return None
    amount = option_money(off, "--coupon-off")
    if amount.fen < 0:
        raise InvalidInputError("cannot be negative", field="--coupon-off", value=off)
    if funded_by is None:
        raise InvalidInputError(
            "say who funds the coupon",
            field="--coupon-funded-by",
            remedy="add --coupon-funded-by merchant or --coupon-funded-by lender",
        )
    return Coupon(amount, option_choice(funded_by, "--coupon-funded-by", CouponFunder))


def quote(
    price: Annotated[str, typer.Option(help="Cash price of the order, in yuan.")],
    periods: Annotated[
        str, typer.Option(help="Installments: " + ", ".join(map(str, ALLOWED_TERMS)) + ".")
    ] = "12",
    merchant_subsidy: Annotated[
        str, typer.Option(help="Merchant subsidy rate for the term, e.g. 7.5%.")
    ] = "0%",
    monthly_fee_rate: Annotated[
        str, typer.Option(help="Borrower's fee per period on the financed amount, e.g. 0.6%.")
    ] = "0%",
    coupon_off: Annotated[str | None, typer.Option(help="Coupon amount off, in yuan.")] = None,
    coupon_funded_by: Annotated[str | None, typer.Option(help="merchant|lender")] = None,
    start: Annotated[
        str | None, typer.Option(help="Purchase date, YYYY-MM-DD (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Quote an installment purchase: the borrower's plan, the merchant's money, the lender's
    income recognition."""
    amount = option_money(price, "--price")
    if amount.fen <= 0:
        raise InvalidInputError("must be positive", field="--price", value=price)
    pricing = _pricing(periods, merchant_subsidy, monthly_fee_rate)
    coupon = _coupon(coupon_off, coupon_funded_by)
    if coupon is not None and coupon.amount >= amount:
        raise InvalidInputError("must be less than --price", field="--coupon-off", value=coupon_off)
    purchase_date = option_date(start, "--start") if start else lender_today()
    if purchase_date.year > LAST_START_YEAR:
        raise InvalidInputError(
            f"must be in {LAST_START_YEAR} or before: every due date must fit the calendar",
            field="--start",
            value=start,
        )
    try:
        result = quote_checkout(amount, pricing, start=purchase_date, coupon=coupon)
    except RateCapExceededError as error:  # the plan's fee, rounded to the fen, above the cap
        raise RateCapExceededError(
            error.message,
            field="--monthly-fee-rate",
            value=monthly_fee_rate,
            remedy="lower the fee rate, or quote a larger price or another number of periods",
            extra=error.extra,
        ) from None
    except InvalidInputError as error:
        if error.field != "net_investment":
            raise
        raise InvalidInputError(  # the subsidy took the whole financed amount
            "leaves the lender nothing to lend: the subsidy must be less than what is financed",
            field="--merchant-subsidy",
            value=merchant_subsidy,
        ) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        print_checkout_quote(result, make_console())


def print_checkout_quote(result: CheckoutQuote, console: Console) -> None:
    money = result.money
    table = Table(title="Purchase 购买", show_header=False)
    table.add_column("item")
    table.add_column("amount", justify="right")
    funder = f" ({money.coupon_funded_by.value})" if money.coupon_funded_by else ""
    rows = [
        ("Price 售价", money.price),
        (f"Coupon 优惠券{funder}", money.coupon),
        ("Financed 分期本金 (borrower)", money.financed),
        ("Merchant subsidy 商家贴息", money.subsidy),
        ("Merchant settlement 商户结算款", money.merchant_settlement),
        ("Lender net investment 净投资", money.net_investment),
        ("Lender marketing expense 营销费用", money.marketing_expense),
    ]
    for label, value in rows:
        table.add_row(label, yuan(value.fen))
    console.print(table)
    print_quote(result.plan.schedule, console, result.plan.annualized)
    recognition = result.recognition
    income = Table(title="Income recognition 收入确认 (effective-interest method 实际利率法)")
    for col in ("#", "due", "carrying", "installment", "income", "deferred after"):
        income.add_column(col, justify="right")
    for p in recognition.periods:
        income.add_row(
            str(p.n),
            p.due_date.isoformat(),
            *(yuan(v) for v in (p.opening, p.installment, p.income, p.deferred_after)),
        )
    income.add_row("", "total", "", "", yuan(recognition.total_recognised), "")
    console.print(income)
    rate = recognition.effective_rate
    console.print(
        f"Effective rate 实际利率: {rate:.4%} per period 每期, {rate * 12:.2%} a year (× 12)",
        highlight=False,
    )
