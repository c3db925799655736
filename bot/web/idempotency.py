"""``Idempotency-Key`` on the buyer API: a retried request gets the first answer again.

The widget sends one key per message (and per "talk to a person") and reuses it when it
retries after a network error, so a message is stored and acknowledged once. The same key
with a different body is a 409. Keys live in the database (see
:mod:`bot.conversations.idempotency`), so a retry that reaches another process is caught too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.conversations.idempotency import IdempotencyKeys, request_fingerprint
from bot.web.deps import ServicesDep
from knowledge_base.error_base import DraftdeskError

REPLAYED_HEADER = "Idempotent-Replayed"
Answer = TypeVar("Answer", bound=BaseModel)


def get_idempotency_keys(services: ServicesDep) -> IdempotencyKeys:
    return IdempotencyKeys(services.session_factory, clock=services.workflow.ctx.clock)


IdempotencyKeysDep = Annotated[IdempotencyKeys, Depends(get_idempotency_keys)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[!-~]+$",
           description="Any printable ASCII string; a retry with the same key and body "
                       "gets the first answer again (24 hours)."),
]


def answer_once(
    keys: IdempotencyKeys, *, key: str | None, conversation_id: str, endpoint: str,
    request: Any, status_code: int, act: Callable[[], Answer],
) -> Answer | JSONResponse:
    """``act()`` once per key; a repeat with the same ``request`` gets the first answer.

    Answers our errors give (4xx) are recorded like successes; anything unexpected releases
    the key so the buyer's retry can act.
    """
    if key is None:
        return act()
    fingerprint = request_fingerprint(endpoint, request)
    recorded = keys.reserve(conversation_id=conversation_id, key=key, fingerprint=fingerprint)
    if recorded is not None:
        return JSONResponse(recorded.body, status_code=recorded.status_code,
                            headers={REPLAYED_HEADER: "true"})
    try:
        answer = act()
    except DraftdeskError as exc:
        if exc.status >= 500:
            keys.release(conversation_id=conversation_id, key=key)
        else:
            keys.record(conversation_id=conversation_id, key=key, status_code=exc.status,
                        body={"error": {"code": exc.code, "message": exc.message}})
        raise
    except BaseException:
        keys.release(conversation_id=conversation_id, key=key)
        raise
    keys.record(conversation_id=conversation_id, key=key, status_code=status_code,
                body=jsonable_encoder(answer))
    return answer
