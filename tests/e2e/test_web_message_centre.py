"""The message centre shows each message at its own time (not when the in-app delivery ran)
and in the page's language where the message's words exist in it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from tests.e2e.test_web_collections import client, sign_in, staff
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.store.notification_tables import notification_deliveries, notifications
from thinfile.store.servicing_codec import to_day

__all__ = ["client"]  # the fixture, on both databases

DELIVERED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # one delivery run for all of them


def _message(
    context: AppContext, user: str, n: int, *, kind: str, created: datetime,
    cob_day: date | None, subject: str, body: str, ref_day: date | None = None,
) -> None:  # fmt: skip
    with context.engine.begin() as conn:
        conn.execute(
            sa.insert(notifications).values(
                id=n, user_id=user, kind=kind, loan_id=7, ref_day=ref_day and to_day(ref_day),
                dedupe_key=f"test:{n}", amount_fen=123456, currency="CNY", params="{}",
                legally_required=False, cob_day=cob_day and to_day(cob_day), created_at=created,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(notification_deliveries).values(
                notification_id=n, channel="in_app", user_id=user, status="delivered",
                attempts=1, language="zh", subject=subject, body=body, created_at=created,
                delivered_at=DELIVERED,
            )
        )  # fmt: skip


def _times(page: str) -> list[str]:
    return re.findall(r'<p class="when">([^<]*)</p>', page)


def test_each_message_shows_its_own_time_and_reads_in_the_pages_language(client) -> None:
    context: AppContext = client.app.state.context
    user = staff(client, "reader", Role.BORROWER)
    replay_end = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)  # a replayed close ran late
    _message(
        context, user, 1, kind="due_today", created=replay_end, cob_day=date(2026, 3, 9),
        ref_day=date(2026, 3, 10), subject="今日应还款", body="借款 7：今日应还 1234.56 元。",
    )  # fmt: skip
    _message(
        context, user, 2, kind="payment_received", created=datetime(2026, 5, 20, 6, 30, tzinfo=UTC),
        cob_day=None, subject="还款已到账", body="已收到您为借款 7 还款 1234.56 元，谢谢。",
    )  # fmt: skip
    sign_in(client, "reader")
    zh = client.get("/messages", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200
    times = _times(zh.text)
    assert len(times) == 2 and len(set(times)) == 2, times
    assert any("2026-03-10" in t and "00:00" in t for t in times), times  # business day's end
    assert any("2026-05-20" in t and "14:30" in t for t in times), times  # Beijing time
    assert not any("2026-12-01" in t for t in times)  # never the delivery run's time
    assert "还款已到账" in zh.text and "Payment received" not in zh.text

    en = client.get("/messages", headers={"Accept-Language": "en"}).text
    assert "Payment received" in en and "We received your payment of 1234.56 yuan for loan 7" in en
    assert "Repayment due today" in en and "falls due today (2026-03-10)" in en
    assert "还款已到账" not in en and 'lang="zh-Hans">' not in en.split("<main", 1)[1]


def test_the_console_names_a_messages_kind_in_words(client) -> None:
    context: AppContext = client.app.state.context
    user = staff(client, "reader", Role.BORROWER)
    _message(
        context, user, 1, kind="payment_received", created=DELIVERED, cob_day=None,
        subject="还款已到账", body="已收到您的还款。",
    )  # fmt: skip
    staff(client, "agent", Role.SERVICING_AGENT)
    sign_in(client, "agent")
    zh = client.get("/console/notifications", headers={"Accept-Language": "zh-CN"}).text
    assert '<td class="kind">还款已到账 <code class="small">payment_received</code></td>' in zh
    en = client.get("/console/notifications", headers={"Accept-Language": "en"}).text
    assert '<td class="kind">Payment received <code' in en


def test_an_empty_message_centre_says_no_messages_not_no_sms(client) -> None:
    """The message centre holds more than texts: its empty state is its own words, not the
    sandbox SMS inbox's."""
    staff(client, "newcomer", Role.BORROWER)
    sign_in(client, "newcomer")
    zh = client.get("/messages", headers={"Accept-Language": "zh-CN"}).text
    empty = re.search(r'<p id="no-messages">([^<]+)</p>', zh)
    assert empty and empty.group(1) == "还没有消息。"
    assert "短信" not in zh.split("<main", 1)[1]
