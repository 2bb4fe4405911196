"""The live OpenAPI document is the contract: schemathesis fuzzes every operation in-process.

Zero server errors and zero responses outside the spec, for every endpoint, within a bounded
number of examples per operation. Callers are a borrower with a profile (on borrower routes)
and an admin (on staff routes); path ids point at the borrower's own resources, so the fuzzing
reaches the code behind the ownership check rather than stopping at 404.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from tests.e2e.api_harness import (
    Party,
    TestClient,
    accept,
    apply,
    build_app,
    make_borrower,
    make_staff,
    quick_settings,
)
from tests.support.gateway import GATEWAY_KEY, start_sandbox, stop
from thinfile.security.roles import Role

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES_PER_OPERATION = 30
SLOW_OPERATIONS = {
    "/v1/staff/cob": 5,
    "/v1/staff/simulations": 5,
    "/v1/staff/simulations/csv": 10,
    "/v1/loans/{loan_id}/contract.pdf": 3,
    "/v1/loans/{loan_id}/repayment-plan.pdf": 3,
    "/v1/loans/{loan_id}/settlement-certificate.pdf": 3,
}
"""Operations whose work grows with the input (dates closed, applicants simulated), and the
PDFs (about a second each to lay out, whatever the input)."""
LINE_OFFER = 2
# Every check runs except "schema-valid data is accepted": some rules cannot be written in
# JSON Schema (an ID number's check digit, separate consent for sensitive data), so a
# schema-valid body may rightly get a documented 422.
BUSINESS_RULES = [positive_data_acceptance]


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sandbox payment gateway the card routes talk to."""
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))
    yield url
    stop(process)


@pytest.fixture
def fuzzed(
    database_url: str, tmp_path: Any, gateway_url: str
) -> Iterator[tuple[Any, Party, Party, dict[str, str]]]:
    app = build_app(
        quick_settings(
            database_url,
            rate_limits={"sign_in": "100000/1", "sign_up": "100000/1", "applications": "100000/1"},
            payment_gateway_url=gateway_url,
            payment_gateway_key=GATEWAY_KEY.decode(),
        ),
        tmp_path,
    )
    with TestClient(app) as client:
        borrower = make_borrower(client)
        admin = make_staff(client, Role.ADMIN)
        application = apply(client, borrower).json()
        accepted = accept(client, borrower, application["id"], LINE_OFFER).json()
        ids = {
            "applicant_id": borrower.applicant_id,
            "application_id": application["id"],
            "loan_id": accepted["loan_id"],
            "line_id": accepted["credit_line_id"],
        }
        yield app, borrower, admin, ids


def _check_operation(operation: Any, borrower: Party, admin: Party, ids: dict[str, Any]) -> None:
    caller = admin if operation.path.startswith("/v1/staff") else borrower

    @given(case=operation.as_strategy())
    @settings(
        max_examples=SLOW_OPERATIONS.get(operation.path, EXAMPLES_PER_OPERATION),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        for name, value in ids.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        case.call_and_validate(headers=caller.headers, excluded_checks=BUSINESS_RULES)

    check()


def test_every_operation_honours_the_spec_and_never_fails_with_5xx(fuzzed):
    app, borrower, admin, ids = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 40
    # Signing out revokes the borrower's tokens: last, so every other operation is fuzzed
    # signed in (after it, each would stop at 401).
    operations.sort(key=lambda operation: operation.path == "/v1/auth/sign-out")
    for operation in operations:
        _check_operation(operation, borrower, admin, ids)
