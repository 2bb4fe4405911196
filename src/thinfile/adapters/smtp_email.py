"""E-mail over SMTP (``smtplib``): one connection per message, plain text in UTF-8.

The delivery's reference becomes the ``Message-ID`` (``<reference@domain>``), the same on every
try, so a receiver that keeps one message per id (the local mailbox does) drops a repeat. A
5xx answer (no such mailbox …) fails for good; a 4xx answer or a broken connection is tried
again later.
"""

from __future__ import annotations

import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from thinfile.services.notification_ports import ChannelError, OutgoingEmail

__all__ = ["SmtpEmailSender", "message_id"]


def message_id(reference: str, domain: str) -> str:
    return f"<{reference}@{domain}>"


class SmtpEmailSender:
    """An :class:`~thinfile.services.notification_ports.EmailSender` to an SMTP server."""

    provider = "smtp"

    def __init__(self, host: str, port: int, *, sender: str, timeout: float = 10.0) -> None:
        name, address = parseaddr(sender)
        if "@" not in address:
            raise ValueError(f"{sender!r} is not an e-mail address")
        self.host, self.port, self.timeout = host, port, timeout
        self.sender, self.from_address = sender, address
        self.domain = address.rsplit("@", 1)[1]
        self._name = name

    def build(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        user, _, domain = self.from_address.partition("@")
        message["From"] = Address(self._name or "", user, domain)
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(email.reference, self.domain)
        message["Content-Language"] = "zh-Hans" if email.language == "zh" else "en"
        message.set_content(email.body, charset="utf-8", cte="base64")
        return message

    def send(self, email: OutgoingEmail) -> str:
        message = self.build(email)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                server.send_message(message, from_addr=self.from_address, to_addrs=[email.to])
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            raise ChannelError(
                f"the mail server refused the recipient ({codes[0] if codes else '?'})",
                permanent=all(500 <= c < 600 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as answer:
            raise ChannelError(
                f"the mail server answered {answer.smtp_code}",
                permanent=500 <= answer.smtp_code < 600,
            ) from None
        except (smtplib.SMTPException, OSError) as broken:
            raise ChannelError(f"no mail server: {type(broken).__name__}") from None
        return str(message["Message-ID"])
