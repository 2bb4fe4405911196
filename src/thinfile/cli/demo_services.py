"""The services ``thinfile demo`` runs beside its replayed year: the sandbox payment gateway
in this process (:func:`payments_in_process`), a local mail server (:func:`local_mailbox`),
the notification worker's mornings (:class:`Postman`) and the payments log on the console
(:func:`payments_log`)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console

if TYPE_CHECKING:
    from thinfile.adapters.local_mailbox import LocalMailbox
    from thinfile.http import AppContext
    from thinfile.services.demo import DemoLender

__all__ = ["Postman", "local_mailbox", "payments_in_process", "payments_log"]

_CST = ZoneInfo("Asia/Shanghai")


@contextmanager
def payments_in_process(
    context: AppContext, folder: Path, lender: DemoLender, seed: int
) -> Iterator[None]:
    """The sandbox gateway in this process while the year is replayed, its books in
    ``gateway.sqlite`` (an earlier demo's replaced), its clock the replay's, its notifications
    (some sent twice) posted on the replayed date by a receiver here; both stopped after."""
    from thinfile.adapters.sandbox_gateway import Delivery, GatewayConfig
    from thinfile.adapters.sandbox_gateway.local import LocalGateway, ReplayReceiver
    from thinfile.security.roles import Role
    from thinfile.services.demo_payments import PaymentsStory, ReplayClock

    store = folder / "gateway.sqlite"
    store.unlink(missing_ok=True)
    settings = context.settings
    key = settings.payment_gateway_key.get_secret_value().encode()
    clock = ReplayClock()
    with ReplayReceiver(
        context.engine, key, today=lambda: clock.day, holding=lambda: clock.holding
    ) as receiver:
        delivery = Delivery(notify_url=receiver.url, seed=seed, duplicate_rate=0.2)
        config = GatewayConfig(
            store,
            key,
            delivery,
            tolerance_seconds=settings.payment_notification_tolerance_seconds,
            clock=clock.now,
        )
        with LocalGateway(config) as gateway:
            agent = lender.staff[Role.SERVICING_AGENT]
            lender.payments = PaymentsStory(gateway.client, clock, agent)
            yield


@contextmanager
def local_mailbox(folder: Path) -> Iterator[LocalMailbox]:
    """The local mail server the year's borrower e-mails go to (``<home>/mailbox``)."""
    from thinfile.adapters.local_mailbox import LocalMailbox

    with socket.socket() as probe:  # a free port for this run
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    box = LocalMailbox(folder / "mailbox", port=port).start()
    try:
        yield box
    finally:
        box.stop()


class Postman:
    """The notification worker of the replayed year: each morning at 10:00 (China Standard
    Time) it delivers what the night before wrote, under the contact rules of that morning
    (quiet hours, daily caps); at the end of the year, once more at the real time, for the
    notices of payments and limits, which are due from when they were written."""

    def __init__(self, context: AppContext) -> None:
        from thinfile.adapters.providers import notification_channels
        from thinfile.services.notification_delivery import DeliveryReport

        self.context = context
        self.channels = notification_channels(context.settings, context.engine, context.cipher)
        self.report = DeliveryReport()

    def _rounds(self, clock: Callable[[], datetime]) -> None:
        from thinfile.cli.notifications import PageCatalog
        from thinfile.services.notification_delivery import deliver_due_notifications

        for _ in range(100):
            done = deliver_due_notifications(
                self.context.engine,
                self.channels,
                PageCatalog(),
                self.context.cipher,
                batch=200,
                clock=clock,
            )
            self.report += done
            if done.claimed == 0:
                return

    def morning_after(self, day: date) -> None:
        morning = datetime.combine(day + timedelta(days=1), clock_time(10), tzinfo=_CST)
        self._rounds(lambda: morning)

    def summary(self, mailbox: LocalMailbox) -> dict[str, Any]:
        from thinfile.services.notifications import delivery_counts

        self._rounds(lambda: datetime.now(UTC))
        counts = delivery_counts(self.context.engine)
        return {
            "delivered": {c: n.get("delivered", 0) for c, n in counts.items()},
            "waiting": sum(n.get("pending", 0) for n in counts.values()),
            "emails_in_mailbox": len(mailbox.messages()),
            "mailbox": str(mailbox.folder),
        }


@contextmanager
def payments_log(console: Console) -> Iterator[None]:
    """The payments log (``thinfile.payments``) on the console, marked as a log, while the
    year runs; other loggers as they were."""
    import logging

    logger = logging.getLogger("thinfile.payments")
    handler = logging.StreamHandler(console.file)
    handler.setFormatter(logging.Formatter("    payments log, %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
