"""Form fields in, typed errors out: turn page forms into service input, and the services'
:class:`~thinfile.errors.InvalidInputError` problems back into messages beside each field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

from pydantic import ValidationError

from thinfile.decisioning.checks import id_birth_date
from thinfile.errors import FieldProblem, InvalidInputError, RateLimitedError
from thinfile.money import format_yuan

__all__ = [
    "APPLICATION_FIELDS",
    "FIELD_LABELS",
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
FIELD_LABELS: dict[str, str] = {
    # the application form's own labels (borrower/apply.html), the same words
    "requested_amount": N_("Amount (yuan)"),
    "declared_monthly_income": N_("Monthly income (yuan)"),
    "existing_debt_payment_monthly": N_("Monthly repayments on other loans (yuan)"),
    "months_in_city": N_("Months living in this city"),
    "platform_tenure_months": N_("Months working on your platform or job"),
    "name": N_("Name"),
    # the other fields of an application (thinfile.decisioning.application)
    "applicant_id": N_("Applicant ID"),
    "id_number": N_("ID number"),
    "phone": N_("Mobile number"),
    "birth_date": N_("Date of birth"),
    "gender": N_("Gender"),
    "segment": N_("Work"),
    "purpose": N_("Purpose"),
    "requested_term_months": N_("Term (months)"),
    "consent_credit": N_("Consent to a credit report check"),
    "consent_alt_data": N_("Consent to alternative data"),
    "city": N_("City"),
    "city_tier": N_("City tier"),
    "hukou_province": N_("Province of household registration"),
    "is_local_hukou": N_("Household registered in this city"),
    "device_id": N_("Device ID"),
    "device_tenure_months": N_("Months using this phone"),
    "bureau_history_months": N_("Credit history (months)"),
    "bureau_records": N_("Accounts on the credit report"),
    "bureau_delinquencies_24m": N_("Late payments on the credit report, last 24 months"),
    "income_monthly_mean": N_("Observed monthly income (yuan)"),
    "income_monthly_cv": N_("Income variability (coefficient of variation)"),
    "income_months_observed": N_("Months of income observed"),
    "income_verified": N_("Income verified"),
    "rent_months_reported": N_("Months of rent reported"),
    "rent_on_time_ratio": N_("Share of rent paid on time"),
    "utility_months_reported": N_("Months of utility bills reported"),
    "utility_on_time_ratio": N_("Share of utility bills paid on time"),
    "social_insurance_months": N_("Months of social insurance"),
    "ecommerce_months_active": N_("Months of online shopping"),
    "ecommerce_monthly_spend": N_("Monthly online spending (yuan)"),
    "address_changes_24m": N_("Address changes, last 24 months"),
}
"""Each application field's label (to be translated when shown): the staff application page
names its inputs with these, the field code beside them as a hint."""

_TYPED_AMOUNT_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(is written with an exponent|is not a finite number|uses digits other than"
            r" 0-9.*|has spaces or underscores inside it|has commas in the wrong places|"
            r"is empty)\)?$"
        ),
        N_("Write the amount in digits 0-9 only, such as 6000 or 6000.50."),
    ),
    (
        re.compile(r"more than two decimal places"),
        N_("Write the amount with at most two decimals (fen), such as 6000.50."),
    ),
)
"""What :class:`~thinfile.money.Money` says about an amount as typed: matched before the
general "must be a yuan amount" wording that wraps it on the application form."""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^is required$"), N_("This is required.")),
    (re.compile(r"^must be a whole number$"), N_("Enter a whole number.")),
    (
        re.compile(r"^must be from (?P<low>\d+) to (?P<high>\d+)$"),
        N_("Enter a number from %(low)s to %(high)s."),
    ),
    (
        re.compile(
            r"^(must be a non-negative amount greater than zero|a payment must be positive)$"
        ),
        N_("Enter an amount above zero, such as 100 or 99.50."),
    ),
    (
        re.compile(
            r"is more than loan \d+ can take on [0-9-]+: paying (?P<most>[0-9.,]+) closes it$"
        ),
        N_("That is more than you owe: pay at most %(most)s yuan."),
    ),
    # the console's servicing forms: what the service refused, with its amount
    (
        re.compile(r"^a refund of [0-9.,]+ is more than the (?P<most>[0-9.,]+) still financed"),
        N_("That is more than the loan still finances: refund at most %(most)s yuan."),
    ),
    (
        re.compile(r"^only (?P<owed>[0-9.,]+) of fees and penalty interest is outstanding$"),
        N_("Only %(owed)s yuan of fees and penalty interest is owed: waive at most that."),
    ),
    (
        re.compile(r"^only (?P<owed>[0-9.,]+) of fees is outstanding$"),
        N_("Only %(owed)s yuan of fees is owed: waive at most that."),
    ),
    (
        re.compile(r"^only (?P<owed>[0-9.,]+) of penalty interest is outstanding$"),
        N_("Only %(owed)s yuan of penalty interest is owed: waive at most that."),
    ),
    # hardship plans (thinfile.collections.hardship, thinfile.servicing.reschedule)
    (
        re.compile(r"^months are from (?P<low>\d+) to (?P<high>\d+)$"),
        N_("Enter the months in digits, from %(low)s to %(high)s."),
    ),
    (
        re.compile(r"^a \w+ takes no months$"),
        N_("This plan takes no months: leave the months empty."),
    ),
    (
        re.compile(r"^only a settlement takes an amount$"),
        N_("Only a settlement takes an amount: leave the amount empty."),
    ),
    (
        re.compile(r"^a settlement amount is positive$"),
        N_("Enter an amount above zero, such as 100 or 99.50."),
    ),
    (
        re.compile(r"^nothing is left to fall due"),
        N_("Nothing is left to fall due on this loan, so its schedule cannot be changed."),
    ),
    *_TYPED_AMOUNT_PROBLEMS,
    (
        re.compile(r"^(is not a number|must be a non-negative amount.*|must be a yuan amount.*)$"),
        N_("Enter an amount in yuan, such as 6000 or 6000.50."),
    ),
    (re.compile(r"^must be one of"), N_("Choose one of the options.")),
    (re.compile(r"at least 1 characters?"), N_("This is required.")),
    (re.compile(r"at least (?P<low>\d+) characters?"), N_("Use at least %(low)s characters.")),
    (re.compile(r"at most (?P<high>\d+) characters?"), N_("Use at most %(high)s characters.")),
    (
        re.compile(r"^the ID number's check digit"),
        N_("The ID number's last character does not match the rest: check it on your card."),
    ),
    (
        re.compile(r"^an ID number has"),
        N_("Enter the 18-character number on your resident identity card."),
    ),
    (
        re.compile(r"^a mobile number has|^not a mainland mobile prefix"),
        N_("Enter a mainland mobile number: 11 digits starting with 1."),
    ),
    (re.compile(r"^reload the page and pay again$"), N_("Reload the page and pay again.")),
    (re.compile(r"^reload the page and confirm again$"), N_("Reload the page and confirm again.")),
    (re.compile(r"^reload the page and try again$"), N_("Reload the page and try again.")),
    (
        re.compile(r"^the cost statement must be read for at least (?P<n>\d+) seconds$"),
        N_("Please read the cost statement for at least %(n)s seconds, then confirm."),
    ),
    (
        re.compile(r"^confirm that you have read the cost statement$"),
        N_("Tick the box to confirm that you have read the statement."),
    ),
    (
        re.compile(r"^the payoff amount has changed$"),
        N_("The amount to repay has changed. Check the new amount and confirm again."),
    ),
    (
        re.compile(r"is more than you owe: at most (?P<most>[0-9.,]+)$"),
        N_("That is more than you owe: pay at most %(most)s yuan."),
    ),
    (
        re.compile(r"^must be from (?P<low>[0-9.,]+) to (?P<high>[0-9.,]+) yuan$"),
        N_("Enter an amount from %(low)s to %(high)s yuan."),
    ),
    (
        re.compile(r"(is not a number|digits before the decimal point)$"),
        N_("Write the amount in digits 0-9 only, such as 6000 or 6000.50."),
    ),
    # identity: what thinfile.resident_id and thinfile.text say about a profile
    (
        re.compile(r"^an ID number is written with the digits 0-9 and X only$"),
        N_("Write the ID number with the digits 0-9 and X only."),
    ),
    (
        re.compile(r"^an ID number has 17 digits and a check digit or X$"),
        N_("Enter the 18 characters of the ID number: 17 digits and a last digit or X."),
    ),
    (
        re.compile(r"^the ID number('s check digit does not match| does not hold a real birth)"),
        N_("The ID number is not right. Check it against the ID card."),
    ),
    (
        re.compile(r"^a birth date must be from [0-9-]+ to today$"),
        N_("Enter a real birth date, not in the future."),
    ),
    (re.compile(r" is younger than (?P<age>\d+)$"), N_("You must be at least %(age)s to borrow.")),
    (
        re.compile(r"^a mobile number is written with the digits 0-9 only$"),
        N_("Write the mobile number with the digits 0-9 only."),
    ),
    (
        re.compile(r"^a mobile number has 11 digits and starts with 1$"),
        N_("Enter an 11-digit mobile number, such as 13812345678."),
    ),
    (
        re.compile(r"^the number is not in a mainland mobile number segment"),
        N_("This is not a mainland mobile number. Check the first digits."),
    ),
    (
        re.compile(r"^a name cannot contain control or invisible formatting characters$"),
        N_("Remove the invisible or control characters from the name."),
    ),
    (
        re.compile(r"^a name (cannot be empty|must contain letters or Chinese characters)$"),
        N_("Enter the name as it is written on the ID card."),
    ),
    (re.compile(r"^choose a payment$"), N_("Choose a payment.")),
    (re.compile(r"^choose fees or penalty interest$"), N_("Choose fees or penalty interest.")),
    (re.compile(r"^share must be from 0 to 1$"), N_("Enter a share from 0 to 1, such as 0.1.")),
    (
        re.compile(r"(from|needs) (?P<low>\d+) to (?P<high>\d+) (applicants|rows|applications)$"),
        N_("Use from %(low)s to %(high)s applicants."),
    ),
    (re.compile(r"not UTF-8 text"), N_("Upload a CSV file saved as UTF-8 text.")),
    (
        re.compile(r"^give a note for the file$"),
        N_("Write a note for the file: what the review found, in a few words."),
    ),
)


_WITH_REMEDY: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^a settlement is less than what is owed\n"
            r"settle for less than (?P<owed_fen>\d+) fen"
        ),
        N_(
            "A settlement is for less than the %(owed)s yuan owed today; to pay all of it, "
            "take a payoff instead."
        ),
    ),
)
"""Service messages whose figure is in the remedy alone (matched against the message and the
remedy on the next line); a group named ``*_fen`` is said in yuan, without the suffix."""

_FORMATS = {  # a field's pattern error: say what the field looks like, not the pattern
    "email": N_("Enter an e-mail address such as name@example.com."),
    "id_number": N_("Enter the 18-character number on your resident identity card."),
    "phone": N_("Enter a mainland mobile number: 11 digits starting with 1."),
}
UNKNOWN_PROBLEM = N_("Check this value and try again.")
"""Said for a problem whose wording the pages do not know: never the raw English text."""


def _values(found: re.Match[str]) -> dict[str, str]:
    values = {}
    for name, value in found.groupdict().items():
        if name.endswith("_fen"):
            values[name.removesuffix("_fen")] = format_yuan(int(value), grouped=True)
        else:
            values[name] = value
    return values


def _localize(message: str, gettext: Gettext, field: str = "", remedy: str = "") -> str:
    if "should match pattern" in message:
        return gettext(_FORMATS.get(field.rsplit(".", 1)[-1], UNKNOWN_PROBLEM))
    tried = ((_WITH_REMEDY, f"{message}\n{remedy}"),) if remedy else ()
    for patterns, text_of in (*tried, (_PATTERNS, message)):
        for pattern, text in patterns:
            found = pattern.search(text_of)
            if found:
                values = _values(found)
                return gettext(text) % values if values else gettext(text)
    return gettext(UNKNOWN_PROBLEM)


def field_messages(error: InvalidInputError, gettext: Gettext) -> dict[str, str]:
    """One message per bad field, in the reader's language where the wording is known."""
    if error.field and not error.problems:
        said = _localize(error.message, gettext, error.field, error.remedy or "")
        return {error.field: said}
    return {p.field: _localize(p.message, gettext, p.field) for p in error.problems}


def invalid_from_pydantic(error: ValidationError) -> InvalidInputError:
    """A pydantic failure as the typed error (values are not echoed: they may be secrets)."""
    problems = [
        FieldProblem(".".join(str(x) for x in e["loc"]) or "form", str(e["msg"]))
        for e in error.errors()
    ]
    return InvalidInputError("the form is not valid", problems=problems)


def _integer(text: str) -> int | str:
    return int(text) if re.fullmatch(r"-?[0-9]{1,6}", text) else text


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
