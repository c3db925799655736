"""Acceptance (issue 16): the raw database does not hold buyer text in clear, while the
workflow reads it back as before — SQLite (grepping the file's bytes) and PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.protection.crypto import DataKeyMissing, read_key_file
from bot.services import Services, build_services, open_database
from bot.settings import Settings
from bot.worker import DraftingWorker
from knowledge_base.db import make_engine
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex
from tests.integration.test_encryption_migration import _insert_clear_rows, _migrate
from tests.workflow_support import fresh_postgres_schema

BUYER_TEXT = "my turquoise casserole arrived cracked in two"
BUYER_NAME = "Quirinus Abernathy"
AGENT_EDIT = "Dear Quirinus, we are sending a new turquoise casserole today."


def _services(settings: Settings, *, migrate: bool = True) -> Services:
    return build_services(settings, embedder=FakeEmbedder(), index=InMemoryIndex(),
                          drafter=FakeDrafter(), migrate=migrate)


def _converse_and_approve(services: Services) -> tuple[str, int]:
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name=BUYER_NAME)
    workflow.receive_buyer_message(conversation_id=conversation.id, text=BUYER_TEXT)
    DraftingWorker(workflow=workflow).run_until_idle()
    (draft,) = workflow.list_drafts()
    workflow.approve(draft_id=draft.id, actor="agent@example.com", text=AGENT_EDIT)
    return conversation.id, draft.id


def _everything_reads_back(services: Services, conversation_id: str, draft_id: int) -> None:
    thread = services.workflow.conversation_thread(conversation_id=conversation_id)
    assert BUYER_TEXT in [message.text for message in thread]
    assert AGENT_EDIT in [message.text for message in thread]
    assert services.workflow.get_draft(draft_id=draft_id).final_text == AGENT_EDIT


def test_the_sqlite_file_holds_no_buyer_text_in_clear(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(environment="test", data_dir=data, worker_in_process=False)
    services = _services(settings)
    conversation_id, draft_id = _converse_and_approve(services)
    _everything_reads_back(services, conversation_id, draft_id)
    services.close()  # the last connection checkpoints the WAL into the file

    key_file = data / "data.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = b"".join(path.read_bytes() for path in data.glob("draftdesk.sqlite3*"))
    assert b"Abernathy" not in stored and b"turquoise" not in stored
    assert b"casserole" not in stored

    # A restart reads the same key file and every value as before.
    again = _services(settings)
    _everything_reads_back(again, conversation_id, draft_id)
    again.close()


def test_a_lost_key_file_is_refused_instead_of_starting_over(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(environment="test", data_dir=data, worker_in_process=False)
    services = _services(settings)
    _converse_and_approve(services)
    services.close()
    (data / "data.key").rename(tmp_path / "elsewhere.key")
    with pytest.raises(DataKeyMissing, match=r"data\.key is missing"):
        open_database(settings)
    assert not (data / "data.key").exists()


@pytest.mark.postgres
def test_postgresql_stores_tokens_and_the_workflow_reads_clear_text(
    test_database_url: str | None, tmp_path: Path,
) -> None:
    if test_database_url is None:
        pytest.skip("DRAFTDESK_TEST_DATABASE_URL is not set")
    with fresh_postgres_schema(test_database_url) as url:
        settings = Settings(environment="test", data_dir=tmp_path / "data", database_url=url,
                            worker_in_process=False)
        services = _services(settings, migrate=False)
        _check_postgres(services)


def _check_postgres(services: Services) -> None:
    try:
        conversation_id, draft_id = _converse_and_approve(services)
        with services.engine.connect() as connection:
            stored = connection.execute(text(
                "SELECT string_agg(m.text, ' ') || string_agg(c.buyer_name, ' ') "
                "FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            )).scalar_one()
            final = connection.execute(text("SELECT final_text FROM drafts")).scalar_one()
        assert "turquoise" not in stored and "Abernathy" not in stored
        assert "turquoise" not in final
        _everything_reads_back(services, conversation_id, draft_id)
    finally:
        services.close()


def test_an_installation_from_before_encryption_gets_a_key_and_its_rows_encrypted(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old = make_engine(f"sqlite:///{data / 'draftdesk.sqlite3'}")
    _migrate(old, "0015")
    _insert_clear_rows(old)
    old.dispose()

    database = open_database(Settings(environment="test", data_dir=data))
    try:
        keyring = read_key_file(data / "data.key")
        with database.engine.connect() as connection:
            stored = connection.execute(text("SELECT text FROM messages")).scalar_one()
        assert keyring.decrypt(stored) == "My casserole arrived cracked, Maria"
    finally:
        database.dispose()
