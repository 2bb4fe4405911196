"""64 concurrent confirmations, each on its own thread and connection: a campaign's budget is
never overspent, a coupon is used by one order, a coupon's budget and a borrower's limit
cap issuing. On PostgreSQL the threads really race; on SQLite the writers are serialised
(``BEGIN IMMEDIATE``) and the same assertions hold."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.commerce_helpers import (
    DAY,
    STAFF,
    active_merchant,
    borrowers,
    campaign_draft,
    coupon_draft,
)
from tests.support.databases import fresh_database_url
from thinfile.errors import (
    CampaignBudgetExhaustedError,
    CouponBudgetExhaustedError,
    CouponUnavailableError,
)
from thinfile.money import Money
from thinfile.services import campaigns, coupons
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade

THREADS = 64


@pytest.fixture
def racing_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine whose pool lets all 64 threads hold a connection at once."""
    for url in fresh_database_url(backend, tmp_path):
        engine = make_engine(url, pool_size=THREADS // 2)
        upgrade(engine)
        yield engine
        engine.dispose()


def _race(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for i in 0..63 on 64 threads released together; each result is the
    value returned or the exception raised."""
    start = threading.Barrier(THREADS)

    def one(i: int) -> Any:
        start.wait()
        try:
            return work(i)
        except Exception as error:  # the typed refusal is the result
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def _kinds(results: list[Any]) -> Counter[str]:
    return Counter("ok" if not isinstance(r, Exception) else type(r).__name__ for r in results)


def _scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar() or 0)


def test_64_confirmations_never_overspend_a_campaign(racing_engine: Engine) -> None:
    engine = racing_engine
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(
        engine,
        STAFF,
        campaign_draft([merchant], budget="3050", warning_threshold="3000"),
    )

    def confirm(i: int) -> Any:
        with UnitOfWork(engine) as uow:
            done = campaigns.reserve_campaign_budget_in_unit(
                uow, made.id, Money.of("100"), f"order-{i}"
            )
            uow.commit()
        return done

    results = _race(confirm)
    # oracle: 3,050 yuan pays for 30 subsidies of 100 yuan; the other 34 are refused
    assert _kinds(results) == {"ok": 30, CampaignBudgetExhaustedError.__name__: 34}
    # the 30th reservation (3,000 yuan) reaches the threshold: exactly one says so
    assert sum(r.crossed_warning for r in results if not isinstance(r, Exception)) == 1
    assert _scalar(engine, "SELECT spent_fen FROM campaigns") == 300_000
    assert _scalar(engine, "SELECT COUNT(*) FROM campaign_budget_uses") == 30
    assert _scalar(engine, "SELECT SUM(amount_fen) FROM campaign_budget_uses") == 300_000
    record = campaigns.get_campaign(engine, made.id)
    assert record.remaining == Money.of("50") and record.warned_at is not None


def test_64_confirmations_under_one_reference_reserve_once(racing_engine: Engine) -> None:
    engine = racing_engine
    merchant = active_merchant(engine)
    made = campaigns.create_campaign(engine, STAFF, campaign_draft([merchant]))

    def confirm(_: int) -> Any:
        with UnitOfWork(engine) as uow:
            done = campaigns.reserve_campaign_budget_in_unit(
                uow, made.id, Money.of("10"), "order-same"
            )
            uow.commit()
        return done

    results = _race(confirm)
    assert _kinds(results) == {"ok": THREADS}
    assert sum(not r.replayed for r in results) == 1
    assert _scalar(engine, "SELECT spent_fen FROM campaigns") == 1000


def test_64_checkouts_use_one_coupon_once(racing_engine: Engine) -> None:
    engine = racing_engine
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)

    def checkout(i: int) -> Any:
        with UnitOfWork(engine) as uow:
            done = coupons.redeem_coupon_in_unit(
                uow, held.id, alice, f"order-{i}", Money.of("1500"), DAY
            )
            uow.commit()
        return done

    results = _race(checkout)
    assert _kinds(results) == {"ok": 1, CouponUnavailableError.__name__: 63}
    assert _scalar(engine, "SELECT COUNT(*) FROM coupon_redemptions") == 1
    assert _scalar(engine, "SELECT redeemed_fen FROM coupons") == 10_000


def test_64_retries_of_one_order_redeem_once(racing_engine: Engine) -> None:
    engine = racing_engine
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft())
    held = coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY)

    def checkout(_: int) -> Any:
        with UnitOfWork(engine) as uow:
            done = coupons.redeem_coupon_in_unit(
                uow, held.id, alice, "order-retried", Money.of("1500"), DAY
            )
            uow.commit()
        return done

    results = _race(checkout)
    assert _kinds(results) == {"ok": THREADS}
    assert sum(not r.replayed for r in results) == 1
    assert _scalar(engine, "SELECT COUNT(*) FROM coupon_redemptions") == 1


def test_64_issues_stay_within_the_coupon_budget_and_the_borrowers_limit(
    racing_engine: Engine,
) -> None:
    engine = racing_engine
    people = borrowers(engine, THREADS // 2)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft(budget="2050", per_borrower_limit=3))

    def issue(i: int) -> Any:
        # two threads per borrower, so the limit and the budget are raced together
        return coupons.issue_coupon(engine, STAFF, coupon.id, people[i // 2], on=DAY)

    results = _race(issue)
    # oracle: 2,050 yuan pays for 20 coupons of 100 yuan
    assert _kinds(results) == {"ok": 20, CouponBudgetExhaustedError.__name__: 44}
    assert _scalar(engine, "SELECT issued_fen FROM coupons") == 200_000
    assert _scalar(engine, "SELECT COUNT(*) FROM borrower_coupons") == 20


def test_64_issues_to_one_borrower_stop_at_the_limit(racing_engine: Engine) -> None:
    engine = racing_engine
    [alice] = borrowers(engine, 1)
    coupon = coupons.create_coupon(engine, STAFF, coupon_draft(per_borrower_limit=3))

    results = _race(lambda _: coupons.issue_coupon(engine, STAFF, coupon.id, alice, on=DAY))
    assert _kinds(results) == {"ok": 3, CouponUnavailableError.__name__: 61}
    assert _scalar(engine, "SELECT COUNT(*) FROM borrower_coupons") == 3
    assert _scalar(engine, "SELECT issued_fen FROM coupons") == 30_000
