"""The checkout journey through the generated client, against the app served for real, on
SQLite and PostgreSQL: staff onboard a merchant (contract, activation, a user and its API
key), the merchant's system opens a checkout session with its key, the borrower reads the
plans, waits out the documented reading pause and confirms, the merchant captures and
refunds, and reads the webhook events the session queued — no hand-written HTTP (the users
themselves are made with the identity service, as an operator makes them)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.api.test_generated_client import (
    Api,
    Served,
    _consent_as_the_catalogue_says,
    _make_admin,
    _ok,
    _sign_up_with_profile,
    client_package,  # noqa: F401 (the module's fixture)
)
from tests.e2e.api_harness import PASSWORD, build_app, quick_settings
from tests.e2e.test_api_merchants import ACCOUNT, credit_code
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.business_date import current_business_date

pytestmark = pytest.mark.slow

_serial = itertools.count(900)
READING_PAUSE_SECONDS = 10  # documented on the confirmation operation


@pytest.fixture
def served(database_url: str, tmp_path: Any) -> Iterator[Served]:
    with Served(build_app(quick_settings(database_url), tmp_path)) as running:
        yield running


@pytest.fixture
def api(client_package: ModuleType) -> Iterator[Api]:  # noqa: F811
    generated = Api(client_package)
    yield generated
    generated.close()


def _key(name: str) -> str:
    return f"client-{name}-{next(_serial):06d}"


def _shop(api: Api, served: Served, admin: Any) -> tuple[str, Any]:
    """An active merchant with a contract, and a client holding its user's API key."""
    m, n = api.models, next(_serial)
    merchant = _ok(
        api.op("merchants", "onboard").sync_detailed(
            client=admin,
            body=m.MerchantCreate.from_dict(
                {
                    "legal_name": f"骑手电动车{n}号有限公司",
                    "credit_code": credit_code(n),
                    "category": "e-bikes",
                    "settlement_bank": "招商银行深圳分行",
                    "settlement_account": ACCOUNT,
                    "contact_name": "王芳",
                    "contact_phone": "13812345678",
                }
            ),
            idempotency_key=_key("onboard"),
        ),
        201,
        m.MerchantPublic,
    )
    contract = {
        "terms": [
            {"periods": 6, "subsidy_rate": "0", "monthly_fee_rate": "0.5%"},
            {"periods": 12, "subsidy_rate": "7.5%"},
        ],
        "unearned_subsidy": "return-to-merchant",
        "settlement_days": 1,
        "effective_from": current_business_date(served.context.engine).isoformat(),
    }
    _ok(
        api.op("merchants", "set_contract").sync_detailed(
            merchant.id,
            client=admin,
            body=m.MerchantContractPut.from_dict(contract),
            idempotency_key=_key("contract"),
        ),
        200,
        m.MerchantContractPublic,
    )
    _ok(
        api.op("merchants", "activate").sync_detailed(
            merchant.id, client=admin, idempotency_key=_key("activate")
        ),
        200,
        m.MerchantPublic,
    )
    context = served.context
    user = identity.create_user(
        context.engine,
        context.hasher,
        email=f"merchant{n}@shop.example",
        password=PASSWORD,
        role=Role.MERCHANT,
    )
    api.op("merchants", "add_user").sync_detailed(
        merchant.id,
        client=admin,
        body=m.MerchantUserCreate(user_id=user.id),
        idempotency_key=_key("user"),
    )
    issued = _ok(
        api.op("merchants", "issue_api_key").sync_detailed(
            merchant.id,
            client=admin,
            body=m.MerchantApiKeyCreate(user_id=user.id, name="shop checkout"),
        ),
        201,
        m.MerchantApiKeyCreated,
    )
    shop = api.package.Client(
        base_url=served.url, headers={"X-API-Key": issued.key}, raise_on_unexpected_status=True
    )
    api.clients.append(shop)
    return str(merchant.id), shop


def test_a_checkout_through_the_generated_client(api: Api, served: Served) -> None:
    m, url = api.models, served.url
    admin = api.signed_in(url, _make_admin(served.context))
    merchant_id, shop = _shop(api, served, admin)
    borrower, profile, born = _sign_up_with_profile(api, url)
    _consent_as_the_catalogue_says(api, borrower, profile.id)
    _ok(
        api.op("auth", "verify_real_name").sync_detailed(profile.id, client=borrower),
        200,
        m.RealNamePublic,
    )

    endpoint = _ok(
        api.op("merchant_webhooks", "set_endpoint").sync_detailed(
            merchant_id,
            client=shop,
            body=m.WebhookEndpointPut.from_dict(
                {
                    "url": "https://shop.example/thinfile/events",
                    "event_types": ["checkout.captured", "checkout.refunded"],
                    "enabled": True,
                }
            ),
        ),
        200,
        m.WebhookEndpointWithSecret,
    )
    assert endpoint.secret  # shown once, for verifying the signatures (docs/webhooks.md)

    order = {
        "merchant_order_id": f"SO-{next(_serial):06d}",
        "lines": [
            {"name": "电动车 48V", "sku": "EB-48V", "quantity": 2, "unit_price": "5000.00"},
            {"name": "头盔", "sku": "HELMET-1", "quantity": 4, "unit_price": "500"},
        ],
        "total": "12000.00",
        "success_url": "https://shop.example/orders/1/done",
        "cancel_url": "https://shop.example/orders/1",
    }
    session = _ok(
        api.op("checkout", "create").sync_detailed(
            client=shop, body=m.CheckoutCreate.from_dict(order), idempotency_key=_key("session")
        ),
        201,
        m.CheckoutPublic,
    )
    plans = _ok(
        api.op("checkout", "plans").sync_detailed(session.id, client=borrower),
        200,
        m.CheckoutPlansPublic,
    )
    assert {p.periods for p in plans.plans} == {6, 12}
    time.sleep(READING_PAUSE_SECONDS + 0.5)  # the statement stays on screen, as documented
    confirmation = m.CheckoutConfirm.from_dict(
        {
            "periods": 12,
            "confirm": True,
            "seconds_read": READING_PAUSE_SECONDS + 1,
            "application": {
                "birth_date": born,
                "segment": "delivery_rider",
                "months_in_city": 24,
                "income_monthly_mean": "8000.00",
                "income_monthly_cv": 0.3,
                "income_months_observed": 12,
                "existing_debt_payment_monthly": "500.00",
                "bureau_history_months": 0,
            },
        }
    )
    confirmed = _ok(
        api.op("checkout", "confirm").sync_detailed(
            session.id, client=borrower, body=confirmation, idempotency_key=_key("confirm")
        ),
        200,
        m.CheckoutPublic,
    )
    assert confirmed.authorized == "12000.00", confirmed

    captured = _ok(
        api.op("checkout", "capture").sync_detailed(
            session.id,
            client=shop,
            body=m.CaptureCreate(amount="12000.00"),
            idempotency_key=_key("capture"),
        ),
        201,
        m.CheckoutPublic,
    )
    assert captured.captured == "12000.00" and captured.captures[0].loan_id
    refunded = _ok(
        api.op("checkout", "refund").sync_detailed(
            session.id,
            client=shop,
            body=m.RefundCreate(amount="1000.00"),
            idempotency_key=_key("refund"),
        ),
        201,
        m.CheckoutPublic,
    )
    assert refunded.refunded == "1000.00"

    events = _ok(
        api.op("merchant_webhooks", "list_events").sync_detailed(merchant_id, client=shop),
        200,
        list,
    )
    status = {e.type_: e.status for e in events}
    assert status == {  # logged whether or not the endpoint subscribes to them
        m.WebhookEventType.CHECKOUT_AUTHORIZED: m.WebhookEventStatus.SKIPPED,
        m.WebhookEventType.CHECKOUT_CAPTURED: m.WebhookEventStatus.PENDING,
        m.WebhookEventType.CHECKOUT_REFUNDED: m.WebhookEventStatus.PENDING,
    }
    assert all(isinstance(e, m.WebhookEventPublic) for e in events)
