"""The policy and model registry: register versions, activate one, route a share to a challenger.

Exactly one policy is ``active`` at a time; at most one is ``challenger`` with a share of
traffic from 0 to 1. Every change is written to the audit log. ``decision_runtime`` builds
the :class:`PolicyBook` and model that decisions use, cached by the versions it was built from.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import cast

from sqlalchemy.engine import Engine

from thinfile.decisioning import (
    ModelStatus,
    Policy,
    PolicyBook,
    PolicyStatus,
    Scorer,
    load_policy,
    simulate,
)
from thinfile.decisioning.policy import policy_from_json
from thinfile.decisioning.simulate import SimulationReport
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.money import parse_rate
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.registry_repo import MODEL_KINDS

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
    "register_policy_and_model",
    "scoring_model_loader",
    "set_challenger",
    "simulate_policy",
    "synthetic_applications",
]

ModelLoader = Callable[[Path], Scorer]


def scoring_model_loader(path: Path) -> Scorer:
    """The one way the API and the pages load a model directory: :mod:`thinfile.scoring`
    (imported on first use, so that starting the app does not import the training stack)."""
    scoring = importlib.import_module("thinfile.scoring")
    return cast(Scorer, scoring.load_model(path))


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: str
    name: str
    status: PolicyStatus
    share: Decimal


@dataclass(frozen=True)
class DecisionRuntime:
    """What a decision runs with: the policy book and the active model."""

    book: PolicyBook
    model: Scorer
    key: tuple[str, ...]

    def policy(self, version: str, engine: Engine) -> Policy:
        """A policy by version (for replay): the live ones, or a stored older one."""
        for live in (self.book.champion, self.book.challenger):
            if live is not None and live.version == version:
                return live
        with UnitOfWork(engine) as uow:
            row = uow.policies.get(version)
        if row is None:
            raise NotFoundError(f"policy {version} is not registered", field="policy_version")
        return policy_from_json(row.settings_json, row.graph_json)


def _register_policy(uow: UnitOfWork, policy: Policy, *, actor: Actor) -> PolicyVersion:
    existing = uow.policies.get(policy.version)
    if existing is not None:
        return PolicyVersion(
            existing.version, existing.name, PolicyStatus(existing.status), Decimal(existing.share)
        )
    status = PolicyStatus.CANDIDATE if uow.policies.has_active() else PolicyStatus.ACTIVE
    uow.policies.add(
        {
            "version": policy.version,
            "name": policy.name,
            "settings_json": policy.settings_json(),
            "graph_json": policy.graph_json,
            "status": status.value,
            "share": "0",
            "created_at": now_utc(),
        }
    )
    record_audit(
        uow, actor.label, "policy.register", f"policy:{policy.version}", {"status": status.value}
    )
    return PolicyVersion(policy.version, policy.name, status, Decimal(0))


def register_policy(engine: Engine, policy: Policy, *, actor: Actor) -> PolicyVersion:
    """Store a policy version (idempotent by content hash); the first one becomes active."""
    with UnitOfWork(engine) as uow:
        registered = _register_policy(uow, policy, actor=actor)
        uow.commit()
    return registered


def list_policies(engine: Engine) -> list[PolicyVersion]:
    with UnitOfWork(engine) as uow:
        rows = uow.policies.all()
    return [
        PolicyVersion(r.version, r.name, PolicyStatus(r.status), Decimal(r.share)) for r in rows
    ]


def _require(uow: UnitOfWork, version: str) -> None:
    if not uow.policies.exists(version):
        raise NotFoundError(f"policy {version} is not registered", field="version", value=version)


def activate_policy(engine: Engine, version: str, *, actor: Actor) -> None:
    """Make ``version`` the active policy; the previous one is retired."""
    with UnitOfWork(engine) as uow:
        _require(uow, version)
        uow.policies.retire_active()
        uow.policies.activate(version)
        record_audit(uow, actor.label, "policy.activate", f"policy:{version}", {})
        uow.commit()


def set_challenger(engine: Engine, version: str | None, share: str, *, actor: Actor) -> None:
    """Route ``share`` (0–1, or a percentage such as ``"25%"``) of applicants to challenger
    ``version`` (None removes it). ``NaN``, infinity and exponents are refused, and so is
    the active policy (its unedited copy registers as the same version)."""
    fraction = parse_rate(share, field="share")
    if not 0 <= fraction <= 1:
        raise InvalidInputError("share must be from 0 to 1", field="share", value=share)
    with UnitOfWork(engine) as uow:
        uow.policies.demote_challenger()
        if version is not None:
            stored = uow.policies.get(version)
            if stored is None:
                raise NotFoundError(
                    f"policy {version} is not registered", field="version", value=version
                )
            if stored.status == PolicyStatus.ACTIVE.value:
                raise ConflictError(
                    f"policy {version} is the active policy and cannot also be its challenger",
                    field="version",
                    value=version,
                    remedy="change the challenger's rules or settings (a copy of the active "
                    "policy has the same version) and register that",
                )
            uow.policies.make_challenger(version, str(fraction))
        record_audit(
            uow, actor.label, "policy.challenger", f"policy:{version}", {"share": str(fraction)}
        )
        uow.commit()


def _register_model(
    uow: UnitOfWork, version: str, path: Path, *, actor: Actor, kind: str = "application"
) -> None:
    if kind not in MODEL_KINDS:
        raise InvalidInputError(
            f"a model is one of: {', '.join(MODEL_KINDS)}", field="kind", value=kind
        )
    stored = uow.models.get(version)
    if stored is not None:
        if stored.kind != kind:
            raise ConflictError(
                f"model {version} is registered as the {stored.kind} model",
                field="version",
                value=version,
            )
        return
    uow.models.add(
        {
            "version": version,
            "path": str(path),
            "kind": kind,
            "status": (
                ModelStatus.CANDIDATE if uow.models.has_active(kind) else ModelStatus.ACTIVE
            ).value,
            "created_at": now_utc(),
        }
    )
    record_audit(uow, actor.label, "model.register", f"model:{version}", {"kind": kind})


def register_model(
    engine: Engine, version: str, path: Path, *, actor: Actor, kind: str = "application"
) -> None:
    """Record a model artifact of ``kind`` (``application`` or ``behaviour``); the first one
    of its kind registered becomes active."""
    with UnitOfWork(engine) as uow:
        _register_model(uow, version, path, actor=actor, kind=kind)
        uow.commit()


def register_policy_and_model(
    engine: Engine, version: str, path: Path, *, actor: Actor, policy: Policy | None = None
) -> None:
    """Register ``policy`` (default: the one shipped with thinfile) and the model artifact at
    ``path`` in one unit of work; each becomes active when nothing else is."""
    with UnitOfWork(engine) as uow:
        _register_policy(uow, policy or load_policy(), actor=actor)
        _register_model(uow, version, path, actor=actor)
        uow.commit()


def activate_model(engine: Engine, version: str, *, actor: Actor) -> None:
    """Make ``version`` the active model of its kind; the one before is retired."""
    with UnitOfWork(engine) as uow:
        stored = uow.models.get(version)
        if stored is None:
            raise NotFoundError(f"model {version} is not registered", field="version")
        uow.models.retire_active(stored.kind)
        uow.models.activate(version)
        record_audit(uow, actor.label, "model.activate", f"model:{version}", {})
        uow.commit()


_cache: dict[int, DecisionRuntime] = {}
_lock = threading.Lock()


def decision_runtime(engine: Engine, load_model: ModelLoader) -> DecisionRuntime:
    """The active policy book and model; rebuilt only when the registry changes."""
    with UnitOfWork(engine) as uow:
        rows = uow.policies.live()
        model_row = uow.models.active()
    active = next((r for r in rows if r.status == PolicyStatus.ACTIVE), None)
    if active is None or model_row is None:
        raise NotFoundError(
            "no active policy or model is registered",
            field="policy",
            remedy="run 'thinfile demo' or register a policy and a model",
        )
    challenger = next((r for r in rows if r.status == PolicyStatus.CHALLENGER), None)
    key = (
        active.version,
        challenger.version if challenger else "",
        challenger.share if challenger else "0",
        model_row.version,
    )
    with _lock:
        cached = _cache.get(id(engine))
        if cached is not None and cached.key == key:
            return cached
        book = PolicyBook(
            policy_from_json(active.settings_json, active.graph_json),
            policy_from_json(challenger.settings_json, challenger.graph_json)
            if challenger
            else None,
            Decimal(challenger.share) if challenger else Decimal(0),
        )
        runtime = DecisionRuntime(book, load_model(Path(model_row.path)), key)
        _cache[id(engine)] = runtime
    return runtime


def ensure_default_policy(engine: Engine, *, actor: Actor) -> PolicyVersion:
    """Register the policy shipped with thinfile (active if nothing else is)."""
    return register_policy(engine, load_policy(), actor=actor)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    status: ModelStatus


def list_models(engine: Engine) -> list[ModelVersion]:
    """Every registered model version, oldest first (paths stay server-side)."""
    with UnitOfWork(engine) as uow:
        rows = uow.models.all()
    return [ModelVersion(r.version, ModelStatus(r.status)) for r in rows]


MAX_SIMULATION_ROWS = 500
"""Simulations run inside a request: this many applications at most."""


def synthetic_applications(n: int, *, seed: int) -> list[Mapping[str, object]]:
    """``n`` synthetic past applications (with known outcomes) from :mod:`thinfile.sim`."""
    if not 1 <= n <= MAX_SIMULATION_ROWS:
        raise InvalidInputError(
            f"choose from 1 to {MAX_SIMULATION_ROWS} applicants", field="applicants", value=n
        )
    from thinfile.sim import generate_applicants

    frame = generate_applicants(n, seed=seed)
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def simulate_policy(
    engine: Engine,
    runtime: DecisionRuntime,
    records: Sequence[Mapping[str, object]],
    *,
    version: str | None,
    on: date,
    actor: Actor,
) -> SimulationReport:
    """What policy ``version`` (default: the active one) would do to ``records``, with the
    active model, compared with the active policy when it is another version."""
    if not 1 <= len(records) <= MAX_SIMULATION_ROWS:
        raise InvalidInputError(
            f"simulate 1 to {MAX_SIMULATION_ROWS} applications", field="records", value=len(records)
        )
    champion = runtime.book.champion
    candidate = (
        champion if version in (None, champion.version) else runtime.policy(str(version), engine)
    )
    baseline = None if candidate is champion else champion
    report = simulate(records, policy=candidate, model=runtime.model, on=on, baseline=baseline)
    with UnitOfWork(engine) as uow:
        record_audit(
            uow,
            actor.label,
            "policy.simulate",
            f"policy:{candidate.version}",
            {"applications": len(records)},
        )
        uow.commit()
    return report
