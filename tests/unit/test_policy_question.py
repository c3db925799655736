"""Which policy decision a buyer's words ask for, whatever the topic classifier says."""

from __future__ import annotations

import pytest

from bot.drafting.pipeline import _policy_article_first, policy_question
from bot.retrieval import RetrievedArticle


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("can i send back my kettle?", "return_item"),
        ("is it still returnable without the box?", "return_item"),
        ("I want to cancel order 112-3456789-1234567", "cancel_order"),
        ("can I swap it for the grey one", "exchange_item"),
        ("when do I get my money back", "get_refund"),
        ("the handle came loose, is that covered?", "warranty"),
        ("do I need a receipt for a warranty claim", "warranty"),
        # A problem with the item asks for the seller-fault return rules (and the warranty
        # past the window) even without the word "return".
        ("2 of the 3 jars arrived smashed", "return_item"),
        ("the box had a toaster in it, not a kettle, wrong item", "return_item"),
        ("my kettle stopped heating", "return_item"),
        ("My pan has a loose handle.", "return_item"),
        ("you sent me a red kettle, i ordered the stainless steel one", "return_item"),
        ("i ordered the grey pan set but you sent the red one", "return_item"),
        ("can I switch the 20cm chef's knife to a bigger one before it goes out?",
         "exchange_item"),
        ("will i get charged a restocking fee? i used the kettle twice", "return_item"),
        ("where is my parcel?", None),
        ("do you take PayPal?", None),
    ],
)
def test_policy_question(text: str, asked: str | None) -> None:
    assert policy_question(text) == asked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿Cómo cambio la dirección de envío del pedido?", None),  # a change, not an exchange
        ("¿Puedo cambiarlo por uno más grande?", "exchange_item"),
        ("quiero un cambio de talla", "exchange_item"),
        ("Kann ich das umtauschen?", "exchange_item"),
    ],
)
def test_an_exchange_is_an_item_for_another_in_every_language(
    text: str, expected: str | None
) -> None:
    assert policy_question(text) == expected


def _article(article_id: str, *intents: str) -> RetrievedArticle:
    return RetrievedArticle(article_id=article_id, revision=1, title=article_id,
                            intents=list(intents))


@pytest.mark.parametrize(
    ("ranked", "asked", "first"),
    [
        # Tagged with other topics only: the asked policy's article goes first.
        (["contact-us:contact_customer_service", "return-policy:check_refund_policy"],
         "return_item", "return-policy"),
        (["change-order:change_order", "place-order:place_order", "cancel-order:cancel_order"],
         "cancel_order", "cancel-order"),
        # Already about the policy, or untagged (a damaged-item article): left first.
        (["cancel-order:cancel_order", "change-order:change_order"], "cancel_order",
         "cancel-order"),
        (["damaged-or-defective-items:", "return-policy:check_refund_policy"], "return_item",
         "damaged-or-defective-items"),
        # No article about the policy among the candidates: nothing moves.
        (["contact-us:contact_customer_service", "place-order:place_order"], "return_item",
         "contact-us"),
    ],
)
def test_an_explicit_policy_question_is_answered_from_that_policys_article(
    ranked: list[str], asked: str, first: str
) -> None:
    articles = [
        _article(a.split(":")[0], *[i for i in a.split(":")[1].split(",") if i]) for a in ranked
    ]
    _policy_article_first(articles, asked)
    assert articles[0].article_id == first
    assert sorted(a.article_id for a in articles) == sorted(a.split(":")[0] for a in ranked)
