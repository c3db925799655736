"""The map of buyer personal data covers every text column of the schema (issue 16)."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.db_schema import target_metadata
from bot.privacy.data_map import NOT_PII, PII_COLUMNS, PII_PLACES, Retention


def _holds_text(column_type: TypeEngine[object]) -> bool:
    # Encrypted columns are TypeDecorators over Text: what they store is still text.
    if isinstance(column_type, TypeDecorator):
        return _holds_text(column_type.impl_instance)
    return isinstance(column_type, String | Text | JSON)


def _text_columns() -> set[tuple[str, str]]:
    """Every column that can hold free text: strings, texts and JSON documents."""
    return {
        (table.name, column.name)
        for table in target_metadata.sorted_tables
        for column in table.columns
        if _holds_text(column.type)
    }


def test_every_text_column_is_on_the_map_or_declared_free_of_pii() -> None:
    mapped = {(c.table, c.column) for c in PII_COLUMNS}
    undecided = sorted(_text_columns() - mapped - set(NOT_PII))
    assert undecided == [], (
        "new text columns need a retention rule in bot/privacy/data_map.py "
        f"(PII_COLUMNS) or a reason in NOT_PII: {undecided}"
    )


def test_the_map_names_only_columns_that_exist_and_none_twice() -> None:
    existing = _text_columns()
    mapped = [(c.table, c.column) for c in PII_COLUMNS]
    assert len(mapped) == len(set(mapped))
    assert sorted(set(mapped) - existing) == []
    assert sorted(set(NOT_PII) - existing) == []
    assert set(mapped) & set(NOT_PII) == set()


def test_known_buyer_columns_are_on_the_map_with_a_rule() -> None:
    mapped = {(c.table, c.column): c.retention for c in PII_COLUMNS}
    for place in [
        ("conversations", "buyer_name"),
        ("messages", "text"),
        ("drafts", "text"),
        ("drafts", "final_text"),
        ("drafts", "evidence"),
        ("orders", "buyer_name"),
        ("mail_threads", "relay_address"),
        ("learned_questions", "text"),
        ("kb_suggestions", "final_text"),
        ("slack_actions", "text"),
    ]:
        assert place in mapped, place
    assert mapped[("learned_questions", "text")] is Retention.INDEX_ENTRY_REMOVED


def test_places_outside_the_tables_are_mapped() -> None:
    rules = {place.retention for place in PII_PLACES}
    assert {
        Retention.FILE_DELETED,
        Retention.INDEX_ENTRY_REMOVED,
        Retention.CARD_REDACTED,
        Retention.MASKED_WHEN_WRITTEN,
    } <= rules
