"""The resemblance to messages no shop answers: casual shop questions stay far from the
probes, off-topic requests come near them (real model)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bot.retrieval.calibration import off_topic_probes
from bot.retrieval.off_topic import NEAREST, OffTopicProbes

pytestmark = pytest.mark.slow

SHOP_QUESTIONS = [
    "is there a number i can ring you on? typing on my phone is a pain",
    "is the outer box plain? dont want my husband to guess whats inside lol",
    "can i add a little note in the box for my friend, its her housewarming",
    "vinegar or lemon juice for descaling? and how long do i leave it in?",
]
OFF_TOPIC = [
    "how long until my new credit card from the bank arrives",
    "the airline lost my luggage, who do i call",
    "whats the weather going to be like in paris tomorrow",
    "book me a table for two at a sushi place tonight",
]


def test_shop_questions_are_further_from_the_probes_than_off_topic_requests(
    real_embedder: Any,
) -> None:
    probes = OffTopicProbes(real_embedder)
    shop = [probes.resemblance(v) for v in real_embedder.embed(SHOP_QUESTIONS)]
    off = [probes.resemblance(v) for v in real_embedder.embed(OFF_TOPIC)]
    assert max(shop) < min(off), (shop, off)


def test_a_probe_is_not_its_own_neighbour(real_embedder: Any) -> None:
    texts = off_topic_probes()
    probes = OffTopicProbes(real_embedder)
    vector = real_embedder.embed([texts[0]])[0]
    others = np.asarray(real_embedder.embed(texts[1:]), dtype=np.float32) @ np.asarray(vector)
    expected = float(np.sort(others)[-NEAREST:].mean())
    assert probes.resemblance(vector) == pytest.approx(expected, abs=1e-4)


def test_a_message_in_another_language_is_compared_with_probes_in_it(real_embedder: Any) -> None:
    probes = OffTopicProbes(real_embedder)
    vector = real_embedder.embed(["Wie wird das Wetter morgen in Berlin?"])[0]
    english_only = probes.resemblance(vector, "en")
    german = probes.resemblance(vector, "de")
    # German probes are nearer to German text; English probes still count for a short
    # English message taken for German, so the German reading is never the lower one.
    assert german > english_only
    english_text = real_embedder.embed(["how long until my new credit card arrives"])[0]
    assert probes.resemblance(english_text, "de") >= probes.resemblance(english_text, "en")
