"""Markdown → safe HTML for the editor's preview and article pages.

markdown-it-py renders CommonMark (raw HTML in the source is escaped, not passed through) and
nh3 then keeps only an allow-list of tags, attributes and URL schemes, so an article can
never run script in a lead's browser even if the renderer had a bug.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr",
        "ul",
    }
)
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "html": False escapes raw HTML in the Markdown instead of emitting it.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and link schemes of ``html``."""
    return nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        clean_content_tags={"script", "style"},
    )


def render_markdown(text: str) -> str:
    """Render article Markdown to sanitised HTML (safe to insert into a page as is)."""
    return sanitize_html(_renderer().render(text))
