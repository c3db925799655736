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
from tests.conftest import DEMO_KB

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
    ingest_paths([DEMO_KB], session_factory=services.session_factory, index=services.index,
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
