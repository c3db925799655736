"""Request and response bodies of REST API v1 (by direction; the workflow validates text)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.conversations.schemas import DraftSummary, MessagePublic
from bot.web.validation import SafeText


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(_Body):
    buyer_name: SafeText | None = Field(default=None, max_length=120)
    locale: SafeText | None = Field(default=None, max_length=20)


class MessageCreate(_Body):
    text: SafeText


class OrderVerification(_Body):
    """The widget buyer's proof that an order is theirs."""

    order_id: SafeText = Field(min_length=1, max_length=40,
                               examples=["112-3456789-1234567"])
    last_name: SafeText = Field(min_length=1, max_length=100,
                                description="The last name on the order")


class OrderBindBody(_Body):
    order_id: SafeText = Field(min_length=1, max_length=40)


class BoundOrderList(BaseModel):
    order_ids: list[str]


class MessageList(BaseModel):
    messages: list[MessagePublic]


class DraftList(BaseModel):
    drafts: list[DraftSummary]


class ApproveBody(_Body):
    text: SafeText | None = None
    override_reason: SafeText | None = None


class RejectBody(_Body):
    reason: SafeText


class NoteBody(_Body):
    note: SafeText | None = None


class ReplyBody(_Body):
    text: SafeText


class UserCreate(_Body):
    email: SafeText
    role: SafeText = "agent"


class UserCreated(BaseModel):
    email: str
    role: str
    token: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"code", "message"}}`` (codes are stable)."""

    error: ErrorDetail


_ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No valid API token (or console session)",
    403: "The role is not enough, or the console's CSRF token is missing",
    404: "No such resource (for buyers: or not your conversation)",
    409: "A conflict: already decided, superseded, stale, or an Idempotency-Key reused",
    413: "The request body is too large",
    415: "The body is not JSON",
    422: "A field is invalid (range, length, NUL or lone surrogates, ...)",
    429: "Too many requests; see Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error answers a route gives (the one error shape)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[status]}
        if status == 429:
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait",
                                                "schema": {"type": "string"}}}
        documented[status] = entry
    return documented


# What every route with parameters or a body may answer, whoever calls it.
INPUT_ERRORS = (400, 413, 415, 422)
