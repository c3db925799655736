"""The LLM composer (LangChain ``init_chat_model``): labelled prompt parts, verified citations.

Buyer PII is replaced by placeholders before anything leaves the process and restored after.
Any failure (network, bad JSON, no valid citation) raises, and the pipeline falls back to the
offline composer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from bot.drafting.offline import ComposedReply, ComposeInput, greeting_name
from bot.facts import Citation
from bot.policy.wording import verdict_text
from bot.understanding.signals import ORDER_ID, strip_invisible_characters
from knowledge_base.error_base import DraftdeskError

if TYPE_CHECKING:
    from langchain_core.output_parsers import PydanticOutputParser

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
# The reply languages draftdesk detects, as the model is told them.
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "ja": "Japanese",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\d-])(\+?\d[\d ().-]{7,}\d)(?![\d-])")
_STREET = re.compile(
    r"\b\d{1,5}\s+(\w+\s){0,3}(street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|"
    r"court|ct|way|place|pl)\b\.?",
    re.I,
)


class LlmComposerError(DraftdeskError):
    """The model's answer could not be used (the pipeline falls back)."""

    code = "llm_composer_failed"
    status = 502


@dataclass
class Redaction:
    """Placeholders for PII in text sent to an outside model, and the way back."""

    mapping: dict[str, str] = field(default_factory=dict)

    def redact(self, text: str, *, name: str | None) -> str:
        def keep(prefix: str) -> Any:
            def repl(match: re.Match[str]) -> str:
                value = match.group(0)
                for token, original in self.mapping.items():
                    if original == value:
                        return token
                token = f"[{prefix}_{sum(k.startswith(f'[{prefix}_') for k in self.mapping) + 1}]"
                self.mapping[token] = value
                return token

            return repl

        text = _EMAIL.sub(keep("EMAIL"), text)
        text = ORDER_ID.sub(keep("ORDER"), text)
        text = _PHONE.sub(keep("PHONE"), text)
        text = _STREET.sub(keep("ADDRESS"), text)
        if name:
            text = re.sub(rf"\b{re.escape(name)}\b", "[BUYER_NAME]", text)
            self.mapping["[BUYER_NAME]"] = name
        return text

    def restore(self, text: str) -> str:
        for token, original in self.mapping.items():
            # E-mails, phones and addresses never go back into a reply; order ids and the
            # buyer's first name do.
            if token.startswith(("[ORDER_", "[BUYER_NAME]")):
                text = text.replace(token, original)
        return text


class LlmComposer:
    """Drafts with a chat model; verifies that it cites only retrieved passages."""

    def __init__(self, chat_model: Any, *, name: str, seller_name: str, signature: str) -> None:
        self._model = chat_model
        self.name = name
        self._seller_name = seller_name
        self._signature = signature
        self._instructions = (PROMPTS_DIR / "instructions.txt").read_text(encoding="utf-8")
        self._context = (PROMPTS_DIR / "context.txt").read_text(encoding="utf-8")
        self.instructions_text = self._instructions

    def messages(self, data: ComposeInput, *, buyer_text: str, redaction: Redaction) -> list[Any]:
        """System instructions, KB context and buyer text as separate, labelled messages."""
        from langchain_core.messages import HumanMessage, SystemMessage

        name = greeting_name(data.buyer_name)
        instructions = self._instructions.format(
            seller_name=self._seller_name,
            greeting_name="[BUYER_NAME]" if name else "there",
            signature=self._signature,
            language_name=LANGUAGE_NAMES.get(data.language, "English"),
        )
        knowledge = "\n\n".join(
            f"[{c.id}] {c.title}\n{strip_invisible_characters(c.text)}" for c in data.answer_chunks
        )
        order_facts = data.order.model_dump_json() if data.order else "none"
        # The verdicts worded in the reply's language (our templates), so the model copies
        # them rather than translating policy.
        verdicts = (
            "\n".join(
                f"- {verdict_text(v, language=data.language, order=data.order)} "
                f"(rules: {', '.join(v.rule_ids)})"
                for v in data.verdicts
            )
            or "none"
        )
        context = self._context.format(
            knowledge=knowledge or "none",
            order_facts=redaction.redact(order_facts, name=None),
            verdicts=redaction.redact(verdicts, name=None),
        )
        buyer = redaction.redact(strip_invisible_characters(buyer_text), name=name)
        return [
            SystemMessage(content=instructions),
            HumanMessage(content=context),
            HumanMessage(content=f"BUYER MESSAGE:\n<<<\n{buyer}\n>>>"),
        ]

    def compose(self, data: ComposeInput, *, buyer_text: str) -> ComposedReply:
        redaction = Redaction()
        if greeting_name(data.buyer_name):
            redaction.mapping["[BUYER_NAME]"] = greeting_name(data.buyer_name) or ""
        response = self._model.invoke(
            self.messages(data, buyer_text=buyer_text, redaction=redaction)
        )
        content = (
            response.content if isinstance(response.content, str) else json.dumps(response.content)
        )
        answer = _parse_answer(content)
        by_id = {c.id: c for c in data.answer_chunks}
        valid = [by_id[c] for c in dict.fromkeys(answer.citations) if c in by_id]
        if not valid:
            raise LlmComposerError("the model cited no retrieved passage")
        citations = [
            Citation(article_id=c.article_id, revision=c.revision, title=c.title, chunk_id=c.id,
                     translation_of=c.translation_of or None)
            for c in valid
        ]
        return ComposedReply(text=redaction.restore(answer.reply.strip()), citations=citations)


class LlmAnswer(BaseModel):
    """The JSON object the instructions ask the model for (prompts/instructions.txt)."""

    reply: str = Field(min_length=1)
    citations: list[str]


@lru_cache(maxsize=1)
def _answer_parser() -> PydanticOutputParser[LlmAnswer]:
    # Imported on first use: LangChain is ~30 MB that API-only processes never need.
    from langchain_core.output_parsers import PydanticOutputParser

    return PydanticOutputParser(pydantic_object=LlmAnswer)


def _parse_answer(content: str) -> LlmAnswer:
    """LangChain's structured-output parser (JSON, fenced or not) validated as LlmAnswer."""
    from langchain_core.exceptions import OutputParserException

    try:
        answer: LlmAnswer = _answer_parser().parse(content)
    except OutputParserException as exc:
        raise LlmComposerError("the model did not answer with the reply/citations JSON") from exc
    if not answer.reply.strip():
        raise LlmComposerError("the model's answer has no reply text")
    return answer
