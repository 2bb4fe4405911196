"""The policy and model registry: versions, and which one is active (or the challenger)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.decisioning import ModelStatus, PolicyStatus
from thinfile.store.decisioning_tables import model_versions, policy_versions

__all__ = ["MODEL_KINDS", "ModelRepository", "PolicyRepository", "StoredModel", "StoredPolicy"]

MODEL_KINDS = ("application", "behaviour")
"""The application model scores applications; the behaviour model scores credit lines in the
limit review. One model of each kind is active."""


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A registered policy version: its settings and decision graph as stored JSON, its
    ``status`` (active, challenger, candidate, retired) and its ``share`` of traffic (a
    decimal string)."""

    version: str
    name: str
    status: str
    share: str
    settings_json: str
    graph_json: str


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A registered model version; the artifact stays on disk at ``path``. ``kind`` is
    ``application`` or ``behaviour`` (:data:`MODEL_KINDS`)."""

    version: str
    status: str
    path: str
    kind: str = "application"


_POLICY = sa.select(*(policy_versions.c[n] for n in StoredPolicy.__dataclass_fields__))
_MODEL = sa.select(*(model_versions.c[n] for n in StoredModel.__dataclass_fields__))


class PolicyRepository:
    """Policy versions on one connection (``status``: active, challenger, candidate, retired)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, version: str) -> StoredPolicy | None:
        row = self.conn.execute(_POLICY.where(policy_versions.c.version == version)).first()
        return None if row is None else StoredPolicy(*row)

    def exists(self, version: str) -> bool:
        return (
            self.conn.execute(
                sa.select(policy_versions.c.version).where(policy_versions.c.version == version)
            ).first()
            is not None
        )

    def has_active(self) -> bool:
        return (
            self.conn.execute(
                sa.select(policy_versions.c.version).where(
                    policy_versions.c.status == PolicyStatus.ACTIVE.value
                )
            ).first()
            is not None
        )

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(policy_versions).values(values))

    def all(self) -> list[StoredPolicy]:
        """Oldest first."""
        rows = self.conn.execute(_POLICY.order_by(policy_versions.c.created_at))
        return [StoredPolicy(*r) for r in rows]

    def live(self) -> list[StoredPolicy]:
        """The active policy and the challenger, if any."""
        rows = self.conn.execute(
            _POLICY.where(
                policy_versions.c.status.in_(
                    (PolicyStatus.ACTIVE.value, PolicyStatus.CHALLENGER.value)
                )
            )
        )
        return [StoredPolicy(*r) for r in rows]

    def retire_active(self) -> None:
        self._set(
            policy_versions.c.status == PolicyStatus.ACTIVE.value,
            status=PolicyStatus.RETIRED.value,
            share="0",
        )

    def activate(self, version: str) -> None:
        self._set(policy_versions.c.version == version, status=PolicyStatus.ACTIVE.value, share="0")

    def demote_challenger(self) -> None:
        """The challenger, if any, back to candidate with no share of traffic."""
        self._set(
            policy_versions.c.status == PolicyStatus.CHALLENGER.value,
            status=PolicyStatus.CANDIDATE.value,
            share="0",
        )

    def make_challenger(self, version: str, share: str) -> None:
        """``version`` becomes the challenger with ``share`` (never the active policy)."""
        self._set(
            sa.and_(
                policy_versions.c.version == version,
                policy_versions.c.status != PolicyStatus.ACTIVE.value,
            ),
            status=PolicyStatus.CHALLENGER.value,
            share=share,
        )

    def _set(self, where: sa.ColumnElement[bool], *, status: str, share: str) -> None:
        self.conn.execute(
            sa.update(policy_versions).where(where).values(status=status, share=share)
        )


class ModelRepository:
    """Model versions on one connection (the artifact stays on disk at ``path``); status is
    kept per ``kind``: one active application model and one active behaviour model."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def exists(self, version: str) -> bool:
        return self.get(version) is not None

    def get(self, version: str) -> StoredModel | None:
        row = self.conn.execute(_MODEL.where(model_versions.c.version == version)).first()
        return None if row is None else StoredModel(*row)

    def has_active(self, kind: str = "application") -> bool:
        return self.active(kind) is not None

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(model_versions).values(values))

    def active(self, kind: str = "application") -> StoredModel | None:
        row = self.conn.execute(
            _MODEL.where(
                model_versions.c.status == ModelStatus.ACTIVE.value,
                model_versions.c.kind == kind,
            )
        ).first()
        return None if row is None else StoredModel(*row)

    def all(self, kind: str = "application") -> list[StoredModel]:
        """Oldest first."""
        rows = self.conn.execute(
            _MODEL.where(model_versions.c.kind == kind).order_by(model_versions.c.created_at)
        )
        return [StoredModel(*r) for r in rows]

    def retire_active(self, kind: str = "application") -> None:
        self.conn.execute(
            sa.update(model_versions)
            .where(
                model_versions.c.status == ModelStatus.ACTIVE.value,
                model_versions.c.kind == kind,
            )
            .values(status=ModelStatus.RETIRED.value)
        )

    def activate(self, version: str) -> None:
        self.conn.execute(
            sa.update(model_versions)
            .where(model_versions.c.version == version)
            .values(status=ModelStatus.ACTIVE.value)
        )
