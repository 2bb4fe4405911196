"""A mall app on either database with the sample shops, and an account (with an API key)
for two of them: what the product management tests start from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fastapi import FastAPI

from tests.e2e.mall_harness import TestClient, mall_app, stock
from tests.e2e.test_web_pages import PASSWORD
from thinfile.commerce import MerchantCategory
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity, merchants
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.mall_seed import SeededShop
from thinfile.services.uow import UnitOfWork

__all__ = ["Shop", "Shops", "context_of", "shops"]


@dataclass(frozen=True, slots=True)
class Shop:
    seeded: SeededShop
    actor: Actor
    email: str
    api_key: str


@dataclass(frozen=True, slots=True)
class Shops:
    client: TestClient
    bikes: Shop
    phones: Shop


def context_of(client: TestClient) -> AppContext:
    context: AppContext = cast(FastAPI, client.app).state.context
    return context


def _account(context: AppContext, seeded: SeededShop, email: str) -> Shop:
    user = identity.create_user(
        context.engine, context.hasher, email=email, password=PASSWORD, role=Role.MERCHANT
    )
    with UnitOfWork(context.engine) as uow:
        _, audit = merchants.add_user_in_unit(uow, SYSTEM, seeded.merchant_id, user.id)
        audit.append(uow)
        uow.commit()
    _, key = identity.create_api_key(context.engine, user_id=user.id, name="products", actor=SYSTEM)
    return Shop(seeded, Actor(user.id, Role.MERCHANT), email, key.secret)


def shops(tmp_path: Path, database_url: str) -> Iterator[Shops]:
    app = mall_app(tmp_path, database_url)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        seeded = stock(app, tmp_path)
        context = context_of(client)
        by = {s.category: s for s in seeded}
        bikes = _account(context, by[MerchantCategory.E_BIKES], "bikes@example.com")
        phones = _account(context, by[MerchantCategory.PHONES_ELECTRONICS], "phones@example.com")
        yield Shops(client, bikes, phones)
