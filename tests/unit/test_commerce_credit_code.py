"""Unified social credit codes (GB 32100-2015) against real, published codes.

The check characters are recomputed here by hand-written arithmetic (not the code under
test): MOD 31 with weights 3^(i−1) for the code, GB 11714 MOD 11 for the organisation code.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile.commerce import (
    CREDIT_CODE_ALPHABET,
    is_valid_credit_code,
    parse_credit_code,
    validate_credit_code,
)
from thinfile.errors import InvalidCreditCodeError, NonAsciiTextError

REAL_CODES = {
    # 华为技术有限公司 (Huawei Technologies Co., Ltd., Shenzhen): printed on its contracts and
    # quoted as "公开信息" in public validators' tests, e.g. a GitHub validateUscc test
    # ("华为技术有限公司的统一社会信用代码（公开信息），校验位应为 6").
    "914403001922038216": ("9", "1", "440300"),
    # 中国工商银行股份有限公司 (ICBC, listed 601398.SH / 01398.HK): the REG_NUM of its East Money
    # company profile, as captured in a public test fixture; registered at the national level.
    "91100000100003962T": ("9", "1", "100000"),
    # A Tencent company in Shenzhen (listed as 腾讯 in public company-data samples); also the
    # registration code inside the ContentProducer of AIGC labels in public image samples.
    "91440300708461136T": ("9", "1", "440300"),
    # 北京百度网讯科技有限公司 (Beijing Baidu Netcom): the TC260 producer code of Baidu's AI mark.
    "91110000802100433B": ("9", "1", "110000"),
    # 小米科技有限责任公司 (Xiaomi, Beijing Haidian): its taxpayer number on public invoice titles.
    "91110108551385082Q": ("9", "1", "110108"),
    # 清华大学 (Tsinghua University, 事业单位): the 纳税人识别号 on its published invoice title.
    "12100000400000624D": ("1", "2", "100000"),
    # 复旦大学 (Fudan University): its organisation code's check character is X.
    "1210000042500615X0": ("1", "2", "100000"),
    # 北京吉野家快餐有限公司 (a Yoshinoya franchise in Beijing), printed on a public e-invoice.
    "911100006000650192": ("9", "1", "110000"),
    # A Fuzhou enterprise whose organisation code has letters (M…Y): GB 11714 letter values.
    "91350100M000100Y43": ("9", "1", "350100"),
}

_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHJKLMNPQRTUWXY")}


def _code_check(first17: str) -> str:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(_VALUES[c] * w for c, w in zip(first17, weights, strict=True))
    return "0123456789ABCDEFGHJKLMNPQRTUWXY"[(31 - total % 31) % 31]


def _organisation_check(body: str) -> str:
    latin = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(latin.index(c) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_a_real_published_code_is_accepted_and_split_into_its_parts(code: str) -> None:
    authority, kind, division = REAL_CODES[code]
    parsed = parse_credit_code(code)
    assert parsed.code == code
    assert (parsed.authority, parsed.organisation_type, parsed.division) == (
        authority,
        kind,
        division,
    )
    assert parsed.organisation_code == code[8:17]
    assert parsed.check == _code_check(code[:17]) == code[17]
    assert _organisation_check(code[8:16]) == code[16]


def test_an_enterprise_is_named_by_its_authority_and_type() -> None:
    parsed = parse_credit_code("914403001922038216")
    assert parsed.organisation_type_name == "企业"
    assert parsed.authority_name.startswith("工商")


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("９１４４０３００７０８４６１１３６ｔ", "91440300708461136T"),
        (" 91440300 70846113 6T ", "91440300708461136T"),
        ("9144-0300-7084-6113-6t", "91440300708461136T"),
        ("1210000042500615x0", "1210000042500615X0"),
    ],
)
def test_typed_forms_of_one_code_normalise_to_the_same_code(typed: str, normal: str) -> None:
    assert validate_credit_code(typed) == normal


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("91440300708461136", "length"),
        ("91440300708461136TT", "length"),
        ("9144030070846113IT", "characters"),
        ("91440300708461136O", "characters"),
        ("B1440300708461136T", "registration_authority"),
        ("94440300708461136T", "organisation_type"),
        ("Y2440300708461136T", "organisation_type"),
        ("914A0300708461136T", "division"),
        ("91990300708461136T", "division"),
        ("91440300708461135T", "organisation_code"),
        ("91440300708461137T", "organisation_code"),
        ("91440300708461136U", "check_character"),
        ("91100000100003962A", "check_character"),
    ],
)
def test_a_bad_code_is_refused_naming_the_field_and_the_part(code: str, part: str) -> None:
    with pytest.raises(InvalidCreditCodeError) as caught:
        validate_credit_code(code, field="merchant.credit_code")
    assert caught.value.field == "merchant.credit_code"
    assert caught.value.extra["part"] == part
    assert caught.value.code == "invalid_credit_code"
    assert not is_valid_credit_code(code)


def test_digits_of_another_script_are_refused_not_read() -> None:
    with pytest.raises(NonAsciiTextError):
        validate_credit_code("٩١٤٤٠٣٠٠٧٠٨٤٦١١٣٦T")


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(sorted(REAL_CODES)),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(CREDIT_CODE_ALPHABET),
)
def test_any_single_character_change_is_refused(code: str, position: int, replacement: str) -> None:
    changed = code[:position] + replacement + code[position + 1 :]
    if changed == code:
        return
    assert not is_valid_credit_code(changed)
    with pytest.raises(InvalidCreditCodeError):
        validate_credit_code(changed)


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
    division=st.sampled_from(["110108", "440300", "310115", "100000", "650102"]),
    prefix=st.sampled_from(["91", "92", "93", "51", "52", "53", "12", "Y1", "N2"]),
)
def test_a_code_built_by_the_standards_rules_is_accepted(
    body: str, division: str, prefix: str
) -> None:
    organisation = body + _organisation_check(body)
    first17 = prefix + division + organisation
    code = first17 + _code_check(first17)
    assert validate_credit_code(code) == code
