"""The agent's desk (issue 18): queue rows, their search, filters and sort; plain labels;
claims, "who is viewing", notes left by earlier decisions, and /docs served offline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.conversations import labels
from bot.conversations.desk import display_name
from bot.conversations.views import QueueQuery, QueueRow, filter_queue
from bot.drafting.interface import DraftRequest
from bot.facts import DraftReply
from bot.worker import DraftingWorker
from tests.factories import add_user
from tests.fakes import FakeDrafter
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _row(draft_id: int, **changes: Any) -> QueueRow:
    row = QueueRow(
        draft_id=draft_id, conversation_id=f"c{draft_id}", status="pending_review",
        buyer_name=f"Buyer {draft_id}", channel="widget", language="en", mood="neutral",
        reasons=[], reason_codes=frozenset(), last_message="Where is my parcel?",
        last_message_at=NOW - timedelta(minutes=draft_id), due_at=NOW + timedelta(hours=draft_id),
        confidence=0.8, handoff=False, blocking=[],
    )
    return replace(row, **changes)


ROWS = [
    _row(1, channel="mail", buyer_name=None, relay_alias="x7k2@marketplace.amazon.de",
         language="de", last_message="Wo ist mein Paket?", confidence=0.9),
    _row(2, reason_codes=frozenset({"human_request"}), assignee="ana@example.com",
         confidence=0.3),
    _row(3, last_message="The vase arrived CRACKED", due_at=NOW - timedelta(minutes=5)),
    _row(30, language="fr", last_message="Où est mon colis ?"),
]


def _ids(rows: list[QueueRow]) -> list[int]:
    return [row.draft_id for row in rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (QueueQuery(), [3, 1, 2, 30]),  # soonest deadline first; overdue at the top
        (QueueQuery(search="cracked vase"), [3]),  # every word, any case, any order
        (QueueQuery(search="x7k2"), [1]),  # the relay alias of a buyer without a name
        (QueueQuery(channel="mail"), [1]),
        (QueueQuery(language="de"), [1]),
        (QueueQuery(reason="human_request"), [2]),
        (QueueQuery(due_soon=True), [3, 1, 2]),  # less than 4 hours left, or overdue
        (QueueQuery(mine=True), [2]),
        (QueueQuery(sort="newest"), [1, 2, 3, 30]),
        (QueueQuery(sort="confidence"), [2, 3, 30, 1]),
        (QueueQuery(language="de", channel="widget"), []),
    ],
)
def test_queue_filters_and_sorts(query: QueueQuery, expected: list[int]) -> None:
    assert _ids(filter_queue(ROWS, query, agent="ana@example.com", now=NOW)) == expected


def test_a_buyer_is_named_by_name_then_relay_alias() -> None:
    assert ROWS[0].buyer == "x7k2@marketplace.amazon.de"
    assert ROWS[1].buyer == "Buyer 2"
    assert _row(5, buyer_name=None).buyer == "Buyer without a name"


def test_codes_read_as_plain_words() -> None:
    assert labels.handoff_reasons("out_of_scope,marketplace_account") == [
        "not covered by the knowledge base", "Amazon account question"]
    assert labels.handoff_reasons("buyer_asked") == ["asked for a person"]
    assert labels.handoff_reasons("some_new_reason") == ["some new reason"]
    assert labels.reason_codes("buyer_asked,no_knowledge") == {"human_request", "out_of_scope"}
    assert labels.check_label("compliance.no_links") == "no links"
    assert labels.check_label("style.brand_new_check") == "brand new check"
    assert labels.composer_label("offline") == "from the knowledge base (no AI model)"
    assert display_name("ana.lopez@example.com") == "Ana Lopez"


# --- through the app ------------------------------------------------------------------------


class LanguageAwareDrafter(FakeDrafter):
    """The fake drafter, writing in the conversation's language (as the real one does)."""

    def draft(self, request: DraftRequest) -> DraftReply:
        reply = super().draft(request)
        return reply.model_copy(update={"language": (request.locale or "en")[:2]})


@pytest.fixture
def fake_drafter() -> FakeDrafter:
    return LanguageAwareDrafter()


@pytest.fixture
def console(pages: TestClient, services: Any) -> TestClient:
    for email, role in (("ana@example.com", "agent"), ("lead@example.com", "lead")):
        add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    sign_in(pages, "ana@example.com")
    return pages


def _second_agent(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    sign_in(client, email)
    return client


def _drafted(services: Any, name: str, messages: list[str], locale: str = "en") -> tuple[str, int]:
    conversation = services.workflow.start_conversation(buyer_name=name, locale=locale)
    for text in messages:
        services.workflow.receive_buyer_message(conversation_id=conversation.id, text=text)
    DraftingWorker(workflow=services.workflow).run_until_idle()
    draft = next(d for d in services.workflow.list_drafts()
                 if d.conversation_id == conversation.id)
    return conversation.id, draft.id


def test_queue_shows_the_last_message_and_filters_by_link(
    console: TestClient, services: Any
) -> None:
    _drafted(services, "Maria", ["Where is my parcel?"])
    _drafted(services, "Jonas Weber", ["Hallo!", "Wo ist mein Paket?"], locale="de")

    page = console.get("/console").text
    rows = page.split('id="queue"', 1)[1].split("</ol>", 1)[0]
    assert "Wo ist mein Paket?" in rows and "Thank you for your message about" not in rows
    assert 'lang="en">German</span>' in rows

    german = console.get("/console?view=pending&lang=de&sort=newest").text
    queue = german.split('id="queue"', 1)[1].split("</ol>", 1)[0]
    assert "Jonas Weber" in queue and "Maria" not in queue
    assert "1 of 2 shown" in german
    # The filters stay on the rows' links, so the next click keeps the filtered view.
    assert "?view=pending&amp;lang=de&amp;sort=newest" in queue
    # Values the console never offers are ignored, not a server error.
    assert console.get("/console?lang=xx&sort=sideways&reason=<b>").status_code == 200


def test_two_agents_see_each_other_and_claims(
    console: TestClient, app: FastAPI, services: Any
) -> None:
    conversation_id, draft_id = _drafted(services, "Maria", ["Where is my parcel?"])
    page = console.get(f"/console/drafts/{draft_id}").text  # Ana opens the draft
    token = csrf_token_in(page)
    assert 'id="claim-button"' in page

    with _second_agent(app, "lead@example.com") as lead:
        lead_page = lead.get(f"/console/drafts/{draft_id}").text
        assert "Ana is viewing" in lead_page
        state = lead.post(f"/console/drafts/{draft_id}/presence",
                          headers={"X-CSRF-Token": csrf_token_in(lead_page)}).json()
        assert state == {"viewers": ["Ana"], "assignee": None, "assigned_to_me": False,
                         "status": "pending_review"}

        claimed = console.post(
            f"/console/conversations/{conversation_id}/assign",
            data={"csrf_token": token, "assignee": "me", "draft_id": str(draft_id),
                  "back": "?view=pending&lang=en"},
        )
        assert claimed.status_code == 303
        assert claimed.headers["location"] == f"/console/drafts/{draft_id}?view=pending&lang=en"
        state = lead.post(f"/console/drafts/{draft_id}/presence",
                          headers={"X-CSRF-Token": csrf_token_in(lead_page)}).json()
        assert state["assignee"] == "Ana" and state["viewers"] == ["Ana"]

    mine = console.get("/console?mine=1").text
    assert "claimed by you" in mine and "Lead is viewing" in mine
    refused = console.post(f"/console/conversations/{conversation_id}/assign",
                           data={"csrf_token": token, "assignee": "nobody@example.com"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_agent"
    # Without the session's CSRF token, presence is refused like any other change.
    assert console.post(f"/console/drafts/{draft_id}/presence").status_code == 403


def test_escalation_and_reject_notes_are_shown_to_whoever_opens_it(
    console: TestClient, app: FastAPI, services: Any
) -> None:
    conversation_id, draft_id = _drafted(services, "Maria", ["Can I return a used kettle?"])
    services.workflow.escalate(draft_id=draft_id, actor="ana@example.com",
                               note="Used item: the policy is unclear")
    with _second_agent(app, "lead@example.com") as lead:
        page = lead.get(f"/console/drafts/{draft_id}?view=escalated").text
        assert "Ana escalated" in page and "Used item: the policy is unclear" in page
        assert 'id="approve-form"' in page  # the lead can decide with the note in view
        services.workflow.reject(draft_id=draft_id, actor="lead@example.com",
                                 reason="Needs a personal reply", may_decide_escalated=True)
    page = console.get(f"/console/conversations/{conversation_id}").text
    assert "Lead rejected" in page and "Needs a personal reply" in page


def test_draft_panel_uses_plain_labels(console: TestClient, services: Any) -> None:
    _, draft_id = _drafted(services, "Maria", ["Any coupon for me?"])
    page = console.get(f"/console/drafts/{draft_id}").text
    facts = page.split('class="facts"', 1)[1]
    # The failed check first, named in words with what failed; the passed ones on one line.
    assert facts.index("no marketing") < facts.index("checks passed")
    assert "blocks approval" in facts
    assert "1 check passed" in facts or "checks passed" in facts
    assert "mood: calm" in page and "confidence 82%" in page


def test_docs_are_served_without_a_cdn(pages: TestClient) -> None:
    html = pages.get("/docs").text
    assert "/static/docs/swagger-ui-bundle.js" in html and "/static/docs/swagger-ui.css" in html
    assert "cdn." not in html
    script = pages.get("/static/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_a_lead_assigns_a_conversation_to_a_colleague(
    console: TestClient, app: FastAPI, services: Any
) -> None:
    conversation_id, draft_id = _drafted(services, "Maria", ["Where is my parcel?"])
    with _second_agent(app, "lead@example.com") as lead:
        page = lead.get(f"/console/drafts/{draft_id}").text
        assert '<option value="ana@example.com">Ana</option>' in page
        assigned = lead.post(f"/console/conversations/{conversation_id}/assign",
                             data={"csrf_token": csrf_token_in(page),
                                   "assignee": "ana@example.com"})
        assert assigned.status_code == 303 and assigned.headers["location"] == "/console"
        assert "claimed by Ana" in lead.get("/console").text
    assert f'data-draft-id="{draft_id}"' in console.get("/console?mine=1").text


def test_a_lead_maintains_canned_replies_and_agents_see_them(
    console: TestClient, app: FastAPI, services: Any
) -> None:
    _, draft_id = _drafted(services, "Maria", ["Where is my parcel?"])
    assert console.get("/console/canned").status_code == 403  # agents use, leads maintain
    with _second_agent(app, "lead@example.com") as lead:
        token = csrf_token_in(lead.get("/console/canned").text)
        for text in ("We have sent you a prepaid return label.", "A new label is on its way."):
            saved = lead.post("/console/canned", data={
                "csrf_token": token, "title": "Return label", "text": text})
            assert saved.status_code == 303
        empty = lead.post("/console/canned", data={"csrf_token": token, "title": "Empty",
                                                   "text": "  "})
        assert empty.status_code == 422 and "The text is empty." in empty.text
        listed = lead.get("/console/canned").text
        assert listed.count("<h2>Return label</h2>") == 1  # the same title replaced the text
        assert "A new label is on its way." in listed
    page = console.get(f"/console/drafts/{draft_id}").text
    assert 'data-text="A new label is on its way.">Return label</option>' in page
