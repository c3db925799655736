"""Markdown preview: rendered server-side and sanitised (no script can reach a lead's page)."""

from __future__ import annotations

from bot.kb_editor.rendering import render_markdown, sanitize_html


def test_markdown_renders_headings_lists_tables_and_links() -> None:
    html = render_markdown(
        "## How to claim\n\n1. Open **Your Orders**\n2. Choose *Contact seller*\n\n"
        "| Item | Warranty |\n|---|---|\n| Kettle | 2 years |\n\n"
        "[Amazon](https://www.amazon.com/)"
    )
    assert "<h2>How to claim</h2>" in html
    assert "<ol>" in html and "<strong>Your Orders</strong>" in html
    assert "<table>" in html and "<td>Kettle</td>" in html
    assert 'href="https://www.amazon.com/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_raw_html_and_script_never_survive() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3))\n\n<a href=\"https://x.test\" onclick=\"evil()\">a</a>"
    )
    # Raw HTML in Markdown is shown as text, never emitted as tags.
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_sanitizer_strips_disallowed_tags_and_attributes() -> None:
    dirty = '<p style="x" onmouseover="y">hi<iframe src="https://evil.test"></iframe></p>'
    assert sanitize_html(dirty) == "<p>hi</p>"
    link = sanitize_html('<a href="javascript:alert(1)" onclick="x()">x</a>')
    assert "javascript" not in link and "onclick" not in link
