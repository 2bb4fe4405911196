"""Borrower communications (no I/O): what messages exist, in which words, by which channels,
and the contact rules every delivery obeys.

Data flow::

    MessageKind ──KINDS[kind]──► KindRule (channels, legally required, marketing)
    KindRule, Preferences, marketing consent ──channels_for──► the channels to use
    (kind, loan, due date) ──dedupe_key──► the key a message is written once under
    a moment, the borrower's zone ──contact_time──► now, or 08:00 when in quiet hours
    MessageKind, params, gettext ──render──► RenderedMessage (subject, body)
"""

from thinfile.comms.kinds import (
    KINDS,
    OVERDUE_DAYS,
    REMINDER_DAYS_BEFORE,
    Channel,
    KindRule,
    MessageKind,
)
from thinfile.comms.policy import (
    DEFAULT_TIME_ZONE,
    QUIET_END,
    QUIET_START,
    DailyCaps,
    Preferences,
    channel_choices,
    channels_for,
    contact_time,
    dedupe_key,
    in_quiet_hours,
    local_day,
    next_local_morning,
    zone_of,
)
from thinfile.comms.templates import TEMPLATES, RenderedMessage, Template, render

__all__ = [
    "DEFAULT_TIME_ZONE",
    "KINDS",
    "OVERDUE_DAYS",
    "QUIET_END",
    "QUIET_START",
    "REMINDER_DAYS_BEFORE",
    "TEMPLATES",
    "Channel",
    "DailyCaps",
    "KindRule",
    "MessageKind",
    "Preferences",
    "RenderedMessage",
    "Template",
    "channel_choices",
    "channels_for",
    "contact_time",
    "dedupe_key",
    "in_quiet_hours",
    "local_day",
    "next_local_morning",
    "render",
    "zone_of",
]
