"""Server-sent events against a real uvicorn server: buyers' replies, resume, agents' feed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from bot.events import EventBus, conversation_topic
from tests.factories import add_user, bearer, open_conversation
from tests.workflow_support import wait_for

Event = dict[str, Any]


def _events(response: httpx.Response) -> Iterator[Event]:
    """Parse a text/event-stream into dicts (comments/pings skipped)."""
    event: Event = {}
    for line in response.iter_lines():
        if not line:
            if "data" in event or "event" in event:
                yield event
            event = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            event["data"] = json.loads(value) if value else {}
        elif field in ("event", "id"):
            event[field] = value


def _until(events: Iterator[Event], match: Callable[[Event], bool]) -> list[Event]:
    seen = []
    for event in events:
        seen.append(event)
        if match(event):
            return seen
    raise AssertionError(f"stream ended before the expected event; saw {seen}")


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=httpx.Timeout(30.0))


def test_buyer_stream_delivers_the_approved_reply(live_server: Any) -> None:
    workflow = live_server.services.workflow
    with _client(live_server.url) as client:
        conversation_id, token = open_conversation(client, buyer_name="Maria")
        url = f"/api/v1/conversations/{conversation_id}/events?token={token}"
        with client.stream("GET", url) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream)
            first = _until(events, lambda e: e.get("event") == "status")
            assert first[-1]["data"]["state"] == "new"
            client.post(f"/api/v1/conversations/{conversation_id}/messages",
                        json={"text": "Where is my parcel?"},
                        headers=bearer(token))
            (draft,) = wait_for(lambda: workflow.list_drafts(), timeout=30)
            threading.Thread(
                target=workflow.approve, kwargs={"draft_id": draft.id, "actor": "a@example.com"}
            ).start()
            seen = _until(events, lambda e: e.get("event") == "message"
                          and e["data"]["role"] == "seller")
        kinds = [(e.get("event"), e["data"].get("role")) for e in seen]
        assert ("message", "buyer") in kinds and ("message", "system") in kinds
        assert seen[-1]["data"]["text"] == draft.text
        assert seen[-1]["id"] == str(seen[-1]["data"]["id"])
        assert all("id" in e for e in seen)


def test_reconnecting_with_last_event_id_replays_missed_messages(live_server: Any) -> None:
    with _client(live_server.url) as client:
        conversation_id, token = open_conversation(client, buyer_name="Maria")
        auth = bearer(token)
        first = client.post(f"/api/v1/conversations/{conversation_id}/messages",
                            json={"text": "first"}, headers=auth).json()
        client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "second"},
                    headers=auth)
        headers = {**auth, "Last-Event-ID": str(first["id"])}
        with client.stream("GET", f"/api/v1/conversations/{conversation_id}/events",
                           headers=headers) as stream:
            seen = _until(_events(stream), lambda e: e.get("event") == "status")
    replayed = [e["data"]["text"] for e in seen if e.get("event") == "message"]
    assert replayed[0].startswith("Thanks, Maria!")  # the ack of the first message
    assert "second" in replayed and "first" not in replayed
    assert seen[-1]["data"]["awaiting_reply"] is True


def test_agents_feed_announces_new_drafts(live_server: Any) -> None:
    created = add_user(live_server.services.session_factory, email="a@example.com",
                       role="agent")
    with _client(live_server.url) as client:
        denied = client.get("/api/v1/events")
        assert denied.status_code == 401
        with client.stream("GET", "/api/v1/events",
                           headers=bearer(created.token)) as stream:
            events = _events(stream)
            _until(events, lambda e: e.get("event") == "ready")
            conversation_id, token = open_conversation(client, buyer_name="Maria")
            client.post(f"/api/v1/conversations/{conversation_id}/messages",
                        json={"text": "Hello"}, headers=bearer(token))
            seen = _until(events, lambda e: e.get("event") == "draft_created")
    assert seen[-1]["data"]["conversation_id"] == conversation_id
    assert any(e.get("event") == "message_received" for e in seen)


def test_events_cross_processes_through_postgres(workflow_services: Any, db_backend: str) -> None:
    """Two buses stand for two processes; on SQLite there is no relay to start."""
    import asyncio

    first, second = EventBus(), EventBus()
    if db_backend != "postgresql":
        assert first._relay is None and second._relay is None
        return
    url = workflow_services.engine.url.set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    first.relay_through_postgres(conninfo, channel="draftdesk_events_test")
    second.relay_through_postgres(conninfo, channel="draftdesk_events_test")
    try:
        async def receive() -> Any:
            subscription = second.subscribe(conversation_topic("c1"))
            try:
                await asyncio.to_thread(first.publish, topic=conversation_topic("c1"),
                                        type="status", data={"x": 1})
                for _ in range(100):
                    event = await subscription.next(timeout=0.2)
                    if event is not None:
                        return event
                return None
            finally:
                subscription.close()

        event = asyncio.run(receive())
        assert event is not None and event.type == "status" and event.data == {"x": 1}
    finally:
        first.close()
        second.close()
