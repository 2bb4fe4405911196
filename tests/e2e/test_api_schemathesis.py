"""The live OpenAPI document is the contract: schemathesis fuzzes every operation in-process.

Zero server errors and zero responses outside the spec, for every endpoint, within a bounded
number of examples per operation. Callers are a borrower with a profile (on borrower routes)
and an admin (on staff routes); path ids point at the borrower's own resources, so the fuzzing
reaches the code behind the ownership check rather than stopping at 404.
"""

# Fixtures are imported from the API harness and then requested by name.
# ruff: noqa: F401, F811

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.e2e.api_harness import (
    Party,
    TestClient,
    backend,
    database_url,
    make_borrower,
    make_staff,
    quick_settings,
)
from thinfile.api import create_app
from thinfile.security.roles import Role

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES_PER_OPERATION = 30
# Every check runs except "schema-valid data is accepted": some rules cannot be written in
# JSON Schema (an ID number's check digit, separate consent for sensitive data), so a
# schema-valid body may rightly get a documented 422.
BUSINESS_RULES = [positive_data_acceptance]


@pytest.fixture
def fuzzed(database_url: str) -> Iterator[tuple[Any, Party, Party]]:
    app = create_app(quick_settings(database_url, rate_limits={
        "sign_in": "100000/1", "sign_up": "100000/1", "applications": "100000/1"}))
    with TestClient(app) as client:
        borrower = make_borrower(client)
        admin = make_staff(client, Role.ADMIN)
        yield app, borrower, admin


def _check_operation(operation: Any, borrower: Party, admin: Party) -> None:
    caller = admin if operation.path.startswith("/v1/staff") else borrower

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        if case.path_parameters and "applicant_id" in case.path_parameters:
            case.path_parameters["applicant_id"] = borrower.applicant_id
        case.call_and_validate(headers=caller.headers, excluded_checks=BUSINESS_RULES)

    check()


def test_every_operation_honours_the_spec_and_never_fails_with_5xx(fuzzed):
    app, borrower, admin = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        _check_operation(operation, borrower, admin)
