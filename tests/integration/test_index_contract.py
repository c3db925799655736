"""One contract every SearchIndex passes: the in-memory fake and real Chroma alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingest.index import ChromaIndex, IndexedChunk, SearchIndex
from tests.fakes import InMemoryIndex


def _chunk(chunk_id: str, article: str, text: str, content_hash: str = "h") -> IndexedChunk:
    return IndexedChunk(
        id=chunk_id,
        article_id=article,
        revision=1,
        number=int(chunk_id[-1]),
        title=article,
        heading="",
        text=text,
        content_hash=content_hash,
        intents="track_order",
    )


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture(params=["memory", "chroma"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "memory":
        yield InMemoryIndex()
    else:
        yield ChromaIndex.persistent(tmp_path / "chroma", collection="contract_test")


def test_upsert_is_idempotent_by_id(index: SearchIndex) -> None:
    chunks = [_chunk("a:1:0", "a", "first"), _chunk("a:1:1", "a", "second")]
    vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
    index.upsert(chunks, vectors)
    index.upsert(chunks, vectors)
    assert index.count() == 2
    index.upsert([_chunk("a:1:0", "a", "first, edited", "h2")], np.stack([_unit(1, 0, 0)]))
    assert index.count() == 2
    assert index.content_hashes() == {"a:1:0": "h2", "a:1:1": "h"}


def test_delete_of_a_missing_id_is_fine(index: SearchIndex) -> None:
    index.upsert([_chunk("a:1:0", "a", "x")], np.stack([_unit(1, 0, 0)]))
    index.delete(["nope:1:0", "a:1:0"])
    index.delete([])
    assert index.count() == 0


def test_query_ranks_by_cosine_and_round_trips_metadata(index: SearchIndex) -> None:
    index.upsert(
        [_chunk("a:1:0", "a", "alpha"), _chunk("b:1:0", "b", "beta")],
        np.stack([_unit(1, 0, 0), _unit(0, 1, 0)]),
    )
    hits = index.query(_unit(0.9, 0.1, 0), k=2)
    assert [h.chunk.id for h in hits] == ["a:1:0", "b:1:0"]
    assert hits[0].similarity == pytest.approx(float(_unit(0.9, 0.1, 0) @ _unit(1, 0, 0)), abs=1e-3)
    top = hits[0].chunk
    assert (top.article_id, top.revision, top.text, top.intent_list) == (
        "a",
        1,
        "alpha",
        ["track_order"],
    )


def test_filter_isolates(index: SearchIndex) -> None:
    index.upsert(
        [_chunk("a:1:0", "a", "alpha"), _chunk("b:1:0", "b", "beta")],
        np.stack([_unit(1, 0, 0), _unit(1, 0.1, 0)]),
    )
    hits = index.query(_unit(1, 0, 0), k=5, where={"article_id": "b"})
    assert [h.chunk.article_id for h in hits] == ["b"]


def test_language_filter_keeps_originals_and_one_locales_translations(
    index: SearchIndex,
) -> None:
    # The retriever's filter: originals ("translation_of" empty) or the message's locale.
    chunks = [
        _chunk("a:1:0", "a", "original"),
        IndexedChunk(**{**_chunk("d:1:0", "a-de", "Übersetzung").__dict__,
                        "locale": "de", "translation_of": "a"}),
        IndexedChunk(**{**_chunk("f:1:0", "a-fr", "traduction").__dict__,
                        "locale": "fr", "translation_of": "a"}),
    ]
    index.upsert(chunks, np.stack([_unit(1, 0, 0), _unit(1, 0.1, 0), _unit(1, 0.2, 0)]))
    where = {"$or": [{"translation_of": ""}, {"locale": "de"}]}
    hits = index.query(_unit(1, 0, 0), k=5, where=where)
    assert sorted(h.chunk.id for h in hits) == ["a:1:0", "d:1:0"]
    german = next(h.chunk for h in hits if h.chunk.id == "d:1:0")
    assert (german.locale, german.translation_of, german.topic_article_id) == ("de", "a", "a")
    only_originals = index.query(_unit(1, 0, 0), k=5, where={"translation_of": ""})
    assert [h.chunk.id for h in only_originals] == ["a:1:0"]


def test_empty_index_answers_nothing(index: SearchIndex) -> None:
    assert index.query(_unit(1, 0, 0), k=3) == []
    assert index.all_chunks() == []


def test_vectors_and_chunks_must_pair(index: SearchIndex) -> None:
    with pytest.raises(ValueError):
        index.upsert([_chunk("a:1:0", "a", "x")], np.stack([_unit(1, 0), _unit(0, 1)]))


def test_vectors_come_back_in_the_order_asked(index: SearchIndex) -> None:
    chunks = [_chunk("a:1:0", "a", "first"), _chunk("a:1:1", "a", "second")]
    index.upsert(chunks, np.stack([_unit(1, 0, 0), _unit(0, 1, 1)]))
    vectors = index.vectors(["a:1:1", "a:1:0"])
    assert np.allclose(vectors, np.stack([_unit(0, 1, 1), _unit(1, 0, 0)]), atol=1e-6)


def test_metadata_is_kept_with_the_index_and_overwritten(index: SearchIndex) -> None:
    assert index.read_metadata("calibration") is None
    index.write_metadata("calibration", '{"m0": 0.3}')
    index.write_metadata("other", "x")
    index.write_metadata("calibration", '{"m0": 0.4}')
    assert index.read_metadata("calibration") == '{"m0": 0.4}'
    assert index.read_metadata("other") == "x"
    # Writing metadata leaves the cosine space alone: a near-identical vector is ~1.0.
    index.upsert([_chunk("a:1:0", "a", "x")], np.stack([_unit(1, 0, 0)]))
    [hit] = index.query(_unit(1, 0.01, 0), k=1)
    assert hit.similarity > 0.99


def test_metadata_survives_reopening_the_embedded_index(tmp_path: Path) -> None:
    ChromaIndex.persistent(tmp_path / "c", collection="meta_test").write_metadata("k", "v")
    assert ChromaIndex.persistent(tmp_path / "c", collection="meta_test").read_metadata("k") == "v"


def test_a_filter_keeps_the_nearest_matches_behind_many_nearer_others(
    index: SearchIndex,
) -> None:
    # 150 translations nearer to the query than any original: the k nearest originals
    # still come back, in order (an index may filter after fetching more neighbours).
    rng = np.random.default_rng(7)
    translations = [
        IndexedChunk(**{**_chunk(f"t{i}:1:0", f"t{i}", "Übersetzung").__dict__,
                        "locale": "de", "translation_of": "a"})
        for i in range(150)
    ]
    near = [_unit(1, *(0.01 * rng.standard_normal(3))) for _ in translations]
    originals = [_chunk(f"o{i}:1:0", f"o{i}", "original") for i in range(3)]
    far = [_unit(1, 0.5 + i, 0, 0) for i in range(3)]
    index.upsert([*translations, *originals], np.stack([*near, *far]))
    hits = index.query(_unit(1, 0, 0, 0), k=2, where={"translation_of": ""})
    assert [h.chunk.id for h in hits] == ["o0:1:0", "o1:1:0"]


def test_content_hashes_of_some_articles_and_recorded_article_keys(index: SearchIndex) -> None:
    index.upsert([_chunk("a:1:0", "a", "x", "h1"), _chunk("b:1:0", "b", "y", "h2")],
                 np.stack([_unit(1, 0), _unit(0, 1)]))
    assert index.content_hashes(["b", "missing"]) == {"b:1:0": "h2"}
    assert index.content_hashes([]) == {}
    assert index.article_keys() == {}
    index.record_article_keys({"a": "k1/1", "b": "k2/1"})
    index.record_article_keys({"a": "k3/1", "b": None, "gone": None})
    assert index.article_keys() == {"a": "k3/1"}


def test_nearest_gives_ids_and_similarities_like_query(index: SearchIndex) -> None:
    index.upsert(
        [_chunk("a:1:0", "a", "alpha"), _chunk("b:1:0", "b", "beta"), _chunk("c:1:0", "c", "c")],
        np.stack([_unit(1, 0, 0), _unit(1, 1, 0), _unit(0, 0, 1)]),
    )
    nearest = index.nearest(_unit(1, 0.1, 0), k=2)
    hits = index.query(_unit(1, 0.1, 0), k=2)
    assert [i for i, _ in nearest] == [h.chunk.id for h in hits] == ["a:1:0", "b:1:0"]
    assert [s for _, s in nearest] == pytest.approx([h.similarity for h in hits])
    assert index.nearest(_unit(1, 0, 0), k=10)[2][0] == "c:1:0"


def test_reading_the_whole_index_works_past_one_page(index: SearchIndex) -> None:
    # Chroma refuses one `get` of ~30k records ("too many SQL variables"): reads page.
    chunks = [_chunk(f"p{i}:1:0", f"p{i}", "x", f"h{i}") for i in range(5003)]
    vectors = np.tile(_unit(1, 0, 0), (len(chunks), 1))
    for start in range(0, len(chunks), 1000):
        index.upsert(chunks[start : start + 1000], vectors[start : start + 1000])
    assert len(index.all_chunks()) == len(index.content_hashes()) == 5003
    assert index.vectors([c.id for c in chunks]).shape == (5003, 3)
    index.record_article_keys({c.article_id: "k/1" for c in chunks})
    assert len(index.article_keys()) == 5003
    index.delete([c.id for c in chunks])
    assert index.count() == 0
