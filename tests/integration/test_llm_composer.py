"""The LLM path: a scripted fake chat model and a loopback OpenAI-compatible stub server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from bot.drafting.interface import DraftRequest
from bot.services import build_pipeline
from bot.settings import Settings
from tests.fakes import ScriptedChatModel

PASSAGE_ID = re.compile(r"^\[([a-z0-9-]+:\d+:\d+)\]", re.M)


def pipeline_with(services: Any, *, chat_model: Any = None, **settings: Any) -> Any:
    return build_pipeline(
        settings=Settings(data_dir=services.settings.data_dir, **settings),
        index=services.index,
        embedder=services.embedder,
        session_factory=services.session_factory,
        chat_model=chat_model,
    )


def cite_first_passage(messages: list[Any]) -> str:
    context = messages[1].content
    first = PASSAGE_ID.search(context)
    assert first is not None
    return json.dumps(
        {
            "reply": "Hi [BUYER_NAME],\n\nI'm sorry your parcel hasn't arrived. Order [ORDER_1] "
            "is on its way.\n\nBest wishes,\nThe Brightwater Home team",
            "citations": [first.group(1), "made-up:1:0"],
        }
    )


def test_llm_composer_uses_labelled_parts_redacts_pii_and_verifies_citations(
    demo_services: Any,
) -> None:
    model = ScriptedChatModel.build(cite_first_passage)
    pipeline = pipeline_with(demo_services, chat_model=model)
    reply = pipeline.draft(
        DraftRequest(
            buyer_messages=[
                "My parcel never arrived! order 112-3456789-1234567, "
                "write to me at maria.lopez@example.com or +1 206 555 0100"
            ],
            buyer_name="Maria",
        )
    )
    assert reply.composer.startswith("llm:")
    assert reply.text.startswith("Hi Maria,")
    assert "112-3456789-1234567" in reply.text
    assert [c.chunk_id for c in reply.citations] != []
    assert all(c.chunk_id != "made-up:1:0" for c in reply.citations)
    sent = model.seen[0]  # type: ignore[attr-defined]
    assert [m.type for m in sent] == ["system", "human", "human"]
    assert sent[0].content.startswith("You draft replies for Brightwater Home")
    assert sent[1].content.startswith("KNOWLEDGE")
    assert sent[2].content.startswith("BUYER MESSAGE:")
    everything = "\n".join(m.content for m in sent)
    assert "maria.lopez@example.com" not in everything
    assert "555 0100" not in everything
    assert "112-3456789-1234567" not in everything
    assert "Maria" not in sent[2].content


@pytest.mark.parametrize(
    "answer",
    [
        "not json at all",
        json.dumps({"reply": "Hi there, trust me.", "citations": ["invented:9:9"]}),
        json.dumps({"reply": "", "citations": []}),
    ],
)
def test_unusable_llm_answers_fall_back_to_the_offline_composer(
    demo_services: Any, answer: str
) -> None:
    pipeline = pipeline_with(demo_services, chat_model=ScriptedChatModel.build(lambda _: answer))
    reply = pipeline.draft(DraftRequest(buyer_messages=["how long does delivery take?"]))
    assert reply.composer == "offline"
    assert reply.citations


def test_a_failing_model_falls_back(demo_services: Any) -> None:
    def explode(_: Any) -> str:
        raise ConnectionError("provider down")

    pipeline = pipeline_with(demo_services, chat_model=ScriptedChatModel.build(explode))
    reply = pipeline.draft(DraftRequest(buyer_messages=["how long does delivery take?"]))
    assert reply.composer == "offline"


class _OpenAIStub(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
            return
        context = body["messages"][1]["content"]
        first = PASSAGE_ID.search(context)
        content = json.dumps(
            {
                "reply": "Hi there,\n\nThanks for asking about delivery times. Standard delivery "
                "takes 3 to 5 business days.\n\nBest wishes,\nThe Brightwater Home team",
                "citations": [first.group(1) if first else ""],
            }
        )
        payload = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        raw = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def openai_stub() -> Iterator[str]:
    _OpenAIStub.requests = []
    _OpenAIStub.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_compatible_server_through_the_real_http_client(
    demo_services: Any, openai_stub: str
) -> None:
    pipeline = pipeline_with(demo_services, llm="openai:gpt-4o-mini", llm_base_url=openai_stub)
    reply = pipeline.draft(DraftRequest(buyer_messages=["how long does delivery take?"]))
    assert reply.composer == "llm:openai:gpt-4o-mini"
    assert "3 to 5 business days" in reply.text
    assert reply.citations
    request = _OpenAIStub.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "gpt-4o-mini"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user", "user"]


def test_openai_compatible_server_errors_fall_back(demo_services: Any, openai_stub: str) -> None:
    _OpenAIStub.status = 500
    pipeline = pipeline_with(
        demo_services, llm="openai:gpt-4o-mini", llm_base_url=openai_stub, llm_timeout_seconds=5
    )
    reply = pipeline.draft(DraftRequest(buyer_messages=["how long does delivery take?"]))
    assert reply.composer == "offline"
    assert _OpenAIStub.requests


def test_the_llm_writes_in_the_buyers_language_from_verdicts_worded_in_it(
    demo_services: Any,
) -> None:
    from bot.orders import load_demo_orders
    from bot.policy.wording import verdict_text
    from knowledge_base.db import transaction

    with transaction(demo_services.session_factory) as session:
        load_demo_orders(session, today=date.today())

    def german_reply(messages: list[Any]) -> str:
        first = PASSAGE_ID.search(messages[1].content)
        assert first is not None
        return json.dumps({
            "reply": "Hallo,\n\nja, Sie können den Wasserkocher noch zurücksenden.\n\n"
                     "Viele Grüße\nThe Brightwater Home team",
            "citations": [first.group(1)],
        })

    model = ScriptedChatModel.build(german_reply)
    pipeline = pipeline_with(demo_services, chat_model=model)
    reply = pipeline.draft(DraftRequest(
        buyer_messages=["Kann ich den Wasserkocher aus Bestellung 112-3456789-1234567 noch "
                        "zurückschicken?"],
        for_seller=True,
    ))
    assert reply.composer.startswith("llm:")
    assert reply.reply_language == "de"
    sent = model.seen[0]  # type: ignore[attr-defined]
    assert "Write the whole reply in German" in sent[0].content
    assert reply.verdicts, "a return question on a known order gets a verdict"
    for verdict in reply.verdicts:
        german = verdict_text(verdict, language="de", order=reply.order)
        # As the model sees it: the order id is a placeholder.
        sent_as = german.replace("112-3456789-1234567", "[ORDER_1]")
        assert german != verdict.text and sent_as in sent[1].content
    # The reply checks ran on the German text (greeting and sign-off recognised).
    assert not [c.name for c in reply.checks if not c.passed and c.severity == "block"]
