"""Cookies and signed form tokens of the pages.

* The **session cookie** holds the same signed, expiring access token the API issues
  (:class:`~thinfile.security.tokens.TokenSigner`); it is ``HttpOnly``, ``SameSite=Lax`` and
  ``Secure`` unless turned off for ``http://localhost`` in development. A secure session cookie
  carries the ``__Host-`` prefix, so no other host or path can plant one.
* The **device cookie** keeps the device token a phone sign-in gave
  (:func:`~thinfile.security.otp.device_token`) for a year, ``HttpOnly``: codes asked for
  from this browser are the known devices', so a stranger's wrong tries at the number do not
  pause it. It holds one account's token: a browser shared by two numbers keeps the last.
* **CSRF** uses signed double submit: a random ``HttpOnly`` cookie, and in every form a hidden
  field holding its HMAC under the app's secret. A form is accepted only when the field matches
  the cookie; a page on another site can neither read the cookie nor compute the field.
* The **reading receipt** is a signed note of the moment the all-in cost statement was shown
  for one offer of one application to one user; the acceptance service refuses an acceptance
  earlier than ``MIN_READING_SECONDS`` after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

from thinfile.errors import InvalidInputError, PermissionDeniedError

__all__ = ["CSRF_FIELD", "CookiePolicy", "ReadingReceipts", "check_csrf", "csrf_field_value"]

CSRF_FIELD = "csrf_token"
_CSRF_COOKIE = "thinfile_csrf"


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """Names and flags of the cookies; ``secure`` is off only for plain-http development."""

    secure: bool
    session_ttl_seconds: int

    @property
    def session_name(self) -> str:
        return "__Host-thinfile_session" if self.secure else "thinfile_session"

    @property
    def csrf_name(self) -> str:
        return f"__Host-{_CSRF_COOKIE}" if self.secure else _CSRF_COOKIE

    def set_session(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.session_name,
            token,
            max_age=self.session_ttl_seconds,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    @property
    def device_name(self) -> str:
        return "__Host-thinfile_device" if self.secure else "thinfile_device"

    def device(self, connection: HTTPConnection) -> str | None:
        """The device token this browser keeps, if any (checked by the service, not here)."""
        return connection.cookies.get(self.device_name)

    def set_device(self, response: Response, token: str) -> None:
        """Kept a year, ``HttpOnly``, like a preference."""
        self.set_preference(response, self.device_name, token)

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            self.session_name, path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    def set_csrf(self, response: Response, value: str) -> None:
        response.set_cookie(
            self.csrf_name, value, path="/", secure=self.secure, httponly=True, samesite="strict"
        )

    def set_preference(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=365 * 86_400,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )


def _mac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_field_value(key: bytes, cookie_value: str) -> str:
    """The hidden form field that goes with the CSRF cookie ``cookie_value``."""
    return _mac(key, "csrf:" + cookie_value)


def check_csrf(
    key: bytes, connection: HTTPConnection, policy: CookiePolicy, submitted: str | None
) -> None:
    """Refuse a form whose CSRF field does not match its cookie."""
    cookie = connection.cookies.get(policy.csrf_name)
    if (
        not cookie
        or not submitted
        or not hmac.compare_digest(csrf_field_value(key, cookie), submitted)
    ):
        raise PermissionDeniedError(
            "this form has expired or did not come from this site",
            field=CSRF_FIELD,
            remedy="reload the page and submit the form again",
        )


class ReadingReceipts:
    """Signed notes of when an offer's cost statement was shown, read back on acceptance.

    How long it has been read, and whether that is long enough, is the acceptance service's
    rule (:func:`thinfile.services.acceptance.seconds_read`); a receipt only proves the moment
    shown, to this user, for this offer of this application — at this price (``price``: the
    interest coupon and standard price the statement was shown with), so the statement
    confirmed is the one signed.
    """

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="thinfile.web.statement-shown.v1")

    @staticmethod
    def now() -> datetime:
        """The clock receipts are written by (milliseconds, UTC)."""
        return _moment(time.time_ns() // 1_000_000)

    def issue(
        self,
        *,
        user_id: str,
        application_id: str,
        offer: int,
        now_ms: int | None = None,
        price: str = "",
    ) -> str:
        shown = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        data: dict[str, object] = {"u": user_id, "a": application_id, "o": offer, "t": shown}
        if price:
            data["p"] = price
        return str(self._serializer.dumps(data))

    def shown_at(
        self, receipt: str, *, user_id: str, application_id: str, offer: int, price: str = ""
    ) -> datetime:
        """When the statement was shown; refuses a receipt for anything else."""
        try:
            data = self._serializer.loads(receipt)
        except BadSignature:
            data = None
        if (
            not isinstance(data, dict)
            or (data.get("u"), data.get("a"), data.get("o")) != (user_id, application_id, offer)
            or data.get("p", "") != price
            or not isinstance(data.get("t"), int)
        ):
            raise InvalidInputError(
                "open the cost statement before confirming",
                field="statement_receipt",
                remedy="reload the offer page and read the statement",
            )
        return _moment(int(data["t"]))


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
