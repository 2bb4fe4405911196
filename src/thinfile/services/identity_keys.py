"""Key rotation for personal data: re-seal every ciphertext under the active key.

Rotate by adding a new key to ``THINFILE_PII_KEYS``, making it ``THINFILE_PII_ACTIVE_KEY_ID``,
restarting, then running :func:`reencrypt_personal_data` (``thinfile keys reencrypt``). When it
reports zero rows left, the old key can be removed from the settings.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from thinfile.security.crypto import PiiCipher
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.uow import UnitOfWork

__all__ = ["reencrypt_personal_data"]

_FIELDS = ("name", "id_number", "phone")


def reencrypt_personal_data(
    engine: Engine, cipher: PiiCipher, *, batch_size: int = 200, actor: Actor = SYSTEM
) -> int:
    """Re-seal applicants not under the active key, one unit of work per batch; rows done."""
    done = 0
    while True:
        with UnitOfWork(engine) as uow:
            rows = uow.applicants.not_under_key(cipher.active_key_id, limit=batch_size)
            for row in rows:
                uow.applicants.reseal(
                    row.id,
                    key_id=cipher.active_key_id,
                    sealed={
                        f"{f}_enc": cipher.rotate(
                            str(getattr(row, f"{f}_enc")), context=f"applicant:{row.id}:{f}"
                        )
                        for f in _FIELDS
                    },
                )
            if rows:
                record_audit(
                    uow,
                    actor.label,
                    "pii.reencrypt",
                    "applicants",
                    {"rows": len(rows), "key_id": cipher.active_key_id},
                )
                uow.commit()
        done += len(rows)
        if len(rows) < batch_size:
            return done
