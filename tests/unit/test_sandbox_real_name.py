"""The sandbox identity provider's documented rules (实名认证)."""

from __future__ import annotations

import pytest

from thinfile.adapters import MISMATCH_MARKERS, SandboxRealNameVerifier
from thinfile.resident_id import id_check_character

FIRST17 = "11010519491231002"
VALID = FIRST17 + id_check_character(FIRST17)


def test_a_name_with_a_valid_resident_id_matches_with_a_stable_reference() -> None:
    answer = SandboxRealNameVerifier().verify("王小明", VALID)
    assert answer.is_match and answer.reference.startswith("sandbox-")
    assert SandboxRealNameVerifier().verify(" 王小明 ", VALID.lower()) == answer


@pytest.mark.parametrize(
    ("name", "id_number"),
    [
        ("", VALID),
        ("   ", VALID),
        ("王小明", FIRST17 + ("0" if VALID[-1] != "0" else "1")),  # wrong check character
        ("王小明", "110105194913310021"),  # month 13: no such birth date
        ("王不符", VALID),
        ("Test Mismatch", VALID),
    ],
)
def test_the_sandbox_refuses_what_its_rules_say(name: str, id_number: str) -> None:
    assert not SandboxRealNameVerifier().verify(name, id_number).is_match


def test_the_mismatch_markers_are_the_documented_ones() -> None:
    assert MISMATCH_MARKERS == ("不符", "mismatch")
