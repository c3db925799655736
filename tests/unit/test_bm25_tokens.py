"""BM25's words in every language the product answers in (issue 13)."""

from __future__ import annotations

from ingest.bm25 import Bm25Index, tokenize
from ingest.index import IndexedChunk


def test_english_words_are_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("Where are my parcels? The kettles") == ["parcel", "kettle"]


def test_words_with_accents_and_umlauts_stay_whole() -> None:
    assert tokenize("Rücksendung für die Pfanne, remboursé") == [
        "rücksendung", "für", "die", "pfanne", "remboursé"
    ]


def test_japanese_runs_are_read_as_character_pairs() -> None:
    assert tokenize("返品したい 250") == ["返品", "品し", "した", "たい", "250"]
    assert tokenize("本") == ["本"]


def _chunk(chunk_id: str, text: str) -> IndexedChunk:
    return IndexedChunk(id=chunk_id, article_id=chunk_id, revision=1, number=0, title="",
                        heading="", text=text, content_hash="h")


def test_bm25_finds_a_german_and_a_japanese_passage_by_its_words() -> None:
    index = Bm25Index([
        _chunk("returns", "So starten Sie eine Rücksendung unter Meine Bestellungen."),
        _chunk("delivery", "Wir versenden innerhalb von 1 Werktag."),
        _chunk("returns-ja", "商品の返品は注文履歴から始められます。"),
        _chunk("delivery-ja", "ご注文は1営業日以内に発送します。"),
    ])
    assert index.search("Wie starte ich eine Rücksendung?", k=1)[0][0].id == "returns"
    assert index.search("返品したいです", k=1)[0][0].id == "returns-ja"
