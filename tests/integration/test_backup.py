"""Acceptance (issue 16): ``backup create`` while buyers write, then ``restore`` into an
empty data dir: drafts, decisions, KB revisions, mail files and the index answer as before,
an erased buyer stays erased, and the backup itself holds no buyer text in clear.

Fake drafter and embedder (no model): the index is rebuilt at restore from the KB in the
database, which is what the real model would do too, only slower.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.backup import create_backup_for, restore_backup_for
from bot.conversations.models import Draft, Message, ReviewEvent
from bot.privacy.backup import BackupError
from bot.privacy.erasure import erase_conversation
from bot.privacy.models import PrivacyErasure
from bot.protection.crypto import read_key_file
from bot.retrieval import CALIBRATION_KEY
from bot.services import Services, build_services
from bot.settings import Settings
from bot.worker import DraftingWorker
from ingest.pipeline import ingest_paths
from knowledge_base.db import transaction
from knowledge_base.models import ArticleRevision
from tests.conftest import DEMO_ENGLISH
from tests.fakes import FakeDrafter, FakeEmbedder
from tests.workflow_support import empty_postgres_tables, fresh_postgres_schema

ARTICLES = ["return-policy.md", "damaged-or-defective-items.md", "shipping-options.md"]
ERASED_TEXT = "please delete me, I am Ottilie Brandstetter"


def _settings(data: Path) -> Settings:
    return Settings(environment="test", data_dir=data, worker_in_process=False)


def _services(settings: Settings) -> Services:
    # The real embedded Chroma under the data dir, vectors from the fake embedder.
    return build_services(settings, embedder=FakeEmbedder(), drafter=FakeDrafter())


def _kb(services: Services, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name in ARTICLES:
        shutil.copy(DEMO_ENGLISH / name, kb / name)
    ingest_paths([kb], session_factory=services.session_factory, index=services.index,
                 embedder=services.embedder)
    # A second revision of one article (its own text edited) and a fitted bar.
    first = sorted(kb.iterdir())[0]
    first.write_text(first.read_text() + "\n\nUpdated: we also accept photos by message.\n")
    ingest_paths([kb], session_factory=services.session_factory, index=services.index,
                 embedder=services.embedder)
    services.index.write_metadata(CALIBRATION_KEY, '{"midpoint": 0.42}')


def _conversation(services: Services, name: str, text: str) -> int:
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name=name)
    workflow.receive_buyer_message(conversation_id=conversation.id, text=text)
    DraftingWorker(workflow=workflow).run_until_idle()
    (draft,) = [d for d in workflow.list_drafts() if d.conversation_id == conversation.id]
    return draft.id


def _decisions(services: Services) -> None:
    workflow = services.workflow
    approved = _conversation(services, "Maria Lopez", "my casserole arrived cracked")
    workflow.approve(draft_id=approved, actor="agent@example.com",
                     text="Dear Maria, a new casserole is on its way.")
    rejected = _conversation(services, "Jon Berg", "where is my parcel?")
    workflow.reject(draft_id=rejected, actor="agent@example.com", reason="wrong order")
    escalated = _conversation(services, "Aiko Sato", "I want to speak to a manager")
    workflow.escalate(draft_id=escalated, actor="agent@example.com", note="angry buyer")
    erased = _conversation(services, "Ottilie Brandstetter", ERASED_TEXT)
    with transaction(services.session_factory) as session:
        conversation_id = session.get(Draft, erased).conversation_id  # type: ignore[union-attr]
        erase_conversation(session, conversation_id=conversation_id,
                           mail_files_root=services.settings.data_dir / "mail")
        session.add(PrivacyErasure(reason="erase", subject_kind="conversation",
                                   subject_sha256="0" * 64, conversation_id=conversation_id,
                                   requested_by="admin@example.com", removed={}))


def _state(services: Services) -> dict[str, Any]:
    """Everything the test compares before and after (decrypted through the models)."""
    with services.session_factory() as session:
        return {
            "messages": [(m.id, m.conversation_id, m.role, m.text, m.status) for m in
                         session.scalars(select(Message).order_by(Message.id))],
            "drafts": [(d.id, d.status, d.text, d.final_text, d.decided_by, d.decision_note)
                       for d in session.scalars(select(Draft).order_by(Draft.id))],
            "events": [(e.id, e.action, e.actor, e.note) for e in
                       session.scalars(select(ReviewEvent).order_by(ReviewEvent.id))],
            "revisions": [(r.article_id, r.number, r.content_hash) for r in session.scalars(
                select(ArticleRevision).order_by(ArticleRevision.article_id,
                                                 ArticleRevision.number))],
        }


def _answers(services: Services) -> list[tuple[str, float]]:
    vector = services.embedder.embed(["my item arrived damaged, can I return it?"])[0]
    return [(hit.chunk.id, round(hit.similarity, 5))
            for hit in services.index.query(vector, k=5)]


class Writers:
    """Buyers writing while the backup runs, each message committed before the next."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.committed: list[str] = []
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        workflow = self.services.workflow
        try:
            conversation = workflow.start_conversation(buyer_name="Busy Buyer")
            number = 0
            while not self.stop.is_set():
                text = f"busy buyer message {number}"
                workflow.receive_buyer_message(conversation_id=conversation.id, text=text,
                                               acknowledge=False)
                self.committed.append(text)
                number += 1
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)


def test_a_backup_taken_while_buyers_write_restores_into_an_empty_data_dir(
    tmp_path: Path,
) -> None:
    source = _settings(tmp_path / "source")
    services = _services(source)
    _kb(services, tmp_path)
    _decisions(services)
    mail_file = source.data_dir / "mail" / "raw" / "0001.eml"
    mail_file.parent.mkdir(parents=True, exist_ok=True)
    mail_file.write_bytes(b"Subject: order question\r\n\r\nmail body")

    writers = Writers(services)
    writers.thread.start()
    while len(writers.committed) < 3 and not writers.errors:
        writers.stop.wait(0.01)
    written_before = list(writers.committed)
    report = create_backup_for(source, tmp_path / "backup")
    writers.stop.set()
    writers.thread.join()
    assert writers.errors == []
    before, answers_before = _state(services), _answers(services)
    services.close()

    backup_bytes = b"".join(p.read_bytes() for p in (tmp_path / "backup").iterdir())
    for clear in (b"casserole", b"Maria", b"busy buyer", b"mail body"):
        assert clear not in backup_bytes
    assert set(report.parts) == {"database.sqlite3.enc", "files.tar.enc", "index.json.enc",
                                 "settings.json.enc"}
    files = read_key_file(source.data_dir / "data.key").decrypt_bytes(
        (tmp_path / "backup" / "files.tar.enc").read_bytes())
    with tarfile.open(fileobj=io.BytesIO(files)) as archive:
        names = {Path(member.name).as_posix() for member in archive.getmembers()
                 if member.isfile()}
    assert names == {"mail/raw/0001.eml"}  # never the key, the database or the index

    target = _settings(tmp_path / "target")
    target.data_dir.mkdir()
    shutil.copy(source.data_dir / "data.key", target.data_dir / "data.key")  # the operator's
    restored, replayed = restore_backup_for(target, tmp_path / "backup",
                                            build_services=_services)
    assert restored.files == 1 and replayed == 0  # the erasure was already in the snapshot
    again = _services(target)
    try:
        after = _state(again)
        busy = [m[3] for m in after["messages"] if m[3].startswith("busy buyer")]
        # Every message committed before the backup began is there; later ones may be, in
        # the order written (a consistent snapshot, never a gap).
        assert busy[: len(written_before)] == written_before
        assert busy == writers.committed[: len(busy)]
        without_busy = [m for m in before["messages"] if not m[3].startswith("busy buyer")]
        assert [m for m in after["messages"] if not m[3].startswith("busy buyer")] == without_busy
        assert (after["drafts"], after["events"], after["revisions"]) == (
            before["drafts"], before["events"], before["revisions"])
        assert {d[1] for d in after["drafts"]} >= {"sent", "rejected", "escalated"}
        assert _answers(again) == answers_before
        assert again.index.read_metadata(CALIBRATION_KEY) == '{"midpoint": 0.42}'
        assert (target.data_dir / "mail" / "raw" / "0001.eml").read_bytes().endswith(
            b"mail body")
        assert not any(ERASED_TEXT in (m[3] or "") for m in after["messages"])
    finally:
        again.close()


def test_restore_refuses_a_wrong_key_and_a_data_dir_that_holds_data(tmp_path: Path) -> None:
    source = _settings(tmp_path / "source")
    services = _services(source)
    _conversation(services, "Maria Lopez", "my casserole arrived cracked")
    services.close()
    create_backup_for(source, tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        create_backup_for(source, tmp_path / "backup")

    stranger = _settings(tmp_path / "stranger")
    with pytest.raises(BackupError, match="data key of the installation"):
        restore_backup_for(stranger, tmp_path / "backup", build_services=_services)
    _services(stranger).close()  # a fresh dir that generated its own key
    with pytest.raises(BackupError, match="another data key"):
        restore_backup_for(stranger, tmp_path / "backup", build_services=_services)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup_for(source, tmp_path / "backup", build_services=_services)


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_an_emptied_database(
    test_database_url: str | None, tmp_path: Path,
) -> None:
    if test_database_url is None:
        pytest.skip("DRAFTDESK_TEST_DATABASE_URL is not set")
    with fresh_postgres_schema(test_database_url) as url:
        source = Settings(environment="test", data_dir=tmp_path / "source", database_url=url,
                          worker_in_process=False)
        services = _services(source)
        draft_id = _conversation(services, "Maria Lopez", "my casserole arrived cracked")
        services.workflow.approve(draft_id=draft_id, actor="agent@example.com")
        before = _state(services)
        services.close()
        create_backup_for(source, tmp_path / "backup")
        assert b"casserole" not in (tmp_path / "backup" / "database.pgdump.enc").read_bytes()

        empty_postgres_tables(url)  # the same, now empty, database: pg_restore recreates it
        target = Settings(environment="test", data_dir=tmp_path / "target", database_url=url,
                          worker_in_process=False)
        target.data_dir.mkdir()
        shutil.copy(source.data_dir / "data.key", target.data_dir / "data.key")
        restored, _ = restore_backup_for(target, tmp_path / "backup", build_services=_services)
        assert restored.database == "postgresql"
        again = _services(target)
        try:
            assert _state(again) == before
        finally:
            again.close()


def test_the_commands_print_one_line_results_and_one_line_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _services(_settings(data)).close()
    env = {"DRAFTDESK_DATA_DIR": str(data), "DRAFTDESK_ENVIRONMENT": "test"}
    runner = CliRunner()
    made = runner.invoke(app, ["backup", "create", str(tmp_path / "backup")], env=env)
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("backup of the sqlite database, mail files and index settings")
    again = runner.invoke(app, ["backup", "create", str(tmp_path / "backup")], env=env)
    assert (again.exit_code, again.stderr.splitlines()) == (
        1, [f"error: {tmp_path / 'backup'} is not empty: give a new or empty directory"])
    missing = runner.invoke(app, ["backup", "restore", str(tmp_path / "nowhere")], env=env)
    assert (missing.exit_code, missing.stderr.splitlines()) == (
        1, [f"error: {tmp_path / 'nowhere'} is not a directory"])


def test_erasures_made_after_the_backup_are_replayed_from_the_replaced_installation(
    tmp_path: Path,
) -> None:
    source = _settings(tmp_path / "source")
    services = _services(source)
    kept = _conversation(services, "Maria Lopez", "my casserole arrived cracked")
    erased = _conversation(services, "Ottilie Brandstetter", ERASED_TEXT)
    create_backup_for(source, tmp_path / "backup")
    with transaction(services.session_factory) as session:  # after the backup was taken
        conversation_id = session.get(Draft, erased).conversation_id  # type: ignore[union-attr]
        erase_conversation(session, conversation_id=conversation_id,
                           mail_files_root=source.data_dir / "mail")
        session.add(PrivacyErasure(reason="erase", subject_kind="conversation",
                                   subject_sha256="1" * 64, conversation_id=conversation_id,
                                   requested_by="admin@example.com", removed={}))
    services.close()

    target = _settings(tmp_path / "target")
    target.data_dir.mkdir()
    shutil.copy(source.data_dir / "data.key", target.data_dir / "data.key")
    _, replayed = restore_backup_for(target, tmp_path / "backup", build_services=_services,
                                     erasures_from=source.resolved_database_url)
    assert replayed == 1
    again = _services(target)
    try:
        texts = [m[3] for m in _state(again)["messages"]]
        assert "my casserole arrived cracked" in texts and ERASED_TEXT not in texts
        with again.session_factory() as session:
            assert session.scalars(select(PrivacyErasure.conversation_id)).all() == [
                conversation_id]
            assert session.get(Draft, kept).text  # type: ignore[union-attr]
    finally:
        again.close()
