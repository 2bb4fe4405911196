"""The console's payment reconciliation: servicing staff read a date's report, see its breaks
named in words, and resolve one with a reason (a reason too short is named beside the form);
an underwriter reads but cannot resolve; the pages read in Chinese."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import PASSWORD, build_app, post, seed
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.reconciliation import reconcile_payments

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

DAY = date(2026, 11, 30)
HEADER = "gateway_txn_id,request_id,kind,status,amount_fen,failure,original_txn_id,completed_at"
NOON = datetime(2026, 11, 30, 4, tzinfo=UTC).isoformat()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[TestClient, AppContext]]:
    """A reconciled date with one unknown debit, and a servicing agent signed in."""
    app = build_app(tmp_path)
    context: AppContext = app.state.context
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        identity.create_user(
            context.engine,
            context.hasher,
            email="agent@lender.example",
            password=PASSWORD,
            role=Role.SERVICING_AGENT,
        )
        data = f"{HEADER}\ngw_stray_1,nobody,debit,succeeded,12345,,,{NOON}\n".encode()
        reconcile_payments(context.engine, DAY, data, actor="system")
        signed = post(client, "/sign-in", {"email": "agent@lender.example", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        yield client, context


def test_an_agent_resolves_a_break_with_a_reason(console: tuple[TestClient, AppContext]) -> None:
    client, _ = console
    form = "/console/reconciliations/2026-11-30"
    zh = client.get(form)  # Chinese first
    assert "支付对账" in zh.text and "账务中无此交易" in zh.text
    english = post(client, "/language", {"lang": "en", "next": form}, form_page=form)
    assert english.status_code == 303
    listed = client.get("/console/reconciliations")
    assert listed.status_code == 200 and "/console/reconciliations/2026-11-30" in listed.text
    page = client.get("/console/reconciliations/2026-11-30")
    assert page.status_code == 200, page.text
    assert "Unknown to the books" in page.text and "¥123.45" in page.text
    assert "Open breaks: 1" in page.text

    action = "/console/reconciliations/2026-11-30/breaks/1/resolution"
    short = post(client, action, {"reason": "ok"}, form_page=form)
    assert short.status_code == 422 and 'class="error"' in short.text, short.text
    done = post(client, action, {"reason": "a provider's test debit"}, form_page=form)
    assert done.status_code == 303, done.text
    after = client.get(str(done.headers["location"]))
    assert "The break is resolved." in after.text and "provider&#39;s test debit" in after.text
    assert "Open breaks: 0" in after.text and '<form method="post" action="/console/rec' not in (
        after.text
    )
    resolver = '<span class="resolved-by">agent@lender.example</span>'
    assert resolver in after.text and "servicing_agent:" not in after.text  # a person, not an id


def test_an_underwriter_reads_but_cannot_resolve(
    console: tuple[TestClient, AppContext],
) -> None:
    client, _ = console
    client.cookies.clear()
    signed = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
    assert signed.status_code == 303
    page = client.get("/console/reconciliations/2026-11-30")
    assert page.status_code == 200 and "breaks/1/resolution" not in page.text
    refused = post(
        client,
        "/console/reconciliations/2026-11-30/breaks/1/resolution",
        {"reason": "not mine to resolve"},
        form_page="/console/reconciliations/2026-11-30",
    )
    assert refused.status_code == 403, refused.text
