"""A topic no dataset has, written by a lead, is answered at once — no retraining (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.drafting.interface import DraftRequest
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.pipeline import ingest_paths
from knowledge_base import repository as kb
from knowledge_base.db import transaction
from knowledge_base.schemas import ArticleCreate
from tests.conftest import DEMO_ENGLISH

pytestmark = pytest.mark.slow

PRICE_MATCH = ArticleCreate(
    id="price-matching",
    title="Do you match a lower price?",
    body=(
        "We match the price of an identical item sold new by another US retailer, on the day "
        "you ask, before you order. Send us the link in Buyer-Seller Messaging and we lower "
        "our price for 24 hours.\n\n## What we cannot match\n- Marketplace sellers, auctions "
        "and used items.\n- Prices after you have ordered."
    ),
    # As a lead would write them in /kb: a handful of ways buyers ask.
    questions=[
        "Do you price match?",
        "I found it cheaper somewhere else, can you match the price?",
        "Will you beat a competitor's price?",
        "Another store sells this for less. Can you lower your price?",
        "Is there a price guarantee?",
        "Can I get the lower price I saw online?",
    ],
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("new-topic")
    services = build_services(Settings(data_dir=Path(data)), embedder=real_embedder)
    ingest_paths([DEMO_ENGLISH], session_factory=services.session_factory, index=services.index,
                 embedder=services.embedder)
    services.calibrate_kb()
    yield services
    services.close()


@pytest.mark.parametrize(
    "question",
    [
        "walmart sells it $10 cheaper, can you match?",
        "hey do u do price matching? saw the pan set cheaper at target",
        "if I find a lower price online for the same knife can you lower yours?",
    ],
)
def test_a_new_article_is_cited_first_without_retraining(
    services: Services, question: str
) -> None:
    def first_citation() -> str | None:
        reply = services.drafter.draft(DraftRequest(buyer_messages=[question]))
        return None if reply.handoff or not reply.citations else reply.citations[0].article_id

    with services.session_factory() as session:
        written = "price-matching" in {a.id for a in kb.list_articles(session)}
    if not written:
        assert first_citation() != "price-matching"  # the demo KB has no such article yet
        with transaction(services.session_factory) as session:
            kb.create_article(session, content=PRICE_MATCH, actor="lead@example.com",
                              publish=True)
        services.resync_index()
    assert first_citation() == "price-matching"


def test_an_approved_drafts_question_is_learned_for_its_article(services: Services) -> None:
    from bot.worker import DraftingWorker

    question = "will the enamel casserole work on my induction hob, order 112-3456789-1234567?"
    conversation = services.workflow.start_conversation(buyer_name="Maria")
    services.workflow.receive_buyer_message(conversation_id=conversation.id, text=question)
    DraftingWorker(workflow=services.workflow).run_until_idle()
    [draft] = [d for d in services.workflow.list_drafts()
               if d.conversation_id == conversation.id]
    detail = services.workflow.get_draft(draft_id=draft.id)
    assert not detail.handoff and detail.citations
    article = detail.citations[0].article_id

    services.workflow.approve(draft_id=draft.id, actor="agent@example.com")

    with services.session_factory() as session:
        learned = kb.learned_questions(session)
    expected = "will the enamel casserole work on my induction hob, order ?"
    assert expected in learned.get(article, [])  # the order id is not kept
    indexed = {c.text: c for c in services.index.all_chunks() if c.kind == "question"}
    assert indexed[expected].article_id == article
    # The next buyer who asks the same way meets that question.
    result = services.pipeline.retriever.retrieve(expected) if services.pipeline else None
    assert result is not None and result.articles[0].article_id == article
    assert result.features["dense"] > 0.99
