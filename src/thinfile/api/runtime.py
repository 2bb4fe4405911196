"""The decision runtime for the API: the active policy book and model, built on first use.

Routes that decide take ``runtime: Runtime``; it reads the policy and model registry through
:func:`thinfile.services.policies.decision_runtime` (cached there until the registry
changes). Models are loaded with ``app.state.model_loader`` — the pages' loader too:
:func:`thinfile.services.policies.scoring_model_loader` unless ``create_app(load_model=…)``
says otherwise (tests pass a deterministic scorer).

With ``THINFILE_MODEL_DIR`` set, start-up registers the shipped policy (active when none is)
and that model directory (active when no model is); later versions are activated over
``/v1/staff/models/{version}/activate``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from thinfile.errors import InvalidInputError
from thinfile.http import AppContext, get_context
from thinfile.services.identity_records import SYSTEM
from thinfile.services.policies import (
    DecisionRuntime,
    ModelLoader,
    decision_runtime,
    register_policy_and_model,
)

__all__ = [
    "Runtime",
    "forget_runtime",
    "get_model_loader",
    "get_runtime",
    "register_models",
    "runtime_dependency",
]


def get_model_loader(connection: HTTPConnection) -> ModelLoader:
    loader: ModelLoader = connection.app.state.model_loader
    return loader


RUNTIME_TTL_SECONDS = 1.0
"""How long a process reuses the runtime before asking the registry again: a policy or model
activated in another process takes effect here within this time."""


def _fresh(connection: HTTPConnection) -> DecisionRuntime | None:
    cached: tuple[float, DecisionRuntime] | None = getattr(
        connection.app.state, "runtime_cache", None
    )
    if cached is not None and time.monotonic() - cached[0] < RUNTIME_TTL_SECONDS:
        return cached[1]
    return None


def get_runtime(connection: HTTPConnection) -> DecisionRuntime:
    """The runtime decisions use now (404 while no policy or model is active)."""
    state = connection.app.state
    now = time.monotonic()
    if (cached := _fresh(connection)) is not None:
        return cached
    runtime = decision_runtime(get_context(connection).engine, get_model_loader(connection))
    state.runtime_cache = (now, runtime)
    return runtime


def forget_runtime(connection: HTTPConnection) -> None:
    """After this process changes the registry: the next decision reads it again."""
    connection.app.state.runtime_cache = None


async def runtime_dependency(connection: HTTPConnection) -> DecisionRuntime:
    """Dependency: :func:`get_runtime`, reading the registry in the thread pool when due."""
    cached = _fresh(connection)
    return cached if cached is not None else await run_in_threadpool(get_runtime, connection)


Runtime = Annotated[DecisionRuntime, Depends(runtime_dependency)]


def register_models(app: FastAPI, context: AppContext, model_dir: Path | None) -> None:
    """At start-up: register the shipped policy and ``model_dir`` (if given)."""
    if model_dir is None:
        return
    if not model_dir.is_dir():
        raise InvalidInputError(
            f"THINFILE_MODEL_DIR {model_dir} is not a directory",
            field="model_dir",
            value=str(model_dir),
        )
    model = get_model_loader_of(app)(model_dir)
    register_policy_and_model(context.engine, model.version, model_dir.resolve(), actor=SYSTEM)


def get_model_loader_of(app: FastAPI) -> ModelLoader:
    loader: ModelLoader = app.state.model_loader
    return loader
