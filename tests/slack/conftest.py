"""Slack tests: the real app (create_app) in http mode, signed requests, a mock Web API.

Nothing here talks to Slack: ``DRAFTDESK_SLACK_API_URL`` points at a local mock server that
records every call. Drafting uses the fake drafter, and the worker is driven explicitly so
each test knows exactly when a draft exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.slack.harness import SlackHarness, slack_settings
from tests.slack.mock_web_api_server import MockSlackWebApi


@pytest.fixture
def mock_slack() -> Iterator[MockSlackWebApi]:
    server = MockSlackWebApi().start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, mock_slack: MockSlackWebApi, workflow_db_url: str) -> Settings:
    """http mode against the mock; SQLite, and PostgreSQL too when the tests have one."""
    return slack_settings(tmp_path, api_url=mock_slack.url, database_url=workflow_db_url)


@pytest.fixture
def desk(settings: Settings, mock_slack: MockSlackWebApi) -> Iterator[SlackHarness]:
    with SlackHarness.running(settings, mock_slack) as harness:
        yield harness
