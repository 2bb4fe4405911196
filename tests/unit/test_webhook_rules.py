"""The rules of merchant webhooks without I/O: the retry schedule against a schedule written
out by hand, the endpoint URL rule, the event body and its bounds, and the shared signature
(two secrets during a rotation, hostile headers refused, never a crash)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from thinfile.commerce.webhooks import (
    MAX_BODY_BYTES,
    RetryPolicy,
    WebhookEventType,
    event_body,
    subscribed_types,
    webhook_url,
)
from thinfile.errors import InvalidInputError, NotificationRejectedError, PayloadTooLargeError
from thinfile.security.signatures import SIGNATURE_HEADER, sign, verify_signature

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
KEY, OLD = b"whsec_new", b"whsec_old"


def test_the_default_schedule_doubles_from_30_seconds_up_to_6_hours_over_12_tries():
    policy = RetryPolicy()
    by_hand = [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600]  # 6 h = 21600
    assert [policy.nominal_delay(n) for n in range(1, 12)] == by_hand
    assert [policy.is_last(n) for n in (11, 12)] == [False, True]
    assert sum(by_hand) == 52_290  # about 14.5 hours from the first try to the last


def test_jitter_spreads_each_wait_by_at_most_a_fifth_either_way():
    policy = RetryPolicy()
    assert policy.delay(3, 0.0) == 96.0  # 120 × 0.8
    assert policy.delay(3, 0.5) == 120.0
    assert 143.99 < policy.delay(3, 0.99999) < 144.0  # just under 120 × 1.2
    assert policy.nominal_delay(500) == 21600  # no overflow far out
    for draw in (-0.1, 1.0, float("nan")):
        with pytest.raises(InvalidInputError):
            policy.delay(1, draw)
    with pytest.raises(InvalidInputError):
        policy.nominal_delay(0)


@pytest.mark.parametrize(
    "fields",
    [
        {"max_attempts": 0},
        {"jitter": 1.0},
        {"base_seconds": -1},
        {"base_seconds": 100, "cap_seconds": 50},
        {"timeout_seconds": 0},
        {"cap_seconds": float("inf")},
    ],
)
def test_a_policy_out_of_range_is_refused(fields):
    with pytest.raises(InvalidInputError):
        RetryPolicy(**fields)


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/events",
        "https://shop.example:8443/thinfile?store=7",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]:9000/hook",
        "  https://shop.example/e  ",
    ],
)
def test_good_endpoint_urls_pass_in_development(url):
    assert webhook_url(url, allow_local=True) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://shop.localhost/hook",
        "https://[::1]/hook",
        "https://10.0.0.7/hook",
        "https://192.168.1.1/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/hook",
        "https://[fd00::1]/hook",
        # IPv4 as a resolver also reads it: each connects to 127.0.0.1
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://127.1/hook",
        "https://0177.0.0.1/hook",
        "https://0/hook",
        "https://localhost./hook",
        "https://100.64.0.1/hook",  # shared address space (carrier NAT)
        "https://[::ffff:127.0.0.1]/hook",
    ],
)
def test_outside_development_no_endpoint_points_at_this_machine_or_a_private_network(url):
    with pytest.raises(InvalidInputError) as refused:
        webhook_url(url)
    assert refused.value.field == "url"
    assert webhook_url("https://8.8.8.8/hook") == "https://8.8.8.8/hook"


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/e",
        "http://127.0.0.2/e",
        "https://user@shop.example/e",
        "https://shop.example/e#x",
        "file:///etc/passwd",
        "https://shop.example/\x00",
        "https://shop.example/ e",
        "ｈｔｔｐｓ://shop.example/e",
        "https://shop.example:65536/e",
        "https://",
    ],
)
def test_bad_endpoint_urls_name_the_field(url):
    with pytest.raises(InvalidInputError) as refused:
        webhook_url(url, allow_local=True)
    assert refused.value.field == "url"


def test_event_types_are_known_distinct_and_in_a_fixed_order():
    chosen = subscribed_types(["dispute.opened", "checkout.captured", "dispute.opened"])
    assert chosen == (WebhookEventType.CHECKOUT_CAPTURED, WebhookEventType.DISPUTE_OPENED)
    for bad in ([], ["checkout.*"], ["Checkout.Captured"]):
        with pytest.raises(InvalidInputError) as refused:
            subscribed_types(bad)
        assert refused.value.field == "event_types"


def test_the_body_is_sorted_compact_utf8_with_its_version():
    body = event_body(
        "evt_1",
        WebhookEventType.CHECKOUT_REFUNDED,
        merchant_id="m1",
        created=AT,
        data={"refund": {"amount_fen": 30000, "amount": "300.00"}, "note": "退款"},
    )
    assert body == (
        '{"created":"2026-12-03T12:00:00Z","data":{"note":"退款","refund":'
        '{"amount":"300.00","amount_fen":30000}},"id":"evt_1","merchant_id":"m1",'
        '"type":"checkout.refunded","version":1}'
    )
    assert json.loads(body)["version"] == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 1.5}, "data.amount"),
        ({"lines": [{"price": 0.1}]}, "data.lines[0].price"),
        ({"when": AT}, "data.when"),
        ({"bad": "\ud800"}, "data.bad"),
        ({1: "x"}, "data"),
    ],
)
def test_a_body_that_is_not_plain_json_is_refused_naming_where(data, field):
    with pytest.raises(InvalidInputError) as refused:
        event_body(
            "evt_1", WebhookEventType.CHECKOUT_CAPTURED, merchant_id="m", created=AT, data=data
        )
    assert refused.value.field == field


def test_a_body_just_over_the_bound_is_refused_and_one_at_it_passes():
    empty = event_body(
        "evt_1", WebhookEventType.CHECKOUT_CAPTURED, merchant_id="m", created=AT, data={"x": ""}
    )
    room = MAX_BODY_BYTES - len(empty.encode())
    fits = event_body(
        "evt_1",
        WebhookEventType.CHECKOUT_CAPTURED,
        merchant_id="m",
        created=AT,
        data={"x": "a" * room},
    )
    assert len(fits.encode()) == MAX_BODY_BYTES
    with pytest.raises(PayloadTooLargeError):
        event_body(
            "evt_1",
            WebhookEventType.CHECKOUT_CAPTURED,
            merchant_id="m",
            created=AT,
            data={"x": "a" * (room + 1)},
        )
    with pytest.raises(InvalidInputError, match="nested"):
        deep: dict[str, object] = {}
        for _ in range(40):
            deep = {"d": deep}
        event_body(
            "evt_1", WebhookEventType.CHECKOUT_CAPTURED, merchant_id="m", created=AT, data=deep
        )


def _verify(key: bytes, header: str, body: bytes = b"{}", now: datetime = AT) -> None:
    verify_signature(key, {SIGNATURE_HEADER: header}, body, now=now, tolerance_seconds=300)


def test_a_signature_made_with_two_keys_verifies_under_either():
    header = sign(KEY, b"{}", at=AT, more_keys=(OLD,))
    assert header.startswith(f"t={int(AT.timestamp())},v1=") and header.count("v1=") == 2
    _verify(KEY, header)
    _verify(OLD, header)
    with pytest.raises(NotificationRejectedError, match="does not match"):
        _verify(b"whsec_other", header)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=abc,v1=00",
        "t=１７６４７６３２００,v1=00",
        "v1=00",
        "t=1764763200",
        "t=1764763200,v1=é" + "0" * 63,  # beyond ASCII: refused, not a crash
        "t=1764763200," + "v1=0," * 400,
        "t=99999999999999999999,v1=00",
    ],
)
def test_hostile_signature_headers_are_refused_never_crash(header):
    with pytest.raises(NotificationRejectedError):
        _verify(KEY, header)


def test_a_timestamp_spelt_with_leading_zeros_is_refused():
    """``t=0…`` is the same number, so its HMAC matches; accepted, a captured notification
    re-spelt so passed the replay store, which keys on the text as sent."""
    header = sign(KEY, b"{}", at=AT)
    _verify(KEY, header)
    with pytest.raises(NotificationRejectedError, match="malformed"):
        _verify(KEY, header.replace("t=", "t=0", 1))
    with pytest.raises(NotificationRejectedError, match="malformed"):
        _verify(KEY, header.replace("t=", "t=00", 1))


def test_an_old_signature_is_refused_even_when_the_hmac_is_right():
    stale = sign(KEY, b"{}", at=datetime(2026, 12, 3, 11, 54, 59, tzinfo=UTC))
    with pytest.raises(NotificationRejectedError, match="too old"):
        _verify(KEY, stale)
    _verify(KEY, sign(KEY, b"{}", at=datetime(2026, 12, 3, 11, 55, 0, tzinfo=UTC)))
