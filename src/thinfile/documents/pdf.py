"""Documents as PDF (fpdf2), with a CJK font the machine has installed.

The font is the first of :data:`FONT_CANDIDATES` that exists — Noto Sans CJK from Debian's
``fonts-noto-cjk`` package (OpenType collections with CFF outlines, face "SC", simplified
Chinese) — or the file a deployment names (``THINFILE_DOCUMENT_FONT``). fpdf2 embeds the
subset of glyphs a document uses, with its Unicode map, so the text can be searched, copied
and extracted. No font: :class:`~thinfile.errors.DocumentFontMissingError` naming what to
install. The PDF is a rendering: the signed text it shows is the stored one, and its footer
names that text's SHA-256.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout
from fpdf.fonts import FontFace

from thinfile.documents.document import Block, Document, blocks
from thinfile.errors import DocumentFontMissingError

__all__ = ["FONT_CANDIDATES", "find_font", "render_pdf"]

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
)
"""Where Debian (``fonts-noto-cjk``) and other distributions put Noto Sans CJK."""

_FAMILY = "cjk"
_SIZES = {"title": 16.0, "heading": 11.5, "paragraph": 9.5, "table": 7.5}


def find_font(configured: Path | None = None) -> Path:
    """The font file documents use: ``configured`` (it must exist), else the first of
    :data:`FONT_CANDIDATES` that does."""
    candidates = (configured,) if configured is not None else FONT_CANDIDATES
    for path in candidates:
        if path is not None and path.is_file():
            return path
    raise DocumentFontMissingError(
        "no font with Chinese characters for PDF documents",
        field="document_font",
        value=str(configured) if configured else ", ".join(str(p) for p in FONT_CANDIDATES),
        remedy="install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk), or set "
        "THINFILE_DOCUMENT_FONT to a TrueType/OpenType font file with CJK glyphs",
    )


@lru_cache(maxsize=8)
def _face_index(path: Path) -> int:
    """In a collection (.ttc/.otc), the simplified-Chinese face ("… SC"); else 0."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for index, face in enumerate(collection.fonts):
            name = str(face["name"].getDebugName(4) or "")
            if name.endswith(" SC"):
                return index
    return 0


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, size=6.5)
        self.multi_cell(0, 3.2, f"{self.footer_text}    {self.page_no()}/{{nb}}", align="C")


def _table(pdf: FPDF, rows: Sequence[str]) -> None:
    pdf.set_font(_FAMILY, size=_SIZES["table"])
    with pdf.table(
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
        text_align="LEFT",
        line_height=3.8,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        padding=0.8,
    ) as table:
        for row in rows:
            cells = table.row()
            for cell in row.split("\t"):
                cells.cell(cell)
    pdf.ln(2)


def _block(pdf: FPDF, block: Block) -> None:
    if block.kind == "table":
        _table(pdf, block.lines)
        return
    pdf.set_font(_FAMILY, size=_SIZES[block.kind])
    if block.kind == "heading":
        pdf.ln(1.5)
    align = "C" if block.kind == "title" else "L"
    height = _SIZES[block.kind] * 0.55
    pdf.multi_cell(0, height, block.lines[0], align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def render_pdf(document: Document, *, font: Path, footer: str = "") -> bytes:
    """``document`` laid out on A4 pages in ``font``; ``footer`` on every page (the
    signature, the text's SHA-256)."""
    pdf = _Pdf(format="A4", unit="mm")
    pdf.footer_text = footer or f"SHA-256 {document.sha256}"
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(_FAMILY, fname=font, collection_font_number=_face_index(font))
    pdf.set_title(document.kind)
    pdf.set_creator("thinfile")
    pdf.set_lang("zh-CN" if document.language == "zh" else "en")
    pdf.add_page()
    for block in blocks(document.text):
        _block(pdf, block)
    return bytes(pdf.output())
