"""Programme budgets and interest coupons through the services, on SQLite and PostgreSQL: the
coupon's schedule is what the loan books and its cost is marketing expense in a balanced
ledger; a spent budget refuses the programme's price and the offer falls back to the standard
price, stated in its reasons; 32 bookings at once never overspend a budget nor use a coupon
twice."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.databases import fresh_database_url
from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.decisioning.interest_coupons import CouponKind, InterestCouponTerms
from thinfile.errors import (
    CouponUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    ProgrammeBudgetExhaustedError,
)
from thinfile.loanmath import (
    LoanTerms,
    RepaymentMethod,
    annualized_rate,
    build_schedule,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, identity, promotions, real_name
from thinfile.services import applications as apps
from thinfile.services.identity_records import Actor
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import get_loan
from thinfile.services.policies import DecisionRuntime, ensure_default_policy
from thinfile.services.promotions import OfferPrice
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade

STAFF = Actor("staff-1", Role.ADMIN)
THREADS = 32
RUNTIME = DecisionRuntime(PolicyBook(load_policy()), ChosenPD(0.01), ("test",))


def _borrower(engine: Engine, cipher: PiiCipher, n: int) -> tuple[Actor, str]:
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(
        engine, hasher, email=f"rider{n}@example.com", password="pw-123456!"
    )
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine,
        cipher,
        actor=actor,
        name="王小明",
        id_number=id_number(seq=f"{n:03d}"),
        phone=f"1380013{n:04d}",
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    return actor, profile.id


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, PiiCipher]:
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    ensure_default_policy(engine, actor=STAFF)
    return engine, cipher


def _approved(world: tuple[Engine, PiiCipher], n: int) -> tuple[Actor, apps.ApplicationRecord]:
    engine, cipher = world
    actor, applicant_id = _borrower(engine, cipher, n)
    form = application()
    for field in ("name", "id_number", "phone", "applicant_id"):
        form.pop(field, None)
    record = apps.apply_for_credit(
        engine,
        cipher,
        RUNTIME,
        actor=actor,
        applicant_id=applicant_id,
        form=form,
        on=DECIDED_ON,
        consents_recorded=False,
    )
    assert record.status == "approved"
    return actor, record


def _first_offer(record: apps.ApplicationRecord) -> dict[str, Any]:
    offers: list[dict[str, Any]] = record.decision["offers"]  # type: ignore[assignment]
    return offers[0]


def _accept(engine: Engine, actor: Actor, record: Any, **kw: Any) -> apps.AcceptedOffer:
    return apps.accept_offer(
        engine,
        record.id,
        actor=actor,
        offer=0,
        seconds_read=12,
        confirmed=True,
        on=DECIDED_ON,
        **kw,
    )


def _coupon(engine: Engine, actor: Actor, terms: InterestCouponTerms) -> str:
    return promotions.issue_interest_coupon(
        engine,
        actor=STAFF,
        borrower_id=actor.user_id,
        name="30天免息券",
        terms=terms,
        valid_from=DECIDED_ON,
        valid_to=date(2026, 12, 31),
    ).id


def _scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar() or 0)


def test_a_coupon_lowers_what_is_signed_and_its_cost_is_marketing_expense(world):
    engine, _cipher = world
    actor, record = _approved(world, 1)
    coupon = _coupon(engine, actor, InterestCouponTerms(CouponKind.FREE_DAYS, days=30))
    plain = apps.quote_offer(engine, record.id, actor=actor, offer=0, on=DECIDED_ON)
    quoted = apps.quote_offer(
        engine, record.id, actor=actor, offer=0, on=DECIDED_ON, coupon_id=coupon
    )
    first = plain.schedule.installments[0]
    assert quoted.coupon_value == first.interest + first.fee > 0  # the first month is 30 days
    assert quoted.annualized.nominal < plain.annualized.nominal
    assert quoted.statement.total_cost == plain.statement.total_cost - quoted.coupon_value
    accepted = _accept(engine, actor, record, coupon_id=coupon)
    booked = get_loan(engine, accepted.loan_id).account.installments
    assert [r.interest_due + r.fee_due for r in booked] == [
        i.interest + i.fee for i in quoted.schedule.installments
    ]
    marketing = _scalar(
        engine,
        "SELECT sum(l.amount) FROM servicing_journal_lines l "
        "JOIN servicing_journal_entries e ON e.id = l.entry_id "
        "WHERE l.account = 'marketing_expense' AND e.memo = :m",
        m=f"interest-coupon:{coupon}",
    )
    assert marketing == quoted.coupon_value
    report = verify_ledger(engine)
    assert report.ok, report.problems
    # used once: a second offer cannot take it, and a stranger cannot see it
    other_actor, other = _approved(world, 2)
    with pytest.raises(NotFoundError):
        apps.quote_offer(
            engine, other.id, actor=other_actor, offer=0, on=DECIDED_ON, coupon_id=coupon
        )
    with UnitOfWork(engine) as uow:
        stored = uow.promotions.coupon(coupon)
    assert stored is not None and stored.status == "redeemed"
    assert stored.loan_id == accepted.loan_id and stored.value_fen == quoted.coupon_value


def test_a_spent_coupon_or_one_out_of_its_window_is_refused_and_nothing_is_written(world):
    engine, _cipher = world
    actor, record = _approved(world, 3)
    late = promotions.issue_interest_coupon(
        engine,
        actor=STAFF,
        borrower_id=actor.user_id,
        name="late",
        terms=InterestCouponTerms(CouponKind.RATE_DISCOUNT, factor=Decimal("0.8"), periods=3),
        valid_from=date(2027, 1, 1),
        valid_to=date(2027, 2, 1),
    )
    loans = _scalar(engine, "SELECT count(*) FROM servicing_loans")
    with pytest.raises(CouponUnavailableError) as refused:
        _accept(engine, actor, record, coupon_id=late.id)
    assert refused.value.field == "coupon_id"
    assert _scalar(engine, "SELECT count(*) FROM servicing_loans") == loans
    with pytest.raises(PermissionDeniedError):
        promotions.issue_interest_coupon(
            engine,
            actor=actor,
            borrower_id=actor.user_id,
            name="self-issued",
            terms=InterestCouponTerms(CouponKind.FREE_DAYS, days=7),
            valid_from=DECIDED_ON,
            valid_to=DECIDED_ON,
        )


def test_a_spent_budget_falls_back_to_the_standard_price_stated_in_the_reasons(world):
    engine, _cipher = world
    actor, record = _approved(world, 4)
    offer = _first_offer(record)
    programme = offer["programme"]
    code = programme["code"]
    first = apps.quote_offer(engine, record.id, actor=actor, offer=0, on=DECIDED_ON)
    assert first.programme == code and first.programme_discount > 0
    promotions.set_programme_budget(engine, code, Money(first.programme_discount), actor=STAFF)
    _accept(engine, actor, record)
    assert _scalar(engine, "SELECT spent_fen FROM programme_budgets") == first.programme_discount

    actor2, record2 = _approved(world, 5)
    fallback = apps.quote_offer(engine, record2.id, actor=actor2, offer=0, on=DECIDED_ON)
    assert fallback.reasons == (promotions.PROGRAMME_BUDGET_EXHAUSTED,)
    assert fallback.programme is None and fallback.programme_discount == 0
    before = _first_offer(record2)["programme"]
    assert str(getattr(fallback.terms, before["price_kind"])) == before["price_before"]
    assert str(fallback.annualized.nominal) == before["annualized_before"]["nominal"]
    loans = _scalar(engine, "SELECT count(*) FROM servicing_loans")
    with pytest.raises(ProgrammeBudgetExhaustedError) as refused:
        _accept(engine, actor2, record2)
    assert refused.value.field == "programme" and refused.value.value == code
    assert _scalar(engine, "SELECT count(*) FROM servicing_loans") == loans
    accepted = _accept(engine, actor2, record2, standard_price=True)
    assert getattr(accepted.terms, before["price_kind"]) == Decimal(before["price_before"])
    assert _scalar(engine, "SELECT spent_fen FROM programme_budgets") == first.programme_discount
    assert _scalar(engine, "SELECT count(*) FROM programme_uses") == 1
    assert verify_ledger(engine).ok


def test_a_programme_discount_is_the_cost_at_the_standard_price_less_the_programmes(world):
    """The discount booked against the budget, by an oracle: the schedule's interest and fees
    at the price before the discount (waived fee charged) less those at the offered price."""
    engine, _cipher = world
    actor, record = _approved(world, 6)
    offer = _first_offer(record)
    standard = apps.quote_offer(
        engine, record.id, actor=actor, offer=0, on=DECIDED_ON, standard_price=True
    )
    priced = apps.quote_offer(engine, record.id, actor=actor, offer=0, on=DECIDED_ON)

    def cost(quote: OfferPrice) -> int:
        s = quote.schedule
        return sum(i.interest + i.fee for i in s.installments) + quote.terms.upfront_fee.fen

    assert priced.programme_discount == cost(standard) - cost(priced) > 0
    assert Money.of(offer["total_cost"]).fen == cost(priced)


@pytest.fixture
def racing_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    for url in fresh_database_url(backend, tmp_path):
        engine = make_engine(url, pool_size=THREADS // 2)
        upgrade(engine)
        yield engine
        engine.dispose()


def _race(work: Callable[[int], Any]) -> list[Any]:
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


def _price(code: str | None, discount: int, coupon: str | None, value: int) -> OfferPrice:
    """A priced offer as the acceptance hands it to the booking."""
    method = RepaymentMethod.EQUAL_INSTALLMENT
    schedule = build_schedule(LoanTerms(Money.of("5000"), Decimal("0.12"), 6, method, DECIDED_ON))
    rate = annualized_rate(schedule)
    statement = cost_statement(schedule, default_terms=standard_default_terms(method))
    return OfferPrice(schedule.terms, schedule, rate, statement, code, discount, coupon, value)


def test_32_bookings_at_once_never_overspend_a_programme_budget(racing_engine):
    engine = racing_engine
    promotions.set_programme_budget(engine, "NEW_CITIZEN", Money(10 * 4321), actor=STAFF)
    price = _price("NEW_CITIZEN", 4321, None, 0)

    def book(i: int) -> None:
        with UnitOfWork(engine) as uow:
            promotions.book_promotions_in_unit(
                uow, price, application_id=f"app{i}", loan_id=1000 + i, on=DECIDED_ON
            )
            uow.commit()

    kinds = _kinds(_race(book))
    assert kinds == Counter({"ok": 10, "ProgrammeBudgetExhaustedError": THREADS - 10})
    assert _scalar(engine, "SELECT spent_fen FROM programme_budgets") == 10 * 4321
    assert _scalar(engine, "SELECT sum(amount_fen) FROM programme_uses") == 10 * 4321


def test_32_bookings_at_once_redeem_a_coupon_once(racing_engine):
    engine = racing_engine
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="c@example.com", password="pw-123456!")
    coupon = promotions.issue_interest_coupon(
        engine,
        actor=STAFF,
        borrower_id=user.id,
        name="7天免息券",
        terms=InterestCouponTerms(CouponKind.FREE_DAYS, days=7),
        valid_from=DECIDED_ON,
        valid_to=DECIDED_ON,
    ).id
    price = _price(None, 0, coupon, 1234)

    def book(i: int) -> None:
        with UnitOfWork(engine) as uow:
            promotions.book_promotions_in_unit(
                uow, price, application_id=f"app{i}", loan_id=2000 + i, on=DECIDED_ON
            )
            uow.commit()

    kinds = _kinds(_race(book))
    assert kinds == Counter({"ok": 1, "CouponUnavailableError": THREADS - 1})
    assert (
        _scalar(
            engine,
            "SELECT count(*) FROM servicing_journal_entries WHERE memo = :m",
            m=f"interest-coupon:{coupon}",
        )
        == 1
    )
