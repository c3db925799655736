""""Tell me when you've answered" (issue 18): the buyer's e-mail is stored encrypted with
the conversation and shown to the agent; bad input is a clean 422."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bot.services import Services
from bot.web.templating import templates
from tests.factories import open_conversation


def test_the_address_is_kept_encrypted_and_shown_to_the_agent(
    api: TestClient, services: Services, app: Any
) -> None:
    buyer = open_conversation(api)
    path = f"/api/v1/conversations/{buyer.id}/reply-notice"
    assert api.post(path, json={"email": "old@example.com"}, headers=buyer.headers
                    ).status_code == 204
    saved = api.post(path, json={"email": " maria.l@example.co.uk "}, headers=buyer.headers)
    assert saved.status_code == 204
    assert services.workflow.reply_notice_email(conversation_id=buyer.id) == (
        "maria.l@example.co.uk")
    with services.session_factory() as session:
        stored = session.execute(text("SELECT email FROM reply_notices")).scalars().all()
    assert len(stored) == 1 and "example" not in stored[0]  # ciphertext at rest
    html = templates.env.get_template("console/_buyer_photos.html").render(
        request=SimpleNamespace(app=app), conversation_id=buyer.id)
    assert "Wants an e-mail when we answer: <strong>maria.l@example.co.uk</strong>" in html


@pytest.mark.parametrize("email", ["maria", "maria@", "a b@example.com", "<x@y.com>",
                                   "maria@example", "x" * 250 + "@example.com"])
def test_a_bad_address_is_a_422(api: TestClient, email: str) -> None:
    buyer = open_conversation(api)
    refused = api.post(f"/api/v1/conversations/{buyer.id}/reply-notice", json={"email": email},
                       headers=buyer.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] in {"invalid_notice_email", "invalid_request"}


def test_another_buyers_token_is_a_404(api: TestClient) -> None:
    buyer, other = open_conversation(api), open_conversation(api)
    response = api.post(f"/api/v1/conversations/{buyer.id}/reply-notice",
                        json={"email": "maria@example.com"}, headers=other.headers)
    assert response.status_code == 404


def test_with_mail_sending_set_up_each_reply_queues_a_notice_mail(
    api: TestClient, services: Services
) -> None:
    from sqlalchemy import select

    from bot.mail.models import OutboundMail
    from bot.mail.reply_notices import ReplyNoticeMail
    from bot.worker import DraftingWorker

    # What the composition root registers when SMTP is configured (bot/services.py).
    services.workflow.add_delivery("widget", ReplyNoticeMail(
        sender_domain="shop.example", seller_name="Brightwater Home"))
    buyer, silent = open_conversation(api), open_conversation(api)
    api.post(f"/api/v1/conversations/{buyer.id}/reply-notice",
             json={"email": "maria@example.com"}, headers=buyer.headers)
    for conversation in (buyer, silent):
        api.post(f"/api/v1/conversations/{conversation.id}/messages",
                 json={"text": "Where is my parcel?"}, headers=conversation.headers)
    DraftingWorker(workflow=services.workflow).run_until_idle()
    for draft in services.workflow.list_drafts():
        services.workflow.approve(draft_id=draft.id, actor="agent@example.com",
                                  text="It ships today.")
    with services.session_factory() as session:
        [mail] = session.scalars(select(OutboundMail)).all()
        assert (mail.conversation_id, mail.to_address, mail.status) == (
            buyer.id, "maria@example.com", "pending")
        assert "It ships today." in mail.body
        assert mail.subject == "Brightwater Home has answered your message"
