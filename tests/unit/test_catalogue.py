"""Every message a borrower or staff member can read exists in English and in Chinese.

The catalogue (``messages.po``) must translate every message the pages mark (``_()`` in the
templates, ``N_()`` in the web package), the templates must hold no text outside those marks,
and the typed errors and form problems the pages render must come out in the reader's
language — never as the service's or the validator's English text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import thinfile.errors as errors_module
from thinfile.decisioning.application import FIELD_TYPES
from thinfile.errors import FieldProblem, InvalidInputError, ThinfileError
from thinfile.web.forms import FIELD_LABELS, field_messages
from thinfile.web.i18n import translations
from thinfile.web.messages import page_message

WEB = Path(errors_module.__file__).parent / "web"
LOCALE = WEB / "locale"
TEMPLATES = WEB / "templates"
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ALLOWED_LATIN = {"APR", "CSV", "UTF"}  # names the Chinese text keeps as they are


def _catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _marked_messages() -> list[tuple[str, str]]:
    """(file, msgid) of every message the web package marks for translation."""
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = []
    for filename, _line, message, _comments, _context in extract_from_dir(str(WEB), methods):
        msgid = message[0] if isinstance(message, tuple) else message
        found.append((filename, msgid))
    return found


def _has_chinese(text: str) -> bool:
    leftover = {w for w in LATIN_WORD.findall(text)} - ALLOWED_LATIN
    return bool(HAN.search(text)) and not leftover


def test_every_marked_message_has_a_chinese_translation_in_the_catalogue() -> None:
    zh = _catalogue(LOCALE / "zh" / "LC_MESSAGES" / "messages.po", "zh")
    template = _catalogue(LOCALE / "messages.pot")
    marked = _marked_messages()
    assert len(marked) > 300
    untranslated = [
        (f, m)
        for f, m in marked
        if zh.get(m) is None or not zh.get(m).string or zh.get(m).fuzzy  # type: ignore[union-attr]
    ]
    assert untranslated == []
    assert [(f, m) for f, m in marked if template.get(m) is None] == []
    empty = [m.id for m in zh if m.id and (not m.string or m.fuzzy)]
    assert empty == []


def _template_text(source: str) -> str:
    """What a template prints that is not a translated message or a value."""
    source = re.sub(r"\{% block body_class %\}.*?\{% endblock %\}", " ", source)
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    without_tags = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    attributes = re.findall(r'(?:title|alt|aria-label|placeholder)="([^"{]*)"', source)
    return without_tags + " ".join(attributes)


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_a_template_prints_no_words_outside_a_translated_message(template: str) -> None:
    text = _template_text((TEMPLATES / template).read_text(encoding="utf-8"))
    assert re.findall(r"[A-Za-z][A-Za-z'’-]+", text) == []


def _error_classes() -> list[type[ThinfileError]]:
    out: list[type[ThinfileError]] = []
    todo: list[type[ThinfileError]] = [ThinfileError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in out if c is not ThinfileError]


@pytest.mark.parametrize("error_class", _error_classes(), ids=lambda c: c.__name__)
def test_every_typed_error_reads_in_chinese_and_english_on_a_page(
    error_class: type[ThinfileError],
) -> None:
    error = error_class("no such loan 'abc' is not a number")
    chinese = page_message(error, translations("zh").gettext)
    english = page_message(error, translations("en").gettext)
    assert _has_chinese(chinese), chinese
    assert "no such loan" not in english and english[:1].isupper()


RAW_PROBLEMS = [
    ("requested_amount", "'abc' is not a number"),
    ("name", "String should have at most 50 characters"),
    ("loan_id", "no such loan"),
    ("phone", "String should match pattern '^[+\\d][\\d \\-]{9,18}$'"),
    ("id_number", "the ID number's check digit does not match"),
    ("phone", "not a mainland mobile prefix"),
    ("txn_id", "choose a payment"),
    ("reason", "give a reason of at least 3 characters"),
    ("rows", "invalid literal for int() with base 10: 'x'"),
]


@pytest.mark.parametrize(("field", "raw"), RAW_PROBLEMS)
def test_a_form_problem_never_shows_the_validators_english(field: str, raw: str) -> None:
    error = InvalidInputError("the form is not valid", problems=[FieldProblem(field, raw)])
    chinese = field_messages(error, translations("zh").gettext)[field]
    english = field_messages(error, translations("en").gettext)[field]
    assert _has_chinese(chinese), chinese
    assert raw not in english and english[:1].isupper() and english.endswith(".")


def test_a_phone_or_id_number_in_the_wrong_format_is_not_called_an_e_mail_address() -> None:
    pattern = "String should match pattern '^x$'"
    error = InvalidInputError(
        "the form is not valid",
        problems=[FieldProblem(f, pattern) for f in ("email", "phone", "id_number")],
    )
    said = field_messages(error, translations("en").gettext)
    assert "e-mail" in said["email"]
    assert "mobile" in said["phone"] and "e-mail" not in said["phone"]
    assert "identity card" in said["id_number"] and "e-mail" not in said["id_number"]


def test_every_application_field_has_a_label_for_the_staff_page() -> None:
    """The staff application page names each input in words: no field is left as a code."""
    assert set(FIELD_TYPES) <= set(FIELD_LABELS)
    gettext = translations("zh").gettext
    assert all(_has_chinese(gettext(label)) for label in FIELD_LABELS.values())
