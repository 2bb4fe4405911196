"""One money path: amounts are parsed, scaled and formatted by thinfile.money, nowhere else.

A ``* 100``, ``/ 100`` or ``float(`` in the code is either not about money (a percentage, a
probability, a score) or a second money path that rounds silently. Each one must be explained:
on its line (``# float-ok: why`` or ``# not money: why``), or below, by module.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

import thinfile
from thinfile.money import format_yuan

SRC = Path(thinfile.__file__).parent
SUSPECT = re.compile(r"(?:/{1,2}|\*)\s*100(?:\.0*)?\b(?!\.\d)|\b100(?:\.0*)?\s*\*|\bfloat\(")
MARKER = re.compile(r"#.*\b(?:float-ok|not money):\s*\S")

NOT_MONEY_PACKAGES = {
    "thinfile/scoring/": "model statistics: probabilities, scores, weights of evidence, AUC; "
    "amounts enter a model as plain numbers, never leave it as money",
}
ALLOWED_BY_MODULE = {
    "thinfile/cli/decisions.py": (1, "an approval rate printed as a percentage"),
    "thinfile/cli/demo.py": (1, "model metrics printed"),
    "thinfile/cli/demo_summary.py": (1, "average annualized rates printed as percentages"),
    "thinfile/cli/model.py": (1, "special codes of a feature, given on the command line"),
    "thinfile/web/formatting.py": (1, "a rate shown as a percentage, in Decimal"),
    "thinfile/web/i18n.py": (1, "the quality weight of an Accept-Language entry"),
    "thinfile/web/simulation.py": (1, "a ratio column of a simulation CSV"),
    "thinfile/sim/draws.py": (1, "segment parameters of the synthetic population"),
    "thinfile/sim/evaluation.py": (3, "a log scale of counts, AUC and information value"),
    "thinfile/sim/installments.py": (1, "an annuity factor for synthetic repayment behaviour"),
    "thinfile/sim/people.py": (
        4,
        "birthday and region arithmetic; a synthetic requested amount "
        "drawn in yuan and rounded to hundreds before whole_yuan_fen",
    ),
    "thinfile/sim/performance.py": (
        1,
        "a synthetic borrower pays a whole-fen share of what is "
        "due: behaviour drawn, not an amount booked",
    ),
    "thinfile/sim/risk.py": (2, "the synthetic default process reads debt burden in yuan"),
}
"""Modules whose hits are not money paths, with how many each may have (as many as today): a
new hit there must be explained too."""


_LITERAL_TEXT = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _code_in_string(token: tokenize.TokenInfo) -> str:
    """The expressions inside an f-string's braces (Python 3.11 tokenizes an f-string as
    one string; 3.12 tokenizes the expressions as code and the text as FSTRING_MIDDLE)."""
    if token.type != tokenize.STRING or "f" not in token.string.split("'")[0].split('"')[0].lower():
        return ""
    tree = ast.parse(token.string, mode="eval")
    return " ".join(
        ast.unparse(node.value) for node in ast.walk(tree) if isinstance(node, ast.FormattedValue)
    )


def _code_and_comments(text: str) -> dict[int, tuple[str, str]]:
    """Per line: the code without string literals (docstrings included, f-string expressions
    kept) and the line's comment."""
    lines: dict[int, tuple[str, str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        row = token.start[0]
        code, comment = lines.get(row, ("", ""))
        if token.type == tokenize.COMMENT:
            comment += token.string
        elif token.type in _LITERAL_TEXT:
            code += _code_in_string(token) + " "
        else:
            code += token.string + " "
        lines[row] = (code, comment)
    return lines


def suspects(text: str) -> list[tuple[int, str]]:
    """Lines of ``text`` that scale by 100 or make a float, and say nothing about why."""
    found = []
    for row, (code, comment) in sorted(_code_and_comments(text).items()):
        compact = re.sub(r"\s*\(\s*", "(", re.sub(r"\s+", " ", code))
        if SUSPECT.search(compact) and not MARKER.search(comment):
            found.append((row, compact.strip()))
    return found


def _hits_by_module() -> dict[str, list[tuple[int, str]]]:
    hits = {}
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC.parent).as_posix()
        if any(name.startswith(package) for package in NOT_MONEY_PACKAGES):
            continue
        found = suspects(path.read_text(encoding="utf-8"))
        if found:
            hits[name] = found
    return hits


def test_money_is_never_scaled_by_100_or_made_a_float_outside_thinfile_money():
    hits = _hits_by_module()
    unexplained = {
        name: found
        for name, found in hits.items()
        if len(found) > ALLOWED_BY_MODULE.get(name, (0, ""))[0]
    }
    assert unexplained == {}, "explain each hit on its line, or use thinfile.money"


def test_every_allowance_names_its_reason():
    for name, (count, reason) in ALLOWED_BY_MODULE.items():
        assert count > 0 and len(reason) > 20, name
        assert (SRC.parent / name).is_file(), name


@pytest.mark.parametrize(
    "line",
    [
        "fen = int(Decimal(text) * 100)",
        "yuan = amount_fen / 100",
        "yuan = amount_fen / 100.0",
        "hundreds = fen // 100",
        "fen = 100 * yuan",
        "context = {'amount': float(app.requested_amount)}",
        'text = f"{float(fen) / 100:.2f} yuan"',
    ],
)
def test_the_check_finds_a_second_money_path(line):
    assert suspects(line + "\n") == [(1, suspects(line + "\n")[0][1])]


@pytest.mark.parametrize(
    "line",
    [
        "pd = float(scored.pd)  # float-ok: a probability",
        "share = count * 100 // total  # not money: a percentage of applications",
        "limit = 1000 * months",
        "rate = fen / 1000",
        '"""Amounts are never `float(` or `* 100`."""',
        "x = y  # the float( and * 100 in this comment are not code",
    ],
)
def test_the_check_passes_explained_lines_strings_and_other_numbers(line):
    assert suspects(line + "\n") == []


def test_grouped_yuan_is_the_same_amount_with_thousands_separated():
    assert format_yuan(100_000_000, grouped=True) == "1,000,000.00"
    assert format_yuan(-123_456_789, grouped=True) == "-1,234,567.89"
    assert format_yuan(5, grouped=True) == format_yuan(5) == "0.05"
