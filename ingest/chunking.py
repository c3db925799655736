"""Heading-aware chunking of one article revision into deterministic, self-describing chunks.

Numbering: body chunks are numbered 0, 1, 2, ... in reading order, so chunk 0 is always
the article's opening and body ids never depend on whether the article has example
questions. Each example question is then a chunk of its own (kind ``"question"``, the
question alone), numbered after the body: a buyer's short message is matched against the
one question it resembles, not diluted in a list. Ids are ``f"{article_id}:{revision}:{number}"``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from ingest.loaders.base import normalise_document_text, one_line

ChunkKind = Literal["body", "question"]

HEADING_SEPARATOR = " — "
_HEADER_LEVELS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
# The Markdown splitter joins a section's paragraphs with this; we turn it back into a
# blank line. Lines come out stripped, so the sequence cannot come from the text itself.
_SPLITTER_PARAGRAPH_JOIN = "  \n"
# Paragraphs, then lines, then sentences, then words: split long text at the most
# natural boundary that fits, keeping the separator at the end of the piece it ends.
# The opening paragraph is kept whole up to this many times ``max_chars``.
_OPENING_MAX = 3
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of an article revision.

    ``text`` is what gets embedded and shown: the article title and heading path on the
    first line (``"How to start a return — Steps"``), then the section text. ``heading``
    is the heading path inside the article (empty for the opening and the questions).
    """

    id: str
    article_id: str
    revision: int
    number: int
    title: str
    heading: str
    text: str
    content_hash: str
    kind: ChunkKind = "body"


def chunk_id(article_id: str, revision: int, number: int) -> str:
    """The deterministic id of a chunk."""
    return f"{article_id}:{revision}:{number}"


def content_hash(title: str, heading: str, text: str) -> str:
    """SHA-256 of (title, heading, text): equal hashes mean nothing to re-embed."""
    payload = json.dumps([title, heading, text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chunk_article(
    *,
    article_id: str,
    revision: int,
    title: str,
    body: str,
    questions: Sequence[str] = (),
    max_chars: int = 900,
    overlap: int = 100,
) -> list[Chunk]:
    """Split an article into heading-aware chunks plus one chunk per example question.

    Each ``#``/``##``/``###`` section is a chunk of its own; a section longer than
    ``max_chars`` (not counting the title line) is split with up to ``overlap``
    characters repeated between neighbours. The opening paragraph of the article is not
    split (up to three times ``max_chars``), so chunk 0 quotes it whole. The same input
    always gives the same chunks.
    """
    if max_chars <= 0 or not 0 <= overlap < max_chars:
        raise ValueError("need max_chars > 0 and 0 <= overlap < max_chars")
    title = one_line(normalise_document_text(title))
    pieces: list[tuple[str, str]] = []
    for index, (path, text) in enumerate(_sections(normalise_document_text(body))):
        heading = HEADING_SEPARATOR.join(h for h in path if not _same(h, title))
        for piece in _split_section(text, max_chars, overlap, keep_opening=index == 0):
            pieces.append((heading, piece))
    if not pieces:
        pieces.append(("", ""))  # a body of bare headings: still one body chunk (chunk 0)
    chunks = [
        _make_chunk(article_id, revision, number, title, heading, piece, "body")
        for number, (heading, piece) in enumerate(pieces)
    ]
    asked = _unique(one_line(normalise_document_text(question)) for question in questions)
    for question in asked:
        # The question alone: a title line would pull every question of an article towards
        # the same words and blur which one the buyer's message resembles.
        chunks.append(
            _make_chunk(article_id, revision, len(chunks), title, "", question, "question",
                        with_label=False)
        )
    return chunks


def _sections(body: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) of each section with text, in reading order."""
    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADER_LEVELS)
    sections: list[tuple[tuple[str, ...], str]] = []
    for document in splitter.split_text(body):
        path = tuple(
            one_line(document.metadata[name])
            for _, name in _HEADER_LEVELS
            if document.metadata.get(name)
        )
        text = document.page_content.replace(_SPLITTER_PARAGRAPH_JOIN, "\n\n").strip()
        if text:
            sections.append((path, text))
    return sections


def _split_section(text: str, max_chars: int, overlap: int, *, keep_opening: bool) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    opening: list[str] = []
    if keep_opening:
        first, _, rest = text.partition("\n\n")
        # The composer quotes the opening paragraph, so it stays whole even when long
        # (the splitter counts the blank line after it, hence the margin). A "paragraph"
        # many times the limit is a page of PDF text without blank lines: split that.
        if max_chars < len(first) + len("\n\n") and len(first) <= _OPENING_MAX * max_chars:
            opening, text = [first.strip()], rest.strip()
            if not text:
                return opening
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=overlap,
        separators=_SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    return opening + [piece for piece in splitter.split_text(text) if piece.strip()]


def _make_chunk(
    article_id: str,
    revision: int,
    number: int,
    title: str,
    heading: str,
    piece: str,
    kind: ChunkKind,
    *,
    with_label: bool = True,
) -> Chunk:
    label = f"{title}{HEADING_SEPARATOR}{heading}" if heading else title
    text = (f"{label}\n{piece}" if piece else label) if with_label else piece
    return Chunk(
        id=chunk_id(article_id, revision, number),
        article_id=article_id,
        revision=revision,
        number=number,
        title=title,
        heading=heading,
        text=text,
        content_hash=content_hash(title, heading, text),
        kind=kind,
    )


def _same(heading: str, title: str) -> bool:
    return heading.casefold() == title.casefold()


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen
