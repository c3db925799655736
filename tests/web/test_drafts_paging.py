"""Cursor paging of the pending-drafts API (issue 17 §6): every draft once, in deadline order,
even when drafts are decided between two pages."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.worker import DraftingWorker


def _queue_drafts(services: Any, count: int) -> None:
    workflow = services.workflow
    for number in range(count):
        conversation = workflow.start_conversation(buyer_name=f"Buyer {number}")
        workflow.receive_buyer_message(conversation_id=conversation.id,
                                       text=f"Question number {number}?")
    assert DraftingWorker(workflow=workflow).run_until_idle() == count


def _pages(api: TestClient, agent: dict[str, str], *, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    url = f"/api/v1/drafts?limit={limit}"
    while True:
        response = api.get(url, headers=agent)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([draft["id"] for draft in body["drafts"]])
        if body["next_cursor"] is None:
            return pages
        url = f"/api/v1/drafts?limit={limit}&cursor={body['next_cursor']}"


def test_pages_list_every_pending_draft_once_in_deadline_order(
    api: TestClient, services: Any, agent: dict[str, str]
) -> None:
    _queue_drafts(services, 5)
    everything = api.get("/api/v1/drafts", headers=agent).json()
    assert everything["next_cursor"] is None  # one page holds them all: no cursor
    expected = [draft["id"] for draft in everything["drafts"]]
    assert len(expected) == 5

    pages = _pages(api, agent, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [draft_id for page in pages for draft_id in page] == expected


def test_deciding_drafts_between_pages_skips_none_of_the_others(
    api: TestClient, services: Any, agent: dict[str, str]
) -> None:
    _queue_drafts(services, 4)
    first = api.get("/api/v1/drafts?limit=2", headers=agent).json()
    first_ids = [draft["id"] for draft in first["drafts"]]
    for draft_id in first_ids:  # an agent works through the first page meanwhile
        approved = api.post(f"/api/v1/drafts/{draft_id}/approve", headers=agent)
        assert approved.status_code == 200
    rest = api.get(f"/api/v1/drafts?limit=2&cursor={first['next_cursor']}", headers=agent)
    assert rest.status_code == 200
    assert len(rest.json()["drafts"]) == 2
    assert not set(first_ids) & {draft["id"] for draft in rest.json()["drafts"]}


def test_a_cursor_of_no_draft_is_a_404_and_a_malformed_one_a_422(
    api: TestClient, services: Any, agent: dict[str, str]
) -> None:
    _queue_drafts(services, 1)
    unknown = api.get("/api/v1/drafts?cursor=999999", headers=agent)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "draft_not_found"
    for cursor in ("not-a-cursor", "0", "99999999999999999999"):
        assert api.get(f"/api/v1/drafts?cursor={cursor}", headers=agent).status_code == 422
