"""Merchant onboarding (商户入驻): staff create, activate and suspend merchants, set their
contracts, link the users who act for them and issue their API keys; a merchant user reads
its own merchant.

State changes come in an in-unit form (``…_in_unit(uow, …) -> (result, AuditDraft)``) that
:func:`thinfile.services.idempotency.run_once` runs with the request's idempotency key, so the
change, the stored response and the audit row commit together. The rules are the domain's
(:mod:`thinfile.commerce`): the credit code's check characters, the contract's terms, the
statuses. The settlement account number and the contact's phone are sealed with the PII
cipher before they reach a table; every record this module returns shows them masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.commerce import (
    MerchantContract,
    MerchantStatus,
    TermPricing,
    UnearnedSubsidy,
    activated,
    mask_account_number,
    settlement_account_number,
    validate_credit_code,
)
from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    MerchantExistsError,
    NotFoundError,
)
from thinfile.money import parse_rate
from thinfile.resident_id import validate_mobile
from thinfile.security.apikeys import new_api_key
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_phone
from thinfile.security.roles import Role
from thinfile.services.audit import AuditDraft, in_own_unit, record_audit
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.merchant_records import (
    ContractRecord,
    MerchantApiKey,
    MerchantDraft,
    MerchantRecord,
    TermDraft,
    contract_record,
    merchant_record,
)
from thinfile.services.uow import UnitOfWork
from thinfile.store.merchants_repo import StoredMerchant, StoredTerm
from thinfile.text import has_hidden, normalize, person_name

__all__ = [
    "activate",
    "activate_in_unit",
    "add_user_in_unit",
    "current_contract",
    "get_merchant",
    "issue_api_key",
    "list_merchants",
    "merchant_of_user",
    "onboard",
    "onboard_in_unit",
    "set_contract_in_unit",
    "suspend",
    "suspend_in_unit",
    "users_of_merchant",
]


def _existing(uow: UnitOfWork, merchant_id: str, *, lock: bool = False) -> StoredMerchant:
    row = uow.merchants.get(merchant_id, lock=lock)
    if row is None:
        raise NotFoundError("no such merchant", field="merchant_id", value=merchant_id)
    return row


def _in(uow: UnitOfWork, merchant_id: str) -> MerchantRecord:
    return merchant_record(_existing(uow, merchant_id), uow.merchants.latest_version(merchant_id))


def _exists(credit_code: str) -> MerchantExistsError:
    return MerchantExistsError(
        "a merchant with this unified social credit code is onboarded already",
        field="credit_code",
        value=credit_code,
        remedy="find the merchant in the list of merchants",
    )


def _required(text: str, field: str, longest: int) -> str:
    """Text a merchant is known by, normalised: 1 to ``longest`` characters, none of them
    control or formatting characters."""
    value = " ".join(normalize(text).split())
    if not value or len(value) > longest or has_hidden(value):
        raise InvalidInputError(
            f"{field} must be 1 to {longest} characters", field=field, value=text
        )
    return value


def onboard_in_unit(
    uow: UnitOfWork, cipher: PiiCipher, actor: Actor, draft: MerchantDraft
) -> tuple[MerchantRecord, AuditDraft]:
    """A new merchant, ``pending``: its credit code checked (GB 32100), its account number
    and contact phone sealed; one merchant per credit code (409 otherwise)."""
    code = validate_credit_code(draft.credit_code)
    account = settlement_account_number(draft.settlement_account)
    phone = validate_mobile(draft.contact_phone, field="contact_phone")
    legal_name = _required(draft.legal_name, "legal_name", 200)
    bank = _required(draft.settlement_bank, "settlement_bank", 100)
    contact = person_name(draft.contact_name, field="contact_name")
    merchant_id, at = new_id(), now_utc()
    with duplicate_is_conflict(lambda: _exists(code)):
        if uow.merchants.has_credit_code(code):
            raise _exists(code)
        uow.merchants.add(
            {
                "id": merchant_id,
                "legal_name": legal_name,
                "credit_code": code,
                "category": draft.category.value,
                "settlement_bank": bank,
                "settlement_account_enc": cipher.encrypt(
                    account, context=f"merchant:{merchant_id}:settlement_account"
                ),
                "settlement_account_masked": mask_account_number(account),
                "contact_name": contact,
                "contact_phone_enc": cipher.encrypt(
                    phone, context=f"merchant:{merchant_id}:contact_phone"
                ),
                "contact_phone_masked": mask_phone(phone),
                "key_id": cipher.active_key_id,
                "status": MerchantStatus.PENDING.value,
                "created_at": at,
                "updated_at": at,
            }
        )
    audit = AuditDraft(
        actor.label, "merchant.onboard", f"merchant:{merchant_id}", {"credit_code": code}
    )
    return _in(uow, merchant_id), audit


def _changed(
    uow: UnitOfWork, actor: Actor, merchant_id: str, status: MerchantStatus, was: MerchantStatus
) -> tuple[MerchantRecord, AuditDraft]:
    if status is not was:
        uow.merchants.set_status(merchant_id, status.value, at=now_utc())
    details = {"from": was.value, "to": status.value}
    audit = AuditDraft(actor.label, f"merchant.{status.value}", f"merchant:{merchant_id}", details)
    return _in(uow, merchant_id), audit


def activate_in_unit(
    uow: UnitOfWork, actor: Actor, merchant_id: str
) -> tuple[MerchantRecord, AuditDraft]:
    """Activate a merchant that has a contract; an active one stays as it is."""
    was = MerchantStatus(_existing(uow, merchant_id, lock=True).status)
    status = activated(was, has_contract=uow.merchants.latest_version(merchant_id) > 0)
    return _changed(uow, actor, merchant_id, status, was)


def suspend_in_unit(
    uow: UnitOfWork, actor: Actor, merchant_id: str
) -> tuple[MerchantRecord, AuditDraft]:
    """Suspend a merchant; a suspended one stays as it is."""
    was = MerchantStatus(_existing(uow, merchant_id, lock=True).status)
    return _changed(uow, actor, merchant_id, MerchantStatus.SUSPENDED, was)


def _pricing(terms: Sequence[TermDraft]) -> tuple[TermPricing, ...]:
    return tuple(
        TermPricing(
            t.periods,
            parse_rate(t.subsidy_rate, field=f"terms[{i}].subsidy_rate"),
            parse_rate(t.monthly_fee_rate, field=f"terms[{i}].monthly_fee_rate"),
        )
        for i, t in enumerate(terms)
    )


def set_contract_in_unit(
    uow: UnitOfWork,
    actor: Actor,
    merchant_id: str,
    terms: Sequence[TermDraft],
    *,
    unearned_subsidy: UnearnedSubsidy,
    settlement_days: int,
    effective_from: date,
) -> tuple[ContractRecord, AuditDraft]:
    """Set or replace the merchant's contract: a new version, validated by the domain."""
    contract = MerchantContract(
        _pricing(terms), unearned_subsidy=unearned_subsidy, settlement_days=settlement_days
    )
    _existing(uow, merchant_id, lock=True)  # versions of one merchant are made one at a time
    version = uow.merchants.latest_version(merchant_id) + 1
    created = now_utc()
    uow.merchants.add_contract(
        {
            "merchant_id": merchant_id,
            "version": version,
            "unearned_subsidy": contract.unearned_subsidy.value,
            "settlement_days": contract.settlement_days,
            "rounding": contract.rounding.value,
            "effective_from": effective_from,
            "created_at": created,
            "created_by": actor.label,
        },
        [
            StoredTerm(t.periods, str(t.subsidy_rate), str(t.monthly_fee_rate))
            for t in contract.terms
        ],
    )
    audit = AuditDraft(
        actor.label,
        "merchant.contract",
        f"merchant:{merchant_id}",
        {"version": version, "terms": list(contract.offered_terms)},
    )
    return ContractRecord(merchant_id, version, contract, effective_from, created), audit


def _user_taken(user_id: str) -> ConflictError:
    return ConflictError("this account acts for a merchant already", field="user_id", value=user_id)


def add_user_in_unit(
    uow: UnitOfWork, actor: Actor, merchant_id: str, user_id: str
) -> tuple[list[str], AuditDraft]:
    """Let the merchant account ``user_id`` act for the merchant; the merchant's user ids."""
    _existing(uow, merchant_id)
    user = uow.users.get(user_id)
    if user is None or not user.is_active:
        raise NotFoundError("no such active account", field="user_id", value=user_id)
    if user.role != Role.MERCHANT.value:
        raise InvalidInputError(
            f"a {user.role} account cannot act for a merchant",
            field="user_id",
            value=user_id,
            remedy="create an account with the merchant role for it",
        )
    with duplicate_is_conflict(lambda: _user_taken(user_id)):
        if uow.merchants.merchant_of_user(user_id) is not None:
            raise _user_taken(user_id)
        uow.merchants.add_user(
            {"user_id": user_id, "merchant_id": merchant_id, "created_at": now_utc()}
        )
    audit = AuditDraft(
        actor.label, "merchant.add_user", f"merchant:{merchant_id}", {"user_id": user_id}
    )
    return uow.merchants.user_ids(merchant_id), audit


def users_of_merchant(uow: UnitOfWork, merchant_id: str) -> frozenset[str] | None:
    """The users acting for ``merchant_id`` (its owners), or None when there is no merchant."""
    if uow.merchants.get(merchant_id) is None:
        return None
    return frozenset(uow.merchants.user_ids(merchant_id))


def issue_api_key(
    engine: Engine, actor: Actor, merchant_id: str, *, user_id: str, name: str
) -> MerchantApiKey:
    """A new API key for one of the merchant's users; the secret is returned here only."""
    key, key_id = new_api_key(), new_id()
    with UnitOfWork(engine) as uow:
        _existing(uow, merchant_id)
        if uow.merchants.merchant_of_user(user_id) != merchant_id:
            raise NotFoundError(
                "no such user of this merchant",
                field="user_id",
                value=user_id,
                remedy="add the account to the merchant first (POST …/users)",
            )
        uow.api_keys.add(
            {
                "id": key_id,
                "user_id": user_id,
                "name": _required(name, "name", 100),
                "prefix": key.prefix,
                "key_hash": key.digest,
                "created_at": now_utc(),
            }
        )
        record_audit(
            uow,
            actor.label,
            "merchant.create_api_key",
            f"merchant:{merchant_id}",
            {"api_key": key_id, "user_id": user_id, "prefix": key.prefix},
        )
        uow.commit()
    return MerchantApiKey(key_id, merchant_id, user_id, name, key)


def get_merchant(engine: Engine, merchant_id: str) -> MerchantRecord:
    with UnitOfWork(engine) as uow:
        return _in(uow, merchant_id)


def list_merchants(
    engine: Engine, *, limit: int, offset: int, status: MerchantStatus | None = None
) -> list[MerchantRecord]:
    """A page of merchants, oldest first, optionally of one status."""
    with UnitOfWork(engine) as uow:
        rows = uow.merchants.page(
            limit=limit, offset=offset, status=None if status is None else status.value
        )
        return [merchant_record(row, uow.merchants.latest_version(row.id)) for row in rows]


def current_contract(engine: Engine, merchant_id: str) -> ContractRecord | None:
    """The merchant's newest contract version; None when it has none yet."""
    with UnitOfWork(engine) as uow:
        _existing(uow, merchant_id)
        row = uow.merchants.contract(merchant_id, uow.merchants.latest_version(merchant_id))
    return None if row is None else contract_record(row)


def merchant_of_user(engine: Engine, actor: Actor) -> tuple[MerchantRecord, ContractRecord | None]:
    """The merchant ``actor`` acts for, and its current contract."""
    with UnitOfWork(engine) as uow:
        merchant_id = uow.merchants.merchant_of_user(actor.user_id)
        if merchant_id is None:
            raise NotFoundError(
                "this account acts for no merchant", remedy="ask staff to add it to a merchant"
            )
        merchant = _in(uow, merchant_id)
        row = uow.merchants.contract(merchant_id, merchant.contract_version)
    return merchant, None if row is None else contract_record(row)


def onboard(
    engine: Engine, cipher: PiiCipher, actor: Actor, draft: MerchantDraft
) -> MerchantRecord:
    """:func:`onboard_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: onboard_in_unit(uow, cipher, actor, draft))


def activate(engine: Engine, actor: Actor, merchant_id: str) -> MerchantRecord:
    """:func:`activate_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: activate_in_unit(uow, actor, merchant_id))


def suspend(engine: Engine, actor: Actor, merchant_id: str) -> MerchantRecord:
    """:func:`suspend_in_unit` in a unit of its own."""
    return in_own_unit(engine, lambda uow: suspend_in_unit(uow, actor, merchant_id))
