"""Documents a borrower keeps: the loan contract (借款合同), the repayment plan (还款计划) and
the settlement certificate (结清证明) — rendered from versioned templates into text, and from
text into PDF. Pure: no database, no web framework (see ``docs.md``)."""

from thinfile.documents.contract import (
    CONTRACT_KIND,
    CONTRACT_TEMPLATE,
    ContractFacts,
    render_contract,
)
from thinfile.documents.document import Document, sha256_hex
from thinfile.documents.pdf import FONT_CANDIDATES, find_font, render_pdf
from thinfile.documents.plan import (
    PLAN_COLUMNS,
    Borrower,
    ensure_settled,
    plan_csv,
    render_plan,
    render_settlement,
)
from thinfile.documents.wording import LANGUAGES, Language

__all__ = [
    "CONTRACT_KIND",
    "CONTRACT_TEMPLATE",
    "FONT_CANDIDATES",
    "LANGUAGES",
    "PLAN_COLUMNS",
    "Borrower",
    "ContractFacts",
    "Document",
    "Language",
    "ensure_settled",
    "find_font",
    "plan_csv",
    "render_contract",
    "render_pdf",
    "render_plan",
    "render_settlement",
    "sha256_hex",
]
