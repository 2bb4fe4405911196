"""The policy and model registry: register versions, activate one, route a share to a challenger.

Exactly one policy is ``active`` at a time; at most one is ``challenger`` with a share of
traffic from 0 to 1. Every change is written to the audit log. ``decision_runtime`` builds
the :class:`PolicyBook` and model that decisions use, cached by the versions it was built from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from thinfile.decisioning import Policy, PolicyBook, Scorer, load_policy, simulate
from thinfile.decisioning.policy import policy_from_json
from thinfile.decisioning.simulate import SimulationReport
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.money import parse_rate
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, Sessions, now_utc
from thinfile.store.decisioning_tables import model_versions, policy_versions

__all__ = [
    "MAX_SIMULATION_ROWS",
    "DecisionRuntime",
    "ModelLoader",
    "ModelVersion",
    "PolicyVersion",
    "activate_model",
    "activate_policy",
    "decision_runtime",
    "ensure_default_policy",
    "list_models",
    "list_policies",
    "register_model",
    "register_policy",
    "set_challenger",
    "simulate_policy",
    "synthetic_applications",
]

ModelLoader = Callable[[Path], Scorer]


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: str
    name: str
    status: str
    share: Decimal


@dataclass(frozen=True)
class DecisionRuntime:
    """What a decision runs with: the policy book and the active model."""

    book: PolicyBook
    model: Scorer
    key: tuple[str, ...]

    def policy(self, version: str, sessions: Sessions) -> Policy:
        """A policy by version (for replay): the live ones, or a stored older one."""
        for live in (self.book.champion, self.book.challenger):
            if live is not None and live.version == version:
                return live
        with sessions.begin() as session:
            row = session.execute(sa.select(policy_versions).where(
                policy_versions.c.version == version)).first()
        if row is None:
            raise NotFoundError(f"policy {version} is not registered", field="policy_version")
        return policy_from_json(row.settings_json, row.graph_json)


def register_policy(session: Session, policy: Policy, *, actor: Actor) -> PolicyVersion:
    """Store a policy version (idempotent by content hash); the first one becomes active."""
    existing = session.execute(sa.select(policy_versions).where(
        policy_versions.c.version == policy.version)).first()
    if existing is not None:
        return PolicyVersion(existing.version, existing.name, existing.status,
                             Decimal(existing.share))
    has_active = session.execute(sa.select(policy_versions.c.version).where(
        policy_versions.c.status == "active")).first()
    status = "candidate" if has_active else "active"
    session.execute(sa.insert(policy_versions).values(
        version=policy.version, name=policy.name, settings_json=policy.settings_json(),
        graph_json=policy.graph_json, status=status, share="0", created_at=now_utc()))
    record_audit(session, actor.label, "policy.register", f"policy:{policy.version}",
                 {"status": status})
    return PolicyVersion(policy.version, policy.name, status, Decimal(0))


def list_policies(sessions: Sessions) -> list[PolicyVersion]:
    with sessions.begin() as session:
        rows = session.execute(sa.select(policy_versions).order_by(
            policy_versions.c.created_at)).all()
    return [PolicyVersion(r.version, r.name, r.status, Decimal(r.share)) for r in rows]


def _require(session: Session, version: str) -> None:
    if session.execute(sa.select(policy_versions.c.version).where(
            policy_versions.c.version == version)).first() is None:
        raise NotFoundError(f"policy {version} is not registered", field="version", value=version)


def activate_policy(sessions: Sessions, version: str, *, actor: Actor) -> None:
    """Make ``version`` the active policy; the previous one is retired."""
    with sessions.begin() as session:
        _require(session, version)
        session.execute(sa.update(policy_versions).where(policy_versions.c.status == "active")
                        .values(status="retired", share="0"))
        session.execute(sa.update(policy_versions).where(policy_versions.c.version == version)
                        .values(status="active", share="0"))
        record_audit(session, actor.label, "policy.activate", f"policy:{version}", {})


def set_challenger(sessions: Sessions, version: str | None, share: str, *, actor: Actor) -> None:
    """Route ``share`` (0–1, or a percentage such as ``"25%"``) of applicants to challenger
    ``version`` (None removes it). ``NaN``, infinity and exponents are refused."""
    fraction = parse_rate(share, field="share")
    if not 0 <= fraction <= 1:
        raise InvalidInputError("share must be from 0 to 1", field="share", value=share)
    with sessions.begin() as session:
        session.execute(sa.update(policy_versions).where(policy_versions.c.status == "challenger")
                        .values(status="candidate", share="0"))
        if version is not None:
            _require(session, version)
            session.execute(sa.update(policy_versions).where(
                policy_versions.c.version == version, policy_versions.c.status != "active")
                .values(status="challenger", share=str(fraction)))
        record_audit(session, actor.label, "policy.challenger", f"policy:{version}",
                     {"share": str(fraction)})


def register_model(session: Session, version: str, path: Path, *, actor: Actor) -> None:
    """Record a model artifact; the first one registered becomes active."""
    if session.execute(sa.select(model_versions.c.version).where(
            model_versions.c.version == version)).first() is not None:
        return
    has_active = session.execute(sa.select(model_versions.c.version).where(
        model_versions.c.status == "active")).first()
    session.execute(sa.insert(model_versions).values(
        version=version, path=str(path), status="candidate" if has_active else "active",
        created_at=now_utc()))
    record_audit(session, actor.label, "model.register", f"model:{version}", {})


def activate_model(sessions: Sessions, version: str, *, actor: Actor) -> None:
    with sessions.begin() as session:
        if session.execute(sa.select(model_versions.c.version).where(
                model_versions.c.version == version)).first() is None:
            raise NotFoundError(f"model {version} is not registered", field="version")
        session.execute(sa.update(model_versions).where(model_versions.c.status == "active")
                        .values(status="retired"))
        session.execute(sa.update(model_versions).where(model_versions.c.version == version)
                        .values(status="active"))
        record_audit(session, actor.label, "model.activate", f"model:{version}", {})


_cache: dict[int, DecisionRuntime] = {}
_lock = threading.Lock()


def decision_runtime(sessions: Sessions, load_model: ModelLoader) -> DecisionRuntime:
    """The active policy book and model; rebuilt only when the registry changes."""
    with sessions.begin() as session:
        rows = session.execute(sa.select(policy_versions).where(
            policy_versions.c.status.in_(("active", "challenger")))).all()
        model_row = session.execute(sa.select(model_versions).where(
            model_versions.c.status == "active")).first()
    active = next((r for r in rows if r.status == "active"), None)
    if active is None or model_row is None:
        raise NotFoundError("no active policy or model is registered", field="policy",
                            remedy="run 'thinfile demo' or register a policy and a model")
    challenger = next((r for r in rows if r.status == "challenger"), None)
    key = (active.version, challenger.version if challenger else "", challenger.share
           if challenger else "0", model_row.version)
    with _lock:
        cached = _cache.get(id(sessions))
        if cached is not None and cached.key == key:
            return cached
        book = PolicyBook(
            policy_from_json(active.settings_json, active.graph_json),
            policy_from_json(challenger.settings_json, challenger.graph_json)
            if challenger else None,
            Decimal(challenger.share) if challenger else Decimal(0),
        )
        runtime = DecisionRuntime(book, load_model(Path(model_row.path)), key)
        _cache[id(sessions)] = runtime
    return runtime


def ensure_default_policy(session: Session, *, actor: Actor) -> PolicyVersion:
    """Register the policy shipped with thinfile (active if nothing else is)."""
    return register_policy(session, load_policy(), actor=actor)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    status: str


def list_models(sessions: Sessions) -> list[ModelVersion]:
    """Every registered model version, oldest first (paths stay server-side)."""
    with sessions.begin() as session:
        rows = session.execute(sa.select(model_versions.c.version, model_versions.c.status)
                               .order_by(model_versions.c.created_at)).all()
    return [ModelVersion(r.version, r.status) for r in rows]


MAX_SIMULATION_ROWS = 500
"""Simulations run inside a request: this many applications at most."""


def synthetic_applications(n: int, *, seed: int) -> list[Mapping[str, object]]:
    """``n`` synthetic past applications (with known outcomes) from :mod:`thinfile.sim`."""
    if not 1 <= n <= MAX_SIMULATION_ROWS:
        raise InvalidInputError(f"choose from 1 to {MAX_SIMULATION_ROWS} applicants",
                                field="applicants", value=n)
    from thinfile.sim import generate_applicants

    frame = generate_applicants(n, seed=seed)
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def simulate_policy(sessions: Sessions, runtime: DecisionRuntime,
                    records: Sequence[Mapping[str, object]], *, version: str | None, on: date,
                    actor: Actor) -> SimulationReport:
    """What policy ``version`` (default: the active one) would do to ``records``, with the
    active model, compared with the active policy when it is another version."""
    if not 1 <= len(records) <= MAX_SIMULATION_ROWS:
        raise InvalidInputError(f"simulate 1 to {MAX_SIMULATION_ROWS} applications",
                                field="records", value=len(records))
    champion = runtime.book.champion
    candidate = champion if version in (None, champion.version) else runtime.policy(
        str(version), sessions)
    baseline = None if candidate is champion else champion
    report = simulate(records, policy=candidate, model=runtime.model, on=on, baseline=baseline)
    with sessions.begin() as session:
        record_audit(session, actor.label, "policy.simulate", f"policy:{candidate.version}",
                     {"applications": len(records)})
    return report
