"""Collections (催收): conduct rules, strategies by bucket, promises to pay, hardship tools,
agency redaction and collection measures.

Pure domain (no database, no web). See ``docs.md`` for the data flow.
"""

from thinfile.collections.agency import AgencyCaseView, CaseFacts, redact_for_agency
from thinfile.collections.conduct import (
    CONTACT_WINDOW,
    DEFAULT_TIME_ZONE,
    MAX_UNANSWERED_CALLS,
    Breach,
    Channel,
    ContactAttempt,
    ContactOutcome,
    ContactRecord,
    History,
    Party,
    Purpose,
    Script,
    check_conduct,
    conduct_breaches,
    is_unreachable,
    local_time,
)
from thinfile.collections.hardship import (
    REAGE_MONTHS,
    HardshipKind,
    HardshipStatus,
    SettlementSplit,
    check_approver,
    check_months,
    check_reage_allowed,
    settlement_split,
)
from thinfile.collections.measures import (
    CaseResult,
    Rates,
    collection_rates,
    promise_kept_rate,
)
from thinfile.collections.promises import PromiseStatus, check_promise, promise_status
from thinfile.collections.strategy import CONTROL, Arm, Strategy, assign_arm, strategy_for

__all__ = [
    "CONTACT_WINDOW",
    "CONTROL",
    "DEFAULT_TIME_ZONE",
    "MAX_UNANSWERED_CALLS",
    "REAGE_MONTHS",
    "AgencyCaseView",
    "Arm",
    "Breach",
    "CaseFacts",
    "CaseResult",
    "Channel",
    "ContactAttempt",
    "ContactOutcome",
    "ContactRecord",
    "HardshipKind",
    "HardshipStatus",
    "History",
    "Party",
    "PromiseStatus",
    "Purpose",
    "Rates",
    "Script",
    "SettlementSplit",
    "Strategy",
    "assign_arm",
    "check_approver",
    "check_conduct",
    "check_months",
    "check_promise",
    "check_reage_allowed",
    "collection_rates",
    "conduct_breaches",
    "is_unreachable",
    "local_time",
    "promise_kept_rate",
    "promise_status",
    "redact_for_agency",
    "settlement_split",
    "strategy_for",
]
