"""The unit of work: one database transaction per use case, committed once.

This is the one way a transaction is opened in thinfile, and only services open one::

    with UnitOfWork(engine) as uow:
        stored = uow.loans.get(loan_id, lock=True)
        …
        uow.audit.append(…)       # the audit row last
        uow.commit()

Leaving the block without ``commit`` rolls everything back, so a use case that raises writes
nothing, and a read-only use case simply never commits. The repositories (``uow.loans``,
``uow.applications`` …) run their statements on the unit's connection and never commit;
each is made the first time a use case asks for it.

A request carrying an access token checks, in the first unit of work it opens, that the
token's account is active and still at the token's version (:func:`defer_token_check`): one
indexed read on a connection the request takes anyway, instead of a connection and a
transaction of its own. A revoked token then stops at once, before any use case reads or
writes a row for it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar, overload

from sqlalchemy.engine import Connection, Engine

from thinfile.errors import AuthenticationError
from thinfile.store.applications_repo import ApplicationRepository, DenyListRepository
from thinfile.store.audit_repo import AuditRepository
from thinfile.store.campaigns_repo import CampaignRepository
from thinfile.store.checkout_repo import CheckoutRepository
from thinfile.store.cob_statements import CobRepository
from thinfile.store.collections_repo import CollectionsRepository
from thinfile.store.consents_repo import ConsentRepository
from thinfile.store.coupons_repo import CouponRepository
from thinfile.store.credit_lines_repo import CreditLineRepository
from thinfile.store.db import ping
from thinfile.store.delinquency_history_repo import DelinquencyHistoryRepository
from thinfile.store.disputes_repo import DisputeRepository
from thinfile.store.documents_repo import DocumentRepository
from thinfile.store.idempotency_repo import IdempotencyRepository
from thinfile.store.identity_repo import ApiKeyRepository, ApplicantRepository, UserRepository
from thinfile.store.journal_repo import LedgerRepository, TransactionRepository
from thinfile.store.limit_decisions_repo import LimitDecisionRepository
from thinfile.store.limits_repo import LimitRepository
from thinfile.store.merchants_repo import MerchantRepository
from thinfile.store.notifications_repo import NotificationRepository
from thinfile.store.payment_cards_repo import PaymentCardRepository
from thinfile.store.payment_intents_repo import PaymentIntentRepository
from thinfile.store.portfolio_queries import PortfolioQueries
from thinfile.store.products_repo import ProductRepository
from thinfile.store.promotions_repo import PromotionRepository
from thinfile.store.reconciliation_repo import ReconciliationRepository
from thinfile.store.registry_repo import ModelRepository, PolicyRepository
from thinfile.store.sales_repo import SalesRepository
from thinfile.store.servicing_repo import LoanRepository
from thinfile.store.settlements_repo import SettlementRepository
from thinfile.store.verification_repo import (
    RealNameRepository,
    SmsCodeRepository,
    UserPhoneRepository,
)
from thinfile.store.webhooks_repo import WebhookRepository
from thinfile.store.working_capital_repo import WorkingCapitalRepository
from thinfile.store.write_off_requests_repo import WriteOffRequestRepository

__all__ = ["TokenCheck", "UnitOfWork", "defer_token_check", "token_check_scope"]

R = TypeVar("R")


@dataclass(slots=True)
class TokenCheck:
    """A token's account and version, checked by the first unit of work of its request."""

    user_id: str
    version: int
    done: bool = False


_TOKEN_CHECK: ContextVar[TokenCheck | None] = ContextVar("thinfile_token_check", default=None)


def token_check_scope() -> ContextVar[TokenCheck | None]:
    """The context variable holding the request's pending check (reset per request)."""
    return _TOKEN_CHECK


def defer_token_check(user_id: str, version: int) -> TokenCheck:
    """Have the next unit of work opened in this context check the token (once)."""
    check = TokenCheck(user_id, version)
    _TOKEN_CHECK.set(check)
    return check


def check_token_on(uow: UnitOfWork, check: TokenCheck) -> None:
    """Refuse a token whose account is inactive or has raised its version since."""
    check.done = True
    if uow.users.token_version(check.user_id) != check.version:
        raise AuthenticationError("the access token has been revoked", remedy="sign in again")


class _Repository(Generic[R]):
    """A repository the unit of work builds on its connection the first time it is asked
    for, then keeps (the instance attribute hides this descriptor). Cheaper than
    ``functools.cached_property``, which takes a lock on every first access — and every
    request's unit of work is new."""

    def __init__(self, build: Callable[[Connection], R]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repository[R]: ...
    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: UnitOfWork | None, owner: type) -> R | _Repository[R]:
        if uow is None:
            return self
        repository = self._build(uow.conn)
        uow.__dict__[self._name] = repository
        return repository


class UnitOfWork:
    """A connection in a transaction, with the repositories bound to it."""

    conn: Connection
    loans: LoanRepository

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
        self.loans = LoanRepository(self.conn)
        check = _TOKEN_CHECK.get()
        if check is not None and not check.done:
            try:
                check_token_on(self, check)
            except BaseException:
                self.conn.rollback()
                self.conn.close()
                raise
        return self

    def commit(self) -> None:
        self.conn.commit()
        self._committed = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def ping(self) -> None:
        """One round trip to the database; raises when it does not answer."""
        ping(self.conn)

    # decisioning and identity
    applications = _Repository(ApplicationRepository)
    deny_list = _Repository(DenyListRepository)
    policies = _Repository(PolicyRepository)
    models = _Repository(ModelRepository)
    users = _Repository(UserRepository)
    api_keys = _Repository(ApiKeyRepository)
    applicants = _Repository(ApplicantRepository)
    consents = _Repository(ConsentRepository)
    audit = _Repository(AuditRepository)
    idempotency = _Repository(IdempotencyRepository)
    sms_codes = _Repository(SmsCodeRepository)
    user_phones = _Repository(UserPhoneRepository)
    real_names = _Repository(RealNameRepository)
    # servicing (``loans`` is made when the unit opens: nearly every use case needs it)
    credit_lines = _Repository(CreditLineRepository)
    transactions = _Repository(TransactionRepository)
    ledger = _Repository(LedgerRepository)
    cob = _Repository(CobRepository)
    portfolio = _Repository(PortfolioQueries)
    write_off_requests = _Repository(WriteOffRequestRepository)
    delinquency_history = _Repository(DelinquencyHistoryRepository)
    collections = _Repository(CollectionsRepository)
    working_capital = _Repository(WorkingCapitalRepository)
    # limit management
    limits = _Repository(LimitRepository)
    limit_decisions = _Repository(LimitDecisionRepository)
    # preferential programmes' budgets and interest coupons
    promotions = _Repository(PromotionRepository)
    # commerce
    merchants = _Repository(MerchantRepository)
    webhooks = _Repository(WebhookRepository)
    checkouts = _Repository(CheckoutRepository)
    campaigns = _Repository(CampaignRepository)
    coupons = _Repository(CouponRepository)
    settlements = _Repository(SettlementRepository)
    disputes = _Repository(DisputeRepository)
    products = _Repository(ProductRepository)
    # payment rails
    payment_cards = _Repository(PaymentCardRepository)
    # the borrower's signed documents
    documents = _Repository(DocumentRepository)
    payment_intents = _Repository(PaymentIntentRepository)
    reconciliations = _Repository(ReconciliationRepository)
    # the merchant-sales feed and working-capital decisions
    sales = _Repository(SalesRepository)
    # borrower communications
    notifications = _Repository(NotificationRepository)
