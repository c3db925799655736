"""The retrying Web API client against the local mock Slack server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.slack.client import SlackWebApi, build_web_client
from bot.slack.errors import SlackCallFailed
from tests.slack.harness import RecordingSleep
from tests.slack.mock_web_api_server import MockSlackWebApi


@pytest.fixture
def mock_slack() -> Iterator[MockSlackWebApi]:
    server = MockSlackWebApi().start()
    yield server
    server.stop()


def make_api(mock_slack: MockSlackWebApi, sleep: RecordingSleep, attempts: int = 4) -> SlackWebApi:
    client = build_web_client(token="xoxb-test", base_url=mock_slack.url, timeout=5)
    return SlackWebApi(client=client, max_attempts=attempts, base_delay=0.01, sleep=sleep)


def test_post_message_sends_blocks_and_returns_the_ts(mock_slack: MockSlackWebApi) -> None:
    api = make_api(mock_slack, RecordingSleep())
    answer = api.post_message(channel="C1", text="hi", blocks=[{"type": "divider"}])
    [call] = mock_slack.calls("chat.postMessage")
    assert call.params["channel"] == "C1"
    assert call.params["blocks"] == [{"type": "divider"}]
    assert call.token == "xoxb-test"
    assert answer["ts"]


def test_429_waits_as_long_as_retry_after_says(mock_slack: MockSlackWebApi) -> None:
    sleep = RecordingSleep()
    mock_slack.fail("chat.postMessage", status=429, retry_after=7, times=2)
    api = make_api(mock_slack, sleep)
    api.post_message(channel="C1", text="hi")
    assert sleep.waits == [7.0, 7.0]
    assert [c.status for c in mock_slack.attempts("chat.postMessage")] == [429, 429, 200]


def test_5xx_is_retried_with_backoff(mock_slack: MockSlackWebApi) -> None:
    sleep = RecordingSleep()
    mock_slack.fail("chat.update", status=500, times=1)
    mock_slack.fail("chat.update", status=503, times=1)
    api = make_api(mock_slack, sleep)
    api.update_message(channel="C1", ts="1.1", text="x", blocks=[])
    assert len(sleep.waits) == 2
    assert [c.status for c in mock_slack.attempts("chat.update")] == [500, 503, 200]


def test_a_dropped_connection_is_retried(mock_slack: MockSlackWebApi) -> None:
    mock_slack.fail("chat.postEphemeral", status=0, times=1)
    api = make_api(mock_slack, RecordingSleep())
    api.post_ephemeral(channel="C1", user="U1", text="no")
    assert len(mock_slack.calls("chat.postEphemeral")) == 1


def test_gives_up_after_the_last_attempt_with_a_stable_code(mock_slack: MockSlackWebApi) -> None:
    mock_slack.fail("chat.postMessage", status=500, times=10)
    api = make_api(mock_slack, RecordingSleep(), attempts=3)
    with pytest.raises(SlackCallFailed) as caught:
        api.post_message(channel="C1", text="hi")
    assert caught.value.code == "slack_unavailable"
    assert len(mock_slack.attempts("chat.postMessage")) == 3


def test_slack_refusals_are_not_retried(mock_slack: MockSlackWebApi) -> None:
    sleep = RecordingSleep()
    api = make_api(mock_slack, sleep)
    with pytest.raises(SlackCallFailed) as caught:
        api.usergroup_members("S404")
    assert caught.value.code == "slack_api_error"
    assert caught.value.slack_error == "no_such_subteam"
    assert sleep.waits == []


def test_usergroup_members(mock_slack: MockSlackWebApi) -> None:
    mock_slack.set_usergroup("S1", ["U1", "U2"])
    assert make_api(mock_slack, RecordingSleep()).usergroup_members("S1") == ["U1", "U2"]
