"""What every loader shares: the result type, text hygiene and content validation."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingest.errors import CorruptDocument, EmptyDocument, IngestError
from knowledge_base.schemas import ArticleContent

# A first line longer than this is a paragraph, not a title (txt, pdf).
MAX_TITLE_LINE = 150


@dataclass(frozen=True)
class LoadedArticle:
    """One article read from a file: its id, validated content and where it came from.

    ``source`` is the path as given, plus ``#row-N`` for a CSV row (N = the line the row
    starts on, the header being line 1).
    """

    article_id: str
    content: ArticleContent
    source: str


# Characters a reader cannot see but a model reads: zero-width characters, bidi
# embeddings/overrides/isolates, soft hyphens, the BOM, Unicode "tag" characters
# (ASCII smuggling) and variation selectors (can smuggle bytes after an emoji). Removing
# them keeps an approver seeing exactly what a model is given.
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cf":  # format characters (zero-width, bidi, tags, BOM, soft hyphen)
        return True
    # Control characters other than tab and newline (line endings are normalised first).
    return category == "Cc" and char not in "\t\n"


_LINE_ENDINGS = re.compile("\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c")


def normalise_document_text(text: str) -> str:
    """Normalise line endings and NFC, turn exotic spaces into spaces, drop invisibles."""
    text = _LINE_ENDINGS.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    text = _VARIATION_SELECTORS.sub("", text)
    out: list[str] = []
    for char in text:
        if char == " " or char == "\n" or char == "\t" or char.isalnum():
            out.append(char)  # the common case, decided without a category lookup
        elif _is_invisible(char):
            continue
        elif unicodedata.category(char) == "Zs":
            out.append(" ")  # no-break and other fixed-width spaces
        else:
            out.append(char)
    return "".join(out)


def one_line(text: str) -> str:
    """Collapse any whitespace (including newlines) so a message stays on one line."""
    return " ".join(str(text).split())


def decode_text(data: bytes, path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Spreadsheet programs still export CSV and text as Windows-1252, so that fallback is
    worth having; bytes with NULs and no UTF-16 BOM are binary and are refused.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorruptDocument(f"{path}: is not valid UTF-16 text") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise CorruptDocument(f"{path}: looks like a binary file, not text")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CorruptDocument(f"{path}: is neither UTF-8 nor Windows-1252 text") from exc


def title_from_stem(path: Path) -> str:
    """A readable fallback title from a file name (``how_to-return.txt`` → ``How to return``)."""
    words = one_line(re.sub(r"[-_]+", " ", path.stem))
    return (words[:1].upper() + words[1:]) or "Untitled"


def split_title_line(text: str, path: Path) -> tuple[str, str]:
    """Title = first non-empty line (if short enough), body = the rest (or all of it)."""
    lines = text.strip().split("\n")
    first = one_line(lines[0])
    if len(first) > MAX_TITLE_LINE:
        return title_from_stem(path), text.strip()
    rest = "\n".join(lines[1:]).strip()
    # A one-line document is all body as well, so it still has something to retrieve.
    return first, rest or first


@dataclass(frozen=True)
class Block:
    """One converted block of a document (paragraph, heading line, list item, table row)."""

    text: str
    group: str = ""  # "list" or "table": consecutive blocks of one group stay together


def join_blocks(blocks: list[Block]) -> str:
    """Markdown from blocks: a blank line between blocks, one newline inside a list/table."""
    parts: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if not block.text.strip():
            continue
        if previous is not None:
            together = block.group and block.group == previous.group
            parts.append("\n" if together else "\n\n")
        parts.append(block.text)
        previous = block
    return "".join(parts) + "\n"


def make_content(where: str | Path, **fields: Any) -> ArticleContent:
    """Clean every text field and validate; a violation names ``where`` and the field."""
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            cleaned[name] = normalise_document_text(value)
        elif isinstance(value, list):
            cleaned[name] = [normalise_document_text(str(item)) for item in value]
        else:
            cleaned[name] = value
    if not str(cleaned.get("body", "")).strip():
        raise EmptyDocument(_located(where, "has no text"))
    try:
        return ArticleContent.model_validate(cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "article"
        raise IngestError(_located(where, f"{field}: {one_line(first['msg'])}")) from exc


def _located(where: str | Path, message: str) -> str:
    return f"{where}: {message}" if str(where) else message
