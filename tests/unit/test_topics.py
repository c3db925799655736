"""The topic classifier: pure-numpy inference, the shipped model file, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.understanding.tiers import ALL_TOPICS, OUT_OF_SCOPE
from bot.understanding.topics import DEFAULT_MODEL_PATH, TopicClassifier, TopicModelError
from ingest.embedder import SentenceTransformerEmbedder


def tiny_classifier() -> TopicClassifier:
    # Three classes over a 3-dim space: each axis points at one class.
    return TopicClassifier(
        weights=np.eye(3, dtype=np.float32) * 4.0,
        bias=np.zeros(3, dtype=np.float32),
        classes=["track_order", "get_refund", OUT_OF_SCOPE],
        temperature=1.0,
        metadata={"note": "tiny"},
    )


def test_prediction_ranks_topics_and_separates_out_of_scope() -> None:
    prediction = tiny_classifier().predict(np.array([1.0, 0.0, 0.0], dtype=np.float32))

    assert [t for t, _ in prediction.topics] == ["track_order", "get_refund"]
    # softmax([4, 0, 0]) by hand
    expected_top = np.exp(4) / (np.exp(4) + 2)
    assert prediction.topics[0][1] == pytest.approx(expected_top)
    assert prediction.out_of_scope == pytest.approx(1 / (np.exp(4) + 2))
    assert prediction.best == prediction.topics[0]


def test_temperature_softens_without_changing_the_ranking() -> None:
    weights, bias = tiny_classifier().parameters()
    soft = TopicClassifier(weights=weights, bias=bias, classes=tiny_classifier().classes,
                           temperature=4.0)
    prediction = soft.predict(np.array([1.0, 0.0, 0.0]))

    assert prediction.topics[0][0] == "track_order"
    assert prediction.topics[0][1] == pytest.approx(np.e / (np.e + 2))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    tiny_classifier().save(path)

    loaded = TopicClassifier.load(path)

    assert loaded.classes == ["track_order", "get_refund", OUT_OF_SCOPE]
    assert loaded.metadata == {"note": "tiny"}
    vector = np.array([0.2, 0.9, 0.1], dtype=np.float32)
    assert loaded.probabilities(vector) == pytest.approx(tiny_classifier().probabilities(vector))


def test_load_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(TopicModelError, match="topic model not found"):
        TopicClassifier.load(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("not a numpy file", encoding="utf-8")
    with pytest.raises(TopicModelError, match="not readable"):
        TopicClassifier.load(garbage)
    incomplete = tmp_path / "incomplete.npz"
    np.savez(incomplete, weights=np.zeros((2, 3)))
    with pytest.raises(TopicModelError, match="not readable"):
        TopicClassifier.load(incomplete)


def test_model_without_out_of_scope_class_is_refused() -> None:
    with pytest.raises(TopicModelError, match="no 'out_of_scope' class"):
        TopicClassifier(weights=np.zeros((2, 3), dtype=np.float32),
                        bias=np.zeros(2, dtype=np.float32), classes=["a", "b"])


def test_wrong_embedding_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="dimension 5"):
        tiny_classifier().predict(np.zeros(5, dtype=np.float32))


def test_shipped_model_is_small_and_knows_every_topic() -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size < 1_000_000
    classifier = TopicClassifier.load()

    assert set(classifier.classes) == ALL_TOPICS | {OUT_OF_SCOPE}
    assert classifier.dimension == 384
    assert classifier.temperature > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("My parcel still hasn't arrived, where is it?", "track_order"),
        ("The kettle arrived broken and I would like my money back", "get_refund"),
        ("I need to change the delivery address for my order", "change_shipping_address"),
        ("which payment methods do you accept", "check_payment_methods"),
        ("I want to talk to a human agent, not a bot", "contact_human_agent"),
        ("I forgot the password to my account", "recover_password"),
    ],
)
def test_shipped_model_classifies_obvious_messages(
    real_embedder: SentenceTransformerEmbedder, message: str, topic: str
) -> None:
    prediction = TopicClassifier.load().predict(real_embedder.embed([message])[0])

    assert prediction.best is not None
    assert prediction.best[0] == topic
    assert prediction.best[1] > prediction.out_of_scope
    total = sum(p for _, p in prediction.topics) + prediction.out_of_scope
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize(
    "message",
    ["what's the weather going to be like in Paris tomorrow", "set an alarm for 7 am",
     "how many calories are in an avocado"],
)
def test_shipped_model_flags_unrelated_messages(
    real_embedder: SentenceTransformerEmbedder, message: str
) -> None:
    prediction = TopicClassifier.load().predict(real_embedder.embed([message])[0])

    assert prediction.out_of_scope > 0.5
