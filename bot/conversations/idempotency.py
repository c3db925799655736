"""``Idempotency-Key`` records of the buyer API, in the database so every process sees them.

A request with a key first *reserves* it (a row without an answer), acts, then *records*
the answer. A retry with the same key and the same request gets the recorded answer again;
the same key with another request, or while the first is still running, is a conflict. A
reservation whose request failed unexpectedly is released, so the retry can act; one left
by a process that died is taken over after ``stale_after``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.errors import IdempotencyConflict
from bot.conversations.models import IdempotencyKey
from knowledge_base.clock import Clock, utcnow
from knowledge_base.db import transaction

KEEP_FOR = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class RecordedAnswer:
    """The answer the first request with a key got."""

    status_code: int
    body: Any


def request_fingerprint(endpoint: str, body: Any) -> str:
    """A hash of what the request asks for (the endpoint and its validated body)."""
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class IdempotencyKeys:
    """Reserve, record and release keys; every method is one short transaction."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, clock: Clock = utcnow,
        stale_after: timedelta = STALE_AFTER, keep_for: timedelta = KEEP_FOR,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._stale_after = stale_after
        self._keep_for = keep_for

    def reserve(
        self, *, conversation_id: str, key: str, fingerprint: str
    ) -> RecordedAnswer | None:
        """None: the key is now ours, act and then :meth:`record`. Else the first answer.

        Raises :class:`IdempotencyConflict` for another request under the same key, or for
        the same request still being answered.
        """
        try:
            return self._reserve(conversation_id, key, fingerprint)
        except IntegrityError:
            # Another request inserted the same key between our read and our insert.
            return self._reserve(conversation_id, key, fingerprint)

    def _reserve(self, conversation_id: str, key: str, fingerprint: str) -> RecordedAnswer | None:
        now = self._clock()
        with transaction(self._sessions) as session:
            session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.conversation_id == conversation_id,
                IdempotencyKey.created_at < now - self._keep_for,
            ))
            row = session.execute(
                select(IdempotencyKey).where(IdempotencyKey.conversation_id == conversation_id,
                                             IdempotencyKey.key == key).with_for_update()
            ).scalar_one_or_none()
            if row is None:
                session.add(IdempotencyKey(conversation_id=conversation_id, key=key,
                                           request_sha256=fingerprint, created_at=now))
                session.flush()
                return None
            if row.request_sha256 != fingerprint:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request"
                )
            if row.status_code is not None:
                return RecordedAnswer(row.status_code, json.loads(row.response_body or "null"))
            if row.created_at > now - self._stale_after:
                raise IdempotencyConflict(
                    "a request with this Idempotency-Key is still being processed",
                    code="idempotency_key_in_progress",
                )
            row.created_at = now  # left by a process that died: ours now
            return None

    def record(
        self, *, conversation_id: str, key: str, status_code: int, body: Any
    ) -> None:
        """Store the answer of a reserved key (JSON-serialisable ``body``)."""
        with transaction(self._sessions) as session:
            row = session.execute(
                select(IdempotencyKey).where(IdempotencyKey.conversation_id == conversation_id,
                                             IdempotencyKey.key == key)
            ).scalar_one_or_none()
            if row is not None:
                row.status_code = status_code
                row.response_body = json.dumps(body)

    def release(self, *, conversation_id: str, key: str) -> None:
        """Forget an unanswered reservation (its request failed): a retry acts anew."""
        with transaction(self._sessions) as session:
            session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.conversation_id == conversation_id,
                IdempotencyKey.key == key,
                IdempotencyKey.status_code.is_(None),
            ))
