"""The loan contract (借款合同): a versioned template filled with one loan's figures.

The current template ``loan-contract/3`` exists in Chinese and English (``templates/``; version 3
sums the totals line as the installments add up, the service fee deducted at disbursement apart;
version 2 states how part of a period is charged; 1 and 2 stay for contracts signed on them); a
placeholder
is ``$name`` (:class:`string.Template`), and a missing one raises, so a template cannot drift
from the facts silently. The result is a :class:`~thinfile.documents.document.Document`: a
small Markdown text (``#`` title, ``##`` headings, paragraphs, ``|`` tables) that is exactly
what the borrower signs, what is stored and hashed, and what the PDF renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from string import Template

from thinfile.documents.document import Document, table_row
from thinfile.documents.wording import Language, default_lines, method_name, percent, yuan
from thinfile.loanmath import CostStatement, Schedule

__all__ = ["CONTRACT_KIND", "CONTRACT_TEMPLATE", "ContractFacts", "render_contract"]

CONTRACT_KIND = "loan-contract"
CONTRACT_TEMPLATE = "loan-contract/3"
"""The template version new contracts are rendered from; stored with each signed document."""


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """Everything a contract states: the parties, the loan's schedule and its cost statement."""

    contract_number: str
    lender: str
    borrower_name: str
    borrower_id_masked: str
    signed_on: date
    schedule: Schedule
    statement: CostStatement


def _template(version: str, language: Language) -> Template:
    name = version.replace("/", "-") + f".{language}.txt"
    text = files("thinfile.documents").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


def _schedule_rows(schedule: Schedule) -> str:
    return "\n".join(
        table_row(
            str(i.n),
            i.due_date.isoformat(),
            yuan(i.principal),
            yuan(i.interest),
            yuan(i.fee),
            yuan(i.total),
            yuan(i.balance),
        )
        for i in schedule.installments
    )


def _zh_standard(name: str, schedule: Schedule) -> tuple[str, str] | None:
    """The Chinese standard and timing of a statement item the template knows."""
    terms = schedule.terms
    return {
        "interest": (f"按剩余本金年利率 {percent(terms.annual_rate)}", "随每期还款收取"),
        "installment fee": (
            f"每期按原始本金的 {percent(terms.monthly_fee_rate)}",
            "随每期还款收取",
        ),
        "service fee": ("从放款金额中一次性扣除", "放款时"),
    }.get(name)


def _charge_rows(statement: CostStatement, schedule: Schedule, language: Language) -> str:
    if not statement.items:
        none = "无" if language == "zh" else "none"
        return table_row(none, "—", "—", "—", yuan(0))
    rows = []
    for item in statement.items:
        standard, when = item.standard, item.when
        zh = _zh_standard(item.name, schedule) if language == "zh" else None
        if zh is not None:
            standard, when = zh
        name = item.name_zh if language == "zh" else item.name
        rows.append(table_row(name, item.collector, standard, when, yuan(item.amount)))
    return "\n".join(rows)


def render_contract(
    facts: ContractFacts, *, language: Language, template: str = CONTRACT_TEMPLATE
) -> Document:
    """The contract text for ``facts`` in ``language`` (``zh`` or ``en``)."""
    schedule, statement = facts.schedule, facts.statement
    terms, rate = schedule.terms, statement.annualized
    values = {
        "contract_number": facts.contract_number,
        "template": template,
        "signed_on": facts.signed_on.isoformat(),
        "lender": facts.lender,
        "borrower_name": facts.borrower_name,
        "borrower_id": facts.borrower_id_masked,
        "principal": yuan(terms.principal.fen),
        "net_disbursed": yuan(schedule.net_disbursed.fen),
        "periods": str(terms.periods),
        "start": terms.start.isoformat(),
        "maturity": schedule.installments[-1].due_date.isoformat(),
        "method": method_name(terms.method, language),
        "annual_rate": percent(terms.annual_rate),
        "apr": percent(rate.nominal, places=2),
        "apr_compounded": percent(rate.effective, places=2),
        "apr_periodic": percent(rate.periodic_irr, places=4),
        "schedule_rows": _schedule_rows(schedule),
        "total_interest": yuan(schedule.total_interest),
        "total_fees": yuan(schedule.total_fees),
        "installment_fees": yuan(sum(i.fee for i in schedule.installments)),
        "upfront_fee": yuan(terms.upfront_fee.fen),
        "total_repaid": yuan(sum(i.total for i in schedule.installments)),
        "charge_rows": _charge_rows(statement, schedule, language),
        "total_cost": yuan(statement.total_cost),
        "default_lines": "\n\n".join(default_lines(statement, terms.annual_rate, language)),
    }
    text = _template(template, language).substitute(values)
    return Document(CONTRACT_KIND, template, language, text)
