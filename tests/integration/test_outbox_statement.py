"""The outbox's one-statement write on PostgreSQL applies the borrower's in-app-only choice
exactly as :func:`thinfile.comms.channels_for` does, for every kind of message: the same
channels, and no message at all when no channel is left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.notification_helpers import borrower, new_cipher
from thinfile.comms import KINDS, MessageKind, Preferences, channels_for
from thinfile.money import Money
from thinfile.services import notifications as notes
from thinfile.services.uow import UnitOfWork


@pytest.mark.parametrize("backend", ["postgresql"])  # the one-statement write is PostgreSQL's
@pytest.mark.parametrize("in_app_only", [False, True])
def test_one_statement_leaves_the_channels_the_rule_leaves(engine, backend, in_app_only):
    who = borrower(engine, new_cipher())
    user_id = who.actor.user_id
    notes.set_preferences(
        engine,
        who.actor,
        user_id,
        language="zh",
        time_zone="Asia/Shanghai",
        in_app_only=in_app_only,
    )
    kinds = [k for k in MessageKind if not KINDS[k].marketing]
    with UnitOfWork(engine) as uow:
        assert uow.notifications.writes_message_at_once
        written = {
            kind: notes.enqueue_notification_in_unit(
                uow, user_id, kind, subject="loan:1", day=20000, loan_id=1, amount=Money.of("10")
            )
            for kind in kinds
        }
        again = notes.enqueue_notification_in_unit(
            uow, user_id, kinds[0], subject="loan:1", day=20000, loan_id=1, amount=Money.of("10")
        )
        uow.commit()
    assert again is None  # written once
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT n.kind, d.channel, d.user_id, d.status, d.attempts,"
                " d.next_attempt_at = n.created_at FROM notifications n"
                " LEFT JOIN notification_deliveries d ON d.notification_id = n.id"
            )
        ).all()
    found: dict[str, set[str]] = {}
    for kind, channel, owner, status, attempts, due_at_once in rows:
        found.setdefault(kind, set())
        if channel is not None:
            assert (owner, status, attempts, due_at_once) == (user_id, "pending", 0, True)
            found[kind].add(channel)
    choice = Preferences(in_app_only=in_app_only)
    expected = {
        kind.value: {c.value for c in channels_for(kind, choice, marketing_consent=False)}
        for kind in kinds
    }
    assert found == {k: v for k, v in expected.items() if v}
    assert {k.value for k, i in written.items() if i is not None} == set(found)
