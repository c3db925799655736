"""``Idempotency-Key`` on the buyer API (issue 15 §3): a retry never stores a message twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from bot.services import Services
from bot.web.app import create_app
from tests.factories import BuyerConversation, open_conversation


def _post(client: TestClient, conversation: BuyerConversation, text: str,
          key: str | None) -> tuple[int, dict[str, object]]:
    headers = dict(conversation.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = client.post(f"/api/v1/conversations/{conversation.id}/messages",
                           json={"text": text}, headers=headers)
    return response.status_code, response.json()


def _buyer_texts(client: TestClient, conversation: BuyerConversation) -> list[str]:
    listed = client.get(f"/api/v1/conversations/{conversation.id}/messages",
                        headers=conversation.headers)
    return [m["text"] for m in listed.json()["messages"] if m["role"] == "buyer"]


def test_a_retry_with_the_same_key_gets_the_first_answer_and_stores_nothing(
    api: TestClient,
) -> None:
    conversation = open_conversation(api)
    first = _post(api, conversation, "Where is my kettle?", "k-1")
    again = _post(api, conversation, "Where is my kettle?", "k-1")
    assert first[0] == again[0] == 202
    assert again[1] == first[1]
    assert _buyer_texts(api, conversation) == ["Where is my kettle?"]


def test_the_same_key_with_another_body_is_a_conflict(api: TestClient) -> None:
    conversation = open_conversation(api)
    assert _post(api, conversation, "Where is my kettle?", "k-1")[0] == 202
    status, body = _post(api, conversation, "Where is my pan?", "k-1")
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"  # type: ignore[index]
    assert _buyer_texts(api, conversation) == ["Where is my kettle?"]


def test_without_a_key_or_with_new_keys_each_message_counts(api: TestClient) -> None:
    conversation = open_conversation(api)
    assert _post(api, conversation, "Hello", None)[0] == 202
    assert _post(api, conversation, "Hello", None)[0] == 202
    assert _post(api, conversation, "Hello", "k-2")[0] == 202
    assert _buyer_texts(api, conversation) == ["Hello", "Hello", "Hello"]


def test_keys_belong_to_one_conversation(api: TestClient) -> None:
    one, other = open_conversation(api), open_conversation(api)
    assert _post(api, one, "Hi", "same-key")[0] == 202
    assert _post(api, other, "Hi", "same-key")[0] == 202
    assert _buyer_texts(api, other) == ["Hi"]


def test_a_refusal_is_answered_again_the_same_way(api: TestClient) -> None:
    conversation = open_conversation(api)
    first = _post(api, conversation, "   ", "k-empty")
    assert first[0] == 422
    assert _post(api, conversation, "   ", "k-empty") == first


def test_another_process_sees_the_key(services: Services, api: TestClient) -> None:
    """The keys are in the database: a second app on the same database replays too."""
    conversation = open_conversation(api)
    first = _post(api, conversation, "Where is my kettle?", "k-1")
    with TestClient(create_app(services.settings, services=services)) as second:
        assert _post(second, conversation, "Where is my kettle?", "k-1") == first
    assert _buyer_texts(api, conversation) == ["Where is my kettle?"]


def test_concurrent_retries_store_one_message(api: TestClient) -> None:
    conversation = open_conversation(api)

    def send(_: int) -> tuple[int, dict[str, object]]:
        return _post(api, conversation, "Is it dishwasher safe?", "k-race")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(6)))
    accepted = [body for status, body in answers if status == 202]
    assert accepted and all(body == accepted[0] for body in accepted)
    for status, body in answers:
        assert status == 202 or body["error"]["code"] == "idempotency_key_in_progress"  # type: ignore[index]
    assert _buyer_texts(api, conversation) == ["Is it dishwasher safe?"]


def test_talk_to_a_person_with_a_key_answers_the_same(api: TestClient) -> None:
    conversation = open_conversation(api)
    headers = {**conversation.headers, "Idempotency-Key": "h-1"}
    path = f"/api/v1/conversations/{conversation.id}/handoff"
    first = api.post(path, headers=headers)
    again = api.post(path, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ".encode(), "a b"])
def test_malformed_keys_are_refused(api: TestClient, key: str | bytes) -> None:
    conversation = open_conversation(api)
    response = api.post(f"/api/v1/conversations/{conversation.id}/messages",
                        json={"text": "Hi"},
                        headers={**conversation.headers, "Idempotency-Key": key})  # type: ignore[dict-item]
    assert response.status_code == 422
    assert _buyer_texts(api, conversation) == []
