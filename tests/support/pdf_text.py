"""The text of a PDF that thinfile makes, read through each font's ToUnicode map.

pypdf's own ``extract_text`` decodes the two-byte codes of an embedded CID font (CFF outlines,
as Noto CJK has) through the font's encoding map one byte at a time, so every glyph after the
255th of a document comes out wrong; poppler reads the same file correctly. This reader takes
the text operators (``Tj``, ``TJ``) of each page and maps their two-byte codes with the font's
``/ToUnicode`` map, which is what a viewer's copy and search use."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream

_PAIR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")


def _to_unicode(font: object) -> dict[int, str]:
    stream = font.get("/ToUnicode")  # type: ignore[attr-defined]
    if stream is None:
        return {}
    data = stream.get_object().get_data()
    return {
        int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
        for code, text in _PAIR.findall(data)
    }


def _decode(raw: object, table: dict[int, str] | None) -> str:
    data = raw.original_bytes if hasattr(raw, "original_bytes") else bytes(raw)  # type: ignore[call-overload]
    if table is None:
        return str(data.decode("latin-1"))
    return "".join(
        table.get(int.from_bytes(data[i : i + 2], "big"), "") for i in range(0, len(data), 2)
    )


def pdf_text(pdf: bytes) -> str:
    """Every page's text, in content order, a newline after each text operator."""
    reader = PdfReader(io.BytesIO(pdf))
    out: list[str] = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts = resources["/Font"]
        tables = {name: _to_unicode(ref.get_object()) for name, ref in fonts.items()}
        table: dict[int, str] | None = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                table = tables.get(operands[0])
            elif operator == b"Tj":
                out.append(_decode(operands[0], table))
            elif operator == b"TJ":
                out.extend(
                    _decode(item, table)
                    for item in operands[0]
                    if not isinstance(item, (int, float)) and not hasattr(item, "as_numeric")
                )
    return "".join(out)


def compact_pdf_text(pdf: bytes) -> str:
    """:func:`pdf_text` without any whitespace (a table's cells run together)."""
    return "".join(pdf_text(pdf).split())
