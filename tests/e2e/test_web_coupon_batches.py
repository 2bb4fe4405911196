"""The console's interest-coupon batch page: underwriters see each batch with its coupons
issued, unused, redeemed and expired and its budget spent, and issue one to a borrower from
the form (a refusal named beside its field, nothing written); borrowers and servicing agents
cannot open it; both languages read."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import PASSWORD, borrower, build_app, post, seed
from tests.e2e.test_web_words_and_roles import english_words
from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms
from thinfile.http import AppContext
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services import interest_coupons as batches
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PAGE = "/console/coupon-batches"
ADMIN = Actor("admin-1", Role.ADMIN)


@pytest.fixture
def staff(tmp_path: Path) -> Iterator[TestClient]:
    """A client signed in as the seeded underwriter."""
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        signed = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        yield client


def _context(client: TestClient) -> AppContext:
    return client.app.state.context  # type: ignore[attr-defined,no-any-return]


def _batch(engine: Engine, limit: int = 1) -> str:
    """A batch of ×0.8 on the first 3 installments, budget 800.00."""
    return batches.create_coupon_batch(
        engine,
        ADMIN,
        batches.CouponBatchDraft(
            name="首贷利息八折券",
            terms=InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.8"), periods=3),
            valid_from=date(2026, 1, 1),
            valid_to=date(2099, 12, 31),
            per_borrower_limit=limit,
            budget=Money.of("800.00"),
        ),
    ).id


def _borrower_id(client: TestClient, n: int) -> str:
    context = _context(client)
    return identity.create_user(
        context.engine, context.hasher, email=f"cb{n}@example.com", password=PASSWORD
    ).id


def _issue(client: TestClient, **data: str):
    return post(client, f"{PAGE}/issues", data, form_page=PAGE)


def _coupons_of(client: TestClient, borrower_id: str) -> int:
    with UnitOfWork(_context(client).engine) as uow:
        return len(uow.promotions.coupons_of(borrower_id))


def test_an_underwriter_issues_a_coupon_and_the_list_counts_it(staff: TestClient) -> None:
    batch_id = _batch(_context(staff).engine)
    borrower_id = _borrower_id(staff, 1)
    done = _issue(staff, batch_id=batch_id, borrower_id=borrower_id, reference="welcome-1")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{PAGE}?done=one"
    assert _coupons_of(staff, borrower_id) == 1
    page = staff.get(f"{PAGE}?done=one", headers={"Accept-Language": "en"}).text
    assert "The coupon was issued." in page and "首贷利息八折券" in page
    row = page[page.index(batch_id) :]
    # issued 1, unused 1, redeemed 0, expired 0, nothing of the 800.00 spent
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:6]]
    assert cells == ["1", "1", "0", "0", "¥0.00 / ¥800.00"]
    zh = staff.get(PAGE, headers={"Accept-Language": "zh"}).text
    assert "利息券批次" in zh and "前3期利息8折" in zh and "已过期" in zh
    assert "interest ×0.8 on the first 3 installments" in page


def test_a_refusal_is_shown_beside_its_field_and_writes_nothing(staff: TestClient) -> None:
    batch_id = _batch(_context(staff).engine, limit=1)
    borrower_id = _borrower_id(staff, 2)
    assert _issue(staff, batch_id=batch_id, borrower_id=borrower_id).status_code == 303
    again = _issue(staff, batch_id=batch_id, borrower_id=borrower_id)
    assert again.status_code == 409
    assert 'id="e-borrower_id"' in again.text
    assert _coupons_of(staff, borrower_id) == 1
    nobody = _issue(staff, batch_id=batch_id, borrower_id="0" * 32)
    assert nobody.status_code == 404 and 'id="e-borrower_id"' in nobody.text
    empty = _issue(staff, batch_id=batch_id)
    assert empty.status_code == 422 and 'id="e-borrower_id"' in empty.text
    no_reference = _issue(staff, batch_id=batch_id, segment="delivery_rider")
    assert no_reference.status_code == 422 and 'id="e-reference"' in no_reference.text
    assert "借款人持有本批次的券已达上限" in again.text  # the page reads in Chinese by default
    left = {
        name: sorted(english_words(page.text))
        for name, page in (("list", staff.get(PAGE)), ("refused", again), ("empty", empty))
    }
    assert left == {"list": [], "refused": [], "empty": []}


def test_borrowers_and_servicing_agents_cannot_open_the_batch_page(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        borrower(client, 61)
        assert client.get(PAGE, follow_redirects=False).status_code == 403
        context: AppContext = app.state.context
        identity.create_user(
            context.engine,
            context.hasher,
            email="agent@lender.example",
            password=PASSWORD,
            role=Role.SERVICING_AGENT,
        )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        signed = post(client, "/sign-in", {"email": "agent@lender.example", "password": PASSWORD})
        assert signed.status_code == 303
        assert client.get(PAGE, follow_redirects=False).status_code == 403
        assert "/console/coupon-batches" not in client.get("/console/loans").text


def test_a_borrower_reads_an_expired_coupon_as_expired_in_both_languages(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seed(app, tmp_path)
        borrower(client, 62)
        context: AppContext = app.state.context
        engine = context.engine
        with UnitOfWork(engine) as uow:
            user_id = uow.users.active_by_email("b62@example.com")
        assert user_id is not None
        held = batches.issue_batch_coupon(engine, ADMIN, _batch(engine), user_id.id)
        used = batches.issue_batch_coupon(engine, ADMIN, _batch(engine), user_id.id)
        with engine.begin() as conn:  # as close of business leaves them
            conn.execute(
                sa.text("UPDATE interest_coupons SET status = 'expired' WHERE id = :i"),
                {"i": held.id},
            )
            conn.execute(
                sa.text("UPDATE interest_coupons SET status = 'redeemed' WHERE id = :i"),
                {"i": used.id},
            )
        en = client.get("/coupons", headers={"Accept-Language": "en"}).text
        zh = client.get("/coupons", headers={"Accept-Language": "zh"}).text
        for page, expired, redeemed in ((en, "Expired", "Already used"), (zh, "已过期", "已使用")):
            mine = page[page.index(f'id="coupon-{held.id}"') :].split("</li>")[0]
            theirs = page[page.index(f'id="coupon-{used.id}"') :].split("</li>")[0]
            assert f">{expired}</span>" in mine and f">{redeemed}</span>" in theirs
        assert "前3期利息8折" in zh and english_words(zh) == set()
        assert client.get("/console/coupon-batches", follow_redirects=False).status_code == 403
