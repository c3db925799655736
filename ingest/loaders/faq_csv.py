"""FAQ spreadsheets: one article per ``question,answer`` row, all rows or none."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.errors import CorruptDocument, EmptyDocument, IngestError
from ingest.loaders.base import (
    LoadedArticle,
    decode_text,
    make_content,
    normalise_document_text,
    one_line,
)
from knowledge_base.repository import slugify

# Accepted header names (case-insensitive) for each role, first match wins.
_QUESTION = ("question", "title")
_ANSWER = ("answer", "body")
_LISTS = ("intents", "tags")
_MAX_LISTED_LINES = 50
_MAX_DETAILS = 5


def load_csv(path: Path, data: bytes) -> list[LoadedArticle]:
    """Each row becomes an article: id = slug(question), title = question, body = answer.

    Optional ``intents`` and ``tags`` columns hold ``;``-separated values. A bad header or
    any bad row raises CorruptDocument naming the lines, and nothing from the file is
    imported, so a fixed file can simply be ingested again.
    """
    text = normalise_document_text(decode_text(data, path))
    if not text.strip():
        raise EmptyDocument(f"{path}: has no text")
    rows = _rows_with_lines(text, path)
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows.pop(0)  # blank lines above the header
    if not rows:
        raise EmptyDocument(f"{path}: has no text")
    header_line, header = rows[0]
    columns = _columns(header, header_line, path)
    articles: list[LoadedArticle] = []
    problems: dict[int, str] = {}
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # blank lines between rows are harmless
        try:
            article = _row_article(row, columns, width=len(header), path=path, line=line)
        except IngestError as exc:
            problems[line] = exc.message
            continue
        if article.article_id in seen:
            problems[line] = f"repeats the question of line {seen[article.article_id]}"
            continue
        seen[article.article_id] = line
        articles.append(article)
    if problems:
        raise CorruptDocument(f"{path}: nothing imported; {_describe(problems)}")
    if not articles:
        raise EmptyDocument(f"{path}: has a header but no FAQ rows")
    return articles


def _describe(problems: dict[int, str]) -> str:
    lines = list(problems)
    listed = ", ".join(str(n) for n in lines[:_MAX_LISTED_LINES])
    if len(lines) > _MAX_LISTED_LINES:
        listed += f" and {len(lines) - _MAX_LISTED_LINES} more"
    details = "; ".join(f"line {n}: {problems[n]}" for n in lines[:_MAX_DETAILS])
    return f"bad rows on line{'s' if len(lines) > 1 else ''} {listed} ({details})"


def _rows_with_lines(text: str, path: Path) -> list[tuple[int, list[str]]]:
    """Parsed rows, each with the line it starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CorruptDocument(
            f"{path}: line {start}: is not valid CSV ({one_line(str(exc))})"
        ) from exc
    return rows


def _delimiter(text: str) -> str:
    """Comma, unless the header line clearly uses ``;`` or a tab (European spreadsheets)."""
    header = next((line for line in text.split("\n") if line.strip()), "")
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _columns(header: list[str], line: int, path: Path) -> dict[str, int]:
    names = [one_line(name).lower() for name in header]
    columns: dict[str, int] = {}
    for role, accepted in (("question", _QUESTION), ("answer", _ANSWER)):
        for name in accepted:
            if name in names:
                columns[role] = names.index(name)
                break
    if set(columns) != {"question", "answer"}:
        found = ", ".join(repr(name) for name in names if name) or "nothing"
        raise CorruptDocument(
            f"{path}: line {line}: the header must name the columns question,answer "
            f"(or title,body); found {found}"
        )
    for name in _LISTS:
        if name in names:
            columns[name] = names.index(name)
    return columns


def _row_article(
    row: list[str], columns: dict[str, int], *, width: int, path: Path, line: int
) -> LoadedArticle:
    if any(cell.strip() for cell in row[width:]):
        # Usually an answer with an unquoted comma: importing it would cut the answer short.
        raise IngestError("has more cells than the header (put answers with commas in quotes)")
    question = one_line(_cell(row, columns["question"]))
    answer = _cell(row, columns["answer"]).strip()
    if not question:
        raise IngestError("the question is empty")
    if not answer:
        raise IngestError("the answer is empty")
    lists = {
        name: [v.strip() for v in _cell(row, columns[name]).split(";") if v.strip()]
        for name in _LISTS
        if name in columns
    }
    content = make_content("", title=question, body=answer, questions=[question], **lists)
    return LoadedArticle(article_id=slugify(question), content=content, source=f"{path}#row-{line}")


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""
