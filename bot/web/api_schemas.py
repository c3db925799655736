"""Request and response bodies of REST API v1 (by direction; the workflow validates text).

The request schemas say what the server accepts: a request valid by the OpenAPI schema is
refused only for state (an unknown id, a conflict, a wrong name on an order), never for its
form. The text rules live in the workflow, which refuses with stable codes
(``message_empty``, ``reason_required``, ``invalid_locale``, ``invalid_email``, ...): those
fields are checked here for type and NUL only, and *documented* with the workflow's rule as
a pattern (``WithJsonSchema``): no control characters but tab and line breaks, not blank
after ``str.strip()`` (``bot.conversations.context``), the locale of
``bot.conversations.inbox``, the e-mail address of ``bot.accounts.service``.
``tests/web/test_request_schemas.py`` checks every pattern against the rule it documents.

Each pattern is both an ECMA-262 (JSON schema) and a Rust ``regex`` (pydantic) pattern, so it
uses only what both read alike: classes with ``\\xHH`` and ``\\uHHHH`` escapes, ``(?:...)``,
counted repeats; no ``\\s``, ``\\d`` or ``\\w`` (their meanings differ), no lookaround.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema

from bot.conversations.schemas import DraftSummary, MessagePublic
from bot.web.validation import MAX_ROW_ID, SafeText
from knowledge_base.schemas import MAX_BODY_CHARS, MAX_QUESTIONS
from knowledge_base.schemas import ArticleCreate as ArticleCreateContent
from knowledge_base.schemas import ArticleUpdate as ArticleUpdateContent

# The control characters the workflow refuses in messages, replies, notes and names: C0 but
# tab, line feed and carriage return (CRLF is normalised to LF), DEL and C1.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# What Python's ``str.strip()`` removes (``str.isspace``) that is not a control character.
_SPACE = r"\t\n\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# All of ``str.isspace`` (which is also what ``\s`` matches in Python's ``re``).
_PY_SPACE = _SPACE + r"\x0b\x0c\x1c-\x1f\x85"
# What pydantic's ``str_strip_whitespace`` removes (Unicode White_Space: not \x1c-\x1f).
_RUST_SPACE = _SPACE + r"\x0b\x0c\x85"

# ``validate_message_text``: no control character, something left after ``strip()``.
TEXT = rf"^[{_SPACE}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
# ``clean_optional_note``: blank (then ignored), or without control characters.
NOTE = rf"^(?:[{_PY_SPACE}]*|[^{_CONTROL}]*)$"
# ``start_conversation``: the name is stripped, then it may not hold control characters.
NAME = (
    rf"^[{_PY_SPACE}]*(?:[^{_CONTROL}{_PY_SPACE}](?:[^{_CONTROL}]*"
    rf"[^{_CONTROL}{_PY_SPACE}])?)?[{_PY_SPACE}]*$"
)
# ``bot.conversations.inbox._LOCALE``: "en", "en-GB", "zh_Hant_TW".
LOCALE = r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2}$"
# ``bot.accounts.service.normalise_email``, with the white space ``strip()`` removes around it
# (and no NUL, which the edge refuses in any text).
_ADDRESS = rf"[^@\x00{_PY_SPACE}]"
EMAIL = rf"^[{_PY_SPACE}]*{_ADDRESS}{{1,64}}@{_ADDRESS}+\.{_ADDRESS}{{2,}}[{_PY_SPACE}]*$"
# Article text: pydantic strips white space, then at least one character; never NUL.
ARTICLE_TEXT = rf"^[{_RUST_SPACE}]*[^\x00{_RUST_SPACE}][^\x00]*$"
NO_NUL = r"^[^\x00]*$"
MAX_NOTE_CHARS = 2000  # clean_optional_note's limit
ROLES = ["agent", "lead", "admin"]  # bot.accounts.service.Role, read by parse_role


def _documented(pattern: str, **keywords: Any) -> WithJsonSchema:
    """The JSON schema of a string the workflow checks against ``pattern`` itself."""
    return WithJsonSchema({"type": "string", "pattern": pattern, **keywords})


_TEXT_RULE = "Not blank; no control characters but tab and line breaks"
MessageText = Annotated[SafeText, _documented(TEXT, minLength=1, description=_TEXT_RULE)]
NoteText = Annotated[
    SafeText,
    _documented(
        NOTE,
        maxLength=MAX_NOTE_CHARS,
        description="No control characters but tab and line breaks (blank is no note)",
    ),
]
Label = Annotated[str, Field(strict=True, pattern=NO_NUL)]


def _whole_number(value: object) -> object:
    """JSON ``3.0`` is the integer 3 (as JSON Schema says); ``true`` and ``"3"`` stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_number)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(_Body):
    buyer_name: (
        Annotated[
            SafeText,
            Field(max_length=120),
            _documented(
                NAME,
                maxLength=120,
                description="No control characters; blank is no name",
            ),
        ]
        | None
    ) = None
    locale: (
        Annotated[
            SafeText,
            Field(max_length=20),
            _documented(
                LOCALE,
                maxLength=20,
                examples=["en", "de-DE"],
            ),
        ]
        | None
    ) = None


class MessageCreate(_Body):
    text: MessageText


class OrderVerification(_Body):
    """The widget buyer's proof that an order is theirs."""

    order_id: SafeText = Field(min_length=1, max_length=40, examples=["112-3456789-1234567"])
    last_name: SafeText = Field(
        min_length=1, max_length=100, description="The last name on the order"
    )


class OrderBindBody(_Body):
    order_id: SafeText = Field(min_length=1, max_length=40)


class BoundOrderList(BaseModel):
    order_ids: list[str]


class MessageList(BaseModel):
    messages: list[MessagePublic]


class DraftList(BaseModel):
    drafts: list[DraftSummary]
    next_cursor: int | None = Field(
        default=None, description="Pass as ?cursor= for the next page; null on the last page"
    )


class ApproveBody(_Body):
    text: MessageText | None = Field(default=None, description="Your edit of the draft")
    override_reason: NoteText | None = Field(
        default=None,
        description="Why the reply may go although a blocking check failed (leads only; at "
        "least a sentence: 3 words, 15 characters). Ignored when no check failed.",
    )


class RejectBody(_Body):
    reason: Annotated[
        SafeText,
        _documented(
            TEXT,
            minLength=1,
            maxLength=MAX_NOTE_CHARS,
            description=_TEXT_RULE,
        ),
    ]


class NoteBody(_Body):
    note: NoteText | None = None


class ReplyBody(_Body):
    text: MessageText


class UserCreate(_Body):
    email: Annotated[SafeText, _documented(EMAIL, maxLength=254, examples=["agent@example.com"])]
    role: Annotated[
        SafeText,
        WithJsonSchema(
            {
                "type": "string",
                "enum": ROLES,
                "description": "Case and surrounding white space are ignored",
            }
        ),
    ] = "agent"


class UserCreated(BaseModel):
    email: str
    role: str
    token: str


class RollbackBody(_Body):
    """The revision whose content becomes the new newest revision."""

    revision: WholeNumber = Field(ge=1, le=MAX_ROW_ID)


def _pattern_apart(schema: dict[str, Any]) -> None:
    """The same constraints, with the pattern in an ``allOf`` of its own.

    Schemathesis 4.32's coverage phase builds no valid object when a pattern sits next to a
    ``maxLength`` above ~130,000 characters, and then sends a non-object body as "valid" to
    test the path parameters (a false ST202 on ``PUT /api/v1/articles/{id}``).
    """
    schema["allOf"] = [{"pattern": schema.pop("pattern")}]


def _at_most(limit: int) -> BeforeValidator:
    """At most ``limit`` characters as sent, white space included (what ``maxLength`` says;
    ``max_length`` alone counts after ``str_strip_whitespace``)."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"at most {limit} characters")
        return value

    return BeforeValidator(check)


class _ArticleText(BaseModel):
    """What the API adds to the KB's article schemas, so that they say what is accepted: no
    NUL (PostgreSQL text cannot hold it; the edge refuses it), lengths and at most
    ``MAX_QUESTIONS`` example questions as sent, a source revision its column can hold."""

    title: Annotated[str, _at_most(300)] = Field(min_length=1, max_length=300, pattern=ARTICLE_TEXT)
    body: Annotated[str, _at_most(MAX_BODY_CHARS)] = Field(
        min_length=1,
        max_length=MAX_BODY_CHARS,
        pattern=ARTICLE_TEXT,
        json_schema_extra=_pattern_apart,
    )
    intents: list[Label] = Field(default_factory=list, max_length=20)
    questions: list[Label] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    tags: list[Label] = Field(default_factory=list, max_length=30)
    source_revision: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class ArticleCreate(_ArticleText, ArticleCreateContent):
    """A new article; ``id`` is derived from the title when not given."""


class ArticleUpdate(_ArticleText, ArticleUpdateContent):
    """An edit, based on the revision the editor saw (stale → revision_conflict)."""


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
            entry["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
            }
        documented[status] = entry
    return documented


# What every route with parameters or a body may answer, whoever calls it.
INPUT_ERRORS = (400, 413, 415, 422)
