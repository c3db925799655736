"""Request and response bodies of REST API v1 (by direction; the workflow validates text)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bot.conversations.schemas import DraftSummary, MessagePublic


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(_Body):
    buyer_name: StrictStr | None = Field(default=None, max_length=120)
    locale: StrictStr | None = Field(default=None, max_length=20)


class MessageCreate(_Body):
    text: StrictStr


class MessageList(BaseModel):
    messages: list[MessagePublic]


class DraftList(BaseModel):
    drafts: list[DraftSummary]


class ApproveBody(_Body):
    text: StrictStr | None = None
    override_reason: StrictStr | None = None


class RejectBody(_Body):
    reason: StrictStr


class NoteBody(_Body):
    note: StrictStr | None = None


class ReplyBody(_Body):
    text: StrictStr


class UserCreate(_Body):
    email: StrictStr
    role: StrictStr = "agent"


class UserCreated(BaseModel):
    email: str
    role: str
    token: str
