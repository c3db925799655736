"""The LLM's answer is parsed with LangChain's structured-output parser, not a regex."""

from __future__ import annotations

import pytest

from bot.drafting.llm import LlmComposerError, _parse_answer


def test_plain_and_fenced_json_are_read() -> None:
    plain = _parse_answer('{"reply": "Hi Maria,", "citations": ["returns:1:0"]}')
    assert plain.reply == "Hi Maria," and plain.citations == ["returns:1:0"]
    fenced = _parse_answer('```json\n{"reply": "Hi", "citations": []}\n```')
    assert fenced.reply == "Hi" and fenced.citations == []


@pytest.mark.parametrize(
    "content",
    ["Sure! Here is a reply.", '{"reply": "Hi"}', '{"reply": "  ", "citations": []}',
     '{"reply": 3, "citations": "x"}', "[1, 2]"],
)
def test_anything_else_is_one_clear_error(content: str) -> None:
    with pytest.raises(LlmComposerError):
        _parse_answer(content)
