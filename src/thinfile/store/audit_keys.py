"""Which audit keys an engine's units of work seal audit rows with.

The keys are not in the database: :func:`thinfile.store.make_engine` binds them to the engine
it makes (from the settings it is given, else ``THINFILE_*``), and the audit repository of any
connection of that engine finds them here.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

from thinfile.security.audit_keys import AuditKeys, audit_keys
from thinfile.settings import Settings

__all__ = ["bind_audit_keys", "keys_of"]

_BOUND: WeakKeyDictionary[Engine, AuditKeys] = WeakKeyDictionary()


def bind_audit_keys(engine: Engine, keys: AuditKeys) -> None:
    """Seal and verify ``engine``'s audit rows with ``keys``."""
    _BOUND[engine] = keys


def keys_of(engine: Engine) -> AuditKeys:
    """The keys bound to ``engine``; for an engine made elsewhere, those of ``THINFILE_*``."""
    keys = _BOUND.get(engine)
    if keys is None:
        keys = _BOUND[engine] = audit_keys(Settings.from_environment())
    return keys
