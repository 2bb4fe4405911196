"""The repayment plan (还款计划) as serviced and the settlement certificate (结清证明).

Both read a :class:`~thinfile.servicing.LoanAccount` as it stands: the plan lists every
installment with what is due, paid and still owed (as a CSV and as a document for the PDF);
the certificate states that a closed loan is repaid in full and is refused for any other.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from thinfile.documents.document import Document, table_row
from thinfile.documents.wording import Language, yuan
from thinfile.errors import ConflictError
from thinfile.money import format_yuan
from thinfile.servicing import InstallmentState, LoanAccount, LoanStatus

__all__ = [
    "PLAN_COLUMNS",
    "PLAN_KIND",
    "PLAN_TEMPLATE",
    "SETTLEMENT_KIND",
    "SETTLEMENT_TEMPLATE",
    "Borrower",
    "ensure_settled",
    "plan_csv",
    "render_plan",
    "render_settlement",
]

PLAN_KIND, PLAN_TEMPLATE = "repayment-plan", "repayment-plan/1"
SETTLEMENT_KIND, SETTLEMENT_TEMPLATE = "settlement-certificate", "settlement-certificate/1"

PLAN_COLUMNS = (
    "installment",
    "due_date",
    "principal_due",
    "interest_due",
    "fee_due",
    "penalty_due",
    "principal_paid",
    "interest_paid",
    "fee_paid",
    "penalty_paid",
    "outstanding",
    "principal_balance_after",
)
"""The CSV's header; amounts are yuan with two decimals (``1234.56``), no grouping.
``outstanding`` is what the installment itself still owes (due less paid);
``principal_balance_after`` the principal still lent once it is paid (the amount lent less
the principal of it and every installment before it)."""


@dataclass(frozen=True, slots=True)
class Borrower:
    name: str
    id_masked: str


def _due(i: InstallmentState) -> int:
    return i.principal_due + i.interest_due + i.fee_due + i.penalty_due


def _paid(i: InstallmentState) -> int:
    return i.principal_paid + i.interest_paid + i.fee_paid + i.penalty_paid


def plan_csv(account: LoanAccount) -> str:
    """The installments as serviced, one CSV row each (``\\r\\n`` line ends, RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PLAN_COLUMNS)
    balance = sum(i.principal_due for i in account.installments)
    for i in account.installments:
        balance -= i.principal_due
        writer.writerow(
            [
                i.n,
                i.due.isoformat(),
                *(
                    format_yuan(v)
                    for v in (
                        i.principal_due,
                        i.interest_due,
                        i.fee_due,
                        i.penalty_due,
                        i.principal_paid,
                        i.interest_paid,
                        i.fee_paid,
                        i.penalty_paid,
                        _due(i) - _paid(i),
                        balance,
                    )
                ),
            ]
        )
    return out.getvalue()


_STATUS = {
    "zh": {"paid": "已还清", "overdue": "逾期", "open": "待还"},
    "en": {"paid": "paid", "overdue": "overdue", "open": "to pay"},
}


def _status(i: InstallmentState, as_of: date, language: Language) -> str:
    words = _STATUS[language]
    if _due(i) == _paid(i):
        return words["paid"]
    return words["overdue"] if i.due < as_of else words["open"]


def render_plan(account: LoanAccount, *, as_of: date, language: Language) -> Document:
    """The repayment plan of ``account`` on ``as_of`` as a document (for the PDF)."""
    zh = language == "zh"
    head = (
        ("期数", "还款日", "本金", "利息", "费用", "罚息", "已还", "未还", "状态")
        if zh
        else ("No.", "Due", "Principal", "Interest", "Fees", "Penalty", "Paid", "Owed", "Status")
    )
    rows = [table_row(*head), "|---|---|---|---|---|---|---|---|---|"]
    for i in account.installments:
        rows.append(
            table_row(
                str(i.n),
                i.due.isoformat(),
                yuan(i.principal_due),
                yuan(i.interest_due),
                yuan(i.fee_due),
                yuan(i.penalty_due),
                yuan(_paid(i)),
                yuan(_due(i) - _paid(i)),
                _status(i, as_of, language),
            )
        )
    owed = sum(_due(i) - _paid(i) for i in account.installments)
    lines = [
        "# 还款计划" if zh else "# Repayment plan",
        "",
        f"借款编号：{account.loan_id}　　本金：{yuan(account.principal)} 元　　"
        f"放款日：{account.disbursed_on.isoformat()}　　截至：{as_of.isoformat()}"
        if zh
        else f"Loan {account.loan_id}    Principal: CNY {yuan(account.principal)}    "
        f"Disbursed: {account.disbursed_on.isoformat()}    As of: {as_of.isoformat()}",
        "",
        *rows,
        "",
        f"未还合计：{yuan(owed)} 元（不含截至日后按日计算的利息与罚息）。"
        if zh
        else f"Owed in all: CNY {yuan(owed)} (interest and penalty for days after "
        "the as-of date not included).",
    ]
    return Document(PLAN_KIND, PLAN_TEMPLATE, language, "\n".join(lines) + "\n")


def render_settlement(
    account: LoanAccount,
    *,
    lender: str,
    borrower: Borrower,
    contract_number: str,
    issued_on: date,
    language: Language,
) -> Document:
    """The settlement certificate of a closed loan (:func:`ensure_settled` first)."""
    closed_on = ensure_settled(account)
    paid = [
        sum(getattr(i, f"{part}_paid") for i in account.installments)
        for part in ("principal", "interest", "fee", "penalty")
    ]
    closed, opened = closed_on.isoformat(), account.disbursed_on.isoformat()
    return _settlement(
        account, lender, borrower, contract_number, issued_on, language, paid, closed, opened
    )


def ensure_settled(account: LoanAccount) -> date:
    """The day ``account`` was repaid in full; a loan that was not (open, charged off, written
    off) is refused with :class:`ConflictError` (field ``loan_id``)."""
    if account.status is not LoanStatus.CLOSED or account.closed_on is None:
        raise ConflictError(
            f"loan {account.loan_id} is {account.status.value}: a settlement certificate is "
            "issued only for a loan repaid in full",
            field="loan_id",
            value=account.loan_id,
            remedy="repay the loan in full (payoff), then ask for the certificate again",
        )
    return account.closed_on


def _settlement(
    account: LoanAccount,
    lender: str,
    borrower: Borrower,
    contract_number: str,
    issued_on: date,
    language: Language,
    paid: list[int],
    closed: str,
    opened: str,
) -> Document:
    if language == "zh":
        lines = [
            "# 结清证明",
            "",
            f"证明编号：S-{account.loan_id}　　开具日期：{issued_on.isoformat()}",
            "",
            f"兹证明借款人 {borrower.name}（身份证号 {borrower.id_masked}）于 {opened} 与 "
            f"{lender} 签订的借款合同（编号 {contract_number}）项下借款本金人民币 "
            f"{yuan(account.principal)} 元，已于 {closed} 全部结清。",
            "",
            f"已还本金 {yuan(paid[0])} 元，利息 {yuan(paid[1])} 元，费用 {yuan(paid[2])} 元，"
            f"罚息 {yuan(paid[3])} 元。",
            "",
            "截至结清之日，借款人在该合同项下对贷款人不再负有任何债务。",
            "",
            f"贷款人：{lender}",
        ]
    else:
        lines = [
            "# Settlement certificate",
            "",
            f"Certificate S-{account.loan_id}    Issued on: {issued_on.isoformat()}",
            "",
            f"This certifies that the loan of CNY {yuan(account.principal)} made on {opened} by "
            f"{lender} to {borrower.name} (resident ID {borrower.id_masked}) under loan "
            f"contract {contract_number} was repaid in full on {closed}.",
            "",
            f"Repaid: principal CNY {yuan(paid[0])}, interest {yuan(paid[1])}, fees "
            f"{yuan(paid[2])}, penalty interest {yuan(paid[3])}.",
            "",
            "From that day the borrower owes the lender nothing under that contract.",
            "",
            f"Lender: {lender}",
        ]
    return Document(SETTLEMENT_KIND, SETTLEMENT_TEMPLATE, language, "\n".join(lines) + "\n")
