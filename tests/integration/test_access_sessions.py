"""Browser sessions end after an idle time as well as at their absolute expiry (issue 16,
item 7); the last use is written at most once a minute; migration 0019 adds its column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.models import WebSession
from bot.accounts.service import SESSION_TOUCH_SECONDS, start_web_session, user_for_web_session
from bot.database import alembic_config
from bot.db_schema import target_metadata
from bot.settings import Settings
from knowledge_base.clock import utcnow
from knowledge_base.db import make_engine
from tests.factories import add_user


def _last_seen(factory: sessionmaker[Session]) -> object:
    with factory() as session:
        return session.execute(select(WebSession.last_seen_at)).scalar_one()


def test_a_session_left_idle_ends_and_use_keeps_it_alive(workflow_services: object) -> None:
    factory: sessionmaker[Session] = workflow_services.session_factory  # type: ignore[attr-defined]
    user = add_user(factory, email="agent@example.com", role="agent").user
    start = utcnow()
    token = start_web_session(factory, user_id=user.id, hours=12, now=start)

    def at(minutes: float) -> object:
        return user_for_web_session(factory, token=token, idle_minutes=60,
                                    now=start + timedelta(minutes=minutes))

    assert _last_seen(factory) == start
    assert at(0.5) is not None and _last_seen(factory) == start  # within a minute: no write
    assert at(50) is not None and _last_seen(factory) == start + timedelta(minutes=50)
    assert at(105) is not None  # 55 idle minutes
    assert at(170) is None  # 65 idle minutes since 105
    assert at(171) is None and _last_seen(factory) == start + timedelta(minutes=105)


def test_the_absolute_expiry_still_holds(workflow_services: object) -> None:
    factory: sessionmaker[Session] = workflow_services.session_factory  # type: ignore[attr-defined]
    user = add_user(factory, email="agent@example.com", role="agent").user
    start = utcnow()
    token = start_web_session(factory, user_id=user.id, hours=2, now=start)
    for minutes in range(30, 120, 30):
        assert user_for_web_session(factory, token=token, idle_minutes=60,
                                    now=start + timedelta(minutes=minutes)) is not None
    assert user_for_web_session(factory, token=token, idle_minutes=60,
                                now=start + timedelta(minutes=121)) is None


def test_sessions_from_before_the_migration_count_from_their_start(
    workflow_services: object,
) -> None:
    factory: sessionmaker[Session] = workflow_services.session_factory  # type: ignore[attr-defined]
    user = add_user(factory, email="agent@example.com", role="agent").user
    start = utcnow()
    token = start_web_session(factory, user_id=user.id, hours=12, now=start)
    with factory() as session, session.begin():
        session.execute(WebSession.__table__.update().values(last_seen_at=None))
    later = start + timedelta(minutes=61)
    assert user_for_web_session(factory, token=token, idle_minutes=60, now=later) is None
    assert user_for_web_session(factory, token=token, idle_minutes=90, now=later) is not None
    assert _last_seen(factory) == later


def test_the_idle_time_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().session_idle_minutes == 60
    assert SESSION_TOUCH_SECONDS == 60
    monkeypatch.setenv("DRAFTDESK_SESSION_IDLE_MINUTES", "15")
    assert Settings().session_idle_minutes == 15
    monkeypatch.setenv("DRAFTDESK_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ValueError, match="session_idle_minutes"):
        Settings()


def test_migration_0019_adds_the_column_the_model_has_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(alembic_config(url), "0019")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("web_sessions")}
            assert "last_seen_at" in columns
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, target_metadata)
                     if "web_sessions" in repr(d)]
        assert diffs == []
    finally:
        engine.dispose()
    command.downgrade(alembic_config(url), "0018")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("web_sessions")}
        assert "last_seen_at" not in columns
    finally:
        engine.dispose()
