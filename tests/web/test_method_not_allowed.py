"""A 405 names every method the path answers (RFC 9110; schemathesis ST205).

GET and POST on one path are two routes; Starlette's own ``Allow`` names only the first.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/articles", "GET, POST"),
        ("/api/v1/articles/return-policy", "GET, PUT, DELETE"),
        ("/api/v1/conversations/abc/orders", "GET, POST"),
        ("/api/v1/conversations/abc/messages", "GET, POST"),
        ("/api/v1/drafts/1/approve", "POST"),
    ],
)
def test_a_405_lists_every_method_of_the_path(api: TestClient, path: str, allowed: str) -> None:
    for method in ("OPTIONS", "PATCH"):
        response = api.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["Allow"] == allowed
        assert response.json()["error"]["code"] == "method_not_allowed"
