"""The API's own enums are the domain's sets, value for value, and every key an error may
put in its details is declared in the spec's ``ErrorDetails``."""

from __future__ import annotations

import re

from tests.support.environment import REPO
from thinfile.api.enums import Gender, LoanPurpose, Segment, TransactionKind
from thinfile.api.errors import ErrorDetails
from thinfile.decisioning.application import PURPOSES, SEGMENTS
from thinfile.errors import FieldProblem, InvalidInputError, ThinfileError
from thinfile.servicing import EventKind


def test_segments_and_purposes_are_the_application_rules_own():
    assert tuple(Segment) == SEGMENTS
    assert tuple(LoanPurpose) == PURPOSES
    assert {g.value for g in Gender} == {"F", "M"}


def test_transaction_kinds_are_the_disbursement_a_reversal_and_every_event():
    assert set(TransactionKind) == {"disbursement", "reversal"} | {k.value for k in EventKind}


def _extra_keys_raised() -> set[str]:
    """Every key of an ``extra={...}`` literal passed to an error anywhere in thinfile."""
    keys: set[str] = set()
    for path in (REPO / "src" / "thinfile").rglob("*.py"):
        for literal in re.findall(
            r"(?<![_a-z])extra=\{([^}]*)\}", path.read_text(encoding="utf-8")
        ):
            keys.update(re.findall(r'"([a-z_]+)":', literal))
    return keys


def test_every_detail_an_error_sends_is_declared():
    base = set(ThinfileError("x", field="f", value=1, remedy="r", problems=[]).details())
    raised = _extra_keys_raised() | base | {"problems"}
    assert raised, "the scan found nothing: the pattern is out of date"
    assert raised <= set(ErrorDetails.model_fields), sorted(raised - set(ErrorDetails.model_fields))


def test_an_errors_details_validate_as_declared():
    error = InvalidInputError(
        "bad", field="amount", value="1e9", remedy="fix it", problems=[FieldProblem("a", "b", 3)]
    )
    details = ErrorDetails.model_validate(error.details())
    assert details.problems is not None and details.problems[0].value == 3
    assert details.model_dump(exclude_none=True) == error.details()
