"""The published request schemas say exactly what the server accepts (issue 15, ST202).

Schemathesis' "positive data acceptance" sends requests valid by the OpenAPI schema and
expects no 4xx for their form. The text rules live in the workflow (with stable error codes),
so the schema documents them as patterns; here each published pattern is held against the
rule it documents, on strings rich in what those rules are about (white space of every kind,
C0/C1 controls, ``@``, ``-``, letters of other scripts). Each pattern is also read by the
three engines that use it — ECMA-262 (``jsonschema_rs``, how schemathesis judges), Rust
``regex`` (pydantic) and Python ``re`` (how schemathesis generates) — which must agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter, ValidationError

from bot.accounts.errors import InvalidEmail
from bot.accounts.service import Role, normalise_email
from bot.conversations.context import clean_optional_note, validate_message_text
from bot.conversations.errors import InvalidMessage
from bot.web.api_schemas import ArticleCreate, RollbackBody

# What the rules are about, plus ordinary text; never lone surrogates (no encoding holds
# them, and the edge refuses them before any model runs).
_SPACES = (
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CONTROLS = "".join(map(chr, range(0x00, 0x20))) + "".join(map(chr, range(0x7F, 0xA0)))
_OTHER = "aZ09.@-_#é中Ωß\u0130\ufeff\u200b😀"
TEXT = st.text(alphabet=st.sampled_from(_SPACES + _CONTROLS + _OTHER), max_size=12)
EXAMPLES = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _schemas(app: FastAPI) -> dict[str, Any]:
    schemas: dict[str, Any] = app.openapi()["components"]["schemas"]
    return schemas


def _string_schema(app: FastAPI, model: str, field: str) -> dict[str, Any]:
    """The published schema of a string field (its non-null branch when optional)."""
    schema: dict[str, Any] = _schemas(app)[model]["properties"][field]
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            return dict(branch)
    return schema


def _engines_agree(schema: dict[str, Any]) -> Callable[[str], bool]:
    """Whether a string is valid by ``schema``: ECMA-262, Rust and Python regexes agree."""
    ecma = jsonschema_rs.validator_for(schema)
    pattern = schema["pattern"]
    rust = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    python = re.compile(pattern)

    def valid(value: str) -> bool:
        by_ecma = ecma.is_valid(value)
        try:
            rust.validate_python(value)
            by_rust = True
        except ValidationError:
            by_rust = False
        assert by_ecma == by_rust == (python.fullmatch(value) is not None), (pattern, value)
        return by_ecma

    return valid


def _accepted(rule: Callable[[str], object], *errors: type[Exception]) -> Callable[[str], bool]:
    def accepted(value: str) -> bool:
        try:
            rule(value)
        except errors:
            return False
        return True

    return accepted


def _same_verdicts(schema_says: Callable[[str], bool], server_says: Callable[[str], bool]) -> None:
    @given(value=TEXT)
    @EXAMPLES
    def check(value: str) -> None:
        assert schema_says(value) == server_says(value), repr(value)

    check()


BIG = 1_000_000  # lengths are documented by maxLength; here only the characters matter


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("MessageCreate", "text"),
        ("ReplyBody", "text"),
        ("ApproveBody", "text"),
        ("RejectBody", "reason"),
    ],
)
def test_message_texts_are_documented_as_the_workflow_checks_them(
    app: FastAPI, model: str, field: str
) -> None:
    schema = _string_schema(app, model, field)
    schema.pop("maxLength", None)
    rule = _accepted(lambda v: validate_message_text(v, max_chars=BIG), InvalidMessage)
    if field == "reason":
        rule = _accepted(_reject_reason, InvalidMessage)
    _same_verdicts(_engines_agree(schema), rule)


def _reject_reason(value: str) -> None:
    """What ``reject_draft`` accepts: a note that is not blank."""
    if clean_optional_note(value, max_chars=BIG) is None:
        raise InvalidMessage("say why the draft is rejected", code="reason_required")


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("NoteBody", "note"),
        ("ApproveBody", "override_reason"),
    ],
)
def test_notes_are_documented_as_the_workflow_checks_them(
    app: FastAPI, model: str, field: str
) -> None:
    schema = _string_schema(app, model, field)
    assert schema["maxLength"] == 2000
    schema.pop("maxLength")
    _same_verdicts(
        _engines_agree(schema),
        _accepted(lambda v: clean_optional_note(v, max_chars=BIG), InvalidMessage),
    )


def test_buyer_names_and_locales_are_documented_as_conversations_take_them(
    app: FastAPI, services: Any
) -> None:
    workflow = services.workflow
    name = _string_schema(app, "ConversationCreate", "buyer_name")
    _same_verdicts(
        _engines_agree(name),
        _accepted(lambda v: workflow.start_conversation(buyer_name=v), InvalidMessage),
    )
    locale = _string_schema(app, "ConversationCreate", "locale")
    locale_text = st.text(alphabet=st.sampled_from("enGB-_0é \n"), max_size=12)
    valid = _engines_agree(locale)
    accepted = _accepted(lambda v: workflow.start_conversation(locale=v), InvalidMessage)

    @given(value=locale_text | st.sampled_from(["en", "de-DE", "zh_Hant_TW", "en\n", "e"]))
    @EXAMPLES
    def check(value: str) -> None:
        # Python's ``$`` also matches before a final newline, so the workflow's own regex
        # lets "en\n" through; the schema does not promise that one.
        assert valid(value) == (accepted(value) and not value.endswith("\n")), repr(value)

    check()


def test_emails_and_roles_are_documented_as_accounts_take_them(app: FastAPI) -> None:
    email = _string_schema(app, "UserCreate", "email")
    assert email["maxLength"] == 254
    addresses = st.builds(lambda a, b, c: f"{a}@{b}.{c}", TEXT, TEXT, TEXT)

    @given(value=TEXT | addresses)
    @EXAMPLES
    def check(value: str) -> None:
        # NUL is refused at the edge (``bot.web.text_guard``) before any rule runs.
        accepted = "\x00" not in value and _accepted(normalise_email, InvalidEmail)(value)
        assert _engines_agree(email)(value) == accepted, repr(value)

    check()
    role = _schemas(app)["UserCreate"]["properties"]["role"]
    assert role["enum"] == [r.value for r in Role] and role["default"] == "agent"


@pytest.mark.parametrize(("field", "other"), [("title", "body"), ("body", "title")])
def test_article_text_is_documented_as_pydantic_strips_it(
    app: FastAPI, field: str, other: str
) -> None:
    schema = _string_schema(app, "ArticleCreate", field)
    for part in schema.pop("allOf", []):  # the body's, kept apart for schemathesis
        schema.update(part)
    assert schema["maxLength"] == {"title": 300, "body": 200_000}[field]
    schema.pop("maxLength")

    def article(value: str) -> ArticleCreate:
        return ArticleCreate.model_validate({field: value, other: "x"})

    _same_verdicts(_engines_agree(schema), _accepted(article, ValidationError))


def test_a_whole_number_is_an_integer_but_true_and_text_are_not() -> None:
    assert RollbackBody.model_validate_json('{"revision": 3.0}').revision == 3
    for refused in (
        '{"revision": true}',
        '{"revision": "3"}',
        '{"revision": 3.5}',
        '{"revision": 3, "other": 1}',
    ):
        with pytest.raises(ValidationError):
            RollbackBody.model_validate_json(refused)


def test_article_lengths_are_counted_as_sent_like_max_length_says() -> None:
    assert ArticleCreate.model_validate({"title": "x" * 300, "body": " b "}).body == "b"
    for padded in (
        {"title": " " + "x" * 300, "body": "b"},
        {"title": "t", "body": "b" * 200_000 + "\n"},
    ):
        with pytest.raises(ValidationError, match="at most"):
            ArticleCreate.model_validate(padded)
