"""Contract tests every notification channel adapter passes (the ports of
``thinfile.services.notification_ports``): e-mail over SMTP against a real local SMTP server,
the sandbox SMS provider, and the stored in-app message centre.

Each adapter: takes a message and answers with its id; keeps one message however many times
the same reference is sent; refuses for good what can never arrive (``permanent``), and
reports what may arrive later as a temporary failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.integration.notification_helpers import (
    borrower,
    free_port,
    mailbox,  # noqa: F401 - fixture
    new_cipher,
)
from thinfile.adapters.local_mailbox import BOUNCE_DOMAIN, LocalMailbox
from thinfile.adapters.message_centre import StoredMessageCentre
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.adapters.smtp_email import SmtpEmailSender
from thinfile.comms import MessageKind
from thinfile.services import notifications as notes
from thinfile.services.notification_ports import ChannelError, OutgoingEmail, OutgoingSms
from thinfile.services.uow import UnitOfWork

SENDER = "thinfile <no-reply@thinfile.test>"


@dataclass
class Harness:
    """One adapter, and how to give it a message and read what arrived."""

    send: Callable[[str, str], str]  # (address, reference) -> provider id
    arrived: Callable[[], list[str]]  # the texts kept at the receiver
    good: str
    refused: str
    unreachable: Callable[[], Callable[[str, str], str]]


def email_harness(engine, box: LocalMailbox) -> Harness:
    sender = SmtpEmailSender(box.host, box.port, sender=SENDER, timeout=5)

    def send(to: str, reference: str, via: SmtpEmailSender = sender) -> str:
        return via.send(OutgoingEmail(to, "还款提醒", "您好 hello", reference, "zh"))

    def down() -> Callable[[str, str], str]:
        closed = SmtpEmailSender("127.0.0.1", free_port(), sender=SENDER, timeout=2)
        return lambda to, ref: send(to, ref, closed)

    return Harness(
        send,
        lambda: [m.get_content().strip() for m in box.messages()],
        "someone@example.com",
        f"nobody@{BOUNCE_DOMAIN}",
        down,
    )


def sms_harness(engine, box: LocalMailbox) -> Harness:
    provider = SandboxNoticeSms(engine, new_cipher())

    def send(phone: str, reference: str) -> str:
        return provider.send(OutgoingSms(phone, "【thinfile】您好 hello", reference))

    return Harness(
        send,
        lambda: [m.body for m in provider.inbox()],
        "13800138000",
        "12345",
        lambda: lambda phone, ref: send("13800130000", ref),
    )


HARNESSES = {"smtp-email": email_harness, "sandbox-sms": sms_harness}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request, engine, mailbox) -> Harness:  # noqa: F811
    return HARNESSES[request.param](engine, mailbox)


def test_a_message_arrives_and_the_adapter_names_it(harness):
    provider_id = harness.send(harness.good, "n1-x")
    assert provider_id
    assert len(harness.arrived()) == 1 and "hello" in harness.arrived()[0]
    assert "您好" in harness.arrived()[0]


def test_the_same_reference_twice_is_one_message(harness):
    harness.send(harness.good, "n7-x")
    harness.send(harness.good, "n7-x")
    harness.send(harness.good, "n8-x")
    assert len(harness.arrived()) == 2


def test_an_address_that_can_never_receive_is_refused_for_good(harness):
    with pytest.raises(ChannelError) as refused:
        harness.send(harness.refused, "n2-x")
    assert refused.value.permanent
    assert harness.arrived() == []


def test_a_receiver_out_of_reach_is_a_temporary_failure(harness):
    with pytest.raises(ChannelError) as failed:
        harness.unreachable()(harness.good, "n3-x")
    assert not failed.value.permanent
    assert harness.arrived() == []


def test_the_message_centre_stores_only_with_its_unit_of_work(engine):
    cipher = new_cipher()
    who = borrower(engine, cipher)
    with UnitOfWork(engine) as uow:
        notes.enqueue_notification_in_unit(
            uow, who.actor.user_id, MessageKind.DUE_TODAY, subject="loan:1", day=1, loan_id=1
        )
        uow.commit()
    centre = StoredMessageCentre()
    with UnitOfWork(engine) as uow:
        (message,) = [m for m in uow.notifications.page(limit=5, offset=0) if m.channel == "in_app"]
        assert (
            centre.post_in_unit(uow, message, "s", "b", "en") == f"inapp:{message.notification_id}"
        )
        # not committed: nothing stored
    with UnitOfWork(engine) as uow:
        stored = uow.notifications.message(message.notification_id, "in_app")
        assert stored is not None and stored.subject is None
        centre.post_in_unit(uow, message, "s", "b", "en")
        uow.commit()
    with UnitOfWork(engine) as uow:
        stored = uow.notifications.message(message.notification_id, "in_app")
        assert stored is not None and (stored.subject, stored.body) == ("s", "b")
