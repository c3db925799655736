"""Migration 0016 turns the clear buyer data of an existing database into ciphertext (SQLite
and PostgreSQL), leaves a schema equal to the models, and its downgrade decrypts again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Draft, Message
from bot.database import alembic_config
from bot.db_schema import target_metadata
from bot.mail.models import MailThread
from bot.mail.repository import find_thread
from bot.orders.models import Order
from bot.protection.crypto import DataKeyring, bind_data_keys, generate_key
from knowledge_base.db import make_engine
from tests.workflow_support import postgres_schema_url

ENCRYPTED = import_module("bot.migrations.versions.0016_encrypt_buyer_data").ENCRYPTED

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
RELAY = "q8z1k2v9x7@marketplace.amazon.de"


@pytest.fixture
def database_at_0015(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated to 0015 (the revision before encryption)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    base = os.environ["DRAFTDESK_TEST_DATABASE_URL"]
    schema = f"dd_enc_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _insert_clear_rows(engine: Engine) -> None:
    common = {"now": NOW}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO conversations (id, channel, buyer_name, token_hash, state, needs_person,"
            " created_at, updated_at, needs_draft, inbox_version, draft_attempts) VALUES"
            " ('c1', 'mail', 'Maria Keller', 'h1', 'open', false, :now, :now, false, 1, 0)"
        ), common)
        connection.execute(text(
            "INSERT INTO messages (id, conversation_id, role, text, status, created_at) VALUES"
            " (1, 'c1', 'buyer', 'My casserole arrived cracked, Maria', 'drafted', :now)"
        ), common)
        connection.execute(text(
            "INSERT INTO drafts (id, conversation_id, message_id, message_ids, status, text,"
            " handoff, confidence, language, sentiment, intents, citations, checks, verdicts,"
            " kb_revisions, composer, created_at, due_at, evidence) VALUES (1, 'c1', 1, '[1]',"
            " 'pending_review', 'Dear Maria, sorry', false, 0.9, 'en', 'neutral', '[]', '[]',"
            " '[]', '[]', '{}', 'offline', :now, :now, :evidence)"
        ), {**common, "evidence": '{"buyer_name": "Maria Keller"}'})
        connection.execute(text(
            "INSERT INTO mail_threads (id, conversation_id, relay_address, order_key, subject,"
            " created_at) VALUES (1, 'c1', :relay, '028-1234567-1234567',"
            " 'Question from Maria', :now)"
        ), {**common, "relay": RELAY})
        connection.execute(text(
            "INSERT INTO orders (order_id, purchase_date, status, buyer_name, source,"
            " content_hash, created_at, updated_at) VALUES ('028-1234567-1234567',"
            " :day, 'Shipped', 'Maria Keller', 'file', 'x', :now, :now)"
        ), {**common, "day": NOW.date()})


def _stored(engine: Engine, sql: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(sql)).scalar_one())


def test_existing_clear_rows_are_encrypted_and_read_back_then_decrypted_by_downgrade(
    database_at_0015: str,
) -> None:
    engine = make_engine(database_at_0015)
    keyring = DataKeyring.of(generate_key())
    bind_data_keys(engine, keyring)
    try:
        _migrate(engine, "0015")
        _insert_clear_rows(engine)
        _migrate(engine, "0016")

        stored = _stored(engine, "SELECT text FROM messages WHERE id = 1")
        assert "casserole" not in stored
        assert keyring.decrypt(stored) == "My casserole arrived cracked, Maria"
        for sql in ("SELECT buyer_name FROM conversations", "SELECT evidence FROM drafts",
                    "SELECT relay_address FROM mail_threads", "SELECT buyer_name FROM orders"):
            assert "Maria" not in _stored(engine, sql) and "amazon" not in _stored(engine, sql)

        with Session(engine) as session:
            assert session.get(Conversation, "c1").buyer_name == "Maria Keller"  # type: ignore[union-attr]
            assert session.get(Message, 1).text.startswith("My casserole")  # type: ignore[union-attr]
            assert session.get(Draft, 1).evidence == {"buyer_name": "Maria Keller"}  # type: ignore[union-attr]
            assert session.get(Order, "028-1234567-1234567").buyer_name == "Maria Keller"  # type: ignore[union-attr]
            thread = find_thread(session, relay_address=RELAY, order_key="028-1234567-1234567")
            assert isinstance(thread, MailThread) and thread.subject == "Question from Maria"

        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            touched = {f"'{table}'" for table, *_ in ENCRYPTED}
            diffs = [d for d in compare_metadata(context, target_metadata)
                     if any(name in repr(d) for name in touched)]
            assert diffs == []

        _migrate(engine, "0015", down=True)
        assert _stored(engine, "SELECT text FROM messages") == "My casserole arrived cracked, Maria"
        assert _stored(engine, "SELECT relay_address FROM mail_threads") == RELAY
        assert "Maria Keller" in _stored(engine, "SELECT evidence FROM drafts")
    finally:
        engine.dispose()
