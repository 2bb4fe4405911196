"""A payment while close of business runs is told precisely when to retry: API clients get
503 with ``Retry-After`` and a code of its own, borrowers a page in their language."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, accept, apply
from tests.e2e.test_web_loans import accept_offer, client, engine_of, pay_form
from tests.e2e.test_web_pages import borrower
from thinfile.services.business_date import current_business_date
from thinfile.store.servicing_codec import to_day

__all__ = ["client"]  # the page tests' client fixture


def _close_of_business_starts(engine: sa.Engine) -> None:
    """What ``run_cob`` records first: today's run, not yet finished."""
    day = to_day(current_business_date(engine))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO servicing_cob_runs (business_day, status) VALUES (:d, 'running')"),
            {"d": day},
        )


def test_an_api_payment_during_close_of_business_gets_503_and_retry_after(
    api: TestClient, world: Any
) -> None:
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    _close_of_business_starts(api.app.state.context.engine)  # type: ignore[attr-defined]
    reply = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, "Idempotency-Key": "pay-during-cob-1"},
        json={"amount": "100.00"},
    )
    assert reply.status_code == 503, reply.text
    assert reply.headers["Retry-After"] == "60"
    body = reply.json()
    assert body["code"] == "close_of_business_running"
    assert body["details"]["retry_after_seconds"] == 60
    assert "thinfile cob run" not in reply.text  # nothing an API client cannot do


@pytest.mark.usefixtures("client")
def test_a_page_payment_during_close_of_business_says_so_in_the_readers_language(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower(client, 31)
    loan_id = accept_offer(client, monkeypatch)
    form = pay_form(client.get(f"/loans/{loan_id}").text)
    _close_of_business_starts(engine_of(client))
    reply = client.post(
        form["url"],
        data={k: form[k] for k in ("csrf_token", "amount", "idempotency_key")},
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "60"
    assert "日终批处理正在结账" in reply.text
    assert "thinfile cob run" not in reply.text
