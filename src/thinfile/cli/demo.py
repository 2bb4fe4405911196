"""``thinfile demo``: show thinfile working end to end on the embedded defaults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import typer
from rich.console import Console

from thinfile.cli.quote import print_quote
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo() -> None:
    """Run the demo journey (today: a sample quote for a delivery rider's phone purchase)."""
    console = Console()
    console.print("thinfile demo: 10,000 yuan over 12 months as an installment plan with a "
                  "0.6% monthly fee — the annualized rate the borrower must see is not 7.2%.\n")
    terms = LoanTerms(
        principal=Money.of("10000"), annual_rate=Decimal(0), periods=12,
        method=RepaymentMethod.FEE_INSTALLMENT, start=date.today(),
        monthly_fee_rate=Decimal("0.006"),
    )
    print_quote(build_schedule(terms), console)
