"""The cost statement's wording in the reader's language.

:mod:`thinfile.loanmath.disclosure` writes each charge's standard, when it is charged, and the
default costs in English ("0.35% of the original principal each period"); the stored offer
keeps that text. Here each known wording is matched, its figures kept exactly as stored, and
the sentence is rebuilt from a catalog message, so the Chinese statement says the same numbers.
Text that matches no known wording is shown as stored rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from thinfile.web.forms import N_

__all__ = ["statement_text"]

_RATE = r"(?P<rate>-?[0-9.]+%)"

_WORDINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"^{_RATE} a year on the outstanding principal$"),
        N_("%(rate)s a year on the outstanding principal"),
    ),
    (
        re.compile(rf"^{_RATE} of the original principal each period$"),
        N_("%(rate)s of the original principal each period"),
    ),
    (re.compile(r"^deducted from the amount disbursed$"), N_("deducted from the amount disbursed")),
    (re.compile(r"^with each installment$"), N_("with each installment")),
    (re.compile(r"^at disbursement$"), N_("at disbursement")),
    (
        re.compile(
            rf"^{_RATE} a year \((?P<daily>[0-9.]+%) a day\) on overdue principal after "
            r"(?P<days>[0-9]+) grace days$"
        ),
        N_("%(rate)s a year (%(daily)s a day) on overdue principal after %(days)s grace days"),
    ),
    (
        re.compile(r"^(?P<amount>[0-9.]+) per overdue installment$"),
        N_("%(amount)s yuan per overdue installment"),
    ),
    (
        re.compile(
            r"^(?P<amount>[0-9.]+) per overdue installment, at most (?P<cap>[0-9.]+) in "
            r"all$"
        ),
        N_("%(amount)s yuan per overdue installment, at most %(cap)s yuan in all"),
    ),
    (
        re.compile(
            rf"^interest, penalty and fees on an overdue amount never more than {_RATE} a "
            r"year in all$"
        ),
        N_(
            "interest, penalty and fees on an overdue amount never more than %(rate)s a year in all"
        ),
    ),
    (re.compile(r"^none$"), N_("none")),
    (re.compile(r"^thinfile demo lender$"), N_("thinfile demo lender")),
)


def statement_text(text: object, gettext: Callable[[str], str]) -> str:
    """``text`` from a stored cost statement, in the language of ``gettext``."""
    shown = str(text)
    for pattern, message in _WORDINGS:
        found = pattern.match(shown)
        if found:
            return gettext(message) % found.groupdict() if found.groupdict() else gettext(message)
    return shown
