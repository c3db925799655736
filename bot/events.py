"""Live events for buyers (widget) and agents (console): in-process fan-out + Postgres relay.

Events are hints, never the state of record: a client that misses one re-fetches from the
API (each event carries an ``id`` for ``Last-Event-ID``). Publishing is thread-safe — the
worker thread and request threads publish, asyncio streams consume. With PostgreSQL a relay
forwards events through ``LISTEN/NOTIFY`` so API processes see the workers' events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

AGENTS_TOPIC = "agents"
NOTIFY_CHANNEL = "draftdesk_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; our events are ids and flags.
_MAX_NOTIFY_BYTES = 7900


def conversation_topic(conversation_id: str) -> str:
    """The topic a buyer's event stream listens to."""
    return f"conversation:{conversation_id}"


@dataclass(frozen=True)
class Event:
    """One event: ``type`` names what happened, ``data`` carries ids and small facts."""

    id: str
    topic: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class EventPublisher(Protocol):
    """What the workflow needs to announce changes (after commit)."""

    def publish(
        self, *, topic: str, type: str, data: dict[str, Any], event_id: str | None = None
    ) -> Event: ...


class Subscription:
    """A bounded queue of events for one stream, bound to the event loop that created it."""

    def __init__(self, bus: EventBus, topic: str, *, maxsize: int) -> None:
        self.topic = topic
        self.overflowed = False
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)

    def offer(self, event: Event) -> None:
        """Hand an event over from any thread."""
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the loop has closed: the stream is gone
            self.close()

    def _put(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            # A stalled client: drop, and let it know to re-fetch everything.
            self.overflowed = True

    async def next(self, *, timeout: float) -> Event | None:
        """The next event, or None after ``timeout`` seconds of silence."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout=timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    """In-process publish/subscribe by topic, optionally relayed across processes."""

    def __init__(self) -> None:
        self.origin = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._relay: PostgresEventRelay | None = None
        self._counter = 0

    def _next_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"{self.origin[:8]}-{self._counter}"

    def publish(
        self, *, topic: str, type: str, data: dict[str, Any], event_id: str | None = None
    ) -> Event:
        """Deliver to local subscribers and, when relayed, to other processes."""
        event = Event(id=event_id or self._next_id(), topic=topic, type=type, data=data)
        self.deliver_local(event)
        relay = self._relay
        if relay is not None:
            relay.send(event)
        return event

    def deliver_local(self, event: Event) -> None:
        with self._lock:
            targets = list(self._subscriptions.get(event.topic, ()))
        for subscription in targets:
            subscription.offer(event)

    def subscribe(self, topic: str, *, maxsize: int = 256) -> Subscription:
        """Subscribe from inside a running event loop; close the subscription when done."""
        subscription = Subscription(self, topic, maxsize=maxsize)
        with self._lock:
            self._subscriptions.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscriptions.get(subscription.topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscriptions[subscription.topic]

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscriptions.get(topic, ()))

    def relay_through_postgres(self, conninfo: str, *, channel: str = NOTIFY_CHANNEL) -> None:
        """Start relaying via LISTEN/NOTIFY (idempotent). ``conninfo`` is a libpq URL."""
        if self._relay is None:
            self._relay = PostgresEventRelay(conninfo, bus=self, channel=channel)
            self._relay.start()

    def close(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.stop()


class PostgresEventRelay:
    """Forwards events between processes through one PostgreSQL NOTIFY channel."""

    def __init__(self, conninfo: str, *, bus: EventBus, channel: str = NOTIFY_CHANNEL) -> None:
        self._conninfo = conninfo
        self._bus = bus
        self._channel = channel
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._send_lock = threading.Lock()
        self._send_conn: Any = None
        self._thread = threading.Thread(target=self._listen, name="event-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()
        # Wait briefly for LISTEN so events published right after start-up are not missed.
        self._ready.wait(timeout=5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._send_lock:
            if self._send_conn is not None:
                with contextlib.suppress(Exception):
                    self._send_conn.close()
                self._send_conn = None

    def send(self, event: Event) -> None:
        payload = json.dumps(
            {"origin": self._bus.origin, "id": event.id, "topic": event.topic,
             "type": event.type, "data": event.data},
            separators=(",", ":"),
        )
        if len(payload.encode()) > _MAX_NOTIFY_BYTES:
            log.warning("event %s too large to relay; dropped for other processes", event.type)
            return
        import psycopg

        with self._send_lock:
            for attempt in (1, 2):
                try:
                    if self._send_conn is None or self._send_conn.closed:
                        self._send_conn = psycopg.connect(self._conninfo, autocommit=True)
                    self._send_conn.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))
                    return
                except psycopg.Error:
                    self._send_conn = None
                    if attempt == 2:
                        log.warning("could not relay event %s to other processes", event.type)

    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    self._ready.set()
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._dispatch(notify.payload)
            except psycopg.Error:
                log.warning("event relay lost its connection; reconnecting")
                self._ready.set()
                self._stop.wait(1.0)

    def _dispatch(self, payload: str) -> None:
        try:
            raw = json.loads(payload)
        except json.JSONDecodeError:
            return
        if not isinstance(raw, dict) or raw.get("origin") == self._bus.origin:
            return  # our own event, already delivered locally
        self._bus.deliver_local(
            Event(id=str(raw.get("id")), topic=str(raw.get("topic")), type=str(raw.get("type")),
                  data=dict(raw.get("data") or {}))
        )

