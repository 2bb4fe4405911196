"""Why a member of staff acted: the one rule for the reason a staff action records (原因).

Reversing a payment or a fee waiver (冲正), charging a loan off (核销), writing it off and
waiving fees (费用减免) each record the reason given — on the journal entry and in the audit
log. Whether it comes from the API or the console, the reason is stripped of surrounding
spaces and must then be :data:`REASON_MIN_CHARS` to :data:`REASON_MAX_CHARS` characters: the
stricter bound of each interface as they were (the console asked for at least 3 characters,
the API for at most 200) — and plain text: no control, zero-width or direction character,
which would hide or reorder what an audit later reads (:func:`plain_reason`).

An underwriter's review of a referral (人工审核) records a note for the file, approval or
decline alike: the rationale for overriding or confirming the policy's referral is what an
audit, a complaint or a model review reads later. It is stripped and must then be 1 to
:data:`REVIEW_NOTE_MAX_CHARS` characters (:func:`review_note`).
"""

from __future__ import annotations

from thinfile.errors import InvalidInputError
from thinfile.text import has_hidden

__all__ = [
    "REASON_MAX_CHARS",
    "REASON_MIN_CHARS",
    "REVIEW_NOTE_MAX_CHARS",
    "plain_reason",
    "review_note",
    "staff_reason",
]

REASON_MIN_CHARS = 3
REASON_MAX_CHARS = 200
REVIEW_NOTE_MAX_CHARS = 500


def staff_reason(text: str) -> str:
    """``text`` stripped, or :class:`InvalidInputError` (field ``reason``) when it is shorter
    than :data:`REASON_MIN_CHARS` or longer than :data:`REASON_MAX_CHARS` characters."""
    reason = plain_reason(text.strip())
    if len(reason) < REASON_MIN_CHARS:
        raise InvalidInputError(
            f"give a reason of at least {REASON_MIN_CHARS} characters",
            field="reason",
            value=reason,
            remedy="say why, in a few words",
        )
    if len(reason) > REASON_MAX_CHARS:
        raise InvalidInputError(
            f"give a reason of at most {REASON_MAX_CHARS} characters",
            field="reason",
            value=reason[:40] + "…",
            remedy="shorten the reason",
        )
    return reason


def plain_reason(text: str, field: str = "reason") -> str:
    """``text``, or :class:`InvalidInputError` naming ``field`` when it holds a control,
    zero-width or direction character (line breaks and tabs are kept)."""
    if has_hidden(text, keep="\n\r\t"):
        raise InvalidInputError(
            f"the {field} must not hold control, zero-width or direction characters",
            field=field,
            remedy="write it as plain text",
        )
    return text


def review_note(text: str) -> str:
    """``text`` stripped, or :class:`InvalidInputError` (field ``note``) when it is empty or
    longer than :data:`REVIEW_NOTE_MAX_CHARS` characters."""
    note = text.strip()
    if not note:
        raise InvalidInputError(
            "give a note for the file",
            field="note",
            value=note,
            remedy="say what the review found, in a few words",
        )
    if len(note) > REVIEW_NOTE_MAX_CHARS:
        raise InvalidInputError(
            f"give a note of at most {REVIEW_NOTE_MAX_CHARS} characters",
            field="note",
            value=note[:40] + "…",
            remedy="shorten the note",
        )
    return note
