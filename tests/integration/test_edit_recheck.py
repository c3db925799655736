"""An agent's edit is re-checked against the evidence stored with the draft (issue 11).

End to end with the real pipeline (model, Chroma, SQLite) and the console's forms: the
draft is stored, read back from its row and re-checked — nothing is kept in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.accounts.service import create_user, set_password
from bot.web.app import create_app
from bot.worker import DraftingWorker

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
EMAIL = "edit-recheck@example.com"


@pytest.fixture(scope="module")
def console(demo_services: Any) -> Iterator[TestClient]:
    create_user(demo_services.session_factory, email=EMAIL, role="agent")
    set_password(demo_services.session_factory, email=EMAIL, password=PASSWORD)
    settings = demo_services.settings.model_copy(update={"worker_in_process": False})
    with TestClient(create_app(settings, services=demo_services), follow_redirects=False) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                    "csrf_token": token.group(1), "next": "/console"})
        yield client


def _drafted(services: Any, text: str) -> Any:
    conversation = services.workflow.start_conversation(buyer_name="Maria Lopez")
    services.workflow.receive_buyer_message(conversation_id=conversation.id, text=text)
    DraftingWorker(workflow=services.workflow).run_until_idle()
    [draft] = [d for d in services.workflow.list_drafts() if d.conversation_id == conversation.id]
    return services.workflow.get_draft(draft_id=draft.id)


def _csrf(client: TestClient, draft_id: int) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"',
                      client.get(f"/console/drafts/{draft_id}").text)
    assert found is not None
    return found.group(1)


QUESTION = "how many days do I have to return something I bought?"


def test_a_one_word_edit_of_a_clean_draft_approves_without_override(
    demo_services: Any, console: TestClient
) -> None:
    draft = _drafted(demo_services, QUESTION)
    assert not draft.handoff and re.search(r"\d", draft.text), draft.text
    assert [c.id for c in draft.checks if not c.passed and c.severity == "block"] == []
    edited = draft.text.replace("Thank you", "Thanks", 1).replace("Hi Maria", "Hello Maria", 1)
    assert edited != draft.text
    approved = console.post(f"/console/drafts/{draft.id}/approve",
                            data={"text": edited, "csrf_token": _csrf(console, draft.id)})
    assert approved.status_code == 303, approved.text[:2000]
    sent = demo_services.workflow.get_draft(draft_id=draft.id)
    assert sent.final_text == edited.strip()


def test_an_edit_that_invents_a_figure_is_blocked_and_the_console_names_it(
    demo_services: Any, console: TestClient
) -> None:
    draft = _drafted(demo_services, QUESTION)
    signature_at = draft.text.rindex("\n\n")
    invented = (draft.text[:signature_at] + "\n\nWe will also refund 37% of the price."
                + draft.text[signature_at:])
    blocked = console.post(f"/console/drafts/{draft.id}/approve",
                           data={"text": invented, "csrf_token": _csrf(console, draft.id)})
    assert blocked.status_code == 422
    assert "37%" in blocked.text.split('class="blocked-checks"', 1)[1].split("</ul>", 1)[0]
    assert demo_services.workflow.get_draft(draft_id=draft.id).status == "pending_review"


def test_a_thanks_only_message_is_offered_as_no_response_needed(
    demo_services: Any, console: TestClient
) -> None:
    draft = _drafted(demo_services, "perfect, it arrived today. thanks so much!")
    assert draft.suggest_no_response and not draft.handoff
    page = console.get(f"/console/drafts/{draft.id}")
    assert 'id="no-response-suggested"' in page.text
    closed = console.post(f"/console/drafts/{draft.id}/no-response-needed",
                          data={"csrf_token": _csrf(console, draft.id)})
    assert closed.status_code == 303
    assert demo_services.workflow.get_draft(draft_id=draft.id).status == "no_response_needed"
