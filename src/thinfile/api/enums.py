"""The closed sets of values the API speaks in, as enums the OpenAPI spec names.

Where the domain already has an enum (``LoanStatus``, ``Outcome``…) the models use it; the
ones here are the sets the domain keeps as tuples or plain strings. Each is checked against
its source by tests/api/test_api_enums.py, so the spec cannot drift from the code.

Some values stay open strings on purpose, their current values named in the field's
description (docs/api.md, "Open sets"): delinquency buckets (a servicing product names its
own), grades and product codes (a policy names its own), currencies.
"""

from __future__ import annotations

import enum

__all__ = ["Gender", "LoanPurpose", "Segment", "TransactionKind"]


class Segment(enum.StrEnum):
    """Occupation segment of an application (``decisioning.application.SEGMENTS``)."""

    DELIVERY_RIDER = "delivery_rider"
    RIDE_HAIL_DRIVER = "ride_hail_driver"
    CONSTRUCTION_WORKER = "construction_worker"
    FACTORY_WORKER = "factory_worker"
    DOMESTIC_SERVICE = "domestic_service"
    MICRO_SHOP_OWNER = "micro_shop_owner"
    NEW_GRADUATE = "new_graduate"
    SALARIED_RESIDENT = "salaried_resident"


class LoanPurpose(enum.StrEnum):
    """What the loan is for (``decisioning.application.PURPOSES``)."""

    CONSUMPTION = "consumption"
    RENT_DEPOSIT = "rent_deposit"
    EDUCATION = "education"
    VEHICLE = "vehicle"
    MEDICAL = "medical"
    BUSINESS_WORKING_CAPITAL = "business_working_capital"
    PHONE_PURCHASE = "phone_purchase"


class Gender(enum.StrEnum):
    F = "F"
    M = "M"


class TransactionKind(enum.StrEnum):
    """A loan transaction: its disbursement, a reversal, or a posted business event
    (``servicing.EventKind``)."""

    DISBURSEMENT = "disbursement"
    REVERSAL = "reversal"
    REPAYMENT = "repayment"
    PREPAYMENT = "prepayment"
    MERCHANT_REFUND = "merchant-refund"
    CHARGE_OFF = "charge-off"
    WRITE_OFF = "write-off"
    RECOVERY = "recovery"
    OVERPAYMENT_REFUND = "overpayment-refund"
    FEE_WAIVER = "fee-waiver"
    PAYMENT_HOLIDAY = "payment-holiday"
    RE_AGE = "re-age"
    TERM_EXTENSION = "term-extension"
    SETTLEMENT = "settlement"
