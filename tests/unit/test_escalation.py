"""Why a message goes to a person: the reason decides the holding reply."""

from __future__ import annotations

import pytest

from bot.understanding.escalation import escalation_reasons
from bot.understanding.signals import closes_the_conversation, sentiment_of


def reasons(text: str) -> list[str]:
    sentiment, _ = sentiment_of(text)
    return escalation_reasons(text, angry=sentiment == "angry")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the kettle sparked and the cord started smoking", "safety"),
        ("my son got an allergic rash from the sheets", "safety"),
        ("I'll file a chargeback with my bank tomorrow", "legal"),
        ("refund me or I leave 1-star reviews on every listing", "legal"),
        ("I'm opening an A-to-z claim today", "legal"),
        ("This is Amazon Seller Support: verify your account details to avoid suspension",
         "fraud"),
        ("can we continue on WhatsApp instead", "fraud"),
        ("I can pay you directly by bank transfer if that's easier", "fraud"),
        ("someone used my card to buy this, I never placed that order", "fraud"),
        ("THIS IS THE THIRD TIME I'M WRITING. WHERE IS MY ORDER", "angry"),
        ("you useless idiots, worst shop ever", "angry"),
        ("i want to talk to a real person", "human_request"),
        ("get me your manager", "human_request"),
    ],
)
def test_reasons(text: str, reason: str) -> None:
    assert reason in reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        "how do I clean burnt on food from the skillet?",
        "the handle came loose, is that covered?",
        "is there a number I can ring you on?",
        "how do I leave a review?",
        "I got it off amazon last week, where is the invoice?",
        "do you take PayPal?",
        # Blaming themselves is not anger at the seller.
        "can you return stuff without the tags? i cut them off before trying it on (stupid i know)",
        "I'm so stupid!! I ordered the wrong size, can I swap it?",
    ],
)
def test_ordinary_questions_are_not_escalated(text: str) -> None:
    assert reasons(text) == []


def test_safety_comes_first_when_there_are_several() -> None:
    assert reasons("the kettle burned my hand and I'm calling my lawyer")[:2] == [
        "safety", "legal"
    ]


@pytest.mark.parametrize(
    ("text", "closing"),
    [
        ("thanks, that's all!", True),
        ("perfect, the replacement arrived today. thx", True),
        ("Got the refund this morning, thank you!", True),
        ("thanks, but where is my order?", False),
        ("thank you, can you also send the invoice", False),
        ("thanks but it still isn't here", False),
    ],
)
def test_thanks_only_messages(text: str, closing: bool) -> None:
    assert closes_the_conversation(text) is closing


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Der Wasserkocher hat Funken gesprüht und es riecht verschmort!!", "safety"),
        ("la bouilloire a fait des étincelles et de la fumée", "safety"),
        ("la sartén me ha quemado la mano", "safety"),
        ("il bollitore ha preso fuoco", "safety"),
        ("ケトルから火花が出ました", "safety"),
        ("voy a abrir una reclamación de la Garantía de la A a la Z", "legal"),
        ("ich schalte meinen Anwalt ein", "legal"),
    ],
)
def test_the_most_urgent_reasons_in_other_languages(text: str, reason: str) -> None:
    assert reason in reasons(text)


def test_ordinary_questions_in_other_languages_are_not_escalated() -> None:
    for text in ["Wo finde ich die Rechnung?", "Où est mon colis ?", "¿Dónde está mi pedido?"]:
        assert reasons(text) == []
