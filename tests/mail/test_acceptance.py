"""Issue 14's acceptance, as a new user would try it: a relay mail in the IMAP mailbox is
drafted by the real pipeline with the order's facts, approved, and answered by one
plain-text reply through the SMTP server; a re-delivery and a spoofed mail change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.orders.repository import upsert_orders
from bot.orders.schemas import OrderItemUpsert, OrderUpsert
from bot.worker import DraftingWorker
from knowledge_base.db import transaction
from tests.kb_editor_support import demo_services
from tests.mail.conftest import SELLER_FROM, fixture_bytes
from tests.mail.servers import Dovecot, SmtpServer

pytestmark = pytest.mark.slow
ORDER = "112-2233445-5566778"
RELAY = "r3kz8m0yq2cz9wd@marketplace.amazon.com"


def test_where_is_my_order_by_mail_end_to_end(
    demo_kb_template: Any, real_embedder: Any, tmp_path: Path, dovecot: Dovecot,
    smtp_server: SmtpServer,
) -> None:
    services = demo_services(
        demo_kb_template, embedder=real_embedder, directory=tmp_path, worker_in_process=False,
        mail_imap_url=dovecot.url, mail_smtp_url=smtp_server.url, mail_from=SELLER_FROM,
    )
    try:
        shipped = date.today() - timedelta(days=2)
        with transaction(services.session_factory) as session:
            upsert_orders(session, source="test", orders=[OrderUpsert(
                order_id=ORDER, purchase_date=shipped - timedelta(days=1), status="shipped",
                shipped_at=shipped, estimated_delivery=shipped + timedelta(days=4),
                carrier="UPS", tracking_number="1Z999AA10123456784",
                fulfillment_channel="seller", marketplace="amazon.com",
                items=[OrderItemUpsert(sku="MUG-4", title="Stoneware Mug Set (4 pieces)")],
            )])
        workflow = services.workflow
        channel = services.mail_channel

        dovecot.deliver(fixture_bytes("01_plain_where_is_my_order.eml"))
        assert channel.poller.poll_once() == 1
        assert DraftingWorker(workflow=workflow).run_until_idle() == 1
        (draft,) = workflow.list_drafts()
        detail = workflow.get_draft(draft_id=draft.id)
        assert detail.order is not None and detail.order.order_id == ORDER
        assert detail.order.tracking_number == "1Z999AA10123456784"
        assert "1Z999AA10123456784" in detail.text or "UPS" in detail.text

        override = "Reviewed by the test: the order facts are right." \
            if detail.blocking_failures else None
        workflow.approve(draft_id=draft.id, actor="agent@example.com",
                         override_reason=override, may_override=True)
        assert channel.sender.send_due() == 1

        # The same mail again, and a spoofed one: nothing new to draft, nothing sent.
        dovecot.deliver(fixture_bytes("01_plain_where_is_my_order.eml"))
        dovecot.deliver(fixture_bytes("15_spoofed_sender.eml"))
        channel.poller.poll_once()
        assert DraftingWorker(workflow=workflow).run_until_idle() == 0
        assert channel.sender.send_due() == 0
        (reply,) = smtp_server.to(RELAY)
        mail = reply.message
        assert mail.get_content_type() == "text/plain"
        assert mail["In-Reply-To"] == "<0100018c1a2b3c4d-aa11-plain@email.amazonses.com>"
        body = mail.get_content().replace("\r\n", "\n").strip()
        assert body == workflow.get_draft(draft_id=draft.id).final_text
        assert len(body) <= 2000
        assert len(workflow.conversation_thread(conversation_id=draft.conversation_id)) == 2
    finally:
        services.close()
