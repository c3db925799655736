"""Every view of a buyer's full record by a lead or admin is audited (issue 16, item 7): who,
which conversation, from where — never the buyer's data; agents' views for review are not.
The admin sees them on the users page."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts.record_views import RECORD_VIEW
from bot.services import Services
from bot.worker import DraftingWorker
from knowledge_base.models import AuditLog
from tests.factories import add_user, bearer
from tests.workflow_support import TEST_PASSWORD, sign_in


def _views(services: Services) -> list[AuditLog]:
    with services.session_factory() as session:
        return list(session.execute(
            select(AuditLog).where(AuditLog.action == RECORD_VIEW).order_by(AuditLog.id)
        ).scalars())


def _signed_in(app: FastAPI, services: Services, role: str) -> TestClient:
    email = f"{role}@example.com"
    add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    client = TestClient(app, follow_redirects=False)
    assert sign_in(client, email).status_code == 303
    return client


def test_a_leads_views_are_audited_without_the_buyers_data(
    app: FastAPI, services: Services
) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name="Maria Lopez")
    workflow.receive_buyer_message(
        conversation_id=conversation.id,
        text="My order 112-3456789-1234567 never came, maria@example.org",
    )
    DraftingWorker(workflow=workflow).run_until_idle()
    (draft,) = workflow.list_drafts()
    agent = _signed_in(app, services, "agent")
    lead = _signed_in(app, services, "lead")
    admin = _signed_in(app, services, "admin")

    for path in ("/console", f"/console/drafts/{draft.id}",
                 f"/console/conversations/{conversation.id}"):
        assert agent.get(path).status_code == 200
    assert _views(services) == []
    assert lead.get(f"/console/drafts/{draft.id}").status_code == 200
    assert lead.get(f"/console/conversations/{conversation.id}").status_code == 200
    assert lead.get("/console").status_code == 200  # opens the first draft: a view too
    assert lead.get("/console/queue").status_code == 200  # the list only: not a view

    views = _views(services)
    assert [(v.actor, v.entity_type, v.entity_id) for v in views] == [
        ("lead@example.com", "conversation", conversation.id)] * 3
    stored = " ".join(repr(v.detail) for v in views)
    for secret in ("Maria", "112-3456789", "maria@example.org"):
        assert secret not in stored
    page = admin.get("/console/users").text
    section = page.split('id="record-views"')[1].split("</table>")[0]
    assert section.count(conversation.id) == 3 and "lead@example.com" in section
    assert "Maria" not in page and "112-3456789" not in page
    for client in (agent, lead, admin):
        client.close()


def test_a_leads_read_of_a_draft_through_the_api_is_audited_too(
    app: FastAPI, services: Services
) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name="Maria Lopez")
    workflow.receive_buyer_message(conversation_id=conversation.id, text="Where is my parcel?")
    DraftingWorker(workflow=workflow).run_until_idle()
    (draft,) = workflow.list_drafts()
    agent = add_user(services.session_factory, email="agent@example.com", role="agent")
    lead = add_user(services.session_factory, email="lead@example.com", role="lead")
    with TestClient(app) as client:
        assert client.get(f"/api/v1/drafts/{draft.id}", headers=bearer(agent.token)).is_success
        assert _views(services) == []
        assert client.get(f"/api/v1/drafts/{draft.id}", headers=bearer(lead.token)).is_success
        assert client.get("/api/v1/drafts", headers=bearer(lead.token)).is_success  # a list
    views = _views(services)
    assert [(v.actor, v.entity_id, v.detail["where"]) for v in views] == [
        ("lead@example.com", conversation.id, "api")]
