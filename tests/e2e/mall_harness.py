"""Builders of the mall page tests: an app on either database with the sample shops, a
merchant account of a shop signed in on the pages, and the money worked out here, apart
from the code under test."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.test_web_pages import PASSWORD, build_app, post, seed, web_settings
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity, merchants
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import SYSTEM
from thinfile.services.mall_seed import SeededShop, seed_mall
from thinfile.services.uow import UnitOfWork

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = [
    "TestClient",
    "annual_rate",
    "fee_plan",
    "interest_free",
    "mall_app",
    "merchant_account",
    "read_for",
    "sign_in",
    "stock",
    "yuan",
]


def mall_app(tmp_path: Path, database_url: str) -> FastAPI:
    return build_app(tmp_path, settings=web_settings(tmp_path, database_url=database_url))


def stock(app: FastAPI, tmp_path: Path) -> list[SeededShop]:
    """The shop's world: policy, model, underwriter and the sample shops."""
    seed(app, tmp_path)
    context: AppContext = app.state.context
    on = current_business_date(context.engine)
    return seed_mall(context.engine, context.cipher, SYSTEM, on=on)


def merchant_account(app: FastAPI, merchant_id: str, email: str) -> None:
    context: AppContext = app.state.context
    user = identity.create_user(
        context.engine, context.hasher, email=email, password=PASSWORD, role=Role.MERCHANT
    )
    with UnitOfWork(context.engine) as uow:
        _, audit = merchants.add_user_in_unit(uow, SYSTEM, merchant_id, user.id)
        audit.append(uow)
        uow.commit()


def sign_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    reply = post(client, "/sign-in", {"email": email, "password": PASSWORD})
    assert reply.status_code == 303, reply.text
    return str(reply.headers["location"])


def read_for(app: FastAPI, session_id: str, seconds: int = 60) -> None:
    """Move the moment the plans were shown ``seconds`` into the past (tests do not wait)."""
    context: AppContext = app.state.context
    with context.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE checkout_sessions SET plans_shown_at = :t WHERE id = :i"),
            {"t": datetime.now(UTC) - timedelta(seconds=seconds), "i": session_id},
        )


def yuan(fen: int) -> str:
    """``¥12,000.00``, as the pages write it."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def interest_free(price_fen: int, periods: int) -> list[int]:
    """Equal installments of the price, the last taking what the rounding leaves."""
    each = (Decimal(price_fen) / periods).quantize(Decimal(1))
    return [int(each)] * (periods - 1) + [price_fen - int(each) * (periods - 1)]


def fee_plan(price_fen: int, periods: int, monthly_fee: Decimal) -> tuple[list[int], int]:
    """Installments of principal plus a flat monthly fee on the amount; the total fee."""
    fee = int((Decimal(price_fen) * monthly_fee).quantize(Decimal(1)))
    principal = interest_free(price_fen, periods)
    return [p + fee for p in principal], fee * periods


def annual_rate(amount_fen: int, payments: list[int]) -> Decimal:
    """The nominal annual rate (12 × the monthly IRR) by bisection, to 4 decimals."""
    low, high = Decimal(0), Decimal(1)
    for _ in range(80):
        mid = (low + high) / 2
        value = sum(Decimal(p) / (1 + mid) ** (n + 1) for n, p in enumerate(payments))
        low, high = (mid, high) if value > amount_fen else (low, mid)
    return (low * 12).quantize(Decimal("0.0001"))
