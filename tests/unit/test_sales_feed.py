"""Reading a merchant-sales feed: every bad row and field is named with what to do, and a
bad file gives back no rows at all."""

from __future__ import annotations

from datetime import date

import pytest

from thinfile.errors import InvalidSalesFeedError, RowProblem
from thinfile.scoring.sales_feed import (
    FEED_COLUMNS,
    MAX_FEED_ROWS,
    DailySales,
    read_sales_csv,
    read_sales_rows,
)

TODAY = date(2026, 12, 3)
HEADER = "date,gross_sales,refunds,transactions,channel"


def feed(*lines: str, header: str = HEADER) -> str:
    return "\n".join((header, *lines)) + "\n"


def problems_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(text, today=TODAY)
    found = caught.value.problems
    assert all(isinstance(p, RowProblem) and p.remedy for p in found)
    return [(p.row, p.field) for p in found]  # type: ignore[attr-defined]


def test_a_good_feed_is_read_in_fen_with_the_channel_lowercased():
    rows = read_sales_csv(
        feed("2026-12-01,1830.50,20.00,57,QR", "2026-12-01,300,0,4,card"), today=TODAY
    )
    assert rows == [
        DailySales(date(2026, 12, 1), "qr", 183050, 2000, 57),
        DailySales(date(2026, 12, 1), "card", 30000, 0, 4),
    ]


def test_columns_may_come_in_any_order_and_a_byte_order_mark_is_ignored():
    text = "\ufeffchannel,date,transactions,refunds,gross_sales\nqr,2026-12-02,3,0,99.9\n"
    assert read_sales_csv(text, today=TODAY) == [DailySales(date(2026, 12, 2), "qr", 9990, 0, 3)]


def test_yesterday_is_the_latest_day_a_feed_may_hold():
    assert read_sales_csv(feed("2026-12-02,10,0,1,qr"), today=TODAY)
    assert problems_of(feed("2026-12-04,10,0,1,qr")) == [(1, "date")]  # the future
    assert problems_of(feed("2026-12-03,10,0,1,qr")) == [(1, "date")]  # not over yet


def test_blank_lines_are_not_counted_as_rows():
    text = HEADER + "\n2026-12-01,10,0,1,qr\n\n\n2026-12-02,-1,0,1,qr\n,,,,\n2026-12-02,1,0\n"
    assert problems_of(text) == [(2, "gross_sales"), (3, "row")]


def test_negative_sales_are_named_by_row_and_field():
    assert problems_of(feed("2026-12-01,10,0,1,qr", "2026-12-02,-5,0,1,qr")) == [(2, "gross_sales")]


def test_negative_refunds_and_refunds_above_sales_are_refused():
    assert problems_of(feed("2026-12-01,10,-1,1,qr", "2026-12-02,10,10.01,1,qr")) == [
        (1, "refunds"),
        (2, "refunds"),
    ]


def test_a_duplicate_day_on_one_channel_names_the_later_row_and_the_first():
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(
            feed("2026-12-01,10,0,1,qr", "2026-12-01,10,0,1,card", "2026-12-01,12,0,1,qr"),
            today=TODAY,
        )
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (3, "date")  # type: ignore[attr-defined]
    assert "row 1" in problem.message


def test_an_unknown_channel_is_refused_with_the_known_ones_listed():
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(feed("2026-12-01,10,0,1,bank"), today=TODAY)
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (1, "channel")  # type: ignore[attr-defined]
    assert "card, qr, cash, online, platform" in problem.remedy  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("2026-12-01,abc,0,1,qr", "gross_sales"),
        ("2026-12-01,1e3,0,1,qr", "gross_sales"),
        ("2026-12-01,NaN,0,1,qr", "gross_sales"),
        ("2026-12-01,１２,0,1,qr", "gross_sales"),
        ("2026-12-01,10.001,0,1,qr", "gross_sales"),
        ("2026-12-01,,0,1,qr", "gross_sales"),
        ("2026-12-01,10,x,1,qr", "refunds"),
        ("2026-12-01,10,0,1.5,qr", "transactions"),
        ("2026-12-01,10,0,-1,qr", "transactions"),
        ("2026-12-01,10,0,many,qr", "transactions"),
        ("01/12/2026,10,0,1,qr", "date"),
        ("2026-02-30,10,0,1,qr", "date"),
        ("1999-12-31,10,0,1,qr", "date"),
    ],
)
def test_a_value_that_is_not_what_its_column_holds_is_named(line, field):
    assert problems_of(feed(line)) == [(1, field)]


@pytest.mark.parametrize(
    "line",
    [
        "2026-12-01,10,0,0,qr",  # sales without a sale
        "2026-12-01,0,0,3,qr",  # sales counted, nothing sold
        "2026-12-01,0.02,0,3,qr",  # three sales of less than a fen
        "2026-12-01,10,0,100001,qr",  # more than a day can hold
    ],
)
def test_counts_that_cannot_be_true_are_refused(line):
    assert problems_of(feed(line)) == [(1, "transactions")]


def test_every_bad_field_of_every_row_is_reported_at_once():
    found = problems_of(
        feed("2027-01-01,x,0,1,bank", "2026-12-01,10,0,1,qr", "2026-12-02,-1,0,1,qr")
    )
    assert found == [(1, "date"), (1, "gross_sales"), (1, "channel"), (3, "gross_sales")]


def test_a_row_with_too_few_fields_is_named():
    assert problems_of(feed("2026-12-01,10,0,1")) == [(1, "row")]


def test_an_empty_file_says_so():
    for text in ("", "  \n\n", "\ufeff", "\ufeff\n"):
        with pytest.raises(InvalidSalesFeedError) as caught:
            read_sales_csv(text, today=TODAY)
        assert caught.value.field == "file"


def test_a_header_with_no_rows_says_so():
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(HEADER + "\n", today=TODAY)
    assert caught.value.field == "rows"


@pytest.mark.parametrize(
    "header",
    [
        "date,gross,refunds,transactions,channel",
        "date,gross_sales,refunds,transactions",
        "date,gross_sales,refunds,transactions,channel,shop",
        "date,date,gross_sales,refunds,transactions,channel",
        "2026-12-01,10,0,1,qr",
    ],
)
def test_a_wrong_header_is_refused_naming_the_header_expected(header):
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(feed("2026-12-01,10,0,1,qr", header=header), today=TODAY)
    assert caught.value.field == "header"
    assert ",".join(FEED_COLUMNS) in (caught.value.remedy or "")


def test_a_feed_larger_than_the_limit_is_refused_before_its_rows_are_read():
    rows = [{"date": "2026-12-01"}] * (MAX_FEED_ROWS + 1)
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_rows(rows, today=TODAY)
    assert caught.value.field == "rows"


def test_api_rows_take_whole_yuan_numbers_and_leave_refunds_out():
    rows = read_sales_rows(
        [{"date": "2026-12-01", "gross_sales": 120, "transactions": 3, "channel": "platform"}],
        today=TODAY,
    )
    assert rows == [DailySales(date(2026, 12, 1), "platform", 12000, 0, 3)]


def test_api_rows_refuse_floats_booleans_and_unknown_keys():
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_rows(
            [
                {"date": "2026-12-01", "gross_sales": 1.5, "transactions": 1, "channel": "qr"},
                {"date": "2026-12-02", "gross_sales": "1", "transactions": True, "channel": "qr"},
                {
                    "date": "2026-11-30",
                    "gross_sales": "1",
                    "transactions": 1,
                    "channel": "qr",
                    "shop": "x",
                },
            ],
            today=TODAY,
        )
    found = [(p.row, p.field) for p in caught.value.problems]  # type: ignore[attr-defined]
    assert found == [(1, "gross_sales"), (2, "transactions"), (3, "shop")]


def test_the_error_renders_every_problem_with_its_row_field_and_remedy():
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(feed("2026-12-01,-5,0,1,qr"), today=TODAY)
    body = caught.value.as_dict()
    assert body["code"] == "invalid_sales_feed"
    (problem,) = body["details"]["problems"]  # type: ignore[index]
    assert problem["row"] == 1 and problem["field"] == "gross_sales"
    assert problem["remedy"]


def test_a_field_beyond_any_sense_is_refused_as_a_whole_file():
    text = HEADER + '\n2026-12-01,"' + "9" * 200_000 + '",0,1,qr\n'
    with pytest.raises(InvalidSalesFeedError) as caught:
        read_sales_csv(text, today=TODAY)
    assert caught.value.field == "file"


def test_a_control_character_in_a_value_is_a_bad_value():
    assert problems_of(feed("2026-12-01,10,0,1,q\x00r")) == [(1, "channel")]
