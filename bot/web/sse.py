"""Server-sent event streams over the event bus (buyers and reviewers).

Every event has an ``id``. Buyer message events use the message id, other events
``<last message id>-<n>``, so a reconnecting EventSource's ``Last-Event-ID`` tells us which
messages it missed; we replay them from the database before going live.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse

from bot.conversations.service import Workflow
from bot.events import AGENTS_TOPIC, EventBus, conversation_topic

# Comments keep proxies from closing idle streams; clients reconnect after 3 s.
PING_SECONDS = 15
RETRY_MS = 3000
_WAIT_SECONDS = 1.0


def _last_message_id(header: str | None) -> int | None:
    if not header:
        return None
    head = header.split("-", 1)[0].strip()
    return int(head) if head.isdigit() else None


def buyer_events(
    request: Request, *, bus: EventBus, workflow: Workflow, conversation_id: str
) -> EventSourceResponse:
    """New messages (approved replies, acknowledgements) and status changes for a buyer."""
    last_seen = _last_message_id(
        request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    )

    async def stream() -> AsyncIterator[dict[str, Any]]:
        subscription = bus.subscribe(conversation_topic(conversation_id))
        last = last_seen or 0
        counter = 0
        try:
            if last_seen is not None:
                missed = await run_in_threadpool(
                    workflow.buyer_thread, conversation_id=conversation_id, after_id=last_seen
                )
                for message in missed:
                    last = message.id
                    yield {"id": str(message.id), "event": "message",
                           "data": message.model_dump_json(), "retry": RETRY_MS}
            status = await run_in_threadpool(
                workflow.conversation_status, conversation_id=conversation_id
            )
            yield {"id": f"{last}-0", "event": "status", "data": status.model_dump_json(),
                   "retry": RETRY_MS}
            while not await request.is_disconnected():
                event = await subscription.next(timeout=_WAIT_SECONDS)
                if subscription.overflowed:
                    subscription.overflowed = False
                    counter += 1
                    yield {"id": f"{last}-{counter}", "event": "resync", "data": "{}"}
                if event is None:
                    continue
                if event.type == "message":
                    message_id = int(event.id)
                    if message_id <= last:
                        continue  # already replayed
                    last = message_id
                    yield {"id": event.id, "event": "message", "data": json.dumps(event.data)}
                else:
                    counter += 1
                    yield {"id": f"{last}-{counter}", "event": event.type,
                           "data": json.dumps(event.data)}
        finally:
            subscription.close()

    return EventSourceResponse(stream(), ping=PING_SECONDS)


def agent_events(request: Request, *, bus: EventBus) -> EventSourceResponse:
    """Draft created / decided, conversations needing a person: the console re-fetches."""

    async def stream() -> AsyncIterator[dict[str, Any]]:
        subscription = bus.subscribe(AGENTS_TOPIC)
        try:
            yield {"event": "ready", "data": "{}", "id": "0", "retry": RETRY_MS}
            while not await request.is_disconnected():
                event = await subscription.next(timeout=_WAIT_SECONDS)
                if subscription.overflowed:
                    subscription.overflowed = False
                    yield {"event": "resync", "data": "{}", "id": "resync"}
                if event is not None:
                    yield {"id": event.id, "event": event.type, "data": json.dumps(event.data)}
        finally:
            subscription.close()

    return EventSourceResponse(stream(), ping=PING_SECONDS)
