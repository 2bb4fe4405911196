"""A document as thinfile issues it: its kind, template version, language and text.

The text is a small Markdown: ``# `` a title, ``## `` a heading, ``| … |`` rows of a table
(the first row is the header, a ``|---|`` row is skipped), and paragraphs separated by blank
lines. :func:`blocks` reads it back for the PDF renderer; the text itself is what is signed,
stored and hashed (:attr:`Document.sha256`, over its UTF-8 bytes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Block", "Document", "blocks", "sha256_hex", "table_row"]

_RULE = re.compile(r"^\|(\s*-+\s*\|)+$")


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text``'s UTF-8 bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    """``loan-contract``, ``repayment-plan``, ``settlement-certificate``."""
    template: str
    """The template version it was rendered from, e.g. ``loan-contract/1``."""
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return sha256_hex(self.text)


def table_row(*cells: str) -> str:
    """One ``| a | b |`` row; a ``|`` inside a cell becomes ``/`` so the row stays a row."""
    return "| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |"


@dataclass(frozen=True, slots=True)
class Block:
    kind: Literal["title", "heading", "paragraph", "table"]
    lines: tuple[str, ...]
    """The text of a title, heading or paragraph (one item); a table's rows, cells split by
    ``\\t`` (the header first)."""


def _cells(row: str) -> str:
    return "\t".join(c.strip() for c in row.strip().strip("|").split("|"))


def blocks(text: str) -> list[Block]:
    """The title, headings, paragraphs and tables of a document's text, in order."""
    out: list[Block] = []
    rows: list[str] = []
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if line.startswith("|"):
            if not _RULE.match(line):
                rows.append(_cells(line))
            continue
        if rows:
            out.append(Block("table", tuple(rows)))
            rows = []
        if line.startswith("## "):
            out.append(Block("heading", (line[3:],)))
        elif line.startswith("# "):
            out.append(Block("title", (line[2:],)))
        elif line:
            out.append(Block("paragraph", (line,)))
    return out
