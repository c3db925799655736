"""Fixtures of the web tests: the real app on the test services, and API tokens.

``services`` is the fake-drafter ``workflow_services``; a module that needs the real
pipeline overrides ``services`` and every fixture here follows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.services import Services
from bot.web.app import create_app
from tests.factories import add_user, bearer


@pytest.fixture
def services(workflow_services: Services) -> Services:
    """The services the app runs on."""
    return workflow_services


@pytest.fixture
def app(services: Services) -> FastAPI:
    """The real app, sharing ``services`` (no second model, database or index)."""
    return create_app(services.settings, services=services)


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """The app through TestClient, for API calls."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def pages(app: FastAPI) -> Iterator[TestClient]:
    """The app as a browser uses it, except that redirects come back to be looked at."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def agent(services: Services) -> dict[str, str]:
    """The ``Authorization`` header of an agent's API token."""
    return bearer(add_user(services.session_factory, email="agent@example.com",
                           role="agent").token)


@pytest.fixture
def lead(services: Services) -> dict[str, str]:
    """The ``Authorization`` header of a lead's API token."""
    return bearer(add_user(services.session_factory, email="lead@example.com",
                           role="lead").token)
