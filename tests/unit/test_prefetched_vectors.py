"""Vectors embedded ahead of use (bot.retrieval.prefetch): one model call for a batch, each
vector used once, the same vectors as embedding on demand."""

from __future__ import annotations

import numpy as np

from bot.retrieval import prefetch
from bot.retrieval.prefetch import PrefetchedVectors
from tests.fakes import FakeEmbedder


def test_prefetched_texts_cost_no_further_call_and_match_embedding_on_demand() -> None:
    embedder = FakeEmbedder()
    vectors = PrefetchedVectors(embedder)

    assert vectors.prefetch(["where is my parcel", "can I return it", "where is my parcel"]) == 2
    assert embedder.calls == 1
    got = vectors.embed(["can I return it", "where is my parcel"])

    assert embedder.calls == 1
    np.testing.assert_allclose(got, FakeEmbedder().embed(["can I return it",
                                                           "where is my parcel"]))
    assert len(vectors) == 0  # each used once


def test_a_mix_of_prefetched_and_new_texts_is_one_call_for_the_new_ones() -> None:
    embedder = FakeEmbedder()
    vectors = PrefetchedVectors(embedder)
    vectors.prefetch(["a kettle question"])

    got = vectors.embed(["a kettle question", "a new one", "a new one"])

    assert embedder.calls == 2 and embedder.texts_embedded == 2
    np.testing.assert_allclose(got[1], got[2])
    assert vectors.embed([]).shape == (0, embedder.dimension)


def test_unused_vectors_are_discarded_and_never_pile_up(monkeypatch: object) -> None:
    vectors = PrefetchedVectors(FakeEmbedder())
    vectors.prefetch(["one", "two"])
    vectors.discard()
    assert len(vectors) == 0

    monkeypatch.setattr(prefetch, "MAX_PREFETCHED", 3)  # type: ignore[attr-defined]
    vectors.prefetch(["a", "b"])
    vectors.prefetch(["c", "d"])  # would hold 4: the unused ones are dropped first
    assert len(vectors) == 2
