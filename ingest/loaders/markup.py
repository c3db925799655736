"""Text formats: Markdown with front matter, plain text and HTML (converted to Markdown)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from ingest.errors import CorruptDocument, EmptyDocument
from ingest.loaders.base import (
    Block,
    LoadedArticle,
    decode_text,
    join_blocks,
    make_content,
    normalise_document_text,
    one_line,
    split_title_line,
    title_from_stem,
)
from knowledge_base.errors import FrontMatterError
from knowledge_base.frontmatter import parse_article, split_front_matter
from knowledge_base.repository import slugify

_ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")


def load_markdown(path: Path, data: bytes) -> list[LoadedArticle]:
    """A Markdown article; id from front matter ``id`` or the slug of the file name."""
    text = normalise_document_text(decode_text(data, path))
    try:
        _, body = split_front_matter(text)
        if not body.strip():
            raise EmptyDocument(f"{path}: has front matter but no article text")
        content, extra = parse_article(text, fallback_title=title_from_stem(path))
    except FrontMatterError as exc:
        raise CorruptDocument(f"{path}: {one_line(exc.message)}") from exc
    article_id = _front_matter_id(extra.get("id"), path)
    content = make_content(path, **content.model_dump())  # cleans list fields too
    return [LoadedArticle(article_id=article_id, content=content, source=str(path))]


def _front_matter_id(value: Any, path: Path) -> str:
    if value is None or value == "":
        return slugify(path.stem)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CorruptDocument(f"{path}: front matter id must be text, got {value!r}")
    article_id = str(value).strip()
    if not _ARTICLE_ID.match(article_id):
        raise CorruptDocument(
            f"{path}: front matter id {article_id!r} must be lowercase letters, digits and "
            "dashes (at most 120)"
        )
    return article_id


def load_text(path: Path, data: bytes) -> list[LoadedArticle]:
    """Plain text: the first non-empty line is the title, the rest is the body."""
    text = normalise_document_text(decode_text(data, path))
    if not text.strip():
        raise EmptyDocument(f"{path}: has no text")
    title, body = split_title_line(text, path)
    content = make_content(path, title=title, body=body)
    return [LoadedArticle(article_id=slugify(path.stem), content=content, source=str(path))]


# Elements whose text a reader never sees as article content.
_DROPPED = frozenset(
    {"script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "head"}
)
_HEADINGS = {"h1": "# ", "h2": "## ", "h3": "### "}
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h4", "h5", "h6",
        "header", "hr", "html", "li", "main", "ol", "p", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def load_html(path: Path, data: bytes) -> list[LoadedArticle]:
    """An HTML page: title from ``<title>`` or the first ``<h1>``, body as Markdown."""
    if not data.strip():
        raise EmptyDocument(f"{path}: has no text")
    # lxml is imported by the first HTML file: the web app imports the loaders at start.
    import lxml.etree

    try:
        root = _parse_html(data)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise CorruptDocument(f"{path}: is not readable HTML ({one_line(str(exc))})") from exc
    title = _html_title(root)
    body_el = root.find("body")
    converter = _HtmlToMarkdown()
    converter.walk(body_el if body_el is not None else root)
    body = converter.markdown()
    if not body.strip():
        raise EmptyDocument(f"{path}: has no visible text")
    title = title or split_title_line(body.lstrip("# "), path)[0] or title_from_stem(path)
    content = make_content(path, title=title, body=body)
    return [LoadedArticle(article_id=slugify(path.stem), content=content, source=str(path))]


def _parse_html(data: bytes) -> Any:
    import lxml.html

    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: let lxml read the <meta charset> (it assumes Latin-1 without one).
        return lxml.html.document_fromstring(data)
    # Valid UTF-8 is UTF-8 (pure ASCII reads the same in any charset); lxml would
    # otherwise guess Latin-1 for a page that does not declare its charset.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    return lxml.html.document_fromstring(data.removeprefix(codecs.BOM_UTF8), parser=parser)


def _html_title(root: Any) -> str:
    for element in root.iter("title", "h1"):
        if element.tag == "title" or not _is_hidden(element):
            text = normalise_document_text(one_line(element.text_content()))
            if text.strip():
                return text.strip()
    return ""


def _is_hidden(element: Any) -> bool:
    """Hidden text is a classic prompt-injection vector: a person never reads it."""
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = "".join((element.get("style") or "").lower().split())
    return "display:none" in style or "visibility:hidden" in style


class _HtmlToMarkdown:
    """Walks an lxml tree and keeps headings, paragraphs, list items and table rows."""

    def __init__(self) -> None:
        self._blocks: list[Block] = []
        self._inline: list[str | None] = []  # None marks a <br>
        self._prefix = ""
        self._group = ""

    def markdown(self) -> str:
        self._flush()
        return join_blocks(self._blocks)

    def walk(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _DROPPED or _is_hidden(element):
            return  # comments, processing instructions and invisible parts (tail: caller)
        if tag == "br":
            self._inline.append(None)
        elif tag == "pre":
            self._flush()
            self._blocks.append(Block(element.text_content().strip("\n")))
        elif tag == "tr":
            self._flush()
            cells = [one_line(cell.text_content()) for cell in element if _is_cell(cell)]
            row = " | ".join(cell for cell in cells if cell)
            if row:
                self._blocks.append(Block(row, group="table"))  # rows stay together
        elif tag in _HEADINGS or tag in _BLOCKS:
            self._flush()
            self._prefix = _HEADINGS.get(tag) or (_list_marker(element) if tag == "li" else "")
            self._group = "list" if tag == "li" else ""
            self._children(element)
            self._flush()
        else:
            self._children(element)

    def _children(self, element: Any) -> None:
        if element.text:
            self._inline.append(element.text)
        for child in element:
            self.walk(child)
            if child.tail:
                self._inline.append(child.tail)

    def _flush(self) -> None:
        lines = [one_line("".join(line)) for line in _lines(self._inline)]
        text = "\n".join(line for line in lines if line)
        if text:
            if self._prefix.startswith("#"):
                text = one_line(text)  # a heading is one line, whatever <br>s it had
            self._blocks.append(Block(self._prefix + text, group=self._group))
        self._inline.clear()
        self._prefix = ""
        self._group = ""


def _lines(pieces: list[str | None]) -> list[list[str]]:
    """Split inline pieces at <br> markers; source newlines are just spaces in HTML."""
    lines: list[list[str]] = [[]]
    for piece in pieces:
        if piece is None:
            lines.append([])
        else:
            lines[-1].append(piece)
    return lines


def _list_marker(item: Any) -> str:
    parent = item.getparent()
    if parent is None or parent.tag != "ol":
        return "- "
    number = 1 + sum(1 for sibling in item.itersiblings(preceding=True) if sibling.tag == "li")
    return f"{number}. "


def _is_cell(element: Any) -> bool:
    return element.tag in ("td", "th") and not _is_hidden(element)
