"""Markdown with YAML front matter: the file format of articles (demo KB, export, import)."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from knowledge_base.errors import FrontMatterError
from knowledge_base.schemas import ArticleContent, ArticleFields

_FENCE = "---"
_LIST_FIELDS = ("intents", "questions", "tags")
# Every content field but the body lives in the front matter.
_META_FIELDS = set(ArticleFields.model_fields) - {"body"}


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``---``-fenced YAML from the Markdown body; no fence → empty metadata."""
    text = text.lstrip("\ufeff")
    if not text.startswith(_FENCE):
        return {}, text
    lines = text.splitlines()
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE)
    except StopIteration as exc:
        raise FrontMatterError("front matter starts with '---' but is never closed") from exc
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of fields")
    return meta, "\n".join(lines[end + 1 :]).strip() + "\n"


def parse_article(text: str, *, fallback_title: str) -> tuple[ArticleContent, dict[str, Any]]:
    """Parse an article file into validated content plus any extra metadata (e.g. ``id``)."""
    meta, body = split_front_matter(text)
    extra = {k: v for k, v in meta.items() if k not in _META_FIELDS}
    fields: dict[str, Any] = {k: meta[k] for k in _META_FIELDS if k in meta}
    for name in _LIST_FIELDS:
        value = fields.get(name)
        if value is None:
            fields.pop(name, None)
        elif isinstance(value, str):
            fields[name] = [value]
        elif not isinstance(value, list):
            raise FrontMatterError(f"front matter field {name!r} must be a list")
    fields.setdefault("title", _title_from_body(body) or fallback_title)
    fields["body"] = body if body.strip() else ""
    try:
        return ArticleContent.model_validate(fields), extra
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "article"
        raise FrontMatterError(f"{where}: {first['msg']}") from exc


def _title_from_body(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def render_article(content: ArticleContent, *, article_id: str | None = None) -> str:
    """Serialise content back to Markdown with front matter (round-trips with parse)."""
    meta: dict[str, Any] = {}
    if article_id:
        meta["id"] = article_id
    meta.update(content.model_dump(include=_META_FIELDS, exclude_none=True))
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()
    return f"{_FENCE}\n{header}\n{_FENCE}\n\n{content.body.strip()}\n"
