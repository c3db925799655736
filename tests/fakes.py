"""Hand-written fakes for unit tests (never a replacement for the integration tests)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.embedder import Vectors
from ingest.index import DenseHit, IndexedChunk


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: similar words → similar vectors."""

    name = "fake-hashing"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.calls = 0
        self.texts_embedded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> Vectors:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.sha256(token.encode()).digest()
                out[row, digest[0] % self._dimension] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


class InMemoryIndex:
    """The SearchIndex contract in a dict (exact cosine search)."""

    def __init__(self) -> None:
        self._chunks: dict[str, IndexedChunk] = {}
        self._vectors: dict[str, Vectors] = {}
        self._metadata: dict[str, str] = {}
        self._article_keys: dict[str, str] = {}

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: Vectors) -> None:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._chunks[chunk.id] = chunk
            self._vectors[chunk.id] = np.asarray(vector, dtype=np.float32)

    def delete(self, ids: Sequence[str]) -> None:
        for chunk_id in ids:
            self._chunks.pop(chunk_id, None)
            self._vectors.pop(chunk_id, None)

    def query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]:
        hits = []
        for chunk_id, chunk in self._chunks.items():
            meta = chunk.metadata()
            if where and not _matches(meta, where):
                continue
            similarity = float(np.dot(self._vectors[chunk_id], vector))
            hits.append(DenseHit(chunk=chunk, similarity=similarity))
        hits.sort(key=lambda h: (-h.similarity, h.chunk.id))
        return hits[:k]

    def nearest(self, vector: Vectors, *, k: int) -> list[tuple[str, float]]:
        return [(h.chunk.id, h.similarity) for h in self.query(vector, k=k)]

    def content_hashes(self, article_ids: Sequence[str] | None = None) -> dict[str, str]:
        wanted = None if article_ids is None else set(article_ids)
        return {
            cid: c.content_hash for cid, c in self._chunks.items()
            if wanted is None or c.article_id in wanted
        }

    def article_keys(self) -> dict[str, str]:
        return dict(self._article_keys)

    def record_article_keys(self, keys: Mapping[str, str | None]) -> None:
        for article_id, key in keys.items():
            if key is None:
                self._article_keys.pop(article_id, None)
            else:
                self._article_keys[article_id] = key

    def all_chunks(self) -> list[IndexedChunk]:
        return list(self._chunks.values())

    def vectors(self, ids: Sequence[str]) -> Vectors:
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray([self._vectors[i] for i in ids], dtype=np.float32)

    def count(self) -> int:
        return len(self._chunks)

    def read_metadata(self, key: str) -> str | None:
        return self._metadata.get(key)

    def write_metadata(self, key: str, value: str) -> None:
        self._metadata[key] = value


class ScriptedChatModel:
    """Factory for a LangChain chat model whose answers come from a script function.

    The script sees the exact messages the composer sent, so tests can check the prompt's
    labelled parts and answer as a model would (e.g. citing the first passage shown).
    """

    @staticmethod
    def build(script: object) -> object:

        from langchain_core.language_models.chat_models import BaseChatModel
        from langchain_core.messages import AIMessage, BaseMessage
        from langchain_core.outputs import ChatGeneration, ChatResult

        class _Scripted(BaseChatModel):
            script: Any
            seen: list[list[BaseMessage]]

            @property
            def _llm_type(self) -> str:
                return "scripted-fake"

            def _generate(
                self,
                messages: list[BaseMessage],
                stop: Any = None,
                run_manager: Any = None,
                **kwargs: Any,
            ) -> ChatResult:
                self.seen.append(list(messages))
                content = self.script(messages)
                return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])

        return _Scripted(script=script, seen=[])


if TYPE_CHECKING:
    from bot.drafting.interface import DraftRequest
    from bot.events import Event
    from bot.facts import CheckResult, DraftReply


class FakeDrafter:
    """A scripted ``bot.drafting.interface.Drafter``: instant, deterministic drafts.

    ``fail_times`` makes the next N calls raise; ``delay`` sleeps inside ``draft`` (to widen
    race windows in worker tests); any word of ``blocking_words`` in a text fails the
    blocking ``no_marketing`` check, so approval rules can be exercised. Like the real
    grounding check, ``figures_supported`` blocks a number that is neither in the buyer's
    messages nor in the draft's stored evidence — so a re-check depends on the evidence
    surviving storage, as it does in the real pipeline.
    """

    def __init__(
        self,
        *,
        fail_times: int = 0,
        delay: float = 0.0,
        blocking_words: Sequence[str] = ("coupon",),
        handoff: bool = False,
        confidence: float = 0.82,
    ) -> None:
        import threading

        self.failures_left = fail_times
        self.delay = delay
        self.blocking_words = tuple(blocking_words)
        self.handoff = handoff
        self.confidence = confidence
        self.requests: list[DraftRequest] = []
        self.rechecks: list[str] = []
        self._lock = threading.Lock()

    def draft(self, request: DraftRequest) -> DraftReply:
        import time

        from bot.facts import (
            Citation,
            CitedPassage,
            DraftEvidence,
            DraftReply,
            OrderFacts,
            PolicyVerdict,
        )

        with self._lock:
            self.requests.append(request)
            fail = self.failures_left > 0
            if fail:
                self.failures_left -= 1
        if self.delay:
            time.sleep(self.delay)
        if fail:
            raise RuntimeError("scripted drafting failure")
        name = request.buyer_name.split()[0] if request.buyer_name else "there"
        asked = " / ".join(m.strip() for m in request.buyer_messages)
        text = (
            f"Hi {name},\n\nThank you for your message about: {asked}\n\n"
            "We have checked your order and it is on its way. It ships within 2 business "
            "days.\n\nThe Brightwater Home team"
        )
        order = OrderFacts(
            order_id="112-3456789-1234567", status="Shipped", carrier="UPS", tracking_number="1Z999"
        )
        verdict = PolicyVerdict(
            kind="return", eligible=True, rule_ids=["window-30"],
            text="Within the 30-day return window.",
        )
        evidence = DraftEvidence(
            cited=[CitedPassage(chunk_id="shipping-times:2:0", article_id="shipping-times",
                                revision=2, text="Every order ships within 2 business days.")],
            buyer_name=request.buyer_name, order=order, verdicts=[verdict],
        )
        reply = DraftReply(
            text=text,
            handoff=self.handoff,
            handoff_reason="scripted hand-off" if self.handoff else None,
            confidence=self.confidence,
            intents=["where_is_my_order"],
            citations=[
                Citation(
                    article_id="shipping-times",
                    revision=2,
                    title="Shipping times",
                    chunk_id="shipping-times:2:0",
                )
            ],
            composer="fake",
            order=order,
            verdicts=[verdict],
            kb_revisions={"shipping-times": 2},
            evidence=evidence,
        )
        reply.checks = self._checks(text, draft=reply, buyer_messages=request.buyer_messages)
        return reply

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        with self._lock:
            self.rechecks.append(text)
        return list(self._checks(text, draft=draft, buyer_messages=buyer_messages))

    def _checks(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        import re

        from bot.facts import CheckResult

        hits = [w for w in self.blocking_words if w in text.lower()]
        known = " ".join(
            [*buyer_messages, *draft.evidence.cited_texts,
             *(v.text for v in draft.evidence.verdicts)]
        )
        unsupported = [n for n in re.findall(r"\d+%?", text) if n not in known]
        return [
            CheckResult(
                id="figures_supported",
                severity="block",
                passed=not unsupported,
                message=(f"{', '.join(unsupported)} is not in the sources" if unsupported
                         else "every figure is supported"),
            ),
            CheckResult(
                id="no_marketing",
                severity="block",
                passed=not hits,
                message=f"mentions {', '.join(hits)}" if hits else "no marketing",
            ),
            CheckResult(
                id="greeting",
                severity="warn",
                passed=text.startswith("Hi"),
                message="greets the buyer" if text.startswith("Hi") else "no greeting",
            ),
        ]


class RecordingNotifier:
    """A ``ReviewNotifier`` that remembers every call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def draft_ready(self, draft_id: int) -> None:
        self.calls.append(("ready", draft_id))

    def draft_decided(self, draft_id: int) -> None:
        self.calls.append(("decided", draft_id))


class FakeClock:
    """A monotonic clock that only moves when slept on or advanced; records every sleep."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSellingPartnerApi:
    """A local Selling Partner API Orders v0 server: a real HTTP server on 127.0.0.1 in a thread.

    Serves ``getOrders`` (paged by ``page_size``), ``getOrder`` and ``getOrderItems`` from the
    given dicts, records every request as ``(operation, path, query, token)``, and fails the
    next calls of an operation on request (:meth:`fail_next`: 429 + ``Retry-After``, 5xx).
    """

    TOKEN = "Atza|fake-access-token"

    def __init__(
        self,
        *,
        orders: Sequence[Mapping[str, object]] = (),
        items: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
        page_size: int = 2,
    ) -> None:
        self.orders = [dict(order) for order in orders]
        self.items = {key: [dict(i) for i in value] for key, value in (items or {}).items()}
        self.page_size = page_size
        self.requests: list[tuple[str, str, dict[str, str], str | None]] = []
        self._failures: dict[str, list[tuple[int, str | None]]] = {}
        self._server: object = None
        self.url = ""

    def fail_next(
        self, operation: str, *, status: int = 429, retry_after: str | None = None, times: int = 1
    ) -> None:
        self._failures.setdefault(operation, []).extend([(status, retry_after)] * times)

    def _answer(
        self, path: str, query: dict[str, str], token: str | None
    ) -> tuple[int, dict[str, str], object]:
        parts = [p for p in path.split("/") if p]  # orders, v0, orders[, id[, orderItems]]
        operation = {3: "getOrders", 4: "getOrder", 5: "getOrderItems"}.get(len(parts), "?")
        self.requests.append((operation, path, query, token))
        pending = self._failures.get(operation)
        if pending:
            status, retry_after = pending.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return status, headers, {"errors": [{"code": "QuotaExceeded", "message": "slow down"}]}
        if token != self.TOKEN:
            return 403, {}, {"errors": [{"code": "Unauthorized", "message": "Access denied"}]}
        if parts[:3] != ["orders", "v0", "orders"] or operation == "?":
            return 404, {}, {"errors": [{"code": "NotFound", "message": "no such resource"}]}
        start = int(query.get("NextToken", "0"))
        if operation == "getOrders":
            page = self.orders[start : start + self.page_size]
            payload: dict[str, object] = {"Orders": page}
            if start + self.page_size < len(self.orders):
                payload["NextToken"] = str(start + self.page_size)
            return 200, {}, {"payload": payload}
        order = next((o for o in self.orders if o.get("AmazonOrderId") == parts[3]), None)
        if order is None:
            return 404, {}, {"errors": [{"code": "NotFound", "message": "Invalid order id"}]}
        if operation == "getOrder":
            return 200, {}, {"payload": order}
        lines = self.items.get(parts[3], [])
        payload = {"AmazonOrderId": parts[3], "OrderItems": lines[start : start + self.page_size]}
        if start + self.page_size < len(lines):
            payload["NextToken"] = str(start + self.page_size)
        return 200, {}, {"payload": payload}

    def start(self) -> str:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qsl, urlparse

        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                status, headers, body = fake._answer(
                    url.path, dict(parse_qsl(url.query)), self.headers.get("x-amz-access-token")
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        server = self._server
        if server is not None:
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
            self._server = None


class RecordingEvents:
    """An ``EventPublisher`` that keeps every published event (topic, type, data, id)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(
        self, *, topic: str, type: str, data: dict[str, Any], event_id: str | None = None
    ) -> Event:
        from bot.events import Event

        event = Event(id=event_id or str(len(self.events) + 1), topic=topic, type=type, data=data)
        self.events.append(event)
        return event

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]


def _matches(meta: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """Chroma's metadata filter, as far as draftdesk uses it: equality and ``$or``."""
    for key, value in where.items():
        if key == "$or":
            if not any(_matches(meta, alternative) for alternative in value):
                return False
        elif meta.get(key) != value:
            return False
    return True
