"""Schemathesis over the app's own OpenAPI schema, as an admin (issue 15 §8).

Every documented operation gets a few generated requests (valid and invalid); none may
answer 5xx, every answer must be documented (status code, content type, headers and body
schema), invalid requests must be refused and valid ones accepted. Bounded on purpose (a
few examples per operation) so it stays in CI; ``schemathesis run`` against a live server
goes further (see the issue's acceptance).
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import APIOperation

from bot.services import Services
from tests.factories import add_user, bearer

# ``positive_data_acceptance`` (ST202) too: the request schemas spell out the workflow's own
# text rules (``bot/web/api_schemas.py``), so a schema-valid request is refused only for state
# (404, 409), never with a 4xx for its form.
CHECKS = [
    negative_data_rejection,
    positive_data_acceptance,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 15


@pytest.fixture
def admin(services: Services) -> dict[str, str]:
    return bearer(add_user(services.session_factory, email="admin@example.com", role="admin").token)


def _run(operation: APIOperation, mode: GenerationMode, admin: dict[str, str]) -> None:
    # Hypothesis directly rather than ``schema.parametrize()``: schemathesis' lazy pytest
    # fixtures rename test nodes through ``_nodeid``, which pytest 9 no longer has.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        case.call_and_validate(headers=admin, checks=CHECKS)

    check()


def test_every_operation_answers_as_documented(app: FastAPI, admin: dict[str, str]) -> None:
    # Live streams never end: their handshake is covered by the SSE tests.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, admin)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # no parameter or body to make invalid
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation, reported
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])
    assert operations > 20
    assert failures == [], "\n\n".join(failures)
