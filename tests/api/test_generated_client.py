"""An integrator's client, generated from the spec the app serves, runs the borrower's
journey and a staff read against the app served for real (uvicorn on a free port), on SQLite
and PostgreSQL — with no hand-written HTTP: every call below goes through the generated
package, typed by the spec (enums, the cost statement, error details).

The generator is openapi-python-client, pinned in tests/api/client-generator.txt (installed
by ``make``); outside CI its absence skips this module, in CI it fails.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from tests.e2e.api_harness import PASSWORD, build_app, id_number, quick_settings
from tests.support.environment import in_ci
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity

pytestmark = pytest.mark.slow

PACKAGE = "thinfile_v1_client"
_serial = itertools.count(700)


def _generator() -> list[str]:
    found = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    if found is None:
        message = (
            "openapi-python-client is not installed (pip install -r tests/api/client-generator.txt)"
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return [found]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """The app on a real socket, and its context (for the one thing no API does: making the
    first admin, which an operator does with the command line)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def context(self) -> AppContext:
        context: AppContext = self.app.state.context
        return context

    def __enter__(self) -> Served:
        self.app.openapi()  # built once before serving: /openapi.json answers at once
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client generated from ``/openapi.json`` of a served app, imported."""
    command = _generator()
    tmp = tmp_path_factory.mktemp("client")
    app = build_app(quick_settings(f"sqlite:///{tmp / 'spec.sqlite'}"), tmp)
    with Served(app) as served:
        done = subprocess.run(
            [
                *command,
                "generate",
                "--url",
                f"{served.url}/openapi.json",
                "--meta",
                "none",
                "--output-path",
                str(tmp / PACKAGE),
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class Api:
    """The generated operations by tag and function name (``api.loans.get_loan``)."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        self.models: Any = importlib.import_module(f"{package.__name__}.models")
        self.clients: list[Any] = []

    def close(self) -> None:
        for client in self.clients:
            client.get_httpx_client().close()

    def op(self, tag: str, name: str) -> Any:
        group = importlib.import_module(f"{self.package.__name__}.api.{tag}")
        for module in pkgutil.iter_modules(group.__path__):
            if module.name == name or module.name.startswith(f"{name}_v1_"):
                return importlib.import_module(f"{group.__name__}.{module.name}")
        raise AssertionError(f"no operation {name} in {tag}")

    def anonymous(self, url: str) -> Any:
        client = self.package.Client(base_url=url, raise_on_unexpected_status=True)
        self.clients.append(client)
        return client

    def signed_in(self, url: str, email: str) -> Any:
        m = self.models
        answer = self.op("auth", "sign_in").sync_detailed(
            client=self.anonymous(url), body=m.SignIn(email=email, password=PASSWORD)
        )
        assert answer.status_code == 200, answer.content
        token = answer.parsed
        assert isinstance(token, m.TokenPublic)
        client = self.package.AuthenticatedClient(
            base_url=url, token=token.access_token, raise_on_unexpected_status=True
        )
        self.clients.append(client)
        return client


def _ok(answer: Any, status: int, kind: Any) -> Any:
    assert answer.status_code == status, answer.content
    assert isinstance(answer.parsed, kind), answer.parsed
    return answer.parsed


def _make_admin(context: AppContext) -> str:
    email = f"admin{next(_serial)}@lender.example"
    identity.create_user(
        context.engine, context.hasher, email=email, password=PASSWORD, role=Role.ADMIN
    )
    return email


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    with Served(build_app(quick_settings(database_url), tmp_path)) as running:
        yield running


def _sign_up_with_profile(api: Api, url: str) -> tuple[Any, Any, str]:
    m, n = api.models, next(_serial)
    email, idn = f"client{n}@example.com", id_number(n)
    _ok(
        api.op("auth", "sign_up").sync_detailed(
            client=api.anonymous(url), body=m.SignUp(email=email, password=PASSWORD)
        ),
        202,
        m.SignUpAccepted,
    )
    borrower = api.signed_in(url, email)
    profile = _ok(
        api.op("applicants", "register_applicant").sync_detailed(
            client=borrower,
            body=m.ApplicantCreate(name=f"测试{n}号", id_number=idn, phone=f"1391{n:07d}"),
        ),
        201,
        m.ApplicantPublic,
    )
    return borrower, profile, f"1995-03-{idn[12:14]}"  # born as the ID number says


def _consent_as_the_catalogue_says(api: Api, borrower: Any, applicant_id: str) -> None:
    """Grant every consent the catalogue lists for applying (required or not)."""
    m = api.models
    catalogue = _ok(
        api.op("applicants", "consent_catalog").sync_detailed(client=borrower),
        200,
        m.ConsentCatalogPublic,
    )
    uses = [
        (rule.purpose, use)
        for rule in catalogue.rules
        for use in rule.uses
        if use.operation == "POST /v1/applicants/{applicant_id}/applications"
    ]
    assert any(use.required for _, use in uses)
    for purpose, use in uses:
        _ok(
            api.op("applicants", "grant_consent").sync_detailed(
                applicant_id,
                client=borrower,
                body=m.ConsentCreate(
                    data_category=use.data_categories[0], purpose=purpose, notice_version="v1"
                ),
            ),
            201,
            m.ConsentPublic,
        )


@pytest.fixture
def api(client_package: ModuleType) -> Iterator[Api]:
    generated = Api(client_package)
    yield generated
    generated.close()


def test_a_borrower_journey_and_a_staff_read_through_the_generated_client(api, served):
    m, url = api.models, served.url
    borrower, profile, born = _sign_up_with_profile(api, url)
    _consent_as_the_catalogue_says(api, borrower, profile.id)
    _ok(
        api.op("auth", "verify_real_name").sync_detailed(profile.id, client=borrower),
        200,
        m.RealNamePublic,
    )

    form = m.ApplicationCreate(
        birth_date=date.fromisoformat(born),
        segment=m.Segment.DELIVERY_RIDER,
        months_in_city=24,
        purpose=m.LoanPurpose.PHONE_PURCHASE,
        requested_amount="6000.00",
        requested_term_months=12,
        income_monthly_mean="8000.00",
        income_monthly_cv=0.3,
        income_months_observed=12,
        existing_debt_payment_monthly="500.00",
        bureau_history_months=0,
    )
    decided = _ok(
        api.op("applications", "apply").sync_detailed(
            profile.id, client=borrower, body=form, idempotency_key="client-apply-0001"
        ),
        201,
        m.ApplicationPublic,
    )
    assert decided.status == m.ApplicationStatus.APPROVED and decided.outcome == m.Outcome.APPROVE

    application = _ok(
        api.op("applications", "get_application").sync_detailed(decided.id, client=borrower),
        200,
        m.ApplicationPublic,
    )
    offer = application.offers[0]
    statement = offer.statement
    assert isinstance(statement, m.CostStatementPublic)
    assert statement.total_cost == offer.total_cost and statement.principal == offer.amount
    assert statement.items and all(isinstance(i, m.ChargeItemPublic) for i in statement.items)
    assert isinstance(statement.default_terms, m.DefaultTermsPublic)
    assert statement.method == offer.method and isinstance(offer.method, m.RepaymentMethod)

    accept = api.op("applications", "accept_offer")
    hasty = accept.sync_detailed(
        decided.id,
        client=borrower,
        body=m.AcceptanceCreate(offer=offer.index, confirm=True, seconds_read=2.0),
        idempotency_key="client-accept-0001",
    )
    refused = _ok(hasty, 422, m.ErrorBody)
    assert refused.code == "invalid_input" and refused.details.field == "seconds_read"
    accepted = _ok(
        accept.sync_detailed(  # the reading pause, as documented: at least 10 seconds read
            decided.id,
            client=borrower,
            body=m.AcceptanceCreate(offer=offer.index, confirm=True, seconds_read=15.0),
            idempotency_key="client-accept-0002",
        ),
        201,
        m.AcceptancePublic,
    )

    pay = api.op("loans", "make_payment")
    first = pay.sync_detailed(
        accepted.loan_id,
        client=borrower,
        body=m.PaymentCreate(amount="100.00"),
        idempotency_key="client-pay-0001",
    )
    receipt = _ok(first, 201, m.ReceiptPublic)
    assert receipt.kind == m.EventKind.REPAYMENT and receipt.replayed is False
    again = pay.sync_detailed(
        accepted.loan_id,
        client=borrower,
        body=m.PaymentCreate(amount="100.00"),
        idempotency_key="client-pay-0001",
    )
    replayed = _ok(again, 201, m.ReceiptPublic)
    assert replayed.replayed is True and again.headers["Idempotent-Replayed"] == "true"
    assert replayed.txn_id == receipt.txn_id

    staff = api.signed_in(url, _make_admin(served.context))
    loan = _ok(
        api.op("loans", "get_loan").sync_detailed(accepted.loan_id, client=staff),
        200,
        m.LoanPublic,
    )
    assert loan.status == m.LoanStatus.ACTIVE and loan.principal == offer.amount
    assert [t.kind for t in loan.transactions] == [
        m.TransactionKind.DISBURSEMENT,
        m.TransactionKind.REPAYMENT,
    ]
    journal = _ok(
        api.op("staff_servicing", "loan_journal").sync_detailed(accepted.loan_id, client=staff),
        200,
        list,
    )
    assert journal and all(isinstance(e, m.JournalEntryPublic) and e.balanced for e in journal)
    assert journal[0].kind == "disbursement"
    paid = [e for e in journal if e.txn_id == receipt.txn_id]
    assert paid and sum(int(line.amount.replace(".", "")) for e in paid for line in e.lines) == 0
    assert {line.account for line in paid[0].lines} >= {m.Account.CASH}

    stranger = api.op("staff_servicing", "loan_journal").sync_detailed(
        accepted.loan_id, client=borrower
    )
    denied = _ok(stranger, 403, m.ErrorBody)
    assert denied.details.allowed_roles and set(denied.details.allowed_roles) == {
        m.Role.ADMIN,
        m.Role.SERVICING_AGENT,
        m.Role.UNDERWRITER,
    }
