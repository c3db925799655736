"""Buyer PII masked outside the conversation: the documented pattern set, and log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.checks.redaction import install_log_redaction, redact_pii


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to maria.lopez@example.com please", "write to [EMAIL] please"),
        ("call me on +1 (555) 123-4567 today", "call me on [PHONE] today"),
        ("my mobile: 07700 900123", "my mobile: [PHONE]"),
        ("send it to 42 Elm Street instead", "send it to [ADDRESS] instead"),
        ("Ich wohne Hauptstraße 5, 10115 Berlin", "Ich wohne [ADDRESS], [ADDRESS]"),
        ("London SW1A 1AA", "London [ADDRESS]"),
        ("order 112-3456789-1234567 is late", "order [ORDER] is late"),
        ("card 4111 1111 1111 1111 was charged twice", "card [CARD] was charged twice"),
        ("my visa ending in 4242 was charged", "my [CARD] was charged"),
        ("refund to DE89 3704 0044 0532 0130 00", "refund to [IBAN]"),
        ("Hello, my name is Maria Lopez.", "Hello, my name is [NAME]."),
        ("Where is it?\nThanks,\nTom Baker", "Where is it?\nThanks,\n[NAME]"),
        ("Hi Maria, I'm sorry it broke", "Hi [NAME], I'm sorry it broke"),
    ],
)
def test_each_kind_of_pii_is_masked(text: str, masked: str) -> None:
    assert redact_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "I am very unhappy: the kettle arrived broken.",
        "Hi there, where is my parcel? It shipped 2026-11-02.",
        "The lid costs $12.99 and I ordered 3 of them.",
        "tracking 1Z999AA10123456784 says delivered",  # not a Luhn card, not a phone
        "This is not what I ordered.",
    ],
)
def test_text_without_pii_is_unchanged(text: str) -> None:
    assert redact_pii(text) == text


def test_a_known_buyer_name_is_masked_wherever_it_appears() -> None:
    assert redact_pii("Sorry Maria Lopez, the Lopez order", known_names=["Maria Lopez"]) == (
        "Sorry [NAME], the [NAME] order"
    )


def test_order_ids_can_be_kept_for_synthetic_evaluation_files() -> None:
    text = "order 112-3456789-1234567, mail maria@example.com"
    assert redact_pii(text, order_ids=False) == "order 112-3456789-1234567, mail [EMAIL]"
    # 112-3344556-6677889 passes the Luhn check: still an order id, never "[CARD]".
    for order_id in ("112-3344556-6677889", "112 3344556 6677889"):
        assert redact_pii(f"pedido {order_id} para", order_ids=False) == f"pedido {order_id} para"
    assert redact_pii("pedido 112-3344556-6677889 para") == "pedido [ORDER] para"
    # A conversation id (hex) with a Luhn-valid run of digits inside is not a card either.
    conversation = "/api/v1/conversations/7ff4111111111111111a2f36734279253f5/messages"
    assert redact_pii(conversation) == conversation


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected() -> Iterator[_Collect]:
    factory = logging.getLogRecordFactory()
    handler = _Collect()
    logger = logging.getLogger("tests.privacy")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(factory)


def test_log_lines_mask_pii_in_the_message_its_arguments_and_tracebacks(
    collected: _Collect,
) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent: one layer of masking
    log = logging.getLogger("tests.privacy")

    log.info("mail from %s about %s", "maria@example.com", "112-3456789-1234567")
    try:
        raise ValueError("no such address: 42 Elm Street")
    except ValueError:
        log.exception("failed for %s", "+1 (555) 123-4567")

    text = "\n".join(collected.lines)
    assert "mail from [EMAIL] about [ORDER]" in text
    assert "failed for [PHONE]" in text and "no such address: [ADDRESS]" in text
    for secret in ("maria@example.com", "112-3456789-1234567", "555", "Elm Street"):
        assert secret not in text


def test_eval_outcome_files_mask_names_and_contacts_but_keep_order_ids(tmp_path: Path) -> None:
    from evals.cli import _write_outcomes

    target = tmp_path / "outcomes.jsonl"
    _write_outcomes(
        target,
        [
            {
                "query_text": "I'm Tom Baker, mail tom@example.com, order 112-3456789-1234567",
                "text": "Hi Tom, your order ships today.",
                "order": {"order_id": "112-3456789-1234567"},
                "confidence": 0.8,
            }
        ],
    )
    row = json.loads(target.read_text(encoding="utf-8"))
    assert row == {
        "query_text": "I'm [NAME], mail [EMAIL], order 112-3456789-1234567",
        "text": "Hi [NAME], your order ships today.",
        "order": {"order_id": "112-3456789-1234567"},
        "confidence": 0.8,
    }
