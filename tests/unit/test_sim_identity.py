from datetime import date

import numpy as np
import pandas as pd
import pytest

from thinfile.errors import InvalidInputError
from thinfile.sim.identity import (
    are_valid_id_numbers,
    are_valid_phones,
    id_check_character,
    is_valid_id_number,
    is_valid_phone,
    make_id_number,
    make_id_numbers,
    make_phone,
    make_phones,
    serial_ids,
)


def test_the_examples_printed_in_gb_11643_are_valid():
    assert id_check_character("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("440524188001010014") is False  # born before 1900: refused
    assert id_check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    "bad",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002x",  # lower-case x is not the canonical form
        "11010519490231002X",  # 31 February… (here 1949-02-31)
        "99010519491231002X",  # no province 99
        "1101051949123100",  # too short
        None,
        11010519491231002,
    ],
)
def test_an_id_number_with_any_flaw_is_refused(bad):
    assert not is_valid_id_number(bad)


def test_make_id_number_encodes_birth_date_sex_and_a_valid_check():
    woman = make_id_number(date(1990, 3, 7), "F", region_code=410102, sequence=12)
    man = make_id_number(date(1990, 3, 7), "M", region_code=410102, sequence=12)
    assert woman[6:14] == "19900307" and is_valid_id_number(woman) and is_valid_id_number(man)
    assert int(woman[16]) % 2 == 0 and int(man[16]) % 2 == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gender": "X"}, "gender"),
        ({"region_code": 990101}, "region_code"),
        ({"sequence": 500}, "sequence"),
    ],
)
def test_make_id_number_refuses_impossible_parts(kwargs, field):
    args = {"birth_date": date(1990, 1, 1), "gender": "F", **kwargs}
    with pytest.raises(InvalidInputError) as err:
        make_id_number(**args)
    assert err.value.field == field


def test_vectorised_id_numbers_agree_with_the_scalar_ones():
    rng = np.random.default_rng(1)
    n = 500
    births = np.datetime64("1965-01-01") + rng.integers(0, 20000, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    regions = rng.choice([110101, 440305, 510104, 650102], n)
    seqs = rng.integers(0, 500, n)
    made = make_id_numbers(births, male, regions, seqs)
    for i in range(0, n, 37):
        born = births[i].astype(object)
        assert made[i] == make_id_number(
            born, "M" if male[i] else "F", region_code=int(regions[i]), sequence=int(seqs[i])
        )
    assert are_valid_id_numbers(pd.Series(made)).all()
    mixed = pd.Series([made[0], "11010519491231002X", "110105194912310021", "", "abc"])
    assert are_valid_id_numbers(mixed).tolist() == [True, True, False, False, False]


def test_phones_are_eleven_digits_with_a_mainland_prefix():
    assert make_phone(138, 1234) == "13800001234" and is_valid_phone("13800001234")
    for bad in ("12000001234", "1380000123", "138000012345", "1380000123a", 13800001234):
        assert not is_valid_phone(bad)
    with pytest.raises(InvalidInputError):
        make_phone(120, 1)
    phones = make_phones(np.random.default_rng(2), 1000)
    assert are_valid_phones(pd.Series(phones)).all()
    assert all(is_valid_phone(str(p)) for p in phones[:50])
    assert are_valid_phones(pd.Series(["12000001234", "13800001234"])).tolist() == [False, True]


def test_serial_ids_are_zero_padded():
    assert serial_ids("A", 9, 3).tolist() == ["A0000000009", "A0000000010", "A0000000011"]
