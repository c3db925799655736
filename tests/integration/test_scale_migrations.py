"""Migrations when several processes start at once (issue 17 §5): on a fresh PostgreSQL
schema, four upgrades started together all succeed, one after the other under the advisory
lock; ``draftdesk db upgrade`` migrates and names the revision."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.database import schema_revision, upgrade_to_head
from knowledge_base.db import make_engine
from tests.workflow_support import postgres_schema_url


@pytest.fixture
def empty_postgres_schema() -> Iterator[str]:
    """A new, empty schema (never migrated) on the test server; dropped afterwards."""
    base_url = os.environ.get("DRAFTDESK_TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("DRAFTDESK_TEST_DATABASE_URL is not set")
    schema = f"dd_scale_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_four_processes_migrating_a_fresh_database_together_all_succeed(
    empty_postgres_schema: str,
) -> None:
    starting_line = threading.Barrier(4)
    failures: list[BaseException] = []

    def start_a_process() -> None:
        engine = make_engine(empty_postgres_schema)  # each "process" its own connections
        try:
            starting_line.wait()
            upgrade_to_head(engine)
        except BaseException as exc:  # collected and asserted on below
            failures.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start_a_process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    engine = make_engine(empty_postgres_schema)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1 and versions[0][0] == schema_revision(engine)
    finally:
        engine.dispose()


def test_db_upgrade_migrates_and_names_the_revision(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    runner = CliRunner()
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path), "DRAFTDESK_DATABASE_URL": f"sqlite:///{database}"}
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{database}")
    try:
        revision = schema_revision(engine)
    finally:
        engine.dispose()
    assert revision is not None and result.output.strip() == f"database schema at {revision}"


def test_db_upgrade_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path),
           "DRAFTDESK_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot migrate the database")
