"""``draftdesk privacy rotate-key``: every encrypted value moves to a new key, the old key no
longer opens anything, and the application reads everything as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.mail.models import MailThread
from bot.mail.repository import find_thread
from bot.protection.crypto import DataKeyMismatch, DataKeyring, generate_key, read_key_file
from bot.services import Services, build_services
from bot.settings import Settings
from knowledge_base.db import transaction
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex

RELAY = "x7k2q9@marketplace.amazon.com"


def _services(settings: Settings) -> Services:
    return build_services(settings, embedder=FakeEmbedder(), index=InMemoryIndex(),
                          drafter=FakeDrafter())


def _write(services: Services) -> str:
    conversation = services.workflow.start_conversation(buyer_name="Maria Lopez")
    services.workflow.receive_buyer_message(conversation_id=conversation.id,
                                            text="my casserole arrived cracked")
    with transaction(services.session_factory) as session:
        session.add(MailThread(conversation_id=conversation.id, relay_address=RELAY,
                               order_key="", subject="Question"))
    return conversation.id


def _stored_message(services: Services) -> str:
    with services.engine.connect() as connection:
        return str(connection.execute(text("SELECT text FROM messages LIMIT 1")).scalar_one())


def _reads_back(services: Services, conversation_id: str) -> None:
    thread = services.workflow.conversation_thread(conversation_id=conversation_id)
    assert "my casserole arrived cracked" in [m.text for m in thread]
    with services.session_factory() as session:
        found = find_thread(session, relay_address=RELAY, order_key="")
        assert found is not None and found.conversation_id == conversation_id


def test_rotating_a_key_file_re_encrypts_everything_under_a_new_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(environment="test", data_dir=data, worker_in_process=False)
    services = _services(settings)
    conversation_id = _write(services)
    old = read_key_file(data / "data.key")
    token_before = _stored_message(services)
    services.close()

    result = CliRunner().invoke(app, ["privacy", "rotate-key"], env={
        "DRAFTDESK_DATA_DIR": str(data), "DRAFTDESK_ENVIRONMENT": "test",
    })
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("re-encrypted ")

    new = read_key_file(data / "data.key")
    assert len(new.keys) == 1 and new.keys != old.keys
    services = _services(settings)
    try:
        token_after = _stored_message(services)
        assert token_after != token_before
        assert new.decrypt(token_after) == "my casserole arrived cracked"
        with pytest.raises(DataKeyMismatch):
            old.decrypt(token_after)
        _reads_back(services, conversation_id)
    finally:
        services.close()


def test_an_environment_key_needs_the_new_key_first_and_the_old_after_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    old_key, new_key = generate_key(), generate_key()
    env = {"DRAFTDESK_DATA_DIR": str(data), "DRAFTDESK_ENVIRONMENT": "test",
           "DRAFTDESK_DATA_KEY": old_key}
    settings = Settings(environment="test", data_dir=data, worker_in_process=False,
                        data_key=old_key)  # type: ignore[arg-type]
    services = _services(settings)
    conversation_id = _write(services)
    services.close()

    refused = CliRunner().invoke(app, ["privacy", "rotate-key"], env=env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: DRAFTDESK_DATA_KEY holds one key")

    rotated = CliRunner().invoke(app, ["privacy", "rotate-key"],
                                 env={**env, "DRAFTDESK_DATA_KEY": f"{new_key},{old_key}"})
    assert rotated.exit_code == 0, rotated.output
    assert "now set DRAFTDESK_DATA_KEY to the new key alone" in rotated.stdout
    services = _services(settings.model_copy(update={"data_key": SecretStr(new_key)}))
    try:
        assert DataKeyring.of(new_key).decrypt(_stored_message(services)).startswith("my cass")
        _reads_back(services, conversation_id)
    finally:
        services.close()
