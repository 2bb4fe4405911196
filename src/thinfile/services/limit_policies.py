"""The limit-policy registry: versions by content, one active (champion), at most one
challenger with a share of lines; the control group's share is the champion's setting.

The shipped default policy is registered (active) the first time a review or a request needs
one. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from thinfile.decisioning import PolicyStatus
from thinfile.decisioning.limit_policy import (
    LimitPolicy,
    limit_policy_from_json,
    load_limit_policy,
)
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, as_utc, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.db import StoredRow

__all__ = [
    "LimitBook",
    "LimitPolicyVersion",
    "activate_limit_policy",
    "limit_book_in",
    "limit_policy_by_version",
    "limit_policy_versions",
    "register_limit_policy",
    "register_limit_policy_text",
    "set_limit_challenger",
]

_COMPILED: dict[str, LimitPolicy] = {}


@dataclass(frozen=True, slots=True)
class LimitBook:
    """What reviews run with: the champion, an optional challenger and its share."""

    champion: LimitPolicy
    challenger: LimitPolicy | None
    share: Decimal


@dataclass(frozen=True, slots=True)
class LimitPolicyVersion:
    """A registered limit policy as staff list it: its status and the settings that matter
    most to a borrower's limit."""

    version: str
    name: str
    status: PolicyStatus
    share: Decimal
    """The challenger's share of the lines outside the control group (0 otherwise)."""
    registered_at: datetime
    ceiling_fen: int
    control_share: Decimal
    request_interval_days: int
    manual_approval_above_fen: int


def _compiled(settings_json: str, graph_json: str, version: str) -> LimitPolicy:
    policy = _COMPILED.get(version)
    if policy is None:
        policy = limit_policy_from_json(settings_json, graph_json)
        _COMPILED[version] = policy
    return policy


def _add(uow: UnitOfWork, policy: LimitPolicy, status: PolicyStatus) -> None:
    uow.limit_decisions.add_policy(
        {
            "version": policy.version,
            "name": policy.name,
            "settings_json": policy.settings_text,
            "graph_json": policy.graph_json,
            "status": status.value,
            "share": "0",
            "created_at": now_utc(),
        }
    )


def limit_book_in(uow: UnitOfWork) -> LimitBook:
    """The live limit policies, the shipped default registered as active if none is."""
    active = uow.limit_decisions.policy_with_status(PolicyStatus.ACTIVE.value)
    if active is None:
        default = load_limit_policy()
        if uow.limit_decisions.policy(default.version) is None:
            _add(uow, default, PolicyStatus.ACTIVE)
        else:
            uow.limit_decisions.set_policy_status(default.version, PolicyStatus.ACTIVE.value)
        return LimitBook(default, None, Decimal(0))
    champion = _compiled(active.settings_json, active.graph_json, active.version)
    row = uow.limit_decisions.policy_with_status(PolicyStatus.CHALLENGER.value)
    if row is None:
        return LimitBook(champion, None, Decimal(0))
    challenger = _compiled(row.settings_json, row.graph_json, row.version)
    return LimitBook(champion, challenger, Decimal(row.share))


def limit_policy_by_version(uow: UnitOfWork, version: str) -> LimitPolicy:
    """A registered limit policy by version (for replay)."""
    row = uow.limit_decisions.policy(version)
    if row is None:
        raise NotFoundError(f"limit policy {version} is not registered", field="policy_version")
    return _compiled(row.settings_json, row.graph_json, row.version)


def register_limit_policy(engine: Engine, folder: Path | str, *, actor: Actor) -> str:
    """Register the limit policy in ``folder`` (a candidate, or active if none is); its
    version. Registering the same content twice changes nothing."""
    return _register(engine, load_limit_policy(folder), actor=actor)


def register_limit_policy_text(
    engine: Engine, settings_text: str, graph_text: str, *, actor: Actor
) -> LimitPolicyVersion:
    """:func:`register_limit_policy` from the text of ``policy.json`` and ``decision.json``
    (what the API receives); the registered version as staff list it."""
    version = _register(engine, limit_policy_from_json(settings_text, graph_text), actor=actor)
    with UnitOfWork(engine) as uow:
        row = uow.limit_decisions.policy(version)
    assert row is not None  # registered just now, never deleted
    return _as_version(row)


def _register(engine: Engine, policy: LimitPolicy, *, actor: Actor) -> str:
    with UnitOfWork(engine) as uow:
        if uow.limit_decisions.policy(policy.version) is None:
            has_active = uow.limit_decisions.policy_with_status(PolicyStatus.ACTIVE.value)
            status = PolicyStatus.CANDIDATE if has_active else PolicyStatus.ACTIVE
            _add(uow, policy, status)
            record_audit(
                uow,
                actor.label,
                "limit_policy.register",
                f"limit_policy:{policy.version}",
                {"status": status.value},
            )
            uow.commit()
    return policy.version


def _require(uow: UnitOfWork, version: str) -> None:
    if uow.limit_decisions.policy(version) is None:
        raise NotFoundError(
            f"limit policy {version} is not registered",
            field="version",
            value=version,
            remedy="list the registered versions with 'thinfile limits policy list'",
        )


def activate_limit_policy(engine: Engine, version: str, *, actor: Actor) -> None:
    """Make ``version`` the champion; the one before is retired."""
    with UnitOfWork(engine) as uow:
        _require(uow, version)
        uow.limit_decisions.demote(PolicyStatus.ACTIVE.value, PolicyStatus.RETIRED.value)
        uow.limit_decisions.set_policy_status(version, PolicyStatus.ACTIVE.value)
        record_audit(uow, actor.label, "limit_policy.activate", f"limit_policy:{version}", {})
        uow.commit()


def set_limit_challenger(engine: Engine, version: str, share: Decimal, *, actor: Actor) -> None:
    """Route ``share`` (0 to 0.5) of the lines outside the control group to ``version``;
    the active version (an unedited copy of it registers as the same version) is refused."""
    if not share.is_finite() or not Decimal(0) <= share <= Decimal("0.5"):
        raise InvalidInputError(
            "the challenger share must be from 0 to 0.5", field="share", value=str(share)
        )
    with UnitOfWork(engine) as uow:
        _require(uow, version)
        stored = uow.limit_decisions.policy(version)
        if stored is not None and stored.status == PolicyStatus.ACTIVE.value:
            raise ConflictError(
                f"limit policy {version} is the active policy and cannot also be its challenger",
                field="version",
                value=version,
                remedy="change the challenger's rules or settings (a copy of the active "
                "policy has the same version) and register that",
            )
        uow.limit_decisions.demote(PolicyStatus.CHALLENGER.value, PolicyStatus.CANDIDATE.value)
        uow.limit_decisions.set_policy_status(version, PolicyStatus.CHALLENGER.value, str(share))
        record_audit(
            uow,
            actor.label,
            "limit_policy.challenger",
            f"limit_policy:{version}",
            {"share": str(share)},
        )
        uow.commit()


def limit_policy_versions(engine: Engine) -> list[LimitPolicyVersion]:
    """Every registered limit policy, newest first (the shipped default registered as
    active when none is yet)."""
    with UnitOfWork(engine) as uow:
        limit_book_in(uow)
        rows = uow.limit_decisions.policies()
        uow.commit()
    return [_as_version(row) for row in reversed(rows)]


def _as_version(row: StoredRow) -> LimitPolicyVersion:
    settings = _compiled(row.settings_json, row.graph_json, row.version).settings
    return LimitPolicyVersion(
        str(row.version),
        str(row.name),
        PolicyStatus(row.status),
        Decimal(row.share),
        as_utc(row.created_at),
        settings.ceiling_fen,
        settings.control_share,
        settings.request_interval_days,
        settings.manual_approval_above_fen,
    )
