"""Form fields in, typed errors out: turn page forms into service input, and the services'
:class:`~thinfile.errors.InvalidInputError` problems back into messages beside each field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

from pydantic import ValidationError

from thinfile.decisioning.checks import id_birth_date
from thinfile.errors import FieldProblem, InvalidInputError, RateLimitedError

__all__ = [
    "APPLICATION_FIELDS",
    "application_form",
    "field_messages",
    "invalid_from_pydantic",
    "retry_minutes",
]

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated when shown."""
    return message


_INTEGER_FIELDS = ("requested_term_months", "months_in_city", "platform_tenure_months")
_TEXT_FIELDS = (
    "purpose",
    "segment",
    "requested_amount",
    "declared_monthly_income",
    "existing_debt_payment_monthly",
)
APPLICATION_FIELDS = _TEXT_FIELDS + _INTEGER_FIELDS

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^is required$"), N_("This is required.")),
    (re.compile(r"^must be a whole number$"), N_("Enter a whole number.")),
    (
        re.compile(r"^must be from (?P<low>\d+) to (?P<high>\d+)$"),
        N_("Enter a number from %(low)s to %(high)s."),
    ),
    (
        re.compile(r"^(is not a number|must be a non-negative amount.*|must be a yuan amount.*)$"),
        N_("Enter an amount in yuan, such as 6000 or 6000.50."),
    ),
    (re.compile(r"^must be one of"), N_("Choose one of the options.")),
    (re.compile(r"at least (?P<low>\d+) characters?"), N_("Use at least %(low)s characters.")),
    (re.compile(r"at most (?P<high>\d+) characters?"), N_("Use at most %(high)s characters.")),
    (re.compile(r"should match pattern"), N_("Enter an e-mail address such as name@example.com.")),
    (re.compile(r"^reload the page and pay again$"), N_("Reload the page and pay again.")),
    (
        re.compile(r"^the payoff amount has changed$"),
        N_("The amount to repay has changed. Check the new amount and confirm again."),
    ),
    (
        re.compile(r"more than two decimal places"),
        N_("Enter an amount in yuan, such as 6000 or 6000.50."),
    ),
    (
        re.compile(r"^must be from (?P<low>[0-9.,]+) to (?P<high>[0-9.,]+) yuan$"),
        N_("Enter an amount from %(low)s to %(high)s yuan."),
    ),
    (
        re.compile(
            r"(is written with an exponent|is not a finite number|uses digits other than"
            r" 0-9.*|has spaces or underscores inside it|has commas in the wrong places|"
            r"is empty|is not a number|digits before the decimal point)$"
        ),
        N_("Write the amount in digits 0-9 only, such as 6000 or 6000.50."),
    ),
)


def _localize(message: str, gettext: Gettext) -> str:
    for pattern, text in _PATTERNS:
        found = pattern.search(message)
        if found:
            return gettext(text) % found.groupdict() if found.groupdict() else gettext(text)
    return message


def field_messages(error: InvalidInputError, gettext: Gettext) -> dict[str, str]:
    """One message per bad field, in the reader's language where the wording is known."""
    problems = list(error.problems)
    if error.field and not problems:
        problems = [FieldProblem(error.field, error.message)]
    return {p.field: _localize(p.message, gettext) for p in problems}


def invalid_from_pydantic(error: ValidationError) -> InvalidInputError:
    """A pydantic failure as the typed error (values are not echoed: they may be secrets)."""
    problems = [
        FieldProblem(".".join(str(x) for x in e["loc"]) or "form", str(e["msg"]))
        for e in error.errors()
    ]
    return InvalidInputError("the form is not valid", problems=problems)


def _integer(text: str) -> int | str:
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else text


def application_form(fields: Mapping[str, str], *, id_number: str) -> dict[str, object]:
    """The application as the decision service reads it; blanks are left out, so a missing
    required field is reported by the service, and text in a number field too. The consent
    flags are not the form's: the service reads them from the recorded consents."""
    form: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        value = fields.get(name, "").strip()  # amounts are read by Money.of, commas and all
        if value:
            form[name] = value
    for name in _INTEGER_FIELDS:
        value = fields.get(name, "").strip()
        if value:
            form[name] = _integer(value)
    born: date | None = id_birth_date(id_number)
    if born is not None:
        form["birth_date"] = born.isoformat()
    return form


def retry_minutes(error: RateLimitedError) -> int:
    """Whole minutes (at least one) until a rate-limited form may be sent again."""
    seconds = error.extra.get("retry_after_seconds", 60)
    whole = int(seconds) if isinstance(seconds, int | float) else 60
    return max(1, -(-whole // 60))
