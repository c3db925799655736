"""Malformed Slack requests are refused with 401, never a 500 (issue 15 §6)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.slack.harness import SlackHarness, sign


@pytest.mark.parametrize("stamp", ["abc", "1e9", "", "١٢٣", "12.5"])
def test_a_non_numeric_timestamp_is_a_401(desk: SlackHarness, stamp: str) -> None:
    body = urlencode({"payload": "{}"})
    headers = {**sign(body), "X-Slack-Request-Timestamp": stamp}
    response = desk.client.post("/slack/events", content=body.encode(),
                                headers={k: v.encode() for k, v in headers.items()})
    assert response.status_code == 401


def test_a_body_that_is_not_utf8_is_a_401(desk: SlackHarness) -> None:
    response = desk.client.post("/slack/events", content=b"payload=\xff\xfe",
                                headers={**sign("payload=??"), "Content-Type": "text/plain"})
    assert response.status_code == 401
