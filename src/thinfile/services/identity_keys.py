"""Key rotation for personal data: re-seal every ciphertext under the active key.

Rotate by adding a new key to ``THINFILE_PII_KEYS``, making it ``THINFILE_PII_ACTIVE_KEY_ID``,
restarting, then running :func:`reencrypt_personal_data` (``thinfile keys reencrypt``). When it
reports zero rows left, the old key can be removed from the settings.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.security.crypto import PiiCipher
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import SYSTEM, Actor, Sessions
from thinfile.store.identity_tables import applicants

__all__ = ["reencrypt_personal_data"]

_FIELDS = ("name", "id_number", "phone")


def reencrypt_personal_data(sessions: Sessions, cipher: PiiCipher, *, batch_size: int = 200,
                            actor: Actor = SYSTEM) -> int:
    """Re-seal applicants not under the active key, one transaction per batch; rows done."""
    done = 0
    while True:
        with sessions.begin() as session:
            rows = session.execute(
                sa.select(applicants).where(applicants.c.key_id != cipher.active_key_id)
                .order_by(applicants.c.id).limit(batch_size)
            ).all()
            for row in rows:
                values: dict[str, str] = {
                    f"{f}_enc": cipher.rotate(str(getattr(row, f"{f}_enc")),
                                              context=f"applicant:{row.id}:{f}")
                    for f in _FIELDS
                }
                session.execute(sa.update(applicants).where(applicants.c.id == row.id)
                                .values(key_id=cipher.active_key_id, **values))
            if rows:
                record_audit(session, actor.label, "pii.reencrypt", "applicants",
                             {"rows": len(rows), "key_id": cipher.active_key_id})
        done += len(rows)
        if len(rows) < batch_size:
            return done
