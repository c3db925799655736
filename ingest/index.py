"""The dense half of the search index: chunk vectors in Chroma (embedded or server).

One interface, :class:`SearchIndex`; Chroma implements it here and an in-memory fake in the
tests. Every implementation passes the same contract suite
(tests/integration/test_index_contract.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.embedder import Vectors
from ingest.errors import IndexUnavailable


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk as the index stores and returns it."""

    id: str
    article_id: str
    revision: int
    number: int
    title: str
    heading: str
    text: str
    content_hash: str
    kind: str = "body"
    intents: str = ""  # the article's topic ids, comma-joined (Chroma metadata is scalar)
    locale: str = "en"
    translation_of: str = ""  # the translated article's id ("" for an original)

    @property
    def intent_list(self) -> list[str]:
        return [i for i in self.intents.split(",") if i]

    @property
    def topic_article_id(self) -> str:
        """The article this chunk answers for: a translation answers for its source."""
        return self.translation_of or self.article_id

    def metadata(self) -> dict[str, str | int]:
        return {
            "article_id": self.article_id,
            "revision": self.revision,
            "number": self.number,
            "title": self.title,
            "heading": self.heading,
            "content_hash": self.content_hash,
            "kind": self.kind,
            "intents": self.intents,
            "locale": self.locale,
            "translation_of": self.translation_of,
        }

    @classmethod
    def from_stored(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> IndexedChunk:
        return cls(
            id=chunk_id,
            article_id=str(meta["article_id"]),
            revision=int(meta["revision"]),
            number=int(meta["number"]),
            title=str(meta.get("title", "")),
            heading=str(meta.get("heading", "")),
            text=text,
            content_hash=str(meta.get("content_hash", "")),
            kind=str(meta.get("kind", "body")),
            intents=str(meta.get("intents", "")),
            locale=str(meta.get("locale", "en")),
            translation_of=str(meta.get("translation_of", "")),
        )


@dataclass(frozen=True)
class DenseHit:
    chunk: IndexedChunk
    similarity: float  # cosine similarity in [-1, 1]


class SearchIndex(Protocol):
    """Vectors by chunk id: idempotent upsert, tolerant delete, filtered nearest neighbours."""

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: Vectors) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]: ...

    def nearest(self, vector: Vectors, *, k: int) -> list[tuple[str, float]]:
        """The ids and cosine similarities of the ``k`` nearest chunks, nearest first
        (no texts: for callers that hold the chunks already, like the retriever)."""
        ...

    def content_hashes(self, article_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Every chunk's content hash by id — of ``article_ids``' chunks only, when given."""
        ...

    def article_keys(self) -> dict[str, str]:
        """The article keys the last sync recorded, by article id (see ingest.sync)."""
        ...

    def record_article_keys(self, keys: Mapping[str, str | None]) -> None:
        """Record (or with None forget) articles' keys."""
        ...

    def all_chunks(self) -> list[IndexedChunk]: ...

    def vectors(self, ids: Sequence[str]) -> Vectors:
        """The stored embeddings of ``ids``, one row each, in the order given."""
        ...

    def count(self) -> int: ...

    def read_metadata(self, key: str) -> str | None:
        """A value stored with the index (e.g. the KB's confidence calibration)."""
        ...

    def write_metadata(self, key: str, value: str) -> None: ...


# Article ids are slugs (no spaces), so a space separates an id from its key.
_KEY_SEPARATOR = " "
# Records per ``get`` when reading a whole collection.
_PAGE = 5000
# The most nearest neighbours fetched to filter here before Chroma filters instead.
WIDEST_FILTERED_FETCH = 1000


def _evaluable(where: Mapping[str, Any]) -> bool:
    """Whether :func:`_matches` reads this filter as Chroma does (equality, $and, $or)."""
    for key, value in where.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not all(
                isinstance(v, Mapping) and _evaluable(v) for v in value
            ):
                return False
        elif key.startswith("$") or not isinstance(value, str | int | float | bool):
            return False
    return True


def _matches(meta: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    for key, value in where.items():
        if key == "$and":
            if not all(_matches(meta, v) for v in value):
                return False
        elif key == "$or":
            if not any(_matches(meta, v) for v in value):
                return False
        elif key not in meta or meta[key] != value:
            return False
    return True


class ChromaIndex:
    """Chroma collection with cosine distance; we always pass our own embeddings."""

    def __init__(self, client: Any, *, collection: str = "draftdesk_chunks") -> None:
        self._client = client
        self._collection = client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._articles = client.get_or_create_collection(
            f"{collection}_articles", embedding_function=None
        )

    @classmethod
    def persistent(cls, path: Path, *, collection: str = "draftdesk_chunks") -> ChromaIndex:
        """Embedded Chroma under ``path`` (one writing process only)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
        return cls(client, collection=collection)

    @classmethod
    def http(cls, url: str, *, collection: str = "draftdesk_chunks") -> ChromaIndex:
        """A Chroma server (``chroma run``), for several processes sharing one index."""
        from urllib.parse import urlparse

        import chromadb
        from chromadb.config import Settings as ChromaSettings

        parsed = urlparse(url)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        except Exception as exc:  # chromadb raises plain exceptions when the server is down
            raise IndexUnavailable(f"cannot reach the Chroma server at {url}: {exc}") from exc
        return cls(client, collection=collection)

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: Vectors) -> None:
        if not chunks:
            return
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        self._collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=[v.tolist() for v in vectors],
            documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks],
        )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            self._collection.delete(ids=list(ids[start : start + _PAGE]))

    def query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]:
        # No count() first: Chroma returns fewer hits (none from an empty collection) when
        # asked for more than it holds, and each count is a round trip to a Chroma server.
        if not where or not _evaluable(where):
            return self._query(vector, k=k, where=where)
        # A filtered Chroma query first lists every matching id (a full metadata scan: 0.2 s
        # at 30k chunks); an unfiltered one is a graph search. So ask for more than k nearest
        # and filter them here, widening while too few match; past WIDEST_FILTERED_FETCH (a
        # filter that keeps few chunks) Chroma's own filter is the cheaper way.
        wanted = max(2 * k, k + 40)
        while wanted <= WIDEST_FILTERED_FETCH:
            hits = self._query(vector, k=wanted)
            kept = [h for h in hits if _matches(h.chunk.metadata(), where)]
            if len(kept) >= k or len(hits) < wanted:
                return kept[:k]
            wanted *= 4
        return self._query(vector, k=k, where=where)

    def nearest(self, vector: Vectors, *, k: int) -> list[tuple[str, float]]:
        # Distances only: reading 60 chunks' texts and metadata costs 4x the graph search.
        result = self._collection.query(
            query_embeddings=[vector.tolist()], n_results=k, include=["distances"]
        )
        ids = (result.get("ids") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def _query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]:
        result = self._collection.query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=dict(where) if where else None,
            include=["distances", "documents", "metadatas"],
        )
        ids = (result.get("ids") or [[]])[0]
        documents = (result.get("documents") or [[]])[0]
        metadatas = (result.get("metadatas") or [[]])[0]
        distances = (result.get("distances") or [[]])[0]
        return [
            DenseHit(
                chunk=IndexedChunk.from_stored(chunk_id, doc or "", meta or {}),
                similarity=1.0 - float(distance),
            )
            for chunk_id, doc, meta, distance in zip(
                ids, documents, metadatas, distances, strict=True
            )
        ]

    def content_hashes(self, article_ids: Sequence[str] | None = None) -> dict[str, str]:
        if article_ids is not None and not article_ids:
            return {}
        where = None if article_ids is None else {"article_id": {"$in": list(article_ids)}}
        return {
            chunk_id: str((meta or {}).get("content_hash", ""))
            for chunk_id, _, meta in self._pages(where=where, include=["metadatas"])
        }

    def article_keys(self) -> dict[str, str]:
        # The keys live in the ids of a side collection: listing ids is one cheap scan
        # (10k articles: ~50 ms), where reading 10k chunks' metadata takes seconds.
        keys: dict[str, str] = {}
        offset = 0
        while True:
            ids = self._articles.get(include=[], limit=_PAGE, offset=offset)["ids"]
            keys.update(entry.split(_KEY_SEPARATOR, 1) for entry in ids)
            if len(ids) < _PAGE:
                return keys
            offset += _PAGE

    def record_article_keys(self, keys: Mapping[str, str | None]) -> None:
        current = self.article_keys()
        stale = [
            f"{article}{_KEY_SEPARATOR}{current[article]}"
            for article, key in keys.items() if article in current and current[article] != key
        ]
        fresh = [
            f"{article}{_KEY_SEPARATOR}{key}"
            for article, key in keys.items() if key is not None and current.get(article) != key
        ]
        for start in range(0, len(stale), _PAGE):
            self._articles.delete(ids=stale[start : start + _PAGE])
        for start in range(0, len(fresh), _PAGE):
            batch = fresh[start : start + _PAGE]
            self._articles.upsert(ids=batch, embeddings=[[1.0]] * len(batch))

    def all_chunks(self) -> list[IndexedChunk]:
        return [
            IndexedChunk.from_stored(chunk_id, doc or "", meta or {})
            for chunk_id, doc, meta in self._pages(include=["documents", "metadatas"])
        ]

    def _pages(
        self, *, include: list[str], where: Mapping[str, Any] | None = None
    ) -> Iterator[tuple[str, str | None, Mapping[str, Any] | None]]:
        """Every stored (id, document, metadata), read a page at a time: one ``get`` of
        a whole large collection fails ("too many SQL variables" past ~30k chunks)."""
        offset = 0
        while True:
            page = self._collection.get(
                where=dict(where) if where else None, include=include,
                limit=_PAGE, offset=offset,
            )
            ids = page["ids"]
            documents = page.get("documents") or [None] * len(ids)
            metadatas = page.get("metadatas") or [None] * len(ids)
            yield from zip(ids, documents, metadatas, strict=True)
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def vectors(self, ids: Sequence[str]) -> Vectors:
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        by_id: dict[str, Any] = {}
        for start in range(0, len(ids), _PAGE):
            stored = self._collection.get(ids=list(ids[start : start + _PAGE]),
                                          include=["embeddings"])
            by_id.update(zip(stored["ids"], stored["embeddings"], strict=True))
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def count(self) -> int:
        return int(self._collection.count())

    def read_metadata(self, key: str) -> str | None:
        # Re-read: another process may have written it since this one opened the collection.
        collection = self._client.get_collection(self._collection.name)
        value = (collection.metadata or {}).get(key)
        return None if value is None else str(value)

    def write_metadata(self, key: str, value: str) -> None:
        # Chroma replaces the whole mapping: merge into what is stored now, not into this
        # process's copy from when it opened the collection (another process may have
        # written a key since, e.g. the index generation).
        stored = self._client.get_collection(self._collection.name).metadata
        metadata = dict(stored or {})
        metadata[key] = value
        self._collection.modify(metadata=metadata)
